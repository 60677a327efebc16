"""Validation of label matrices and training arguments at the model's public boundary."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ModelError
from snorkel_ie.learning.generative.dependencies import DEP_TYPES, Dependency
from snorkel_ie.learning.generative.training import LabelData

__all__ = ["CONVENTIONS", "apply_convention", "check_deps", "infer_cardinality", "to_label_data"]

CONVENTIONS = ("auto", "signed", "snorkel")
"""How a label matrix encodes votes: ``signed`` is this package's (``0`` abstains, binary votes
``-1``/``+1``, categorical ``1..k``), ``snorkel`` is snorkel 0.9/0.10's (``-1`` abstains, classes
``0..k-1``) and ``auto`` takes ``signed`` but refuses a matrix that looks like ``snorkel``'s."""


def _as_csr(L: Any) -> sp.csr_matrix:
    """``L`` as a canonical CSR matrix without explicit zeros; never modifies ``L``.

    A matrix already in that form is used as it is (no copy: label matrices can be large).
    """
    if sp.issparse(L):
        if L.format == "csr" and L.has_canonical_format and L.data.all():
            csr = L if isinstance(L, sp.csr_matrix) else sp.csr_matrix(L)
            return _check_votes(csr)
        csr = sp.csr_matrix(L, copy=True)
    else:
        arr = np.asarray(L)
        if arr.ndim != 2:
            raise ModelError(f"the label matrix must be 2-d (candidates x LFs), got shape {arr.shape}")
        csr = sp.csr_matrix(arr)
    csr.eliminate_zeros()
    csr.sort_indices()
    return _check_votes(csr)


def _check_votes(csr: sp.csr_matrix) -> sp.csr_matrix:
    if csr.shape[0] == 0 or csr.shape[1] == 0:
        raise ModelError(f"the label matrix is empty (shape {csr.shape}); label some candidates first")
    if csr.dtype.kind == "f":
        if np.isnan(csr.data).any():
            raise ModelError("the label matrix contains NaN; use 0 for an abstention")
        if np.any(csr.data != np.round(csr.data)):
            raise ModelError("the label matrix must hold integer votes; found non-integer values")
    elif csr.dtype.kind not in "iub":
        raise ModelError(f"the label matrix must hold integer votes, got dtype {csr.dtype}")
    return csr


_MIN_ROWS_TO_GUESS = 20
"""``auto`` judges the convention of matrices of at least this many rows (a toy matrix is taken as given)."""


def apply_convention(L: Any, convention: str) -> Any:
    """``L`` in the ``signed`` convention (see :data:`CONVENTIONS`).

    ``auto`` returns ``L`` unchanged unless it looks like a snorkel-0.10 matrix: votes
    within ``{-1, 0, 1}``, at least 20 rows, where ``-1`` is more frequent than ``0`` and ``0`` occurs (in the ``signed``
    convention ``0``, the abstention, is nearly always the most frequent value); such a
    matrix is refused with the conversion to apply. ``snorkel`` converts (a dense copy).
    """
    if convention not in CONVENTIONS:
        raise ModelError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    if convention == "signed":
        return L
    if convention == "snorkel":
        arr = np.asarray(L.toarray() if sp.issparse(L) else L)
        if arr.ndim != 2:
            raise ModelError(f"the label matrix must be 2-d (candidates x LFs), got shape {arr.shape}")
        arr = arr.astype(np.int64)
        if arr.size and arr.min() < -1:
            i, j = np.argwhere(arr < -1)[0]
            raise ModelError(
                f"convention='snorkel' votes are -1 (abstain) or 0..k-1; row {i}, column {j} holds {arr[i, j]}"
            )
        if arr.size and arr.max() <= 1:  # binary: 0 -> -1, 1 -> +1, -1 (abstain) -> 0
            return np.where(arr == -1, 0, 2 * arr - 1)
        return arr + 1  # categorical: class c -> c + 1, abstain -1 -> 0
    if sp.issparse(L):
        n, m = L.shape
        vals = L.data
        n_neg = int(np.count_nonzero(vals == -1))
        n_zero = n * m - int(np.count_nonzero(vals))
        binary = vals.size == 0 or (vals.min() >= -1 and vals.max() <= 1)
        n_rows = n
    else:
        arr = np.asarray(L)
        if arr.ndim != 2 or arr.dtype.kind not in "iuf" or arr.size == 0:
            return L  # other problems are reported by to_label_data
        n_neg, n_zero = int(np.count_nonzero(arr == -1)), int(np.count_nonzero(arr == 0))
        binary = bool(np.nanmin(arr) >= -1 and np.nanmax(arr) <= 1)
        n_rows = arr.shape[0]
    # No zero at all: in 0.10's convention that would be a class nobody ever votes, so this is a
    # signed matrix whose LFs never abstain (0.7's generate_model makes these).
    if binary and n_neg > n_zero > 0 and n_rows >= _MIN_ROWS_TO_GUESS:
        raise ModelError(
            f"the label matrix looks like snorkel 0.10's convention (-1 = abstain, 0/1 = classes): -1 is its most "
            f"frequent value ({n_neg} entries vs {n_zero} zeros). Convert it with "
            "L = np.where(L == -1, 0, 2 * L - 1), or pass convention='snorkel'; if -1 really is a vote "
            "(0 = abstain), pass convention='signed'"
        )
    return L


def infer_cardinality(values: np.ndarray) -> tuple[int, bool]:
    """Cardinality and encoding (``signed`` = votes ``-1``/``+1``) from the non-zero votes."""
    if values.size == 0:
        raise ModelError("the label matrix has no votes at all (every entry abstains)")
    lo, hi = int(values.min()), int(values.max())
    if lo < 0:
        return 2, True
    if hi <= 1:
        return 2, True
    return hi, False


