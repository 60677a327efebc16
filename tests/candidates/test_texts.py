"""Text-classification candidates on both backends: one candidate per CSV row, labeled like any candidate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from snorkel_ie import (
    CSVDocPreprocessor,
    DataFrameDocPreprocessor,
    LabelAnnotator,
    add_text_candidates,
    labeling_function,
)
from snorkel_ie.db.models import candidate_subclass, stored_class_spec
from snorkel_ie.errors import CandidateError
from snorkel_ie.examples import youtube_lfs as yt
from snorkel_ie.labeling import load_gold_labels

Comment = candidate_subclass("TextsComment", ["comment"])
ROWS = pd.DataFrame(
    {
        "COMMENT_ID": [f"id{i}" for i in range(7)],
        "CONTENT": [
            "Check out my channel please!!",
            "This song never gets old",
            "subscribe to me, I will subscribe back",
            "2 billion views, wow",
            "I love this song and the video so much",
            "VISIT WWW.EXAMPLE.COM FOR FREE GIFT CARDS NOW",
            "nice",
        ],
        "CLASS": ["1", "0", "1", "0", "0", "1", "0"],
    }
)


def _gold(record) -> int:
    return 1 if record.meta["CLASS"] == "1" else -1


def _on_comment(c, lf):
    return lf(c.comment)


def test_csv_rows_become_candidates_with_splits_and_gold(session, tmp_path: Path) -> None:
    path = tmp_path / "comments.csv"
    ROWS.to_csv(path, index=False)
    reader = CSVDocPreprocessor(path, text="CONTENT", id="COMMENT_ID", meta=["CLASS"])
    summary = add_text_candidates(session, Comment, reader, split=lambda r: int(r.name[2:]) % 2, gold=_gold)
    assert summary == (7, 0, 7)
    cands = session.query(Comment).order_by(Comment.id).all()
    assert [c.comment.text for c in cands] == ROWS.CONTENT.tolist()
    assert [c.split for c in cands] == [i % 2 for i in range(7)]
    assert cands[0].get_parent().document.meta == {"CLASS": "1"}
    assert cands[0].get_parent().words[:3] == ["Check", "out", "my"]
    gold = load_gold_labels(session, "gold", split=0, load_as_array=True)
    assert gold.tolist() == [1, 1, -1, -1]  # rows 0, 2, 4, 6
    assert stored_class_spec(session, "textscomment").arguments == ("comment",)

    again = add_text_candidates(session, Comment, reader, split=0, gold=_gold)
    assert again == (0, 7, 0) and session.query(Comment).count() == 7


def test_text_candidates_are_labeled_like_any_candidate(session) -> None:
    add_text_candidates(session, Comment, DataFrameDocPreprocessor(ROWS, text="CONTENT", id="COMMENT_ID"), batch_size=3)
    lfs = [labeling_function(_on_comment, name=lf.__name__, resources={"lf": lf}) for lf in yt.YOUTUBE_LFS]
    L = LabelAnnotator(lfs=lfs).apply(split=0, session=session, progress=False)
    comments = [yt.Comment(i, t, 0, "v") for i, t in zip(ROWS.COMMENT_ID, ROWS.CONTENT, strict=True)]
    want = yt.label_matrix(comments)
    assert L.lf_names == [lf.__name__ for lf in yt.YOUTUBE_LFS]
    np.testing.assert_array_equal(L.toarray(), want)
    assert np.count_nonzero(want) >= 7
    L_orm = LabelAnnotator(lfs=lfs, orm_candidates=True).apply(split=0, session=session, progress=False, clear=True)
    np.testing.assert_array_equal(L_orm.toarray(), want)


def test_text_candidates_need_a_one_argument_class(session) -> None:
    Pair = candidate_subclass("TextsPair", ["a", "b"])
    with pytest.raises(CandidateError, match="one-argument candidate class"):
        add_text_candidates(session, Pair, [])
