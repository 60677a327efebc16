"""The per-partition work of the annotators: load candidates, call the functions, write rows.

Module-level and picklable so that :func:`snorkel_ie.runner.run_partitions` can ship it to
worker processes; a worker gets a database URL, never a session. A partition writes its
rows in one transaction and is idempotent: run again (a Dask cluster re-runs the tasks
of a lost worker), it replaces its own rows instead of failing on or duplicating them.
"""

from __future__ import annotations

import pickle
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from snorkel_ie.db import annotations
from snorkel_ie.db.bulk import insert_columns
from snorkel_ie.db.engine import WRITE_LOCK, get_engine
from snorkel_ie.db.models import Candidate, CandidateSpan, Span
from snorkel_ie.db.views import load_views, view_class
from snorkel_ie.errors import LabelingError

_INT_TYPES = (int, np.integer, bool, np.bool_, type(None))


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to process partitions (picklable)."""

    db_url: str | None
    candidate_type: str
    class_spec: tuple[str, tuple[str, ...], int, tuple[Any, ...]] | None
    split: int | None
    fns_blob: bytes
    key_ids: tuple[int, ...]
    cardinality: int
    fail_fast: bool
    orm: bool
    kind: str = "label"


@dataclass
class ErrorRecord:
    """Errors of one function over some candidates: the count and the first one (smallest id)."""

    n: int = 0
    message: str | None = None
    candidate_id: int | None = None

    def add(self, cid: int, message: str) -> None:
        self.n += 1
        if self.candidate_id is None or cid < self.candidate_id:
            self.message, self.candidate_id = message, cid

    def merge(self, other: ErrorRecord) -> None:
        if other.n:
            n = self.n + other.n
            self.add(other.candidate_id, other.message)  # type: ignore[arg-type]
            self.n = n


@dataclass
class PartitionResult:
    n_candidates: int
    n_rows: int
    errors: dict[str, ErrorRecord] = field(default_factory=dict)
    feature_keys: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    """Time spent loading candidates, calling the functions and writing rows."""
    rows: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    """The label rows written ``(candidate ids, key ids, values)``, kept by an in-process run only."""


_FN_CACHE: dict[bytes, list[tuple[str, Callable[..., Any]]]] = {}


def _functions(blob: bytes) -> list[tuple[str, Callable[..., Any]]]:
    fns = _FN_CACHE.get(blob)
    if fns is None:
        _FN_CACHE.clear()
        fns = _FN_CACHE[blob] = pickle.loads(blob)
    return fns


def describe_error(err: BaseException) -> str:
    """``Type: message (file:line)`` of the innermost frame."""
    frames = traceback.extract_tb(err.__traceback__)
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(err).__name__}: {err}{where}"


def load_candidates(engine: Engine, ids: np.ndarray, job: Job, cache: dict | None = None) -> list[Any]:
    """The candidates with ``ids`` as views (default) or ORM objects, optionally from ``cache``."""
    key = (int(ids[0]), int(ids[-1]), len(ids)) if len(ids) else None
    if cache is not None and key in cache:
        return cache[key]
    if job.orm:
        out = _load_orm(engine, ids, job)
    else:
        name, args, card, values = job.class_spec or (job.candidate_type, (), job.cardinality, (False, True))
        with engine.connect() as conn:
            out = load_views(
                conn,
                ids,
                candidate_type=job.candidate_type,
                split=job.split,
                view_cls=view_class(name, args, card, values),
            )
    if cache is not None:
        cache[key] = out
    return out


def _load_orm(engine: Engine, ids: np.ndarray, job: Job) -> list[Any]:
    from snorkel_ie.db.models import candidate_subclass

    if job.class_spec is not None:
        name, args, card, values = job.class_spec
        candidate_subclass(name, list(args), cardinality=card, values=list(values))
    with Session(engine, expire_on_commit=False) as session:
        q = (
            select(Candidate)
            .where(Candidate.id.in_([int(i) for i in ids]))
            .options(
                selectinload(Candidate.argument_rows).joinedload(CandidateSpan.span).joinedload(Span.sentence),
                joinedload(Candidate.sentence),
            )
            .order_by(Candidate.id)
        )
        return list(session.scalars(q).unique())


_NONE_IS_ZERO = {None: 0}


def _convert(values: list[Any], allowed: np.ndarray) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """LF outputs -> int64 array (0 = abstain) and [(position, message)] of invalid outputs.

    The common case (ints, bools and None only) runs at C speed: one pass over the types,
    one over the values (``None`` mapped to 0 by a dict lookup), one ``isin``.
    """
    bad: list[tuple[int, str]] = []
    types = set(map(type, values))
    if all(issubclass(t, _INT_TYPES) for t in types):
        arr = np.fromiter(map(_NONE_IS_ZERO.get, values, values), dtype=np.int64, count=len(values))
    else:
        arr = np.zeros(len(values), dtype=np.int64)
        for i, v in enumerate(values):
            if isinstance(v, _INT_TYPES):
                arr[i] = 0 if v is None else int(v)
            else:
                bad.append(
                    (i, f"returned {v!r} ({type(v).__name__}); expected an int in {allowed.tolist()}, a bool or None")
                )
    if arr.size and (arr.min() < allowed[0] or arr.max() > allowed[-1]):  # allowed is a range: -1..1 or 0..k
        outside = ~np.isin(arr, allowed)
        for i in np.nonzero(outside)[0]:
            bad.append(
                (int(i), f"returned {int(arr[i])}, outside the allowed values {allowed.tolist()} (0/None abstains)")
            )
            arr[i] = 0
    return arr, bad


def allowed_values(cardinality: int) -> np.ndarray:
    return np.array([-1, 0, 1]) if cardinality == 2 else np.arange(cardinality + 1)


def _call(lf: Callable[..., Any], name: str, cands: Sequence[Any], rec: ErrorRecord, fail_fast: bool) -> list[Any]:
    """``[lf(c) for c in cands]``, with ``None`` (and an error in ``rec``) where the LF raised.

    ``list.extend(map(lf, ...))`` runs the calls in C with nothing per call but the call
    itself; when an LF raises, the outputs so far are kept (``extend`` appends as it
    goes), the error is recorded and the calls resume after the candidate that raised.
    """
    out: list[Any] = []
    n = len(cands)
    while len(out) < n:
        start = len(out)
        try:
            out.extend(map(lf, cands[start:] if start else cands))
        except Exception as err:
            c = cands[len(out)]
            if fail_fast:
                raise LabelingError(f"LF {name!r} raised on candidate {c.id}: {describe_error(err)}") from err
            rec.add(c.id, describe_error(err))
            out.append(None)
    return out


def apply_lfs(
    cands: Sequence[Any], lfs: Sequence[tuple[str, Callable[..., Any]]], cardinality: int, fail_fast: bool
) -> tuple[list[np.ndarray], list[np.ndarray], dict[str, ErrorRecord]]:
    """Run every LF over ``cands``: per LF the non-zero rows (positions, values) and the errors."""
    allowed = allowed_values(cardinality)
    positions, values, errors = [], [], {}
    for name, lf in lfs:
        rec = ErrorRecord()
        out = _call(lf, name, cands, rec, fail_fast)
        arr, bad = _convert(out, allowed)
        for i, message in bad:
            if fail_fast:
                raise LabelingError(f"LF {name!r} on candidate {cands[i].id} {message}")
            rec.add(cands[i].id, message)
        nz = np.flatnonzero(arr)
        positions.append(nz)
        values.append(arr[nz])
        if rec.n:
            errors[name] = rec
    return positions, values, errors


@dataclass
class LabelRows:
    """A partition's LF outputs before they are written: its result and its non-zero rows in key order."""

    result: PartitionResult
    cids: np.ndarray
    kids: np.ndarray
    vals: np.ndarray


