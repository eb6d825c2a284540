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
