"""Unit tests of the pure dedup core: canonical URLs, text hashes, MinHash and the verdict."""

from __future__ import annotations

import random

import pytest

from workers import dedup
from workers.dedup import Candidate, Fingerprint, fingerprint

_WORDS = [
    "army",
    "rebels",
    "town",
    "province",
    "minister",
    "police",
    "killed",
    "wounded",
    "village",
    "attack",
    "troops",
    "officials",
    "said",
    "statement",
    "border",
    "fighting",
    "civilians",
    "hospital",
    "market",
    "convoy",
    "city",
    "government",
    "forces",
    "spokesman",
    "monday",
    "tuesday",
    "reported",
    "drone",
    "strike",
    "local",
    "residents",
]


def _prose(seed: int, sentences: int = 24) -> str:
    """Deterministic news-like text: paragraphs of random sentences from a small vocabulary."""
    rng = random.Random(seed)
    out = []
    for i in range(sentences):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(10, 22))]
        out.append(" ".join(words).capitalize() + ".")
        if i % 3 == 2:
            out.append("\n")
    return " ".join(out).replace(" \n ", "\n").strip()


STORY = (
    "Clashes between government forces and rebels near the town of Saraqeb killed at least 14 "
    "people on Tuesday, a monitoring group said.\n"
    "The fighting began before dawn when rebel units attacked army positions on the main "
    "highway linking the provincial capital to the coast.\n"
    "Residents said artillery fire continued through the morning and that dozens of families "
    "had fled towards camps near the Turkish border.\n"
    "The defence ministry said in a statement that its troops had repelled the assault and "
    "inflicted heavy losses on what it called terrorist groups.\n"
    "Aid agencies warned that hospitals in the area were already overwhelmed after weeks of "
    "bombardment and that medical supplies were running low.\n"
    "A ceasefire brokered last year has repeatedly broken down, with both sides accusing each "
    "other of violations along the front line."
)


def _candidate(text: str, url: str = "https://example.com/a") -> Candidate:
    return Candidate(dedup.article_key(url), url, fingerprint(text))


# --- canonical URLs -------------------------------------------------------------------------


def test_tracking_parameters_are_stripped_and_query_sorted() -> None:
    """utm_*, fbclid, gclid and mc_cid go; the remaining parameters are sorted."""
    url = "https://example.com/news/1?utm_source=rss&b=2&fbclid=x&a=1&gclid=y&mc_cid=z"
    assert dedup.canonical_url(url) == "https://example.com/news/1?a=1&b=2"


def test_scheme_host_port_fragment_and_slash_are_normalised() -> None:
    """Case, http/https, www., the default port, the fragment and a trailing slash do not matter."""
    variants = [
        "HTTP://WWW.Example.COM:80/World/Story/#comments",
        "https://example.com:443/World/Story",
        "https://www.example.com/World/Story/",
    ]
    assert {dedup.canonical_url(u) for u in variants} == {"https://example.com/World/Story"}


def test_meaningful_parameters_are_kept() -> None:
    """A parameter that selects the page (id, page, gallery) is not taken for a tracker."""
    assert dedup.canonical_url("https://e.com/a?id=7&gallery=2") == "https://e.com/a?gallery=2&id=7"


def test_page_canonical_preferred_on_the_same_site() -> None:
    """rel=canonical on the same registered domain (any subdomain) wins, relative or absolute."""
    assert (
        dedup.canonical_url("https://m.bbc.co.uk/x?ocid=1", "https://www.bbc.co.uk/news/x")
        == "https://bbc.co.uk/news/x"
    )
    assert dedup.canonical_url("https://e.com/amp/x", "/news/x") == "https://e.com/news/x"


def test_page_canonical_ignored_on_another_site_or_at_the_home_page() -> None:
    """A canonical on another site, or one pointing at the home page, is not trusted."""
    assert dedup.canonical_url("https://e.com/a", "https://other.org/a") == "https://e.com/a"
    assert dedup.canonical_url("https://e.com/a", "https://e.com/") == "https://e.com/a"
    assert dedup.canonical_url("https://e.com/a", "javascript:void(0)") == "https://e.com/a"


def test_article_key_is_short_and_stable() -> None:
    """The key is 16 hex digits and depends only on the canonical URL."""
    key = dedup.article_key("https://e.com/a")
    assert key == dedup.article_key("https://e.com/a") != dedup.article_key("https://e.com/b")
    assert len(key) == 16 and int(key, 16) >= 0


# --- text identity --------------------------------------------------------------------------


def test_normalise_text_drops_case_punctuation_and_spacing() -> None:
    """Casefolded words, single spaces, apostrophes of both kinds removed."""
    assert dedup.normalise_text("  It’s  “FINE” —\n\n it's 1,200. Straße! ") == (
        "its fine its 1 200 strasse"
    )


@pytest.mark.parametrize(
    "other",
    [
        STORY.upper(),
        STORY.replace("\n", "\n\n  "),
        STORY.replace(" ", "  \t"),
        STORY.replace("'", "\u2019").replace(",", " ,"),
    ],
)
def test_text_hash_stable_under_layout(other: str) -> None:
    """Whitespace, case and punctuation spacing do not change the text hash."""
    assert dedup.text_hash(other) == dedup.text_hash(STORY)


