"""The generative label model (data programming) and its dependency types."""

from snorkel_ie.learning.generative.dependencies import DEP_EXCLUSIVE, DEP_FIXING, DEP_REINFORCING, DEP_SIMILAR
from snorkel_ie.learning.generative.model import GenerativeModel, GenerativeModelWeights
from snorkel_ie.learning.generative.optimizer import OptimizerResult, optimize
from snorkel_ie.learning.generative.selection import SelectionResult, select_model
from snorkel_ie.learning.generative.structure import DependencySelector

__all__ = [
    "DEP_EXCLUSIVE",
    "DEP_FIXING",
    "DEP_REINFORCING",
    "DEP_SIMILAR",
    "DependencySelector",
    "GenerativeModel",
    "GenerativeModelWeights",
    "OptimizerResult",
    "SelectionResult",
    "optimize",
    "select_model",
]
