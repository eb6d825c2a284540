"""The learned incident-report model and how it judges the rules' events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.config import load
from workers.errors import ConfigError
from workers.extract import confident, extract_events
from workers.extract.engine import rule_events
from workers.extract.judge import once_each, told
from workers.extract.model import CARD_FILE, MODEL_FILE, features, incident_model, topics
from workers.records import Document, Event, Location

DATA = Path(__file__).resolve().parent / "data"
SEED = Path(__file__).resolve().parent.parent / "seeds" / "syria_idlib_clashes.txt"


def test_shipped_model_gives_the_probabilities_it_was_trained_to_give() -> None:
    """The service's numpy scoring of the shipped file matches scikit-learn's predict_proba
    at training time on a fixed sample (tests/data/model_sample.jsonl)."""
    card = json.loads(CARD_FILE.read_text(encoding="utf-8"))
    model = incident_model()
    assert list(model.classes) == card["classes"]
    lines = (DATA / "model_sample.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines]
    assert len(texts) == len(card["sample_probabilities"])
    for text, expected in zip(texts, card["sample_probabilities"]):
        got = model.probabilities(text)
        assert [round(got[c], 4) for c in model.classes] == pytest.approx(
            [round(v, 4) for v in expected], abs=2e-4
        ), text


def test_model_file_is_small_and_recorded() -> None:
    """The model ships in the package under 25 MB, with its data, seed and figures beside it."""
    assert MODEL_FILE.stat().st_size < 25 * 1024 * 1024
    card = json.loads(CARD_FILE.read_text(encoding="utf-8"))
    assert {"trained", "seed", "data", "rows", "calibration", "attribution"} <= set(card)
    assert set(card["data"]) == {"wcep_train.jsonl", "ucdp_ged_train.jsonl", "article_pages.jsonl"}


def test_features_are_words_pairs_and_prefixes() -> None:
    """Numbers are one token; pairs join neighbours; long words also count by their prefix."""
    f = features("Gunmen killed 12 villagers")
    assert "w:gunmen" in f and "w:0" in f and "b:killed 0" in f and "p:villa" in f


def test_the_model_tells_a_report_from_ordinary_news() -> None:
    """An attack report reads as conflict news; a results story as business, a match as sport."""
    attack = topics("Gunmen attacked a village in Borno state, killing 12 people, police said.")
    assert max(attack, key=lambda c: attack[c]) == "conflict"
    results = topics("The company reported higher quarterly profit as sales of its phones rose.")
    assert max(results, key=lambda c: results[c]) == "business"
    match = topics("Novak Djokovic wins the Australian Open, beating Andy Murray in the final.")
    assert max(match, key=lambda c: match[c]) == "sport"


def test_seed_article_events_are_published() -> None:
    """The seed's three clashes stay above the default publish threshold."""
    found = extract_events(Document(text=SEED.read_text(encoding="utf-8"), doc_id="seed"))
    published = confident(found, load(None, {}).extract.min_confidence)
    assert [e.fatalities for e in published] == [100, 80, None]


def test_a_word_in_its_other_sense_does_not_set_the_type() -> None:
    """ "Open fire" at a mosque is an attack, not a blaze; a train collision is no attack."""
    attack = extract_events(
        Document(
            text="Gunmen open fire at a mosque in Kaduna, Nigeria, killing at least 20 people."
        )
    )
    assert attack and attack[0].event_type in {"Violence against civilians", "Battles"}
    crash = extract_events(
        Document(
            text="At least 21 people are killed and dozens are injured after two trains collide "
            "in the Shivpuri district of India's Madhya Pradesh state."
        )
    )
    assert crash and crash[0].event_type == "Man-made disaster"


# An album review whose one cue word ("rioted") gives the rules a Riots event.
REVIEW = [
    "The band's fourth album arrives after three years of touring, and it is their most "
    "ambitious record yet.",
    "Fans rioted with joy at the launch show in London on Friday, and the explosive opening "
    "track set the tone.",
    "The songs move from quiet piano ballads to loud guitar anthems, and the production is "
    "warm and clear.",
    "The singer said the record was written on the road, in hotel rooms and on long bus rides "
    "between cities.",
    "Critics have praised the lyrics, which deal with love, loss and growing older.",
    "The album is out now on vinyl, CD and streaming services, and a tour starts next month.",
]


def test_ordinary_news_with_a_cue_word_is_withheld() -> None:
    """A cue word in an album review gives the rules an event; the model's confidence in it is
    below the publish threshold."""
    doc = Document(text="\n".join(REVIEW), title="Album review", published="2020-05-05")
    assert rule_events(doc)
    assert not confident(extract_events(doc), load(None, {}).extract.min_confidence)


def _event(summary: str, etype: str, admin1: str | None, conf: float, **kw: object) -> Event:
    return Event(
        id=summary[:8],
        event_type=etype,
        sub_event_type=etype,
        date=None,
        location=Location(name=admin1, admin1=admin1, country="SY"),
        actors=(),
        fatalities=kw.get("fatalities"),  # type: ignore[arg-type]
        injured=None,
        summary=summary,
        confidence=conf,
    )


def test_one_event_per_incident_on_a_page() -> None:
    """Two events of one family in one area are one incident (the more confident stays);
    another province is another incident."""
    a = _event("Clashes in Idlib killed 10.", "Battles", "Idlib", 0.7)
    b = _event("Shelling of Idlib villages.", "Explosions/Remote violence", "Idlib", 0.9)
    c = _event("Army raid near Latakia.", "Battles", "Latakia", 0.6)
    assert once_each([a, b, c]) == [b, c]


def test_after_the_lead_only_a_dated_or_counted_incident_stands() -> None:
    """In a long article a later sentence with no day or toll of its own weighs less, and a
    quotation less still; one naming yesterday or a toll weighs fully."""
    filler = "The region has a long history. " * 30
    later = [
        "Troops have been training the opposition at the base.",
        "Troops attacked the base yesterday.",
        "Troops attacked the base, killing 4.",
        "\u201cTroops attacked the base,\u201d he said.",
    ]
    doc = Document(text="Lead sentence.\n" + filler + "\n".join(later), published="2020-01-10")
    weights = [
        told(doc, _event(s, "Battles", "Idlib", 0.9, fatalities=4 if "4" in s else None))
        for s in later
    ]
    assert weights[1] == weights[2] == 1.0
    assert weights[3] < weights[0] < 1.0


def test_min_confidence_setting_from_env_and_checked() -> None:
    """extract.min_confidence comes from NEWSINGEST_EXTRACT_MIN_CONFIDENCE and must be 0..1."""
    assert load(None, {"NEWSINGEST_EXTRACT_MIN_CONFIDENCE": "0.7"}).extract.min_confidence == 0.7
    with pytest.raises(ConfigError, match=r"extract\.min_confidence"):
        load(None, {"NEWSINGEST_EXTRACT_MIN_CONFIDENCE": "1.5"})


def test_a_record_year_starts_no_span() -> None:
    """ "The deadliest avalanche since 1962" is today's incident, not a total since 1962."""
    found = extract_events(
        Document(
            text="Five snowboarders are killed in an avalanche on Loveland Pass in Colorado, "
            "the deadliest avalanche in the state since 1962.",
            published="2013-04-21",
        )
    )
    assert found and found[0].event_type == "Natural disaster" and found[0].fatalities == 5
