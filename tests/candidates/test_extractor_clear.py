"""What an extraction keeps and what it clears: validation first, LF records, the class definition."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from snorkel_ie.candidates import CandidateExtractor, LambdaFunctionMatcher, Ngrams, PretaggedCandidateExtractor
from snorkel_ie.db.models import (
    AnnotatorRun,
    Candidate,
    CandidateClass,
    Document,
    GoldLabel,
    Label,
    Sentence,
    candidate_subclass,
)
from snorkel_ie.errors import CandidateError, ConfigurationError
from snorkel_ie.labeling import LabelAnnotator, save_gold_labels
from tests.candidates.corpus import cdr_documents

ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])
ChemDis = candidate_subclass("ChemDis", ["chemical", "disease"])


def LF_chemical_first(c) -> int:
    return 1 if c.chemical.char_start < c.disease.char_start else -1


@pytest.fixture
def cdr(session, shared_data) -> list[Document]:
    docs = cdr_documents(shared_data, limit=4)
    session.add_all(docs)
    session.commit()
    return docs


def _sentences_of(session, docs: list[Document]):
    return select(Sentence).join(Document).where(Document.name.in_([d.name for d in docs]))


def _count(session, model, *where) -> int:
    session.rollback()  # a fresh snapshot: SQLite would keep showing the one before the last write
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _lambda_matcher_extractor() -> CandidateExtractor:
    return CandidateExtractor(ChemicalDisease, Ngrams(n_max=1), LambdaFunctionMatcher(func=lambda span: True))


def _pretagged_extractor() -> PretaggedCandidateExtractor:
    return PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"])


@pytest.mark.parametrize(
    ("make_extractor", "options", "error", "message"),
    [
        (_lambda_matcher_extractor, {"parallelism": 2}, CandidateError, "module-level"),
        (_pretagged_extractor, {"parallelism": 0}, ConfigurationError, "parallelism"),
        (_pretagged_extractor, {"partition_size": -5}, ConfigurationError, "partition_size"),
    ],
    ids=["lambda-with-workers", "parallelism-0", "negative-partition-size"],
)
def test_extractor_setup_error_leaves_the_split_untouched(
    session, cdr, make_extractor, options, error, message
) -> None:
    _pretagged_extractor().apply(_sentences_of(session, cdr[:2]), split=0, session=session, progress=False)
    cands = session.scalars(select(ChemicalDisease).where(ChemicalDisease.split == 0).order_by(Candidate.id)).all()
    assert len(cands) > 1
    save_gold_labels(session, cands, [1] * len(cands))
    LabelAnnotator(lfs=[LF_chemical_first]).apply(split=0, session=session, progress=False)
    before = (_count(session, Candidate), _count(session, Label), _count(session, GoldLabel))
    assert before == (len(cands), len(cands), len(cands))  # the LF votes on every candidate

    with pytest.raises(error, match=message):
        make_extractor().apply(_sentences_of(session, cdr), split=0, session=session, progress=False, **options)

    assert (_count(session, Candidate), _count(session, Label), _count(session, GoldLabel)) == before


def test_extractor_clear_forgets_the_lf_runs_of_the_cleared_split_only(session, cdr) -> None:
    extractor = PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"])
    extractor.apply(_sentences_of(session, cdr[:2]), split=0, session=session, progress=False)
    extractor.apply(_sentences_of(session, cdr[2:]), split=1, session=session, progress=False)
    labeler = LabelAnnotator(lfs=[LF_chemical_first])
    for split in (0, 1):
        labeler.apply(split=split, session=session, progress=False)
    assert _count(session, AnnotatorRun, AnnotatorRun.split == 0) == 1
    assert _count(session, AnnotatorRun, AnnotatorRun.split == 1) == 1

    cleared = extractor.clear(session, split=0)

    assert cleared > 0
    assert _count(session, AnnotatorRun, AnnotatorRun.split == 0) == 0
    assert _count(session, AnnotatorRun, AnnotatorRun.split == 1) == 1
    assert _count(session, Candidate, Candidate.split == 1) > 0


def test_extractor_forgets_the_lf_runs_of_a_split_it_adds_candidates_to(session, cdr) -> None:
    extractor = PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"])
    extractor.apply(_sentences_of(session, cdr[:2]), split=0, session=session, progress=False)
    LabelAnnotator(lfs=[LF_chemical_first]).apply(split=0, session=session, progress=False)
    assert _count(session, AnnotatorRun) == 1

    again = extractor.apply(_sentences_of(session, cdr[:2]), split=0, clear=False, session=session, progress=False)
    assert again.created == 0 and _count(session, AnnotatorRun) == 1  # nothing new: the labels stay valid

    more = extractor.apply(_sentences_of(session, cdr), split=0, clear=False, session=session, progress=False)
    assert more.created > 0 and _count(session, AnnotatorRun) == 0


def test_extractor_stores_the_class_definition(session, cdr) -> None:
    extractor = PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"])
    extractor.apply(_sentences_of(session, cdr[:1]), split=0, session=session, progress=False)
    stored = session.scalars(select(CandidateClass)).all()
    assert [(s.type, s.class_name, s.arguments, s.cardinality, s.label_values) for s in stored] == [
        ("chemicaldisease", "ChemicalDisease", ["chemical", "disease"], 2, [False, True])
    ]
    extractor.apply(_sentences_of(session, cdr[1:2]), split=1, session=session, progress=False)
    assert _count(session, CandidateClass) == 1  # stored once per class


def test_extractor_refuses_another_number_of_arguments_for_a_stored_class(session, cdr) -> None:
    PretaggedCandidateExtractor(ChemDis, ["Chemical", "Disease"]).apply(
        _sentences_of(session, cdr[:2]), split=0, session=session, progress=False
    )
    n = _count(session, Candidate)
    assert n > 0
    # As if another process had extracted them with a three-argument class of the same name.
    session.execute(CandidateClass.__table__.update().values(arguments=["a", "b", "c"]))
    session.commit()
    extractor = PretaggedCandidateExtractor(ChemDis, ["Chemical", "Disease"])
    with pytest.raises(CandidateError, match=r"arguments \['a', 'b', 'c'\]"):
        extractor.apply(_sentences_of(session, cdr), split=1, session=session, progress=False)
    assert _count(session, Candidate) == n
    # Clearing the only split that holds them is allowed, and stores the new definition.
    extractor.apply(_sentences_of(session, cdr[:2]), split=0, session=session, progress=False)
    assert session.scalar(select(CandidateClass.arguments)) == ["chemical", "disease"]
