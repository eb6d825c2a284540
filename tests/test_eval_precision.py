"""bench/eval_precision.py: the hand-judged verdicts file loads, and a verdict applies to the
events it was judged for and to no others."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location(
    "eval_precision", ROOT / "bench" / "eval_precision.py"
)
assert SPEC and SPEC.loader
ep = importlib.util.module_from_spec(SPEC)
sys.modules[SPEC.name] = ep  # dataclasses look their module up while the file loads
SPEC.loader.exec_module(ep)


def write(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "labels.jsonl"
    lines = ["# header comment", *(json.dumps(r) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_committed_labels_load_with_known_verdicts() -> None:
    labels = ep.load_labels(ep.LABELS)
    assert len(labels) > 150
    every = [label for rows in labels.values() for label in rows]
    assert {label.verdict for label in every} == set(ep.VERDICTS)
    assert all(label.pattern for label in every if label.verdict == "no_event")


def test_no_event_holds_for_any_type_an_incident_only_for_its_type(tmp_path: Path) -> None:
    labels = ep.load_labels(
        write(
            tmp_path,
            [
                {
                    "page": "a.html",
                    "summary": "Stocks rallied.",
                    "type": "Protests / Peaceful protest",
                    "verdict": "no_event",
                    "pattern": "everyday sense",
                },
                {
                    "page": "a.html",
                    "summary": "Police arrested six.",
                    "type": "Organized crime",
                    "verdict": "event",
                },
                {
                    "page": "a.html",
                    "summary": "Police arrested six.",
                    "type": "Strategic developments / Arrests",
                    "verdict": "wrong_type",
                },
            ],
        )
    )
    rally = ep.Found("a.html", "Stocks rallied.", "Riots / Mob violence")
    assert ep.label_for(rally, labels).verdict == "no_event"
    assert (
        ep.label_for(ep.Found("a.html", "Police arrested six.", "Organized crime"), labels).verdict
        == "event"
    )
    arrests = ep.Found("a.html", "Police arrested six.", "Strategic developments / Other")
    assert ep.label_for(arrests, labels).verdict == "wrong_type"  # same event_type, other sub-type
    assert ep.label_for(ep.Found("a.html", "Police arrested six.", "Diplomacy"), labels) is None
    assert ep.label_for(ep.Found("b.html", "Stocks rallied.", "Diplomacy"), labels) is None


def test_unknown_verdict_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, [{"page": "a", "summary": "s", "type": "Diplomacy", "verdict": "maybe"}])
    with pytest.raises(ValueError, match="maybe"):
        ep.load_labels(path)


def test_kind_names_the_sub_type_only_when_it_differs() -> None:
    assert (
        ep.kind_of({"event_type": "Organized crime", "sub_event_type": "Organized crime"})
        == "Organized crime"
    )
    assert (
        ep.kind_of({"event_type": "Battles", "sub_event_type": "Armed clash"})
        == "Battles / Armed clash"
    )
    assert ep.kind_of({"event_type": "Diplomacy", "sub_event_type": None}) == "Diplomacy"
