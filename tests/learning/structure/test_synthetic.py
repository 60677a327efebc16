"""Snorkel 0.7's synthetic generator: weights, sampled matrices, and recovery by the selector and the model."""

from __future__ import annotations

import numpy as np
import pytest

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.learning.structure import DependencySelector, generate_label_matrix, generate_model
from snorkel_ie.learning.structure.synthetic import dependencies_of


def test_generate_model_switches_factor_types_and_forces_a_dependency() -> None:
    w = generate_model(8, 0.0, dep_similar=True, force_dep=True, seed=3)
    assert len(dependencies_of(w)) == 1
    assert not w.lf_propensity.any() and not w.lf_prior.any() and w.class_prior[0] == 0
    w = generate_model(8, 1.0, True, True, True, True, dep_fixing=True, dep_exclusive=True, seed=3)
    assert w.lf_propensity.all() and w.class_prior[0] != 0
    assert {t for *_, t in dependencies_of(w)} == {1, 3} and len(dependencies_of(w)) == 28
    with pytest.raises(ConfigurationError):
        generate_model(5, 0.5, force_dep=True)


@pytest.mark.parametrize("seed", range(4))
def test_sampled_votes_follow_the_accuracy_weights(seed: int) -> None:
    y, L = generate_label_matrix(generate_model(6, 0.0, seed=seed), 4000, seed=seed)
    A = L.toarray()
    assert set(np.unique(A)) <= {-1, 0, 1} and set(np.unique(y)) == {-1, 1}
    # with only accuracy factors w ~ 1: P(right) = e^w / (e^w + e^-w + 1), P(wrong) = e^-w / (...)
    right = ((A == y[:, None]) & (A != 0)).mean(axis=0)
    wrong = ((A == -y[:, None]) & (A != 0)).mean(axis=0)
    assert np.all(right > 0.6) and np.all(wrong < 0.12)


@pytest.mark.parametrize("seed", range(3))
def test_planted_similar_dependencies_are_found_by_the_selector(seed: int) -> None:
    w = generate_model(10, 0.0, dep_similar=True, seed=seed)
    w.dep_similar[0, 1] = w.dep_similar[2, 3] = 3.0
    _y, L = generate_label_matrix(w, 5000, seed=seed)
    assert {(0, 1, 0), (2, 3, 0)} <= set(DependencySelector().select(L, threshold=0.1))
