"""`make train`: rebuild the incident-report model (data/incident_model.npz + .json) from
../shared/train. Needs scikit-learn (`pip install -e '.[train]'`); the service does not.

Training data, all from ../shared/train (READMEs there give sources and licences):
- Wikipedia Current Events bullets, labelled by their editors' heading folded to a topic
  (conflict, disaster, crime, politics, intl, business, arts, sport, science, health);
- UCDP GED news headlines (a seeded sample, one headline part each), as `conflict`;
- sentences and titles of the unlabelled web pages (a seeded sample), as `page`: ordinary page
  text, weak negatives.
No evaluation set is read. Deterministic: seeded samples, a deterministic solver, sorted
vocabulary; the same data gives the same file.

Calibration: in three folds, a model trained without a fold's Current Events bullets reads
them (the extractor as it runs, model-guided typing included), and each event's family
probability is paired with whether its type fits the bullet's heading (conflict and disaster
headings; on quiet headings no event is right); Platt scaling is fitted to those pairs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .model import CARD_FILE, FAMILY_TOPICS, MODEL_FILE, features

SEED = 20261206
UCDP_ROWS = 4000
PAGE_SENTENCES_PER_PAGE = 20
PAGE_SENTENCES = 12000
C = 4.0  # inverse regularisation; chosen on a 10% split of the training rows
FOLDS = 3
SAMPLE_FILE = Path(__file__).resolve().parents[2] / "tests" / "data" / "model_sample.jsonl"

# The six ACLED types (political violence, demonstrations, strategic developments): an event
# of one of them is right on a Current Events "Armed conflicts and attacks" bullet.
CONFLICT_TYPES = {
    "Battles",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Protests",
    "Riots",
    "Strategic developments",
}
DISASTER_TYPES = {"Natural disaster", "Man-made disaster"}


def shared_dir() -> Path:
    root = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("NEWSINGEST_SHARED") or root.parent / "shared")


def topic(category: str) -> str | None:
    """A Current Events heading, spelling variants folded, as the model's topic."""
    c = category.lower()
    for words, name in (
        (("armed", "attack"), "conflict"),
        (("disaster", "accident"), "disaster"),
        (("law", "crime"), "crime"),
        (("international",), "intl"),
        (("politic",), "politics"),
        (("business", "econom", "financ"), "business"),
        (("art", "entertainment", "culture"), "arts"),
        (("sport",), "sport"),
        (("science", "technolog"), "science"),
        (("health", "medic", "environment"), "health"),
    ):
        if any(w in c for w in words):
            return name
    return None


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def training_rows(
    train: Path, rnd: random.Random
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """(texts, topics, the Current Events rows with their topic) from the training files."""
    from .engine import split_sentences

    texts: list[str] = []
    labels: list[str] = []
    bullets = []
    for row in read_jsonl(train / "wcep_train.jsonl"):
        t = topic(row["category"])
        if t:
            texts.append(row["text"])
            labels.append(t)
            bullets.append({**row, "topic": t})
    ucdp = read_jsonl(train / "ucdp_ged_train.jsonl")
    rnd.shuffle(ucdp)
    for row in ucdp[:UCDP_ROWS]:
        part = next((p.strip() for p in row["text"].split(";") if len(p.split()) >= 4), None)
        if part:
            texts.append(part)
            labels.append("conflict")
    sentences: list[str] = []
    for page in read_jsonl(train / "article_pages.jsonl"):
        some = [s for s in split_sentences(page["text"]) if len(s.split()) >= 5]
        rnd.shuffle(some)
        sentences += some[:PAGE_SENTENCES_PER_PAGE]
        if page.get("title"):
            sentences.append(page["title"])
    rnd.shuffle(sentences)
    texts += sentences[:PAGE_SENTENCES]
    labels += ["page"] * len(sentences[:PAGE_SENTENCES])
    return texts, labels, bullets


def fit(texts: list[str], labels: list[str]) -> tuple[Any, Any, Any]:
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    vec = CountVectorizer(analyzer=features, min_df=2, binary=True)
    tfidf = TfidfTransformer()
    x = tfidf.fit_transform(vec.fit_transform(texts))
    clf = LogisticRegression(C=C, max_iter=3000)
    clf.fit(x, labels)
    return vec, tfidf, clf


def predict(model: tuple[Any, Any, Any], texts: list[str]) -> Any:
    vec, tfidf, clf = model
    return clf.predict_proba(tfidf.transform(vec.transform(texts)))


def as_incident_model(model: tuple[Any, Any, Any], calibration: dict[str, float]) -> Any:
    """The scikit-learn model in the form the service reads (model.IncidentModel)."""
    from .model import Calibration, IncidentModel

    vec, tfidf, clf = model
    return IncidentModel(
        classes=tuple(str(c) for c in clf.classes_),
        vocabulary={str(n): i for i, n in enumerate(vec.get_feature_names_out())},
        idf=tfidf.idf_.astype(np.float32),
        weights=clf.coef_.T.astype(np.float32),
        intercept=clf.intercept_.astype(np.float32),
        calibration=Calibration(**calibration),
    )


def calibration_points(
    bullets: list[dict[str, Any]], labels: list[str], rnd: random.Random
) -> tuple[list[float], list[int]]:
    """(family probability, right) for each event found in a Current Events bullet, every
    bullet read by a model trained without it (k folds): the model both guides the reading
    (model-read types, missed reports) and gives the probability."""
    from workers.records import Document

    from .engine import rule_events
    from .model import topics, use_model

    texts = [b["text"] for b in bullets]
    order = list(range(len(bullets)))
    rnd.shuffle(order)
    xs: list[float] = []
    ys: list[int] = []
    for k in range(FOLDS):
        held = sorted(order[k::FOLDS])
        seen = sorted(set(order) - set(held))
        model = fit([texts[i] for i in seen], [labels[i] for i in seen])
        right = np.mean(
            [
                model[2].classes_[j] == labels[i]
                for i, j in zip(held, predict(model, [texts[i] for i in held]).argmax(1))
            ]
        )
        print(f"  fold {k + 1}/{FOLDS}: topic accuracy on its held-out bullets {right:.3f}")
        use_model(as_incident_model(model, {"slope": 1.0, "intercept": 0.0}))
        try:
            for i in held:
                row = bullets[i]
                want = {"conflict": CONFLICT_TYPES, "disaster": DISASTER_TYPES}.get(row["topic"])
                if want is None and row["topic"] not in ("arts", "sport", "science", "business"):
                    continue  # headings that do not say which events are right
                doc = Document(text=row["text"], doc_id=row["id"], published=row["date"])
                for e in rule_events(doc):
                    p = topics(e.summary)
                    xs.append(sum(p[t] for t in FAMILY_TOPICS[e.event_type]))
                    ys.append(int(want is not None and e.event_type in want))
        finally:
            use_model(None)
    return xs, ys


def calibrate(xs: list[float], ys: list[int]) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression

    p = np.clip(np.array(xs), 1e-6, 1 - 1e-6)
    z = np.log(p / (1 - p)).reshape(-1, 1)
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(z, ys)
    return {"slope": float(lr.coef_[0][0]), "intercept": float(lr.intercept_[0])}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_model(model: tuple[Any, Any, Any], path: Path) -> None:
    vec, tfidf, clf = model
    names = vec.get_feature_names_out()
    np.savez_compressed(
        path,
        vocabulary=np.array("\n".join(names)),
        classes=np.array(list(clf.classes_)),
        idf=tfidf.idf_.astype(np.float32),
        weights=clf.coef_.T.astype(np.float32),
        intercept=clf.intercept_.astype(np.float32),
    )


def main() -> int:
    ap = argparse.ArgumentParser(description="rebuild the incident-report model")
    ap.add_argument("--out", type=Path, default=MODEL_FILE.parent)
    args = ap.parse_args()
    train = shared_dir() / "train"
    if not train.is_dir():
        print(f"training data absent: {train} (set NEWSINGEST_SHARED)", file=sys.stderr)
        return 2
    t0 = time.time()
    rnd = random.Random(SEED)
    texts, labels, bullets = training_rows(train, rnd)
    print(
        f"{len(texts)} training rows: "
        + ", ".join(f"{t} {labels.count(t)}" for t in sorted(set(labels)))
    )
    xs, ys = calibration_points(bullets, labels[: len(bullets)], rnd)
    calibration = calibrate(xs, ys)
    print(f"calibration on {len(xs)} rule events ({sum(ys)} right): {calibration}")
    model = fit(texts, labels)
    args.out.mkdir(parents=True, exist_ok=True)
    write_model(model, args.out / MODEL_FILE.name)
    sample = [r["text"] for r in read_jsonl(SAMPLE_FILE)]
    card = {
        "what": "incident-report topic model: multinomial logistic regression, "
        "binary word/word-pair/prefix features, idf, L2 norm",
        "trained": datetime.now(UTC).strftime("%Y-%m-%d"),
        "seed": SEED,
        "C": C,
        "data": {
            name: {"sha256": sha256(train / name)}
            for name in ("wcep_train.jsonl", "ucdp_ged_train.jsonl", "article_pages.jsonl")
        },
        "rows": {t: labels.count(t) for t in sorted(set(labels))},
        "features": len(model[0].vocabulary_),
        "calibration": calibration,
        "calibration_events": {"n": len(xs), "right": sum(ys)},
        "attribution": [
            "Wikipedia contributors, Portal:Current events (en.wikipedia.org), CC BY-SA 4.0",
            "UCDP Georeferenced Event Dataset (GED), Uppsala Conflict Data Program, "
            "ucdp.uu.se, CC BY 4.0",
        ],
        "sample_probabilities": [
            [round(float(v), 6) for v in row] for row in predict(model, sample)
        ],
        "classes": list(model[2].classes_),
        "seconds": round(time.time() - t0),
    }
    (args.out / CARD_FILE.name).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(
        f"wrote {args.out / MODEL_FILE.name} ({(args.out / MODEL_FILE.name).stat().st_size} "
        f"bytes) in {time.time() - t0:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
