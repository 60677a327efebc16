"""Snorkel 0.7's ``snorkel.utils``: label-matrix statistics and n-grams, by their 0.7 names.

Each name is the object of :mod:`snorkel_ie.labeling.stats` or
:mod:`snorkel_ie.labeling.lf_helpers` itself.
"""

from snorkel_ie.labeling.lf_helpers import tokens_to_ngrams
from snorkel_ie.labeling.stats import matrix_conflicts, matrix_coverage, matrix_overlaps, sparse_abs

__all__ = ["matrix_conflicts", "matrix_coverage", "matrix_overlaps", "sparse_abs", "tokens_to_ngrams"]
