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


def test_sparse_lr_dev_checkpoint_keeps_best_epoch():
    X, marg, _ = _binary_task(0)
    Xd, _, gold_d = _binary_task(1)
    model = SparseLogisticRegression(seed=5).train(X, marg, Xd, gold_d, n_epochs=6, lr=0.05, verbose=False)
    best = max(r["dev_f1"] for r in model.history)
    assert model.score(Xd, gold_d, display=False)[2] == pytest.approx(best)


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
