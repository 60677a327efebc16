"""The annotation matrix: a CSR matrix whose rows are candidates and columns are keys (LFs).

:func:`load_matrix` reads the sparse ``(candidate_id, key_id, value)`` rows of one split
straight into numpy (binary ``COPY`` on PostgreSQL, the raw cursor on SQLite) and builds
the CSR arrays without any ORM object. Rows are the split's candidates sorted by id,
so every matrix of a split (labels, gold, features, marginals) aligns row for row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sqlalchemy import select
from sqlalchemy.orm import Session

from snorkel_ie.db import annotations
from snorkel_ie.db.models import AnnotationKey, AnnotatorRun, Candidate
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.scoring import as_label_vector

KIND_TABLES = {"label": "label", "gold": "gold_label", "feature": "feature"}


class AnnotationMatrix(sp.csr_matrix):
    """A ``scipy.sparse.csr_matrix`` with row -> candidate and column -> key maps.

    Attributes
    ----------
    candidate_ids : np.ndarray
        ``candidate_ids[i]`` is the id of the candidate of row ``i`` (sorted).
    key_ids : np.ndarray
        ``key_ids[j]`` is the :class:`AnnotationKey` id of column ``j`` (-1 when the key
        does not exist in the database yet).
    key_names : list of str
        Column names: LF names for labels, annotator names for gold, feature names.
    errors : dict
        For label matrices: ``{lf_name: (n_errors, first_error, candidate_id)}`` of every
        LF that raised on some candidate of the split.

    Matrices made by scipy operations (slicing, arithmetic) keep the class but not the maps.
    """

    def __init__(
        self,
        arg1: Any,
        shape: tuple[int, int] | None = None,
        dtype: Any = None,
        copy: bool = False,
        *,
        maxprint: int | None = None,
        candidate_ids: Sequence[int] | np.ndarray | None = None,
        key_ids: Sequence[int] | np.ndarray | None = None,
        key_names: Sequence[str] | None = None,
        kind: str = "label",
        split: int | None = None,
        candidate_type: str | None = None,
        cardinality: int | None = None,
        errors: dict[str, tuple[int, str | None, int | None]] | None = None,
    ):
        super().__init__(arg1, shape=shape, dtype=dtype, copy=copy, maxprint=maxprint)
        n, m = self.shape
        self.candidate_ids = np.asarray(candidate_ids if candidate_ids is not None else np.full(n, -1), dtype=np.int64)
        self.key_ids = np.asarray(key_ids if key_ids is not None else np.full(m, -1), dtype=np.int64)
        self.key_names = list(key_names) if key_names is not None else [str(j) for j in range(m)]
        if len(self.candidate_ids) != n or len(self.key_ids) != m or len(self.key_names) != m:
            raise ConfigurationError(
                f"row/column maps do not fit a {n} x {m} matrix: {len(self.candidate_ids)} candidate ids, "
                f"{len(self.key_ids)} key ids, {len(self.key_names)} key names"
            )
        self.kind = kind
        self.split = split
        self.candidate_type = candidate_type
        self._cardinality = cardinality
        self.errors = dict(errors or {})
        self._row_index: dict[int, int] | None = None

    # -- maps ---------------------------------------------------------------------------
    @property
    def lf_names(self) -> list[str]:
        """Column names (the LF names of a label matrix)."""
        return self.key_names

    @property
    def cardinality(self) -> int:
        """Number of classes: 2 for binary (values in {-1, 1}), else the largest value seen."""
        if self._cardinality is not None:
            return self._cardinality
        if self.nnz == 0 or self.data.min() < 0:
            return 2
        return max(2, int(self.data.max()))

    @property
    def row_index(self) -> dict[int, int]:
        """Snorkel 0.7's map: row -> candidate id."""
        return {i: int(c) for i, c in enumerate(self.candidate_ids)}

    @property
    def col_index(self) -> dict[int, int]:
        """Snorkel 0.7's map: column -> annotation key id."""
        return {j: int(k) for j, k in enumerate(self.key_ids)}

    def get_candidate(self, session: Session, i: int) -> Candidate:
        """The candidate of row ``i``."""
        return session.get(Candidate, int(self.candidate_ids[i]))

    def get_key(self, session: Session, j: int) -> AnnotationKey | None:
        """The annotation key of column ``j``."""
        return session.get(AnnotationKey, int(self.key_ids[j]))

    def get_row_index(self, candidate: Candidate | int) -> int:
        """The row of ``candidate`` (a candidate or its id)."""
        cid = int(getattr(candidate, "id", candidate))
        pos = int(np.searchsorted(self.candidate_ids, cid))
        if pos < len(self.candidate_ids) and self.candidate_ids[pos] == cid:
            return pos
        if self._row_index is None:  # ids not sorted (matrix built by hand)
            self._row_index = {int(c): i for i, c in enumerate(self.candidate_ids)}
        try:
            return self._row_index[cid]
        except KeyError:
            raise KeyError(f"candidate {cid} is not a row of this matrix") from None

    def get_col_index(self, name: str) -> int:
        """The column of key ``name``."""
        return self.key_names.index(name)

    def copy(self) -> AnnotationMatrix:
        return _with_maps(super().copy(), self)

    # -- analysis ----------------------------------------------------------------------
    def lf_stats(
        self,
        session: Session | None = None,
        labels: Any = None,
        est_accs: Sequence[float] | np.ndarray | None = None,
        *,
        L_gold: Any = None,
    ) -> pd.DataFrame:
        """Per-LF statistics as a DataFrame indexed by LF name.

        Columns: ``j``, ``Coverage``, ``Overlaps``, ``Conflicts``; with gold ``labels``
        (``L_gold``: a one-column matrix or a vector aligned with the rows; 0 = unknown)
        binary matrices add ``TP``, ``FP``, ``FN``, ``TN``, ``Empirical Acc.`` and
        categorical ones ``Correct``, ``Incorrect``, ``Empirical Acc.``; with ``est_accs``
        ``Learned Acc.``; when an LF raised, ``Errors`` and ``First error``.

        ``session`` is accepted for compatibility with Snorkel 0.7 and used to read error
        records when the matrix carries none.
        """
        from snorkel_ie.labeling.stats import lf_summary

        gold = labels if labels is not None else L_gold
        errors = self.errors
        if not errors and session is not None and self.kind == "label" and (self.key_ids >= 0).any():
            errors = _read_errors(session, self.key_ids, self.key_names, self.candidate_type, self.split)
        gold_vec = None if gold is None else as_label_vector(gold)
        return lf_summary(self, gold=gold_vec, est_accs=est_accs, errors=errors, cardinality=self.cardinality)


