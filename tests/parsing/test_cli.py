"""The ``parse`` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from snorkel_ie.db.models import Document
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.parsing.cli import parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parsing"


def test_parse_command_stores_documents_and_resumes(db_url: str) -> None:
    args = [str(FIXTURES / "spouse_3.jsonl"), "--format", "jsonl", "--id-field", "doc_id", "--model", "blank:en"]
    result = CliRunner().invoke(parse, [*args, "--db", db_url, "--max-docs", "2", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "parsed 2 documents" in result.output and "snorkel:snorkel@" not in result.output
    again = CliRunner().invoke(parse, args, env={"SNORKELDB": db_url})
    assert again.exit_code == 0 and "parsed 1 documents" in again.output and "2 already stored" in again.output
    session = SnorkelSession(db_url)
    try:
        assert len(session.scalars(select(Document)).all()) == 3
    finally:
        session.close()


def test_parse_command_malformed_input_fails_with_file_and_line(tmp_path: Path, db_url: str) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tfine\nnot a record\n", encoding="utf-8")
    result = CliRunner().invoke(parse, [str(bad), "--format", "tsv", "--model", "blank:en", "--db", db_url])
    assert result.exit_code != 0
    assert f"{bad}:2:" in str(result.exception)


@pytest.mark.parametrize(
    "name", ["cdr_train_5.PubTator.txt", "cdr_dev_3.BioC.xml", "spouse_3.jsonl", "youtube_6.tsv", "spouse_text"]
)
def test_cli_parse_counts_documents_for_the_progress_bar(name: str) -> None:
    from snorkel_ie.cli._util import infer_format
    from snorkel_ie.cli.parse import SUFFIXES, count_documents, make_preprocessor

    path = str(FIXTURES / name)
    reader = make_preprocessor(path, None, encoding="utf-8", max_docs=None, id_field="doc_id", text_field="text")
    assert count_documents(reader, infer_format(path, SUFFIXES)) == len(list(reader.records()))
