"""Tests of the shared scoring helpers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from snorkel_ie.errors import ModelError
from snorkel_ie.learning.utils import (
    as_label_vector,
    binary_prf,
    binary_scores,
    categorical_accuracy,
    categorical_prf,
    predictions_from_marginals,
)


def test_binary_scores_ignore_unknown_gold():
    pred = np.array([1, 1, -1, -1, 1])
    gold = np.array([1, -1, -1, 1, 0])
    assert tuple(binary_scores(pred, gold)) == (1, 1, 1, 1)


def test_binary_prf_values():
    p, r, f1 = binary_prf(np.array([1, 1, 1, -1]), np.array([1, 1, -1, 1]))
    assert p == pytest.approx(2 / 3) and r == pytest.approx(2 / 3) and f1 == pytest.approx(2 / 3)


def test_binary_prf_no_positive_predictions_is_zero():
    assert binary_prf(np.array([-1, -1]), np.array([1, -1])) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    "gold",
    [sp.csr_matrix(np.array([[1], [-1], [0]])), np.array([[1], [-1], [0]]), [1, -1, 0], np.array([1.0, -1.0, 0.0])],
)
def test_as_label_vector_accepts_columns_and_vectors(gold):
    np.testing.assert_array_equal(as_label_vector(gold), [1, -1, 0])


@pytest.mark.parametrize("gold", [np.array([1.0, np.nan]), np.array([0.5, 1.0]), np.ones((2, 2))])
def test_as_label_vector_rejects_bad_input(gold):
    with pytest.raises(ModelError):
        as_label_vector(gold)


def test_binary_scores_length_mismatch_raises():
    with pytest.raises(ModelError, match="align"):
        binary_scores(np.array([1, -1]), np.array([1]))


def test_categorical_accuracy_and_prf():
    pred = np.array([1, 2, 3, 3, 2])
    gold = np.array([1, 2, 3, 1, 0])
    assert categorical_accuracy(pred, gold) == pytest.approx(0.75)
    p, r, _ = categorical_prf(pred, gold, average="micro")
    assert p == pytest.approx(0.75) and r == pytest.approx(0.75)
    p, r, _ = categorical_prf(pred, gold)
    assert p == pytest.approx((1 + 1 + 0.5) / 3) and r == pytest.approx((0.5 + 1 + 1) / 3)


def test_predictions_from_marginals_ties_and_argmax():
    np.testing.assert_array_equal(predictions_from_marginals(np.array([0.2, 0.5, 0.9])), [-1, -1, 1])
    np.testing.assert_array_equal(predictions_from_marginals(np.array([0.5]), tie=1), [1])
    np.testing.assert_array_equal(predictions_from_marginals(np.array([[0.1, 0.9], [0.7, 0.3]])), [2, 1])
