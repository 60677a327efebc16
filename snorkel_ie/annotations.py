"""Snorkel 0.7's ``snorkel.annotations``: annotators, annotation matrices, gold labels and marginals.

Each name is the object of :mod:`snorkel_ie.labeling` itself.
"""

from snorkel_ie.labeling import (
    AnnotationMatrix,
    FeatureAnnotator,
    LabelAnnotator,
    csr_AnnotationMatrix,
    load_gold_labels,
    load_marginals,
    load_matrix,
    save_marginals,
)

__all__ = [
    "AnnotationMatrix",
    "FeatureAnnotator",
    "LabelAnnotator",
    "csr_AnnotationMatrix",
    "load_gold_labels",
    "load_marginals",
    "load_matrix",
    "save_marginals",
]
