"""Turn relation candidates into marked token sequences and integer id arrays.

The two argument spans of a candidate are marked in its sentence as the original
Snorkel reRNN did: ``~~[[1`` before the first argument's tokens, ``1]]~~`` after them,
and ``~~[[2`` / ``2]]~~`` around the second. Words are lowercased.

A document-scope candidate whose arguments lie in different sentences reads the
sentences from the first argument's to the second's, both arguments marked in their
own sentence; when more than ``max_gap`` sentences lie between them, only each
argument's sentence is read, joined by the token ``~~gap~~``. Truncation
(:func:`truncate_around_markers`) keeps a window around each argument when the two are
further apart than the length allows. The conversion is a
plain function over words and token ranges (:func:`mark_sequence`), with a thin adapter
over candidate objects (:func:`candidate_to_sequence`), so it can be used and tested
without a database.

Examples
--------
>>> mark_sequence(["Barack", "Obama", "married", "Michelle"], (0, 1), (3, 3))
['~~[[1', 'barack', 'obama', '1]]~~', 'married', '~~[[2', 'michelle', '2]]~~']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from snorkel_ie.errors import ModelError

__all__ = [
    "GAP",
    "MARKERS",
    "PAD_ID",
    "UNK_ID",
    "Vocabulary",
    "candidate_to_sequence",
    "candidates_to_sequences",
    "mark_sentences",
    "mark_sequence",
    "truncate_around_markers",
]

MARKERS = ("~~[[1", "1]]~~", "~~[[2", "2]]~~")
GAP = "~~gap~~"
"""Stands for the sentences left out between two arguments' sentences (and a cut of truncation)."""
PAD_ID = 0
UNK_ID = 1


def mark_sequence(
    words: Sequence[str],
    span1: tuple[int, int],
    span2: tuple[int, int],
    *,
    lower: bool = True,
) -> list[str]:
    """Insert argument markers around two token ranges of a sentence.

    Parameters
    ----------
    words
        The sentence's tokens.
    span1, span2
        ``(first, last)`` token indices (inclusive) of the first and second argument.
    lower
        Lowercase the words (markers are unchanged).

    Returns
    -------
    list of str
        The tokens with ``~~[[1``/``1]]~~`` around argument 1 and ``~~[[2``/``2]]~~``
        around argument 2. When the spans nest or overlap the markers are placed in
        position order, opening markers before closing ones at the same position.
    """
    n = len(words)
    for name, (start, end) in (("span1", span1), ("span2", span2)):
        if not 0 <= start <= end < n:
            raise ModelError(f"{name}={(start, end)} is not a token range of a {n}-token sentence; expected 0 <= start <= end < {n}")
    # (position, order, marker): openings sort before closings at the same position.
    inserts = [
        (span1[0], 1, MARKERS[0]),
        (span1[1] + 1, 0, MARKERS[1]),
        (span2[0], 1, MARKERS[2]),
        (span2[1] + 1, 0, MARKERS[3]),
    ]
    inserts.sort()
    out: list[str] = []
    k = 0
    for i, w in enumerate(words):
        while k < len(inserts) and inserts[k][0] == i:
            out.append(inserts[k][2])
            k += 1
        out.append(w.lower() if lower else w)
    out.extend(m for _, _, m in inserts[k:])
    return out


