"""Annotators: apply labeling functions (or featurizers) to a split and store sparse rows.

:class:`LabelAnnotator` is incremental. For each LF it keeps, per candidate class and
split, an :class:`~snorkel_ie.db.models.AnnotatorRun` with a hash of the LF (source,
captured values, data globals; see :func:`lf_hash`) and the number of candidates it ran
on. Re-applying runs only the LFs that are new, whose hash changed, or whose split
gained or lost candidates; ``clear=True`` re-runs all. LFs removed from the list keep
their rows but leave the matrix. An LF that raises is counted, its first error kept with
the candidate id, and the job goes on (``fail_fast=True`` re-raises at once).

Examples
--------
>>> labeler = LabelAnnotator(lfs=[LF_husband_wife, LF_distant_supervision])  # doctest: +SKIP
>>> L_train = labeler.apply(split=0, session=session)  # doctest: +SKIP
>>> L_train.lf_stats(session)  # doctest: +SKIP
"""

from __future__ import annotations

import pickle
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from snorkel_ie.db.bulk import get_or_create_keys, insert_rows
from snorkel_ie.db.engine import WRITE_LOCK
from snorkel_ie.db.models import AnnotationKey, AnnotatorRun, Candidate, get_candidate_class
from snorkel_ie.errors import CandidateError, ConfigurationError
from snorkel_ie.labeling import _rows
from snorkel_ie.labeling._apply import ErrorRecord, Job, PartitionResult, feature_partition, label_partition
from snorkel_ie.labeling._hashing import lf_hash
from snorkel_ie.labeling.matrix import AnnotationMatrix, candidate_type_of, load_matrix
from snorkel_ie.runner import check_cluster_url, run_partitions

__all__ = ["ApplySummary", "FeatureAnnotator", "LabelAnnotator", "lf_hash"]


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

    def __init__(self, *, partition_size: int = 20_000, orm_candidates: bool = False, cache_limit: int = 2_000_000):
        if partition_size < 1:
            raise ConfigurationError(f"partition_size must be positive; got {partition_size}")
        self.partition_size = partition_size
        self.orm_candidates = orm_candidates
        self.cache_limit = cache_limit
        self.candidate_type: str | None = None
        self.last_summary: ApplySummary | None = None
        self._cache: dict[str, Any] = {"key": None, "parts": {}}

    def _resolve(self, session: Session, split: int | None, candidate_class: Any) -> tuple[str, Any]:
        ctype = candidate_type_of(candidate_class)
        if ctype is None:
            types = _rows.candidate_types(session.connection(), split=split)
            if len(types) > 1:
                raise ConfigurationError(
                    f"split {split} holds candidates of several classes {types}; pass candidate_class="
                )
            ctype = types[0] if types else (self.candidate_type or "candidate")
        cls = candidate_class if isinstance(candidate_class, type) else None
        if cls is None:
            try:
                cls = get_candidate_class(ctype)
            except CandidateError:
                cls = None
        self.candidate_type = ctype
        return ctype, cls

    @staticmethod
    def _class_spec(cls: Any) -> tuple[str, tuple[str, ...], int, tuple[Any, ...]] | None:
        if cls is None or cls is Candidate:
            return None
        return (cls.__name__, tuple(cls.__argnames__), int(cls.cardinality), tuple(cls.values))

    @staticmethod
    def _ids(session: Session, split: int | None, ctype: str, cids_query: Any) -> np.ndarray:
        conn = session.connection()
        if cids_query is None:
            return _rows.candidate_ids(conn, split=split, candidate_type=ctype)
        if hasattr(cids_query, "subquery") or hasattr(cids_query, "statement"):
            stmt = getattr(cids_query, "statement", cids_query)
            ids = [row[0] for row in session.execute(stmt)]
        else:
            ids = [int(getattr(c, "id", c)) for c in cids_query]
        return np.unique(np.asarray(ids, dtype=np.int64))

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
    ) -> list[PartitionResult]:
        parts = [ids[i : i + self.partition_size] for i in range(0, len(ids), self.partition_size)]
        processes = (parallelism > 1 and len(parts) > 1) or client is not None
        blob = _serialize(fns) if processes else None
        if processes and blob is None:
            warnings.warn(
                "the labeling functions cannot be pickled for worker processes (define them at module level, or "
                "install cloudpickle); running serially",
                stacklevel=3,
            )
            processes = False
        desc = "labeling" if self.kind == "label" else "featurizing"
        if processes:
            context: dict[str, Any] = {"job": replace(job, fns_blob=blob)}
            return list(
                run_partitions(
                    self._partition_fn,
                    parts,
                    parallelism=parallelism,
                    client=client,
                    context=context,
                    progress=progress,
                    desc=desc,
                    unit="candidate",
                    weight=len,
                )
            )
        cache = self._view_cache(ids, job)
        context = {"job": _with_local_functions(job, fns), "engine": session.get_bind(), "cache": cache}
        return list(
            run_partitions(
                self._partition_fn,
                parts,
                parallelism=1,
                context=context,
                progress=progress,
                desc=desc,
                unit="candidate",
                weight=len,
            )
        )

    def _view_cache(self, ids: np.ndarray, job: Job) -> dict | None:
        """In-process cache of loaded candidate views, valid while the split's candidate set is unchanged."""
        if job.orm or len(ids) > self.cache_limit:
            return None
        key = (str(job.db_url), job.candidate_type, job.split, len(ids), int(ids.sum()), self.partition_size)
        if self._cache["key"] != key:
            self._cache = {"key": key, "parts": {}}
        return self._cache["parts"]

    def clear_cache(self) -> None:
        """Drop the candidates kept in memory since the last ``apply``."""
        self._cache = {"key": None, "parts": {}}


