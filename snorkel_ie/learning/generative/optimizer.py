"""The modeling optimizer: majority vote or the generative model, and with which dependencies.

Snorkel (VLDB 2017), Section 3.1 and Algorithm 1. The *modeling advantage* of a
weighted majority vote ``f_w(L_i) = sum_j w_j L_ij`` over the unweighted one ``f_1`` is
the fraction of candidates it gets right that ``f_1`` gets wrong, minus the reverse.
Without ground truth we use the paper's optimistic upper bound::

    A~*(L) = 1/m  sum_i  sum_y  1[y f_1(L_i) <= 0]  Phi(L_i, y)  P_wbar(y | L_i)

``Phi(L_i, y) = 1[c_y(L_i) w_max > c_{y'}(L_i) w_min]`` says that some weighting within
``[w_min, w_max]`` could make ``y`` win over the other labels (``c_y`` counts the votes for
``y`` on candidate ``i``), and ``P_wbar(y | L_i)`` is the probability of ``y`` when every LF
has the mean weight ``w_bar`` (a sigmoid ``sigma(2 f_wbar(L_i) y)`` in the binary case; a
softmax of ``2 w_bar c_y`` for ``k`` classes). A weight ``w`` corresponds to an LF accuracy
``a`` through ``w = 1/2 log(a / (1 - a))``, so the range is given as accuracies.

:func:`optimize` returns ``'majority_vote'`` when the bound is below ``gamma`` (sparse
label matrices, where LFs rarely overlap, and very dense ones, where majorities are
rarely close) and otherwise ``'generative'`` with the dependencies selected at the elbow
of a threshold sweep.

Examples
--------
>>> from snorkel_ie.learning.generative.synthetic import make_independent
>>> L, _ = make_independent(5000, [0.8] * 10, [0.02] * 10, seed=0)
>>> optimize(L).strategy
'majority_vote'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.learning.generative.dependencies import Dependency
from snorkel_ie.learning.generative.structure import DependencySelector, SweepResult, recode_label_matrix

__all__ = ["OptimizerResult", "label_density", "modeling_advantage_bound", "optimize", "vote_counts"]

MAJORITY_VOTE = "majority_vote"
GENERATIVE = "generative"


@dataclass(frozen=True)
class OptimizerResult:
    """What :func:`optimize` decided, and why.

    Attributes
    ----------
    strategy
        ``'majority_vote'`` or ``'generative'``.
    advantage
        The upper bound ``A~*(L)`` on the modeling advantage.
    label_density
        Mean number of non-abstain votes per candidate.
    gamma
        The advantage tolerance the decision used.
    deps
        The selected dependencies (generative strategy only, else ``None``).
    threshold
        The threshold at the elbow of the sweep (generative strategy only).
    sweep
        The threshold sweep, for plotting (generative strategy only).
    """

    strategy: str
    advantage: float
    label_density: float
    gamma: float
    deps: frozenset[Dependency] | None = None
    threshold: float | None = None
    sweep: SweepResult | None = None


def label_density(L) -> float:
    """Mean number of non-abstain votes per candidate (the paper's ``d_Lambda``)."""
    R, _ = recode_label_matrix(L)
    return R.nnz / R.shape[0]


def vote_counts(L, *, cardinality: int | None = None) -> np.ndarray:
    """Per candidate, the number of votes for each class: an ``(m, K)`` integer array.

    Columns follow the class order ``-1, +1`` (binary) or ``1..k`` (categorical).
    """
    R, K = recode_label_matrix(L, cardinality=cardinality)
    rows = np.repeat(np.arange(R.shape[0]), np.diff(R.indptr))
    counts = sp.csr_matrix((np.ones(R.nnz, dtype=np.int64), (rows, R.data - 1)), shape=(R.shape[0], K))
    return counts.toarray()


def _weight(accuracy: float) -> float:
    return 0.5 * float(np.log(accuracy / (1.0 - accuracy)))


def modeling_advantage_bound(
    L, *, accuracy_range: tuple[float, float] = (0.6, 0.9), cardinality: int | None = None
) -> float:
    """The upper bound ``A~*(L)`` on the advantage of a weighted over an unweighted vote.

    Parameters
    ----------
    L
        Label matrix (scipy sparse or dense), binary ``-1/+1`` or categorical ``1..k``.
    accuracy_range
        Range ``(a_min, a_max)`` of plausible LF accuracies, ``0.5 < a_min <= a_max < 1``;
        it fixes the weight range ``[w_min, w_max]`` and the mean weight ``w_bar``.
    cardinality
        Number of classes; inferred when ``None``.

    Returns
    -------
    float
        A value in ``[0, 1]``: the expected fraction of candidates whose label a
        re-weighting could fix, at best.
    """
    a_min, a_max = accuracy_range
    if not 0.5 < a_min <= a_max < 1.0:
        raise ConfigurationError(f"accuracy_range must satisfy 0.5 < a_min <= a_max < 1, got {accuracy_range}")
    w_min, w_max = _weight(a_min), _weight(a_max)
    w_bar = 0.5 * (w_min + w_max)
    C = vote_counts(L, cardinality=cardinality).astype(np.float64)
    m, K = C.shape
    total = 0.0
    for y in range(K):
        others = np.delete(C, y, axis=1).max(axis=1)
        not_won = C[:, y] <= others  # y f_1 <= 0: majority vote does not pick y (or ties)
        could_win = C[:, y] * w_max > others * w_min
        logits = 2.0 * w_bar * C
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p_y = p[:, y] / p.sum(axis=1)
        total += float(np.sum(p_y * (not_won & could_win)))
    return total / m


def optimize(
    L,
    gamma: float = 0.01,
    *,
    accuracy_range: tuple[float, float] = (0.6, 0.9),
    thresholds: Sequence[float] | None = None,
    higher_order: bool = False,
    cardinality: int | None = None,
    selector: DependencySelector | None = None,
) -> OptimizerResult:
    """Choose between majority vote and the generative model (Algorithm 1 of the paper).

    Parameters
    ----------
    L
        Label matrix (scipy sparse or dense).
    gamma
        Advantage tolerance: majority vote when ``A~*(L) < gamma``.
    accuracy_range
        Plausible LF accuracies for the bound (see :func:`modeling_advantage_bound`).
    thresholds
        Threshold grid of the dependency sweep (default
        :data:`~snorkel_ie.learning.generative.structure.DEFAULT_THRESHOLDS`).
    higher_order
        Also select fixing and reinforcing dependencies (binary only).
    cardinality
        Number of classes; inferred when ``None``.
    selector
        The :class:`DependencySelector` to use (a seeded default when ``None``); its fit
        is kept, so ``selector.select(L, threshold=...)`` afterwards costs no refit.

    Returns
    -------
    OptimizerResult
    """
    if gamma < 0:
        raise ConfigurationError(f"gamma must be >= 0, got {gamma}")
    advantage = modeling_advantage_bound(L, accuracy_range=accuracy_range, cardinality=cardinality)
    density = label_density(L)
    if advantage < gamma:
        return OptimizerResult(MAJORITY_VOTE, advantage, density, gamma)
    selector = selector if selector is not None else DependencySelector()
    sweep = selector.sweep(L, thresholds, higher_order=higher_order, cardinality=cardinality)
    threshold = sweep.elbow if sweep.elbow is not None else float(sweep.thresholds[-1])
    deps = selector.select(L, higher_order=higher_order, threshold=threshold, cardinality=cardinality)
    return OptimizerResult(GENERATIVE, advantage, density, gamma, frozenset(deps), threshold, sweep)
