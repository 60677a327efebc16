"""Document-scope candidates (arguments in different sentences) on both backends.

Storage, ``get_parent()``, labeling views, bulk extraction over partitions and worker
processes, and resuming an extraction that was killed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from snorkel_ie.candidates import PretaggedCandidateExtractor
from snorkel_ie.db.models import Candidate, Document, Sentence, Span, candidate_subclass, span_stable_id
from snorkel_ie.db.views import load_views, view_class
from snorkel_ie.errors import CandidateError
from tests.candidates.corpus import cdr_documents

ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cdr(session, shared_data) -> list[Document]:
    docs = cdr_documents(shared_data, limit=6)
    session.add_all(docs)
    session.commit()
    return docs


def _mentions(doc: Document) -> dict[str, set[tuple[int, int, int]]]:
    """(sentence position, start, end) of each tagged mention, straight from the token arrays."""
    out: dict[str, set[tuple[int, int, int]]] = {"Chemical": set(), "Disease": set()}
    for s in doc.sentences:
        i = 0
        while i < len(s.words):
            t, c = s.entity_types[i], s.entity_cids[i]
            j = i
            while j + 1 < len(s.words) and (s.entity_types[j + 1], s.entity_cids[j + 1]) == (t, c):
                j += 1
            if t in out:
                out[t].add((s.position, s.char_offsets[i], s.char_offsets[j] + len(s.words[j])))
            i = j + 1
    return out


def _expected(docs: list[Document], max_distance: int | None = None) -> set[tuple]:
    out = set()
    for doc in docs:
        m = _mentions(doc)
        out |= {
            (doc.name, *a, *b)
            for a in m["Chemical"]
            for b in m["Disease"]
            if max_distance is None or abs(a[0] - b[0]) <= max_distance
        }
    return out


def _got(session) -> set[tuple]:
    out = set()
    for c in session.scalars(select(ChemicalDisease)):
        a, b = c.chemical, c.disease
        out.add(
            (
                c.sentence.document.name,
                a.sentence.position,
                a.char_start,
                a.char_end,
                b.sentence.position,
                b.char_start,
                b.char_end,
            )
        )
    return out


def _extractor(**kw) -> PretaggedCandidateExtractor:
    return PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"], scope="document", **kw)


def test_document_scope_pairs_every_mention_of_a_document(session, cdr) -> None:
    summary = _extractor().apply(session.query(Sentence), split=0, progress=False, partition_size=5)
    expected = _expected(cdr)
    assert _got(session) == expected
    assert summary.candidates == summary.created == len(expected)
    sentence_scope = {e for e in expected if e[1] == e[4]}
    assert 0 < len(sentence_scope) < len(expected) / 2  # most pairs cross sentences


def test_document_scope_stores_each_span_in_its_own_sentence(session, cdr) -> None:
    _extractor().apply(session.query(Sentence), split=0, progress=False)
    cands = session.scalars(select(ChemicalDisease)).all()
    cross = [c for c in cands if c.chemical.sentence_id != c.disease.sentence_id]
    same = [c for c in cands if c.chemical.sentence_id == c.disease.sentence_id]
    assert cross and same
    for c in cross:
        assert c.sentence_id == c.chemical.sentence_id  # the first argument's sentence
        assert isinstance(c.get_parent(), Document) and c.get_parent() is c.sentence.document
        assert c.get_sentences() == (c.chemical.sentence, c.disease.sentence)
        assert c.disease.sentence.text[c.disease.char_start : c.disease.char_end] == c.disease.get_span()
        assert set(c.disease.get_attrib_tokens("entity_types")) == {"Disease"}
    for c in same:
        assert isinstance(c.get_parent(), Sentence)
    spans = session.scalar(select(func.count()).select_from(Span))
    mentions = sum(len(v) for d in cdr for v in _mentions(d).values())
    assert spans == mentions  # one row per mention, shared by its candidates


def test_document_scope_views_match_the_orm(session, cdr, db_url) -> None:
    _extractor().apply(session.query(Sentence), split=0, progress=False)
    cands = {c.id: c for c in session.scalars(select(ChemicalDisease))}
    ids = np.array(sorted(cands))
    with session.get_bind().connect() as conn:
        views = load_views(
            conn,
            ids,
            candidate_type="chemicaldisease",
            split=0,
            view_cls=view_class("chemicaldisease", ["chemical", "disease"]),
        )
    assert [v.id for v in views] == list(ids)
    for v in views:
        c = cands[v.id]
        assert (v.chemical.get_span(), v.disease.get_span()) == (c.chemical.get_span(), c.disease.get_span())
        assert [s.id for s in v.get_sentences()] == [s.id for s in c.get_sentences()]
        assert v.get_cids() == c.get_cids()
        parent = v.get_parent()
        if c.chemical.sentence_id == c.disease.sentence_id:
            assert parent.id == c.sentence_id
        else:
            assert parent.name == c.sentence.document.name
            assert [s.position for s in parent.sentences] == [s.position for s in c.sentence.document.sentences]


def test_sentence_scope_candidates_keep_their_keys_inside_document_scope(session, cdr) -> None:
    PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"]).apply(
        session.query(Sentence), split=0, progress=False
    )
    before = {(c.sentence_id, c.span_key): c.id for c in session.scalars(select(ChemicalDisease))}
    summary = _extractor().apply(session.query(Sentence), split=0, clear=False, progress=False)
    after = {(c.sentence_id, c.span_key): c.id for c in session.scalars(select(ChemicalDisease))}
    assert all(after[k] == i for k, i in before.items())  # the same rows, not copies
    assert summary.created == len(after) - len(before) > 0
    assert all("@" in key for (_, key) in set(after) - set(before))


@pytest.mark.parametrize("distance", [0, 1, 3])
def test_max_sentence_distance(session, cdr, distance) -> None:
    _extractor(max_sentence_distance=distance).apply(session.query(Sentence), split=0, progress=False)
    assert _got(session) == _expected(cdr, distance)


def test_document_scope_reextraction_and_partitions(session, cdr) -> None:
    ex = _extractor()
    first = ex.apply(session.query(Sentence), split=0, progress=False, partition_size=1)
    again = ex.apply(session.query(Sentence), split=0, clear=False, progress=False, partition_size=1000)
    assert (again.candidates, again.created) == (first.candidates, 0)
    assert len(first.partitions) == len(cdr)  # a partition never splits a document
    assert session.scalar(select(func.count()).select_from(Candidate)) == first.candidates


def test_document_scope_in_worker_processes_matches_serial(session, cdr) -> None:
    _extractor().apply(session.query(Sentence), split=0, progress=False, parallelism=2, partition_size=2)
    assert _got(session) == _expected(cdr)


def test_document_scope_options_are_checked() -> None:
    with pytest.raises(CandidateError, match="scope"):
        PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"], scope="paragraph")
    with pytest.raises(CandidateError, match="max_sentence_distance"):
        _extractor(max_sentence_distance=-1)
    assert PretaggedCandidateExtractor(ChemicalDisease, max_sentence_distance=2).scope == "document"


def test_orm_constructor_accepts_spans_of_one_document_only(session, cdr) -> None:
    a_doc, b_doc = cdr[0], cdr[1]
    s0, s1 = a_doc.sentences[0], a_doc.sentences[1]
    chem = Span(sentence=s0, char_start=0, char_end=3, stable_id=span_stable_id(a_doc.name, 0, 3))
    start = s1.abs_char_offsets[0]
    dis = Span(sentence=s1, char_start=0, char_end=2, stable_id=span_stable_id(a_doc.name, start, start + 2))
    c = ChemicalDisease(chemical=chem, disease=dis, split=0)
    session.add(c)
    session.commit()
    assert c.span_key == "0:3,0:2@1" and c.get_parent() is a_doc
    other = Span(sentence=b_doc.sentences[0], char_start=0, char_end=2, stable_id="elsewhere")
    with pytest.raises(CandidateError, match="different documents"):
        ChemicalDisease(chemical=chem, disease=other)


@pytest.mark.slow
def test_document_scope_resumes_after_a_kill(session, cdr, db_url) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    run = subprocess.run(
        [sys.executable, "-m", "tests.candidates._killing", db_url, "4", "1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == -9, run.stderr  # SIGKILL, mid-way
    session.expire_all()
    partial = _got(session)
    expected = _expected(cdr)
    assert 0 < len(partial) < len(expected) and partial <= expected  # three whole documents were committed
    assert {p[0] for p in partial} == {d.name for d in cdr[:3]}
    summary = _extractor().apply(session.query(Sentence), split=0, clear=False, progress=False)
    assert _got(session) == expected
    assert summary.created == len(expected) - len(partial)


def _entity_key(c) -> tuple:
    """(document, entity of each argument); a mention without an id ('-1') is its own entity."""
    ids = [cid if cid != "-1" else (s.sentence.position, s.char_start) for cid, s in zip(c.get_cids(), c, strict=True)]
    return (c.sentence.document.name, *ids)


@pytest.mark.parametrize("k", [1, 2])
def test_closest_per_entity_pair_keeps_the_nearest_mentions(session, cdr, k) -> None:
    _extractor().apply(session.query(Sentence), split=0, progress=False)
    every: dict[tuple, list[tuple]] = {}
    for c in session.scalars(select(ChemicalDisease)):
        key = _entity_key(c)
        a, b = c.chemical, c.disease
        apart = abs(a.sentence.position - b.sentence.position)
        gap = max(a.abs_char_start, b.abs_char_start) - min(a.abs_char_end, b.abs_char_end)
        every.setdefault(key, []).append((apart, max(gap, 0), min(a.abs_char_start, b.abs_char_start)))
    summary = _extractor(closest_per_entity_pair=k).apply(session.query(Sentence), split=0, progress=False)
    session.expunge_all()  # SQLite reuses the ids of the cleared candidates
    kept: dict[tuple, list[tuple]] = {}
    for c in session.scalars(select(ChemicalDisease)):
        a, b = c.chemical, c.disease
        gap = max(a.abs_char_start, b.abs_char_start) - min(a.abs_char_end, b.abs_char_end)
        kept.setdefault(_entity_key(c), []).append(
            (abs(a.sentence.position - b.sentence.position), max(gap, 0), min(a.abs_char_start, b.abs_char_start))
        )
    assert summary.candidates == sum(len(v) for v in kept.values()) < sum(len(v) for v in every.values())
    assert set(kept) == set(every)  # every entity pair keeps a candidate: the recall ceiling is unchanged
    for key, found in kept.items():
        assert sorted(found) == sorted(every[key])[:k]


def test_extract_command_document_scope(session, cdr, db_url) -> None:
    from click.testing import CliRunner

    from snorkel_ie.cli.extract import extract

    args = ["ChemicalDisease", "--args", "chemical,disease", "--entity-types", "Chemical,Disease", "--db", db_url]
    result = CliRunner().invoke(extract, [*args, "--scope", "document", "--max-sentence-distance", "1"])
    assert result.exit_code == 0, result.output
    session.rollback()  # a fresh snapshot on SQLite
    assert _got(session) == _expected(cdr, 1)