def _with_maps(m: sp.csr_matrix, like: AnnotationMatrix) -> AnnotationMatrix:
    return AnnotationMatrix(
        m,
        candidate_ids=like.candidate_ids.copy(),
        key_ids=like.key_ids.copy(),
        key_names=like.key_names,
        kind=like.kind,
        split=like.split,
        candidate_type=like.candidate_type,
        cardinality=like._cardinality,
        errors=like.errors,
    )


def candidate_type_of(candidate_class: type[Candidate] | str | None) -> str | None:
    """The ``type`` discriminator stored for ``candidate_class`` (a class or its name)."""
    if candidate_class is None:
        return None
    if isinstance(candidate_class, str):
        return candidate_class.lower()
    identity = getattr(candidate_class, "__mapper_args__", {}).get("polymorphic_identity")
    if identity is None or candidate_class is Candidate:
        raise ConfigurationError(f"{candidate_class!r} is not a class made by candidate_subclass")
    return identity


def build_csr(
    row_ids: np.ndarray, cids: np.ndarray, cols: np.ndarray, vals: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays from COO columns; rows are found by binary search of ``cids`` in sorted ``row_ids``."""
    rows = np.searchsorted(row_ids, cids)
    ok = (rows < len(row_ids)) & (cols >= 0)
    ok[ok] &= row_ids[rows[ok]] == cids[ok]
    if not ok.all():
        rows, cols, vals = rows[ok], cols[ok], vals[ok]
    if len(rows) > 1 and not _is_sorted(rows, cols):
        order = np.lexsort((cols, rows))
        rows, cols, vals = rows[order], cols[order], vals[order]
    indptr = np.zeros(len(row_ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(row_ids)), out=indptr[1:])
    return vals, cols.astype(np.int32, copy=False), indptr


def _is_sorted(rows: np.ndarray, cols: np.ndarray) -> bool:
    dr = np.diff(rows)
    if (dr < 0).any():
        return False
    same = dr == 0
    return not (np.diff(cols)[same] <= 0).any()


def resolve_keys(session: Session, kind: str, names: Sequence[str]) -> np.ndarray:
    """Ids of keys ``(kind, name)`` in ``names`` order; -1 for names not in the database."""
    found: dict[str, int] = {}
    names = list(names)
    for start in range(0, len(names), 5000):
        part = names[start : start + 5000]
        rows = session.execute(
            select(AnnotationKey.name, AnnotationKey.id).where(AnnotationKey.kind == kind, AnnotationKey.name.in_(part))
        )
        found.update({name: kid for name, kid in rows})
    return np.array([found.get(n, -1) for n in names], dtype=np.int64)


def load_matrix(
    session: Session,
    kind: str = "label",
    split: int | None = 0,
    *,
    candidate_class: type[Candidate] | str | None = None,
    key_names: Sequence[str] | None = None,
    candidate_ids: np.ndarray | None = None,
    dtype: Any = None,
    known_rows: tuple[Sequence[int], np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> AnnotationMatrix:
    """Load the annotations of ``kind`` on the candidates of ``split`` as an :class:`AnnotationMatrix`.

    Parameters
    ----------
    session
        An open session.
    kind
        ``'label'``, ``'gold'`` or ``'feature'``.
    split
        The candidates' split (rows: its candidates sorted by id); None for every split.
    candidate_class
        Restrict rows to one candidate class (or its type name).
    key_names
        Columns in this order (e.g. the LFs of an annotator, or the training split's
        feature names); default every key with a row in the split, by key id.
    candidate_ids
        Use these (sorted) row ids instead of querying the split.
    dtype
        Of the values: int64 for labels and gold, float64 for features by default.
    known_rows
        ``(key ids, candidate ids, key ids, values)``: the rows of these keys, already in
        memory (an annotator's rows just written); with ``key_names``, those keys are not
        read back from the database.
    """
    if kind not in KIND_TABLES:
        raise ConfigurationError(f"kind must be one of {sorted(KIND_TABLES)}; got {kind!r}")
    table = KIND_TABLES[kind]
    ctype = candidate_type_of(candidate_class)
    conn = session.connection()
    row_ids = (
        annotations.candidate_ids(conn, split=split, candidate_type=ctype)
        if candidate_ids is None
        else np.asarray(candidate_ids, dtype=np.int64)
    )
    if key_names is not None:
        key_names = list(key_names)
        key_ids = resolve_keys(session, kind, key_names)
        known = {int(k) for k in known_rows[0]} if known_rows is not None else set()
        wanted = [int(k) for k in key_ids if k >= 0 and int(k) not in known]
        cids, kids, vals = annotations.read_rows(
            conn, table, split=split, candidate_type=ctype, key_ids=wanted, row_ids=row_ids
        )
        if known_rows is not None:
            cids, kids, vals = (np.concatenate([a, np.asarray(b, a.dtype)]) for a, b in zip(
                (cids, kids, vals), known_rows[1:], strict=True))  # fmt: skip
    else:
        cids, kids, vals = annotations.read_rows(conn, table, split=split, candidate_type=ctype, row_ids=row_ids)
        pos = np.minimum(np.searchsorted(row_ids, cids), max(len(row_ids) - 1, 0))
        member = row_ids[pos] == cids if len(row_ids) else np.zeros(len(cids), bool)
        cids, kids, vals = cids[member], kids[member], vals[member]
        key_ids = np.unique(kids)
        q = select(AnnotationKey.id, AnnotationKey.name).where(AnnotationKey.id.in_(key_ids.tolist()))
        names = {kid: name for kid, name in session.execute(q)}
        key_names = [names[int(k)] for k in key_ids]
    col_of = np.full(int(max(key_ids.max(initial=0), kids.max(initial=0))) + 1, -1, dtype=np.int64)
    col_of[key_ids[key_ids >= 0]] = np.nonzero(key_ids >= 0)[0]
    cols = col_of[kids] if len(kids) else np.empty(0, np.int64)
    data, indices, indptr = build_csr(row_ids, cids, cols, vals)
    out_dtype = dtype or (np.float64 if kind == "feature" else np.int64)
    errors = _read_errors(session, key_ids, key_names, ctype, split) if kind == "label" else {}
    return AnnotationMatrix(
        (data.astype(out_dtype, copy=False), indices, indptr),
        shape=(len(row_ids), len(key_ids)),
        candidate_ids=row_ids,
        key_ids=key_ids,
        key_names=key_names,
        kind=kind,
        split=split,
        candidate_type=ctype,
        cardinality=getattr(candidate_class, "cardinality", None) if not isinstance(candidate_class, str) else None,
        errors=errors,
    )


def _read_errors(
    session: Session, key_ids: np.ndarray, key_names: Sequence[str], ctype: str | None, split: int | None
) -> dict[str, tuple[int, str | None, int | None]]:
    ids = [int(k) for k in key_ids if k >= 0]
    if not ids:
        return {}
    q = select(AnnotatorRun).where(AnnotatorRun.key_id.in_(ids), AnnotatorRun.n_errors > 0)
    if ctype is not None:
        q = q.where(AnnotatorRun.candidate_type == ctype)
    if split is not None:
        q = q.where(AnnotatorRun.split == split)
    name_of = {int(k): n for k, n in zip(key_ids, key_names, strict=True)}
    out: dict[str, tuple[int, str | None, int | None]] = {}
    for run in session.scalars(q.order_by(AnnotatorRun.key_id)):
        name = name_of[run.key_id]
        n, first, cid = out.get(name, (0, None, None))
        out[name] = (n + run.n_errors, first or run.first_error, cid if first else run.first_error_candidate_id)
    return out
