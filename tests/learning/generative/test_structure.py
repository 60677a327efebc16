"""DependencySelector: recovery of known structure, the sweep and its elbow, input checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from snorkel_ie.errors import ConfigurationError, ModelError
from snorkel_ie.learning.generative.dependencies import DEP_FIXING, DEP_REINFORCING, DEP_SIMILAR
from snorkel_ie.learning.generative.structure import DependencySelector, elbow_threshold, recode_label_matrix
from snorkel_ie.learning.generative.synthetic import make_example_3_1, make_independent, make_planted_dependencies


def _precision_recall(found: set, truth: set) -> tuple[float, float]:
    hits = len(found & truth)
    return hits / max(1, len(found)), hits / len(truth)


@pytest.mark.parametrize(("n_copies", "n_good"), [(5, 5), (6, 4)])
def test_select_example_3_1_finds_exactly_the_copies(n_copies: int, n_good: int) -> None:
    L, _, truth = make_example_3_1(4000, n_copies=n_copies, n_good=n_good, seed=1)
    assert DependencySelector(seed=0).select(L) == truth


def test_select_independent_lfs_finds_nothing() -> None:
    L, _ = make_independent(4000, [0.6, 0.7, 0.8, 0.9] * 3, [0.1, 0.3, 0.5] * 4, seed=2)
    assert DependencySelector(seed=0).select(L) == set()


@pytest.mark.slow
@pytest.mark.parametrize("cardinality", [2, 4])
def test_select_planted_groups_recovered_at_elbow(cardinality: int) -> None:
    L, _, truth = make_planted_dependencies(6000, 40, n_groups=5, group_size=3, seed=3, cardinality=cardinality)
    selector = DependencySelector(seed=0)
    sweep = selector.sweep(L)
    precision, recall = _precision_recall(selector.select(L, threshold=sweep.elbow), truth)
    assert precision >= 0.9
    assert recall >= 0.9


def test_select_returns_ordered_similar_pairs_and_accepts_dense_input() -> None:
    L, _, truth = make_example_3_1(3000, n_copies=3, n_good=4, seed=4)
    deps = DependencySelector(seed=0).select(L.toarray())
    assert deps == truth
    assert all(j < k and t == DEP_SIMILAR for j, k, t in deps)


def test_select_is_reproducible_for_a_seed() -> None:
    L, _, _ = make_planted_dependencies(2000, 12, n_groups=2, group_size=3, seed=5)
    a = DependencySelector(seed=7).fit(L).weights_
    b = DependencySelector(seed=7).fit(L).weights_
    c = DependencySelector(seed=8).fit(L).weights_
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_select_higher_order_finds_a_fixing_lf() -> None:
    # LF 0 votes +1 too often; LF 1 votes -1 exactly where LF 0 is wrong and is then right.
    rng = np.random.default_rng(6)
    L, y = make_independent(6000, [0.85, 0.85, 0.8, 0.8], [0.6, 0.0, 0.5, 0.5], seed=6)
    D = L.toarray()
    wrong0 = (D[:, 0] == 1) & (y == -1)
    D[:, 1] = np.where(wrong0 & (rng.random(y.size) < 0.9), -1, 0)
    deps = DependencySelector(seed=0).select(D, higher_order=True, threshold=0.2)
    assert (1, 0, DEP_FIXING) in deps
    assert not any(t == DEP_REINFORCING for *_, t in deps if 2 in _ or 3 in _)


def test_select_propensity_reports_correlated_coverage() -> None:
    # LFs 0 and 1 label exactly the same candidates but vote independently given Y.
    L, y = make_independent(6000, [0.8] * 6, [0.4] * 6, seed=10)
    D = L.toarray()
    rng = np.random.default_rng(10)
    same = D[:, 0] != 0
    right = rng.random(y.size) < 0.8
    D[:, 1] = np.where(same, np.where(right, y, -y), 0)
    selector = DependencySelector(seed=0)
    assert selector.select(D) == set()
    assert selector.select(D, propensity=True, threshold=0.2) == {(0, 1, DEP_SIMILAR)}


def test_sweep_fits_once_and_matches_select() -> None:
    L, _, _ = make_planted_dependencies(3000, 15, n_groups=2, group_size=3, seed=8)
    selector = DependencySelector(seed=0)
    sweep = selector.sweep(L, [0.5, 0.01, 0.1])
    weights = selector.weights_
    assert list(sweep.thresholds) == [0.01, 0.1, 0.5]
    for t, count in sweep.pairs():
        assert len(selector.select(L, threshold=t)) == count
    assert selector.weights_ is weights  # no refit for the same matrix and options
    assert list(sweep.counts) == sorted(sweep.counts, reverse=True)


def test_elbow_picks_the_knee_of_a_known_curve() -> None:
    thresholds = [0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.14]
    counts = [400, 150, 30, 12, 11, 10, 0]
    assert elbow_threshold(thresholds, counts) == 0.08


def test_elbow_stops_early_once_counts_are_small() -> None:
    # Without stopping at count 0, the final drop 10 -> 0 would be the sharpest bend on a
    # log scale (0.10 would win); stopping there leaves the knee at 0.06.
    assert elbow_threshold([0.02, 0.04, 0.06, 0.08, 0.10, 0.12], [90, 40, 10, 10, 0, 0], min_count=1) == 0.06
    assert elbow_threshold([0.02, 0.04, 0.06, 0.08, 0.10, 0.12], [90, 40, 10, 10, 0, 0], min_count=0) == 0.1
    assert elbow_threshold([0.1, 0.2, 0.3], [5, 0, 0]) == 0.1
    assert elbow_threshold([0.1, 0.2], [0, 0]) is None


def test_elbow_on_planted_matrix_lands_on_the_true_count() -> None:
    L, _, truth = make_planted_dependencies(5000, 30, n_groups=4, group_size=3, seed=9)
    selector = DependencySelector(seed=0)
    sweep = selector.sweep(L)
    count_at_elbow = dict(sweep.pairs())[sweep.elbow]
    assert count_at_elbow == len(truth)


@pytest.mark.parametrize(
    ("matrix", "error"),
    [
        (np.zeros((0, 3)), ModelError),
        (np.array([[1, -1], [2, 0]]), ModelError),
        (np.array([[1.5, 1.0]]), ModelError),
        (np.array([[np.nan, 1.0]]), ModelError),
    ],
)
def test_select_rejects_bad_matrices(matrix: np.ndarray, error: type) -> None:
    with pytest.raises(error):
        DependencySelector().select(matrix)


def test_select_rejects_higher_order_on_categorical() -> None:
    L, _ = make_independent(100, [0.8, 0.8], [0.5, 0.5], seed=0, cardinality=3)
    with pytest.raises(ConfigurationError, match="binary"):
        DependencySelector().select(L, higher_order=True)


def test_recode_label_matrix_maps_votes() -> None:
    R, K = recode_label_matrix(sp.csr_matrix(np.array([[-1, 0, 1], [0, 1, 1]])))
    assert K == 2
    np.testing.assert_array_equal(R.toarray(), [[1, 0, 2], [0, 2, 2]])
    R, K = recode_label_matrix(np.array([[3, 0, 1]]))
    assert K == 3
    np.testing.assert_array_equal(R.toarray(), [[3, 0, 1]])


@pytest.mark.slow
@pytest.mark.parametrize(("n_copies", "n_good"), [(5, 5), (6, 4)])
def test_example_3_1_structure_learning_rescues_the_generative_model(n_copies: int, n_good: int) -> None:
    from snorkel_ie.learning.generative.model import GenerativeModel

    L, y, truth = make_example_3_1(10_000, n_copies=n_copies, n_good=n_good, seed=0)
    deps = DependencySelector(seed=0).select(L)

    def accuracy(model_deps) -> float:
        model = GenerativeModel(seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.train(L, deps=sorted(model_deps))
        return float(np.mean(model.predictions(L) == y))

    independent, learned, true_structure = accuracy(()), accuracy(deps), accuracy(truth)
    votes = L.toarray().sum(axis=1)
    majority = float(np.mean(np.sign(votes) == y))
    assert abs(learned - true_structure) <= 0.01
    # Without deps the model fits exact copies as one LF (and warns), so it is not worse either.
    assert learned >= independent - 0.01
    assert learned >= majority + 0.1
    assert independent >= majority + 0.1
