"""The modeling optimizer: the advantage bound, label density and the strategy choice."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.learning.generative.optimizer import (
    label_density,
    modeling_advantage_bound,
    optimize,
    vote_counts,
)
from snorkel_ie.learning.generative.structure import DependencySelector
from snorkel_ie.learning.generative.synthetic import make_independent, make_planted_dependencies


def _bound_by_enumeration(D: np.ndarray, a_min: float, a_max: float) -> float:
    """Binary A~* straight from the paper's formula, one candidate and label at a time."""
    w_min, w_max = (0.5 * np.log(a / (1 - a)) for a in (a_min, a_max))
    w_bar = (w_min + w_max) / 2
    total = 0.0
    for row, y in itertools.product(D, (-1, 1)):
        f1 = row.sum()
        c_y, c_other = np.sum(row == y), np.sum(row == -y)
        phi = c_y * w_max > c_other * w_min
        if y * f1 <= 0 and phi:
            total += 1.0 / (1.0 + np.exp(-2.0 * w_bar * f1 * y))
    return total / D.shape[0]


def test_modeling_advantage_bound_matches_the_formula() -> None:
    rng = np.random.default_rng(0)
    D = rng.choice([-1, 0, 1], size=(200, 6), p=[0.2, 0.5, 0.3])
    expected = _bound_by_enumeration(D, 0.6, 0.9)
    assert modeling_advantage_bound(D, accuracy_range=(0.6, 0.9)) == pytest.approx(expected, rel=1e-12)
    assert expected > 0


def test_modeling_advantage_bound_is_zero_without_overlaps() -> None:
    D = np.zeros((50, 4), dtype=int)
    D[np.arange(50), np.arange(50) % 4] = 1
    assert modeling_advantage_bound(D) == 0.0


def test_label_density_and_vote_counts() -> None:
    D = np.array([[1, -1, 0], [0, 0, 0], [1, 1, 1]])
    assert label_density(D) == pytest.approx(5 / 3)
    np.testing.assert_array_equal(vote_counts(D), [[1, 1], [0, 0], [0, 3]])
    np.testing.assert_array_equal(vote_counts(np.array([[3, 1, 3]])), [[1, 0, 2]])


def test_optimize_chooses_majority_vote_on_a_sparse_matrix() -> None:
    L, _ = make_independent(5000, [0.6, 0.7, 0.8, 0.9, 0.75] * 2, [0.01] * 10, seed=1)
    result = optimize(L, gamma=0.01)
    assert result.strategy == "majority_vote"
    assert result.label_density == pytest.approx(label_density(L))
    assert result.label_density < 0.2
    assert result.advantage < 0.01
    assert result.deps is None and result.threshold is None


def test_optimize_chooses_the_generative_model_with_dependencies_on_a_medium_density_matrix() -> None:
    L, _, truth = make_planted_dependencies(4000, 12, n_groups=2, group_size=3, seed=2, coverage=(0.2, 0.4))
    selector = DependencySelector(seed=0)
    result = optimize(L, gamma=0.01, selector=selector)
    assert result.strategy == "generative"
    assert 1.0 < result.label_density < 10.0
    assert result.advantage >= 0.01
    assert result.deps == truth
    assert result.threshold == result.sweep.elbow
    assert selector.select(L, threshold=result.threshold) == set(truth)


def test_optimize_goes_back_to_majority_vote_on_a_very_dense_matrix() -> None:
    L, _ = make_independent(2000, [0.8] * 60, [0.9] * 60, seed=3)
    assert optimize(L).strategy == "majority_vote"


@pytest.mark.parametrize("bad", [(0.4, 0.9), (0.9, 0.6), (0.6, 1.0)])
def test_modeling_advantage_bound_rejects_bad_accuracy_ranges(bad: tuple[float, float]) -> None:
    with pytest.raises(ConfigurationError):
        modeling_advantage_bound(np.array([[1, -1]]), accuracy_range=bad)


def test_optimize_rejects_negative_gamma() -> None:
    with pytest.raises(ConfigurationError):
        optimize(np.array([[1, -1]]), gamma=-0.1)
