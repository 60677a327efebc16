"""Tests of GridSearch and RandomSearch (with the sparse logistic regression)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.stats

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.learning.discriminative.logistic import SparseLogisticRegression
from snorkel_ie.learning.tuning import GridSearch, RandomSearch


def _task(n: int, seed: int):
    """Features 0/1 reveal the class; 2..39 are noise. Returns X, marginals, gold."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    rows, cols = [], []
    for i in range(n):
        feats = {int(y[i])} | set(rng.integers(2, 40, 3).tolist())
        rows += [i] * len(feats)
        cols += sorted(feats)
    X = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, 40))
    gold = np.where(y == 1, 1, -1)
    return X, np.where(gold == 1, 0.8, 0.3), gold


@pytest.fixture(scope="module")
def data():
    X, marg, _ = _task(300, 0)
    Xd, _, gold_d = _task(150, 1)
    return X, marg, Xd, gold_d


FIXED = {"n_epochs": 5, "batch_size": 64, "verbose": False}


def test_grid_search_picks_config_with_best_dev_f1(data):
    X, marg, Xd, gold_d = data
    # A huge L1 penalty pins the weights near zero: those configurations cannot separate.
    grid = {"lr": [0.05, 0.001], "l1_penalty": [0.0, 5.0]}
    search = GridSearch(SparseLogisticRegression, grid, X, marg, model_class_params={"seed": 2}, model_hyperparams=FIXED)
    best, stats = search.fit(Xd, gold_d, verbose=False)
    assert list(stats.columns) == ["lr", "l1_penalty", "Prec.", "Rec.", "F-1"]
    assert len(stats) == 4
    assert stats["F-1"].is_monotonic_decreasing
    assert stats.loc[0, "lr"] == 0.05 and stats.loc[0, "l1_penalty"] == 0.0
    assert best.score(Xd, gold_d, display=False)[2] == pytest.approx(stats.loc[0, "F-1"])
    assert stats.loc[0, "F-1"] > stats.loc[3, "F-1"]


def test_grid_search_saves_each_model(data, tmp_path):
    X, marg, Xd, gold_d = data
    search = GridSearch(
        SparseLogisticRegression, {"lr": [0.01, 0.02]}, X, marg, model_hyperparams=FIXED, save_dir=tmp_path
    )
    search.fit(Xd, gold_d, verbose=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config_0", "config_1"]


def test_random_search_same_seed_same_configs_within_ranges(data):
    X, marg, Xd, gold_d = data
    ranges = {"lr": [0.001, 0.01, 0.05], "l2_penalty": scipy.stats.uniform(0, 0.01)}
    a = RandomSearch(SparseLogisticRegression, ranges, X, marg, n=3, seed=4, model_hyperparams=FIXED)
    b = RandomSearch(SparseLogisticRegression, ranges, X, marg, n=3, seed=4, model_hyperparams=FIXED)
    assert a.search_space() == b.search_space()
    _, stats = a.fit(Xd, gold_d, verbose=False)
    assert len(stats) == 3
    assert set(stats["lr"]) <= {0.001, 0.01, 0.05}
    assert stats["l2_penalty"].between(0, 0.01).all()


def test_random_search_discrete_skips_duplicates():
    search = RandomSearch(SparseLogisticRegression, {"lr": [0.1, 0.2]}, None, None, n=10)
    assert sorted(c["lr"] for c in search.search_space()) == [0.1, 0.2]


class ThresholdVote:
    """A label-matrix model trained without Y (as the generative model is): votes with a tie-break."""

    def __init__(self, *, cardinality: int = 2):
        self.cardinality = cardinality

    def train(self, L, *, tie: int = -1):
        self.tie = tie

    def score(self, L, Y, *, display: bool = True):
        from snorkel_ie.learning.utils import binary_prf

        s = np.asarray(L.sum(axis=1)).ravel()
        return binary_prf(np.where(s > 0, 1, np.where(s < 0, -1, self.tie)), Y)


def test_search_without_training_labels_trains_on_x_only():
    L = sp.csr_matrix(np.array([[1, 0], [0, 0], [-1, 0], [0, 0]]))
    gold = np.array([1, 1, -1, 1])
    best, stats = GridSearch(ThresholdVote, {"tie": [-1, 1]}, L).fit(L, gold, verbose=False)
    assert best.tie == 1
    assert stats.loc[0, "F-1"] == pytest.approx(1.0)


def test_search_rejects_parameter_both_searched_and_fixed():
    with pytest.raises(ConfigurationError, match="both searched and fixed"):
        GridSearch(SparseLogisticRegression, {"lr": [0.1]}, None, model_hyperparams={"lr": 0.2})



@pytest.mark.slow
def test_grid_search_over_generative_model_trained_without_y():
    from snorkel_ie.learning.generative.model import GenerativeModel
    from snorkel_ie.learning.generative.synthetic import make_independent

    acc = [0.9, 0.8, 0.75, 0.7, 0.85]
    L, _ = make_independent(600, acc, 0.6, seed=0)
    L_dev, y_dev = make_independent(300, acc, 0.6, seed=1)
    grid = {"epochs": [50], "step_size": [1e-6, 1e-3]}
    best, stats = GridSearch(GenerativeModel, grid, L, model_class_params={"seed": 3}).fit(L_dev, y_dev, verbose=False)
    assert len(stats) == 2 and stats["F-1"].is_monotonic_decreasing
    assert best.score(L_dev, y_dev, display=False)[2] == pytest.approx(stats.loc[0, "F-1"])
    assert stats.loc[0, "F-1"] > 0.7
