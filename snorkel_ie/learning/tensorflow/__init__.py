"""Snorkel 0.7's ``snorkel.learning.tensorflow``: the TensorFlow end models.

``reRNN`` (relation extraction) and ``SparseLogisticRegression`` are the objects of
:mod:`snorkel_ie.learning.discriminative`; ``TextRNN`` classifies whole texts
(:class:`~snorkel_ie.db.models.RawText` candidates). Names load on first use, and
TensorFlow itself only when a model trains or loads.
"""

from __future__ import annotations

from snorkel_ie._lazy import lazy_exports

_EXPORTS = {
    "BiLSTM": "snorkel_ie.learning.discriminative",
    "SparseLogisticRegression": "snorkel_ie.learning.discriminative",
    "reRNN": "snorkel_ie.learning.discriminative",
    "TextRNN": "snorkel_ie.learning.tensorflow.text_rnn",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
