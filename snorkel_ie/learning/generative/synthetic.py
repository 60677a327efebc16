"""Seeded synthetic label matrices for tests and benchmarks.

Three generators, all deterministic for a given ``seed``:

* :func:`make_independent` - conditionally independent LFs with given accuracies and
  coverages (the classic data programming setup).
* :func:`make_example_3_1` - the Snorkel paper's Example 3.1 (VLDB 2017): a block of
  perfectly correlated copies of one mediocre LF next to a few independent good LFs.
* :func:`make_planted_dependencies` - groups of LFs that are noisy copies of a group
  leader, with the true set of (leader, member) dependencies.

Encoding (the same as :class:`~snorkel_ie.learning.generative.model.GenerativeModel`):
for ``cardinality=2`` labels and votes are ``-1``/``+1``; for ``cardinality=k>2`` they
are ``1..k``. ``0`` always means abstain. ``L`` is a ``scipy.sparse.csr_matrix`` of
dtype ``int64`` with shape ``(n, n_lfs)``; ``y`` is a dense ``int64`` vector of length
``n``; dependency sets are sets of ``(j, k, DEP_SIMILAR)`` with ``j < k``.

Examples
--------
>>> L, y = make_independent(1000, [0.9, 0.7], [0.5, 0.2], seed=0)
>>> L.shape
(1000, 2)
>>> L, y, deps = make_example_3_1(1000, seed=0)
>>> sorted(deps)[:2]
[(0, 1, 0), (0, 2, 0)]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.learning.generative.dependencies import DEP_SIMILAR, Dependency

__all__ = ["make_example_3_1", "make_independent", "make_planted_dependencies", "sample_labels"]


def _classes(cardinality: int) -> np.ndarray:
    if cardinality < 2:
        raise ConfigurationError(f"cardinality must be at least 2, got {cardinality}")
    return np.array([-1, 1]) if cardinality == 2 else np.arange(1, cardinality + 1)


def _broadcast(values: float | Sequence[float], n_lfs: int, name: str) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(values, dtype=np.float64), (n_lfs,)).copy()
    if np.any(arr < 0) or np.any(arr > 1):
        raise ConfigurationError(f"{name} must lie in [0, 1], got {arr.tolist()}")
    return arr


def sample_labels(
    n: int, *, seed: int | np.random.Generator, cardinality: int = 2, class_balance: Sequence[float] | None = None
) -> np.ndarray:
    """Draw ``n`` true labels (``-1``/``+1`` when binary, ``1..k`` otherwise)."""
    rng = np.random.default_rng(seed)
    classes = _classes(cardinality)
    return rng.choice(classes, size=n, p=class_balance).astype(np.int64)


def _vote(rng: np.random.Generator, y: np.ndarray, accuracy: float, coverage: float, cardinality: int) -> np.ndarray:
    """One LF column: labels with prob ``coverage``; right with prob ``accuracy``, else a uniform wrong class."""
    n = y.shape[0]
    classes = _classes(cardinality)
    labels = rng.random(n) < coverage
    right = rng.random(n) < accuracy
    # A uniformly drawn wrong class: shift the true class index by 1..k-1 (mod k).
    idx = np.searchsorted(classes, y)
    wrong = classes[(idx + rng.integers(1, cardinality, size=n)) % cardinality]
    col = np.where(right, y, wrong)
    return np.where(labels, col, 0).astype(np.int64)


def make_independent(
    n: int,
    accuracies: float | Sequence[float],
    coverages: float | Sequence[float],
    *,
    seed: int,
    cardinality: int = 2,
    class_balance: Sequence[float] | None = None,
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Conditionally independent LFs with given accuracies and coverages.

    Parameters
    ----------
    n
        Number of candidates (rows).
    accuracies, coverages
        One value per LF; a scalar is broadcast to the length of the other argument.
        Accuracy is P(vote == y | vote != 0); coverage is P(vote != 0).
    seed
        Seed of the numpy generator.
    cardinality
        2 for binary (+1/-1), k > 2 for categorical (1..k).
    class_balance
        Class probabilities (in the order -1, +1 or 1..k); uniform when ``None``.

    Returns
    -------
    L, y
        The ``(n, n_lfs)`` CSR label matrix and the true labels.
    """
    n_lfs = max(np.size(accuracies), np.size(coverages))
    acc = _broadcast(accuracies, n_lfs, "accuracies")
    cov = _broadcast(coverages, n_lfs, "coverages")
    rng = np.random.default_rng(seed)
    y = sample_labels(n, seed=rng, cardinality=cardinality, class_balance=class_balance)
    cols = [_vote(rng, y, acc[j], cov[j], cardinality) for j in range(n_lfs)]
    return sp.csr_matrix(np.column_stack(cols)), y


