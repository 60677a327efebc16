"""RawText (a whole text as a candidate's context) and StableLabel rows, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from snorkel_ie.db.models import (
    Document,
    RawText,
    Sentence,
    Span,
    StableLabel,
    candidate_subclass,
    text_token_arrays,
)
from snorkel_ie.errors import CandidateError
from snorkel_ie.labeling import LabelAnnotator

Tweet = candidate_subclass("RawTweet", ["tweet"], cardinality=3)


def _tweets(session, texts: dict[str, str], split: int = 0) -> list:
    cands = [
        Tweet(tweet=RawText(stable_id=sid, text=text, meta={"source": "test"}), split=split)
        for sid, text in texts.items()
    ]
    session.add_all(cands)
    session.commit()
    return cands


def test_text_token_arrays_split_words_and_punctuation_with_offsets() -> None:
    arrays = text_token_arrays("Sunny, 25C today!")
    assert arrays["words"] == ["Sunny", ",", "25C", "today", "!"]
    assert arrays["char_offsets"] == [0, 5, 7, 11, 16]
    assert {len(v) for v in arrays.values()} == {5}


def test_raw_text_candidate_round_trips_its_text_and_backing_rows(session) -> None:
    _tweets(session, {"t1": "Sunny, 25C today!", "t2": "rain again"})
    session.expunge_all()
    assert session.scalar(select(func.count()).select_from(RawText)) == 2
    rt = session.scalars(select(RawText).where(RawText.stable_id == "t1")).one()
    assert (rt.name, rt.text, rt.meta) == ("t1", "Sunny, 25C today!", {"source": "test"})
    assert rt.get_parent().words == ["Sunny", ",", "25C", "today", "!"]
    cand = session.scalars(select(Tweet).where(Tweet.sentence_id == rt.span.sentence_id)).one()
    assert cand.tweet.id == rt.span_id
    assert cand.tweet.text == "Sunny, 25C today!"
    assert cand.tweet.get_attrib_tokens("words")[-2:] == ["today", "!"]
    assert cand.get_parent().document.name == "t1"
    assert cand.get_parent().document.meta == {"source": "test"}


def test_deleting_the_backing_document_removes_the_raw_text_and_its_candidate(session) -> None:
    _tweets(session, {"t1": "cold", "t2": "warm"})
    session.delete(session.scalars(select(Document).where(Document.name == "t1")).one())
    session.commit()
    assert session.scalars(select(RawText.stable_id)).all() == ["t2"]
    assert session.query(Tweet).count() == 1
    assert session.scalar(select(func.count()).select_from(Span)) == 1


def test_labeling_functions_read_raw_text_candidates_through_views(session) -> None:
    _tweets(session, {"t1": "so sunny", "t2": "rain rain", "t3": "grey"})

    def lf_sunny(c):
        return 1 if "sunny" in c.tweet.text else 0

    def lf_rain(c):
        return 2 if c.tweet.get_parent().words.count("rain") > 1 else 0

    L = LabelAnnotator(lfs=[lf_sunny, lf_rain]).apply(split=0, session=session)
    assert L.toarray().tolist() == [[1, 0], [0, 2], [0, 0]]


def test_raw_text_needs_an_id_and_a_string() -> None:
    with pytest.raises(CandidateError, match="stable_id"):
        RawText(text="no id")
    with pytest.raises(CandidateError, match="must be a string"):
        RawText(stable_id="x", text=3)


def test_stable_label_keeps_one_row_per_contexts_and_annotator(session) -> None:
    session.add_all(
        [
            StableLabel("a::span:0:3~~a::span:5:9", "gold", 1, split=1),
            StableLabel(context_stable_ids="a::span:0:3~~a::span:5:9", annotator_name="crowd", value=-1),
        ]
    )
    session.commit()
    rows = session.scalars(select(StableLabel).order_by(StableLabel.annotator_name)).all()
    assert [(r.annotator_name, r.value, r.split) for r in rows] == [("crowd", -1, 0), ("gold", 1, 1)]
    assert rows[0].stable_ids() == ["a::span:0:3", "a::span:5:9"]
    assert session.scalar(select(func.count()).select_from(Sentence)) == 0
