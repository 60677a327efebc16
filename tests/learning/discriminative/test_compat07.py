"""The end models keep Snorkel 0.7's parameters: every 0.7 call by name (and the leading
positional ones) works, and each parameter does what 0.7 documented
(snorkel/learning/classifier.py, tensorflow/noise_aware_model.py, tensorflow/rnn/rnn_base.py)."""

from __future__ import annotations

import dataclasses
import inspect
import json
import pickle
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.learning.discriminative.base import NoiseAwareClassifier, checkpoint_dir, dev_checkpoint_allowed, fbeta
from snorkel_ie.learning.discriminative.bilstm import BiLSTM, reRNN, resolve_cell_type
from snorkel_ie.learning.discriminative.config import LogisticConfig, TrainConfig
from snorkel_ie.learning.discriminative.logistic import SparseLogisticRegression

from .conftest import relation_task

# Snorkel 0.7's signatures, in their order (self left out).
SCORE_07 = ["X_test", "Y_test", "b", "set_unlabeled_as_neg", "beta", "batch_size"]
ERROR_ANALYSIS_07 = [
    "session",
    "X_test",
    "Y_test",
    "gold_candidate_set",
    "b",
    "set_unlabeled_as_neg",
    "display",
    "scorer",
]
PREDICTIONS_07 = ["X", "b", "batch_size"]
SAVE_07 = ["model_name", "save_dir", "verbose", "global_step"]
LOAD_07 = ["model_name", "save_dir", "verbose"]
TF_INIT_07 = ["n_threads", "seed", "deterministic"]
# TFNoiseAwareModel.train's named parameters and those reRNN's train and _build_model read.
TRAIN_07 = {
    "X_train", "Y_train", "n_epochs", "lr", "batch_size", "rebalance", "X_dev", "Y_dev", "print_freq",
    "dev_ckpt", "dev_ckpt_delay", "save_dir",
}  # fmt: skip
RNN_TRAIN_07 = TRAIN_07 | {"max_sentence_length", "dim", "attn_window", "cell_type", "word_dict", "dropout"}
LR_TRAIN_07 = TRAIN_07 | {"l1_penalty", "l2_penalty"}


def _params(f) -> list[str]:
    return [p for p in inspect.signature(f).parameters if p != "self"]


