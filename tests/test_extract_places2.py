"""Places on short news texts: name fragments, venues, demonyms, transliterated articles."""

from __future__ import annotations

from collections import Counter

from workers.extract import extract_events
from workers.extract.geocode import country_context, mentions
from workers.records import Document


def top(text: str):
    events = extract_events(Document(text=text, doc_id="t"))
    assert events, text
    return max(events, key=lambda e: e.confidence)


def names(sentence: str, *countries: str) -> list[tuple[str, str]]:
    return [(m.text, m.place.cc) for m in mentions(sentence, Counter(countries))]


def test_a_town_inside_a_longer_unknown_name_is_no_place():
    assert names("A man was shot dead in Loma Dorada") == []
    assert names("Bodies were found behind Villas Cancun") == []


def test_generic_words_and_areas_beside_a_town_leave_it_the_place():
    assert ("Jisr Al-Shughur", "SY") in names("Warplanes hit Jisr Al-Shughur City on Monday")
    assert [cc for _, cc in names("Four were killed in Myanmar's Rakhine state")][-1] == "MM"


def test_a_bar_named_by_its_town_is_in_that_town():
    assert [cc for _, cc in names("Four men were shot dead in an Acapulco bar")] == ["MX"]


def test_a_particle_led_piece_of_a_name_is_no_town():
    assert names("A young man was shot in Prados del Sur") == []
    assert country_context("Gunmen killed four men in Prados del Sur") == Counter()


def test_a_capital_inside_a_longer_foreign_name_is_no_country():
    assert country_context("Four men were shot dead in Santiago Miahuatlán")["CL"] == 0


def test_a_demonym_is_not_a_region_abroad():
    assert names("Militants attack Somali forces") == []


def test_plural_demonyms_name_the_country():
    assert country_context("Syrians found dead with torture marks") == Counter({"SY": 1})


def test_abbreviated_central_african_republic():
    assert top("Violent clashes kill 4 in C.African capital").location.country == "CF"


def test_groups_of_one_country_place_an_unplaced_incident():
    assert top("Anti-Balaka militiamen kill five traders").location.country == "CF"
    assert top("CJNG gunmen kill a man and his son").location.country == "MX"


def test_capitals_of_a_shouting_headline_name_no_group():
    from workers.extract.geocode import group_country

    assert group_country("CAR BOMB KILLS FIVE") is None
    assert group_country("Clashes between the army and CAR gunmen kill 17") == "CF"
