"""Annotators: apply labeling functions (or featurizers) to a split and store sparse rows.

:class:`LabelAnnotator` is incremental. For each LF it keeps, per candidate class and
split, an :class:`~snorkel_ie.db.models.AnnotatorRun` with a hash of the LF (source,
captured values, data globals; see :func:`lf_hash`) and the number of candidates it ran
on. Re-applying runs only the LFs that are new, whose hash changed, or whose split
gained or lost candidates; ``clear=True`` re-runs all. LFs removed from the list keep
their rows but leave the matrix. An LF that raises is counted, its first error kept with
the candidate id, and the job goes on (``fail_fast=True`` re-raises at once).

Snorkel 0.7's signatures work: ``apply(split, key_group, replace_key_set, cids_query)``
with ``parallelism``, ``progress_bar``, ``count`` and ``clear``, and ``load_matrix`` with
``cids_query``, ``key_names``, ``zero_one`` and ``load_as_array``. Annotation keys have no
group here: ``key_group`` must stay 0 (any other value raises).

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
from snorkel_ie.labeling.matrix import AnnotationMatrix, candidate_type_of, load_matrix, resolve_keys
from snorkel_ie.runner import check_cluster_url, run_partitions

__all__ = ["ApplySummary", "FeatureAnnotator", "LabelAnnotator", "lf_hash"]


# -- Snorkel 0.7 options shared by the loaders (also used by gold.py and marginals.py) ------
def check_key_group(key_group: Any) -> None:
    """Reject a Snorkel 0.7 ``key_group`` other than the default 0.

    0.7 kept annotation keys in numbered groups; snorkel-ie's keys have no group column,
    so every key is in 0.7's default group 0 and another group cannot be honoured.
    """
    if isinstance(key_group, bool) or not isinstance(key_group, (int, np.integer)) or key_group != 0:
        raise ConfigurationError(
            f"key_group={key_group!r} is not supported: annotation keys have no group in snorkel-ie (every key is "
            "in Snorkel 0.7's default group 0). Leave key_group=0; to keep two key sets apart, give their "
            "LFs or features different names"
        )


def query_candidate_ids(session: Session, cids_query: Any) -> np.ndarray:
    """Sorted, unique candidate ids selected by a Snorkel 0.7 ``cids_query``.

    Parameters
    ----------
    session
        An open session, to run the query.
    cids_query
        A query or ``select`` whose first column is candidate ids (or candidates), e.g.
        ``session.query(Candidate.id).filter(Candidate.split == 0)``, or an iterable of
        candidates or ids.

    Raises
    ------
    ConfigurationError
        When an item is neither a candidate nor an integer id.
    """
    if isinstance(cids_query, np.ndarray) and cids_query.dtype.kind in "iu":
        return np.unique(cids_query.astype(np.int64))
    if hasattr(cids_query, "statement") or hasattr(cids_query, "subquery"):
        items: Iterable[Any] = (row[0] for row in session.execute(getattr(cids_query, "statement", cids_query)))
    elif isinstance(cids_query, (str, bytes)) or not isinstance(cids_query, Iterable):
        raise ConfigurationError(
            f"cids_query must be a query of candidate ids, or candidates or ids; got {type(cids_query).__name__}"
        )
    else:
        items = cids_query
    ids = []
    for i, item in enumerate(items, start=1):
        value = getattr(item, "id", item)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ConfigurationError(f"cids_query item {i} is {item!r}; expected a candidate or an integer id")
        ids.append(int(value))
    return np.unique(np.asarray(ids, dtype=np.int64))


def finish_matrix(
    matrix: AnnotationMatrix, *, zero_one: bool = False, load_as_array: bool = False
) -> AnnotationMatrix | np.ndarray:
    """Apply Snorkel 0.7's ``zero_one`` and ``load_as_array`` options to a loaded matrix.

    ``zero_one`` keeps 1 and turns every other value (-1, and the classes 2..k of a
    categorical matrix) into 0, as 0.7 did; ``load_as_array`` returns
    ``np.squeeze(matrix.toarray())`` (a vector for a one-column gold matrix).
    """
    if zero_one:
        matrix = matrix.copy()
        matrix.data = (matrix.data == 1).astype(matrix.dtype)
        matrix.eliminate_zeros()
    return np.squeeze(matrix.toarray()) if load_as_array else matrix


def _check_count(count: Any) -> None:
    if count is not None and (isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0):
        raise ConfigurationError(f"count must be a non-negative integer (the progress bar's total); got {count!r}")


def _matrix_rows(
    session: Session, split: int | None, cids_query: Any, candidate_ids: np.ndarray | None
) -> tuple[int | None, np.ndarray | None]:
    """``(split, row ids)`` for ``load_matrix``: a ``cids_query`` picks the rows whatever their split."""
    if cids_query is None:
        return split, candidate_ids
    if candidate_ids is not None:
        raise ConfigurationError("give cids_query or candidate_ids, not both")
    return None, query_candidate_ids(session, cids_query)


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

    def _resolve(
        self, session: Session, split: int | None, candidate_class: Any, ids: np.ndarray | None = None
    ) -> tuple[str, Any]:
        """The candidate type and class; from the split's candidates, or from ``ids`` (a ``cids_query``'s)."""
        ctype = candidate_type_of(candidate_class)
        if ctype is None:
            types = _rows.candidate_types(session.connection(), split=split) if ids is None else _types_of(session, ids)
            where = f"split {split}" if ids is None else "cids_query"
            if len(types) > 1:
                raise ConfigurationError(f"{where} holds candidates of several classes {types}; pass candidate_class=")
            ctype = types[0] if types else (self.candidate_type or "candidate")
        cls = candidate_class if isinstance(candidate_class, type) else None
        if cls is None:
            try:
                cls = get_candidate_class(ctype)
            except CandidateError:
                cls = None
        self.candidate_type = ctype
        return ctype, cls

    def _candidates(
        self, session: Session, split: int | None, candidate_class: Any, cids_query: Any
    ) -> tuple[str, Any, np.ndarray]:
        """``(candidate type, class, sorted ids)`` to annotate: the split's, or those of ``cids_query``."""
        if cids_query is None:
            ctype, cls = self._resolve(session, split, candidate_class)
            return ctype, cls, _rows.candidate_ids(session.connection(), split=split, candidate_type=ctype)
        ids = query_candidate_ids(session, cids_query)
        ctype, cls = self._resolve(session, split, candidate_class, ids)
        return ctype, cls, ids

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
                    total=total,
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
                total=total,
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
        key_group: int = 0,
        replace_key_set: bool = True,
        cids_query: Any = None,
        *,
        session: Session | None = None,
        parallelism: int | None = 1,
        clear: bool = False,
        fail_fast: bool = False,
        progress: bool = True,
        progress_bar: bool | None = None,
        count: int | None = None,
        candidate_class: Any = None,
        client: Any = None,
    ) -> AnnotationMatrix:
        """Label the candidates of ``split`` with the LFs that need it; return the split's label matrix.

        Parameters
        ----------
        split
            Candidate split (0 train, 1 dev, 2 test).
        key_group
            Snorkel 0.7's annotation-key group; keys have no group here, so only 0 is accepted.
        replace_key_set
            True: every LF runs and gets a key (column) if it has none. False (what
            :meth:`apply_existing` passes): only LFs that already have a key, i.e. were
            applied before, run and make columns; the others are skipped with a warning,
            as Snorkel 0.7 skipped annotations of keys not in the existing key set.
        cids_query
            Label only these candidates (a query of ids, or candidates/ids), whatever
            their split; every LF runs, and the matrix's rows are these candidates.
        session
            An open session (default: a new ``SnorkelSession()``).
        parallelism
            Worker processes (partitions are ranges of candidate ids); None means 1.
        clear
            Re-run every LF, not only new or changed ones. (Snorkel 0.7 cleared by
            default; here a re-run is incremental and gives the same matrix.)
        fail_fast
            Raise :class:`~snorkel_ie.errors.LabelingError` on the first LF exception.
        progress, progress_bar
            Show a progress bar and print a summary (``progress_bar`` is the 0.7 spelling
            and wins when given).
        count
            The progress bar's total, as in Snorkel 0.7 (default: the number of candidates);
            it does not limit which candidates are labeled.
        candidate_class
            The candidate class (needed when the split holds several).
        client
            A ``dask.distributed.Client`` to run the partitions on (PostgreSQL only).
            A partition run twice there (a lost worker) replaces its own rows.

        Raises
        ------
        ConfigurationError
            ``client`` with a SQLite database; ``key_group`` other than 0; a bad ``count``
            or ``cids_query``.
        """
        check_key_group(key_group)
        _check_count(count)
        progress = progress if progress_bar is None else bool(progress_bar)
        session = session if session is not None else _default_session()
        if client is not None:
            check_cluster_url(session.get_bind().url)
        t0 = time.perf_counter()
        session.commit()  # the workers' connections must see the candidates
        ctype, cls, ids = self._candidates(session, split, candidate_class, cids_query)
        names, key_of = self._key_set(session, replace_key_set)
        hashes = {lf.__name__: lf_hash(lf) for lf in self.lfs if lf.__name__ in key_of}
        subset = cids_query is not None
        stale = self._stale(session, ids, ctype, split, names, key_of, hashes, clear=clear or subset)
        self._prepare(session, ids, ctype, split, [key_of[n] for n in stale], subset=subset)
        results = []
        if stale and len(ids):
            card = int(cls.cardinality) if cls is not None else 2
            fns = [(lf.__name__, lf) for lf in self.lfs if lf.__name__ in stale]
            job = Job(
                db_url=_db_url(session),
                candidate_type=ctype,
                class_spec=self._class_spec(cls),
                split=None if subset else split,
                fns_blob=b"",
                key_ids=tuple(key_of[n] for n, _ in fns),
                cardinality=card,
                fail_fast=fail_fast,
                orm=self.orm_candidates,
            )
            results = self._run(
                session, ids, job, fns, parallelism=parallelism or 1, progress=progress, client=client, total=count
            )
        errors = _merge_errors(results)
        if results:
            _analyze(session, "label")
        if not subset:
            self._record(session, ctype, split, len(ids), stale, key_of, hashes, errors)
        skipped = [n for n in names if n not in stale]
        n_rows = sum(r.n_rows for r in results)
        summary = ApplySummary(
            split, ctype, len(ids), stale, skipped, n_rows, time.perf_counter() - t0, errors, _merge_seconds(results)
        )
        self.last_summary = summary
        if progress:
            print(summary)
        session.commit()  # end the read snapshot: see the rows just written
        return load_matrix(
            session,
            "label",
            None if subset else split,
            candidate_class=cls or ctype,
            key_names=names,
            candidate_ids=ids,
        )

    def apply_existing(
        self, split: int = 1, key_group: int = 0, cids_query: Any = None, **kwargs: Any
    ) -> AnnotationMatrix:
        """Apply the LFs that already have keys to another split (Snorkel 0.7's ``replace_key_set=False``).

        Takes the options of :meth:`apply`.
        """
        return self.apply(split, key_group, False, cids_query, **kwargs)

    def load_matrix(
        self,
        session: Session,
        split: int | None = 0,
        *,
        cids_query: Any = None,
        key_group: int = 0,
        key_names: Sequence[str] | None = None,
        zero_one: bool = False,
        load_as_array: bool = False,
        candidate_class: Any = None,
        candidate_ids: np.ndarray | None = None,
    ) -> AnnotationMatrix | np.ndarray:
        """The label matrix of ``split``: rows = candidates by id, columns = this annotator's LFs.

        Parameters
        ----------
        session
            An open session.
        split
            The candidates' split (ignored when ``cids_query`` is given).
        cids_query
            Rows are these candidates (a query of ids, or candidates/ids), sorted by id.
        key_group
            Snorkel 0.7's key group; only 0 is accepted.
        key_names
            Only these LFs' columns, in this order (default: this annotator's LFs); any
            label key may be named, and a name never applied gives a column of zeros.
        zero_one
            Map the values to {0, 1}: 1 stays, everything else (-1, classes 2..k) becomes 0.
        load_as_array
            Return ``np.squeeze`` of the dense array instead of the sparse matrix.
        candidate_class
            Restrict the rows to one candidate class (default: the class last annotated).
        candidate_ids
            Use these sorted row ids instead of the split's candidates.
        """
        check_key_group(key_group)
        split, candidate_ids = _matrix_rows(session, split, cids_query, candidate_ids)
        candidate_class = candidate_class if candidate_class is not None else self.candidate_type
        names = self.lf_names if key_names is None else list(dict.fromkeys(key_names))
        matrix = load_matrix(
            session, "label", split, candidate_class=candidate_class, key_names=names, candidate_ids=candidate_ids
        )
        return finish_matrix(matrix, zero_one=zero_one, load_as_array=load_as_array)

    def _key_set(self, session: Session, replace_key_set: bool) -> tuple[list[str], dict[str, int]]:
        """The LFs to apply and their key ids: all (keys created as needed), or those whose key exists."""
        if replace_key_set:
            with session.get_bind().connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
                return list(self.lf_names), get_or_create_keys(conn, "label", self.lf_names)
        found = resolve_keys(session, "label", self.lf_names)
        key_of = {n: int(k) for n, k in zip(self.lf_names, found, strict=True) if k >= 0}
        if missing := [n for n in self.lf_names if n not in key_of]:
            warnings.warn(
                f"replace_key_set=False (apply_existing): LF(s) {missing} were never applied, so they have no key "
                "in the existing key set; skipped, as Snorkel 0.7 did. Apply them to a split with apply() first",
                stacklevel=3,
            )
        return [n for n in self.lf_names if n in key_of], key_of

    # -- incremental bookkeeping ---------------------------------------------------------
    def _stale(self, session, ids, ctype, split, names, key_of, hashes, *, clear: bool) -> list[str]:
        if clear:
            return list(names)
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
        for name in names:
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
        key_group: int = 0,
        replace_key_set: bool = True,
        cids_query: Any = None,
        *,
        session: Session | None = None,
        parallelism: int | None = 1,
        clear: bool = True,
        fail_fast: bool = False,
        progress: bool = True,
        progress_bar: bool | None = None,
        count: int | None = None,
        candidate_class: Any = None,
        client: Any = None,
    ) -> AnnotationMatrix:
        """(Re)compute the features of ``split`` and return its feature matrix (float CSR, named columns).

        Parameters
        ----------
        split
            Candidate split (0 train, 1 dev, 2 test).
        key_group
            Snorkel 0.7's annotation-key group; keys have no group here, so only 0 is accepted.
        replace_key_set
            True: every feature produced gets a key; the matrix's columns are the
            features present in the split, and they become the key set that
            :meth:`apply_existing` keeps. False (what :meth:`apply_existing` passes):
            features without a key are dropped and the columns are the key set's, in
            the same order, so a model trained on the training split applies.
        cids_query
            Featurize only these candidates (a query of ids, or candidates/ids), whatever
            their split; the matrix's rows are these candidates.
        session
            An open session (default: a new ``SnorkelSession()``).
        parallelism
            Worker processes; None means 1.
        clear
            Delete the candidates' feature rows first (default, as in 0.7). False keeps
            the old rows of features the featurizer does not produce again; rows it
            produces again take the new value.
        fail_fast
            Raise :class:`~snorkel_ie.errors.LabelingError` on the first featurizer exception.
        progress, progress_bar
            Show a progress bar and print a summary (``progress_bar``, the 0.7 spelling, wins).
        count
            The progress bar's total, as in Snorkel 0.7; it does not limit the candidates.
        candidate_class
            The candidate class (needed when the split holds several).
        client
            A ``dask.distributed.Client`` to run the partitions on (PostgreSQL only).
        """
        check_key_group(key_group)
        _check_count(count)
        progress = progress if progress_bar is None else bool(progress_bar)
        session = session if session is not None else _default_session()
        if client is not None:
            check_cluster_url(session.get_bind().url)
        t0 = time.perf_counter()
        session.commit()
        ctype, cls, ids = self._candidates(session, split, candidate_class, cids_query)
        row_split = None if cids_query is not None else split
        old = None
        if not clear:
            with session.get_bind().connect() as conn:
                old = _feature_rows(conn, row_split, ctype, ids)
        with session.get_bind().connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
            if cids_query is None:
                _rows.delete_rows(conn, "feature", key_ids=None, split=split, candidate_type=ctype)
            else:
                _rows.delete_rows(conn, "feature", key_ids=None, split=None, candidate_type=None, candidate_ids_=ids)
        fns = [("featurizer", self.f)]
        job = Job(
            db_url=_db_url(session),
            candidate_type=ctype,
            class_spec=self._class_spec(cls),
            split=row_split,
            fns_blob=b"",
            key_ids=(),
            cardinality=2,
            fail_fast=fail_fast,
            orm=self.orm_candidates,
            kind="feature" if replace_key_set else "feature_existing",
        )
        results = self._run(
            session, ids, job, fns, parallelism=parallelism or 1, progress=progress, client=client, total=count
        )
        n_rows = sum(r.n_rows for r in results)
        if old is not None:
            n_rows += _restore_rows(session.get_bind(), old, row_split, ctype, ids)
        _analyze(session, "feature")
        summary = ApplySummary(
            split, ctype, len(ids), ["featurizer"], [], n_rows, time.perf_counter() - t0, _merge_errors(results)
        )
        self.last_summary = summary
        if progress:
            print(summary)
        session.commit()  # end the read snapshot: see the rows just written
        rows = ids if cids_query is not None else None
        if replace_key_set:
            matrix = load_matrix(session, "feature", row_split, candidate_class=cls or ctype, candidate_ids=rows)
            self.key_names_ = list(matrix.key_names)
            return matrix
        # Another split gets the training split's columns, in the same order, so models apply to it.
        names = getattr(self, "key_names_", None)
        if names is None:
            names = session.scalars(
                select(AnnotationKey.name).where(AnnotationKey.kind == "feature").order_by(AnnotationKey.id)
            ).all()
        return load_matrix(
            session, "feature", row_split, candidate_class=cls or ctype, key_names=names, candidate_ids=rows
        )

    def apply_existing(
        self, split: int = 1, key_group: int = 0, cids_query: Any = None, **kwargs: Any
    ) -> AnnotationMatrix:
        """Featurize another split keeping only features that already exist (0.7's ``replace_key_set=False``).

        Takes the options of :meth:`apply`.
        """
        return self.apply(split, key_group, False, cids_query, **kwargs)

    def load_matrix(
        self,
        session: Session,
        split: int | None = 0,
        *,
        cids_query: Any = None,
        key_group: int = 0,
        key_names: Sequence[str] | None = None,
        zero_one: bool = False,
        load_as_array: bool = False,
        candidate_class: Any = None,
    ) -> AnnotationMatrix | np.ndarray:
        """The feature matrix of ``split``; pass the training matrix's ``key_names`` to align columns.

        ``cids_query`` (rows: these candidates, whatever their split), ``key_group`` (only
        0), ``key_names`` (these columns in this order; an unknown name gives zeros),
        ``zero_one`` (1 stays 1, other values become 0) and ``load_as_array`` (a dense
        ``np.squeeze``-d array) are Snorkel 0.7's options; see :meth:`LabelAnnotator.load_matrix`.
        """
        check_key_group(key_group)
        split, rows = _matrix_rows(session, split, cids_query, None)
        candidate_class = candidate_class if candidate_class is not None else self.candidate_type
        names = None if key_names is None else list(dict.fromkeys(key_names))
        matrix = load_matrix(
            session, "feature", split, candidate_class=candidate_class, key_names=names, candidate_ids=rows
        )
        return finish_matrix(matrix, zero_one=zero_one, load_as_array=load_as_array)


