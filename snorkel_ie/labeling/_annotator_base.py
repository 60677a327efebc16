"""Shared annotator machinery: the candidate set, its partitions, the run and its summary.

:class:`_Annotator` resolves the candidates to annotate (a split's, or a ``cids_query``'s),
cuts them into partitions and runs a partition function on them, serially (functions
kept in-process, candidate views cached) or in worker processes / on Dask (functions
pickled). :class:`LabelAnnotator` and :class:`FeatureAnnotator` build on it.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from snorkel_ie.db import annotations
from snorkel_ie.db.dbapi import is_postgres
from snorkel_ie.db.engine import single_connection
from snorkel_ie.db.models import Candidate, load_candidate_class
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling._apply import ErrorRecord, Job, PartitionResult
from snorkel_ie.labeling._options import _check_count, check_key_group, query_candidate_ids
from snorkel_ie.labeling.matrix import candidate_type_of
from snorkel_ie.log import report
from snorkel_ie.runner import check_cluster_url, run_overlapped, run_partitions

_log = logging.getLogger(__name__)


@dataclass
class ApplySummary:
    """What one ``apply`` did."""

    split: int | None
    candidate_type: str
    n_candidates: int
    ran: list[str]
    skipped: list[str]
    n_rows: int = 0
    seconds: float = 0.0
    errors: dict[str, ErrorRecord] = field(default_factory=dict)
    phase_seconds: dict[str, float] = field(default_factory=dict)
    """Summed over partitions (worker time when parallel): load, apply, write."""

    @property
    def failed_on_all(self) -> list[str]:
        """The functions that raised (or returned an invalid value) on every candidate."""
        return [name for name, rec in self.errors.items() if self.n_candidates and rec.n >= self.n_candidates]

    def __str__(self) -> str:
        lines = [
            f"{self.candidate_type} split {self.split}: {self.n_candidates} candidates; ran {len(self.ran)} "
            f"function(s), {len(self.skipped)} unchanged; {self.n_rows} non-zero rows in {self.seconds:.2f} s"
        ]
        for name, rec in self.errors.items():
            lines.append(
                f"  {name}: raised on {rec.n} candidate(s); first on candidate {rec.candidate_id}: {rec.message}"
            )
        return "\n".join(lines)


def _serialize(fns: list[tuple[str, Callable[..., Any]]]) -> bytes | None:
    """Pickle the functions for worker processes (cloudpickle when installed); None when impossible."""
    try:
        import cloudpickle

        return cloudpickle.dumps(fns)
    except ImportError:
        pass
    except Exception:
        return None
    try:
        return pickle.dumps(fns)
    except Exception:
        return None


class _Annotator:
    """Shared machinery: resolve the candidate set, partition it, run a partition function."""

    kind = "label"
    _partition_fn: Callable[..., PartitionResult]
    _compute_fn: Callable[..., Any] | None = None
    """With ``_write_fn``: the partition function cut in two, so a serial run overlaps the writes with the calls."""
    _write_fn: Callable[..., PartitionResult] | None = None
    _extra_frames = 0  # frames between the user's ``apply`` call and ``_run`` beyond ``apply`` itself (warnings)

    def __init__(self, *, partition_size: int = 20_000, orm_candidates: bool = False, cache_limit: int = 2_000_000):
        if partition_size < 1:
            raise ConfigurationError(f"partition_size must be positive; got {partition_size}")
        self.partition_size = partition_size
        self.orm_candidates = orm_candidates
        self.cache_limit = cache_limit
        self.candidate_type: str | None = None
        self.last_summary: ApplySummary | None = None
        self._cache: dict[str, Any] = {"key": None, "parts": {}}
        self._fingerprint: str | None = None  # of the candidates of the current apply

    def _resolve(
        self, session: Session, split: int | None, candidate_class: Any, ids: np.ndarray | None = None
    ) -> tuple[str, Any]:
        """The candidate type and class; from the split's candidates, or from ``ids`` (a ``cids_query``'s)."""
        ctype = candidate_type_of(candidate_class)
        if ctype is None:
            types = (
                annotations.candidate_types(session.connection(), split=split)
                if ids is None
                else _types_of(session, ids)
            )
            where = f"split {split}" if ids is None else "cids_query"
            if len(types) > 1:
                raise ConfigurationError(f"{where} holds candidates of several classes {types}; pass candidate_class=")
            ctype = types[0] if types else (self.candidate_type or "candidate")
        cls = candidate_class if isinstance(candidate_class, type) else None
        if cls is None:  # this process's class, else the definition stored when the candidates were extracted
            cls = load_candidate_class(session, ctype)
        if cls is None and isinstance(candidate_class, str):
            known = annotations.candidate_types(session.connection(), split=None)
            if ctype not in known:  # a misspelled name would label nothing and record runs of a class that is not
                raise ConfigurationError(
                    f"unknown candidate class {candidate_class!r}: the database has no candidates of it "
                    f"(known: {', '.join(known) or 'none'}); check the name or run 'snorkel-ie extract' first"
                )
        self.candidate_type = ctype
        return ctype, cls

    def _candidates_fingerprint(self, session: Session, ids: np.ndarray, ctype: str, split: int | None) -> str:
        """:func:`candidate_fingerprint` of this apply's candidates, computed once per apply."""
        if self._fingerprint is None:
            self._fingerprint = candidate_fingerprint(session.connection(), ids, candidate_type=ctype, split=split)
        return self._fingerprint

    def _candidates(
        self, session: Session, split: int | None, candidate_class: Any, cids_query: Any
    ) -> tuple[str, Any, np.ndarray]:
        """``(candidate type, class, sorted ids)`` to annotate: the split's, or those of ``cids_query``."""
        if cids_query is None:
            ctype, cls = self._resolve(session, split, candidate_class)
            return ctype, cls, annotations.candidate_ids(session.connection(), split=split, candidate_type=ctype)
        ids = query_candidate_ids(session, cids_query)
        ctype, cls = self._resolve(session, split, candidate_class, ids)
        return ctype, cls, ids

    def _begin(
        self,
        session: Session | None,
        split: int,
        cids_query: Any,
        candidate_class: Any,
        *,
        key_group: int,
        count: int | None,
        progress: bool,
        progress_bar: bool | None,
        client: Any,
    ) -> tuple[Session, bool, str, Any, np.ndarray]:
        """The start of every ``apply``: check Snorkel 0.7's options, commit, pick the candidates.

        Returns the session, whether to show progress (``progress_bar``, 0.7's spelling,
        wins when given), and the candidate type, class and sorted ids.
        """
        check_key_group(key_group)
        _check_count(count)
        progress = progress if progress_bar is None else bool(progress_bar)
        session = session if session is not None else _default_session()
        if client is not None:
            check_cluster_url(session.get_bind().url)
        session.commit()  # the workers' connections must see the candidates
        self._fingerprint = None
        ctype, cls, ids = self._candidates(session, split, candidate_class, cids_query)
        return session, progress, ctype, cls, ids

    def _finish(self, session: Session, summary: ApplySummary, progress: bool) -> None:
        """Keep and (with ``progress``) print the summary; end the read snapshot to see the rows just written."""
        self.last_summary = summary
        if progress:
            report(_log, str(summary))
        session.commit()

    def apply_existing(self, split: int = 1, key_group: int = 0, cids_query: Any = None, **kwargs: Any) -> Any:
        """Annotate another split with the existing key set only (Snorkel 0.7's ``replace_key_set=False``).

        Takes the options of :meth:`apply`.
        """
        return self.apply(split, key_group, False, cids_query, **kwargs)  # type: ignore[attr-defined]

    @staticmethod
    def _class_spec(cls: Any) -> tuple[str, tuple[str, ...], int, tuple[Any, ...]] | None:
        if cls is None or cls is Candidate:
            return None
        return (cls.__name__, tuple(cls.__argnames__), int(cls.cardinality), tuple(cls.values))

    def _run(
        self,
        session: Session,
        ids: np.ndarray,
        job: Job,
        fns: list[tuple[str, Callable[..., Any]]],
        *,
        parallelism: int,
        progress: bool,
        client: Any = None,
        total: int | None = None,
    ) -> list[PartitionResult]:
        parts = [ids[i : i + self.partition_size] for i in range(0, len(ids), self.partition_size)]
        processes = (parallelism > 1 and len(parts) > 1) or client is not None
        blob = _serialize(fns) if processes else None
        if processes and blob is None:
            warnings.warn(
                "the labeling functions cannot be pickled for worker processes (define them at module level, or "
                "install cloudpickle); running serially",
                stacklevel=3 + self._extra_frames,
            )
            processes = False
        shown = {"progress": progress, "desc": "labeling" if self.kind == "label" else "featurizing",
                 "unit": "candidate", "weight": len, "total": total}  # fmt: skip
        if processes:
            context: dict[str, Any] = {"job": replace(job, fns_blob=blob)}
            return list(
                run_partitions(
                    self._partition_fn, parts, parallelism=parallelism, client=client, context=context, **shown
                )
            )
        cache = self._view_cache(session, ids, job)
        engine = session.get_bind()
        job = _with_local_functions(job, fns)
        context = {"job": job, "engine": engine, "cache": cache}
        if self._compute_fn is None or self._write_fn is None or single_connection(engine):
            return list(run_partitions(self._partition_fn, parts, parallelism=1, context=context, **shown))
        write = self._write_fn

        def sink(part: np.ndarray, rows: Any) -> PartitionResult:
            return write(part, rows, job=job, engine=engine)

        return list(run_overlapped(self._compute_fn, sink, parts, context=context, **shown))

    def _view_cache(self, session: Session, ids: np.ndarray, job: Job) -> dict | None:
        """In-process cache of loaded candidate views, valid while the candidates and their spans are unchanged.

        Keyed by the candidates' fingerprint, not their ids alone: SQLite gives a
        re-extracted split the ids of the candidates it replaced.
        """
        if job.orm or len(ids) > self.cache_limit:
            return None
        fingerprint = self._candidates_fingerprint(session, ids, job.candidate_type, job.split)
        key = (str(job.db_url), job.candidate_type, job.split, fingerprint, self.partition_size)
        if self._cache["key"] != key:
            self._cache = {"key": key, "parts": {}}
        return self._cache["parts"]

    def clear_cache(self) -> None:
        """Drop the candidates kept in memory since the last ``apply``."""
        self._cache = {"key": None, "parts": {}}


