"""CorpusParser on both backends: bulk storage, mentions, resumability, failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from snorkel_ie.db.engine import make_engine
from snorkel_ie.db.models import Document, Sentence, Span
from snorkel_ie.db.models.context import TOKEN_ATTRIBUTES
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.errors import ParseError
from snorkel_ie.parsing import (
    BioCXMLDocPreprocessor,
    CorpusParser,
    JSONLDocPreprocessor,
    PubTatorDocPreprocessor,
    Spacy,
    TSVDocPreprocessor,
    document_relations,
    mention_spans,
)
from tests.parsing.jobs import fail_on_naloxone

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parsing"
PUBTATOR = FIXTURES / "cdr_train_5.PubTator.txt"
ROOT = Path(__file__).resolve().parents[2]


def blank_parser(**kw) -> CorpusParser:
    return CorpusParser(parser=Spacy("blank:en"), **kw)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def snapshot(url: str) -> tuple[list, list, list]:
    """Everything the parser stored, without database ids."""
    s = SnorkelSession(url)
    try:
        docs = sorted((d.name, d.stable_id, repr(d.meta)) for d in s.scalars(select(Document)))
        sents = sorted(
            (x.document.name, x.stable_id, x.position, x.text, *(repr(getattr(x, a)) for a in TOKEN_ATTRIBUTES))
            for x in s.scalars(select(Sentence))
        )
        spans = sorted((x.stable_id, x.sentence.stable_id, x.char_start, x.char_end) for x in s.scalars(select(Span)))
        return docs, sents, spans
    finally:
        s.close()
        make_engine(url).dispose()


def assert_mentions_stored(session, records) -> None:
    """Every reader mention is a stored span with the annotated text; relations are on the document."""
    docs = {d.name: d for d in session.scalars(select(Document))}
    for record in records:
        doc = docs[record.name]
        stored = {(m.span.abs_char_start, m.span.abs_char_end): m for m in mention_spans(session, doc)}
        for m in record.mentions:
            found = stored[(m.start, m.end)]
            assert found.span.get_span() == record.text[m.start : m.end]
            assert (found.type, found.cid) == (m.type, m.cid)
        assert document_relations(doc) == record.meta["relations"]


def test_corpus_parser_stores_pubtator_mentions_and_relations(session) -> None:
    summary = blank_parser().apply(PubTatorDocPreprocessor(PUBTATOR), session=session, progress=False)
    records = list(PubTatorDocPreprocessor(PUBTATOR).records())
    assert (summary.documents, summary.spans, summary.failures) == (5, 75, [])
    assert count(session, Document) == 5 and count(session, Span) == 75
    assert count(session, Sentence) == summary.sentences
    assert sum(len(s.words) for s in session.scalars(select(Sentence))) == summary.tokens
    assert_mentions_stored(session, records)
    doc = session.scalars(select(Document).where(Document.name == "227508")).one()
    assert document_relations(doc, relation="CID") == [["CID", "D008750", "D007022"]]
    first = doc.sentences[0]
    assert first.words[0] == "Naloxone" and first.entity_types[0] == "Chemical" and first.entity_cids[0] == "D009270"
    chem = mention_spans(session, first, entity_type="Chemical")
    assert [m.span.get_span() for m in chem] == ["Naloxone", "clonidine"]
    assert all(m.span.get_attrib_tokens("entity_types") == ["Chemical"] for m in chem)


def test_corpus_parser_bioc_stores_composite_and_discontinuous_mentions(session) -> None:
    reader = BioCXMLDocPreprocessor(FIXTURES / "cdr_dev_3.BioC.xml")
    summary = blank_parser().apply(reader, session=session, progress=False)
    assert summary.documents == 3 and not summary.failures
    assert_mentions_stored(session, list(reader.records()))


def test_corpus_parser_rerun_skips_stored_documents_and_clear_reparses(session) -> None:
    reader = PubTatorDocPreprocessor(PUBTATOR)
    first = blank_parser().apply(reader, session=session, progress=False)
    again = blank_parser().apply(reader, session=session, progress=False)
    assert (again.documents, again.skipped, again.sentences) == (0, 5, 0)
    assert count(session, Sentence) == first.sentences
    cleared = blank_parser().apply(reader, session=session, progress=False, clear=True)
    assert (cleared.documents, cleared.skipped) == (5, 0)
    assert count(session, Document) == 5 and count(session, Sentence) == first.sentences


def test_corpus_parser_reports_failing_document_and_goes_on(session) -> None:
    summary = blank_parser(fn=fail_on_naloxone).apply(
        PubTatorDocPreprocessor(PUBTATOR), session=session, progress=False
    )
    assert summary.failures == [("227508", "RuntimeError: this document is rejected on purpose")]
    assert summary.documents == 4
    assert set(session.scalars(select(Document.name))) == {"354896", "435349", "603022", "1378968"}


def test_corpus_parser_reports_nul_characters(session, tmp_path: Path) -> None:
    (tmp_path / "docs.tsv").write_text("good\tA fine text.\nbad\tA NUL \x00 here.\n", encoding="utf-8")
    summary = blank_parser().apply(TSVDocPreprocessor(tmp_path / "docs.tsv"), session=session, progress=False)
    assert [name for name, _ in summary.failures] == ["bad"] and "NUL" in summary.failures[0][1]
    assert list(session.scalars(select(Document.name))) == ["good"]


BAD_DOCUMENTS = [
    (
        '{"id": "bad\\udc80", "text": "A text."}',
        "bad\udc80",
        "the document name 'bad\\udc80' contains a lone surrogate",
    ),
    ('{"id": "bad\\u0000", "text": "A text."}', "bad\x00", "the document name 'bad\\x00' contains a NUL"),
    (
        json.dumps({"id": "b" * 513, "text": "A text."}),
        "b" * 513,
        "is 513 characters long; the database stores at most 512",
    ),
    ('{"id": "bad", "text": "A text.", "score": NaN}', "bad", "meta['score'] is nan"),
    ('{"id": "bad", "text": "A text.", "scores": [1.5, -Infinity]}', "bad", "meta['scores'][1] is -inf"),
    (
        '{"id": "bad", "text": "A text.", "note": {"by": "x\\udc80"}}',
        "bad",
        "meta['note']['by'] contains a lone surrogate",
    ),
    ('{"id": "bad", "text": "A te\\udc80xt."}', "bad", "the text contains a lone surrogate (U+DC80) at index 4"),
]


@pytest.mark.parametrize(
    ("line", "name", "reason"),
    BAD_DOCUMENTS,
    ids=["surrogate-name", "nul-name", "long-name", "nan-meta", "infinity-meta", "surrogate-meta", "surrogate-text"],
)
def test_corpus_parser_reports_unstorable_document_and_stores_the_rest_of_its_batch(
    session, tmp_path: Path, line: str, name: str, reason: str
) -> None:
    """A name or meta the database cannot take fails that document only, before the bulk write."""
    longest = "g" * 512  # the document.name column is VARCHAR(512)
    good = [json.dumps({"id": "good", "text": "Fine.", "note": "a\x00b"}), json.dumps({"id": longest, "text": "Fine."})]
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join([good[0], line, good[1]]) + "\n", encoding="utf-8")
    summary = blank_parser().apply(JSONLDocPreprocessor(path), session=session, progress=False)
    assert len(summary.failures) == 1 and summary.failures[0][0] == name
    assert summary.failures[0][1].startswith("ValueError: ") and reason in summary.failures[0][1]
    assert summary.documents == 2
    assert set(session.scalars(select(Document.name))) == {"good", longest}
    stored = session.scalars(select(Document).where(Document.name == "good")).one()
    assert stored.meta == {"note": "a\x00b"}  # NUL inside meta is JSON-escaped and kept


def test_corpus_parser_malformed_file_leaves_nothing_of_the_failing_batch(session, tmp_path: Path) -> None:
    path = tmp_path / "broken.PubTator.txt"
    path.write_text(
        PUBTATOR.read_text(encoding="utf-8") + "999|t|Broken.\n999\t0\tx\tBroken\tChemical\tD1\n", encoding="utf-8"
    )
    lines = path.read_text(encoding="utf-8").count("\n")
    with pytest.raises(ParseError) as info:
        blank_parser().apply(PubTatorDocPreprocessor(path), session=session, progress=False, batch_size=2)
    assert (info.value.path, info.value.line) == (str(path), lines)
    # batches [1, 2], [3, 4] landed; [5, broken] was being read and left nothing behind
    assert set(session.scalars(select(Document.name))) == {"227508", "354896", "435349", "603022"}
    assert (
        session.scalar(select(func.count()).select_from(Sentence).join(Document).where(Document.name == "1378968")) == 0
    )


def test_corpus_parser_defaults_to_the_snorkeldb_database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNORKELDB", db_url)
    summary = blank_parser().apply(PubTatorDocPreprocessor(PUBTATOR, max_docs=2), progress=False)
    session = SnorkelSession(db_url)
    try:
        assert summary.documents == 2 and count(session, Document) == 2
    finally:
        session.close()


@pytest.mark.slow
def test_corpus_parser_parallel_run_equals_serial_run(db_url: str, tmp_path: Path) -> None:
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    blank_parser().apply(PubTatorDocPreprocessor(PUBTATOR), db=reference, progress=False)
    summary = blank_parser().apply(
        PubTatorDocPreprocessor(PUBTATOR), db=db_url, parallelism=2, batch_size=2, progress=False
    )
    assert summary.documents == 5
    assert snapshot(db_url) == snapshot(reference)


@pytest.mark.slow
def test_corpus_parser_resumes_after_sigkill(db_url: str, tmp_path: Path, shared_data: Path) -> None:
    source, n_docs = shared_data / "cdr" / "CDR_TrainingSet.PubTator.txt", 120
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    blank_parser().apply(PubTatorDocPreprocessor(source, max_docs=n_docs), db=reference, progress=False)
    job = [sys.executable, "-m", "tests.parsing.jobs", db_url, str(source), str(n_docs), "2", "slow"]
    proc = subprocess.Popen(job, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    session = SnorkelSession(db_url)
    try:
        deadline = time.monotonic() + 120
        while count(session, Document) < 20 and time.monotonic() < deadline and proc.poll() is None:
            session.rollback()
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # the job and its workers, nothing else
        proc.wait()
        session.rollback()
        landed = count(session, Document)
        assert 20 <= landed < n_docs, f"the job was not killed half-way ({landed} documents)"
    finally:
        session.close()
    resumed = blank_parser().apply(PubTatorDocPreprocessor(source, max_docs=n_docs), db=db_url, progress=False)
    assert resumed.skipped == landed and resumed.documents == n_docs - landed
    assert snapshot(db_url) == snapshot(reference)


@pytest.mark.slow
def test_corpus_parser_cdr_every_mention_is_a_span(db_url: str, shared_data: Path) -> None:
    """Must show: the 1,000 CDR training + development abstracts, every mention a span, relations retrievable."""
    files = [shared_data / "cdr" / f"CDR_{part}Set.PubTator.txt" for part in ("Training", "Development")]
    parser = blank_parser()
    records = []
    for path in files:
        summary = parser.apply(PubTatorDocPreprocessor(path), db=db_url, progress=False, batch_size=200)
        assert summary.failures == []
        records.extend(PubTatorDocPreprocessor(path).records())
    session = SnorkelSession(db_url)
    try:
        assert count(session, Document) == 1000
        assert sum(len(r.mentions) for r in records) == 9385 + 9591
        assert count(session, Span) == len({(r.name, m.start, m.end) for r in records for m in r.mentions})
        assert_mentions_stored(session, records)
        cid = sum(len(document_relations(d, relation="CID")) for d in session.scalars(select(Document)))
        assert cid == 1038 + 1012
    finally:
        session.close()
