"""Snorkel 0.7's ``snorkel.learning.gen_learning``: the generative model and its dependency types.

Each name is the object of :mod:`snorkel_ie.learning.generative` itself.
"""

from snorkel_ie.learning.generative import (
    DEP_EXCLUSIVE,
    DEP_FIXING,
    DEP_REINFORCING,
    DEP_SIMILAR,
    GenerativeModel,
    GenerativeModelWeights,
)

__all__ = [
    "DEP_EXCLUSIVE",
    "DEP_FIXING",
    "DEP_REINFORCING",
    "DEP_SIMILAR",
    "GenerativeModel",
    "GenerativeModelWeights",
]
