"""Round trips and cascades of the data model on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from snorkel_ie.db.models import (
    AnnotationKey,
    Candidate,
    CandidateSpan,
    Context,
    Document,
    Feature,
    GoldLabel,
    Label,
    Marginal,
    Prediction,
    Sentence,
    Span,
    candidate_subclass,
    span_stable_id,
    split_stable_id,
)
from snorkel_ie.errors import CandidateError

Spouse = candidate_subclass("Spouse", ["person1", "person2"])
ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])

TEXT = "Barack Obama married Michelle Robinson in 1992. Zoë Saldaña wed Marco Perego — in Italy."


def _sentence(doc: Document, position: int, start: int, end: int) -> Sentence:
    text = TEXT[start:end]
    words, offsets = [], []
    pos = 0
    for w in text.split(" "):
        words.append(w)
        offsets.append(pos)
        pos += len(w) + 1
    n = len(words)
    return Sentence(
        document=doc,
        position=position,
        stable_id=f"{doc.name}::sentence:{start}:{end}",
        text=text,
        words=words,
        char_offsets=offsets,
        abs_char_offsets=[start + o for o in offsets],
        lemmas=[w.lower() for w in words],
        pos_tags=["X"] * n,
        ner_tags=["O"] * n,
        dep_parents=[0] * n,
        dep_labels=[""] * n,
        entity_cids=[None] * n,
        entity_types=[None] * n,
    )


def _span(sentence: Sentence, start: int, end: int) -> Span:
    abs_start = sentence.abs_char_offsets[0] + start
    return Span(
        sentence=sentence,
        char_start=start,
        char_end=end,
        stable_id=span_stable_id(sentence.document.name, abs_start, abs_start + end - start),
    )


def _populate(session) -> tuple[Document, list[Span]]:
    doc = Document("news-1", meta={"source": "test", "relations": [["spouse", "Obama", "Robinson"]]})
    s1 = _sentence(doc, 0, 0, 47)
    s2 = _sentence(doc, 1, 48, len(TEXT))
    spans = [_span(s1, 0, 12), _span(s1, 21, 38), _span(s2, 0, 11), _span(s2, 16, 28)]
    session.add(doc)
    session.add_all([Spouse(person1=spans[0], person2=spans[1]), Spouse(person1=spans[2], person2=spans[3], split=1)])
    session.commit()
    return doc, spans


def test_document_round_trip_keeps_unicode_and_meta(session) -> None:
    _doc, _ = _populate(session)
    session.expunge_all()
    loaded = session.scalars(select(Document)).one()
    assert loaded.meta["relations"] == [["spouse", "Obama", "Robinson"]]
    assert [s.position for s in loaded.sentences] == [0, 1]
    second = loaded.sentences[1]
    assert second.words[:2] == ["Zoë", "Saldaña"]
    for word, start in zip(second.words, second.abs_char_offsets, strict=True):
        assert TEXT[start : start + len(word)] == word


def test_candidate_subclass_exposes_named_spans(session) -> None:
    _populate(session)
    session.expunge_all()
    cands = session.scalars(select(Spouse).order_by(Spouse.id)).all()
    assert [(c.person1.get_span(), c.person2.get_span()) for c in cands] == [
        ("Barack Obama", "Michelle Robinson"),
        ("Zoë Saldaña", "Marco Perego"),
    ]
    assert [c.split for c in cands] == [0, 1]
    assert cands[1].person1.get_stable_id() == "news-1::span:48:59"
    assert split_stable_id(cands[1].person1.get_stable_id()) == ("news-1", "span", 48, 59)
    assert cands[0].person2.get_attrib_tokens("words") == ["Michelle", "Robinson"]


def test_candidate_is_unique_per_span_tuple(session) -> None:
    _, spans = _populate(session)
    session.add(Spouse(person1=spans[0], person2=spans[1]))
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        session.commit()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Spouse)) == 2


def test_candidate_classes_do_not_see_each_other(session) -> None:
    _, spans = _populate(session)
    session.add(ChemicalDisease(chemical=spans[0], disease=spans[1]))
    session.commit()
    assert session.scalar(select(func.count()).select_from(Spouse)) == 2
    assert session.scalar(select(func.count()).select_from(ChemicalDisease)) == 1
    assert session.scalar(select(func.count()).select_from(Candidate)) == 3


def test_polymorphic_context_query_returns_every_kind(session) -> None:
    _populate(session)
    kinds = sorted(type(c).__name__ for c in session.scalars(select(Context)))
    assert kinds == ["Document"] + ["Sentence"] * 2 + ["Span"] * 4


def _annotate(session) -> None:
    keys = [AnnotationKey(kind=k, name=n) for k, n in (("label", "LF_a"), ("gold", "gold"), ("feature", "f"))]
    session.add_all(keys)
    session.flush()
    for cand in session.scalars(select(Candidate)):
        session.add_all(
            [
                Label(candidate_id=cand.id, key_id=keys[0].id, value=1),
                GoldLabel(candidate_id=cand.id, key_id=keys[1].id, value=-1),
                Feature(candidate_id=cand.id, key_id=keys[2].id, value=0.5),
                Marginal(candidate_id=cand.id, training=True, value=1, probability=0.75),
                Prediction(candidate_id=cand.id, model="bilstm", value=1),
            ]
        )
    session.commit()


def test_annotations_round_trip(session) -> None:
    _populate(session)
    _annotate(session)
    assert session.scalars(select(Label.value)).all() == [1, 1]
    assert session.scalars(select(Marginal.probability)).all() == [0.75, 0.75]
    assert session.scalars(select(Feature.value)).all() == [0.5, 0.5]


@pytest.mark.parametrize(
    "table", [Sentence, Span, Candidate, CandidateSpan, Label, GoldLabel, Feature, Marginal, Prediction]
)
def test_deleting_a_document_cascades(session, table) -> None:
    doc, _ = _populate(session)
    _annotate(session)
    assert session.scalar(select(func.count()).select_from(table)) > 0
    session.delete(doc)
    session.commit()
    assert session.scalar(select(func.count()).select_from(table)) == 0
    assert session.scalar(select(func.count()).select_from(AnnotationKey)) == 3


@pytest.mark.parametrize("table", [Label, Feature])
def test_bulk_row_tables_refuse_missing_references_and_cascade_key_deletes(session, table) -> None:
    """The references of label/feature rows (checked per statement on PostgreSQL) hold like foreign keys."""
    _populate(session)
    _annotate(session)
    cand_id = session.scalars(select(Candidate.id)).first()
    key = session.scalars(select(AnnotationKey).where(AnnotationKey.kind == "label")).one()
    for bad in ({"candidate_id": 10**6, "key_id": key.id}, {"candidate_id": cand_id, "key_id": 10**6}):
        with pytest.raises(IntegrityError):
            with session.begin_nested():
                session.execute(insert(table).values(value=1, **bad))
    with pytest.raises(IntegrityError):  # an UPDATE is checked too
        with session.begin_nested():
            session.execute(update(table).where(table.candidate_id == cand_id).values(candidate_id=10**6))
    doomed = session.scalars(select(AnnotationKey)).all()
    for k in doomed:
        session.delete(k)
    session.commit()
    assert session.scalar(select(func.count()).select_from(table)) == 0
    assert session.scalar(select(func.count()).select_from(GoldLabel)) == 0


@pytest.mark.parametrize("parent", [Candidate, AnnotationKey])
def test_referenced_parent_ids_cannot_change(session, parent) -> None:
    """Changing a candidate or key id that label rows reference is refused, as a foreign key refuses it."""
    _populate(session)
    _annotate(session)
    column = Label.candidate_id if parent is Candidate else Label.key_id
    old_id = session.scalars(select(column)).first()
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(update(parent).where(parent.id == old_id).values(id=10**6))
    session.rollback()
    assert session.scalar(select(func.count()).select_from(parent).where(parent.id == old_id)) == 1


def test_truncating_a_referenced_parent_is_refused_unless_its_rows_go_too(session) -> None:
    """PostgreSQL only (SQLite has no TRUNCATE): truncating candidate but not label fails."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    _populate(session)
    _annotate(session)
    session.commit()
    referencing = session.scalars(
        text(
            "SELECT DISTINCT conrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND confrelid = 'candidate'::regclass"
        )
    ).all()  # the tables with real foreign keys to candidate (PostgreSQL refuses to truncate without them)
    tables = ", ".join(["candidate", *referencing])
    with pytest.raises(IntegrityError, match="truncate candidate, label and feature together"):
        session.execute(text(f"TRUNCATE {tables}"))
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Label)) > 0
    session.execute(text(f"TRUNCATE {tables}, label, feature"))
    session.commit()
    assert session.scalar(select(func.count()).select_from(Candidate)) == 0


def test_candidate_subclass_is_idempotent_and_checks_redefinition() -> None:
    assert candidate_subclass("Spouse", ["person1", "person2"]) is Spouse
    with pytest.raises(CandidateError, match="already exists"):
        candidate_subclass("Spouse", ["a", "b"])
    with pytest.raises(CandidateError, match="identifier"):
        candidate_subclass("Bad Name", ["a", "b"])
    with pytest.raises(CandidateError, match="distinct"):
        candidate_subclass("Twice", ["a", "a"])


def test_candidate_needs_spans_from_one_document(session) -> None:
    doc, spans = _populate(session)
    cross = Spouse(person1=spans[0], person2=spans[2])  # two sentences of one document: document scope
    assert cross.get_parent() is doc and cross.span_key == "0:12,0:11@1"
    other = Document("news-2")
    s3 = _sentence(other, 0, 0, 47)
    with pytest.raises(CandidateError, match="different documents"):
        Spouse(person1=spans[0], person2=_span(s3, 0, 12))
    with pytest.raises(CandidateError, match="missing"):
        Spouse(person1=spans[0])
