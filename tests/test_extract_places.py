"""The gazetteer tables: where a place that is only an area or a country is put."""

from __future__ import annotations

import math

from workers.extract import extract_events
from workers.extract.lexicon import place_key
from workers.extract.places import ADMIN1, CITY, COUNTRY, gazetteer
from workers.records import Document


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def town(name: str, cc: str):
    return max(
        (p for p in gazetteer().lookup(place_key(name)) if p.kind == CITY and p.cc == cc),
        key=lambda p: p.population,
    )


def test_country_point_is_its_capital_not_a_centroid():
    g = gazetteer()
    for cc, capital in [("SY", "Damascus"), ("MM", "Nay Pyi Taw"), ("US", "Washington")]:
        country, seat = g.countries[cc], town(capital, cc)
        assert country.kind == COUNTRY
        assert km((country.lat, country.lon), (seat.lat, seat.lon)) < 1


def test_admin1_point_is_its_most_populous_town():
    g = gazetteer()
    for (cc, code), name in [(("SY", "09"), "Aleppo"), (("MX", "06"), "Ciudad Juárez")]:
        area, biggest = g.admin1[(cc, code)], town(name, cc)
        assert area.kind == ADMIN1 and biggest.admin1 == code
        assert km((area.lat, area.lon), (biggest.lat, biggest.lon)) < 1


def test_event_named_only_by_country_is_placed_at_the_capital():
    doc = Document(text="Five soldiers were killed in an ambush in the Central African Republic.")
    loc = extract_events(doc)[0].location
    assert loc is not None and loc.country == "CF" and loc.admin1 is None
    bangui = town("Bangui", "CF")
    assert km((loc.lat, loc.lon), (bangui.lat, bangui.lon)) < 1


def test_admin1_known_by_its_geonames_alternate_names():
    g = gazetteer()
    for name, cc in [("North Sinai", "EG"), ("Chelyabinsk Oblast", "RU"), ("Sohag", "EG")]:
        found = [p for p in g.lookup(place_key(name)) if p.kind == ADMIN1]
        assert [p.cc for p in found] == [cc], name


def test_common_words_are_not_town_alternates():
    """'Kill' (Kiel), 'Market' (Marquette) and 'Chin' (Qinzhou) name no town; Hama still does."""
    g = gazetteer()
    for word in ["Kill", "Market", "Chin", "Name", "Turn"]:
        assert not [p for p in g.lookup(place_key(word)) if p.kind == CITY and p.population > 15000]
    assert town("Hama", "SY").population > 100_000
