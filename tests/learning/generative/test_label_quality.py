"""The label model finds the right answer without luck: seeds that flipped, one-sided LFs, fallbacks, warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from snorkel_ie.errors import ConvergenceWarning, ModelError
from snorkel_ie.learning.generative import GenerativeModel
from snorkel_ie.learning.generative.fitting import orient_weights
from snorkel_ie.learning.generative.selection import select_model
from snorkel_ie.learning.generative.synthetic import make_example_3_1, make_independent
from snorkel_ie.learning.generative.validation import to_label_data


def _mv(L) -> np.ndarray:
    s = np.asarray(sp.csr_matrix(L).sum(axis=1)).ravel()
    return np.where(s > 0, 1, -1)


def _one_sided(seed: int, balance: float, n: int = 10_000, n_each: int = 8):
    """Positive-only and negative-only LFs: each fires on 15-40% of its class, 2-50% as often on the other."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < balance, 1, -1)
    cols = []
    for s in [1] * n_each + [-1] * n_each:
        own = rng.uniform(0.15, 0.4)
        cols.append(np.where(rng.random(n) < np.where(y == s, own, own * rng.uniform(0.02, 0.5)), s, 0))
    return sp.csr_matrix(np.column_stack(cols)), y


def _empirical_accuracy(L, y) -> np.ndarray:
    d = sp.csr_matrix(L).toarray()
    return np.array([np.mean(d[d[:, j] != 0, j] == y[d[:, j] != 0]) for j in range(d.shape[1])])


@pytest.mark.slow
def test_example_3_1_seed_that_flipped_is_right_with_and_without_deps():
    # Seed 2 came out flipped (accuracy 0.077 with the true deps, 0.28 without) before the fixes.
    L, y, deps = make_example_3_1(10_000, n_copies=5, n_good=5, copy_acc=0.5, good_acc=0.9, coverage=0.5, seed=2)
    mv = np.mean(_mv(L) == y)
    with pytest.warns(UserWarning, match="exact copies"):
        indep = GenerativeModel()
        indep.train(L)
    assert np.mean(indep.predictions(L) == y) >= mv - 0.01
    model = GenerativeModel()
    model.train(L, deps=sorted(deps))
    assert np.mean(model.predictions(L) == y) >= 0.90
    acc = model.weights.lf_accuracy
    assert np.all(np.abs(acc[:5]) < 0.1) and np.all(acc[5:] > 0.8)  # the copies carry no weight


def test_mirror_image_is_replaced_by_the_better_than_random_one():
    L, y = make_independent(3_000, [0.85, 0.75, 0.7, 0.8], 0.5, seed=5)
    model = GenerativeModel()
    model.train(L)
    right = model.marginals(L)
    data = to_label_data(L, cardinality=2, signed=True)
    w = model.weight_vector_.copy()
    lay = model.graph_.layout
    w[lay.acc : lay.acc + lay.n_lfs] *= -1  # the mirror solution: same likelihood, labels flipped
    assert orient_weights(model.graph_, w, data)
    np.testing.assert_allclose(w, model.weight_vector_)
    assert not orient_weights(model.graph_, w, data)  # already oriented: unchanged
    assert np.mean(np.where(right > 0.5, 1, -1) == y) > 0.8


@pytest.mark.parametrize(("seed", "balance"), [(0, 0.1), (1, 0.2), (2, 0.3), (3, 0.5)])
def test_one_sided_lfs_get_their_accuracies_by_default(seed, balance):
    L, y = _one_sided(seed, balance)
    model = GenerativeModel()
    model.train(L)
    assert model.options_.lf_class_propensity and model.options_.class_prior
    stats = model.learned_lf_stats()
    assert np.abs(stats["Accuracy"].to_numpy() - _empirical_accuracy(L, y)).mean() <= 0.05
    np.testing.assert_allclose(stats["Coverage"].to_numpy(), np.diff(L.tocsc().indptr) / L.shape[0], atol=0.01)
    assert np.mean(model.predictions(L) == y) >= np.mean(_mv(L) == y)


