"""Learning: the generative label model, structure learning, end models and search.

Snorkel 0.7 notebooks import ``GenerativeModel`` and ``RandomSearch`` from here.
"""

from snorkel_ie.learning.discriminative import BiLSTM, SparseLogisticRegression, reRNN
from snorkel_ie.learning.generative import (
    DEP_EXCLUSIVE,
    DEP_FIXING,
    DEP_REINFORCING,
    DEP_SIMILAR,
    DependencySelector,
    GenerativeModel,
    GenerativeModelWeights,
    optimize,
)
from snorkel_ie.learning.tuning import GridSearch, RandomSearch

__all__ = [
    "DEP_EXCLUSIVE",
    "DEP_FIXING",
    "DEP_REINFORCING",
    "DEP_SIMILAR",
    "BiLSTM",
    "DependencySelector",
    "GenerativeModel",
    "GenerativeModelWeights",
    "GridSearch",
    "RandomSearch",
    "SparseLogisticRegression",
    "optimize",
    "reRNN",
]
