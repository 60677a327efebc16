"""The label annotator: apply labeling functions incrementally and store their votes.

See :mod:`snorkel_ie.labeling.annotator` for how re-applying decides which LFs run.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from snorkel_ie.db import annotations
from snorkel_ie.db.bulk import get_or_create_keys, insert_rows
from snorkel_ie.db.engine import WRITE_LOCK
from snorkel_ie.db.locks import job_lock
from snorkel_ie.db.models import AnnotationKey, AnnotatorRun, Candidate, Label
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling._annotator_base import (
    ApplySummary,
    _analyze,
    _Annotator,
    _db_url,
    _default_session,
    _merge_errors,
    _merge_seconds,
)
from snorkel_ie.labeling._apply import ErrorRecord, Job, label_partition, label_rows, write_label_rows
from snorkel_ie.labeling._generated import generated_lfs
from snorkel_ie.labeling._hashing import lf_hash
from snorkel_ie.labeling._options import _matrix_rows, check_key_group, finish_matrix
from snorkel_ie.labeling.matrix import AnnotationMatrix, load_matrix, resolve_keys

__all__ = ["LabelAnnotator"]


class LabelAnnotator(_Annotator):
    """Apply labeling functions to candidates and store their votes as sparse label rows.

    Parameters
    ----------
    lfs
        Labeling functions ``lf(candidate) -> int | bool | None``. Binary: ``1``, ``-1``,
        ``0``/``None``/``False`` (abstain), ``True`` = 1; categorical (cardinality k):
        ``1..k`` or ``0``. Each is keyed by its ``__name__``, which must be unique.
    label_generator
        Snorkel 0.7's alternative to ``lfs``: ``f(c)`` yields ``(lf_name, value)`` pairs
        (crowdsourcing: one LF per worker). ``apply`` runs it over the candidates first
        and keys each name as an LF. ``lfs=[]`` with no generator labels nothing and
        loads every stored label key (0.7's way to ``load_matrix`` stored labels).
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
    _compute_fn = staticmethod(label_rows)
    _write_fn = staticmethod(write_label_rows)
    _extra_frames = 1  # apply -> _apply_locked -> _run

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
        if label_generator is not None and lfs:
            raise ConfigurationError("give either lfs=[...] or label_generator=f, not both")
        if label_generator is not None and not callable(label_generator):
            raise ConfigurationError(
                f"label_generator must be a function c -> (lf_name, value) pairs; got {label_generator!r}"
            )
        self.label_generator = label_generator
        self.lfs = list(lfs)
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

    def _names_for_matrix(self, session: Session) -> list[str]:
        """The LFs' names; with no LFs (``lfs=[]``, as 0.7 used to load stored labels), every label key's."""
        if self.lfs or self.label_generator is not None:
            return self.lf_names
        q = select(AnnotationKey.name).where(AnnotationKey.kind == "label").order_by(AnnotationKey.id)
        return list(session.scalars(q))

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
        t0 = time.perf_counter()
        if self.label_generator is not None:
            session = session if session is not None else _default_session()
            _ctype, _cls, gen_ids = self._candidates(session, split, candidate_class, cids_query)
            self.lfs = generated_lfs(session, self.label_generator, gen_ids)
        session, progress, ctype, cls, ids = self._begin(
            session, split, cids_query, candidate_class, key_group=key_group, count=count, progress=progress,
            progress_bar=progress_bar, client=client,
        )  # fmt: skip
        subset = cids_query is not None
        lock = f"label:{ctype}:{'ids' if subset else split}"
        with job_lock(session.get_bind(), lock, what=f"labeling {ctype} split {split}"):
            session.commit()  # a job we waited for may have recorded its runs: read them afresh
            return self._apply_locked(
                session, split, ids, ctype, cls, replace_key_set, subset, t0,
                parallelism=parallelism, clear=clear, fail_fast=fail_fast, progress=progress, count=count,
                client=client,
            )  # fmt: skip

    def _apply_locked(
        self, session, split, ids, ctype, cls, replace_key_set, subset, t0, *, parallelism, clear, fail_fast,
        progress, count, client,
    ) -> AnnotationMatrix:  # fmt: skip
        """The body of :meth:`apply`, run under the job lock of the split (two identical jobs take turns)."""
        names, key_of = self._key_set(session, replace_key_set)
        hashes = {lf.__name__: lf_hash(lf) for lf in self.lfs if lf.__name__ in key_of}
        if not subset:  # what the runs depend on besides the LFs: the candidates and their spans
            fingerprint = self._candidates_fingerprint(session, ids, ctype, split)
            hashes = {name: _run_hash(h, fingerprint) for name, h in hashes.items()}
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
        _warn_failed_everywhere(errors, len(ids))
        if not subset:
            self._record(session, ctype, split, len(ids), stale, key_of, hashes, errors)
        skipped = [n for n in names if n not in stale]
        n_rows = sum(r.n_rows for r in results)
        summary = ApplySummary(
            split, ctype, len(ids), stale, skipped, n_rows, time.perf_counter() - t0, errors, _merge_seconds(results)
        )
        self._finish(session, summary, progress)
        return load_matrix(
            session,
            "label",
            None if subset else split,
            candidate_class=cls or ctype,
            key_names=names,
            candidate_ids=ids,
            known_rows=_rows_written(results, [key_of[n] for n in stale]),
        )

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
        names = self._names_for_matrix(session) if key_names is None else list(dict.fromkeys(key_names))
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
                stacklevel=4,
            )
        return [n for n in self.lf_names if n in key_of], key_of

    # -- incremental bookkeeping ---------------------------------------------------------
    # An AnnotatorRun's ``source_hash`` is the hash of the LF, of the candidates it ran on
    # (ids and argument spans, see candidate_fingerprint) and of whether it left label rows
    # on the split: the LF is up to date only if none of them changed since. Candidates
    # replaced under the same ids, or all of an LF's rows deleted, make it run again; the
    # extractors also delete the records of a split they clear or add candidates to.
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
        with_rows = _keys_with_rows(session, ctype, split, list(runs)) if runs else set()
        stale = []
        for name in names:
            key = key_of[name]
            run = runs.get(key)
            # An LF that raised last time runs again: what it depends on may have been fixed.
            if (
                run is None
                or run.n_errors
                or run.n_candidates != len(ids)
                or run.source_hash != _with_rows(hashes[name], key in with_rows)
            ):
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
                annotations.delete_rows(
                    conn, "label", key_ids=key_ids, split=None, candidate_type=None, candidate_ids_=ids
                )
            else:
                annotations.delete_rows(conn, "label", key_ids=key_ids, split=split, candidate_type=ctype)

    def _record(self, session, ctype, split, n, stale, key_of, hashes, errors) -> None:
        with_rows = _keys_with_rows(session, ctype, split, [key_of[name] for name in stale]) if stale else set()
        rows = []
        for name in stale:
            rec = errors.get(name, ErrorRecord())
            rows.append(
                (
                    key_of[name],
                    ctype,
                    split if split is not None else -1,
                    _with_rows(hashes[name], key_of[name] in with_rows),
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


def _rows_written(results: Sequence[Any], key_ids: list[int]) -> tuple | None:
    """The rows of ``key_ids`` that this apply wrote, when every partition kept them (in-process runs); else None."""
    if not results or any(r.rows is None for r in results):
        return None
    cids, kids, vals = (np.concatenate(cols) for cols in zip(*(r.rows for r in results), strict=True))
    return key_ids, cids, kids, vals


def _run_hash(source_hash: str, fingerprint: str) -> str:
    """The hash of an LF combined with the fingerprint of the candidates it runs on."""
    return hashlib.sha256(f"{source_hash}:{fingerprint}".encode()).hexdigest()


def _with_rows(run_hash: str, has_rows: bool) -> str:
    """The hash recorded for a run: ``run_hash`` and whether the LF left label rows on the split."""
    return hashlib.sha256(f"{run_hash}:{'rows' if has_rows else 'none'}".encode()).hexdigest()


def _keys_with_rows(session: Session, ctype: str, split: int | None, key_ids: list[int]) -> set[int]:
    """The keys among ``key_ids`` with at least one label row on the candidates of ``ctype`` and ``split``.

    One indexed ``LIMIT 1`` query per key (a count would read every row of the split).
    Read on a new connection: the session's snapshot may predate the rows just written.
    """
    label, cand = Label.__table__, Candidate.__table__
    query = (
        select(label.c.key_id)
        .join(cand, cand.c.id == label.c.candidate_id)
        .where(cand.c.type == ctype, label.c.key_id == bindparam("key"))
        .limit(1)
    )
    if split is not None:
        query = query.where(cand.c.split == split)
    with session.get_bind().connect() as conn:
        return {k for k in key_ids if conn.execute(query, {"key": k}).first() is not None}


def _warn_failed_everywhere(errors: dict[str, ErrorRecord], n_candidates: int) -> None:
    """Warn about LFs that raised (or returned invalid values) on every candidate: most likely a bug, not data."""
    failed = {name: rec for name, rec in errors.items() if n_candidates and rec.n >= n_candidates}
    if failed:
        details = "; ".join(f"{name}: {rec.message}" for name, rec in failed.items())
        warnings.warn(
            f"{len(failed)} LF(s) failed on every one of the {n_candidates} candidates, so their columns are empty: "
            f"{details}",
            stacklevel=4,
        )