def test_known_class_balance_is_kept_and_validated():
    L, y = _one_sided(4, 0.2)
    model = GenerativeModel(class_balance=0.2)
    model.train(L)
    assert model.class_balance == pytest.approx([0.8, 0.2])
    assert np.mean(model.predictions(L) == y) >= np.mean(_mv(L) == y)
    for bad in (1.5, [0.3, 0.3], "half"):
        with pytest.raises(ModelError, match="class_balance"):
            GenerativeModel(class_balance=bad)


def test_correlated_one_sided_lfs_fall_back_with_a_warning():
    L, y = _one_sided(5, 0.3)
    d = L.toarray()
    rng = np.random.default_rng(0)
    near_copies = [np.where(rng.random(d.shape[0]) < 0.9, d[:, 8], 0) for _ in range(4)]  # of a negative LF
    L2 = sp.csr_matrix(np.column_stack([d, *near_copies]))
    with pytest.warns(UserWarning, match="does not explain which LFs vote together"):
        model = GenerativeModel()
        model.train(L2)
    assert not model.options_.lf_class_propensity and model.misfit_ > 0.25
    assert np.mean(model.predictions(L2) == y) >= np.mean(_mv(L2) == y) - 0.005  # the class-conditional fit: 0.51
    forced = GenerativeModel(lf_class_propensity=True)  # an explicit choice is kept
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        forced.train(L)  # uncorrelated: no fallback, no warning
    assert forced.options_.lf_class_propensity


def test_lfs_all_one_sided_the_same_way_warn_unidentifiable():
    L, _ = _one_sided(6, 0.3)
    positive = L[:, :8]
    with pytest.warns(UserWarning, match="not identifiable"):
        GenerativeModel().train(positive)
    model = GenerativeModel(class_balance=0.3)
    model.train(positive)
    assert model.options_.lf_class_propensity


