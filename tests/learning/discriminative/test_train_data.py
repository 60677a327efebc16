"""The matched decision threshold of an end model (no gold label read)."""

import numpy as np
import pytest

from snorkel_ie.errors import ModelError
from snorkel_ie.learning.discriminative.train_data import matched_threshold


def test_matched_threshold_predicts_as_many_positives_as_the_labels():
    rng = np.random.default_rng(0)
    labels = rng.random(1000)
    model = rng.random(1000)
    t = matched_threshold(model, labels)
    assert np.sum(model > t) == np.sum(labels > 0.5)
    t_strict = matched_threshold(model, labels, b=0.9)
    assert np.sum(model > t_strict) == np.sum(labels > 0.9)
    assert t_strict > t


def test_matched_threshold_keeps_the_labels_own_predictions():
    labels = np.array([0.95, 0.95, 0.8, 0.5, 0.5, 0.1, 0.1, 0.1])
    t = matched_threshold(labels, labels)
    np.testing.assert_array_equal(labels > t, labels > 0.5)


def test_matched_threshold_follows_the_model_ranking_not_the_labels():
    labels = np.array([1.0, 1.0, 0.0, 0.0])
    model = np.array([0.1, 0.9, 0.8, 0.05])  # the model disagrees on candidates 0 and 2
    t = matched_threshold(model, labels)
    assert (model > t).tolist() == [False, True, True, False]


def test_matched_threshold_edge_cases():
    assert matched_threshold([0.3, 0.7], [0.1, 0.2]) == 0.7  # no positive label: nothing above
    assert matched_threshold([0.3, 0.7], [0.9, 0.8]) == 0.0  # all positive
    with pytest.raises(ModelError):
        matched_threshold([0.3], [0.1, 0.2])
