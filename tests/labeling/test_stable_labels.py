"""reload_annotator_labels: stable labels become gold labels of the matching candidates (both backends)."""

from __future__ import annotations

import pytest

from snorkel_ie.db.models import Document, RawText, Span, StableLabel, candidate_subclass, span_stable_id
from snorkel_ie.errors import CandidateError
from snorkel_ie.labeling import load_gold_labels
from snorkel_ie.labeling.stable_labels import reload_annotator_labels
from tests.labeling.conftest import _sentence

Pair = candidate_subclass("StablePair", ["a", "b"])
Text = candidate_subclass("StableText", ["text"])
TEXT = "Ann married Bob. Cat met Dan."


def _pairs(session, split: int = 1) -> tuple[list, dict[str, Span]]:
    doc = Document("news1")
    spans = {}
    for pos, (start, end, names) in enumerate([(0, 16, ("Ann", "Bob")), (17, 29, ("Cat", "Dan"))]):
        sent = _sentence(doc, pos, TEXT, start, end)
        for name in names:
            a = TEXT.index(name)
            spans[name] = Span(
                sentence=sent, char_start=a - start, char_end=a - start + 3, stable_id=span_stable_id("news1", a, a + 3)
            )
    cands = [Pair(a=spans["Ann"], b=spans["Bob"], split=split), Pair(a=spans["Cat"], b=spans["Dan"], split=split)]
    session.add(doc)
    session.add_all(cands)
    session.commit()
    return cands, spans


def _sid(*spans: Span) -> str:
    return "~~".join(s.stable_id for s in spans)


def test_reload_writes_gold_for_matching_candidates_and_keeps_existing(session) -> None:
    _cands, s = _pairs(session)
    session.add_all(
        [
            StableLabel(_sid(s["Ann"], s["Bob"]), "gold", 1, split=1),
            StableLabel(_sid(s["Cat"], s["Dan"]), "gold", -1, split=1),
            StableLabel(_sid(s["Bob"], s["Ann"]), "gold", 1, split=1),  # no candidate in this order
            StableLabel("news9::span:0:3~~news9::span:5:8", "gold", 1, split=1),  # no such contexts
            StableLabel(_sid(s["Ann"], s["Bob"]), "other", -1, split=2),
        ]
    )
    session.commit()
    assert reload_annotator_labels(session, Pair, "gold", split=1) == 2
    assert load_gold_labels(session, annotator_name="gold", split=1).toarray().ravel().tolist() == [1, -1]
    # a second run writes nothing; another annotator's labels are filtered by their split
    assert reload_annotator_labels(session, Pair, "gold", 1) == 0
    assert reload_annotator_labels(session, Pair, "other", 1) == 0
    assert reload_annotator_labels(session, Pair, "other", 1, filter_label_split=False) == 1
    assert load_gold_labels(session, annotator_name="other", split=1).toarray().ravel().tolist() == [-1, 0]


def test_reload_creates_missing_candidates_when_asked(session) -> None:
    _cands, s = _pairs(session)
    session.add(StableLabel(_sid(s["Bob"], s["Ann"]), "gold", -1, split=1))
    session.commit()
    assert reload_annotator_labels(session, Pair, "gold", 1, True, True) == 1
    assert session.query(Pair).filter(Pair.split == 1).count() == 3
    assert load_gold_labels(session, split=1).toarray().ravel().tolist() == [0, 0, -1]


def test_reload_matches_raw_texts_by_their_own_stable_id(session) -> None:
    session.add_all([Text(text=RawText(stable_id=f"tweet{i}", text=f"text {i}"), split=0) for i in range(3)])
    session.add_all([StableLabel("tweet2", "crowd", 3, split=0), StableLabel("tweet0", "crowd", 1, split=0)])
    session.commit()
    assert reload_annotator_labels(session, Text, "crowd", 0) == 2
    assert load_gold_labels(session, annotator_name="crowd", split=0).toarray().ravel().tolist() == [1, 0, 3]


def test_reload_needs_a_candidate_class(session) -> None:
    with pytest.raises(CandidateError, match="candidate_subclass"):
        reload_annotator_labels(session, "StablePair", "gold", 1)