@pytest.mark.parametrize("cls", [BiLSTM, reRNN, SparseLogisticRegression])
def test_signatures_take_the_07_parameters_in_order(cls):
    assert _params(cls.score)[: len(SCORE_07)] == SCORE_07
    assert _params(cls.error_analysis)[: len(ERROR_ANALYSIS_07)] == ERROR_ANALYSIS_07
    assert _params(cls.predictions)[: len(PREDICTIONS_07)] == PREDICTIONS_07
    assert _params(cls.marginals)[:2] == ["X", "batch_size"]
    assert inspect.signature(cls.marginals).parameters["batch_size"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert _params(cls.save) == SAVE_07
    assert _params(cls.load) == LOAD_07
    assert "deterministic" in _params(cls.__init__)
    wanted = RNN_TRAIN_07 if issubclass(cls, BiLSTM) else LR_TRAIN_07
    # train's own parameters, or fields of its config object taken as keywords (train(**settings))
    config = TrainConfig if issubclass(cls, BiLSTM) else LogisticConfig
    assert wanted <= set(_params(cls.train)) | {f.name for f in dataclasses.fields(config)}
    assert inspect.signature(cls.train).parameters["settings"].kind is inspect.Parameter.VAR_KEYWORD


def test_rnn_constructor_takes_07_positional_order_and_rernn_keeps_its_name():
    assert _params(BiLSTM.__init__)[:3] == TF_INIT_07
    model = reRNN(3, 99, True)
    assert (model.n_threads, model.seed, model.deterministic) == (3, 99, True)
    assert issubclass(reRNN, BiLSTM)
    assert (reRNN().name, BiLSTM().name, SparseLogisticRegression().name) == (
        "reRNN",
        "BiLSTM",
        "SparseLogisticRegression",
    )
    assert reRNN(name="cdr").name == "cdr"


# --------------------------------------------------------------------------- scoring


class Lookup(NoiseAwareClassifier):
    """Marginals looked up by candidate (a string); records the batch sizes it was asked for."""

    def __init__(self, table: dict, cardinality: int = 2):
        self.table, self.cardinality, self.name, self.batch_sizes = table, cardinality, "lookup", []

    def marginals(self, X, batch_size=None):
        self.batch_sizes.append(batch_size)
        return np.array([self.table[c] for c in X], dtype=float)


# Predictions at b=0.5: + + + - - - +; gold with one unknown (0) at "g".
CANDS = list("abcdefg")
MARG = dict(zip(CANDS, [0.9, 0.8, 0.7, 0.3, 0.2, 0.1, 0.6], strict=True))
GOLD = np.array([1, -1, 1, 1, 1, -1, 0])
# Counted by hand. Unknown left out: TP a,c; FP b; FN d,e; TN f.
#   P = 2/3, R = 2/4; F1 = 4/7, F2 = 5 PR / (4P + R) = 10/19, F0.5 = 1.25 PR / (0.25 P + R) = 5/8.
# Unknown as negative: "g" (predicted +) becomes a FP: P = 2/4, R = 2/4, every F-beta = 1/2.
HAND = {
    (False, 1): (Fraction(2, 3), Fraction(1, 2), Fraction(4, 7)),
    (False, 2): (Fraction(2, 3), Fraction(1, 2), Fraction(10, 19)),
    (False, 0.5): (Fraction(2, 3), Fraction(1, 2), Fraction(5, 8)),
    (True, 1): (Fraction(1, 2), Fraction(1, 2), Fraction(1, 2)),
    (True, 2): (Fraction(1, 2), Fraction(1, 2), Fraction(1, 2)),
}


@pytest.mark.parametrize(("unlabeled_as_neg", "beta"), list(HAND))
def test_score_returns_f_beta_with_unlabeled_as_negative_or_left_out(unlabeled_as_neg, beta):
    model = Lookup(MARG)
    got = model.score(CANDS, GOLD, 0.5, unlabeled_as_neg, beta, None, display=False)  # 0.7's positional order
    assert got == pytest.approx(tuple(float(x) for x in HAND[unlabeled_as_neg, beta]))
    assert got == pytest.approx(
        model.score(CANDS, GOLD, set_unlabeled_as_neg=unlabeled_as_neg, beta=beta, display=False)
    )


def test_fbeta_matches_hand_values_and_rejects_negative_beta():
    assert fbeta(2 / 3, 1 / 2, 2) == pytest.approx(10 / 19)
    assert fbeta(0.0, 0.0, 2) == 0.0
    assert fbeta(0.7, 0.0, 0) == 0.0  # F0 is the precision, but 0/0 here
    assert fbeta(0.7, 0.2, 0) == pytest.approx(0.7)
    with pytest.raises(ConfigurationError, match="beta"):
        Lookup(MARG).score(CANDS, GOLD, beta=-1, display=False)


def test_score_and_predictions_pass_batch_size_to_marginals():
    model = Lookup(MARG)
    model.predictions(CANDS, 0.5, 3)
    model.score(CANDS, GOLD, batch_size=2, display=False)
    model.error_analysis(None, CANDS, GOLD, display=False, batch_size=5)
    model.predictions(CANDS)
    assert model.batch_sizes == [3, 2, 5, None]


def test_score_prints_f_beta_line_when_beta_is_not_one(capsys):
    Lookup(MARG).score(CANDS, GOLD, beta=2)
    assert f"F-2: {10 / 19:.4f}" in capsys.readouterr().out


def test_error_analysis_fourth_positional_is_gold_candidate_set(capsys):
    model = Lookup(MARG)
    # Two gold candidates were never extracted, so they are missing from the scored list.
    gold_set = {"a", "c", "d", "e", "never-1", "never-2"}
    tp, fp, tn, fn = model.error_analysis(None, CANDS, GOLD, gold_set, 0.5, True, True)
    assert (tp, fp, tn, fn) == ({"a", "c"}, {"b", "g"}, {"f"}, {"d", "e"})
    out = capsys.readouterr().out
    assert "TP: 2 | FP: 2 | TN: 1 | FN: 2" in out  # un-adjusted
    assert "TP: 2 | FP: 2 | TN: 1 | FN: 4" in out  # recall-adjusted: the two never extracted are missed
    # Unknown gold left out (snorkel-ie's default): "g" is in no set.
    tp, fp, tn, fn = model.error_analysis(None, CANDS, GOLD, display=False)
    assert fp == {"b"} and "g" not in tp | fp | tn | fn


def test_error_analysis_with_a_07_scorer_class_returns_its_result():
    calls = {}

    class RecordingScorer:
        def __init__(self, test_candidates, test_labels, gold_candidate_set=None):
            calls["init"] = (list(test_candidates), list(test_labels), gold_candidate_set)

        def score(self, test_marginals, **kwargs):
            calls["score"] = (list(test_marginals), kwargs)
            return "scored"

    out = Lookup(MARG).error_analysis(None, CANDS, GOLD, {"a"}, 0.7, True, False, RecordingScorer)
    assert out == "scored"
    assert calls["init"] == (CANDS, GOLD.tolist(), {"a"})
    assert calls["score"] == (
        [MARG[c] for c in CANDS],
        {"train_marginals": None, "b": 0.7, "display": False, "set_unlabeled_as_neg": True},
    )


def test_categorical_error_analysis_returns_correct_and_incorrect(capsys):
    table = {"x": [0.7, 0.2, 0.1], "y": [0.1, 0.1, 0.8], "z": [0.2, 0.5, 0.3], "u": [0.3, 0.3, 0.4]}
    model = Lookup(table, cardinality=3)
    correct, incorrect = model.error_analysis(None, list(table), np.array([1, 3, 3, 0]), {"x", "y", "z", "w"})
    assert (correct, incorrect) == ({"x", "y"}, {"z"})
    out = capsys.readouterr().out
    assert "accuracy 0.6667" in out and "coverage 0.7500" in out  # 3 scored of 4 gold candidates


# --------------------------------------------------------------------- logistic regression


def _lr_task(n: int, seed: int):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    rows, cols = [], []
    for i in range(n):
        feats = {int(y[i])} | set(rng.integers(2, 30, 3).tolist())
        rows += [i] * len(feats)
        cols += sorted(feats)
    X = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, 30))
    gold = np.where(y == 1, 1, -1)
    return X, np.where(gold == 1, 0.8, 0.3), gold