def candidate_fingerprint(conn: Connection, ids: np.ndarray, *, candidate_type: str | None, split: int | None) -> str:
    """A hex SHA-256 of the candidates ``ids`` (sorted) and of their argument rows.

    It changes when a candidate is added, removed or replaced by another one under the
    same id (SQLite reuses the ids of deleted rows), which a count or a sum of the ids
    does not show. The argument rows ``(candidate, position, span)`` are summarised in
    SQL by two sums of a non-linear per-row hash (no row leaves the database), over the
    candidates of ``candidate_type`` and ``split`` (None: any) in the range of ``ids``.
    """
    h = hashlib.sha256(np.ascontiguousarray(ids, dtype=np.int64).tobytes())
    if len(ids):
        sums = annotations.argument_row_sums(
            conn, int(ids[0]), int(ids[-1]), candidate_type=candidate_type, split=split
        )
        h.update(":".join(str(v) for v in sums).encode())
    return h.hexdigest()


def _db_url(session: Session) -> str:
    return session.get_bind().url.render_as_string(hide_password=False)


def _with_local_functions(job: Job, fns: list[tuple[str, Callable[..., Any]]]) -> Job:
    """Serial runs keep the functions in-process (no pickling, lambdas welcome)."""
    from snorkel_ie.labeling import _apply

    token = f"local:{id(fns)}:{time.perf_counter_ns()}".encode()
    _apply._FN_CACHE.clear()
    _apply._FN_CACHE[token] = fns
    return replace(job, fns_blob=token)


