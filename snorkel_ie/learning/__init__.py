"""Learning: the generative label model, structure learning, end models and search.

Snorkel 0.7 notebooks import ``GenerativeModel`` and ``RandomSearch`` from here.
"""

from __future__ import annotations

from snorkel_ie._lazy import lazy_exports

_EXPORTS = {
    "BiLSTM": "snorkel_ie.learning.discriminative",
    "SparseLogisticRegression": "snorkel_ie.learning.discriminative",
    "reRNN": "snorkel_ie.learning.discriminative",
    "DEP_EXCLUSIVE": "snorkel_ie.learning.generative",
    "DEP_FIXING": "snorkel_ie.learning.generative",
    "DEP_REINFORCING": "snorkel_ie.learning.generative",
    "DEP_SIMILAR": "snorkel_ie.learning.generative",
    "DependencySelector": "snorkel_ie.learning.generative",
    "GenerativeModel": "snorkel_ie.learning.generative",
    "GenerativeModelWeights": "snorkel_ie.learning.generative",
    "optimize": "snorkel_ie.learning.generative",
    "GridSearch": "snorkel_ie.learning.tuning",
    "RandomSearch": "snorkel_ie.learning.tuning",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