def label_rows(ids: np.ndarray, *, job: Job, engine: Engine | None = None, cache: dict | None = None) -> LabelRows:
    """Apply the job's LFs to the candidates ``ids``: their non-zero labels, sorted by (candidate, key)."""
    engine = engine if engine is not None else get_engine(job.db_url)
    t0 = time.perf_counter()
    cands = load_candidates(engine, ids, job, cache)
    lfs = _functions(job.fns_blob)
    t1 = time.perf_counter()
    positions, values, errors = apply_lfs(cands, lfs, job.cardinality, job.fail_fast)
    t2 = time.perf_counter()
    cid_arr = np.fromiter((c.id for c in cands), dtype=np.int64, count=len(cands))
    cols_c = [cid_arr[p] for p in positions]
    cols_k = [np.full(len(p), k, dtype=np.int64) for p, k in zip(positions, job.key_ids, strict=True)]
    cids = np.concatenate(cols_c) if cols_c else np.empty(0, np.int64)
    kids = np.concatenate(cols_k) if cols_k else np.empty(0, np.int64)
    vals = np.concatenate(values) if values else np.empty(0, np.int64)
    if len(cids):
        order = np.lexsort((kids, cids))  # primary-key order: appends to the index instead of random inserts
        cids, kids, vals = cids[order], kids[order], vals[order]
    seconds = {"load": t1 - t0, "apply": time.perf_counter() - t1}
    return LabelRows(PartitionResult(len(cands), len(cids), errors, seconds=seconds), cids, kids, vals)


