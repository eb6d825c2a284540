"""Actors: who acted and on whom, with a coarse kind and a country, as the sentence names them."""

from __future__ import annotations

from workers.extract.actors import find_actors
from workers.extract.build import actors as incident_actors
from workers.extract.casualties import casualties
from workers.extract.engine import Incident, Sentence


def roles(sentence: str) -> list[tuple[str, str, str | None, str | None]]:
    return [(a.role, a.name, a.kind, a.country) for a in find_actors(sentence)]


def test_demonym_before_actor_word_gives_the_country() -> None:
    assert roles("Al-Nusra Front fighters attacked Syrian army positions near Idlib.") == [
        ("actor1", "Al-Nusra Front fighters", "rebel group", None),
        ("actor2", "Syrian army", "state forces", "SY"),
    ]


def test_demonym_need_not_open_the_phrase() -> None:
    found = roles("Two Palestinian suicide bombers killed 23 people in Tel Aviv.")
    assert found[0] == ("actor1", "Palestinian suicide bombers", "rebel group", "PS")
    assert found[1][:3] == ("actor2", "people", "civilians")


def test_named_states_act_and_places_do_not() -> None:
    assert roles("The United States and Jordan have agreed upon a new free-trade pact.") == [
        ("actor1", "United States", "state forces", "US"),
        ("actor2", "Jordan", "state forces", "JO"),
    ]
    # A country after "in" says where, not who.
    assert not any(a[1] == "Serbia" for a in roles("Up to 100 people demonstrated in Serbia."))
    assert not any(a[1] == "Libya" for a in roles("Thousands have fled war-torn Libya."))


def test_possessive_country_and_titled_officials() -> None:
    assert roles("Iraq's interim government imposed martial law on Baghdad.")[0] == (
        "actor1",
        "Iraq's interim government",
        "state forces",
        "IQ",
    )
    found = roles("Zimbabwean Prime Minister Robert Mugabe accused the United States of blackmail.")
    assert found[0] == ("actor1", "Zimbabwean Prime Minister Robert Mugabe", "state forces", "ZW")
    assert found[1][1] == "United States"
    # A title with no one named is no actor: "general strike".
    assert roles("The unions called a general strike.") == []


def test_organisations_from_the_lexicon() -> None:
    found = roles("The UN Security Council condemned the attack by Boko Haram.")
    names = [a[1] for a in found]
    assert "UN Security Council" in names and "Boko Haram" in names
    assert found[0][2] == "external forces"
    # One-word names of organisations count only in capitals: "Amal" the militia, not a word.
    assert roles("UN helicopters evacuated the wounded.")[0][1] == "UN"


def test_passive_by_makes_the_agent_actor1() -> None:
    assert roles("about 100 people were shot dead by police.") == [
        ("actor1", "police", "state forces", None),
        ("actor2", "people", "civilians", None),
    ]


def test_agent_noun_police_firing() -> None:
    found = roles("four people were killed in police firing on mobs in bharuch.")
    assert found[:2] == [
        ("actor1", "police", "state forces", None),
        ("actor2", "people", "civilians", None),
    ]


def test_active_subject_acts_on_the_object() -> None:
    assert roles("Police fired on protesters in Nairobi, killing three.") == [
        ("actor1", "Police", "state forces", None),
        ("actor2", "protesters", "protesters", None),
    ]


def test_victims_alone_are_only_acted_on() -> None:
    assert roles("Three US servicemen were killed by an improvised explosive device.") == [
        ("actor2", "US servicemen", "state forces", "US"),
    ]
    assert roles("the attack left five policemen dead.") == [
        ("actor2", "policemen", "state forces", None),
    ]


def test_the_source_of_the_report_is_no_actor() -> None:
    assert roles("two persons were killed in a blast, police said.") == [
        ("actor2", "persons", "civilians", None),
    ]
    assert roles("the police suspect that two persons were feared killed in the blast.") == [
        ("actor2", "persons", "civilians", None),
    ]
    found = roles("Jordan and Britain will hold exercises, a Jordanian official confirmed.")
    assert [a[1] for a in found] == ["Jordan", "Britain"]


def test_incident_takes_actors_from_the_sentence_with_the_deaths() -> None:
    def sentence(text: str) -> Sentence:
        return Sentence(text, {}, casualties(text), None, find_actors(text), True)

    inc = Incident()
    inc.add(sentence("Tension gripped the town as the army moved in."))
    inc.add(sentence("Four people were killed in police firing on a mob."))
    found = incident_actors(inc)
    assert [(a.role, a.name) for a in found] == [("actor1", "police"), ("actor2", "people")]
