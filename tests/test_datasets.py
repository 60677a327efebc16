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


def _copy_with_extra_row(tmp_path, change) -> tuple:
    """The crowd weather files in ``tmp_path``, with one judgement repeated (its answer set by ``change``)."""
    import csv
    import shutil

    src = default_data_dir() / "crowd_weather"
    shutil.copy(src / "weather-evaluated-agg-DFE.csv", tmp_path)
    with open(src / "weather-non-agg-DFE.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    extra = change(dict(rows[10]))
    with open(tmp_path / "weather-non-agg-DFE.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([*rows, extra])
    return rows[10], len(rows) + 2  # the repeated judgement, and the line of its repeat


def test_a_repeated_identical_judgement_is_one_vote(tmp_path):
    _copy_with_extra_row(tmp_path, lambda r: r)
    same = load_crowd_weather(tmp_path)
    np.testing.assert_array_equal(same.L.toarray(), load_crowd_weather().L.toarray())


def test_a_worker_answering_a_tweet_twice_differently_is_an_error_naming_both_lines(tmp_path):
    from snorkel_ie.errors import ParseError

    other = {"Positive": "Negative"}
    row, line = _copy_with_extra_row(tmp_path, lambda r: {**r, "emotion": other.get(r["emotion"], "Positive")})
    with pytest.raises(ParseError, match="twice") as err:
        load_crowd_weather(tmp_path)
    assert str(line) in str(err.value) and "line 12" in str(err.value) and row["worker_id"] in str(err.value)