def truncate_around_markers(tokens: Sequence[str], max_len: int) -> list[str]:
    """Cut a marked sequence to at most ``max_len`` tokens, keeping the arguments.

    The window starts at the first marker and is widened on both sides as evenly as the
    sequence allows. When the arguments lie further apart than ``max_len`` (e.g. in
    different sentences), each argument keeps a window of half the length around it and
    the two windows are joined by :data:`GAP`; an argument longer than its window keeps
    its first tokens.
    """
    if len(tokens) <= max_len:
        return list(tokens)
    pos = [i for i, t in enumerate(tokens) if t in MARKERS]
    lo, hi = (min(pos), max(pos) + 1) if pos else (0, 0)
    if hi - lo > max_len and max_len >= 5:
        first = [i for i, t in enumerate(tokens) if t in MARKERS[:2]]
        second = [i for i, t in enumerate(tokens) if t in MARKERS[2:]]
        if first and second:
            (a0, a1), (b0, b1) = sorted([(min(first), max(first) + 1), (min(second), max(second) + 1)])
            if a1 <= b0:  # two disjoint windows
                half = (max_len - 1) // 2
                left = _window(tokens, a0, a1, half, hi_limit=b0)
                right = _window(tokens, b0, b1, max_len - 1 - len(left), lo_limit=a1)
                return [*left, GAP, *right]
    return _window(tokens, lo, hi, max_len)


