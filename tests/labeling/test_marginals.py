"""Marginals round trip through both backends."""

from __future__ import annotations

import numpy as np
import pytest

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling import LabelAnnotator, load_marginals, save_marginals
from tests.labeling.test_annotator import LFS


def test_marginals_binary_round_trip_aligned_with_label_matrix(session, spouse_candidates) -> None:
    L = LabelAnnotator(lfs=LFS).apply(split=0, session=session, progress=False)
    p = np.linspace(0.05, 0.95, L.shape[0])
    assert save_marginals(session, L, p) == L.shape[0]
    np.testing.assert_allclose(load_marginals(session, split=0), p)
    save_marginals(session, L, 1 - p)  # replaces
    np.testing.assert_allclose(load_marginals(session, split=0), 1 - p)
    np.testing.assert_allclose(load_marginals(session, L), 1 - p)
    assert np.isnan(load_marginals(session, split=0, training=False)).all()


def test_marginals_categorical_round_trip(session, spouse_candidates) -> None:
    dev = [c for c in spouse_candidates if c.split == 1]
    rng = np.random.default_rng(3)
    m = rng.dirichlet(np.ones(3), size=len(dev))
    save_marginals(session, list(reversed(dev)), m[::-1], training=False)
    out = load_marginals(session, split=1, training=False)
    assert out.shape == (len(dev), 3)
    np.testing.assert_allclose(out, m)
    np.testing.assert_allclose(load_marginals(session, [c.id for c in dev[::-1]], training=False), m[::-1])


def test_save_marginals_validates_shapes_and_values(session, spouse_candidates) -> None:
    ids = [c.id for c in spouse_candidates[:3]]
    with pytest.raises(ConfigurationError, match="do not fit"):
        save_marginals(session, ids, [0.5, 0.5])
    with pytest.raises(ConfigurationError, match="probabilities"):
        save_marginals(session, ids, [0.5, np.nan, 1.2])
