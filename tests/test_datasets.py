"""The crowd weather loader and the generative model on real crowdsourced labels."""

from __future__ import annotations

import numpy as np
import pytest

from snorkel_ie.datasets import default_data_dir, load_crowd_weather
from snorkel_ie.learning.generative import GenerativeModel

pytestmark = pytest.mark.skipif(
    not (default_data_dir() / "crowd_weather").is_dir(), reason="shared crowd_weather data not present"
)


def test_load_crowd_weather_shape_and_gold():
    ds = load_crowd_weather()
    assert ds.L.shape == (1000, 102) and ds.cardinality == 5
    assert ds.L.nnz == 20_000 and set(np.unique(ds.L.data)) <= {1, 2, 3, 4, 5}
    assert np.all(ds.gold >= 1)


@pytest.mark.slow
def test_generative_model_on_crowd_weather_matches_majority_vote():
    ds = load_crowd_weather()
    model = GenerativeModel()
    model.train(ds.L)
    accuracy = np.mean(model.predictions(ds.L) == ds.gold)
    d = ds.L.toarray()
    counts = np.stack([(d == c).sum(axis=1) for c in range(1, 6)], axis=1)
    majority_first = np.mean(counts.argmax(axis=1) + 1 == ds.gold)  # ties broken by the lowest class
    assert accuracy > 0.96
    assert accuracy >= majority_first
