"""Tests of the sparse logistic regression and its noise-aware loss."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from snorkel_ie.errors import ConfigurationError, ModelError
from snorkel_ie.learning.discriminative.logistic import SparseLogisticRegression, cross_entropy


def test_cross_entropy_binary_matches_hand_computation():
    z = np.array([[2.0], [-1.0], [0.0]])
    p = np.array([0.9, 0.3, 0.5])
    s = 1 / (1 + np.exp(-z[:, 0]))
    hand = -(p * np.log(s) + (1 - p) * np.log(1 - s))
    assert cross_entropy(z, np.column_stack([1 - p, p])) == pytest.approx(hand.mean())
    w = np.array([1.0, 0.5, 0.0])
    assert cross_entropy(z, np.column_stack([1 - p, p]), w) == pytest.approx((hand * w).sum() / w.sum())


def test_cross_entropy_categorical_matches_hand_computation():
    z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    q = np.array([[0.2, 0.7, 0.1], [0.1, 0.1, 0.8]])
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert cross_entropy(z, q) == pytest.approx(-(q * np.log(probs)).sum(axis=1).mean())


def test_cross_entropy_is_stable_for_large_logits():
    assert np.isfinite(cross_entropy(np.array([[800.0], [-800.0]]), np.array([[0.5, 0.5], [0.5, 0.5]])))


def _separable(n: int, seed: int, d: int = 60, k: int = 2):
    """Sparse bag of features where features 0..k-1 reveal the class."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    rows, cols = [], []
    for i in range(n):
        feats = {int(y[i])} | set(rng.integers(k, d, 4).tolist())
        rows += [i] * len(feats)
        cols += sorted(feats)
    X = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, d))
    return X, y


def _binary_task(seed: int):
    X, y = _separable(400, seed)
    gold = np.where(y == 1, 1, -1)
    marg = np.where(gold == 1, 0.8, 0.25)
    return X, marg, gold


def test_sparse_lr_learns_separable_task():
    X, marg, _ = _binary_task(0)
    Xd, _, gold_d = _binary_task(1)
    model = SparseLogisticRegression(seed=3).train(X, marg, Xd, gold_d, n_epochs=15, lr=0.05, verbose=False)
    assert model.score(Xd, gold_d, display=False)[2] > 0.97
    assert model.history[-1]["loss"] < model.history[0]["loss"]


def test_sparse_lr_categorical_learns_separable_task():
    X, y = _separable(400, 0, k=3)
    soft = np.full((400, 3), 0.1)
    soft[np.arange(400), y] = 0.8
    model = SparseLogisticRegression(seed=3, cardinality=3).train(X, soft, n_epochs=15, lr=0.05, verbose=False)
    Xd, yd = _separable(200, 1, k=3)
    assert model.marginals(Xd).shape == (200, 3)
    assert model.score(Xd, yd + 1, display=False)[2] > 0.97


def test_sparse_lr_same_seed_same_model():
    X, marg, _ = _binary_task(0)
    a = SparseLogisticRegression(seed=5).train(X, marg, n_epochs=3, verbose=False)
    b = SparseLogisticRegression(seed=5).train(X, marg, n_epochs=3, verbose=False)
    np.testing.assert_array_equal(a.marginals(X), b.marginals(X))


def test_sparse_lr_l1_penalty_shrinks_noise_weights():
    X, marg, _ = _binary_task(0)
    plain = SparseLogisticRegression(seed=5).train(X, marg, n_epochs=10, lr=0.05, verbose=False)
    sparse = SparseLogisticRegression(seed=5).train(X, marg, n_epochs=10, lr=0.05, l1_penalty=0.01, verbose=False)
    assert np.abs(sparse.W[2:]).mean() < 0.5 * np.abs(plain.W[2:]).mean()


def test_sparse_lr_save_load_gives_identical_predictions(tmp_path):
    X, marg, _ = _binary_task(0)
    model = SparseLogisticRegression(seed=5).train(X, marg, n_epochs=3, verbose=False)
    model.save(tmp_path / "lr")
    loaded = SparseLogisticRegression().load(tmp_path / "lr")
    np.testing.assert_array_equal(loaded.marginals(X), model.marginals(X))


def _rows(spec: list[tuple[list[int], float, int]]) -> tuple[sp.csr_matrix, np.ndarray]:
    """``count`` rows with exactly ``features`` for each ``(features, label, count)``; the labels."""
    rows, cols, labels = [], [], []
    for features, label, count in spec:
        for _ in range(count):
            rows += [len(labels)] * len(features)
            cols += features
            labels.append(label)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(labels), 4)), np.array(labels)


