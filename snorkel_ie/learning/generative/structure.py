"""Structure learning: find pairs of dependent labeling functions without ground truth.

:class:`DependencySelector` fits, for every LF ``j``, a log-linear model of LF ``j``'s
output and the latent true label given the other LFs' outputs, maximising the
pseudolikelihood of ``L_j`` by SGD with a truncated-gradient L1 penalty (Bach et al.,
ICML 2017). A pair ``(j, k)`` is a dependency when the weight linking the two LFs (in
either LF's model) exceeds a threshold in absolute value. The weights are fit once
and cached, so :meth:`DependencySelector.sweep` over many thresholds costs about one
selection; :func:`elbow_threshold` picks the threshold at the elbow of the sweep (the
Snorkel paper's Algorithm 1).

Examples
--------
>>> from snorkel_ie.learning.generative.synthetic import make_example_3_1
>>> L, y, true_deps = make_example_3_1(2000, seed=0)
>>> deps = DependencySelector(seed=0).select(L)
>>> sorted(deps) == sorted(true_deps)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ConfigurationError, ModelError
from snorkel_ie.learning.generative.dependencies import (
    DEP_FIXING,
    DEP_REINFORCING,
    DEP_SIMILAR,
    Dependency,
)

__all__ = ["DEFAULT_THRESHOLDS", "DependencySelector", "SweepResult", "elbow_threshold", "recode_label_matrix"]

L1_SCALE = 2.0
"""Default L1 strength in units of ``sqrt(log(n_lfs) / n_candidates)``."""

DEFAULT_THRESHOLDS = np.round(np.linspace(0.02, 0.5, 25), 4)
"""The default threshold grid of :meth:`DependencySelector.sweep` (25 points)."""


def recode_label_matrix(L, *, cardinality: int | None = None) -> tuple[sp.csr_matrix, int]:
    """Validate ``L`` and recode its votes to ``1..K`` (binary: -1 -> 1, +1 -> 2).

    Parameters
    ----------
    L
        ``(n_candidates, n_lfs)`` scipy sparse or dense integer matrix; binary ``-1/+1``
        or categorical ``1..k``; ``0`` abstains.
    cardinality
        Number of classes; inferred when ``None`` (2 if every vote is -1/+1, else the
        largest vote).

    Returns
    -------
    L, K
        A CSR matrix of ``int64`` votes in ``1..K`` without explicit zeros, and ``K``.
    """
    try:
        M = sp.csr_matrix(L, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ModelError(f"L must be a scipy sparse or dense numeric matrix, got {type(L).__name__}") from err
    if M.ndim != 2 or M.shape[0] == 0 or M.shape[1] == 0:
        raise ModelError(f"L must be a non-empty 2-D matrix, got shape {M.shape}; label some candidates first")
    M.eliminate_zeros()
    data = M.data
    if not np.all(np.isfinite(data)) or np.any(data != np.round(data)):
        raise ModelError("L must hold integers (votes and 0 for abstain); found NaN, inf or fractions")
    values = np.unique(data).astype(np.int64)
    binary = values.size == 0 or np.all(np.isin(values, (-1, 1)))
    K = cardinality if cardinality is not None else (2 if binary else int(values.max()))
    if K == 2 and binary:
        codes = np.where(data > 0, 2, 1)
    elif values.size and (values.min() < 1 or values.max() > K):
        raise ModelError(
            f"L holds votes {values.tolist()}, outside 1..{K} (categorical) or -1/+1 (binary); "
            "recode the votes or pass the right cardinality"
        )
    else:
        codes = data
    out = sp.csr_matrix((codes.astype(np.int64), M.indices, M.indptr), shape=M.shape)
    out.sort_indices()
    return out, K


@dataclass(frozen=True)
class SweepResult:
    """A threshold sweep: the grid, the number of selected dependencies at each threshold,
    and the threshold at the elbow of that curve (``None`` when no elbow exists)."""

    thresholds: np.ndarray
    counts: np.ndarray
    elbow: float | None

    def pairs(self) -> list[tuple[float, int]]:
        """The sweep as ``(threshold, count)`` pairs, e.g. for plotting."""
        return [(float(t), int(c)) for t, c in zip(self.thresholds, self.counts, strict=True)]


def elbow_threshold(thresholds: Sequence[float], counts: Sequence[int], *, min_count: int = 1) -> float | None:
    """The threshold at the elbow of a (threshold, count) curve.

    Walks the thresholds in increasing order and stops early at the first one whose
    count is below ``min_count`` (the rest of the curve is a tail of zeros or near
    zeros). Among the remaining points that have a neighbour on both sides, returns the
    one that differs most from its neighbours in the sense of an elbow: the largest
    drop from the left neighbour minus the drop to the right one, measured on
    ``log(1 + count)`` (counts of spurious pairs fall roughly geometrically with the
    threshold, so on a log scale the noise is a straight line and the knee where the
    curve flattens onto the true dependencies stands out). Ties go to the smaller
    threshold. With fewer than three points kept, returns the last kept threshold (or
    ``None`` when none is kept).

    Examples
    --------
    >>> elbow_threshold([0.02, 0.04, 0.06, 0.08, 0.10, 0.12], [400, 150, 30, 12, 11, 10])
    0.08
    """
    t = np.asarray(thresholds, dtype=np.float64)
    c = np.asarray(counts, dtype=np.float64)
    order = np.argsort(t)
    t, c = t[order], c[order]
    small = np.flatnonzero(c < min_count)
    stop = small[0] if small.size else t.size
    t, c = t[:stop], np.log1p(c[:stop])
    if t.size == 0:
        return None
    if t.size < 3:
        return float(t[-1])
    curvature = c[:-2] - 2 * c[1:-1] + c[2:]
    return float(t[1 + int(np.argmax(curvature))])


def initial_weights(R: sp.csr_matrix, K: int, *, accuracy_weight: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Starting accuracy weights ``(n,)`` and vote biases ``(K, n)``.

    Every LF starts with the same positive accuracy weight (better than random; this
    picks the right one of the two label-swapped solutions). Accuracies are *not*
    estimated from agreement with a majority vote: on Example 3.1 that would start the
    copies as the accurate LFs, the very mistake structure learning must avoid.
    ``bias[v]`` starts where the frequency of vote ``v`` against abstention is matched
    given that accuracy weight, so the first epoch is not spent on coverage.
    """
    m, n = R.shape
    w = np.full(n, accuracy_weight)
    per_value = np.zeros((K, n))
    np.add.at(per_value, (R.data - 1, R.indices), 1.0)
    abstain = m - per_value.sum(axis=0)
    bias = np.log((per_value + 0.5) / (abstain + 0.5)) - np.log((np.exp(w) + K - 1) / K)
    return w, bias


