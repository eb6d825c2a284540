"""Language identification on short texts, and events from French, Spanish and Portuguese news."""

from __future__ import annotations

import pytest

from workers.extract import detect_language

ENGLISH_HEADLINES = [
    # Shared function words ("die", "in", "un", "der") must not outvote the English words.
    "Five men die during military interrogation in Bago",
    "Armed group kills 26 in Central African Republic: UN",
    "15 airstrikes target Der-Ezzor",
    "6 die in shootout in southern Chihuahua",
    "Two Civilians Die Amid Fighting Between AA and Myanmar Military",
    "Landmine explosions | Two young people killed in Al-Quneitra",
    "Cartel de Sinaloa kills 2 CJNG members, sends threat in Aguascalientes",
]


@pytest.mark.parametrize("text", ENGLISH_HEADLINES)
def test_short_english_headlines_are_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Encuentran a dos ejecutados", "es"),
        ("Hallan a 4 hombres asesinados a tiros en Sahuayo", "es"),
        ("Asesinan a 4 a balazos en Veracruz", "es"),
        ("Matan a balazos a hombre y hieren a mujer en Monterrey", "es"),
        ("Alindao sous extrême tension depuis hier : un gendarme tue un civil", "fr"),
        ("Centrafrique : 11 morts dans une attaque de groupe armé au nord du pays", "fr"),
        ("Homem é sequestrado e assassinado dentro do próprio carro em São Cristóvão", "pt"),
        ("Agricultor é assassinado a tiros em Ouricuri", "pt"),
        ("Bei einem Angriff auf ein Dorf wurden zwei Soldaten getötet", "de"),
        ("Due soldati uccisi in un attacco contro una base militare", "it"),
        ("Bij een aanval op een dorp zijn twee soldaten gedood", "nl"),
    ],
)
def test_foreign_headlines_keep_their_language(text, lang):
    assert detect_language(text) == lang


def test_names_alone_say_nothing():
    """A list of names or a bare place gives no evidence either way."""
    assert detect_language("Mohammad Ahmad al-Samra") is None
    assert detect_language("Orm Kubra") is None


# ---- events from French, Spanish and Portuguese -------------------------------------------

from workers.extract import extract_events  # noqa: E402
from workers.records import Document  # noqa: E402


def events(text: str, published: str | None = "2020-06-15"):
    return extract_events(Document(text=text, doc_id="t", published=published))


def only(text: str):
    found = events(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "lang", "sub", "dead", "cc", "admin1"),
    [
        ("Asesinan a 4 a balazos en Veracruz", "es", "Attack", 4, "MX", "Veracruz"),
        (
            "Hallan a 4 hombres asesinados a tiros en Sahuayo",
            "es",
            "Attack",
            4,
            "MX",
            "Michoacán",
        ),
        ("Matan a balazos a hombre y hieren a mujer en Monterrey", "es", "Attack", 1, "MX", None),
        (
            "Alindao sous extrême tension depuis hier : un gendarme tue un civil",
            "fr",
            "Attack",
            1,
            "CF",
            "Basse-Kotto",
        ),
        (
            "Centrafrique : 3 personnes tuées dans un affrontement entre les éléments du FPRC "
            "et des Anti-Balaka à Bambari",
            "fr",
            "Armed clash",
            3,
            "CF",
            "Ouaka",
        ),
        (
            "Homem é sequestrado e assassinado dentro do próprio carro em São Cristóvão",
            "pt",
            None,
            1,
            "BR",
            None,
        ),
        ("Agricultor é assassinado a tiros em Ouricuri", "pt", "Attack", 1, "BR", "Pernambuco"),
    ],
)
def test_foreign_headline_events(text, lang, sub, dead, cc, admin1):
    e = only(text)
    assert e.language == lang
    assert e.fatalities == dead
    assert e.location.country == cc
    if sub:
        assert e.sub_event_type == sub
    if admin1:
        assert e.location.admin1 == admin1


def test_foreign_figures_the_conservative_way():
    """Vague and qualified figures read as ACLED does; injured are never killed."""
    e = only("RCA : au moins 19 morts dans une attaque des rebelles près de Bambari")
    assert e.fatalities == 19
    e = only("Centrafrique : une vingtaine de morts dans des affrontements à Bria")
    assert (e.fatalities, e.sub_event_type) == (20, "Armed clash")
    e = only("Ataque armado deja 3 muertos y una mujer herida en Culiacán")
    assert (e.fatalities, e.injured) == (3, 1)
    e = only("Ataque armado en Culiacán deja un herido")
    assert not e.fatalities


def test_foreign_abduction_and_bombing_sub_types():
    e = only("Secuestran a dos empresarios en Culiacán, Sinaloa")
    assert e.sub_event_type == "Abduction/forced disappearance"
    e = only("RCA : trois morts dans l'explosion d'une mine antichar près de Bouar")
    assert (e.sub_event_type, e.fatalities) == ("Remote explosive/landmine/IED", 3)


def test_multi_day_total_is_no_incident_figure():
    found = events("Violência em Caucaia deixa mais sete mortos no fim de semana")
    assert all(e.fatalities != 7 for e in found)


@pytest.mark.parametrize(
    "text",
    [
        # Sport: killing and massacre as metaphors.
        "El Real Madrid mata el partido en el minuto 80 y masacra al Barcelona en el estadio",
        "Le PSG tue le match à Marseille : trois buts en dix minutes",
        "Flamengo massacra o Vasco no Maracanã e assume a liderança do campeonato",
        # Politics, economy, accidents, disasters.
        "Le gouvernement centrafricain annonce un nouveau budget pour l'éducation à Bangui",
        "El presidente anuncia una reforma fiscal en la Ciudad de México",
        "Accidente en la carretera deja 3 muertos en Sonora",
        "Inondations à Bangui : cinq morts et des milliers de sinistrés",
        "Covid-19: Brasil registra 500 mortes em 24 horas em São Paulo",
        "Eleições municipais em Recife: candidato lidera pesquisa",
        "Les combats politiques à l'Assemblée nationale à Paris",
        "Le ministre de la Défense rend visite aux soldats à Bangui",
        "O ataque do Palmeiras marcou dois gols",
        "Muere el actor mexicano en Guadalajara a los 80 años",
    ],
)
def test_foreign_non_events_yield_nothing(text):
    assert events(text) == []


def test_mixed_headlines_read_english_first_then_the_others():
    """English parts are read by the English path; a text with none is read in its language."""
    e = only(
        "Centrafrique : 7 morts dans des violences à Bambari;Seven killed in attack on "
        "Bambari, Central African Republic"
    )
    assert (e.fatalities, e.location.country, e.language) == (7, "CF", "en")
    e = only("Un Vistazo;Asesinan a 4 a balazos en Veracruz")
    assert (e.fatalities, e.language) == (4, "es")


def test_unread_language_yields_nothing():
    assert events("Bei einem Angriff auf ein Dorf in Mali wurden zwei Soldaten getötet") == []


def test_a_country_named_as_the_place_is_no_actor_in_other_languages():
    """'en Centrafrique' is where it happened, not who did it."""
    found = extract_events(
        Document(
            text="Les rebelles ont tué dix villageois à Bambari, en Centrafrique, dimanche.",
            doc_id="fr",
        )
    )
    assert found and found[0].fatalities == 10
    assert all(a.name != "Centrafrique" for a in found[0].actors)
