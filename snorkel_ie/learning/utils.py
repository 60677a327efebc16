"""Snorkel 0.7's ``snorkel.learning.utils`` path: the scoring helpers, re-exported from :mod:`snorkel_ie.scoring`.

Scoring lives on the ground floor (labeling uses it too, and labeling does not import
``learning``); this module keeps the 0.7 import path working.
"""

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
]
