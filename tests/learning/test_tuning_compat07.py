"""GridSearch and RandomSearch keep Snorkel 0.7's parameters (snorkel/learning/utils.py):
0.7's order for the constructors, ``fit(X_valid, Y_valid, b, beta, set_unlabeled_as_neg,
n_threads, eval_batch_size)``, and each one does what 0.7 documented. ``n_threads`` trains
in worker processes with the same results as one process."""

from __future__ import annotations

import inspect
import json
import os
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.learning.discriminative.logistic import SparseLogisticRegression
from snorkel_ie.learning.tuning import GridSearch, RandomSearch
from tests.learning.test_tuning import _task

GRID_INIT_07 = [
    "model_class",
    "parameter_dict",
    "X_train",
    "Y_train",
    "model_class_params",
    "model_hyperparams",
    "save_dir",
]
RANDOM_INIT_07 = [
    "model_class", "parameter_dict", "X_train", "Y_train", "n", "model_class_params", "model_hyperparams", "seed",
    "save_dir",
]  # fmt: skip
FIT_07 = ["X_valid", "Y_valid", "b", "beta", "set_unlabeled_as_neg", "n_threads", "eval_batch_size"]

# Ten dev candidates, four gold positives (0-3), one unknown (9).
GOLD = np.array([1, 1, 1, 1, -1, -1, -1, -1, -1, 0])
PRESETS = {
    # "careful": two of the four positives, nothing else. P = 1, R = 1/2: F1 = 2/3, F2 = 5/9.
    "careful": np.array([1, 1, -1, -1, -1, -1, -1, -1, -1, -1]),
    # "eager": everything positive. Unknown left out: TP 4, FP 5: P = 4/9, R = 1:
    #   F1 = 8/13, F2 = 5 (4/9) / (16/9 + 1) = 20/25 = 4/5.
    "eager": np.ones(10, dtype=np.int64),
    # "eager_but_9": positive on 0-8, negative on the unknown 9: same counts as "eager" with
    # the unknown left out; with the unknown counted negative it gains a TN where "eager" a FP.
    "eager_but_9": np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, -1]),
}


class Preset:
    """A model whose dev predictions are fixed by its ``which`` hyperparameter."""

    def __init__(self, *, cardinality: int = 2, log_dir: str | None = None):
        self.cardinality = cardinality
        self.log_dir = log_dir
        self.batch_sizes: list = []

    def train(self, X, *, which: str, sleep: float = 0.0):
        self.which = which
        started = time.time()
        time.sleep(sleep)
        if self.log_dir is not None:  # where and when it was trained
            run = {"pid": os.getpid(), "started": started, "ended": time.time()}
            (Path(self.log_dir) / f"{which}.json").write_text(json.dumps(run))

    def score(self, X, Y, *, b: float = 0.5, batch_size=None, display: bool = True):
        self.batch_sizes.append(batch_size)
        pred, gold = PRESETS[self.which], np.asarray(Y)
        known = gold != 0
        tp = int(np.sum((pred == 1) & (gold == 1) & known))
        fp = int(np.sum((pred == 1) & (gold == -1) & known))
        fn = int(np.sum((pred != 1) & (gold == 1) & known))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, 2 * p * r / (p + r) if p + r else 0.0


class PresetWithoutThreshold(Preset):
    def score(self, X, Y, *, display: bool = True):
        return super().score(X, Y, display=display)


def _search(**kwargs) -> GridSearch:
    return GridSearch(Preset, {"which": list(PRESETS)}, None, **kwargs)


def test_signatures_take_the_07_parameters_in_order():
    assert list(inspect.signature(GridSearch.__init__).parameters)[1:] == GRID_INIT_07
    assert list(inspect.signature(RandomSearch.__init__).parameters)[1:] == RANDOM_INIT_07
    assert list(inspect.signature(GridSearch.fit).parameters)[1 : 1 + len(FIT_07)] == FIT_07


@pytest.mark.parametrize(
    ("beta", "winner", "column", "scores"),
    [
        (1, "careful", "F-1", {"careful": Fraction(2, 3), "eager": Fraction(8, 13)}),
        (2, "eager", "F-2", {"careful": Fraction(5, 9), "eager": Fraction(4, 5)}),
    ],
)
def test_fit_ranks_by_f_beta(beta, winner, column, scores):
    best, stats = GridSearch(Preset, {"which": ["careful", "eager"]}, None).fit(None, GOLD, beta=beta, verbose=False)
    assert best.which == winner
    assert list(stats.columns) == ["which", "Prec.", "Rec.", column]
    got = dict(zip(stats["which"], stats[column], strict=True))
    assert got == pytest.approx({k: float(v) for k, v in scores.items()})
    assert stats.loc[0, "which"] == winner


