"""Noise-aware losses: numpy and TensorFlow agree with each other and with Keras; the sample-weight recipe."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from snorkel_ie.errors import ModelError
from snorkel_ie.learning.losses import (
    expand_for_sample_weights,
    noise_aware_binary_loss,
    noise_aware_categorical_loss,
)

RNG = np.random.default_rng(0)
P = RNG.uniform(size=50)
Q = RNG.uniform(0.01, 0.99, size=50)
PK = RNG.dirichlet(np.ones(4), size=30)
QK = RNG.dirichlet(np.ones(4), size=30)


def test_binary_loss_is_the_expected_cross_entropy() -> None:
    want = -(P * np.log(Q) + (1 - P) * np.log(1 - Q))
    np.testing.assert_allclose(noise_aware_binary_loss(P, Q), want)
    np.testing.assert_allclose(noise_aware_binary_loss(P[:, None], Q[:, None]), want)
    logits = np.log(Q / (1 - Q))
    np.testing.assert_allclose(noise_aware_binary_loss(P, logits, from_logits=True), want, rtol=1e-10)
    # hard marginals: the ordinary log-loss of the true class
    np.testing.assert_allclose(noise_aware_binary_loss([1.0, 0.0], [0.8, 0.8]), [-np.log(0.8), -np.log(0.2)])


def test_binary_loss_is_minimised_by_predicting_the_marginal() -> None:
    grid = np.linspace(0.01, 0.99, 99)
    for p in (0.1, 0.35, 0.8):
        losses = noise_aware_binary_loss(np.full_like(grid, p), grid)
        assert grid[np.argmin(losses)] == pytest.approx(p, abs=0.006)


def test_categorical_loss_matches_its_definition_and_reduces_to_binary() -> None:
    np.testing.assert_allclose(noise_aware_categorical_loss(PK, QK), -(PK * np.log(QK)).sum(axis=1))
    logits = np.log(QK) + 3.0  # softmax is shift-invariant
    np.testing.assert_allclose(noise_aware_categorical_loss(PK, logits, from_logits=True), -(PK * np.log(QK)).sum(1))
    two_p, two_q = np.stack([1 - P, P], 1), np.stack([1 - Q, Q], 1)
    np.testing.assert_allclose(noise_aware_categorical_loss(two_p, two_q), noise_aware_binary_loss(P, Q))
    with pytest.raises(ModelError, match=r"one shape \(n, k\)"):
        noise_aware_categorical_loss(PK, QK[:, :3])


@pytest.mark.slow
def test_losses_on_tensors_match_numpy_and_keras_and_train_a_keras_model() -> None:
    tf = pytest.importorskip("tensorflow")
    binary = noise_aware_binary_loss(tf.constant(P[:, None]), tf.constant(Q[:, None])).numpy()
    np.testing.assert_allclose(binary, noise_aware_binary_loss(P, Q), rtol=1e-5)
    keras_bce = tf.keras.losses.BinaryCrossentropy(reduction=None)(P[:, None], Q[:, None]).numpy()
    np.testing.assert_allclose(binary, keras_bce, rtol=1e-4)
    logits = tf.constant(np.log(Q / (1 - Q))[:, None])
    np.testing.assert_allclose(
        noise_aware_binary_loss(P, Q), noise_aware_binary_loss(P[:, None], logits, from_logits=True).numpy(), rtol=1e-5
    )
    cat = noise_aware_categorical_loss(tf.constant(PK), tf.constant(QK)).numpy()
    np.testing.assert_allclose(cat, noise_aware_categorical_loss(PK, QK), rtol=1e-5)
    keras_cce = tf.keras.losses.CategoricalCrossentropy(reduction=None)(PK, QK).numpy()
    np.testing.assert_allclose(cat, keras_cce, rtol=1e-4)

    # a one-weight logistic model trained by Keras on marginals recovers the marginals' slope
    x = np.linspace(-3, 3, 200)[:, None].astype("float32")
    p = 1 / (1 + np.exp(-2.0 * x))
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((1,)), tf.keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.1), loss=noise_aware_binary_loss)
    model.fit(x, p, epochs=150, batch_size=200, verbose=0)
    assert model.layers[0].get_weights()[0][0, 0] == pytest.approx(2.0, rel=0.1)


def test_importing_the_losses_does_not_import_tensorflow() -> None:
    code = "import sys, snorkel_ie.learning.losses as l; l.noise_aware_binary_loss([0.5], [0.5]); print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("kind", ["dense", "sparse", "frame", "list"])
def test_sample_weight_expansion_repeats_rows_by_class(kind: str) -> None:
    import pandas as pd

    X = np.arange(6.0).reshape(3, 2)
    data = {"dense": X, "sparse": sp.csr_matrix(X), "frame": pd.DataFrame(X), "list": ["a", "b", "c"]}[kind]
    X2, y, w = expand_for_sample_weights(data, np.array([1.0, 0.25, 0.5]))
    assert y.tolist() == [1, 1, 1, 0, 0] and w.tolist() == [1.0, 0.25, 0.5, 0.75, 0.5]
    rows = [0, 1, 2, 1, 2]  # the negative copy of example 0 (weight 0) is dropped
    if kind == "list":
        assert X2 == ["a", "b", "c", "b", "c"]
    else:
        dense = X2.toarray() if kind == "sparse" else np.asarray(X2)
        np.testing.assert_array_equal(dense, X[rows])
    _, yk, wk = expand_for_sample_weights(X, np.array([[0.2, 0.8], [0.5, 0.5], [1.0, 0.0]]), classes=["a", "b"])
    assert yk.tolist() == ["a", "a", "a", "b", "b"] and wk.tolist() == [0.2, 0.5, 1.0, 0.8, 0.5]


def test_weighted_log_loss_on_the_expansion_is_the_noise_aware_loss() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    X = RNG.normal(size=(200, 3))
    marginals = 1 / (1 + np.exp(-(X @ np.array([1.5, -1.0, 0.0]))))
    X2, y, w = expand_for_sample_weights(X, marginals)
    clf = LogisticRegression(C=1e6).fit(X2, y, sample_weight=w)
    q = clf.predict_proba(X)[:, 1]
    expanded = log_loss(y, clf.predict_proba(X2), sample_weight=w, labels=[0, 1])
    assert expanded * w.sum() / len(X) == pytest.approx(noise_aware_binary_loss(marginals, q).mean(), rel=1e-9)
    # the marginals were generated by a logistic model: fitting their expected loss recovers it
    np.testing.assert_allclose(clf.coef_[0], [1.5, -1.0, 0.0], atol=0.05)


def test_sample_weight_expansion_rejects_bad_marginals() -> None:
    X = np.zeros((3, 1))
    with pytest.raises(ModelError, match="3 rows but there are 2"):
        expand_for_sample_weights(X, [0.5, 0.5])
    with pytest.raises(ModelError, match=r"probabilities in \[0, 1\]"):
        expand_for_sample_weights(X, [0.5, np.nan, 1.2])
    with pytest.raises(ModelError, match="3 classes given for 2"):
        expand_for_sample_weights(X, np.full((3, 2), 0.5), classes=[0, 1, 2])
