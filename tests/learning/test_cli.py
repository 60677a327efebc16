"""The learning commands end to end on a small real CDR corpus, on both backends."""

from __future__ import annotations

import importlib
import os
import uuid

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from snorkel_ie.cli import cli
from snorkel_ie.db.models import candidate_subclass
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.examples.cdr import ChemicalDisease, load_corpus
from snorkel_ie.examples.cdr_lfs import SENTENCE_LFS
from snorkel_ie.labeling import load_gold_labels
from snorkel_ie.learning.generative import GenerativeModel

LFS = "snorkel_ie.examples.cdr_lfs:SENTENCE_LFS"
ChemicalKind = candidate_subclass("ChemicalKind", ["chemical"], cardinality=3)


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
    scores = {
        "all positive": _prf(np.ones(len(gold), dtype=np.int64), gold),
        "majority vote": _prf(majority, gold),
        "generative model": _prf(generative, gold),
    }
    return len(cands), int(np.sum(gold == 1)), scores


@pytest.mark.slow
def test_cli_label_train_generative_and_evaluate(cdr_db: str, tmp_path) -> None:
    for split in ("0", "1"):
        _run("label", "--db", cdr_db, "--lfs", LFS, "--split", split, "--candidate-class", "ChemicalDisease")
    out = _run("train-generative", "--db", cdr_db, "--candidate-class", "ChemicalDisease", "--lfs", LFS,
               "--save", str(tmp_path / "gen"))  # fmt: skip
    assert "saved" in out and "marginals" in out
    out = _run("evaluate", "--db", cdr_db, "--candidate-class", "ChemicalDisease", "--lfs", LFS, "--split", "1",
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


# --- candidate classes in a new process, errors of evaluate, categorical classes ---------------------

LF_MODULE = """
from snorkel_ie.db.models import candidate_subclass

ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])


def LF_chemical_first(c):
    return 1 if c.chemical.char_start < c.disease.char_start else -1


def LF_short_chemical(c):
    return 1 if len(c.chemical.get_span()) <= 8 else 0


def LF_far_apart(c):
    return -1 if abs(c.disease.char_start - c.chemical.char_start) > 60 else 0


LFS = [LF_chemical_first, LF_short_chemical, LF_far_apart]
"""


def _extracted(session, shared_data, limit: int = 6) -> list:
    """CDR abstracts with their ChemicalDisease candidates: the first half in split 0, the rest in split 1."""
    from snorkel_ie.candidates import PretaggedCandidateExtractor
    from snorkel_ie.db.models import Document, Sentence
    from tests.candidates.corpus import cdr_documents

    docs = cdr_documents(shared_data, limit=limit)
    session.add_all(docs)
    session.commit()
    extractor = PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"])
    for split, part in ((0, docs[: limit // 2]), (1, docs[limit // 2 :])):
        names = [d.name for d in part]
        sentences = select(Sentence).join(Document).where(Document.name.in_(names))
        extractor.apply(sentences, split=split, session=session, progress=False)
    return docs


@pytest.mark.slow
@pytest.mark.parametrize("stored_definition", [True, False], ids=["stored-definition", "no-stored-definition"])
def test_cli_train_generative_in_a_new_process_with_lfs_that_define_the_class(
    session, db_url, shared_data, tmp_path, monkeypatch, stored_definition
) -> None:
    """The LF module calls candidate_subclass itself; the command must not have defined the class differently."""
    import subprocess
    import sys

    from snorkel_ie.db.models import CandidateClass, Marginal
    from snorkel_ie.labeling import LabelAnnotator

    _extracted(session, shared_data)
    module = f"cli_class_lfs_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(LF_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    lfs = importlib.import_module(module).LFS
    try:
        LabelAnnotator(lfs=lfs).apply(split=0, session=session, progress=False)
    finally:
        sys.modules.pop(module, None)
    if not stored_definition:  # as in a database whose candidates were not written by an extractor
        session.execute(CandidateClass.__table__.delete())
        session.commit()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}

    proc = subprocess.run(
        [sys.executable, "-m", "snorkel_ie.cli", "train-generative", "--db", db_url, "--no-deps",
         "--candidate-class", "ChemicalDisease", "--lfs", f"{module}:LFS"],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip

    assert proc.returncode == 0, proc.stderr
    session.rollback()
    n_train = len(session.scalars(select(ChemicalDisease.id).where(ChemicalDisease.split == 0)).all())
    assert n_train > 0
    assert len(session.scalars(select(Marginal.candidate_id).where(Marginal.training)).all()) == n_train


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--split", "7"], "split 7 has no ChemicalDisease candidates"),
        (["--split", "1", "--gold", "nobody"], "no gold annotator 'nobody'"),
        (["--split", "1"], "gold annotator 'gold' labeled none of the ChemicalDisease candidates of split 1"),
    ],
    ids=["empty-split", "unknown-annotator", "annotator-without-labels-on-split"],
)
def test_cli_evaluate_refuses_what_it_cannot_score(session, db_url, shared_data, options, message) -> None:
    from snorkel_ie.errors import ConfigurationError
    from snorkel_ie.labeling import save_gold_labels

    _extracted(session, shared_data, limit=4)
    train = session.scalars(select(ChemicalDisease).where(ChemicalDisease.split == 0)).all()
    save_gold_labels(session, train, [1] * len(train))  # gold on split 0 only

    result = CliRunner().invoke(cli, ["evaluate", "--db", db_url, "--candidate-class", "ChemicalDisease", *options])

    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigurationError)
    assert message in str(result.exception)


def test_cli_train_generative_on_a_categorical_class(session, db_url, shared_data) -> None:
    """Class-conditional propensities are binary-only: a categorical class must train without them."""
    from snorkel_ie.candidates import PretaggedCandidateExtractor
    from snorkel_ie.db.models import Marginal, Sentence
    from snorkel_ie.labeling import LabelAnnotator
    from tests.candidates.corpus import cdr_documents

    session.add_all(cdr_documents(shared_data, limit=6))
    session.commit()
    PretaggedCandidateExtractor(ChemicalKind, ["Chemical"]).apply(select(Sentence), session=session, progress=False)

    def LF_length(c) -> int:
        n = len(c.chemical.get_span())
        return 1 if n <= 6 else (2 if n <= 10 else 3)

    def LF_first_letter(c) -> int:
        return 1 + "abcdefghijklmnopqrstuvwxyz".find(c.chemical.get_span()[0].lower()) % 3

    def LF_words(c) -> int:
        return min(3, len(c.chemical.get_span().split()))

    LabelAnnotator(lfs=[LF_length, LF_first_letter, LF_words]).apply(split=0, session=session, progress=False)

    result = CliRunner().invoke(cli, ["train-generative", "--db", db_url, "--candidate-class", "ChemicalKind"])

    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    session.rollback()
    n = len(session.scalars(select(ChemicalKind.id)).all())
    values = session.scalars(select(Marginal.value).where(Marginal.training)).all()
    assert n > 0 and sorted(set(values)) == [1, 2, 3] and len(values) == 3 * n  # one probability per class
