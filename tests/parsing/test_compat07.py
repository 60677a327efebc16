"""Snorkel 0.7's parsing calls: positional ``apply(preprocessor, clear, parallelism, progress_bar, count)``,
``progress_bar=``, ``parallelism=None`` and preprocessors with ``(path, encoding, max_docs=float('inf'))``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from snorkel_ie.db.models import Document
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.parsing import CorpusParser, Spacy, TSVDocPreprocessor

TSV = Path(__file__).resolve().parents[1] / "fixtures" / "parsing" / "youtube_6.tsv"


def _n_lines() -> int:
    return sum(1 for line in TSV.read_text(encoding="utf-8").splitlines() if line.strip())


def test_preprocessor_takes_encoding_positionally_and_infinite_max_docs():
    everything = [doc.name for doc, _ in TSVDocPreprocessor(TSV, "utf-8", float("inf"))]
    assert len(everything) == _n_lines() == 6
    assert [doc.name for doc, _ in TSVDocPreprocessor(TSV, "utf-8", 2)] == everything[:2]
    assert TSVDocPreprocessor(TSV, "utf-8", 2.0).max_docs == 2
    with pytest.raises(ConfigurationError, match="max_docs"):
        TSVDocPreprocessor(TSV, "utf-8", 2.5)
    with pytest.raises(LookupError):  # the encoding really is the second argument
        list(TSVDocPreprocessor(TSV, "no-such-codec"))


def test_apply_takes_07_positional_arguments_and_progress_bar(session, capsys):
    parser = CorpusParser(parser=Spacy("blank:en"))
    summary = parser.apply(TSVDocPreprocessor(TSV, max_docs=3), False, None, progress_bar=False, session=session)
    assert summary.documents == 3
    assert "parsing" not in capsys.readouterr().err  # progress_bar=False silences the bar
    # clear=True (second positional, as in 0.7) drops the stored documents first.
    parser.apply(TSVDocPreprocessor(TSV, max_docs=2), True, 1, False, 2, session=session)
    assert session.scalar(select(func.count()).select_from(Document)) == 2
    parser.apply(TSVDocPreprocessor(TSV), progress_bar=True, session=session)
    assert "parsing" in capsys.readouterr().err
    assert session.scalar(select(func.count()).select_from(Document)) == 6


def test_spacy_takes_07_default_annotators_and_explains_others():
    assert Spacy("blank:en", annotators=["tagger", "parser", "entity"]).disable == ()
    with pytest.raises(ConfigurationError, match="disable"):
        Spacy(annotators=["tagger"])