class DependencySelector:
    """Select dependencies among labeling functions by L1-regularised pseudolikelihood.

    Parameters
    ----------
    seed
        Seed of the row order of the SGD epochs; the same seed gives the same weights.
    epochs
        Passes over the candidates (the last one is averaged; three recover the planted
        and Example 3.1 structures of ``benchmarks/bench_structure.py`` exactly).
    step_size
        Initial SGD step size (multiplied by ``decay`` after every epoch).
    decay
        Per-epoch step-size decay.
    l1
        Strength of the L1 penalty on the dependency weights (truncated gradient). The
        weights linking LF ``k`` are penalised by ``l1 * sqrt(coverage_k)``: a weight of LF
        ``k`` only gets gradient on the candidates ``k`` labels, so the noise of a null
        weight's gradient scales with ``sqrt(coverage_k / n_candidates)``; an unscaled
        penalty would erase every dependency of a low-coverage LF. By default
        ``l1 = 2 sqrt(log(n_lfs) / n_candidates)``, as strict on 2,000 candidates as on 100,000.

    Attributes
    ----------
    weights_
        After a fit, the ``(n_lfs, 6 n_lfs + 2 K)`` weight rows of the per-LF models
        (layout in :mod:`snorkel_ie.learning.generative._structure_kernels`).
    """

    def __init__(
        self,
        seed: int = 271828,
        *,
        epochs: int = 3,
        step_size: float = 0.1,
        decay: float = 0.3,
        l1: float | None = None,
    ) -> None:
        if epochs < 1 or step_size <= 0 or not 0 < decay <= 1 or (l1 is not None and l1 < 0):
            raise ConfigurationError(
                f"need epochs >= 1, step_size > 0, 0 < decay <= 1, l1 >= 0; got epochs={epochs}, "
                f"step_size={step_size}, decay={decay}, l1={l1}"
            )
        self.seed = seed
        self.epochs = epochs
        self.step_size = step_size
        self.decay = decay
        self.l1 = l1
        self.weights_: np.ndarray | None = None
        self._fit_key: tuple | None = None
        self._higher = False

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        L,
        *,
        higher_order: bool = False,
        truncation: int = 10,
        cardinality: int | None = None,
    ) -> DependencySelector:
        """Fit the per-LF pseudolikelihood models on ``L`` (see :meth:`select`).

        The co-labeling weights (for ``propensity``) are always fit: they keep the
        vote-correlation weights from absorbing correlated coverage.
        """
        if truncation < 1:
            raise ConfigurationError(f"truncation must be a positive number of rows, got {truncation}")
        R, K = recode_label_matrix(L, cardinality=cardinality)
        if higher_order and K != 2:
            raise ConfigurationError(
                f"higher_order dependencies (fixing, reinforcing) are defined for binary LFs only; L has {K} classes"
            )
        m, n = R.shape
        base = self.l1 if self.l1 is not None else L1_SCALE * float(np.sqrt(np.log(max(n, 2)) / m))
        l1 = base * np.sqrt(np.diff(R.tocsc().indptr) / m)  # per LF: noise of its weights' gradients
        from snorkel_ie.learning.generative import _structure_kernels as kern  # loads numba on first use

        order = np.random.default_rng(self.seed).permutation(m)
        S = R[order]
        self.weights_ = kern.fit_structure(
            S.indptr.astype(np.int64),
            S.indices.astype(np.int32),
            S.data.astype(np.int8),
            n,
            K,
            self.epochs,
            *initial_weights(R, K),
            self.step_size,
            self.decay,
            l1,
            truncation,
            higher_order,
            True,
            max(1, _numba_threads()),
            256,
        )
        self._higher = higher_order
        self._fit_key = (_fingerprint(R), higher_order, truncation)
        return self

    def _ensure_fit(self, L, higher_order, truncation, cardinality) -> None:
        R, _ = recode_label_matrix(L, cardinality=cardinality)
        if self._fit_key != (_fingerprint(R), higher_order, truncation):
            self.fit(L, higher_order=higher_order, truncation=truncation, cardinality=cardinality)

    def pair_weights(self, *, propensity: bool = False) -> dict[int, np.ndarray]:
        """Per dependency type, the ``(n, n)`` matrix of pair strengths from the last fit.

        Similar (and reinforcing) strengths are symmetric: the larger absolute weight of
        the pair in either LF's model (plus, with ``propensity``, the co-labeling weight).
        The fixing matrix is directed: entry ``[j, k]`` is the strength of "j fixes k".
        """
        if self.weights_ is None:
            raise ConfigurationError("no fit yet: call fit(L) or select(L) first")
        from snorkel_ie.learning.generative import _structure_kernels as kern

        W = np.abs(self.weights_)
        n = W.shape[0]
        block = {b: W[:, b * n : (b + 1) * n] for b in range(kern.N_BLOCKS)}
        sim = np.maximum(block[kern.SIM], block[kern.COL]) if propensity else block[kern.SIM]
        out = {DEP_SIMILAR: np.maximum(sim, sim.T)}
        if self._higher:
            out[DEP_FIXING] = np.maximum(block[kern.FOUT], block[kern.FIN].T)
            out[DEP_REINFORCING] = np.maximum(block[kern.REIN], block[kern.REIN].T)
        for mat in out.values():
            np.fill_diagonal(mat, 0.0)
        return out

    def _threshold(self, threshold: float, propensity: bool) -> set[Dependency]:
        deps: set[Dependency] = set()
        for dep_type, mat in self.pair_weights(propensity=propensity).items():
            if dep_type != DEP_FIXING:
                mat = np.triu(mat)
            for j, k in zip(*np.nonzero(mat > threshold), strict=True):
                deps.add((int(j), int(k), dep_type))
        return deps

    # ------------------------------------------------------------------ public API
    def select(
        self,
        L,
        higher_order: bool = False,
        propensity: bool = False,
        threshold: float = 0.05,
        truncation: int = 10,
        *,
        cardinality: int | None = None,
    ) -> set[Dependency]:
        """Identify dependencies among the LFs (columns) of ``L``.

        Parameters
        ----------
        L
            ``(n_candidates, n_lfs)`` label matrix, scipy sparse or dense; binary
            ``-1/+1`` or categorical ``1..k``, ``0`` for abstain.
        higher_order
            Also look for fixing and reinforcing dependencies (binary ``L`` only).
        propensity
            Also look for correlated labeling propensities (two LFs that tend to label
            the same candidates, whatever their votes); reported as ``DEP_SIMILAR``.
            The labeling propensity of each LF itself is always modelled.
        threshold
            Minimum absolute weight of a selected dependency.
        truncation
            Rows between two truncated-gradient L1 steps.
        cardinality
            Number of classes; inferred from ``L`` when ``None``.

        Returns
        -------
        set of (j, k, dep_type)
            ``j < k`` for ``DEP_SIMILAR`` and ``DEP_REINFORCING``; for ``DEP_FIXING`` the
            pair is ordered "j fixes k" (``j`` is right when it votes -1 where ``k`` votes +1).
        """
        self._ensure_fit(L, higher_order, truncation, cardinality)
        return self._threshold(threshold, propensity)

    def sweep(
        self,
        L,
        thresholds: Sequence[float] | None = None,
        *,
        higher_order: bool = False,
        propensity: bool = False,
        truncation: int = 10,
        cardinality: int | None = None,
        min_count: int = 1,
    ) -> SweepResult:
        """Count the dependencies selected at each threshold (one fit, many thresholds).

        ``thresholds`` defaults to :data:`DEFAULT_THRESHOLDS`. The elbow is picked by
        :func:`elbow_threshold` with ``min_count``; ``select(L, threshold=result.elbow)``
        then returns the dependencies at the elbow without refitting.
        """
        self._ensure_fit(L, higher_order, truncation, cardinality)
        grid = np.sort(np.asarray(DEFAULT_THRESHOLDS if thresholds is None else thresholds, dtype=np.float64))
        mats = self.pair_weights(propensity=propensity)
        counts = np.empty(grid.size, dtype=np.int64)
        for i, t in enumerate(grid):
            counts[i] = sum(
                int(np.count_nonzero((mat if d == DEP_FIXING else np.triu(mat)) > t)) for d, mat in mats.items()
            )
        return SweepResult(grid, counts, elbow_threshold(grid, counts, min_count=min_count))


def _numba_threads() -> int:
    import numba

    return numba.get_num_threads()


def _fingerprint(R: sp.csr_matrix) -> tuple:
    """A cheap identity of a recoded label matrix (shape, nnz and content hashes)."""
    return (R.shape, R.nnz, hash(R.indptr.tobytes()), hash(R.indices.tobytes()), hash(R.data.tobytes()))
