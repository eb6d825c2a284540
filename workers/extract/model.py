"""The learned incident-report model: what kind of news a sentence is, as probabilities.

A multinomial logistic regression over word, word-pair and word-prefix features, trained by
`make train` (workers/extract/train.py) on Wikipedia Current Events bullets under their
editors' headings, UCDP GED news headlines and sentences of ordinary web pages. Its classes are
news topics: `conflict` and `disaster` (incident reports), `crime`, `politics`, `intl`, and the
quiet ones (`arts`, `sport`, `science`, `business`, `health`, `page`: a sentence of an ordinary
web page). The file ships in the package and is read once per process; nothing is downloaded.

Scoring is the trained model's own arithmetic, redone here with numpy so that the service does
not need scikit-learn: binary n-gram presence, times the idf, L2-normalised, dot the class
weights, softmax. A test checks it against the probabilities scikit-learn gave at training time.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt

DATA = Path(__file__).parent / "data"
MODEL_FILE = DATA / "incident_model.npz"
CARD_FILE = DATA / "incident_model.json"

TOKEN = re.compile(r"[^\W\d_]+|\d+")
PREFIX = 5  # a word's first letters stand for its inflections ("bombings" -> "bombi")

QUIET = ("arts", "sport", "science", "business", "health", "page")
# The topics under which a report of each event family is filed. A protest is news of
# politics or of law and order as often as of conflict; diplomacy is international relations.
FAMILY_TOPICS: dict[str, tuple[str, ...]] = {
    "Battles": ("conflict",),
    "Explosions/Remote violence": ("conflict",),
    "Violence against civilians": ("conflict", "crime"),
    "Organized crime": ("crime", "conflict"),
    "Protests": ("politics", "crime", "conflict"),
    "Riots": ("politics", "crime", "conflict"),
    "Strategic developments": ("conflict", "crime"),
    "Natural disaster": ("disaster",),
    "Man-made disaster": ("disaster",),
    "Diplomacy": ("intl",),
}


def features(text: str) -> list[str]:
    """The model's features of a text: words, adjacent word pairs and long words' prefixes."""
    words = ["0" if w.isdigit() else w for w in TOKEN.findall(text.lower())]
    out = ["w:" + w for w in words]
    out += [f"b:{a} {b}" for a, b in pairwise(words)]
    out += ["p:" + w[:PREFIX] for w in words if len(w) > PREFIX]
    return out


@dataclass(frozen=True, slots=True)
class Calibration:
    """Platt scaling of a family probability into the chance an event is a real incident."""

    slope: float
    intercept: float

    def __call__(self, p: float) -> float:
        p = min(max(p, 1e-6), 1 - 1e-6)
        z = self.slope * math.log(p / (1 - p)) + self.intercept
        return 1 / (1 + math.exp(-z))


@dataclass(frozen=True, slots=True)
class IncidentModel:
    classes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: npt.NDArray[np.float32]
    weights: npt.NDArray[np.float32]  # features x classes
    intercept: npt.NDArray[np.float32]
    calibration: Calibration

    def probabilities(self, text: str) -> dict[str, float]:
        """P(topic | text) for every class; uniform for a text with no known feature."""
        vocab = self.vocabulary
        index = sorted({vocab[f] for f in features(text) if f in vocab})
        z = self.intercept.astype(np.float64)
        if index:
            x = self.idf[index].astype(np.float64)
            x /= math.sqrt(float(x @ x))
            z = z + x @ self.weights[index].astype(np.float64)
        e = np.exp(z - z.max())
        p = e / e.sum()
        return dict(zip(self.classes, p.tolist()))


def family_probability(probs: dict[str, float], event_type: str) -> float:
    """How likely the text is news of the kind an event of this type is filed under."""
    return sum(probs.get(t, 0.0) for t in FAMILY_TOPICS.get(event_type, ()))


def hard_news(probs: dict[str, float]) -> float:
    """How likely the text is hard news (not arts, sport, science, business, health, a page)."""
    return 1.0 - sum(probs.get(t, 0.0) for t in QUIET)


@lru_cache(maxsize=4096)
def topics(text: str) -> dict[str, float]:
    """The model's topic probabilities of a text (cached: an event's sentence is read when it
    is typed and again when it is judged)."""
    return incident_model().probabilities(text)


_in_use: list[IncidentModel] = []  # a model being trained, in place of the shipped one


def use_model(model: IncidentModel | None) -> None:
    """Read with this model instead of the shipped one (None: the shipped one again); for
    training, where each fold's events must be judged by a model that did not see them."""
    _in_use[:] = [model] if model is not None else []
    topics.cache_clear()


def incident_model() -> IncidentModel:
    """The model in use: the shipped one unless training put another in its place."""
    return _in_use[0] if _in_use else shipped_model()


@lru_cache(maxsize=1)
def shipped_model() -> IncidentModel:
    """The shipped model, read once per process."""
    with np.load(MODEL_FILE, allow_pickle=False) as z:
        names = str(z["vocabulary"]).split("\n")
        card = json.loads(CARD_FILE.read_text(encoding="utf-8"))
        return IncidentModel(
            classes=tuple(str(c) for c in z["classes"]),
            vocabulary={n: i for i, n in enumerate(names)},
            idf=z["idf"].astype(np.float32),
            weights=z["weights"].astype(np.float32),
            intercept=z["intercept"].astype(np.float32),
            calibration=Calibration(**card["calibration"]),
        )