def write_label_rows(ids: np.ndarray, rows: LabelRows, *, job: Job, engine: Engine | None = None) -> PartitionResult:
    """Write a partition's label rows in one transaction (idempotently, see :func:`write_rows`)."""
    engine = engine if engine is not None else get_engine(job.db_url)
    t = time.perf_counter()
    if len(rows.cids):
        with engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
            write_rows(conn, "label", ids, job.key_ids, ["i4", "i4", "i4"], [rows.cids, rows.kids, rows.vals])
    rows.result.seconds["write"] = time.perf_counter() - t
    rows.result.rows = (rows.cids, rows.kids, rows.vals)
    return rows.result


def label_partition(
    ids: np.ndarray, *, job: Job, engine: Engine | None = None, cache: dict | None = None
) -> PartitionResult:
    """Apply the job's LFs to the candidates ``ids`` and write their non-zero labels (one transaction)."""
    engine = engine if engine is not None else get_engine(job.db_url)
    result = write_label_rows(ids, label_rows(ids, job=job, engine=engine, cache=cache), job=job, engine=engine)
    result.rows = None  # a worker process sends back its counts, not its rows
    return result


def feature_partition(
    ids: np.ndarray, *, job: Job, engine: Engine | None = None, cache: dict | None = None
) -> PartitionResult:
    """Compute the features of candidates ``ids``, create their keys and write the rows (one transaction)."""
    from snorkel_ie.db.bulk import get_or_create_keys

    engine = engine if engine is not None else get_engine(job.db_url)
    cands = load_candidates(engine, ids, job, cache)
    ((_, f),) = _functions(job.fns_blob)
    rec = ErrorRecord()
    cid_list: list[int] = []
    names: list[str] = []
    vals: list[float] = []
    for c in cands:
        try:
            feats = dict(_as_pairs(f(c)))
        except Exception as err:
            if job.fail_fast:
                raise LabelingError(f"featurizer raised on candidate {c.id}: {describe_error(err)}") from err
            rec.add(c.id, describe_error(err))
            continue
        cid_list.extend([c.id] * len(feats))
        names.extend(feats)
        vals.extend(feats.values())
    existing_only = job.kind == "feature_existing"
    with engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        uniq = sorted(set(names))
        key_of: dict[str, int] = {}
        for start in range(0, len(uniq), 5000):
            part = uniq[start : start + 5000]
            key_of.update(_existing_keys(conn, part) if existing_only else get_or_create_keys(conn, "feature", part))
        kids = np.fromiter((key_of.get(n, -1) for n in names), dtype=np.int64, count=len(names))
        keep = kids >= 0
        cols = [np.asarray(cid_list, dtype=np.int64)[keep], kids[keep], np.asarray(vals, dtype=np.float64)[keep]]
        write_rows(conn, "feature", ids, None, ["i4", "i4", "f8"], cols)
    return PartitionResult(len(cands), int(keep.sum()), {"featurizer": rec} if rec.n else {}, len(key_of))


def write_rows(
    conn: Connection, table: str, ids: np.ndarray, key_ids: Sequence[int] | None, types: Sequence[str], columns
) -> None:
    """Insert a partition's ``(candidate_id, key_id, value)`` rows in the caller's transaction, idempotently.

    The fast path is one bulk insert. If the partition's rows are already there (it ran
    before and committed), the insert fails on the primary key; it is then rolled back to
    a savepoint, the rows of candidates ``ids`` and keys ``key_ids`` (all keys when None)
    are deleted, and the insert is repeated: the same transaction ends with exactly one
    copy of the partition's rows.
    """
    names = ["candidate_id", "key_id", "value"]
    errors = (IntegrityError, conn.dialect.loaded_dbapi.IntegrityError)
    try:
        with conn.begin_nested():
            insert_columns(conn, table, names, types, columns)
    except errors:
        annotations.delete_rows(conn, table, key_ids=key_ids, split=None, candidate_type=None, candidate_ids_=ids)
        insert_columns(conn, table, names, types, columns)


def _existing_keys(conn: Any, names: list[str]) -> dict[str, int]:
    from snorkel_ie.db.models import AnnotationKey

    t = AnnotationKey.__table__
    return {r.name: r.id for r in conn.execute(t.select().where(t.c.kind == "feature", t.c.name.in_(names)))}


def _as_pairs(feats: Any):
    for item in feats or ():
        if isinstance(item, str):
            yield item, 1.0
        else:
            name, value = item
            yield str(name), float(value)