def _peaks_early():
    """Dev F1 is 1 in the first epochs and 2/3 at the end (see the helper in test_logistic.py).

    Features A1, A2 (positive), many rows of C alone (negative) and B+C rows with
    P(y=1) = 0.8: B+C first scores negative (C's weight and the bias go down), at
    convergence positive. Dev gold: A1+A2 positive, B+C negative.
    """
    spec = [([0, 1], 0.9, 100), ([3], 0.02, 300), ([2, 3], 0.8, 100)]
    dev = [([0, 1], 1, 50), ([2, 3], -1, 50)]

    def rows(spec):
        r, c, labels = [], [], []
        for feats, label, count in spec:
            for _ in range(count):
                r += [len(labels)] * len(feats)
                c += feats
                labels.append(label)
        return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(labels), 4)), np.array(labels)

    X, marg = rows(spec)
    X_dev, gold = rows(dev)
    return X, marg, X_dev, gold.astype(np.int64)


def _hand_f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = int(np.sum((pred == 1) & (gold == 1)))
    fp = int(np.sum((pred == 1) & (gold == -1)))
    fn = int(np.sum((pred != 1) & (gold == 1)))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def test_dev_checkpoint_allowed_follows_07_rule():
    # 0.7: checkpoint when 0-based epoch t > dev_ckpt_delay * n_epochs; 10 epochs, 0.75 -> t = 8, 9.
    assert [e for e in range(1, 11) if dev_checkpoint_allowed(e, 10, 0.75)] == [9, 10]
    assert [e for e in range(1, 5) if dev_checkpoint_allowed(e, 4, 0.0)] == [2, 3, 4]
    assert [e for e in range(1, 5) if dev_checkpoint_allowed(e, 4, None)] == [1, 2, 3, 4]


@pytest.mark.parametrize("delay", [None, 0.5, 0.75])
def test_sparse_lr_dev_ckpt_delay_keeps_best_allowed_epoch(delay):
    X, marg, X_dev, gold = _peaks_early()
    n_epochs = 12
    settings = {"lr": 0.1, "verbose": False}
    kept = SparseLogisticRegression(seed=5).train(
        X, marg, X_dev, gold, n_epochs=n_epochs, dev_ckpt_delay=delay, **settings
    )
    # Each epoch's model, trained on its own, scored by hand.
    per_epoch = [
        SparseLogisticRegression(seed=5).train(X, marg, n_epochs=e, **settings) for e in range(1, n_epochs + 1)
    ]
    f1 = [_hand_f1(np.where(m.marginals(X_dev) > 0.5, 1, -1), gold) for m in per_epoch]
    allowed = list(range(n_epochs)) if delay is None else [t for t in range(n_epochs) if t > delay * n_epochs]
    best = max(allowed, key=lambda t: (f1[t], -t))  # the first of the best
    assert max(f1) > f1[-1]  # the task does peak early, so the delay matters
    np.testing.assert_array_equal(kept.W, per_epoch[best].W)
    if delay == 0.75:  # only 0-based epochs 10 and 11 (> 9): the better early epochs are not kept
        assert allowed == [10, 11] and f1[best] < max(f1)


