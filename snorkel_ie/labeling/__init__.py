"""Labeling: annotators, label matrices, gold labels, statistics and marginals.

The LF helpers (``lf_helpers``) and generators (``lf_generators``) are imported from
their own modules.
"""

from snorkel_ie.labeling.annotator import ApplySummary, FeatureAnnotator, LabelAnnotator, lf_hash
from snorkel_ie.labeling.authoring import LabelingFunction, labeling_function
from snorkel_ie.labeling.gold import (
    load_gold_labels,
    load_gold_labels_from_relations,
    load_gold_labels_from_tsv,
    save_gold_labels,
)
from snorkel_ie.labeling.marginals import load_marginals, save_marginals
from snorkel_ie.labeling.matrix import AnnotationMatrix, load_matrix
from snorkel_ie.labeling.scoring import majority_vote, majority_vote_score

csr_AnnotationMatrix = AnnotationMatrix  # Snorkel 0.7 name

__all__ = [
    "AnnotationMatrix",
    "ApplySummary",
    "FeatureAnnotator",
    "LabelAnnotator",
    "LabelingFunction",
    "csr_AnnotationMatrix",
    "labeling_function",
    "lf_hash",
    "load_gold_labels",
    "load_gold_labels_from_relations",
    "load_gold_labels_from_tsv",
    "load_marginals",
    "load_matrix",
    "majority_vote",
    "majority_vote_score",
    "save_gold_labels",
    "save_marginals",
]
