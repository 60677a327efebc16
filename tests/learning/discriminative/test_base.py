"""Tests of label handling, the label balancer and the shared scoring interface."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from snorkel_ie.errors import ModelError, NotFittedError
from snorkel_ie.learning.discriminative.base import (
    NoiseAwareClassifier,
    as_gold,
    balance_training_set,
    pool_marginals,
    soft_labels,
)


class FixedMarginals(NoiseAwareClassifier):
    """A classifier whose marginals are the inputs themselves."""

    name = "fixed"

    def marginals(self, X):
        return np.asarray(X, dtype=float)


def test_soft_labels_binary_vector_becomes_two_columns():
    np.testing.assert_allclose(soft_labels(np.array([0.2, 1.0]), 2), [[0.8, 0.2], [0.0, 1.0]])


@pytest.mark.parametrize(
    ("Y", "k", "match"),
    [
        (np.array([0.2, 0.3]), 3, "1-d marginals"),
        (np.array([[0.5, 0.5]]), 3, "do not match"),
        (np.array([0.2, np.nan]), 2, "finite"),
        (np.array([[0.5, 0.6]]), 2, "sum to 1"),
    ],
)
def test_soft_labels_rejects_bad_marginals(Y, k, match):
    with pytest.raises(ModelError, match=match):
        soft_labels(Y, k)


def test_as_gold_reads_sparse_column():
    np.testing.assert_array_equal(as_gold(sp.csr_matrix(np.array([[1], [0], [-1]]))), [1, 0, -1])


def test_balance_training_set_drops_marginals_at_the_prior():
    soft = soft_labels(np.array([0.5, 0.9, 0.5, 0.1, 0.7]), 2)
    idx, w = balance_training_set(soft, rng=np.random.default_rng(0))
    assert sorted(idx) == [1, 3, 4]
    np.testing.assert_array_equal(w, 1.0)


def test_balance_training_set_downweights_marginals_at_the_prior():
    soft = soft_labels(np.array([0.5, 0.9, 0.1]), 2)
    idx, w = balance_training_set(soft, uninformative_weight=0.2, rng=np.random.default_rng(0))
    assert dict(zip(idx.tolist(), w.tolist(), strict=True)) == pytest.approx({0: 0.2, 1: 1.0, 2: 1.0})


def test_balance_training_set_categorical_prior_is_uniform():
    soft = np.array([[1 / 3, 1 / 3, 1 / 3], [0.8, 0.1, 0.1]], dtype=np.float32)
    idx, _ = balance_training_set(soft, rng=np.random.default_rng(0))
    assert idx.tolist() == [1]


@pytest.mark.parametrize("frac", [True, 0.25])
def test_balance_training_set_rebalances_to_the_positive_fraction(frac):
    p = np.r_[np.full(100, 0.8), np.full(900, 0.2)]
    idx, _ = balance_training_set(soft_labels(p, 2), rebalance=frac, rng=np.random.default_rng(0))
    n_pos = int(np.sum(p[idx] > 0.5))
    want = 0.5 if frac is True else frac
    assert n_pos == 100
    assert n_pos / len(idx) == pytest.approx(want, abs=0.01)


def test_balance_training_set_without_informative_labels_fails():
    with pytest.raises(ModelError, match="no informative"):
        balance_training_set(soft_labels(np.full(3, 0.5), 2), rng=np.random.default_rng(0))


def test_score_and_predictions_follow_threshold():
    model = FixedMarginals()
    X, gold = [0.9, 0.6, 0.4, 0.2, 0.8], np.array([1, -1, 1, -1, 0])
    np.testing.assert_array_equal(model.predictions(X), [1, 1, -1, -1, 1])
    assert model.score(X, gold, display=False) == pytest.approx((0.5, 0.5, 0.5))
    assert model.score(X, gold, b=0.7, display=False) == pytest.approx((1.0, 0.5, 2 / 3))


def test_error_analysis_splits_candidates_and_skips_unknown_gold(capsys):
    model = FixedMarginals()
    X, gold = [0.9, 0.6, 0.4, 0.2, 0.8], np.array([1, -1, 1, -1, 0])
    tp, fp, tn, fn = model.error_analysis(None, X, gold)
    assert (tp, fp, tn, fn) == ({0.9}, {0.6}, {0.2}, {0.4})
    assert "TP: 1 | FP: 1 | TN: 1 | FN: 1" in capsys.readouterr().out


def test_pool_marginals_takes_the_max_of_each_group():
    m = np.array([0.2, 0.9, 0.4, 0.3, 0.1])
    groups = [("d1", "c", "x"), ("d1", "c", "x"), ("d2", "c", "x"), ("d1", "c", "y"), ("d2", "c", "x")]
    np.testing.assert_array_equal(pool_marginals(m, groups), [0.9, 0.9, 0.4, 0.3, 0.4])
    # one group per candidate changes nothing
    np.testing.assert_array_equal(pool_marginals(m, range(5)), m)


@pytest.mark.parametrize(
    ("m", "groups", "match"),
    [(np.full((3, 2), 0.5), [0, 1, 2], "binary marginals"), (np.full(3, 0.5), [0, 1], "3 marginals but 2")],
)
def test_pool_marginals_rejects_bad_input(m, groups, match):
    with pytest.raises(ModelError, match=match):
        pool_marginals(m, groups)


def test_score_predictions_and_error_analysis_pool_over_groups():
    model = FixedMarginals()
    X, gold = [0.9, 0.2, 0.4, 0.3], np.array([1, 1, -1, 1])
    groups = ["a", "a", "b", "c"]
    np.testing.assert_array_equal(model.predictions(X, groups=groups), [1, 1, -1, -1])
    assert model.score(X, gold, display=False) == pytest.approx((1.0, 1 / 3, 0.5))
    assert model.score(X, gold, groups=groups, display=False) == pytest.approx((1.0, 2 / 3, 0.8))
    tp, fp, tn, fn = model.error_analysis(None, X, gold, groups=groups, display=False)
    assert (tp, fp, tn, fn) == ({0.9, 0.2}, set(), {0.4}, {0.3})


def test_unfitted_model_check_raises():
    with pytest.raises(NotFittedError):
        FixedMarginals()._check_fitted()
