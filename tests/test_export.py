"""export_training_data / export_label_matrix on both backends: contents, and write -> read back equal per format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from snorkel_ie import LabelAnnotator, export_training_data
from snorkel_ie.db.models import Document, RawText, Sentence, Span, candidate_subclass, save_candidate_class
from snorkel_ie.db.models.raw_text import text_token_arrays
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.export import export_label_matrix, read_label_matrix, read_training_data
from snorkel_ie.labeling import save_gold_labels, save_marginals

Pair = candidate_subclass("ExportPair", ["left", "right"])
Comment = candidate_subclass("ExportComment", ["comment"])
Topic = candidate_subclass("ExportTopic", ["comment"], cardinality=3)

DOC_TEXT = 'Intro line.  Ann Lee, "the CEO", met Bob and Eve in Zürich.'
SENT_START = DOC_TEXT.index("Ann")
COMMENTS = ["Check out my channel, NOW!", "NA", ' quotes "inside", commas, and\na new line ', "café ☕ good song"]


def LF_caps(c) -> int:
    return 1 if any(w.isupper() and len(w) > 1 for w in c.get_parent().words) else 0


def LF_song(c) -> int:
    return -1 if "song" in c.get_parent().text else 0


def _pair_candidates(session) -> list:
    doc = Document("news-1")
    text = DOC_TEXT[SENT_START:]
    arrays = text_token_arrays(text)
    arrays["abs_char_offsets"] = [SENT_START + o for o in arrays["char_offsets"]]
    sent = Sentence(
        document=doc, position=0, stable_id=f"news-1::sentence:{SENT_START}:{len(DOC_TEXT)}", text=text, **arrays
    )
    spans = {}
    for name in ("Ann Lee", "Bob", "Eve"):
        a = text.index(name)
        spans[name] = Span(
            sentence=sent,
            char_start=a,
            char_end=a + len(name),
            stable_id=f"news-1::span:{SENT_START + a}:{SENT_START + a + len(name)}",
        )
    cands = [
        Pair(left=spans["Ann Lee"], right=spans["Bob"], split=0),
        Pair(left=spans["Bob"], right=spans["Eve"], split=0),
    ]
    session.add(doc)
    session.add_all(cands)
    session.commit()
    return cands


def _comment_candidates(session, cls=Comment, split=0) -> list:
    cands = [
        cls(comment=RawText(stable_id=f"{cls.__name__}-{i}", text=t, meta={"i": i}), split=split)
        for i, t in enumerate(COMMENTS)
    ]
    session.add_all(cands)
    session.commit()
    with session.get_bind().begin() as conn:
        save_candidate_class(conn, cls)
    return cands


@pytest.fixture
def labeled_comments(session):
    cands = _comment_candidates(session)
    LabelAnnotator(lfs=[LF_caps, LF_song]).apply(split=0, session=session, progress=False)
    save_marginals(session, cands[:3], [0.9, 0.25, 1 / 3])
    save_gold_labels(session, cands[:2] + cands[3:], [1, -1, -1])
    return cands


def test_export_has_one_row_per_candidate_with_offsets_into_the_document(session) -> None:
    cands = _pair_candidates(session)
    df = export_training_data(session, 0)
    assert df["candidate_id"].tolist() == sorted(c.id for c in cands)
    assert list(df.columns) == [
        "candidate_id", "type", "split", "stable_ids", "document",
        "left_text", "left_start", "left_end", "left_stable_id",
        "right_text", "right_start", "right_end", "right_stable_id",
        "sentence", "marginal", "gold",
    ]  # fmt: skip
    assert df["left_text"].tolist() == ["Ann Lee", "Bob"] and df["right_text"].tolist() == ["Bob", "Eve"]
    for arg in ("left", "right"):
        for text, a, b in zip(df[f"{arg}_text"], df[f"{arg}_start"], df[f"{arg}_end"], strict=True):
            assert DOC_TEXT[a:b] == text
    assert df["stable_ids"][0] == f"{df['left_stable_id'][0]}~~{df['right_stable_id'][0]}"
    assert set(df["document"]) == {"news-1"} and df["sentence"][0] == DOC_TEXT[SENT_START:]
    assert df["marginal"].isna().all() and df["gold"].isna().all()  # nothing stored yet


def test_export_carries_marginals_gold_and_the_label_matrix(session, labeled_comments) -> None:
    df = export_training_data(session, 0)
    assert df["comment_text"].tolist() == COMMENTS
    np.testing.assert_allclose(df["marginal"].to_numpy()[:3], [0.9, 0.25, 1 / 3])
    assert np.isnan(df["marginal"][3])
    assert df["gold"].tolist() == [1, -1, pd.NA, -1]
    L = export_label_matrix(session, 0)
    assert list(L.columns) == ["LF_caps", "LF_song"] and L.index.tolist() == df["candidate_id"].tolist()
    assert L.to_numpy().tolist() == [[1, 0], [1, 0], [0, 0], [0, -1]]
    assert "gold" not in export_training_data(session, 0, gold=None).columns


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_training_data_round_trips(session, labeled_comments, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"train.{fmt}"
    df = export_training_data(session, 0, path=path)
    back = read_training_data(path)
    pd.testing.assert_frame_equal(back, df)
    assert back["comment_text"][1] == "NA" and back["comment_text"][2] == COMMENTS[2]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "npz"])
def test_label_matrix_round_trips(session, labeled_comments, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"L.{fmt}"
    df = export_training_data(session, 0, label_matrix=path)
    back = read_label_matrix(path)
    pd.testing.assert_frame_equal(back, export_label_matrix(session, 0))
    assert back.index.tolist() == df["candidate_id"].tolist()


def test_categorical_marginals_get_one_column_per_class(session, tmp_path: Path) -> None:
    cands = _comment_candidates(session, Topic, split=2)
    probs = np.array([[0.2, 0.5, 0.3], [1.0, 0.0, 0.0], [0.1, 0.1, 0.8], [1 / 3, 1 / 3, 1 / 3]])
    save_marginals(session, cands, probs)
    df = export_training_data(session, 2, path=tmp_path / "t.parquet")
    np.testing.assert_allclose(df[["marginal_1", "marginal_2", "marginal_3"]].to_numpy(), probs)
    pd.testing.assert_frame_equal(read_training_data(tmp_path / "t.parquet"), df)


def test_export_asks_which_class_when_a_split_holds_several(session, tmp_path: Path) -> None:
    _pair_candidates(session)
    _comment_candidates(session)
    with pytest.raises(
        ConfigurationError, match=r"split 0 holds candidates of types \['exportcomment', 'exportpair'\]"
    ):
        export_training_data(session, 0)
    assert len(export_training_data(session, 0, candidate_class="ExportPair")) == 2
    assert len(export_training_data(session, 0, candidate_class=Comment)) == 4
    with pytest.raises(ConfigurationError, match=r"cannot tell the format of 'train\.txt'"):
        export_training_data(session, 0, candidate_class=Comment, path="train.txt")
    with pytest.raises(ConfigurationError, match="split 5 holds no candidates"):
        export_training_data(session, 5)


def test_export_command_writes_both_files(db_url: str, session, labeled_comments, tmp_path: Path) -> None:
    from snorkel_ie.cli import cli

    out, lab = tmp_path / "train.jsonl", tmp_path / "L.npz"
    result = CliRunner().invoke(
        cli, ["export", "--db", db_url, "--split", "0", "--out", str(out), "--labels", str(lab)]
    )
    assert result.exit_code == 0, result.output
    assert "4 candidates" in result.output
    pd.testing.assert_frame_equal(read_training_data(out), export_training_data(session, 0))
    pd.testing.assert_frame_equal(read_label_matrix(lab), export_label_matrix(session, 0))
