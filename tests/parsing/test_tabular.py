"""Tabular readers (DataFrame, CSV, Parquet): rows to documents, and errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from snorkel_ie.db.models import Document
from snorkel_ie.errors import ConfigurationError, ParseError
from snorkel_ie.parsing import (
    CorpusParser,
    CSVDocPreprocessor,
    DataFrameDocPreprocessor,
    ParquetDocPreprocessor,
    Spacy,
)

FRAME = pd.DataFrame(
    {
        "cid": ["c1", "c2", "c3"],
        "body": ["Great song!", 'Visit my channel,\n"now" please', "I love this. Second sentence."],
        "likes": [3, 0, 12],
        "author": ["ann", "bob", None],
    }
)


def _names_texts_meta(reader) -> list[tuple[str, str, dict]]:
    return [(r.name, r.text, r.meta) for r in reader.records()]


EXPECTED = [
    ("c1", "Great song!", {"likes": 3, "author": "ann"}),
    ("c2", 'Visit my channel,\n"now" please', {"likes": 0, "author": "bob"}),
    ("c3", "I love this. Second sentence.", {"likes": 12, "author": None}),
]


def test_dataframe_reader_rows_become_documents_with_meta() -> None:
    assert _names_texts_meta(DataFrameDocPreprocessor(FRAME, text="body", id="cid")) == EXPECTED
    only = DataFrameDocPreprocessor(FRAME, text="body", id="cid", meta=["likes"], max_docs=2)
    assert [r.meta for r in only.records()] == [{"likes": 3}, {"likes": 0}]


def test_dataframe_reader_without_id_names_rows_by_index_and_yields_07_pairs() -> None:
    pairs = list(DataFrameDocPreprocessor(FRAME.set_index("cid"), text="body", id=None, meta=[]))
    assert [(doc.name, text) for doc, text in pairs] == [
        ("row:c1", FRAME.body[0]),
        ("row:c2", FRAME.body[1]),
        ("row:c3", FRAME.body[2]),
    ]
    assert isinstance(pairs[0][0], Document)


def test_csv_reader_reads_what_pandas_wrote(tmp_path: Path) -> None:
    path = tmp_path / "comments.csv"
    FRAME.to_csv(path, index=False)
    got = _names_texts_meta(CSVDocPreprocessor(path, text="body", id="cid"))
    # CSV cells are text: numbers come back as strings, a missing cell as ''
    assert got == [(n, t, {"likes": str(m["likes"]), "author": m["author"] or ""}) for n, t, m in EXPECTED]


def test_parquet_reader_reads_what_pandas_wrote(tmp_path: Path) -> None:
    path = tmp_path / "comments.parquet"
    FRAME.to_parquet(path, index=False)
    assert _names_texts_meta(ParquetDocPreprocessor(path, text="body", id="cid", batch_size=2)) == EXPECTED


def test_csv_reader_reads_a_folder_in_name_order_with_unique_ids_across_files(tmp_path: Path) -> None:
    FRAME.iloc[:2].to_csv(tmp_path / "a.csv", index=False)
    FRAME.iloc[2:].to_csv(tmp_path / "b.csv", index=False)
    (tmp_path / "notes.txt").write_text("not a table")
    assert [r.name for r in CSVDocPreprocessor(tmp_path, text="body", id="cid").records()] == ["c1", "c2", "c3"]
    FRAME.iloc[:1].to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(ParseError, match=r"c\.csv:2: document id 'c1' already used at .*a\.csv:2"):
        list(CSVDocPreprocessor(tmp_path, text="body", id="cid").records())


def test_csv_reader_error_names_the_line_where_the_bad_row_starts(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('cid,body\nc1,"two\nlines"\nc2,\nc3,fine\n', encoding="utf-8")
    with pytest.raises(ParseError) as info:
        list(CSVDocPreprocessor(path, text="body", id="cid").records())
    assert (info.value.path, info.value.line) == (str(path), 4)
    assert "no text in column 'body'" in str(info.value)


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("id,content\nx,hello\n", 1, r"missing column\(s\) \['text'\]; the table has \['id', 'content'\]"),
        ("id,text\nx,hello\n,world\n", 3, "no document id in column 'id'"),
        ("id,text\nx,hello\ny,world,extra\n", 3, "expected 2 fields"),
        ('id,text\nx,"unclosed\n', 2, "invalid CSV"),
        ("id,text\nx,caf\xe9\n", 2, "cannot decode"),
    ],
)
def test_csv_reader_bad_input_names_file_and_line(tmp_path: Path, content: str, line: int, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(ParseError, match=message) as info:
        list(CSVDocPreprocessor(path).records())
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_csv_reader_can_skip_repeated_rows(tmp_path: Path) -> None:
    path = tmp_path / "dups.csv"
    path.write_text("id,text\nx,hello\nx,hello\ny,world\n")
    with pytest.raises(ParseError, match=r"dups\.csv:3: document id 'x' already used at .*dups\.csv:2"):
        list(CSVDocPreprocessor(path).records())
    assert [r.name for r in CSVDocPreprocessor(path, on_duplicate="skip").records()] == ["x", "y"]


def test_dataframe_and_parquet_errors_name_the_row(tmp_path: Path) -> None:
    bad = FRAME.assign(body=["ok", None, "ok"])
    with pytest.raises(ParseError, match=r"<DataFrame>: row 1: no text in column 'body'"):
        list(DataFrameDocPreprocessor(bad, text="body", id="cid").records())
    path = tmp_path / "bad.parquet"
    bad.to_parquet(path, index=False)
    with pytest.raises(ParseError, match=r"bad\.parquet: row 2: no text in column 'body'"):
        list(ParquetDocPreprocessor(path, text="body", id="cid").records())
    wrong = tmp_path / "wrong.parquet"
    wrong.write_text("id,text\n")
    with pytest.raises(ParseError, match=r"wrong\.parquet: not a Parquet file"):
        list(ParquetDocPreprocessor(wrong).records())
    with pytest.raises(
        ParseError, match=r"<DataFrame>: missing column\(s\) \['text', 'id'\]; the table has \['cid', 'body'"
    ):
        DataFrameDocPreprocessor(FRAME)


def test_tabular_readers_reject_bad_settings() -> None:
    with pytest.raises(ConfigurationError, match="pandas DataFrame"):
        DataFrameDocPreprocessor([{"text": "x"}])
    with pytest.raises(ConfigurationError, match="on_duplicate"):
        DataFrameDocPreprocessor(FRAME, text="body", id="cid", on_duplicate="last")


def test_youtube_csv_reads_every_comment(shared_data: Path) -> None:
    path = shared_data / "youtube_spam" / "Youtube01-Psy.csv"
    records = list(CSVDocPreprocessor(path, text="CONTENT", id="COMMENT_ID", meta=["CLASS"]).records())
    assert len(records) == len(pd.read_csv(path)) == 350
    assert {r.meta["CLASS"] for r in records} == {"0", "1"}


def test_corpus_parser_stores_dataframe_rows(session) -> None:
    CorpusParser(parser=Spacy("blank:en")).apply(
        DataFrameDocPreprocessor(FRAME, text="body", id="cid"), session=session, progress=False
    )
    docs = session.scalars(select(Document).order_by(Document.name)).all()
    assert [(d.name, d.meta) for d in docs] == [(n, m) for n, _, m in EXPECTED]
    assert [len(d.sentences) for d in docs][2] == 2
