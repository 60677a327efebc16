"""Snorkel 0.7's ``snorkel.learning.pytorch``: ``LSTM`` with 0.7's PyTorch interface, run on TensorFlow.

No PyTorch is needed: :class:`~snorkel_ie.learning.pytorch.rnn.LSTM` takes the PyTorch
model's arguments and trains snorkel-ie's BiLSTM (see its docstring for the mapping).
"""

from __future__ import annotations

from snorkel_ie._lazy import lazy_exports

_EXPORTS = {"LSTM": "snorkel_ie.learning.pytorch.rnn"}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