def _db_url(session: Session) -> str:
    return session.get_bind().url.render_as_string(hide_password=False)


class LabelAnnotator(_Annotator):
    """Apply labeling functions to candidates and store their votes as sparse label rows.

    Parameters
    ----------
    lfs
        Labeling functions ``lf(candidate) -> int | bool | None``. Binary: ``1``, ``-1``,
        ``0``/``None``/``False`` (abstain), ``True`` = 1; categorical (cardinality k):
        ``1..k`` or ``0``. Each is keyed by its ``__name__``, which must be unique.
    label_generator
        Not supported: give the LFs as a list (a generator's outputs could not be
        re-run one at a time).
    partition_size
        Candidates per transaction / per task of a worker process.
    orm_candidates
        Hand LFs ORM ``Candidate`` objects instead of the (much faster) read-only views.
    cache_limit
        Keep up to this many candidate views in memory between runs (serial mode), so
        re-running one edited LF does not reload the split.
    """

    kind = "label"
    _partition_fn = staticmethod(label_partition)

    def __init__(
        self,
        lfs: Sequence[Callable[..., Any]] = (),
        label_generator: Callable[..., Iterable[tuple[str, int]]] | None = None,
        *,
        partition_size: int = 20_000,
        orm_candidates: bool = False,
        cache_limit: int = 2_000_000,
    ):
        super().__init__(partition_size=partition_size, orm_candidates=orm_candidates, cache_limit=cache_limit)
        if label_generator is not None:
            raise ConfigurationError("label_generator is not supported; pass the labeling functions as lfs=[...]")
        self.lfs = list(lfs)
        if not self.lfs:
            raise ConfigurationError("LabelAnnotator needs at least one labeling function in lfs=[...]")
        names = [getattr(lf, "__name__", None) for lf in self.lfs]
        if any(not isinstance(n, str) or not callable(lf) for n, lf in zip(names, self.lfs, strict=True)):
            raise ConfigurationError("every LF must be a callable with a __name__")
        if dup := sorted({n for n in names if names.count(n) > 1}):
            raise ConfigurationError(
                f"LF names must be unique (they key the label columns); duplicated: {dup}. "
                "Give lambdas a name (def, or lf.__name__ = '...')"
            )

    @property
    def lf_names(self) -> list[str]:
        return [lf.__name__ for lf in self.lfs]

    def apply(
        self,
        split: int = 0,
        *,
        session: Session | None = None,
        parallelism: int = 1,
        clear: bool = False,
        fail_fast: bool = False,
        progress: bool = True,
        candidate_class: Any = None,
        cids_query: Any = None,
        client: Any = None,
    ) -> AnnotationMatrix:
        """Label the candidates of ``split`` with the LFs that need it; return the split's label matrix.

        Parameters
        ----------
        split
            Candidate split (0 train, 1 dev, 2 test).
        session
            An open session (default: a new ``SnorkelSession()``).
        parallelism
            Worker processes (partitions are ranges of candidate ids).
        clear
            Re-run every LF, not only new or changed ones.
        fail_fast
            Raise :class:`~snorkel_ie.errors.LabelingError` on the first LF exception.
        progress
            Show a progress bar and print a summary.
        candidate_class
            The candidate class (needed when the split holds several).
        cids_query
            Label only these candidates (a query of ids, or candidates/ids); every LF runs.
        client
            A ``dask.distributed.Client`` to run the partitions on (PostgreSQL only).
            A partition run twice there (a lost worker) replaces its own rows.

        Raises
        ------
        ConfigurationError
            ``client`` with a SQLite database.
        """
        session = session if session is not None else _default_session()
        if client is not None:
            check_cluster_url(session.get_bind().url)
        t0 = time.perf_counter()
        session.commit()  # the workers' connections must see the candidates
        ctype, cls = self._resolve(session, split, candidate_class)
        ids = self._ids(session, split, ctype, cids_query)
        hashes = {lf.__name__: lf_hash(lf) for lf in self.lfs}
        with session.get_bind().connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
            key_of = get_or_create_keys(conn, "label", self.lf_names)
        stale = self._stale(session, ids, ctype, split, key_of, hashes, clear=clear or cids_query is not None)
        self._prepare(session, ids, ctype, split, [key_of[n] for n in stale], subset=cids_query is not None)
        results = []
        if stale and len(ids):
            card = int(cls.cardinality) if cls is not None else 2
            fns = [(lf.__name__, lf) for lf in self.lfs if lf.__name__ in stale]
            job = Job(
                db_url=_db_url(session),
                candidate_type=ctype,
                class_spec=self._class_spec(cls),
                split=split,
                fns_blob=b"",
                key_ids=tuple(key_of[n] for n, _ in fns),
                cardinality=card,
                fail_fast=fail_fast,
                orm=self.orm_candidates,
            )
            results = self._run(session, ids, job, fns, parallelism=parallelism, progress=progress, client=client)
        errors = _merge_errors(results)
        phases = _merge_seconds(results)
        if results:
            _analyze(session, "label")
        if cids_query is None:
            self._record(session, ctype, split, len(ids), stale, key_of, hashes, errors)
        summary = ApplySummary(
            split,
            ctype,
            len(ids),
            stale,
            [n for n in self.lf_names if n not in stale],
            sum(r.n_rows for r in results),
            time.perf_counter() - t0,
            errors,
            phases,
        )
        self.last_summary = summary
        if progress:
            print(summary)
        session.commit()  # end the read snapshot: see the rows just written
        return self.load_matrix(session, split=split, candidate_class=cls or ctype, candidate_ids=ids)

    def apply_existing(self, split: int = 1, **kwargs: Any) -> AnnotationMatrix:
        """Apply the same LFs to another split (Snorkel 0.7 API); same options as :meth:`apply`."""
        return self.apply(split, **kwargs)

    def load_matrix(
        self,
        session: Session,
        split: int = 0,
        *,
        candidate_class: Any = None,
        candidate_ids: np.ndarray | None = None,
    ) -> AnnotationMatrix:
        """The label matrix of ``split``: rows = candidates by id, columns = this annotator's LFs."""
        candidate_class = candidate_class if candidate_class is not None else self.candidate_type
        return load_matrix(
            session,
            "label",
            split,
            candidate_class=candidate_class,
            key_names=self.lf_names,
            candidate_ids=candidate_ids,
        )

    # -- incremental bookkeeping ---------------------------------------------------------
    def _stale(self, session, ids, ctype, split, key_of, hashes, *, clear: bool) -> list[str]:
        if clear:
            return list(self.lf_names)
        runs = {
            r.key_id: r
            for r in session.scalars(
                select(AnnotatorRun).where(
                    AnnotatorRun.candidate_type == ctype,
                    AnnotatorRun.split == (split if split is not None else -1),
                    AnnotatorRun.key_id.in_(list(key_of.values())),
                )
            )
        }
        stale = []
        for name in self.lf_names:
            run = runs.get(key_of[name])
            # An LF that raised last time runs again: what it depends on may have been fixed.
            if run is None or run.source_hash != hashes[name] or run.n_candidates != len(ids) or run.n_errors:
                stale.append(name)
        return stale

    def _prepare(self, session, ids, ctype, split, key_ids, *, subset: bool) -> None:
        """Delete the old rows and run records of the keys about to be recomputed."""
        if not key_ids:
            return
        with session.get_bind().connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
            conn.execute(
                delete(AnnotatorRun).where(
                    AnnotatorRun.key_id.in_(key_ids),
                    AnnotatorRun.candidate_type == ctype,
                    AnnotatorRun.split == (split if split is not None else -1),
                )
            )
            if subset:
                _rows.delete_rows(conn, "label", key_ids=key_ids, split=None, candidate_type=None, candidate_ids_=ids)
            else:
                _rows.delete_rows(conn, "label", key_ids=key_ids, split=split, candidate_type=ctype)

    def _record(self, session, ctype, split, n, stale, key_of, hashes, errors) -> None:
        rows = []
        for name in stale:
            rec = errors.get(name, ErrorRecord())
            rows.append(
                (
                    key_of[name],
                    ctype,
                    split if split is not None else -1,
                    hashes[name],
                    n,
                    rec.n,
                    rec.message,
                    rec.candidate_id,
                )
            )
        cols = [
            "key_id",
            "candidate_type",
            "split",
            "source_hash",
            "n_candidates",
            "n_errors",
            "first_error",
            "first_error_candidate_id",
        ]
        with session.get_bind().connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
            insert_rows(conn, AnnotatorRun.__table__, cols, rows)


