"""Evaluation helpers: a histogram of marginals and a precision-recall table over thresholds.

Plots are drawn on a :class:`matplotlib.figure.Figure` with the Agg canvas, so nothing
depends on (or changes) the pyplot backend; show the returned figure in a notebook or
pass ``path`` to write it to a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from snorkel_ie.errors import ModelError
from snorkel_ie.learning.utils import as_label_vector, binary_scores

__all__ = ["plot_marginals_histogram", "precision_recall_table"]


def plot_marginals_histogram(
    marginals: Any,
    *,
    bins: int = 20,
    title: str = "Predicted marginals",
    path: str | Path | None = None,
) -> Any:
    """Histogram of ``(n,)`` P(y=1) marginals (or of each class column of ``(n, k)``).

    Returns
    -------
    matplotlib.figure.Figure
        The figure; also saved to ``path`` when given.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    m = np.asarray(marginals, dtype=float)
    if m.ndim not in (1, 2) or m.size == 0 or not np.all(np.isfinite(m)):
        raise ModelError(f"marginals must be a non-empty finite (n,) or (n, k) array; got shape {m.shape}")
    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    if m.ndim == 1:
        ax.hist(m, bins=bins, range=(0.0, 1.0))
        ax.set_xlabel("P(y = 1)")
    else:
        ax.hist([m[:, j] for j in range(m.shape[1])], bins=bins, range=(0.0, 1.0),
                label=[f"class {j + 1}" for j in range(m.shape[1])])
        ax.set_xlabel("P(y = class)")
        ax.legend()
    ax.set_ylabel("candidates")
    ax.set_title(title)
    if path is not None:
        fig.savefig(path)
    return fig


def precision_recall_table(marginals: Any, gold: Any, *, thresholds: Sequence[float] | None = None) -> pd.DataFrame:
    """Precision, recall and F1 of binary marginals at each decision threshold.

    A candidate is predicted positive when its marginal is above the threshold
    (Snorkel 0.7's ``> b``); gold 0 (unknown) is ignored.

    Returns
    -------
    pandas.DataFrame
        Columns ``b``, ``Prec.``, ``Rec.``, ``F-1``, ``TP``, ``FP``, ``FN``; one row per
        threshold (default 0.1, 0.2, ..., 0.9).
    """
    m = np.asarray(marginals, dtype=float)
    g = as_label_vector(gold)
    if m.ndim != 1 or len(m) != len(g):
        raise ModelError(f"need (n,) marginals and n gold labels; got shapes {m.shape} and {g.shape}")
    rows = []
    for b in thresholds if thresholds is not None else np.round(np.arange(0.1, 1.0, 0.1), 2):
        s = binary_scores(np.where(m > b, 1, -1), g)
        p = s.tp / (s.tp + s.fp) if s.tp + s.fp else 0.0
        r = s.tp / (s.tp + s.fn) if s.tp + s.fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        rows.append({"b": float(b), "Prec.": p, "Rec.": r, "F-1": f1, "TP": s.tp, "FP": s.fp, "FN": s.fn})
    return pd.DataFrame(rows)