def _feature_rows(conn: Any, split: int | None, ctype: str, ids: np.ndarray) -> tuple[np.ndarray, ...]:
    """The feature rows ``(candidate_id, key_id, value)`` of candidates ``ids``."""
    cids, kids, vals = _rows.read_rows(conn, "feature", split=split, candidate_type=ctype, row_ids=ids)
    keep = np.isin(cids, ids)
    return cids[keep], kids[keep], vals[keep]


def _restore_rows(engine: Any, old: tuple[np.ndarray, ...], split: int | None, ctype: str, ids: np.ndarray) -> int:
    """``clear=False``: put back the old feature rows that were not produced again; the count put back."""
    cids, kids, vals = old
    if not len(cids):
        return 0
    with engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        new_c, new_k, _ = _feature_rows(conn, split, ctype, ids)
        width = int(max(kids.max(), new_k.max(initial=0))) + 1
        back = ~np.isin(cids * width + kids, new_c * width + new_k)
        columns = [cids[back], kids[back], vals[back]]
        _rows.insert_columns(conn, "feature", ["candidate_id", "key_id", "value"], ["i4", "i4", "f8"], columns)
    return int(back.sum())


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


def _types_of(session: Session, ids: np.ndarray) -> list[str]:
    """The candidate types among the candidates ``ids``."""
    types: set[str] = set()
    for start in range(0, len(ids), 5000):
        part = [int(i) for i in ids[start : start + 5000]]
        types.update(session.scalars(select(Candidate.type).where(Candidate.id.in_(part)).distinct()))
    return sorted(types)


def _default_session() -> Session:
    from snorkel_ie.db.session import SnorkelSession

    return SnorkelSession()