class FeatureAnnotator(_Annotator):
    """Compute sparse features of candidates and store them in the feature table.

    Parameters
    ----------
    f
        ``f(candidate)`` yields feature names (value 1.0) or ``(name, value)`` pairs;
        default :func:`snorkel_ie.labeling.featurizers.get_span_feats` (bag of words
        between and around the arguments, and the dependency path between them).
    """

    kind = "feature"
    _partition_fn = staticmethod(feature_partition)

    def __init__(
        self,
        f: Callable[[Any], Iterable[Any]] | None = None,
        *,
        partition_size: int = 20_000,
        orm_candidates: bool = False,
    ):
        super().__init__(partition_size=partition_size, orm_candidates=orm_candidates, cache_limit=0)
        if f is None:
            from snorkel_ie.labeling.featurizers import get_span_feats

            f = get_span_feats
        self.f = f

    def apply(
        self,
        split: int = 0,
        *,
        session: Session | None = None,
        parallelism: int = 1,
        fail_fast: bool = False,
        progress: bool = True,
        candidate_class: Any = None,
        client: Any = None,
        _existing: bool = False,
    ) -> AnnotationMatrix:
        """(Re)compute the features of ``split`` and return its feature matrix (float CSR, named columns)."""
        session = session if session is not None else _default_session()
        if client is not None:
            check_cluster_url(session.get_bind().url)
        t0 = time.perf_counter()
        session.commit()
        ctype, cls = self._resolve(session, split, candidate_class)
        ids = self._ids(session, split, ctype, None)
        with session.get_bind().connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
            _rows.delete_rows(conn, "feature", key_ids=None, split=split, candidate_type=ctype)
        fns = [("featurizer", self.f)]
        job = Job(
            db_url=_db_url(session),
            candidate_type=ctype,
            class_spec=self._class_spec(cls),
            split=split,
            fns_blob=b"",
            key_ids=(),
            cardinality=2,
            fail_fast=fail_fast,
            orm=self.orm_candidates,
            kind="feature_existing" if _existing else "feature",
        )
        results = self._run(session, ids, job, fns, parallelism=parallelism, progress=progress, client=client)
        errors = _merge_errors(results)
        _analyze(session, "feature")
        summary = ApplySummary(
            split, ctype, len(ids), ["featurizer"], [], sum(r.n_rows for r in results), time.perf_counter() - t0, errors
        )
        self.last_summary = summary
        if progress:
            print(summary)
        session.commit()  # end the read snapshot: see the rows just written
        if not _existing:
            matrix = self.load_matrix(session, split=split, candidate_class=cls or ctype)
            self.key_names_ = list(matrix.key_names)
            return matrix
        # Another split gets the training split's columns, in the same order, so models apply to it.
        names = getattr(self, "key_names_", None)
        if names is None:
            names = session.scalars(
                select(AnnotationKey.name).where(AnnotationKey.kind == "feature").order_by(AnnotationKey.id)
            ).all()
        return self.load_matrix(session, split=split, candidate_class=cls or ctype, key_names=names)

    def apply_existing(self, split: int = 1, **kwargs: Any) -> AnnotationMatrix:
        """Featurize another split keeping only features that already exist (those of the training split)."""
        return self.apply(split, _existing=True, **kwargs)

    def load_matrix(
        self, session: Session, split: int = 0, *, candidate_class: Any = None, key_names: Sequence[str] | None = None
    ) -> AnnotationMatrix:
        """The feature matrix of ``split``; pass the training matrix's ``key_names`` to align columns."""
        candidate_class = candidate_class if candidate_class is not None else self.candidate_type
        return load_matrix(session, "feature", split, candidate_class=candidate_class, key_names=key_names)


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
    if session.get_bind().dialect.name == "postgresql":
        with session.get_bind().begin() as conn:
            conn.exec_driver_sql(f'ANALYZE candidate; ANALYZE "{table}"')


def _merge_seconds(results: Sequence[PartitionResult]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in results:
        for k, v in r.seconds.items():
            out[k] = out.get(k, 0.0) + v
    return out


def _default_session() -> Session:
    from snorkel_ie.db.session import SnorkelSession

    return SnorkelSession()
