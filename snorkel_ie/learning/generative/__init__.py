"""The generative label model (data programming) and its dependency types."""

from snorkel_ie.learning.generative.dependencies import DEP_EXCLUSIVE, DEP_FIXING, DEP_REINFORCING, DEP_SIMILAR
from snorkel_ie.learning.generative.model import GenerativeModel, GenerativeModelWeights

__all__ = [
    "DEP_EXCLUSIVE",
    "DEP_FIXING",
    "DEP_REINFORCING",
    "DEP_SIMILAR",
    "GenerativeModel",
    "GenerativeModelWeights",
]

from snorkel_ie.learning.generative.optimizer import OptimizerResult, optimize
from snorkel_ie.learning.generative.structure import DependencySelector

__all__ += ["DependencySelector", "OptimizerResult", "optimize"]