def _dev_f1_peaks_early():
    """A task whose dev F1 is perfect after the first epochs and 2/3 at the end of training.

    Training: {A1, A2} with P(y=1) = 0.9, many {C} with 0.02, and {B, C} with 0.8. Early
    on, Adam moves every weight by about ``lr`` a step, and C's weight and the bias go
    down (pushed by the many {C} rows) while B's goes up, so {B, C} scores negative. At
    convergence w_B + w_C + bias = logit(0.8) > 0, so {B, C} scores positive. Dev gold
    says {A1, A2} is positive and {B, C} negative.
    """
    a1, a2, b, c = range(4)
    X, marg = _rows([([a1, a2], 0.9, 100), ([c], 0.02, 300), ([b, c], 0.8, 100)])
    X_dev, gold_dev = _rows([([a1, a2], 1, 50), ([b, c], -1, 50)])
    return X, marg, X_dev, gold_dev.astype(np.int64)


def test_sparse_lr_dev_checkpoint_keeps_best_epoch():
    X, marg, X_dev, gold_dev = _dev_f1_peaks_early()
    settings = {"n_epochs": 15, "lr": 0.1, "verbose": False}
    kept = SparseLogisticRegression(seed=5).train(X, marg, X_dev, gold_dev, **settings)
    last = SparseLogisticRegression(seed=5).train(X, marg, X_dev, gold_dev, dev_ckpt=False, **settings)
    f1 = [r["dev_f1"] for r in kept.history]
    best_epoch = 1 + int(np.argmax(f1))
    assert f1 == [r["dev_f1"] for r in last.history]
    # All dev rows right: F1 1. All predicted positive: TP 50, FP 50, FN 0, so P 1/2, R 1, F1 2/3.
    assert f1[0] == 1.0 and best_epoch == 1
    assert (last.history[-1]["dev_p"], last.history[-1]["dev_r"], f1[-1]) == pytest.approx((0.5, 1.0, 2 / 3))
    assert kept.score(X_dev, gold_dev, display=False) == pytest.approx((1.0, 1.0, 1.0))
    assert last.score(X_dev, gold_dev, display=False) == pytest.approx((0.5, 1.0, 2 / 3))
    # The kept weights are those after the best epoch: the same seed gives the same first epochs.
    upto_best = SparseLogisticRegression(seed=5).train(X, marg, **{**settings, "n_epochs": best_epoch})
    np.testing.assert_array_equal(kept.W, upto_best.W)
    np.testing.assert_array_equal(kept.bias, upto_best.bias)
    assert not np.allclose(kept.W, last.W)


def test_sparse_lr_rejects_mismatched_rows_and_bad_settings(tmp_path):
    X, marg, _ = _binary_task(0)
    with pytest.raises(ModelError, match="feature rows"):
        SparseLogisticRegression().train(X, marg[:-1], verbose=False)
    with pytest.raises(ConfigurationError):
        SparseLogisticRegression().train(X, marg, lr=-1, verbose=False)
    with pytest.raises(ConfigurationError, match="does not hold"):
        SparseLogisticRegression().load(tmp_path / "nothing")


def _groups_joining_negatives_to_positives(gold: np.ndarray, n_joined: int) -> list[int]:
    """One group per candidate, except that the first ``n_joined`` negatives join a positive's group."""
    groups = list(range(len(gold)))
    for neg, pos in zip(np.flatnonzero(gold == -1)[:n_joined], np.flatnonzero(gold == 1), strict=False):
        groups[neg] = groups[pos]
    return groups


def test_sparse_lr_scores_dev_pooled_over_dev_groups():
    X, marg, _ = _binary_task(0)
    Xd, _, gold_d = _binary_task(1)
    groups = _groups_joining_negatives_to_positives(gold_d, 20)
    model = SparseLogisticRegression(seed=5).train(
        X, marg, Xd, gold_d, dev_groups=groups, dev_ckpt=False, n_epochs=6, lr=0.05, verbose=False
    )
    last = model.history[-1]
    pooled = model.score(Xd, gold_d, groups=groups, display=False)
    assert (last["dev_p"], last["dev_r"], last["dev_f1"]) == pytest.approx(pooled)
    assert pooled[0] < model.score(Xd, gold_d, display=False)[0]  # the joined negatives became false positives