def test_sparse_lr_train_save_dir_writes_each_new_best_checkpoint(tmp_path, capsys):
    X, marg, X_dev, gold = _peaks_early()
    model = SparseLogisticRegression(seed=5, name="lr07")
    model.train(X, marg, X_dev, gold, n_epochs=6, lr=0.1, save_dir=tmp_path, print_freq=100)
    saved = [line for line in capsys.readouterr().out.splitlines() if "Model saved" in line]
    assert len(saved) >= 1
    first_best = 1 + int(np.argmax([r["dev_f1"] for r in model.history]))
    settings = json.loads((tmp_path / "lr07" / "settings.json").read_text())
    assert settings["global_step"] == first_best
    loaded = SparseLogisticRegression().load("lr07", tmp_path, False)
    np.testing.assert_array_equal(loaded.W, model.W)
    # Without a dev set nothing is checkpointed.
    SparseLogisticRegression(seed=5, name="nodev").train(X, marg, n_epochs=2, save_dir=tmp_path, verbose=False)
    assert not (tmp_path / "nodev").exists()


def test_sparse_lr_print_freq_zero_prints_nothing(capsys):
    X, marg, gold = _lr_task(60, 0)
    SparseLogisticRegression().train(X, marg, X, gold, n_epochs=3, print_freq=0)
    assert capsys.readouterr().out == ""


def test_sparse_lr_batched_marginals_and_deterministic_flag():
    X, marg, _ = _lr_task(100, 1)
    a = SparseLogisticRegression(seed=3, deterministic=True).train(X, marg, n_epochs=3, verbose=False)
    b = SparseLogisticRegression(seed=3).train(X, marg, n_epochs=3, verbose=False)
    np.testing.assert_array_equal(a.W, b.W)
    np.testing.assert_array_equal(a.marginals(X, 7), a.marginals(X))
    np.testing.assert_array_equal(a.predictions(X, 0.5, 7), a.predictions(X))
    with pytest.raises(ConfigurationError, match="batch_size"):
        a.marginals(X, 0)


def test_save_load_use_save_dir_and_model_name(tmp_path, monkeypatch):
    X, marg, _ = _lr_task(80, 2)
    model = SparseLogisticRegression(seed=1).train(X, marg, n_epochs=2, verbose=False)
    monkeypatch.chdir(tmp_path)
    assert model.save(verbose=False) == checkpoint_dir(None, None, model.name)
    assert (tmp_path / "checkpoints" / "SparseLogisticRegression" / "weights.npz").exists()
    np.testing.assert_array_equal(SparseLogisticRegression().load(verbose=False).W, model.W)
    model.save("by_name", verbose=False)  # a name goes under checkpoints/, as in 0.7
    assert (tmp_path / "checkpoints" / "by_name" / "weights.npz").exists()
    model.save("m", "elsewhere", False, 12)
    assert json.loads((tmp_path / "elsewhere" / "m" / "settings.json").read_text())["global_step"] == 12
    model.save(tmp_path / "as_path", verbose=False)  # a Path alone is the folder itself
    model.save(str(tmp_path / "absolute"), verbose=False)  # so is an absolute name (os.path.join)
    for folder in ("as_path", "absolute"):
        np.testing.assert_array_equal(SparseLogisticRegression().load(tmp_path / folder, verbose=False).W, model.W)
    with pytest.raises(ConfigurationError, match="does not hold"):
        SparseLogisticRegression().load("m", verbose=False)  # checkpoints/m does not exist


def test_save_and_load_print_as_07_when_verbose(tmp_path, capsys):
    X, marg, _ = _lr_task(40, 3)
    model = SparseLogisticRegression(name="talky").train(X, marg, n_epochs=1, verbose=False)
    model.save(save_dir=tmp_path)
    SparseLogisticRegression().load("talky", tmp_path)
    out = capsys.readouterr().out
    assert f"[talky] Model saved as <{tmp_path / 'talky'}>" in out
    assert f"[talky] Loaded model <{tmp_path / 'talky'}>" in out


# ------------------------------------------------------------------------------ BiLSTM

TINY = {"n_epochs": 2, "lr": 0.02, "dim": 4, "batch_size": 32, "dropout": 0.0, "verbose": False}


class BasicLSTMCell:  # stand-ins named as TensorFlow 1's cell classes
    pass


class GRUCell:
    pass


class BasicRNNCell:
    pass


class LayerNormBasicLSTMCell:
    pass


