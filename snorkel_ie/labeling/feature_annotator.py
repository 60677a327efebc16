"""The feature annotator: compute sparse features of candidates and store them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from snorkel_ie.db import annotations
from snorkel_ie.db.bulk import insert_columns
from snorkel_ie.db.engine import WRITE_LOCK
from snorkel_ie.db.models import AnnotationKey
from snorkel_ie.labeling._annotator_base import (
    ApplySummary,
    _analyze,
    _Annotator,
    _db_url,
    _merge_errors,
)
from snorkel_ie.labeling._apply import Job, feature_partition
from snorkel_ie.labeling._options import _matrix_rows, check_key_group, finish_matrix
from snorkel_ie.labeling.matrix import AnnotationMatrix, load_matrix

__all__ = ["FeatureAnnotator"]


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
            :meth:`apply_existing` keeps (not with ``cids_query``: a subset's features
            leave the key set as it was). False (what :meth:`apply_existing` passes):
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
            produces again take the new value. If the run fails (an exception, Ctrl-C),
            the old rows that are missing are put back.
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
        t0 = time.perf_counter()
        session, progress, ctype, cls, ids = self._begin(
            session, split, cids_query, candidate_class, key_group=key_group, count=count, progress=progress,
            progress_bar=progress_bar, client=client,
        )  # fmt: skip
        row_split = None if cids_query is not None else split
        old = None
        if not clear:
            with session.get_bind().connect() as conn:
                old = _feature_rows(conn, row_split, ctype, ids)
        with session.get_bind().connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
            if cids_query is None:
                annotations.delete_rows(conn, "feature", key_ids=None, split=split, candidate_type=ctype)
            else:
                annotations.delete_rows(conn, "feature", key_ids=None, split=None, candidate_type=None, candidate_ids_=ids)
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
        try:
            results = self._run(
                session, ids, job, fns, parallelism=parallelism or 1, progress=progress, client=client, total=count
            )
        except BaseException:
            if old is not None:  # clear=False promised to keep the stored features: put back what is missing
                _restore_rows(session.get_bind(), old, row_split, ctype, ids)
            raise
        n_rows = sum(r.n_rows for r in results)
        if old is not None:
            n_rows += _restore_rows(session.get_bind(), old, row_split, ctype, ids)
        _analyze(session, "feature")
        summary = ApplySummary(
            split, ctype, len(ids), ["featurizer"], [], n_rows, time.perf_counter() - t0, _merge_errors(results)
        )
        self._finish(session, summary, progress)
        rows = ids if cids_query is not None else None
        if replace_key_set:
            matrix = load_matrix(session, "feature", row_split, candidate_class=cls or ctype, candidate_ids=rows)
            if cids_query is None:  # a subset's columns are not the split's key set
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
    cids, kids, vals = annotations.read_rows(conn, "feature", split=split, candidate_type=ctype, row_ids=ids)
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
        insert_columns(conn, "feature", ["candidate_id", "key_id", "value"], ["i4", "i4", "f8"], columns)
    return int(back.sum())