@pytest.mark.parametrize("kwargs", [{}, {"lf_class_propensity": True}])
def test_non_convergence_warns(kwargs):
    L, _ = _one_sided(7, 0.3) if kwargs else make_independent(5_000, [0.9, 0.6, 0.6, 0.6, 0.6], 0.6, seed=4)
    with pytest.warns(ConvergenceWarning, match="did not converge in 2 epochs"):
        GenerativeModel(**kwargs).train(L, epochs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        GenerativeModel(**kwargs).train(L)


def test_propensity_with_gold_labels_learns_the_coverage():
    L, y = make_independent(5_000, [0.8, 0.75, 0.7, 0.85], [0.2, 0.5, 0.4, 0.3], seed=8)
    labels = np.where(np.arange(5_000) % 10 == 0, y, 0)
    model = GenerativeModel(lf_propensity=True)
    model.train(L, labels=labels)
    # The last row is the gold labels as a source (0.7's extra LF column): 10% coverage.
    np.testing.assert_allclose(model.learned_lf_stats()["Coverage"].to_numpy(), [0.2, 0.5, 0.4, 0.3, 0.1], atol=0.03)


def test_semi_supervised_labels_on_one_sided_lfs():
    L, y = _one_sided(9, 0.2)
    labels = np.where(np.arange(L.shape[0]) % 20 == 0, y, 0)
    model = GenerativeModel()
    model.train(L, labels=labels)
    assert model.options_.lf_class_propensity
    lf_rows = model.learned_lf_stats()["Accuracy"].to_numpy()[: L.shape[1]]  # the last row: the labels
    assert np.abs(lf_rows - _empirical_accuracy(L, y)).mean() <= 0.05


def test_options_and_copies_survive_save_load(tmp_path):
    L, _ = _one_sided(10, 0.3)
    model = GenerativeModel()
    model.train(L)
    model.save(tmp_path / "m")
    loaded = GenerativeModel().load(tmp_path / "m")
    assert loaded.options_ == model.options_
    np.testing.assert_allclose(loaded.marginals(L), model.marginals(L))
    np.testing.assert_allclose(loaded.learned_lf_stats().to_numpy(), model.learned_lf_stats().to_numpy())


def test_select_model_keeps_the_best_on_dev_and_reports_every_configuration():
    L, y = _one_sided(11, 0.3)
    dev = np.arange(L.shape[0]) < 500
    result = select_model(L, L[dev], y[dev])
    assert len(result.table) >= 6 and "f1" in result.table.columns
    assert result.score == pytest.approx(result.table["f1"].max())
    with pytest.raises(ModelError, match="no known label"):
        select_model(L, L[dev], np.zeros(int(dev.sum())))


def test_numpy_first_api_accepts_arrays_sparse_and_dataframes():
    import pandas as pd

    L, y = make_independent(3_000, [0.85, 0.75, 0.7, 0.8], 0.5, seed=12)
    model = GenerativeModel().fit(L)
    proba = model.predict_proba(L)
    assert proba.shape == (3_000, 2)
    np.testing.assert_allclose(proba[:, 1], model.marginals(L))
    np.testing.assert_array_equal(model.predict(L.toarray()), model.predictions(L))
    df = pd.DataFrame(L.toarray(), columns=["a", "b", "c", "d"])
    named = GenerativeModel().fit(df)
    assert list(named.learned_lf_stats().index) == ["a", "b", "c", "d"]
    np.testing.assert_allclose(named.predict_proba(df), proba)
    assert np.mean(named.predict(df) == y) > 0.8


def test_07_epochs_zero_keeps_the_prior_weights_and_reg_type_zero_means_none():
    L, _ = make_independent(3_000, [0.85, 0.75, 0.7, 0.8], 0.5, seed=13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        untrained = GenerativeModel(lf_prior=True)
        untrained.train(L, LF_acc_prior_weights=[0.5, 0.4, 0.3, 0.2], epochs=0)
    assert untrained.epochs_run_ == 0
    np.testing.assert_allclose(untrained.weights.lf_prior, [0.5, 0.4, 0.3, 0.2])
    np.testing.assert_allclose(untrained.weights.lf_accuracy, 1.0)
    none = GenerativeModel()
    none.train(L, reg_type=0, reg_param=10.0)
    plain = GenerativeModel()
    plain.train(L, reg_param=0.0)
    np.testing.assert_allclose(none.weight_vector_, plain.weight_vector_)


def _fallback_case():
    """One-sided LFs plus four near-copies of one of them: the class-conditional fit misfits and falls back."""
    L, y = _one_sided(5, 0.3)
    d = L.toarray()
    rng = np.random.default_rng(0)
    near_copies = [np.where(rng.random(d.shape[0]) < 0.9, d[:, 8], 0) for _ in range(4)]
    return sp.csr_matrix(np.column_stack([d, *near_copies])), y


def test_fallback_reports_one_sided_accuracies_from_its_posterior(tmp_path):
    L, y = _fallback_case()
    with pytest.warns(UserWarning, match="does not explain which LFs vote together"):
        model = GenerativeModel()
        model.train(L)
    assert not model.options_.lf_class_propensity
    stats = model.learned_lf_stats()
    emp = _empirical_accuracy(L, y)
    learned = stats["Accuracy"].to_numpy()
    assert np.ptp(learned) > 0.1  # not 0.5 for every LF, as the closed form says under this model
    assert np.abs(learned - emp).mean() < 0.5 * np.abs(0.5 - emp).mean()
    post = model.marginals(L)  # Accuracy is the mean over an LF's votes of P(y = vote | votes)
    d = L.toarray()
    for j in (0, 9, 16):
        voted = d[:, j] != 0
        expected = np.mean(np.where(d[voted, j] > 0, post[voted], 1.0 - post[voted]))
        assert learned[j] == pytest.approx(expected, abs=1e-9)
        assert stats["Coverage"].iloc[j] == pytest.approx(voted.mean())
    assert stats["Precision"].iloc[0] == pytest.approx(learned[0])  # a positive-only LF: precision = accuracy
    assert stats["Recall"].iloc[0] == pytest.approx(post[d[:, 0] > 0].sum() / post.sum())
    model.save(tmp_path / "m")
    np.testing.assert_allclose(GenerativeModel().load(tmp_path / "m").learned_lf_stats().to_numpy(), stats.to_numpy())


def test_mixed_lfs_keep_their_closed_form_stats():
    L, _ = make_independent(5_000, [0.9, 0.8, 0.7, 0.75], [0.4, 0.5, 0.3, 0.6], seed=3)
    model = GenerativeModel()
    model.train(L)
    assert model.vote_stats_ is None
    acc = model.weights.lf_accuracy
    np.testing.assert_allclose(model.learned_lf_stats()["Accuracy"].to_numpy(), 1.0 / (1.0 + np.exp(-2.0 * acc)))
