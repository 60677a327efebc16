"""The default binary model's statistics as sparse matrix-vector products (numpy/scipy, no numba).

A binary model without dependencies, per-row cardinalities or (for the clamped
statistics) class propensities scores a row by one dot product: the class log-odds is
``2 * (theta1 + sum_j s_ij acc_j)`` with ``s_ij = +1/-1`` for a vote ``+1/-1``. So a whole
epoch is two products with the signed vote matrix ``S`` (``S @ acc`` and ``S.T @ E[s(Y)]``)
and a few vectorised passes over the rows: memory-bound work that scipy's compiled
sparse products do at about the speed of a hand-written kernel, with nothing to compile.
This keeps the common fit free of numba altogether: no compilation on the first fit
after installing, no JIT import (about 90 MB of resident LLVM) and no cache to warm.

Votes arrive in the kernels' encoding (``1`` = vote -1, ``2`` = vote +1, CSR without
explicit zeros, see :mod:`._gibbs`). The signed matrix is built once per label matrix
and kept while the vote array it was built from is alive (training calls these once per
epoch on the same arrays).
"""

from __future__ import annotations

import weakref

import numpy as np
import scipy.sparse as sp

__all__ = [
    "binary_clamped_stats",
    "binary_epoch_stats",
    "binary_posterior",
    "can_use_binary_epoch_stats",
    "can_use_binary_posterior",
    "signed_posterior",
]

_memo: dict[str, tuple] = {}


def _forget(_ref: weakref.ref) -> None:
    _memo.clear()


def _signed_matrix(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n_lfs: int) -> sp.csr_matrix:
    """``S`` (float64 CSR, ``+1``/``-1`` per vote, ``n_lfs`` columns), cached for the lifetime of ``data``."""
    hit = _memo.get("signed")
    if hit is not None:
        refs, S = hit
        if S.shape[1] == n_lfs and all(r() is a for r, a in zip(refs, (indptr, indices, data), strict=True)):
            return S
    signed = data.astype(np.float64)
    signed *= 2.0
    signed -= 3.0
    S = sp.csr_matrix((signed, indices, indptr), shape=(indptr.shape[0] - 1, n_lfs))
    _memo.clear()
    _memo["signed"] = (tuple(weakref.ref(a, _forget) for a in (indptr, indices, data)), S)
    return S


def _indicator_matrix(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n_lfs: int) -> sp.csr_matrix:
    """``|S|``: 1 per vote, cached with ``S``."""
    S = _signed_matrix(indptr, indices, data, n_lfs)
    hit = _memo.get("indicator")
    if hit is not None and hit[0] is S:
        return hit[1]
    B = abs(S)
    _memo["indicator"] = (S, B)
    return B


def _log_odds_half(indptr, indices, data, row_label, label_w, theta, acc, cprop) -> np.ndarray:
    """Half the class log-odds per row: ``(theta1 - theta0) / 2 + sum_j (s_ij acc_j + cprop_j)`` (+- label)."""
    h = _signed_matrix(indptr, indices, data, acc.shape[0]) @ acc
    if np.any(cprop):
        h += _indicator_matrix(indptr, indices, data, acc.shape[0]) @ cprop
    h += 0.5 * (theta[1] - theta[0])
    if row_label.shape[0]:
        h += np.where(row_label == 2, label_w, np.where(row_label == 1, -label_w, 0.0))
    return h


def _log_cosh2(half: np.ndarray) -> float:
    """``sum(log(e^h + e^-h))`` computed stably."""
    a = np.abs(half)
    return float(a.sum() + np.log1p(np.exp(-2.0 * a)).sum())


def binary_clamped_stats(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, theta1: float, acc: np.ndarray
) -> tuple[np.ndarray, float, float]:
    """Clamped statistics of the default binary model (no dependencies, labels or class propensities).

    Returns
    -------
    acc_stats, class_stat, loglik
        Per LF the sum over its votes of ``E[h_acc] = s_ij E[s(Y)]``; the sum over rows of
        ``E[s(Y)]``; the sum of the rows' clamped log-normalisers ``log(e^h + e^-h)``,
        ``h = theta1 + sum_j s_ij acc_j``.
    """
    S = _signed_matrix(indptr, indices, data, acc.shape[0])
    half = S @ acc
    half += theta1
    s_mean = np.tanh(half)  # E[s(Y)] = q1 - q0
    acc_stats = S.T @ s_mean
    ll = _log_cosh2(half)
    return acc_stats, float(s_mean.sum()), ll


