"""The learning commands end to end on a small real CDR corpus, on both backends."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from snorkel_ie.cli import cli
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.examples.cdr import load_corpus

LFS = "snorkel_ie.examples.cdr_lfs:SENTENCE_LFS"


@pytest.fixture
def cdr_db(db_url: str) -> str:
    session = SnorkelSession(db_url)
    load_corpus(session, model="blank:en", max_docs=12, progress=False)
    session.close()
    return db_url


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_cli_label_train_generative_and_evaluate(cdr_db: str, tmp_path) -> None:
    for split in ("0", "1"):
        _run("label", "--db", cdr_db, "--lfs", LFS, "--split", split, "--candidate-class", "ChemicalDisease")
    out = _run("train-generative", "--db", cdr_db, "--candidate-class", "ChemicalDisease", "--lfs", LFS,
               "--save", str(tmp_path / "gen"))  # fmt: skip
    assert "saved" in out and "marginals" in out
    out = _run("evaluate", "--db", cdr_db, "--candidate-class", "ChemicalDisease", "--lfs", LFS,
               "--generative", str(tmp_path / "gen"))  # fmt: skip
    lines = {line.split("  ")[0].strip(): line.split()[-3:] for line in out.splitlines()[2:]}
    assert set(lines) == {"majority vote", "generative model"}
    for p, r, f1 in lines.values():
        assert all(0.0 <= float(x) <= 1.0 for x in (p, r, f1))


def test_cli_train_generative_without_labels_says_what_to_do(db_url: str) -> None:
    session = SnorkelSession(db_url)
    load_corpus(session, model="blank:en", max_docs=2, progress=False)
    session.close()
    result = CliRunner().invoke(cli, ["train-generative", "--db", db_url, "--candidate-class", "ChemicalDisease"])
    assert result.exit_code != 0
    assert "snorkel-ie label" in str(result.exception)