def test_fit_set_unlabeled_as_neg_counts_gold_zero_as_negative():
    search = GridSearch(Preset, {"which": ["eager", "eager_but_9"]}, None)
    # Unknown left out, the two are tied (P = 4/9, R = 1): the first in search order wins.
    best, stats = search.fit(None, GOLD, verbose=False)
    assert best.which == "eager" and stats["F-1"].tolist() == pytest.approx([8 / 13, 8 / 13])
    # Unknown as negative: "eager" has TP 4, FP 6 (P = 2/5, F1 = 4/7); "eager_but_9" keeps F1 = 8/13.
    best, stats = search.fit(None, GOLD, 0.5, 1, True, verbose=False)
    assert best.which == "eager_but_9"
    assert dict(zip(stats["which"], stats["F-1"], strict=True)) == pytest.approx(
        {"eager_but_9": 8 / 13, "eager": 4 / 7}
    )


def test_fit_passes_eval_batch_size_and_refuses_a_threshold_the_model_ignores():
    best, _ = _search().fit(None, GOLD, eval_batch_size=7, verbose=False)
    assert best.batch_sizes == [7]
    best, _ = _search().fit(None, GOLD, verbose=False)
    assert best.batch_sizes == [None]
    # A score without a threshold is fine at the default b, refused at another.
    GridSearch(PresetWithoutThreshold, {"which": ["careful"]}, None).fit(None, GOLD, eval_batch_size=3, verbose=False)
    with pytest.raises(ConfigurationError, match=r"b=0\.3"):
        GridSearch(PresetWithoutThreshold, {"which": ["careful"]}, None).fit(None, GOLD, b=0.3, verbose=False)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_fit_rejects_bad_n_threads(bad):
    with pytest.raises(ConfigurationError, match="n_threads"):
        _search().fit(None, GOLD, n_threads=bad, verbose=False)


# ------------------------------------------------------------ the sparse logistic regression


@pytest.fixture(scope="module")
def data():
    X, marg, _ = _task(300, 0)
    Xd, _, gold_d = _task(150, 1)
    gold_d[::10] = 0  # some unknown gold
    return X, marg, Xd, gold_d


FIXED = {"n_epochs": 4, "batch_size": 64, "verbose": False}
RANGES = {"lr": [0.001, 0.01, 0.05], "l2_penalty": [0.0, 0.01, 0.1]}


def test_random_search_takes_07_positional_arguments(data, tmp_path):
    X, marg, Xd, gold_d = data
    search = RandomSearch(SparseLogisticRegression, RANGES, X, marg, 3, {"seed": 2}, FIXED, 7, tmp_path)
    by_name = RandomSearch(
        SparseLogisticRegression, RANGES, X, marg, n=3, model_class_params={"seed": 2}, model_hyperparams=FIXED, seed=7
    )
    assert search.search_space() == by_name.search_space()
    assert search.n == 3 and search.seed == 7
    best, stats = search.fit(Xd, gold_d, verbose=False)
    assert best.seed == 2 and len(best.history) == 4  # constructor and train arguments both arrived
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config_0", "config_1", "config_2"]
    assert search.results is stats


def test_grid_search_takes_07_positional_arguments(data, tmp_path):
    X, marg, Xd, gold_d = data
    search = GridSearch(SparseLogisticRegression, {"lr": [0.01, 0.05]}, X, marg, {"seed": 3}, FIXED, tmp_path)
    best, stats = search.fit(Xd, gold_d, 0.5, 1, False, 1, None, verbose=False)
    assert best.seed == 3 and len(stats) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config_0", "config_1"]


@pytest.mark.slow
def test_parallel_search_equals_serial_search(data):
    X, marg, Xd, gold_d = data

    def run(n_threads: int):
        search = RandomSearch(SparseLogisticRegression, RANGES, X, marg, 5, {"seed": 4}, FIXED, 11)
        return search.fit(Xd, gold_d, 0.5, 2, True, n_threads, 50, verbose=False)

    best_1, stats_1 = run(1)
    best_2, stats_2 = run(2)
    pd.testing.assert_frame_equal(stats_1, stats_2, check_exact=True)
    assert stats_1["F-2"].nunique() > 1  # the configurations do differ
    np.testing.assert_array_equal(best_1.W, best_2.W)
    np.testing.assert_array_equal(best_1.bias, best_2.bias)


@pytest.mark.slow
def test_parallel_search_prints_each_configuration(capsys):
    _search().fit(None, GOLD, n_threads=2)
    out = capsys.readouterr().out
    assert "3 configurations in 2 worker processes" in out
    assert all(f"which='{w}'" in out for w in PRESETS)