def _window(
    tokens: Sequence[str], lo: int, hi: int, size: int, *, lo_limit: int = 0, hi_limit: int | None = None
) -> list[str]:
    """At most ``size`` tokens of ``tokens[lo_limit:hi_limit]`` around ``[lo, hi)``, as evenly as possible."""
    end = len(tokens) if hi_limit is None else hi_limit
    spare = size - (hi - lo)
    if spare <= 0:
        return list(tokens[lo : lo + size])
    left = min(lo - lo_limit, spare // 2)
    right = min(end - hi, spare - left)
    left = min(lo - lo_limit, spare - right)
    return list(tokens[lo - left : hi + right])


def mark_sentences(
    sentences: Sequence[Sequence[str]],
    span1: tuple[int, int, int],
    span2: tuple[int, int, int],
    *,
    lower: bool = True,
) -> list[str]:
    """Markers around two token ranges of consecutive sentences, read as one sequence.

    ``span1``/``span2`` are ``(sentence index, first, last)`` (token indices inclusive,
    into that sentence of ``sentences``).

    Examples
    --------
    >>> mark_sentences([["Aspirin", "helps", "."], ["Headache", "goes"]], (0, 0, 0), (1, 0, 0))
    ['~~[[1', 'aspirin', '1]]~~', 'helps', '.', '~~[[2', 'headache', '2]]~~', 'goes']
    """
    offsets = np.cumsum([0, *(len(s) for s in sentences)])
    for name, (k, start, end) in (("span1", span1), ("span2", span2)):
        if not 0 <= k < len(sentences) or not 0 <= start <= end < len(sentences[k]):
            raise ModelError(f"{name}={(k, start, end)} is not a token range of sentence {k} of {len(sentences)}")
    flat = [w for s in sentences for w in s]
    g1 = (int(offsets[span1[0]]) + span1[1], int(offsets[span1[0]]) + span1[2])
    g2 = (int(offsets[span2[0]]) + span2[1], int(offsets[span2[0]]) + span2[2])
    return mark_sequence(flat, g1, g2, lower=lower)


def candidate_to_sequence(candidate: Any, *, lower: bool = True, max_gap: int = 2) -> list[str]:
    """Marked token sequence of a binary relation candidate.

    ``candidate.get_contexts()`` must give two spans, each with ``.sentence.words``,
    ``get_word_start()`` and ``get_word_end()``. Spans of one sentence read that sentence.
    Spans of different sentences (document scope) read the sentences from the first to
    the last of the two (``candidate.get_parent().sentences``, by ``position``) when at
    most ``max_gap`` sentences lie between them, else each argument's sentence with
    :data:`GAP` between.
    """
    contexts = candidate.get_contexts()
    if len(contexts) != 2:
        raise ModelError(f"candidate {getattr(candidate, 'id', candidate)!r} has {len(contexts)} arguments; the BiLSTM expects 2")
    s1, s2 = contexts
    r1, r2 = (s1.get_word_start(), s1.get_word_end()), (s2.get_word_start(), s2.get_word_end())
    sent1, sent2 = s1.sentence, s2.sentence
    if sent1 is sent2 or _sentence_key(sent1) == _sentence_key(sent2):
        return mark_sequence(sent1.words, r1, r2, lower=lower)
    p1, p2 = sent1.position, sent2.position
    lo, hi = min(p1, p2), max(p1, p2)
    if hi - lo - 1 <= max_gap:
        by_position = {s.position: s for s in candidate.get_parent().sentences if lo <= s.position <= hi}
        words = [by_position[p].words for p in range(lo, hi + 1)]
        return mark_sentences(words, (p1 - lo, *r1), (p2 - lo, *r2), lower=lower)
    first, second = (sent1, sent2) if p1 < p2 else (sent2, sent1)
    words = [first.words, [GAP], second.words]
    k1, k2 = (0, 2) if p1 < p2 else (2, 0)
    seq = mark_sentences(words, (k1, *r1), (k2, *r2), lower=lower)
    return seq


def _sentence_key(sentence: Any) -> Any:
    return getattr(sentence, "id", None) or id(sentence)


def candidates_to_sequences(X: Sequence[Any], *, lower: bool = True) -> list[list[str]]:
    """Marked token sequences of ``X``.

    Elements of ``X`` that are already token sequences (lists or tuples of str) are
    passed through unchanged; other elements are treated as candidates.
    """
    out: list[list[str]] = []
    for x in X:
        if isinstance(x, list | tuple) and (len(x) == 0 or isinstance(x[0], str)):
            out.append(list(x))
        else:
            out.append(candidate_to_sequence(x, lower=lower))
    return out


class Vocabulary:
    """Word <-> integer id mapping; id 0 pads, id 1 is the unknown word.

    Parameters
    ----------
    words
        Words in id order, starting at id 2.
    """

    def __init__(self, words: Iterable[str] = ()):
        self.words: list[str] = ["<pad>", "<unk>"]
        self.index: dict[str, int] = {}
        for w in words:
            self.add(w)

    def add(self, word: str) -> int:
        """Add ``word`` if missing and return its id."""
        i = self.index.get(word)
        if i is None:
            i = len(self.words)
            self.index[word] = i
            self.words.append(word)
        return i

    def __len__(self) -> int:
        return len(self.words)

    def lookup(self, word: str) -> int:
        return self.index.get(word, UNK_ID)

    @classmethod
    def build(cls, sequences: Iterable[Sequence[str]], *, max_vocab: int | None = None, min_count: int = 1) -> Vocabulary:
        """Vocabulary of the most frequent words of ``sequences`` (markers always included).

        Ties in frequency are broken alphabetically so that the result does not depend
        on the order of ``sequences``.
        """
        counts = Counter(w for seq in sequences for w in seq if w not in MARKERS and w != GAP)
        ranked = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        if max_vocab is not None:
            ranked = ranked[: max(max_vocab - len(MARKERS) - 3, 0)]
        return cls([*MARKERS, GAP, *ranked])

    def encode(self, sequences: Iterable[Sequence[str]]) -> list[np.ndarray]:
        """Integer id arrays (int32) of ``sequences``; unknown words map to ``UNK_ID``."""
        get = self.index.get
        return [np.fromiter((get(w, UNK_ID) for w in seq), dtype=np.int32, count=len(seq)) for seq in sequences]


def pad_batch(encoded: Sequence[np.ndarray], idx: np.ndarray, *, length: int | None = None) -> np.ndarray:
    """Right-padded ``(len(idx), L)`` int32 matrix of ``encoded[i]`` for ``i`` in ``idx``.

    ``L`` is the longest selected sequence unless ``length`` is given.
    """
    L = length if length is not None else max((len(encoded[i]) for i in idx), default=1)
    out = np.zeros((len(idx), max(L, 1)), dtype=np.int32)
    for r, i in enumerate(idx):
        seq = encoded[i][: out.shape[1]]
        out[r, : len(seq)] = seq
    return out
