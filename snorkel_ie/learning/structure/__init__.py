"""Snorkel 0.7's ``snorkel.learning.structure``: dependency selection and synthetic label matrices.

``DependencySelector`` is the object of :mod:`snorkel_ie.learning.generative` itself;
``generate_model`` and ``generate_label_matrix`` (0.7's synthetic generator) live in
:mod:`.synthetic`.
"""

from snorkel_ie.learning.generative import DependencySelector
from snorkel_ie.learning.structure.synthetic import generate_label_matrix, generate_model

__all__ = ["DependencySelector", "generate_label_matrix", "generate_model"]
