"""Bad label matrices: snorkel 0.10's convention is refused (or converted on request), bad votes are located."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from snorkel_ie.errors import ModelError
from snorkel_ie.learning.generative import GenerativeModel
from snorkel_ie.learning.generative.synthetic import make_independent


def _snorkel010(L: sp.csr_matrix) -> np.ndarray:
    """The same votes in snorkel 0.10's convention: -1 abstains, classes 0/1."""
    d = L.toarray()
    return np.where(d == 0, -1, np.where(d > 0, 1, 0))


def test_snorkel010_matrix_is_refused_with_the_conversion():
    L, _ = make_independent(2_000, [0.85, 0.75, 0.7, 0.8], 0.6, seed=1)
    with pytest.raises(ModelError, match=r"snorkel 0\.10.*np\.where\(L == -1, 0, 2 \* L - 1\).*convention='snorkel'"):
        GenerativeModel().train(_snorkel010(L))
    with pytest.raises(ModelError, match=r"snorkel 0\.10"):
        GenerativeModel().train(sp.csr_matrix(_snorkel010(L)))  # also when stored sparse


def test_snorkel010_matrix_is_converted_on_request_and_scores_like_signed():
    L, y = make_independent(2_000, [0.85, 0.75, 0.7, 0.8], 0.6, seed=1)
    converted = GenerativeModel(convention="snorkel")
    converted.train(_snorkel010(L))
    signed = GenerativeModel()
    signed.train(L)
    np.testing.assert_allclose(converted.marginals(_snorkel010(L)), signed.marginals(L), atol=1e-9)
    assert (signed.predictions(L) == y).mean() > 0.8
    d = np.where(L.toarray() == 0, -1, np.where(L.toarray() > 0, 1, 0))
    np.testing.assert_array_equal(d, _snorkel010(L))  # the caller's matrices are untouched


def test_snorkel_convention_categorical_shifts_classes():
    L = np.array([[0, 2, -1], [1, 1, 2], [2, -1, 0], [0, 0, 1]] * 50)
    model = GenerativeModel(convention="snorkel", cardinality=3)
    model.train(L)
    assert model.marginals(L).shape == (200, 3)
    assert model.k_ == 3


def test_signed_convention_accepts_a_mostly_negative_matrix_with_abstentions():
    L = np.array([[-1, -1, 0], [-1, -1, -1], [1, -1, -1], [-1, 1, -1]] * 20)
    with pytest.raises(ModelError, match="convention='signed'"):
        GenerativeModel().train(L)
    model = GenerativeModel(convention="signed")
    model.train(L)
    assert model.marginals(L).shape == (80,)


def test_matrix_that_never_abstains_is_taken_as_signed():
    """0.7's generate_model makes such matrices; in 0.10's convention class 0 would never be voted."""
    L = np.array([[-1, -1, 1], [-1, -1, -1], [1, -1, -1], [-1, 1, -1]] * 20)
    model = GenerativeModel()
    model.train(L)
    assert model.marginals(L).shape == (80,)


@pytest.mark.parametrize(
    ("L", "kwargs", "where"),
    [
        (np.array([[1, 0, -1], [0, 1, 0], [0, 3, 1]]), {}, "row 2, column 1: 3"),
        (np.array([[1, 0, 2], [4, 1, 0], [0, 3, 1]]), {"cardinality": 3}, "row 1, column 0: 4"),
    ],
)
def test_out_of_range_vote_names_row_and_column(L, kwargs, where):
    with pytest.raises(ModelError, match=where):
        GenerativeModel(**kwargs).train(L)


def test_unknown_convention_is_refused():
    with pytest.raises(ModelError, match="convention"):
        GenerativeModel(convention="zero-abstains")
