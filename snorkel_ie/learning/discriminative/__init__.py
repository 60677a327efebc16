"""Discriminative end models trained on the generative model's marginals.

:class:`BiLSTM` (TensorFlow, imported only when a model is trained or loaded) reads the
candidates' marked sentences; :class:`SparseLogisticRegression` (numpy/scipy) reads a
sparse feature matrix. Both minimise the noise-aware loss and share the scoring
interface of :class:`~snorkel_ie.learning.discriminative.base.NoiseAwareClassifier`.
"""

from snorkel_ie.learning.discriminative.base import NoiseAwareClassifier
from snorkel_ie.learning.discriminative.bilstm import BiLSTM, reRNN
from snorkel_ie.learning.discriminative.inputs import Vocabulary, candidate_to_sequence, mark_sequence
from snorkel_ie.learning.discriminative.logistic import SparseLogisticRegression

__all__ = [
    "BiLSTM",
    "NoiseAwareClassifier",
    "SparseLogisticRegression",
    "Vocabulary",
    "candidate_to_sequence",
    "mark_sequence",
    "reRNN",
]