def can_use_binary_posterior(k_max: int, row_card: np.ndarray, deps: tuple) -> bool:
    """Whether :func:`binary_posterior` applies (binary, uniform cardinality, no dependency factors)."""
    return k_max == 2 and row_card.shape[0] == 0 and deps[0].shape[0] == 0


def can_use_binary_epoch_stats(k_max, row_card, deps, free_local, all_deps) -> bool:
    """Whether :func:`binary_epoch_stats` computes :func:`._exact_kernels.epoch_stats` (clamped part only).

    Binary, uniform cardinality, no free statistics asked for, abstentions observed and a
    dependency tuple whose adjacency lists no factor (training passes only the factors
    that involve ``Y``; without fixing or reinforcing ones there are none): the dependency
    factors then add nothing to ``P(Y | votes)`` nor to the statistics.
    """
    no_factors = deps[6].shape[0] == 0
    return k_max == 2 and row_card.shape[0] == 0 and not free_local and not all_deps and no_factors


def binary_epoch_stats(indptr, indices, data, row_label, label_w, theta, acc, cprop, offs, n_stats):
    """:func:`._exact_kernels.epoch_stats` where :func:`can_use_binary_epoch_stats` holds.

    Returns
    -------
    clamped, free, free_var, loglik
        As the numba kernel: the free statistics are zero (not asked for).
    """
    h = _log_odds_half(indptr, indices, data, row_label, label_w, theta, acc, cprop)
    m = acc.shape[0]
    s_mean = np.tanh(h)
    cl = np.zeros(n_stats)
    o_acc, o_cprop = int(offs[1]), int(offs[3])
    cl[0] = s_mean.sum()
    cl[o_acc : o_acc + m] = _signed_matrix(indptr, indices, data, m).T @ s_mean
    cl[o_cprop : o_cprop + m] = _indicator_matrix(indptr, indices, data, m).T @ s_mean
    ll = _log_cosh2(h) + 0.5 * (theta[0] + theta[1]) * h.shape[0]
    return cl, np.zeros(n_stats), np.zeros(n_stats), ll


def binary_posterior(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    row_label: np.ndarray,
    label_w: float,
    theta: np.ndarray,
    acc: np.ndarray,
    cprop: np.ndarray,
    out: np.ndarray,
) -> None:
    """Exact ``P(Y | votes)`` of a binary model without dependencies into ``out`` (``(n, 2)``).

    The class log-odds of row i is ``theta[1] - theta[0] + 2 sum_j (s_ij acc_j + cprop_j)``
    plus ``+-2 label_w`` for a known label (``row_label`` in ``1..2``, ``0`` unknown, or empty).
    """
    d = _log_odds_half(indptr, indices, data, row_label, label_w, theta, acc, cprop)
    d *= 2.0
    tmp = np.empty_like(d)
    with np.errstate(over="ignore"):  # exp(-d) = inf gives probability 0, as it should
        for col, sign in ((1, -1.0), (0, 1.0)):  # P(y) = 1 / (1 + exp(-+d)): each class from its own side
            np.multiply(d, sign, out=tmp)
            np.exp(tmp, out=tmp)
            tmp += 1.0
            np.reciprocal(tmp, out=out[:, col])


def signed_posterior(csr: sp.csr_matrix, theta: np.ndarray, acc: np.ndarray, cprop: np.ndarray) -> np.ndarray:
    """:func:`binary_posterior` straight from a validated CSR matrix of ``-1``/``+1`` votes (``(n, 2)``).

    Used for the marginals of a trained binary model without dependencies: the votes'
    own values are the signs, so no re-encoded copy of the matrix is made.
    """
    idx = np.int32 if csr.nnz < 2**31 - 1 else np.int64
    S = sp.csr_matrix(
        (csr.data.astype(np.float64), csr.indices.astype(idx, copy=False), csr.indptr.astype(idx, copy=False)),
        shape=csr.shape,
    )
    d = S @ acc
    if np.any(cprop):
        d += abs(S) @ cprop
    d += 0.5 * (theta[1] - theta[0])
    d *= 2.0
    out = np.empty((csr.shape[0], 2))
    with np.errstate(over="ignore"):  # exp(-d) = inf gives probability 0, as it should
        for col, sign in ((1, -1.0), (0, 1.0)):  # P(y) = 1 / (1 + exp(-+d)): each class from its own side
            np.multiply(d, sign, out=out[:, col])
            np.exp(out[:, col], out=out[:, col])
            out[:, col] += 1.0
            np.reciprocal(out[:, col], out=out[:, col])
    return out
