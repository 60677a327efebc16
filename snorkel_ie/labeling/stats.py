"""Per-LF statistics of a label matrix: coverage, overlaps, conflicts, accuracy against gold.

Everything is vectorised over the CSR arrays: a row-level flag (e.g. "two or more LFs
voted") is broadcast to the row's non-zeros and summed per column with ``bincount``.

Definitions (n rows, LF j):
- Coverage: fraction of rows where j votes.
- Overlaps: fraction of rows where j votes and at least one other LF votes.
- Conflicts: fraction of rows where j votes and another LF votes a different value.
- Binary with gold (+1/-1, 0 unknown): TP = j votes +1 on gold +1, FP = +1 on gold -1,
  FN = -1 on gold +1, TN = -1 on gold -1; Empirical Acc. = (TP + TN) / (TP + FP + FN + TN).
- Categorical with gold (1..k): Correct / Incorrect votes and their ratio.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from snorkel_ie.errors import ConfigurationError


def _entry_rows(L: sp.csr_matrix) -> np.ndarray:
    return np.repeat(np.arange(L.shape[0]), np.diff(L.indptr))


def _per_column(L: sp.csr_matrix, entry_weight: np.ndarray) -> np.ndarray:
    return np.bincount(L.indices, weights=entry_weight.astype(np.float64), minlength=L.shape[1])


def coverage_overlaps_conflicts(L: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column coverage, overlap and conflict fractions of a CSR label matrix."""
    L = sp.csr_matrix(L)
    L.eliminate_zeros()
    n = max(L.shape[0], 1)
    rows = _entry_rows(L)
    row_nnz = np.diff(L.indptr)
    nonempty = row_nnz > 0
    starts = L.indptr[:-1][nonempty]
    row_min = np.zeros(L.shape[0], dtype=L.data.dtype)
    row_max = np.zeros(L.shape[0], dtype=L.data.dtype)
    if len(L.data):
        row_min[nonempty] = np.minimum.reduceat(L.data, starts)
        row_max[nonempty] = np.maximum.reduceat(L.data, starts)
    ones = np.ones(len(L.data))
    coverage = _per_column(L, ones) / n
    overlaps = _per_column(L, (row_nnz[rows] > 1)) / n
    conflicts = _per_column(L, (row_min[rows] != row_max[rows])) / n
    return coverage, overlaps, conflicts


def binary_confusion(L: sp.csr_matrix, gold: np.ndarray) -> dict[str, np.ndarray]:
    """Per-column TP, FP, FN, TN of binary votes against gold (0 = unknown, ignored)."""
    L = sp.csr_matrix(L)
    g = gold[_entry_rows(L)]
    v = L.data
    return {
        "TP": _per_column(L, (v == 1) & (g == 1)).astype(np.int64),
        "FP": _per_column(L, (v == 1) & (g == -1)).astype(np.int64),
        "FN": _per_column(L, (v == -1) & (g == 1)).astype(np.int64),
        "TN": _per_column(L, (v == -1) & (g == -1)).astype(np.int64),
    }


def categorical_confusion(L: sp.csr_matrix, gold: np.ndarray) -> dict[str, np.ndarray]:
    """Per-column correct and incorrect votes against gold (0 = unknown, ignored)."""
    L = sp.csr_matrix(L)
    g = gold[_entry_rows(L)]
    v = L.data
    known = (g != 0) & (v != 0)
    return {
        "Correct": _per_column(L, known & (v == g)).astype(np.int64),
        "Incorrect": _per_column(L, known & (v != g)).astype(np.int64),
    }


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)


def lf_summary(
    L: sp.csr_matrix,
    *,
    gold: np.ndarray | None = None,
    est_accs: Sequence[float] | np.ndarray | None = None,
    errors: Mapping[str, tuple[int, str | None, int | None]] | None = None,
    cardinality: int = 2,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The ``lf_stats`` DataFrame of ``L`` (see the module docstring for the definitions)."""
    m = L.shape[1]
    names = list(names if names is not None else getattr(L, "key_names", [str(j) for j in range(m)]))
    coverage, overlaps, conflicts = coverage_overlaps_conflicts(L)
    d: dict[str, object] = {"j": np.arange(m), "Coverage": coverage, "Overlaps": overlaps, "Conflicts": conflicts}
    if gold is not None:
        gold = np.asarray(gold).ravel()
        if len(gold) != L.shape[0]:
            raise ConfigurationError(f"gold labels have {len(gold)} rows but the matrix has {L.shape[0]}; align them")
        if cardinality == 2:
            conf = binary_confusion(L, gold)
            d.update(conf)
            d["Empirical Acc."] = _ratio(conf["TP"] + conf["TN"], conf["TP"] + conf["FP"] + conf["FN"] + conf["TN"])
        else:
            conf = categorical_confusion(L, gold)
            d.update(conf)
            d["Empirical Acc."] = _ratio(conf["Correct"], conf["Correct"] + conf["Incorrect"])
    if est_accs is not None:
        est = np.asarray(est_accs, dtype=np.float64).ravel()
        if len(est) != m:
            raise ConfigurationError(f"est_accs has {len(est)} values but the matrix has {m} LFs")
        d["Learned Acc."] = est
    if errors:
        d["Errors"] = np.array([errors.get(n, (0, None, None))[0] for n in names], dtype=np.int64)
        d["First error"] = [_describe(errors.get(n)) for n in names]
    return pd.DataFrame(d, index=pd.Index(names, name="LF"))


def _describe(err: tuple[int, str | None, int | None] | None) -> str:
    if not err or not err[0]:
        return ""
    return f"candidate {err[2]}: {err[1]}"


def sparse_abs(X: sp.spmatrix) -> sp.csr_matrix:
    """Element-wise absolute value of a sparse matrix, as CSR (Snorkel 0.7's ``snorkel.utils.sparse_abs``)."""
    return abs(sp.csr_matrix(X))


def matrix_coverage(L: sp.spmatrix) -> np.ndarray:
    """Per LF, the fraction of rows it votes on (0.7's ``snorkel.utils.matrix_coverage``)."""
    return coverage_overlaps_conflicts(L)[0]


def matrix_overlaps(L: sp.spmatrix) -> np.ndarray:
    """Per LF, the fraction of rows where it and another LF vote (0.7's ``matrix_overlaps``)."""
    return coverage_overlaps_conflicts(L)[1]


def matrix_conflicts(L: sp.spmatrix) -> np.ndarray:
    """Per LF, the fraction of rows where another LF votes a different value (0.7's ``matrix_conflicts``)."""
    return coverage_overlaps_conflicts(L)[2]
