"""The end models' config objects, the Keras callbacks driving their epochs, and the class balance."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.learning.discriminative import base
from snorkel_ie.learning.discriminative.config import LogisticConfig, TrainConfig, merge_config
from snorkel_ie.learning.discriminative.logistic import SparseLogisticRegression, cross_entropy
from snorkel_ie.learning.discriminative.train_data import class_balance_weights


def test_merge_config_applies_keywords_over_the_config():
    cfg = merge_config(TrainConfig, TrainConfig(n_epochs=3, dropout=0.5), {"lr": 0.003})
    assert (cfg.n_epochs, cfg.dropout, cfg.lr, cfg.dim) == (3, 0.5, 0.003, 50)
    assert merge_config(TrainConfig, None, {}) == TrainConfig()
    assert LogisticConfig().n_epochs == 20 and TrainConfig().n_epochs == 10


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"n_epoch": 3}, "did you mean n_epochs"),
        ({"l2_penalty": 0.1}, "unknown training setting l2_penalty"),
        ({"dropout": 1.5}, "dropout=1.5"),
        ({"n_epochs": 0, "lr": -1}, r"n_epochs=0.*lr=-1"),
        ({"pooling": "max"}, "pooling='max'"),
        ({"attn_window": 5}, "attn_window=5"),
        ({"dev_ckpt_delay": -0.5}, "dev_ckpt_delay"),
        ({"patience": 0}, "patience=0"),
    ],
)
def test_train_config_rejects_bad_settings_naming_them(settings, message):
    with pytest.raises(ConfigurationError, match=message):
        merge_config(TrainConfig, None, settings)


def test_merge_config_rejects_a_config_of_the_other_model():
    with pytest.raises(ConfigurationError, match="expected a LogisticConfig"):
        merge_config(LogisticConfig, TrainConfig(), {})


@pytest.mark.parametrize(("delay", "n_epochs", "first"), [(None, 10, 0), (0.75, 10, 8), (0.5, 3, 2), (0.0, 4, 1)])
def test_first_checkpoint_epoch_is_07s_rule(delay, n_epochs, first):
    # 0.7 keeps 0-based epoch t when t > dev_ckpt_delay * n_epochs
    cfg = TrainConfig(n_epochs=n_epochs, dev_ckpt_delay=delay)
    assert cfg.first_checkpoint_epoch() == first
    assert first == min(t for t in range(n_epochs) if delay is None or t > delay * n_epochs)


def test_class_balance_weights_give_each_class_equal_total_weight():
    rng = np.random.default_rng(0)
    p = np.where(rng.random(500) < 0.1, rng.uniform(0.7, 1, 500), rng.uniform(0, 0.3, 500))
    soft = np.column_stack([1 - p, p])
    w = class_balance_weights(soft)
    assert (soft * w).sum(axis=0) == pytest.approx([250.0, 250.0])
    np.testing.assert_allclose(class_balance_weights(np.array([[0.0, 1.0], [1.0, 0.0]])), [1.0, 1.0])
    assert class_balance_weights(np.array([[1.0, 0.0], [1.0, 0.0]])).tolist() == [0.5, 0.0]


@pytest.mark.slow  # imports TensorFlow
def test_noise_aware_loss_class_weights_match_hand_cross_entropy():
    from snorkel_ie.learning.discriminative.bilstm import noise_aware_loss
    from snorkel_ie.learning.discriminative.logistic import cross_entropy

    z = np.array([[1.5], [-0.5], [0.0]])
    p = np.array([0.8, 0.4, 0.5])
    s = 1 / (1 + np.exp(-z[:, 0]))
    cw = np.array([0.5, 3.0])
    ce = -(cw[1] * p * np.log(s) + cw[0] * (1 - p) * np.log(1 - s))
    soft = np.column_stack([1 - p, p])
    assert float(noise_aware_loss(z, soft, class_weights=cw)) == pytest.approx(ce.mean(), rel=1e-5)
    assert cross_entropy(z, soft, class_weights=cw) == pytest.approx(ce.mean(), rel=1e-9)
    zk = np.array([[0.3, 1.2, -0.7], [2.0, 0.1, 0.0]])
    q = np.array([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]])
    cwk = np.array([1.0, 2.0, 0.5])
    logp = zk - np.log(np.exp(zk).sum(axis=1, keepdims=True))
    want = -(cwk * q * logp).sum(axis=1).mean()
    assert float(noise_aware_loss(zk, q, class_weights=cwk)) == pytest.approx(want, rel=1e-5)
    assert cross_entropy(zk, q, class_weights=cwk) == pytest.approx(want, rel=1e-9)


def _peaks_early(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, 30, density=0.2, random_state=seed, format="csr")
    w = rng.normal(size=30)
    gold = np.where(X @ w > 0, 1, -1)
    marg = np.where(rng.random(n) < 0.3, 1 - (gold == 1), gold == 1) * 0.8 + 0.1  # 30% flipped
    return X, marg, gold


@pytest.mark.slow  # the callbacks import Keras
def test_patience_stops_and_restores_the_best_epoch():
    X, marg, gold = _peaks_early()
    model = SparseLogisticRegression(seed=2).train(X, marg, X, gold, n_epochs=60, lr=0.2, patience=2, verbose=False)
    f1 = [r["dev_f1"] for r in model.history]
    best = int(np.argmax(f1))
    assert len(f1) < 60 and len(f1) - 1 - best == 2  # stopped two epochs after its last improvement
    assert model.score(X, gold, display=False)[2] == pytest.approx(f1[best])
    cfg = LogisticConfig(n_epochs=60, lr=0.2, patience=2, verbose=False)
    again = SparseLogisticRegression(seed=2).train(X, marg, X, gold, config=cfg)
    np.testing.assert_array_equal(again.W, model.W)
    assert again.config == cfg


def test_learning_floor_does_not_import_storage_or_labeling():
    # save_marginals(session, ...) hands the session to the 0.7 layer (snorkel_ie.save_marginals)
    for module in Path(base.__file__).parent.glob("*.py"):
        tree = ast.parse(module.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        bad = {m for m in names if m.startswith(("snorkel_ie.db", "snorkel_ie.labeling", "sqlalchemy"))}
        assert not bad, f"{module.name} imports {bad}"


def test_logistic_class_balance_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    X = sp.csr_matrix(rng.normal(size=(20, 4)))
    p = rng.uniform(0, 1, 20)
    soft = np.column_stack([1 - p, p])
    cw = np.array([0.4, 2.5])
    model = SparseLogisticRegression(seed=1)
    model.W, model.bias = rng.normal(size=(4, 1)), np.zeros(1)

    class Recorder:
        def step(self, grads):
            self.grads = grads

    rec = Recorder()
    model._step(X, soft, np.ones(20), rec, 0.0, 0.0, cw)
    W0 = model.W.copy()
    num = np.zeros_like(W0)
    for j in range(4):
        for sign in (1, -1):
            model.W = W0.copy()
            model.W[j, 0] += sign * 1e-6
            num[j, 0] += sign * cross_entropy(np.asarray(X @ model.W), soft, None, cw) / 2e-6
    np.testing.assert_allclose(rec.grads[0], num, rtol=1e-4, atol=1e-7)
