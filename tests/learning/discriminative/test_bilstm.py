"""Tests of the TensorFlow BiLSTM (tiny vocabularies and dimensions, few epochs)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from snorkel_ie.errors import ConfigurationError, ModelError, NotFittedError, ParseError
from snorkel_ie.learning.discriminative.bilstm import BiLSTM, load_word_vectors, noise_aware_loss, reRNN
from snorkel_ie.learning.discriminative.inputs import Vocabulary, mark_sequence

from .conftest import relation_task

TRAIN = {"n_epochs": 4, "lr": 0.02, "dim": 8, "batch_size": 32, "dropout": 0.1, "verbose": False}


@pytest.fixture(scope="module")
def trained(relation_data):
    X, marg, X_dev, y_dev = relation_data
    return BiLSTM(seed=7).train(X, marg, X_dev, y_dev, **TRAIN)


@pytest.mark.slow  # imports TensorFlow
def test_noise_aware_loss_binary_matches_hand_cross_entropy():
    z = np.array([[1.5], [-0.5], [0.0]])
    p = np.array([0.8, 0.4, 0.5])
    s = 1 / (1 + np.exp(-z[:, 0]))
    ce = -(p * np.log(s) + (1 - p) * np.log(1 - s))
    soft = np.column_stack([1 - p, p])
    assert float(noise_aware_loss(z, soft)) == pytest.approx(ce.mean(), rel=1e-5)
    w = np.array([1.0, 0.0, 0.5])
    assert float(noise_aware_loss(z, soft, w)) == pytest.approx((w * ce).sum() / w.sum(), rel=1e-5)


@pytest.mark.slow
def test_noise_aware_loss_categorical_matches_hand_cross_entropy():
    z = np.array([[0.3, 1.2, -0.7], [2.0, 0.1, 0.0]])
    q = np.array([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]])
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    assert float(noise_aware_loss(z, q)) == pytest.approx(-(q * logp).sum(axis=1).mean(), rel=1e-5)


def test_importing_the_package_does_not_import_tensorflow():
    code = "import sys, snorkel_ie, snorkel_ie.learning.discriminative; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_rernn_is_the_bilstm_under_its_07_name():
    assert issubclass(reRNN, BiLSTM) and reRNN().name == "reRNN"


@pytest.mark.slow
def test_bilstm_learns_separable_relation_task(trained, relation_data):
    _, _, X_dev, y_dev = relation_data
    assert trained.score(X_dev, y_dev, display=False)[2] > 0.95
    assert [r["epoch"] for r in trained.history] == [1, 2, 3, 4]
    assert trained.history[-1]["loss"] < trained.history[0]["loss"]


def _rows(spec: list[tuple[list[str], float, int]]) -> tuple[list[list[str]], np.ndarray]:
    """``count`` copies of "the <words> end", arguments "the" and "end", for each ``(words, label, count)``."""
    X, labels = [], []
    for words, label, count in spec:
        for _ in range(count):
            X.append(mark_sequence(["the", *words, "end"], (0, 0), (len(words) + 1, len(words) + 1)))
            labels.append(label)
    return X, np.array(labels)


@pytest.mark.slow
def test_bilstm_keeps_best_dev_weights():
    # Training says "married" is positive, "met" (many rows) negative and "wed met" (few rows)
    # positive; dev gold says "wed met" is negative. The model first generalises from the
    # many "met" rows (dev F1 1), then fits the few "wed met" ones (all dev positive: F1 2/3).
    X, marg = _rows([(["married"], 0.9, 100), (["met"], 0.02, 180), (["wed", "met"], 0.9, 20)])
    X_dev, gold_dev = _rows([(["married"], 1, 20), (["wed", "met"], -1, 20)])
    settings = {**TRAIN, "n_epochs": 5, "dim": 4, "dropout": 0.0}
    kept = BiLSTM(seed=7).train(X, marg, X_dev, gold_dev, **settings)
    last = BiLSTM(seed=7).train(X, marg, X_dev, gold_dev, dev_ckpt=False, **settings)
    f1 = [r["dev_f1"] for r in kept.history]
    best_epoch = 1 + int(np.argmax(f1))
    assert f1 == pytest.approx([r["dev_f1"] for r in last.history])
    assert max(f1) == 1.0 and best_epoch < len(f1), f1
    # The last epoch calls all 40 dev candidates positive: TP 20, FP 20, FN 0.
    assert (last.history[-1]["dev_p"], last.history[-1]["dev_r"], f1[-1]) == pytest.approx((0.5, 1.0, 2 / 3))
    assert kept.score(X_dev, gold_dev, display=False) == pytest.approx((1.0, 1.0, 1.0))
    assert last.score(X_dev, gold_dev, display=False) == pytest.approx((0.5, 1.0, 2 / 3))
    upto_best = BiLSTM(seed=7).train(X, marg, **{**settings, "n_epochs": best_epoch})
    np.testing.assert_allclose(kept.marginals(X_dev), upto_best.marginals(X_dev), atol=1e-6)


@pytest.mark.slow
def test_bilstm_predictions_and_unknown_words(trained):
    X, _ = relation_task(20, seed=9)
    X[0] = ["~~[[1", "zzz", "1]]~~", "married", "~~[[2", "qqq", "2]]~~"]
    m = trained.marginals(X)
    assert m.shape == (20,) and np.all((m >= 0) & (m <= 1))
    np.testing.assert_array_equal(trained.predictions(X), np.where(m > 0.5, 1, -1))


@pytest.mark.slow
def test_bilstm_save_load_gives_identical_predictions(trained, relation_data, tmp_path):
    _, _, X_dev, _ = relation_data
    trained.save(tmp_path / "m")
    loaded = BiLSTM().load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.marginals(X_dev), trained.marginals(X_dev))
    assert loaded.settings == trained.settings


@pytest.mark.slow
def test_bilstm_same_seed_same_f1_and_marginals(relation_data):
    X, marg, X_dev, y_dev = relation_data
    X, marg, X_dev, y_dev = X[:120], marg[:120], X_dev[:60], y_dev[:60]
    settings = {**TRAIN, "n_epochs": 2}
    a = BiLSTM(seed=11).train(X, marg, X_dev, y_dev, **settings)
    b = BiLSTM(seed=11).train(X, marg, X_dev, y_dev, **settings)
    assert [r["dev_f1"] for r in a.history] == pytest.approx([r["dev_f1"] for r in b.history], abs=1e-4)
    np.testing.assert_allclose(a.marginals(X_dev), b.marginals(X_dev), atol=1e-6)


@pytest.mark.slow
def test_bilstm_attention_categorical_with_unbucketed_batches():
    X, y = relation_task(150, seed=4)
    soft = np.where((y == 1)[:, None], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1])
    model = BiLSTM(seed=3, cardinality=3).train(X, soft, **{**TRAIN, "attention": True}, bucket=False)
    m = model.marginals(X[:10])
    assert m.shape == (10, 3)
    np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-6)
    assert model.score(X, np.where(y == 1, 2, 1), display=False)[2] > 0.9


@pytest.mark.slow
def test_bilstm_uses_word_vectors_file(tmp_path):
    file_vectors = {"married": [1, 2, 3, 4], "met": [-1, -2, -3, -4], "spouse": [0.5, 0.25, -0.5, 2]}
    path = tmp_path / "vec.txt"
    lines = ["4 4", *(" ".join([w, *map(str, v)]) for w, v in file_vectors.items()), "nope 0 0 0 0"]
    path.write_text("\n".join(lines) + "\n")
    X, y = relation_task(60, seed=4)
    vocab = Vocabulary.build(X)
    vocab.add("spouse")  # in the file and the vocabulary, never in a training sentence
    vocab.add("bride")  # in neither the file nor a training sentence
    lr, steps = 1e-4, 2  # one epoch of 60 candidates in batches of 32
    settings = {**TRAIN, "n_epochs": 1, "lr": lr}
    model = BiLSTM(seed=3).train(X, np.where(y == 1, 0.9, 0.1), word_dict=vocab, embeddings_path=path, **settings)
    assert model.settings["embedding_dim"] == 4
    emb = model._net.get_weights()[0]
    assert emb.shape == (len(vocab), 4)
    # A word without a gradient keeps the file's vector; one that was trained moved by at
    # most a few times lr per Adam step; a word not in the file starts in [-0.1, 0.1].
    np.testing.assert_array_equal(emb[vocab.lookup("spouse")], file_vectors["spouse"])
    for word in ("married", "met"):
        np.testing.assert_allclose(emb[vocab.lookup(word)], file_vectors[word], rtol=0, atol=4 * lr * steps)
    assert np.abs(emb[vocab.lookup("bride")]).max() <= 0.1
    assert np.abs(emb[vocab.lookup("w0")]).max() <= 0.1 + 4 * lr * steps


def test_load_word_vectors_matches_vocabulary_and_reports_bad_lines(tmp_path):
    vocab = Vocabulary(["married", "met"])
    good = tmp_path / "g.txt"
    good.write_text("Married 1 2\nother 5 5\n")
    vectors, found = load_word_vectors(good, vocab)
    np.testing.assert_array_equal(vectors[vocab.lookup("married")], [1, 2])
    assert found.tolist() == [False, False, True, False]
    bad = tmp_path / "b.txt"
    bad.write_text("married 1 2\nmet 1\n")
    with pytest.raises(ParseError, match=r"b.txt:2"):
        load_word_vectors(bad, vocab)


def test_bilstm_rejects_bad_input(tmp_path):
    X, _ = relation_task(10, seed=1)
    with pytest.raises(ModelError, match="marginals"):
        BiLSTM().train(X, np.full(9, 0.7), verbose=False)
    with pytest.raises(ConfigurationError):
        BiLSTM().train(X, np.full(10, 0.7), dropout=1.5, verbose=False)
    with pytest.raises(ConfigurationError, match="pooling"):
        BiLSTM().train(X, np.full(10, 0.7), pooling="max", verbose=False)
    with pytest.raises(ConfigurationError):
        BiLSTM(cardinality=1)
    with pytest.raises(NotFittedError):
        BiLSTM().marginals(X)
    with pytest.raises(ConfigurationError, match="does not hold"):
        BiLSTM().load(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(("pooling", "fused"), [("final", True), ("arguments", False)])
def test_bilstm_other_poolings_and_keras_lstm_learn_relation_task(relation_data, pooling, fused, tmp_path):
    X, marg, X_dev, y_dev = relation_data
    model = BiLSTM(seed=5).train(X, marg, X_dev, y_dev, **{**TRAIN, "pooling": pooling, "fused": fused})
    assert model.score(X_dev, y_dev, display=False)[2] > 0.9
    model.save(tmp_path / "m")
    np.testing.assert_array_equal(BiLSTM().load(tmp_path / "m").marginals(X_dev[:20]), model.marginals(X_dev[:20]))


@pytest.mark.slow
def test_bilstm_scores_dev_pooled_over_dev_groups(relation_data):
    X, marg, X_dev, y_dev = relation_data
    groups = list(range(len(y_dev)))
    for neg, pos in zip(np.flatnonzero(y_dev == -1)[:15], np.flatnonzero(y_dev == 1), strict=False):
        groups[neg] = groups[pos]  # these negatives share a positive's group
    model = BiLSTM(seed=7).train(X, marg, X_dev, y_dev, dev_groups=groups, dev_ckpt=False, **TRAIN)
    last = model.history[-1]
    pooled = model.score(X_dev, y_dev, groups=groups, display=False)
    assert (last["dev_p"], last["dev_r"], last["dev_f1"]) == pytest.approx(pooled)
    assert pooled[0] < model.score(X_dev, y_dev, display=False)[0]