def _pairs(groups: Sequence[Sequence[int]]) -> set[Dependency]:
    return {(min(a, b), max(a, b), DEP_SIMILAR) for g in groups for i, a in enumerate(g) for b in g[i + 1 :]}


def make_example_3_1(
    n: int = 10_000,
    *,
    n_copies: int = 5,
    n_good: int = 5,
    copy_acc: float = 0.5,
    good_acc: float = 0.99,
    coverage: float = 0.5,
    seed: int,
    cardinality: int = 2,
) -> tuple[sp.csr_matrix, np.ndarray, set[Dependency]]:
    """The paper's Example 3.1: ``n_copies`` identical columns, then ``n_good`` independent LFs.

    The copies (columns ``0..n_copies-1``) are exact duplicates of one LF with accuracy
    ``copy_acc``; the good LFs (the remaining columns) are independent with accuracy
    ``good_acc``. Every LF has coverage ``coverage``. "60% copies" of 10 LFs is
    ``n_copies=6, n_good=4``.

    Returns
    -------
    L, y, deps
        The label matrix, the true labels and the true structure: every pair of copies
        as ``(j, k, DEP_SIMILAR)``.
    """
    rng = np.random.default_rng(seed)
    y = sample_labels(n, seed=rng, cardinality=cardinality)
    base = _vote(rng, y, copy_acc, coverage, cardinality)
    cols = [base] * n_copies + [_vote(rng, y, good_acc, coverage, cardinality) for _ in range(n_good)]
    return sp.csr_matrix(np.column_stack(cols)), y, _pairs([list(range(n_copies))])


def make_planted_dependencies(
    n: int,
    n_lfs: int,
    *,
    n_groups: int,
    group_size: int,
    seed: int,
    accuracy: tuple[float, float] = (0.6, 0.9),
    coverage: tuple[float, float] = (0.2, 0.5),
    copy_prob: float = 0.8,
    cardinality: int = 2,
) -> tuple[sp.csr_matrix, np.ndarray, set[Dependency]]:
    """LFs with planted groups of correlated members.

    Each LF draws its accuracy and coverage uniformly from the given ranges. The first
    ``n_groups * group_size`` columns form consecutive groups; in each group, member 0 is
    the leader (an independent LF) and every other member, on each candidate independently,
    copies the leader's output (abstain included) with probability ``copy_prob`` and
    otherwise votes as an independent LF of its own. The remaining columns are independent.

    Given the leader, the members of a group are independent of each other, so the true
    dependency graph is a star per group: ``deps`` holds the ``(leader, member,
    DEP_SIMILAR)`` pairs only (``group_size - 1`` per group), not every within-group pair.

    Returns
    -------
    L, y, deps
        The label matrix, the true labels and the leader-member pairs.
    """
    if n_groups * group_size > n_lfs:
        raise ConfigurationError(
            f"{n_groups} groups of {group_size} need {n_groups * group_size} LFs, but n_lfs={n_lfs}; "
            "lower n_groups or group_size, or raise n_lfs"
        )
    rng = np.random.default_rng(seed)
    y = sample_labels(n, seed=rng, cardinality=cardinality)
    acc = rng.uniform(*accuracy, size=n_lfs)
    cov = rng.uniform(*coverage, size=n_lfs)
    cols = [_vote(rng, y, acc[j], cov[j], cardinality) for j in range(n_lfs)]
    groups = [list(range(g * group_size, (g + 1) * group_size)) for g in range(n_groups)]
    for g in groups:
        leader = cols[g[0]]
        for j in g[1:]:
            copy = rng.random(n) < copy_prob
            cols[j] = np.where(copy, leader, cols[j])
    deps = {(g[0], j, DEP_SIMILAR) for g in groups for j in g[1:]}
    return sp.csr_matrix(np.column_stack(cols)), y, deps
