"""Tests of the marginal histogram and the precision-recall table."""

from __future__ import annotations

import numpy as np
import pytest

from snorkel_ie.errors import ModelError
from snorkel_ie.learning.plots import plot_marginals_histogram, precision_recall_table


def test_precision_recall_table_counts_per_threshold():
    m = np.array([0.9, 0.7, 0.4, 0.2, 0.6])
    gold = np.array([1, -1, 1, -1, 0])
    table = precision_recall_table(m, gold, thresholds=[0.3, 0.5, 0.8])
    assert table["TP"].tolist() == [2, 1, 1]
    assert table["FP"].tolist() == [1, 1, 0]
    assert table["FN"].tolist() == [0, 1, 1]
    assert table.loc[2, "Prec."] == 1.0 and table.loc[2, "Rec."] == 0.5
    assert table.loc[0, "F-1"] == pytest.approx(0.8)


def test_precision_recall_table_default_thresholds():
    assert precision_recall_table(np.array([0.5]), np.array([1]))["b"].tolist() == pytest.approx(np.arange(1, 10) / 10)


@pytest.mark.parametrize("m", [np.array([0.2, 0.9, 0.5]), np.array([[0.2, 0.8], [0.6, 0.4]])])
def test_plot_marginals_histogram_writes_png(m, tmp_path):
    fig = plot_marginals_histogram(m, path=tmp_path / "h.png", bins=5)
    bars = fig.axes[0].patches
    assert len(bars) == 5 * (1 if m.ndim == 1 else 2)
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"


def test_plot_marginals_histogram_rejects_nan():
    with pytest.raises(ModelError):
        plot_marginals_histogram(np.array([0.1, np.nan]))