def _merge_errors(results: Sequence[PartitionResult]) -> dict[str, ErrorRecord]:
    errors: dict[str, ErrorRecord] = {}
    for r in results:
        for name, rec in r.errors.items():
            errors.setdefault(name, ErrorRecord()).merge(rec)
    return errors


def _analyze(session: Session, table: str) -> None:
    """Refresh PostgreSQL's planner statistics after a bulk write.

    Without them the planner believes the freshly loaded tables are empty and joins the
    split's candidates to their rows with a nested loop: ten times slower to load.
    """
    if is_postgres(session.get_bind()):
        with session.get_bind().begin() as conn:
            annotations.analyze(conn, table)


def _merge_seconds(results: Sequence[PartitionResult]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in results:
        for k, v in r.seconds.items():
            out[k] = out.get(k, 0.0) + v
    return out


def _types_of(session: Session, ids: np.ndarray) -> list[str]:
    """The candidate types among the candidates ``ids``."""
    types: set[str] = set()
    for start in range(0, len(ids), 5000):
        part = [int(i) for i in ids[start : start + 5000]]
        types.update(session.scalars(select(Candidate.type).where(Candidate.id.in_(part)).distinct()))
    return sorted(types)


def _default_session() -> Session:
    from snorkel_ie.db.session import latest_session

    return latest_session()
