"""Gold labels: write them from a TSV or from documents' relations, load them aligned with a split.

Gold rows live in the ``gold_label`` table under a key ``('gold', annotator_name)``.
:func:`load_gold_labels` returns a one-column :class:`AnnotationMatrix` whose rows are the
split's candidates sorted by id, exactly the rows of ``load_matrix`` for the same split.
It takes Snorkel 0.7's loading options too: ``cids_query``, ``zero_one``,
``load_as_array`` and ``key_group`` (only 0: keys have no group here).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from snorkel_ie.db import annotations
from snorkel_ie.db.bulk import get_or_create_keys, insert_columns
from snorkel_ie.db.engine import WRITE_LOCK
from snorkel_ie.db.models import Candidate, CandidateSpan, Document, Sentence, Span
from snorkel_ie.errors import ConfigurationError, ParseError
from snorkel_ie.labeling.annotator import check_key_group, finish_matrix, query_candidate_ids
from snorkel_ie.labeling.matrix import AnnotationMatrix, candidate_type_of, load_matrix

__all__ = [
    "gold_annotator_names",
    "load_gold_labels",
    "load_gold_labels_from_csv",
    "load_gold_labels_from_pubtator",
    "load_gold_labels_from_relations",
    "load_gold_labels_from_tsv",
    "save_gold_labels",
]


def load_gold_labels(
    session: Session,
    annotator_name: str = "gold",
    split: int | None = 1,
    *,
    candidate_class: Any = None,
    key_group: int = 0,
    cids_query: Any = None,
    zero_one: bool = False,
    load_as_array: bool = False,
) -> AnnotationMatrix | np.ndarray:
    """Gold labels of ``split`` as an ``(n, 1)`` matrix aligned with ``load_matrix`` (0 = no gold).

    Parameters
    ----------
    session
        An open session.
    annotator_name
        Whose gold labels (the name given to :func:`save_gold_labels`).
    split
        The candidates' split (rows: its candidates by id); ignored with ``cids_query``.
    candidate_class
        Restrict the rows to one candidate class.
    key_group
        Snorkel 0.7's key group; keys have no group here, so only 0 is accepted.
    cids_query
        Rows are these candidates (a query of ids, or candidates/ids), sorted by id,
        whatever their split.
    zero_one
        Map the labels to {0, 1}: 1 stays, everything else (-1, classes 2..k) becomes 0.
    load_as_array
        Return ``np.squeeze`` of the dense array: an ``(n,)`` vector.
    """
    check_key_group(key_group)
    ids = None if cids_query is None else query_candidate_ids(session, cids_query)
    matrix = load_matrix(
        session,
        "gold",
        split if ids is None else None,
        candidate_class=candidate_class,
        key_names=[annotator_name],
        candidate_ids=ids,
    )
    return finish_matrix(matrix, zero_one=zero_one, load_as_array=load_as_array)


def gold_annotator_names(session: Session) -> list[str]:
    """The names of the gold annotators stored in the database, sorted."""
    from snorkel_ie.db.models import AnnotationKey

    q = select(AnnotationKey.name).where(AnnotationKey.kind == "gold").order_by(AnnotationKey.name)
    return list(session.scalars(q))


def save_gold_labels(
    session: Session, candidates: Iterable[Any], labels: Sequence[int] | np.ndarray, *, annotator_name: str = "gold"
) -> int:
    """Write gold ``labels`` for ``candidates`` (candidates or ids), replacing this annotator's previous ones.

    Labels of 0 are not stored (unknown). Returns the number of rows written.
    """
    ids = np.asarray([int(getattr(c, "id", c)) for c in candidates], dtype=np.int64)
    values = np.asarray(labels, dtype=np.int64).ravel()
    if len(ids) != len(values):
        raise ConfigurationError(f"{len(ids)} candidates but {len(values)} labels")
    if len(np.unique(ids)) != len(ids):
        raise ConfigurationError("a candidate is listed more than once")
    session.commit()
    with session.get_bind().connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        key = get_or_create_keys(conn, "gold", [annotator_name])[annotator_name]
        annotations.delete_rows(conn, "gold_label", key_ids=[key], split=None, candidate_type=None, candidate_ids_=ids)
        keep = values != 0
        insert_columns(
            conn,
            "gold_label",
            ["candidate_id", "key_id", "value"],
            ["i4", "i4", "i4"],
            [ids[keep], np.full(int(keep.sum()), key), values[keep]],
        )
    session.commit()  # end the read snapshot: see the rows just written
    return int(keep.sum())


def _argument_rows(
    session: Session, ctype: str | None, split: int | None
) -> dict[int, list[tuple[str, str, int, int]]]:
    """Per candidate id: its arguments as (document name, span stable id, abs start, abs end)."""
    q = (
        select(
            CandidateSpan.candidate_id,
            Document.name,
            Span.stable_id,
            Sentence.abs_char_offsets,
            Sentence.char_offsets,
            Span.char_start,
            Span.char_end,
        )
        .join(Candidate, Candidate.id == CandidateSpan.candidate_id)
        .join(Span, Span.id == CandidateSpan.span_id)
        .join(Sentence, Sentence.id == Span.sentence_id)
        .join(Document, Document.id == Sentence.document_id)
        .order_by(CandidateSpan.candidate_id, CandidateSpan.position)
    )
    if ctype is not None:
        q = q.where(Candidate.type == ctype)
    if split is not None:
        q = q.where(Candidate.split == split)
    out: dict[int, list[tuple[str, str, int, int]]] = {}
    for cid, doc, sid, abs_offsets, offsets, start, end in session.execute(q):
        base = (abs_offsets[0] - offsets[0]) if abs_offsets else 0
        out.setdefault(cid, []).append((doc, sid, base + start, base + end))
    return out


def load_gold_labels_from_tsv(
    session: Session,
    path: str | Path,
    candidate_class: Any,
    *,
    annotator_name: str = "gold",
    split: int | None = None,
    id_format: str = "offsets",
    symmetric: bool = False,
    has_header: bool | None = None,
) -> tuple[int, int]:
    """Attach gold labels from a TSV to the matching candidates.

    ``id_format='offsets'``: lines ``document<TAB>start1<TAB>end1<TAB>start2<TAB>end2<TAB>label``
    with absolute, end-exclusive document offsets (the spouse ``gold_labels.tsv`` layout);
    ``id_format='stable_ids'``: ``span1_stable_id<TAB>span2_stable_id<TAB>label``. A header
    line is skipped. With ``symmetric`` a pair also matches the candidate with swapped
    arguments. Labels are ints (binary ``1``/``-1``).

    Returns
    -------
    (matched, unmatched)
        Lines that found a candidate, and lines that did not.
    """
    if id_format not in ("offsets", "stable_ids"):
        raise ConfigurationError(f"id_format must be 'offsets' or 'stable_ids'; got {id_format!r}")
    args = _argument_rows(session, candidate_type_of(candidate_class), split)
    index: dict[tuple, int] = {}
    for cid, spans in args.items():
        key = _key(spans, id_format)
        index[key] = cid
        if symmetric and len(key) == 2 + (id_format == "offsets"):
            index.setdefault(_swap(key, id_format), cid)
    labels: dict[int, int] = {}
    unmatched = 0
    card = int(getattr(candidate_class, "cardinality", 2))
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as fh:
        for lineno, fields in enumerate(csv.reader(fh, delimiter="\t"), start=1):
            if not fields or (lineno == 1 and has_header is not False and not _is_data(fields, id_format)):
                continue
            try:
                key, label = _parse(fields, id_format)
            except (ValueError, IndexError) as err:
                raise ParseError(f"bad gold line {fields!r}: {err}", str(path), lineno) from err
            label = _label_value(str(label), card, path, lineno)
            cid = index.get(key)
            if cid is None:
                unmatched += 1
            else:
                labels[cid] = label
    save_gold_labels(session, list(labels), list(labels.values()), annotator_name=annotator_name)
    return len(labels), unmatched


def load_gold_labels_from_csv(
    session: Session,
    path: str | Path,
    candidate_class: Any,
    *,
    annotator_name: str = "gold",
    split: int | None = None,
    symmetric: bool = False,
) -> tuple[int, int]:
    """Attach gold labels from a CSV with a header line, such as the one ``snorkel-ie export`` writes.

    Columns: the label in ``label`` (or ``gold``; an empty cell is skipped), the candidate in
    ``stable_ids`` (its arguments' span stable ids joined by ``~~``, Snorkel 0.7's StableLabel
    key) or in one ``<argument>_stable_id`` column per argument. Labels are checked against
    the class's cardinality; a bad row is a :class:`~snorkel_ie.errors.ParseError` naming
    the file and line, and nothing is written then.

    Returns
    -------
    (matched, unmatched)
        Rows that found a candidate, and rows that did not.
    """
    path = Path(path)
    names = list(getattr(candidate_class, "__argnames__", ()))
    index = _stable_index(session, candidate_type_of(candidate_class), split, symmetric)
    card = int(getattr(candidate_class, "cardinality", 2))
    labels: dict[int, int] = {}
    unmatched = 0
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        label_col = next((c for c in ("label", "gold") if c in header), None)
        arg_cols = [f"{n}_stable_id" for n in names]
        if label_col is None or ("stable_ids" not in header and not (names and set(arg_cols) <= set(header))):
            wanted = " or ".join(["'stable_ids'", *([", ".join(repr(c) for c in arg_cols)] if names else [])])
            raise ParseError(f"the header needs a 'label' (or 'gold') column and {wanted}; got {header}", str(path), 1)
        for row in reader:
            cell = (row.get(label_col) or "").strip()
            if not cell:
                continue
            label = _label_value(cell, card, path, reader.line_num)
            ids = row["stable_ids"].split("~~") if "stable_ids" in header else [row[c] for c in arg_cols]
            cid = index.get(tuple(i.strip() for i in ids))
            if cid is None:
                unmatched += 1
            else:
                labels[cid] = label
    save_gold_labels(session, list(labels), list(labels.values()), annotator_name=annotator_name)
    return len(labels), unmatched


def _stable_index(session: Session, ctype: str | None, split: int | None, symmetric: bool) -> dict[tuple, int]:
    index: dict[tuple, int] = {}
    for cid, spans in _argument_rows(session, ctype, split).items():
        key = tuple(s[1] for s in spans)
        index[key] = cid
        if symmetric and len(key) == 2:
            index.setdefault(key[::-1], cid)
    return index


def _label_value(cell: str, cardinality: int, path: Path, lineno: int) -> int:
    """A gold label of a file: binary ``1``/``-1`` (``0`` unknown), or ``1..k`` for k classes."""
    allowed = (-1, 0, 1) if cardinality == 2 else tuple(range(cardinality + 1))
    try:
        number = float(cell)
    except ValueError:
        number = float("nan")
    value = int(number) if number.is_integer() else None
    if value not in allowed:
        raise ParseError(
            f"gold label {cell!r} is not one of {', '.join(map(str, allowed))} (cardinality {cardinality})",
            str(path),
            lineno,
        )
    return value


def _key(spans: list[tuple[str, str, int, int]], id_format: str) -> tuple:
    if id_format == "stable_ids":
        return tuple(s[1] for s in spans)
    return (spans[0][0], *((s[2], s[3]) for s in spans))


def _swap(key: tuple, id_format: str) -> tuple:
    return (key[1], key[0]) if id_format == "stable_ids" else (key[0], key[2], key[1])


def _is_data(fields: list[str], id_format: str) -> bool:
    try:
        _parse(fields, id_format)
        return True
    except (ValueError, IndexError):
        return False


def _parse(fields: list[str], id_format: str) -> tuple[tuple, int]:
    if id_format == "stable_ids":
        if len(fields) != 3:
            raise ValueError(f"expected 3 fields, got {len(fields)}")
        return (fields[0], fields[1]), int(fields[2])
    if len(fields) != 6:
        raise ValueError(f"expected 6 fields, got {len(fields)}")
    doc, a1, b1, a2, b2, label = fields
    return (doc, (int(a1), int(b1)), (int(a2), int(b2))), int(label)


def _ids_of(tokens: Iterable[Any]) -> set[str]:
    out: set[str] = set()
    for t in tokens:
        for part in str(t).split("|") if t is not None else ():
            if part and part not in ("-1", "O", "None"):
                out.add(part)
    return out


def relation_pairs(meta: dict | None, relation: str) -> set[tuple[str, ...]]:
    """Argument-id tuples of ``relation`` in a document's ``meta['relations']``.

    Accepts list entries ``[type, id1, id2, ...]`` (as the PubTator and BioC readers store
    them) and dict entries ``{'type': ..., 'args': [...]}``.
    """
    out: set[tuple[str, ...]] = set()
    for rel in (meta or {}).get("relations", []) or []:
        if isinstance(rel, dict):
            kind, ids = rel.get("type"), rel.get("args", [])
        else:
            kind, ids = rel[0], rel[1:]
        if kind == relation:
            out.add(tuple(str(i) for i in ids))
    return out


def load_gold_labels_from_relations(
    session: Session,
    candidate_class: Any,
    *,
    relation: str = "CID",
    annotator_name: str = "gold",
    split: int | None = None,
) -> tuple[int, int]:
    """Gold labels from document-level relations (e.g. CDR's chemical-induced-disease pairs).

    A candidate is positive (+1) when some pair of its arguments' entity ids (from the
    argument tokens' ``entity_cids``; ``|``-joined lists are split, ``-1`` ignored) is a
    ``relation`` tuple of its document, negative (-1) otherwise.

    Returns
    -------
    (positives, negatives)
    """
    ids, labels = _relation_labels(session, candidate_class, split, lambda doc: relation_pairs(doc.meta, relation))
    save_gold_labels(session, ids, labels, annotator_name=annotator_name)
    return sum(v == 1 for v in labels), sum(v == -1 for v in labels)


def load_gold_labels_from_pubtator(
    session: Session,
    path: str | Path,
    candidate_class: Any,
    *,
    relation: str = "CID",
    annotator_name: str = "gold",
    split: int | None = None,
    encoding: str = "utf-8",
) -> tuple[int, int, int]:
    """Gold labels from the relation lines of a PubTator file (``PMID<TAB>CID<TAB>chemical<TAB>disease``).

    The candidates of the file's documents (matched by document name) are labeled as by
    :func:`load_gold_labels_from_relations`, with the file's relations instead of the stored
    ones; candidates of other documents keep their gold labels. The file is read whole
    (a malformed line is a :class:`~snorkel_ie.errors.ParseError` naming it) before anything
    is written.

    Returns
    -------
    (positives, negatives, documents of the file not in the database)
    """
    from snorkel_ie.parsing.preprocessors import PubTatorDocPreprocessor

    pairs = {
        r.name: relation_pairs(r.meta, relation) for r in PubTatorDocPreprocessor(path, encoding=encoding).records()
    }
    ids, labels = _relation_labels(
        session, candidate_class, split, lambda doc: pairs.get(doc.name, set()), documents=list(pairs)
    )
    stored = _stored_document_names(session, list(pairs))
    save_gold_labels(session, ids, labels, annotator_name=annotator_name)
    return sum(v == 1 for v in labels), sum(v == -1 for v in labels), len(pairs) - len(stored)


def _stored_document_names(session: Session, names: list[str]) -> set[str]:
    out: set[str] = set()
    for start in range(0, len(names), 500):
        part = names[start : start + 500]
        out.update(session.scalars(select(Document.name).where(Document.name.in_(part))))
    return out


def _relation_labels(
    session: Session, candidate_class: Any, split: int | None, pairs_of_document, documents: list[str] | None = None
) -> tuple[list[int], list[int]]:
    """Candidate ids and their +1/-1 labels: positive when an argument-id pair is a relation of the document."""
    ctype = candidate_type_of(candidate_class)
    q = select(candidate_class if isinstance(candidate_class, type) else Candidate)
    if ctype is not None:
        q = q.where(Candidate.type == ctype)
    if split is not None:
        q = q.where(Candidate.split == split)
    if documents is not None:
        in_docs = select(Sentence.id).join(Document, Document.id == Sentence.document_id)
        q = q.where(Candidate.sentence_id.in_(in_docs.where(Document.name.in_(documents))))
    pairs_of: dict[int, set[tuple[str, ...]]] = {}
    ids, labels = [], []
    for cand in session.scalars(q.order_by(Candidate.id)):
        doc = cand.sentence.document
        if doc.id not in pairs_of:
            pairs_of[doc.id] = pairs_of_document(doc)
        arg_ids = [_ids_of(span.get_attrib_tokens("entity_cids")) for span in cand.get_contexts()]
        ids.append(cand.id)
        labels.append(1 if _any_pair(arg_ids, pairs_of[doc.id]) else -1)
    return ids, labels


def _any_pair(arg_ids: list[set[str]], pairs: set[tuple[str, ...]]) -> bool:
    if len(arg_ids) != 2:
        return False
    return any((a, b) in pairs for a in arg_ids[0] for b in arg_ids[1])
