"""GenerativeModel keeps Snorkel 0.7's parameters: every 0.7 call by name (and the leading
positional ones) works, and each parameter does what 0.7 documented."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from snorkel_ie.errors import ModelError
from snorkel_ie.learning.generative import GenerativeModel
from snorkel_ie.learning.generative.synthetic import make_independent

# Snorkel 0.7's signatures (snorkel/learning/gen_learning.py), in their order.
TRAIN_07 = [
    "L", "deps", "LF_acc_prior_weights", "LF_acc_prior_weight_default", "labels", "label_prior_weight",
    "init_deps", "init_class_prior", "epochs", "step_size", "decay", "reg_param", "reg_type", "verbose",
    "truncation", "burn_in", "cardinality", "timer", "candidate_ranges", "threads",
]  # fmt: skip
INIT_07 = ["class_prior", "lf_prior", "lf_propensity", "lf_class_propensity", "seed", "name"]


def _matrix(seed: int = 0):
    return make_independent(3_000, [0.85, 0.75, 0.7, 0.65, 0.8], [0.5, 0.4, 0.3, 0.5, 0.2], seed=seed)


def test_signatures_start_with_the_07_parameters_in_order():
    train = list(inspect.signature(GenerativeModel.train).parameters)[1:]
    init = list(inspect.signature(GenerativeModel.__init__).parameters)[1:]
    assert train[: len(TRAIN_07)] == TRAIN_07
    assert init[: len(INIT_07)] == INIT_07


def test_name_defaults_to_the_class_name_and_survives_save_load(tmp_path):
    assert GenerativeModel().name == "GenerativeModel"
    L, _ = _matrix()
    model = GenerativeModel(name="cdr_gen")
    model.train(L)
    model.save(tmp_path / "m")
    assert GenerativeModel().load(tmp_path / "m").name == "cdr_gen"


def test_timer_is_started_before_and_ended_after_learning():
    events = []

    class Stopwatch:
        def start(self):
            events.append(("start", model.weight_vector_ is None))

        def end(self):
            events.append(("end", model.weight_vector_ is None))

    L, _ = _matrix()
    model = GenerativeModel()
    model.train(L, timer=Stopwatch())
    # No weights when the watch starts; weights by the time it stops.
    assert events == [("start", True), ("end", False)]


def test_train_cardinality_sets_the_classes_and_must_agree_with_the_constructor():
    L, _ = make_independent(2_000, [0.8, 0.7, 0.75], [0.5, 0.5, 0.4], seed=2, cardinality=3)
    assert L.max() == 3
    model = GenerativeModel()
    model.train(L, cardinality=4)  # a class no LF voted for is still a class
    assert model.marginals(L).shape == (2_000, 4)
    assert np.allclose(model.marginals(L).sum(axis=1), 1.0)
    with pytest.raises(ModelError, match="contradicts"):
        GenerativeModel(cardinality=3).train(L, cardinality=4)


def test_init_class_prior_is_the_starting_class_prior_weight():
    L, _ = _matrix()
    for init in (-1.0, 0.0, 0.7):
        model = GenerativeModel(class_prior=True)
        model.train(L, init_class_prior=init, epochs=1)
        assert model.graph_.weight_value[0] == init
    # Where training starts does not change where it ends.
    ends = []
    for init in (-1.0, 0.7):
        model = GenerativeModel(class_prior=True)
        model.train(L, init_class_prior=init)
        ends.append(model.weight_vector_[0])
    assert ends[0] == pytest.approx(ends[1], abs=1e-3)


def test_truncation_spaces_the_l1_steps():
    L, _ = _matrix()
    strong = {"reg_type": 1, "reg_param": 0.05, "epochs": 4}

    def weights(**kw):
        model = GenerativeModel()
        model.train(L, **kw)
        return model.weight_vector_

    free = weights(**{**strong, "reg_param": 0.0})
    every = weights(**strong, truncation=1)
    # Four epochs, truncation every 5: the shrinkage owed is applied once, at the end.
    at_end = weights(**strong, truncation=5)
    assert not np.array_equal(at_end, free)
    assert not np.array_equal(every, weights(**strong, truncation=2))
    for w in (every, at_end):
        assert np.all(np.abs(w) <= np.abs(free) + 1e-12)
    with pytest.raises(ModelError, match="truncation"):
        GenerativeModel().train(L, truncation=0)


def test_dependency_selector_takes_the_seed_positionally():
    from snorkel_ie.learning.generative import DependencySelector

    assert DependencySelector(7).seed == 7


@pytest.mark.parametrize("seed", range(3))
def test_gold_labels_are_one_more_source_in_the_stats_and_weights(seed, tmp_path):
    import pandas as pd

    L, y = _matrix(seed)
    n, m = L.shape
    known = np.arange(n) % 4 == 0
    labels = np.where(known, y, 0)
    plain = GenerativeModel()
    plain.train(L)
    assert len(plain.learned_lf_stats()) == m and plain.weights.label_accuracy is None
    model = GenerativeModel()
    model.train(L, labels=labels, label_prior_weight=2.0)
    stats = model.learned_lf_stats()
    # One more row, after the LFs' and numbered after them (0.7 appended the labels as an LF column).
    assert list(stats.index) == [*range(m), m]
    gold = stats.loc[m]
    assert gold["Coverage"] == pytest.approx(known.mean())
    assert gold["Accuracy"] == pytest.approx(1.0 / (1.0 + np.exp(-4.0)))  # the fixed weight 2 as an accuracy
    assert 0 < gold["Recall"] <= gold["Coverage"] and gold["Precision"] > 0.9
    # The labels' weight is reported apart: every LF array keeps one entry per LF.
    w = model.weights
    assert w.label_accuracy == 2.0
    assert w.lf_accuracy.shape == w.lf_prior.shape == w.lf_propensity.shape == (m,)
    assert w.dep_similar.shape == (m, m)
    # The LF rows still describe the LFs.
    pd.testing.assert_index_equal(stats.columns, plain.learned_lf_stats().columns)
    assert np.abs(stats["Accuracy"].to_numpy()[:m] - plain.learned_lf_stats()["Accuracy"].to_numpy()).max() < 0.05
    # Named LFs: the row is "labels"; a saved model keeps it.
    named = GenerativeModel().fit(pd.DataFrame(L.toarray(), columns=list("abcde")), labels)
    assert list(named.learned_lf_stats().index) == [*"abcde", "labels"]
    named.save(tmp_path / "m")
    loaded = GenerativeModel().load(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.learned_lf_stats(), named.learned_lf_stats())
    assert loaded.weights.label_accuracy == named.weights.label_accuracy


def test_gold_labels_source_in_a_categorical_model():
    L, y = make_independent(2_000, [0.8, 0.7, 0.75], [0.5, 0.5, 0.4], seed=5, cardinality=3)
    labels = np.where(np.arange(2_000) % 5 == 0, y, 0)
    model = GenerativeModel()
    model.train(L, labels=labels)
    stats = model.learned_lf_stats()
    assert len(stats) == 4
    assert stats.iloc[-1]["Coverage"] == pytest.approx(0.2)
    assert stats.iloc[-1]["Accuracy"] == pytest.approx(1.0 / (1.0 + 2 * np.exp(-10.0)))  # k = 3, weight 5