@pytest.mark.slow
def test_parallel_search_trains_configurations_at_the_same_time_in_other_processes(tmp_path):
    def runs(n_threads: int) -> list[dict]:
        log = tmp_path / str(n_threads)
        log.mkdir()
        search = GridSearch(Preset, {"which": ["careful", "eager"]}, None, None, {"log_dir": str(log)}, {"sleep": 1.5})
        search.fit(None, GOLD, n_threads=n_threads, verbose=False)
        return sorted((json.loads(f.read_text()) for f in log.iterdir()), key=lambda run: run["started"])

    serial = runs(1)
    assert [run["pid"] for run in serial] == [os.getpid()] * 2
    assert serial[1]["started"] >= serial[0]["ended"]
    first, second = runs(2)
    assert os.getpid() not in (first["pid"], second["pid"]) and first["pid"] != second["pid"]
    assert second["started"] < first["ended"]  # the two trainings overlapped in time


def test_parallel_search_refuses_classes_workers_cannot_import():
    class Local(Preset):
        pass

    with pytest.raises(ConfigurationError, match="inside a function"):
        GridSearch(Local, {"which": list(PRESETS)}, None).fit(None, GOLD, n_threads=2, verbose=False)


def test_parallel_search_names_inputs_that_cannot_be_sent():
    unpicklable = (x for x in range(3))  # a generator cannot be pickled
    with pytest.raises(ConfigurationError, match="X_train cannot be sent"):
        GridSearch(Preset, {"which": list(PRESETS)}, unpicklable).fit(None, GOLD, n_threads=2, verbose=False)


@pytest.mark.slow
def test_parallel_search_over_generative_model_equals_serial():
    from snorkel_ie.learning.generative.model import GenerativeModel
    from snorkel_ie.learning.generative.synthetic import make_independent

    acc = [0.9, 0.8, 0.75, 0.7, 0.85]
    L, _ = make_independent(400, acc, 0.6, seed=0)
    L_dev, y_dev = make_independent(200, acc, 0.6, seed=1)
    grid = {"epochs": [20], "step_size": [1e-6, 1e-3]}
    results = [
        GridSearch(GenerativeModel, grid, L, None, {"seed": 3}).fit(L_dev, y_dev, n_threads=k, verbose=False)
        for k in (1, 2)
    ]
    pd.testing.assert_frame_equal(results[0][1], results[1][1], check_exact=True)
    np.testing.assert_array_equal(results[0][0].marginals(L_dev), results[1][0].marginals(L_dev))


@pytest.mark.slow
def test_parallel_search_over_bilstm_equals_serial():
    from snorkel_ie.learning.discriminative.bilstm import BiLSTM
    from tests.learning.discriminative.conftest import relation_task

    X, y = relation_task(60, seed=1)
    X_dev, y_dev = relation_task(30, seed=2)
    marg = np.where(y == 1, 0.85, 0.15)
    fixed = {"n_epochs": 2, "dim": 4, "batch_size": 32, "verbose": False}
    results = [
        GridSearch(BiLSTM, {"lr": [0.001, 0.05]}, X, marg, {"seed": 5}, fixed).fit(
            X_dev, y_dev, n_threads=k, verbose=False
        )
        for k in (1, 2)
    ]
    pd.testing.assert_frame_equal(results[0][1], results[1][1], check_exact=True)
    losses = [[row["loss"] for row in best.history] for best, _ in results]
    assert type(results[1][0]) is BiLSTM and losses[1] == pytest.approx(losses[0], rel=0, abs=1e-6)
    np.testing.assert_allclose(results[0][0].marginals(X_dev), results[1][0].marginals(X_dev), rtol=0, atol=1e-6)


def test_search_space_counts_distinct_values_only():
    # 0.001 and 1e-3 are one value: one configuration exists, and asking for five must not loop forever.
    space = RandomSearch(Preset, {"which": ["eager", "eager"], "sleep": [0.001, 1e-3]}, None, n=5).search_space()
    assert space == [{"which": "eager", "sleep": 0.001}]


def test_set_unlabeled_as_neg_leaves_categorical_generative_models_alone(tmp_path):
    from snorkel_ie.learning.generative import GenerativeModel
    from snorkel_ie.learning.generative.synthetic import make_independent

    L, y = make_independent(600, [0.85, 0.75, 0.8], [0.6, 0.6, 0.5], seed=4, cardinality=3)
    gold = y.copy()
    gold[::3] = 0  # unknown
    search = GridSearch(GenerativeModel, {"epochs": [50]}, L, save_dir=tmp_path / "new" / "dir")
    _, as_unknown = search.fit(L, gold, verbose=False)
    _, as_negative = search.fit(L, gold, 0.5, 1, True, verbose=False)
    # -1 is no class of a 3-class model: gold 0 must stay unknown, not become a class no model predicts.
    assert as_negative["F-1"].tolist() == as_unknown["F-1"].tolist()
    # The generative model was saved into a folder that did not exist.
    assert (tmp_path / "new" / "dir" / "config_0.npz").is_file()