def test_text_hash_changes_with_a_word() -> None:
    """One changed figure is a different text."""
    assert dedup.text_hash(STORY.replace("14", "15")) != dedup.text_hash(STORY)


# --- MinHash and bands ----------------------------------------------------------------------


def test_signature_is_deterministic_and_compact() -> None:
    """Same text, same signature of NUM_PERM 16-bit values."""
    sig = dedup.minhash_signature(STORY)
    assert sig == dedup.minhash_signature(STORY)
    assert len(sig) == dedup.NUM_PERM and all(0 <= v <= 0xFFFF for v in sig)


def test_similarity_tracks_exact_jaccard() -> None:
    """The estimate stays within 0.15 of the exact shingle Jaccard across overlaps."""
    base = _prose(1, 60)
    sentences = base.split(". ")
    for keep in (0.3, 0.6, 0.9):
        n = int(len(sentences) * keep)
        other = ". ".join(sentences[:n]) + ". " + _prose(2, 60 - n)
        a, b = dedup.shingles(base), dedup.shingles(other)
        exact = len(a & b) / len(a | b)
        est = dedup.similarity(dedup.minhash_signature(base), dedup.minhash_signature(other))
        assert abs(est - exact) < 0.15, (keep, exact, est)


def test_near_duplicates_share_a_band_and_unrelated_texts_do_not() -> None:
    """A lightly edited copy shares band keys; an unrelated text shares none."""
    bands = set(dedup.lsh_bands(dedup.minhash_signature(STORY)))
    edited = STORY.replace("Tuesday", "Wednesday") + "\nFollow us for updates."
    assert bands & set(dedup.lsh_bands(dedup.minhash_signature(edited)))
    assert not bands & set(dedup.lsh_bands(dedup.minhash_signature(_prose(3))))


def test_fingerprint_round_trips_through_bytes() -> None:
    """to_bytes/from_bytes restore the fingerprint, in well under 1 KB."""
    fp = fingerprint(_prose(4, 80))
    raw = fp.to_bytes()
    assert Fingerprint.from_bytes(raw) == fp
    assert len(raw) < 1024


# --- the verdict ----------------------------------------------------------------------------


def test_first_article_is_new() -> None:
    """With no candidates the verdict is new."""
    assert dedup.decide("https://e.com/a", fingerprint(STORY), []).verdict == "new"


def test_same_url_same_text_is_duplicate_by_url() -> None:
    """A re-polled page with unchanged text is a duplicate with reason canonical_url."""
    v = dedup.decide("https://example.com/a", fingerprint(STORY), [_candidate(STORY)])
    assert (v.verdict, v.reason) == ("duplicate", "canonical_url")


def test_same_text_elsewhere_is_duplicate_by_hash() -> None:
    """The same text on another URL, laid out differently, is a duplicate by text hash."""
    v = dedup.decide("https://other.org/b", fingerprint(STORY.upper()), [_candidate(STORY)])
    assert (v.verdict, v.reason, v.matched) == (
        "duplicate",
        "text_hash",
        dedup.article_key("https://example.com/a"),
    )


@pytest.mark.parametrize(
    "copy",
    [
        "Home | World | Sport\n" + STORY + "\nSign up to our newsletter.\n© 2019 Daily News",
        "\n".join(STORY.split("\n")[:-1]),  # trimmed closing paragraph
        STORY.replace("\n", "\nSmoke rises over Saraqeb on Tuesday. Photo: AFP\n", 1),  # caption
    ],
)
def test_template_variants_are_duplicates(copy: str) -> None:
    """Other template, trimmed boilerplate or an added caption: a near-duplicate, not an update."""
    v = dedup.decide("https://other.org/b", fingerprint(copy), [_candidate(STORY)])
    assert (v.verdict, v.reason) == ("duplicate", "near_duplicate")
    assert v.similarity is not None and v.similarity >= 0.5


def test_added_paragraph_is_an_update() -> None:
    """A new paragraph of prose in the same article makes an update."""
    paragraph = (
        "Later on Tuesday the United Nations called for an immediate halt to the "
        "fighting and said a convoy carrying food and medicine had been turned back."
    )
    revised = STORY.replace("\n", "\n" + paragraph + "\n", 2)
    v = dedup.decide("https://example.com/a", fingerprint(revised), [_candidate(STORY)])
    assert (v.verdict, v.reason) == ("update", "canonical_url")


def test_corrected_casualty_figure_is_an_update() -> None:
    """The same article with a corrected death toll is an update, even on another URL."""
    revised = STORY.replace("at least 14", "at least 19")
    v = dedup.decide("https://example.com/a-v2", fingerprint(revised), [_candidate(STORY)])
    assert (v.verdict, v.reason) == ("update", "near_duplicate")


def test_related_but_different_article_stays_apart() -> None:
    """A follow-up on the same conflict, sharing one background paragraph, is new."""
    background = STORY.split("\n")[-1]
    follow_up = "\n".join([_prose(5, 6), background, _prose(6, 9)])
    v = dedup.decide("https://other.org/c", fingerprint(follow_up), [_candidate(STORY)])
    assert v.verdict == "new"


def test_short_texts_never_match_by_resemblance() -> None:
    """Texts under MIN_SHINGLES shingles match only exactly."""
    v = dedup.decide(
        "https://o.org/x",
        fingerprint("Breaking news: army says"),
        [_candidate("Breaking news: army said")],
    )
    assert v.verdict == "new"
