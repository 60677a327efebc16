"""Snorkel 0.7's ``snorkel.learning.utils`` path: the scoring helpers, re-exported from :mod:`snorkel_ie.scoring`.

Scoring lives on the ground floor (labeling uses it too, and labeling does not import
``learning``); this module keeps the 0.7 import path working and adds 0.7's own names.
"""

from __future__ import annotations

from typing import Any

from snorkel_ie.scoring import (
    BinaryScores,
    as_label_vector,
    binary_prf,
    binary_scores,
    categorical_accuracy,
    categorical_prf,
    predictions_from_marginals,
    print_binary_report,
)

__all__ = [
    "BinaryScores",
    "as_label_vector",
    "binary_prf",
    "binary_scores",
    "categorical_accuracy",
    "categorical_prf",
    "predictions_from_marginals",
    "print_binary_report",
    "print_scores",
]


def _count(x: Any) -> int:
    return len(x) if hasattr(x, "__len__") else int(x)


def print_scores(ntp: Any, nfp: Any, ntn: Any, nfn: Any, title: str = "Scores") -> BinaryScores:
    """Snorkel 0.7's ``print_scores``: show precision, recall and F1 of confusion counts (or sets).

    Each argument is a count, or a collection (0.7's error-analysis sets) whose size is
    the count. Returns the counts as :class:`BinaryScores`.
    """
    scores = BinaryScores(_count(ntp), _count(nfp), _count(ntn), _count(nfn))
    print_binary_report(scores, title=title)
    return scores
