"""LabelAnnotator when the candidates change under it: re-extraction, deletion, replacement under the same ids.

Also: the candidate class rebuilt from the definition stored at extraction, and the
warning for an LF that fails on every candidate.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, insert, select

from snorkel_ie.candidates import PretaggedCandidateExtractor
from snorkel_ie.db.models import (
    AnnotationKey,
    Candidate,
    CandidateClass,
    CandidateSpan,
    Document,
    Label,
    Sentence,
    Span,
    candidate_subclass,
    span_key,
    span_stable_id,
)
from snorkel_ie.labeling import LabelAnnotator
from tests.candidates.corpus import cdr_documents
from tests.labeling.conftest import _sentence

ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])


def LF_chemical_first(c) -> int:
    return 1 if c.chemical.char_start < c.disease.char_start else -1


def LF_short_chemical(c) -> int:
    return 1 if len(c.chemical.get_span()) <= 8 else 0


def LF_ibuprofen(c) -> int:
    return 1 if c.chemical.get_span() == "ibuprofen" else 0


LFS = [LF_chemical_first, LF_short_chemical]


def _expected(session, lfs, split: int = 0) -> set[tuple[int, str, int]]:
    """Non-zero votes of ``lfs`` on the split's candidates, computed here on the ORM objects."""
    session.rollback()
    query = select(ChemicalDisease).where(ChemicalDisease.split == split).order_by(Candidate.id)
    votes = {(c.id, lf.__name__, int(lf(c))) for c in session.scalars(query) for lf in lfs}
    return {v for v in votes if v[2] != 0}


def _stored(session, L) -> set[tuple[int, str, int]]:
    """The label rows of the matrix ``L`` returned by apply, as (candidate id, LF name, value)."""
    dense = L.toarray()
    return {
        (int(cid), name, int(dense[i, j]))
        for i, cid in enumerate(L.candidate_ids)
        for j, name in enumerate(L.lf_names)
        if dense[i, j] != 0
    }


def _label_rows(session) -> int:
    session.rollback()
    return len(session.scalars(select(Label.candidate_id)).all())


@pytest.fixture
def cdr_split(session, shared_data):
    """Four CDR abstracts and an extractor; its first run put their candidates in split 0."""
    docs = cdr_documents(shared_data, limit=4)
    session.add_all(docs)
    session.commit()
    extractor = PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"])
    sentences = select(Sentence)
    extractor.apply(sentences, split=0, session=session, progress=False)
    return extractor, sentences


@pytest.mark.parametrize("same_labeler", [True, False], ids=["same-labeler", "new-labeler"])
def test_label_annotator_labels_again_after_reextraction(session, cdr_split, same_labeler) -> None:
    extractor, sentences = cdr_split
    labeler = LabelAnnotator(lfs=LFS)
    first = labeler.apply(split=0, session=session, progress=False)
    expected = _expected(session, LFS)
    assert expected and _stored(session, first) == expected

    summary = extractor.apply(sentences, split=0, session=session, progress=False)  # clear=True by default
    assert summary.cleared == summary.candidates > 0

    labeler = labeler if same_labeler else LabelAnnotator(lfs=LFS)
    again = labeler.apply(split=0, session=session, progress=False)
    assert labeler.last_summary.ran == [lf.__name__ for lf in LFS]
    assert _stored(session, again) == _expected(session, LFS)
    assert _label_rows(session) == len(expected)


def test_label_annotator_relabels_when_candidates_were_deleted_behind_its_back(session, cdr_split) -> None:
    """Candidates deleted by SQL (their labels go by cascade, the LF records stay) and extracted again.

    SQLite gives the new candidates the old ids and the spans were kept, so the
    candidate set looks the same as when the LFs ran.
    """
    extractor, sentences = cdr_split
    labeler = LabelAnnotator(lfs=LFS)
    labeler.apply(split=0, session=session, progress=False)
    n_rows = _label_rows(session)
    assert n_rows > 0
    session.execute(delete(Candidate.__table__).where(Candidate.split == 0))
    session.commit()
    assert _label_rows(session) == 0
    extractor.apply(sentences, split=0, clear=False, session=session, progress=False)

    L = labeler.apply(split=0, session=session, progress=False)

    assert labeler.last_summary.ran == [lf.__name__ for lf in LFS]
    assert _stored(session, L) == _expected(session, LFS)
    assert _label_rows(session) == n_rows


def test_label_annotator_reruns_an_lf_whose_rows_were_deleted(session, cdr_split) -> None:
    labeler = LabelAnnotator(lfs=LFS)
    first = labeler.apply(split=0, session=session, progress=False)
    key = session.scalar(select(AnnotationKey.id).where(AnnotationKey.name == "LF_short_chemical"))
    session.execute(delete(Label.__table__).where(Label.key_id == key))
    session.commit()

    L = LabelAnnotator(lfs=LFS).apply(split=0, session=session, progress=False)

    assert _stored(session, L) == _stored(session, first) == _expected(session, LFS)


