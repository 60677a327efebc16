"""Candidate spaces: which spans of a sentence are worth testing with a matcher.

A candidate space is any object with ``apply(sentence) -> Iterator[TemporarySpan]``.
:class:`Ngrams` yields every n-gram of up to ``n_max`` tokens, longest first, so a
span that contains another is always yielded before it (which is what
``longest_match_only`` in :mod:`snorkel_ie.candidates.matchers` relies on).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from snorkel_ie.db.models.context import TemporarySpan
from snorkel_ie.errors import CandidateError

__all__ = ["CandidateSpace", "Ngrams"]


class CandidateSpace:
    """Base class of candidate spaces."""

    def apply(self, sentence: Any) -> Iterator[TemporarySpan]:
        raise NotImplementedError


class Ngrams(CandidateSpace):
    """All n-grams of a sentence with up to ``n_max`` tokens, longest first.

    Parameters
    ----------
    n_max
        Longest n-gram, in tokens (positional or keyword, as in Snorkel 0.7: ``Ngrams(7)``).
    split_tokens
        Strings that split a single token into pieces ("cocaine-induced" ->
        "cocaine", "induced"). Every contiguous run of pieces is yielded right after
        the whole token, longer runs first. ``None`` or ``()`` turns splitting off.

    Examples
    --------
    >>> spans = list(Ngrams(n_max=2).apply(sentence))  # doctest: +SKIP
    >>> [s.get_span() for s in spans]  # doctest: +SKIP
    ['Aspirin causes', 'causes bleeding', 'Aspirin', 'causes', 'bleeding']
    """

    def __init__(self, n_max: int = 5, split_tokens: Sequence[str] | None = ("-", "/")):
        # Positional, unlike most options here: Snorkel 0.7 notebooks write ``Ngrams(7)``.
        if isinstance(n_max, bool) or not isinstance(n_max, int) or n_max < 1:
            raise CandidateError(f"Ngrams: n_max must be a positive integer; got {n_max!r}")
        split_tokens = tuple(split_tokens or ())
        if not all(isinstance(t, str) and t for t in split_tokens):
            raise CandidateError(f"Ngrams: split_tokens must be non-empty strings; got {split_tokens!r}")
        self.n_max = n_max
        self.split_tokens = split_tokens
        self._split = re.compile("|".join(re.escape(t) for t in split_tokens)) if split_tokens else None

    def apply(self, sentence: Any) -> Iterator[TemporarySpan]:
        """Yield the n-grams of ``sentence`` (a Sentence or any row with words/char_offsets/id)."""
        words = sentence.words
        offsets = sentence.char_offsets
        n_tokens = len(words)
        for n in range(min(self.n_max, n_tokens), 0, -1):
            for i in range(n_tokens - n + 1):
                start = offsets[i]
                end = offsets[i + n - 1] + len(words[i + n - 1])
                if end <= start:
                    continue
                yield TemporarySpan(sentence, start, end)
                if n == 1 and self._split is not None:
                    yield from self._pieces(sentence, start, words[i])

    def _pieces(self, sentence: Any, start: int, word: str) -> Iterator[TemporarySpan]:
        bounds = []
        pos = 0
        for m in self._split.finditer(word):
            if m.start() > pos:
                bounds.append((pos, m.start()))
            pos = m.end()
        if pos < len(word):
            bounds.append((pos, len(word)))
        k = len(bounds)
        if k == 0 or (k == 1 and bounds[0] == (0, len(word))):
            return
        for width in range(k, 0, -1):
            for i in range(k - width + 1):
                a, b = bounds[i][0], bounds[i + width - 1][1]
                if (a, b) != (0, len(word)):
                    yield TemporarySpan(sentence, start + a, start + b)

    def __repr__(self) -> str:
        return f"Ngrams(n_max={self.n_max}, split_tokens={self.split_tokens!r})"
