"""The learning commands end to end on a small real CDR corpus, on both backends."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from snorkel_ie.cli import cli
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.examples.cdr import ChemicalDisease, load_corpus
from snorkel_ie.examples.cdr_lfs import SENTENCE_LFS
from snorkel_ie.labeling import load_gold_labels
from snorkel_ie.learning.generative import GenerativeModel

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


def _prf(pred: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall and F1 of +1, counted by hand; gold 0 (unknown) is left out."""
    tp = sum(1 for p, g in zip(pred, gold, strict=True) if p == 1 and g == 1)
    fp = sum(1 for p, g in zip(pred, gold, strict=True) if p == 1 and g == -1)
    fn = sum(1 for p, g in zip(pred, gold, strict=True) if p != 1 and g == 1)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, 2 * precision * recall / (precision + recall) if tp else 0.0


def _expected_evaluation(db_url: str, gen_path: str) -> tuple[int, int, dict[str, tuple[float, float, float]]]:
    """Candidates, gold positives and scores of split 1, from the LFs applied here to the candidates."""
    with SnorkelSession(db_url) as session:
        query = select(ChemicalDisease).where(ChemicalDisease.split == 1).order_by(ChemicalDisease.id)
        cands = session.scalars(query).all()
        votes = np.array([[lf(c) for lf in SENTENCE_LFS] for c in cands], dtype=np.int64)
        gold_matrix = load_gold_labels(session, "gold", split=1, candidate_class=ChemicalDisease)
        assert gold_matrix.candidate_ids.tolist() == [c.id for c in cands]
        gold = np.asarray(gold_matrix.toarray()).ravel()
    majority = np.where(votes.sum(axis=1) > 0, 1, -1)  # ties and rows without votes: negative
    gen = GenerativeModel().load(gen_path)
    names = [lf.__name__ for lf in SENTENCE_LFS]
    gen_votes = votes[:, [names.index(n) for n in gen.lf_names_]]
    generative = np.where(gen.marginals(gen_votes) > 0.5, 1, -1)
    scores = {"majority vote": _prf(majority, gold), "generative model": _prf(generative, gold)}
    return len(cands), int(np.sum(gold == 1)), scores


@pytest.mark.slow
def test_cli_label_train_generative_and_evaluate(cdr_db: str, tmp_path) -> None:
    for split in ("0", "1"):
        _run("label", "--db", cdr_db, "--lfs", LFS, "--split", split, "--candidate-class", "ChemicalDisease")
    out = _run("train-generative", "--db", cdr_db, "--candidate-class", "ChemicalDisease", "--lfs", LFS,
               "--save", str(tmp_path / "gen"))  # fmt: skip
    assert "saved" in out and "marginals" in out
    out = _run("evaluate", "--db", cdr_db, "--candidate-class", "ChemicalDisease", "--lfs", LFS,
               "--generative", str(tmp_path / "gen"))  # fmt: skip
    n, positives, expected = _expected_evaluation(cdr_db, str(tmp_path / "gen"))
    assert positives > 0 and min(expected["generative model"]) > 0  # not a comparison of zeros only
    header, _, *rows = out.splitlines()
    assert header == f"ChemicalDisease split 1: {n} candidates, {positives} gold positive"
    lines = {line.split("  ")[0].strip(): line.split()[-3:] for line in rows}
    assert set(lines) == set(expected)
    for name, scores in expected.items():
        assert lines[name] == [f"{x:.3f}" for x in scores], name


def test_cli_train_generative_without_labels_says_what_to_do(db_url: str) -> None:
    session = SnorkelSession(db_url)
    load_corpus(session, model="blank:en", max_docs=2, progress=False)
    session.close()
    result = CliRunner().invoke(cli, ["train-generative", "--db", db_url, "--candidate-class", "ChemicalDisease"])
    assert result.exit_code != 0
    assert "snorkel-ie label" in str(result.exception)