def test_cell_type_accepts_07_cell_classes_and_names():
    assert [resolve_cell_type(c) for c in (BasicLSTMCell, GRUCell, BasicRNNCell)] == ["lstm", "gru", "rnn"]
    assert [resolve_cell_type(c) for c in ("lstm", "LSTMCell", "gru", "rnn")] == ["lstm", "lstm", "gru", "rnn"]
    for bad in (LayerNormBasicLSTMCell, "nas", 3):
        with pytest.raises(ConfigurationError, match="cell_type"):
            resolve_cell_type(bad)


@pytest.mark.slow
def test_bilstm_rejects_attn_window_and_unknown_cell():
    X, y = relation_task(20, seed=0)
    marg = np.where(y == 1, 0.9, 0.1)
    with pytest.raises(ConfigurationError, match="attn_window"):
        BiLSTM().train(X, marg, attn_window=5, **TINY)
    with pytest.raises(ConfigurationError, match="cell_type"):
        BiLSTM().train(X, marg, cell_type=LayerNormBasicLSTMCell, **TINY)
    BiLSTM().train(X, marg, attn_window=None, cell_type=BasicLSTMCell, **{**TINY, "n_epochs": 1})  # 0.7's defaults


@pytest.mark.slow
@pytest.mark.parametrize(("cell", "layer"), [(GRUCell, "GRU"), (BasicRNNCell, "SimpleRNN"), ("lstm", "FusedBiLSTM")])
def test_bilstm_cell_type_builds_that_cell_and_survives_save_load(cell, layer, tmp_path):
    import keras

    X, y = relation_task(60, seed=1)
    model = BiLSTM(seed=2).train(X, np.where(y == 1, 0.9, 0.1), cell_type=cell, **TINY)
    names = []
    for lay in model._net.layers:
        names.append(type(lay.forward_layer if isinstance(lay, keras.layers.Bidirectional) else lay).__name__)
    assert layer in names
    if layer == "GRU":
        bidir = next(lay for lay in model._net.layers if isinstance(lay, keras.layers.Bidirectional))
        assert bidir.forward_layer.reset_after is False  # TensorFlow 1's GRUCell
    model.save(tmp_path / "m", verbose=False)
    loaded = BiLSTM().load(tmp_path / "m", verbose=False)
    assert loaded.settings["cell_type"] == resolve_cell_type(cell)
    np.testing.assert_array_equal(loaded.marginals(X), model.marginals(X))


@pytest.mark.slow
def test_rernn_saves_under_its_07_name_and_pickles(tmp_path, monkeypatch):
    X, y = relation_task(40, seed=3)
    model = reRNN(seed=4).train(X, np.where(y == 1, 0.9, 0.1), **TINY)
    monkeypatch.chdir(tmp_path)
    model.save(verbose=False)
    assert (tmp_path / "checkpoints" / "reRNN" / "weights.npz").exists()
    loaded = reRNN().load(verbose=False)
    np.testing.assert_array_equal(loaded.marginals(X), model.marginals(X))
    np.testing.assert_allclose(loaded.marginals(X, 7), model.marginals(X), rtol=0, atol=1e-6)  # float round-off
    copy = pickle.loads(pickle.dumps(model))
    assert type(copy) is reRNN and copy.history == model.history
    np.testing.assert_array_equal(copy.marginals(X), model.marginals(X))


@pytest.mark.slow
def test_bilstm_dev_ckpt_delay_checkpoints_only_late_epochs(tmp_path, capsys):
    X, y = relation_task(80, seed=5)
    X_dev, y_dev = relation_task(40, seed=6)
    marg = np.where(y == 1, 0.9, 0.1)
    settings = {**TINY, "n_epochs": 3, "verbose": True}
    # 3 epochs, delay 0.5: only 0-based epoch 2 > 1.5 may be kept, so exactly one checkpoint is written.
    kept = BiLSTM(seed=8, name="late").train(X, marg, X_dev, y_dev, dev_ckpt_delay=0.5, save_dir=tmp_path, **settings)
    assert sum("Model saved" in line for line in capsys.readouterr().out.splitlines()) == 1
    assert json.loads((tmp_path / "late" / "settings.json").read_text())["global_step"] == 3
    last = BiLSTM(seed=8).train(X, marg, X_dev, y_dev, dev_ckpt=False, **{**settings, "verbose": False})
    np.testing.assert_allclose(kept.marginals(X_dev), last.marginals(X_dev), atol=1e-6)
    # Without a delay the first epoch is always a new best: a checkpoint at epoch 1.
    BiLSTM(seed=8, name="early").train(X, marg, X_dev, y_dev, save_dir=tmp_path, **settings)
    assert "[early] Model saved" in capsys.readouterr().out.splitlines()[0]
