"""``TextRNN``: the BiLSTM over a whole text, for text classification (Snorkel 0.7's TensorFlow ``TextRNN``).

It reads each candidate's sentence (for a :class:`~snorkel_ie.db.models.RawText` candidate,
the whole text) with no argument markers, and classifies from the final states of both
directions. Everything else (training arguments, marginals, scores, save/load) is
:class:`~snorkel_ie.learning.discriminative.BiLSTM`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from snorkel_ie.db.models.raw_text import text_token_arrays
from snorkel_ie.learning.discriminative import BiLSTM

__all__ = ["TextRNN"]


def text_sequence(x: Any, *, lower: bool = True) -> list[str]:
    """The tokens a text model reads: a token list as is, a string split into words, a candidate's sentence words."""
    if isinstance(x, list | tuple) and (len(x) == 0 or isinstance(x[0], str)):
        return list(x)
    if isinstance(x, str):
        words = text_token_arrays(x)["words"]
    else:
        words = list(x.get_parent().words)
    return [w.lower() for w in words] if lower else words


class TextRNN(BiLSTM):
    """Bidirectional LSTM text classifier over candidates' whole texts (e.g. ``RawText`` candidates).

    Parameters are :class:`~snorkel_ie.learning.discriminative.BiLSTM`'s; ``cardinality``
    gives the number of classes (``TextRNN(cardinality=Tweet.cardinality)``).

    Examples
    --------
    >>> lstm = TextRNN(seed=1701, cardinality=5)  # doctest: +SKIP
    >>> lstm.train(train_cands, train_marginals, n_epochs=20, dim=50)  # doctest: +SKIP
    >>> lstm.score(test_cands, test_labels)  # doctest: +SKIP
    """

    default_pooling = "final"

    def _sequences(self, X: Sequence[Any]) -> list[list[str]]:
        seqs = [text_sequence(x) for x in X]
        limit = self.settings.get("max_sentence_length")
        return [s[:limit] for s in seqs] if limit else seqs

    @staticmethod
    def portable_inputs(X: Sequence[Any] | None) -> list[list[str]] | None:
        return None if X is None else [text_sequence(x) for x in X]