def _two_sentence_document(session) -> tuple[list[Span], list[Span]]:
    """A document of two sentences, each with a chemical and a disease span: ([chem, dis], [chem, dis])."""
    doc = Document("replaced-candidates")
    text = "aspirin caused headache . ibuprofen caused nausea ."
    out = []
    for position, (start, end) in enumerate([(0, 25), (26, len(text))]):
        sentence = _sentence(doc, position, text, start, end)
        spans = []
        for i in (0, 2):  # the chemical and the disease
            a = sentence.char_offsets[i]
            b = a + len(sentence.words[i])
            spans.append(
                Span(sentence=sentence, char_start=a, char_end=b, stable_id=span_stable_id(doc.name, start + a, start + b))
            )
        out.append(spans)
    session.add(doc)
    session.commit()
    return out[0], out[1]


@pytest.mark.parametrize("clear", [False, True], ids=["incremental", "clear"])
def test_label_annotator_sees_a_candidate_replaced_under_the_same_id(session, db_url, clear) -> None:
    """The LF abstains on the old candidate (no label rows to miss) and votes on the new one.

    Incremental: the LF must run again. ``clear=True``: the same annotator must not
    label the views it cached for the old candidate.
    """
    first, second = _two_sentence_document(session)
    old = ChemicalDisease(chemical=first[0], disease=first[1], split=0)
    session.add(old)
    session.commit()
    old_id = old.id
    labeler = LabelAnnotator(lfs=[LF_ibuprofen])
    assert labeler.apply(split=0, session=session, progress=False).nnz == 0

    second_ids = [s.id for s in second]
    session.execute(delete(Candidate.__table__).where(Candidate.id == old_id))
    session.commit()
    session.expunge_all()  # forget the deleted candidate's objects
    new = ChemicalDisease(chemical=session.get(Span, second_ids[0]), disease=session.get(Span, second_ids[1]), split=0)
    session.add(new)
    session.commit()
    if db_url.startswith("sqlite"):
        assert new.id == old_id  # SQLite reuses the id: the candidate set looks unchanged by id

    L = labeler.apply(split=0, session=session, progress=False, clear=clear)

    assert labeler.last_summary.ran == ["LF_ibuprofen"]
    assert _stored(session, L) == {(new.id, "LF_ibuprofen", 1)}


def test_label_annotator_unchanged_candidates_are_not_relabeled(session, cdr_split) -> None:
    first = LabelAnnotator(lfs=LFS)
    first.apply(split=0, session=session, progress=False)
    assert first.last_summary.ran == [lf.__name__ for lf in LFS]
    again = LabelAnnotator(lfs=LFS)  # as in a new process
    L = again.apply(split=0, session=session, progress=False)
    assert again.last_summary.ran == [] and again.last_summary.skipped == [lf.__name__ for lf in LFS]
    assert _stored(session, L) == _expected(session, LFS)


def test_label_annotator_builds_the_stored_class_it_was_not_given(session) -> None:
    """Candidates of a class this process never defined: the LFs see its argument names."""
    name = f"Stored{uuid.uuid4().hex[:8]}"  # a class no other test (or backend run) registered
    first, _ = _two_sentence_document(session)
    offsets = [(s.char_start, s.char_end) for s in first]
    with session.get_bind().begin() as conn:
        cid = conn.execute(
            insert(Candidate.__table__).values(
                type=name.lower(), split=3, sentence_id=first[0].sentence_id, span_key=span_key(offsets)
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(CandidateSpan.__table__),
            [{"candidate_id": cid, "position": i, "span_id": s.id} for i, s in enumerate(first)],
        )
        conn.execute(
            insert(CandidateClass.__table__).values(
                type=name.lower(),
                class_name=name,
                arguments=["drug", "effect"],
                cardinality=2,
                label_values=[False, True],
            )
        )

    def LF_drug_effect(c) -> int:
        return 1 if (c.drug.get_span(), c.effect.get_span()) == ("aspirin", "headache") else -1

    labeler = LabelAnnotator(lfs=[LF_drug_effect])
    L = labeler.apply(split=3, session=session, progress=False, fail_fast=True)
    assert _stored(session, L) == {(cid, "LF_drug_effect", 1)}
    assert not labeler.last_summary.errors


def test_label_annotator_warns_when_an_lf_fails_on_every_candidate(session, cdr_split) -> None:
    def LF_wrong_argument(c) -> int:
        return 1 if c.drug.get_span() else 0

    def LF_some_fail(c) -> int:
        if c.id % 2:
            raise ValueError("odd")
        return 1

    labeler = LabelAnnotator(lfs=[LF_wrong_argument, LF_some_fail, LF_chemical_first])
    with pytest.warns(UserWarning, match=r"1 LF\(s\) failed on every one of the \d+ candidates.*LF_wrong_argument"):
        labeler.apply(split=0, session=session, progress=False)
    summary = labeler.last_summary
    assert summary.errors["LF_wrong_argument"].n == summary.n_candidates
    assert 0 < summary.errors["LF_some_fail"].n < summary.n_candidates
    assert summary.failed_on_all == ["LF_wrong_argument"]
