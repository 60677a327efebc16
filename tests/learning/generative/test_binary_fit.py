"""The default binary fit on distinct rows gives the weights of the general loop on every row."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import snorkel_ie.learning.generative.training as training
from snorkel_ie.learning.generative import GenerativeModel
from snorkel_ie.learning.generative.binary_fit import _row_codes, distinct_rows, fit_binary_observed
from snorkel_ie.learning.generative.synthetic import make_independent
from snorkel_ie.learning.generative.validation import to_label_data


def _fit(L, monkeypatch, *, path: str, force=None, accelerate=False, **kwargs) -> GenerativeModel:
    def fit(*args, **kw):
        args[6].accelerate = accelerate  # the LearnSettings
        return fit_binary_observed(*args, **kw)

    with monkeypatch.context() as patch:
        if path == "general":
            patch.setattr(training, "_use_binary_observed", lambda *a: False)
        else:
            patch.setattr(training, "fit_binary_observed", fit)
        if force is not None:
            patch.setattr(training, "distinct_rows", lambda data: distinct_rows(data, force=force))
        model = GenerativeModel(**kwargs)
        model.train(L)
    return model


@pytest.mark.parametrize("kwargs", [{}, {"class_prior": True}])
@pytest.mark.parametrize("force", [True, False])
def test_distinct_row_fit_equals_the_general_loop(monkeypatch, kwargs, force):
    L, _ = make_independent(600, [0.9, 0.7, 0.65, 0.8], [0.3, 0.5, 0.2, 0.4], seed=11)
    fast = _fit(L, monkeypatch, path="fast", force=force, **kwargs)
    slow = _fit(L, monkeypatch, path="general", **kwargs)
    np.testing.assert_allclose(fast.weight_vector_, slow.weight_vector_, atol=1e-10)
    np.testing.assert_allclose(fast.loss_history_, slow.loss_history_, atol=1e-10)
    assert (fast.epochs_run_, fast.converged_) == (slow.epochs_run_, slow.converged_)
    np.testing.assert_allclose(fast.marginals(L), slow.marginals(L), atol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_squarem_reaches_the_same_fixed_point_in_fewer_epochs(monkeypatch, seed):
    L, _ = make_independent(4_000, [0.9, 0.6, 0.65, 0.7, 0.6, 0.75], 0.3, seed=seed)
    plain = _fit(L, monkeypatch, path="fast", class_prior=True)
    fast = _fit(L, monkeypatch, path="fast", accelerate=True, class_prior=True)
    assert fast.converged_ and plain.converged_
    assert fast.epochs_run_ < plain.epochs_run_
    np.testing.assert_allclose(fast.weight_vector_, plain.weight_vector_, atol=2e-3)
    assert fast.loss_history_[-1] >= plain.loss_history_[-1] - 1e-6
    assert np.mean(fast.predictions(L) == plain.predictions(L)) >= 0.999


def test_distinct_rows_keep_every_pattern_with_its_count():
    dense = np.array([[1, 0, -1], [0, 0, 0], [1, 0, -1], [0, 1, 0], [0, 0, 0], [1, 0, -1], [-1, -1, 1]])
    data = to_label_data(sp.csr_matrix(dense), cardinality=2, signed=True)
    patterns = distinct_rows(data, force=True)
    rows = {tuple(r): c for r, c in zip(patterns.S.toarray().astype(int), patterns.counts, strict=True)}
    assert rows == {(1, 0, -1): 3, (0, 0, 0): 2, (0, 1, 0): 1, (-1, -1, 1): 1}
    codes = _row_codes(data)
    assert codes[1] == codes[4] == 0 and codes[0] == codes[2] and len(set(codes.tolist())) == 4
    assert distinct_rows(data, force=False).counts is None


def test_a_repetitive_matrix_is_compressed_and_a_diverse_one_is_not():
    L, _ = make_independent(5_000, [0.8] * 4, 0.3, seed=1)  # 81 possible rows
    assert distinct_rows(to_label_data(L, cardinality=2, signed=True)).counts is not None
    L, _ = make_independent(5_000, [0.8] * 30, 0.5, seed=1)  # nearly every row distinct
    assert distinct_rows(to_label_data(L, cardinality=2, signed=True)).counts is None


@pytest.mark.parametrize("kwargs", [{}, {"lf_class_propensity": True, "class_prior": True}])
def test_marginals_straight_from_the_matrix_equal_the_kernel_posterior(kwargs):
    L, _ = make_independent(800, [0.9, 0.7, 0.65, 0.8], [0.3, 0.5, 0.2, 0.4], seed=5)
    model = GenerativeModel(**kwargs)
    model.train(L)
    data = to_label_data(L, cardinality=2, signed=True)
    expected = training.compute_posterior(model.graph_, model.weight_vector_, data)[:, 1]
    np.testing.assert_allclose(model.marginals(L), expected, atol=1e-12)
    np.testing.assert_allclose(model.marginals(L.toarray()), expected, atol=1e-12)