def to_label_data(
    L: Any,
    *,
    cardinality: int,
    signed: bool,
    n_lfs: int | None = None,
    candidate_ranges: Sequence[Any] | None = None,
    labels: Any = None,
    warn_empty_columns: bool = True,
) -> LabelData:
    """Validate ``L`` against the model's encoding and convert it to :class:`LabelData`."""
    csr = _as_csr(L)
    n, m = csr.shape
    if n_lfs is not None and m != n_lfs:
        raise ModelError(f"the label matrix has {m} LF columns but the model was trained on {n_lfs}")
    vals = csr.data  # compared in its own dtype: no int64 copy of a large matrix
    if signed:
        # no explicit zeros (see _as_csr), so votes within [-1, 1] are -1 or +1: two reductions check that
        if vals.size and (vals.min() < -1 or vals.max() > 1):  # non-integers are refused by _check_votes
            bad = (vals != 1) & (vals != -1)
            raise ModelError(
                f"binary votes must be -1, +1 (0 = abstain), found {np.unique(vals[bad])[:5].tolist()} "
                f"({_where(csr, bad)}); pass cardinality=k for a categorical matrix with votes 1..k"
            )
        data = vals.astype(np.int16)  # -1 -> 1, +1 -> 2
        data += 3
        data >>= 1
    else:
        bad = (vals < 1) | (vals > cardinality)
        if bad.any():
            raise ModelError(
                f"categorical votes must lie in 1..{cardinality} (0 = abstain), "
                f"found {np.unique(vals[bad])[:5].tolist()} ({_where(csr, bad)})"
            )
        data = vals.astype(np.int16)
    row_card = _row_cardinalities(candidate_ranges, n, data, csr.indptr, cardinality)
    row_label = _row_labels(labels, n, signed, cardinality)
    out = LabelData(
        indptr=csr.indptr.astype(np.int64, copy=False),
        indices=csr.indices.astype(np.int32, copy=False),
        data=data,
        n_rows=n,
        n_lfs=m,
        k_max=cardinality,
        row_card=row_card,
        row_label=row_label,
    )
    if warn_empty_columns:
        empty = np.flatnonzero(out.col_counts == 0)  # cached: training uses the counts too
        if empty.size:
            warnings.warn(
                f"{empty.size} LF column(s) never vote (e.g. columns {empty[:5].tolist()}); "
                "their accuracy cannot be learned and stays at init_acc",
                UserWarning,
                stacklevel=3,
            )
    return out


def _where(csr: sp.csr_matrix, bad: np.ndarray) -> str:
    """``'first at row i, column j: v'`` for the first entry flagged in ``bad`` (aligned with ``csr.data``)."""
    at = int(np.argmax(bad))
    row = int(np.searchsorted(csr.indptr, at, side="right") - 1)
    return f"first at row {row}, column {int(csr.indices[at])}: {csr.data[at]}"


def _row_cardinalities(
    ranges: Sequence[Any] | None, n: int, data: np.ndarray, indptr: np.ndarray, k: int
) -> np.ndarray:
    if ranges is None:
        return np.zeros(0, dtype=np.int64)
    if len(ranges) != n:
        raise ModelError(f"candidate_ranges has {len(ranges)} entries but the label matrix has {n} rows")
    card = np.array([r if isinstance(r, int | np.integer) else len(r) for r in ranges], dtype=np.int64)
    if card.min() < 2 or card.max() > k:
        raise ModelError(f"every candidate range must have between 2 and {k} values, got {card.min()}..{card.max()}")
    row_of = np.repeat(np.arange(n), np.diff(indptr))
    if np.any(data > card[row_of]):
        i = int(row_of[np.argmax(data > card[row_of])])
        raise ModelError(f"candidate {i} has a vote above its range size {card[i]}; votes index its range, 1..size")
    return card


def _row_labels(labels: Any, n: int, signed: bool, k: int) -> np.ndarray:
    if labels is None:
        return np.zeros(0, dtype=np.int64)
    from snorkel_ie.learning.utils import as_label_vector

    lab = as_label_vector(labels, name="labels")
    if lab.shape[0] != n:
        raise ModelError(f"labels has {lab.shape[0]} entries but the label matrix has {n} rows")
    if signed:
        if np.any((lab != 0) & (lab != 1) & (lab != -1)):
            raise ModelError("binary labels must be -1, +1 or 0 (unknown)")
        return np.where(lab == 0, 0, np.where(lab == 1, 2, 1)).astype(np.int64)
    if np.any((lab < 0) | (lab > k)):
        raise ModelError(f"labels must lie in 0..{k} (0 = unknown)")
    return lab


def check_deps(deps: Any, n_lfs: int) -> list[Dependency]:
    """Validate ``(j, k, dep_type)`` triples; returns them as a sorted list of int tuples."""
    out = []
    for d in deps:
        try:
            j, k, t = (int(x) for x in d)
        except (TypeError, ValueError) as err:
            raise ModelError(f"a dependency must be a (j, k, dep_type) triple of ints, got {d!r}") from err
        if not (0 <= j < n_lfs and 0 <= k < n_lfs) or j == k:
            raise ModelError(f"dependency {d!r} names LF columns outside 0..{n_lfs - 1} or a column with itself")
        if t not in DEP_TYPES:
            raise ModelError(f"dependency {d!r} has an unknown type {t}; use DEP_SIMILAR/FIXING/REINFORCING/EXCLUSIVE")
        out.append((j, k, t))
    return sorted(set(out))
