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

__all__ = ["check_deps", "infer_cardinality", "to_label_data"]


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
        positive = vals == 1
        bad = ~positive & (vals != -1)
        if bad.any():
            raise ModelError(
                f"binary votes must be -1, +1 (0 = abstain), found {np.unique(vals[bad])[:5].tolist()}; "
                "pass cardinality=k for a categorical matrix with votes 1..k"
            )
        data = positive.astype(np.int16) + np.int16(1)
    else:
        bad = (vals < 1) | (vals > cardinality)
        if bad.any():
            raise ModelError(
                f"categorical votes must lie in 1..{cardinality} (0 = abstain), "
                f"found {np.unique(vals[bad])[:5].tolist()}"
            )
        data = vals.astype(np.int16)
    row_card = _row_cardinalities(candidate_ranges, n, data, csr.indptr, cardinality)
    row_label = _row_labels(labels, n, signed, cardinality)
    if warn_empty_columns:
        empty = np.flatnonzero(np.bincount(csr.indices, minlength=m) == 0)
        if empty.size:
            warnings.warn(
                f"{empty.size} LF column(s) never vote (e.g. columns {empty[:5].tolist()}); "
                "their accuracy cannot be learned and stays at init_acc",
                UserWarning,
                stacklevel=3,
            )
    return LabelData(
        indptr=csr.indptr.astype(np.int64, copy=False),
        indices=csr.indices.astype(np.int32, copy=False),
        data=data,
        n_rows=n,
        n_lfs=m,
        k_max=cardinality,
        row_card=row_card,
        row_label=row_label,
    )


def _row_cardinalities(ranges: Sequence[Any] | None, n: int, data: np.ndarray, indptr: np.ndarray, k: int) -> np.ndarray:
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
