"""CandidateExtractor and PretaggedCandidateExtractor on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from snorkel_ie.candidates import (
    CandidateExtractor,
    DictionaryMatch,
    Ngrams,
    PersonMatcher,
    PretaggedCandidateExtractor,
)
from snorkel_ie.db.models import Candidate, CandidateSpan, Document, Sentence, Span, candidate_subclass
from snorkel_ie.errors import CandidateError
from tests.candidates.corpus import RawDocument, build_document, cdr_documents, spouse_documents

ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])
DiseaseChemical = candidate_subclass("DiseaseChemical", ["disease", "chemical"])
Spouse = candidate_subclass("Spouse", ["person1", "person2"])
Pair = candidate_subclass("DrugPair", ["drug1", "drug2"])

SPOUSE_DOC = "28fa0915-ec80-4b41-9875-6d2f0a1b4dcc"


@pytest.fixture
def cdr(session, shared_data) -> list[Document]:
    docs = cdr_documents(shared_data, limit=6)
    session.add_all(docs)
    session.commit()
    return docs


def _counts(session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Candidate)),
        session.scalar(select(func.count()).select_from(CandidateSpan)),
        session.scalar(select(func.count()).select_from(Span)),
    )


def _expected_pairs(docs: list[Document]) -> set[tuple[str, int, int, int, int]]:
    """Chemical x disease mention pairs per sentence, computed straight from the token arrays."""
    out = set()
    for doc in docs:
        for s in doc.sentences:
            mentions: dict[str, set[tuple[int, int]]] = {"Chemical": set(), "Disease": set()}
            i = 0
            while i < len(s.words):
                t, c = s.entity_types[i], s.entity_cids[i]
                j = i
                while j + 1 < len(s.words) and (s.entity_types[j + 1], s.entity_cids[j + 1]) == (t, c):
                    j += 1
                if t in mentions:
                    mentions[t].add((s.char_offsets[i], s.char_offsets[j] + len(s.words[j])))
                i = j + 1
            out |= {(s.stable_id, *a, *b) for a in mentions["Chemical"] for b in mentions["Disease"]}
    return out


def test_pretagged_extractor_builds_every_mention_pair_of_real_cdr(session, cdr) -> None:
    summary = PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"]).apply(
        session.query(Sentence), split=0, progress=False
    )
    cands = session.scalars(select(ChemicalDisease)).all()
    got = {
        (c.sentence.stable_id, c.chemical.char_start, c.chemical.char_end, c.disease.char_start, c.disease.char_end)
        for c in cands
    }
    assert got == _expected_pairs(cdr)
    assert summary.candidates == summary.created == len(cands) > 20
    for c in cands:
        assert set(c.chemical.get_attrib_tokens("entity_types")) == {"Chemical"}
        assert set(c.disease.get_attrib_tokens("entity_types")) == {"Disease"}
    known = [c for c in cands if (c.chemical.get_span(), c.disease.get_span()) == ("clonidine", "hypertensive")]
    assert known and known[0].get_cids() == ("D003000", "D006973")


@pytest.mark.parametrize("clear", [False, True])
def test_extractor_reextraction_creates_no_duplicates(session, cdr, clear) -> None:
    extractor = PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"])
    first = extractor.apply(session.query(Sentence), split=0, progress=False)
    before = _counts(session)
    again = extractor.apply(session.query(Sentence), split=0, clear=clear, progress=False)
    assert _counts(session) == before
    assert again.candidates == first.candidates
    assert again.created == (first.created if clear else 0)


def test_extractor_clear_touches_one_split_of_one_class(session, cdr) -> None:
    train = [s for d in cdr[:3] for s in d.sentences]
    dev = [s for d in cdr[3:] for s in d.sentences]
    cd = PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"])
    dc = PretaggedCandidateExtractor(DiseaseChemical, ["Disease", "Chemical"])
    for ex in (cd, dc):
        ex.apply(train, split=0, progress=False)
        ex.apply(dev, split=1, progress=False)

    def count(cls, split):
        return session.scalar(select(func.count()).select_from(cls).where(cls.split == split))

    before = {(cls, k): count(cls, k) for cls in (ChemicalDisease, DiseaseChemical) for k in (0, 1)}
    assert all(before.values())
    assert before[(ChemicalDisease, 0)] == before[(DiseaseChemical, 0)]
    summary = cd.apply(train[:0], split=0, clear=True, session=session, progress=False)
    assert summary.cleared == before[(ChemicalDisease, 0)]
    assert count(ChemicalDisease, 0) == 0
    assert count(ChemicalDisease, 1) == before[(ChemicalDisease, 1)]
    assert count(DiseaseChemical, 0) == before[(DiseaseChemical, 0)]
    assert count(DiseaseChemical, 1) == before[(DiseaseChemical, 1)]
    orphans = (
        select(func.count()).select_from(CandidateSpan).where(~CandidateSpan.candidate_id.in_(select(Candidate.id)))
    )
    assert session.scalar(orphans) == 0


def test_extractor_keeps_candidates_in_their_first_split(session, cdr) -> None:
    ex = PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"])
    first = ex.apply(cdr[0].sentences, split=0, progress=False)
    with pytest.warns(UserWarning, match="another split"):
        moved = ex.apply(cdr[0].sentences, split=1, progress=False)
    assert moved.in_other_split == first.candidates
    assert session.scalar(select(func.count()).select_from(ChemicalDisease).where(ChemicalDisease.split == 1)) == 0


def _drug_sentence(session, text: str) -> Sentence:
    doc = build_document(RawDocument(f"drugs-{abs(hash(text))}", text))
    session.add(doc)
    session.commit()
    return doc.sentences[0]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({}, {("aspirin", "ibuprofen")}),
        ({"symmetric_relations": True}, {("aspirin", "ibuprofen"), ("ibuprofen", "aspirin")}),
        ({"self_relations": True}, {("aspirin", "ibuprofen"), ("aspirin", "aspirin"), ("ibuprofen", "ibuprofen")}),
    ],
)
def test_extractor_self_and_symmetric_flags(session, flags, expected) -> None:
    s = _drug_sentence(session, "Patients took aspirin with ibuprofen daily.")
    m = DictionaryMatch(d=["aspirin", "ibuprofen"])
    CandidateExtractor(Pair, [Ngrams(n_max=2), Ngrams(n_max=2)], [m, m], **flags).apply([s], progress=False)
    got = {(c.drug1.get_span(), c.drug2.get_span()) for c in session.scalars(select(Pair))}
    assert got == expected


@pytest.mark.parametrize("nested", [False, True])
def test_extractor_nested_flag(session, nested) -> None:
    s = _drug_sentence(session, "It caused acute kidney injury in rats.")
    m = DictionaryMatch(d=["acute kidney injury", "kidney injury", "rats"], longest_match_only=False)
    ex = CandidateExtractor(Pair, Ngrams(n_max=3), m, nested_relations=nested)
    ex.apply([s], progress=False)
    got = {(c.drug1.get_span(), c.drug2.get_span()) for c in session.scalars(select(Pair))}
    flat = {("acute kidney injury", "rats"), ("kidney injury", "rats")}
    assert got == (flat | {("acute kidney injury", "kidney injury")} if nested else flat)


def test_extractor_accepts_ids_documents_and_queries(session, cdr, db_url) -> None:
    ex = PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"])
    ids = [s.id for s in cdr[0].sentences]
    by_ids = ex.apply(ids, db=db_url, progress=False).candidates
    by_docs = ex.apply([cdr[0]], progress=False).candidates
    by_query = ex.apply(session.query(Document).filter(Document.name == cdr[0].name), progress=False).candidates
    by_select = ex.apply(select(Sentence).where(Sentence.id.in_(ids)), session=session, progress=False).candidates
    doc_select = select(Document).where(Document.name == cdr[0].name)
    by_doc_select = ex.apply(doc_select, session=session, progress=False).candidates
    by_id_select = ex.apply(select(Sentence.id).where(Sentence.id.in_(ids)), session=session, progress=False).candidates
    assert by_ids == by_docs == by_query == by_select == by_doc_select == by_id_select > 0
    with pytest.raises(CandidateError, match="which database"):
        ex.apply(ids, progress=False)


def test_extractor_validates_arguments() -> None:
    with pytest.raises(CandidateError, match="2 arguments"):
        CandidateExtractor(Spouse, [Ngrams()], [PersonMatcher()])
    with pytest.raises(CandidateError):
        CandidateExtractor(Spouse, Ngrams(), "PERSON")
    with pytest.raises(CandidateError):
        PretaggedCandidateExtractor(ChemicalDisease, ["Chemical"])
    with pytest.raises(CandidateError):
        CandidateExtractor(Candidate, Ngrams(), PersonMatcher())


def test_extractor_rejects_lambdas_with_parallelism(session, cdr) -> None:
    from snorkel_ie.candidates import LambdaFunctionMatcher

    ex = CandidateExtractor(Pair, Ngrams(), LambdaFunctionMatcher(func=lambda s: True))
    with pytest.raises(CandidateError, match="module-level"):
        ex.apply(cdr[0].sentences, parallelism=2, progress=False)


@pytest.mark.slow
def test_extractor_spouse_parallel_matches_serial(session, shared_data) -> None:
    docs = spouse_documents(shared_data, [SPOUSE_DOC], bio=True)
    session.add_all(docs)
    session.commit()
    ex = CandidateExtractor(Spouse, Ngrams(n_max=4), PersonMatcher())
    serial = ex.apply(session.query(Sentence), split=0, progress=False)
    keys = set(session.execute(select(Candidate.sentence_id, Candidate.span_key)).all())
    parallel = ex.apply(session.query(Sentence), split=0, parallelism=2, partition_size=10, progress=False)
    assert parallel.candidates == serial.candidates == len(keys) > 20
    assert set(session.execute(select(Candidate.sentence_id, Candidate.span_key)).all()) == keys
    pairs = {(c.person1.get_span(), c.person2.get_span()) for c in session.scalars(select(Spouse))}
    assert ("Kim Davis", "Joe Davis") in pairs
