"""Mention-aware text cutting and token arrays for :class:`~snorkel_ie.parsing.spacy_parser.Spacy`.

Before spaCy runs, a long text is cut at whitespace outside any mention
(:func:`safe_cuts`) and tokens are split at mention boundaries (:func:`split_tokens`).
After it runs, the parsed Doc's token arrays are grouped into sentences (merging
sentences that a mention crosses), tagged with the mentions' entity types and ids, and
filled with whatever lemmas, POS, NER and dependency tags the pipeline produced.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Any

from snorkel_ie.parsing.preprocessors import Mention

OUTSIDE = "O"
"""Value of ``entity_types``/``entity_cids`` (and ``ner_tags`` when NER ran) outside any entity."""


def safe_cuts(text: str, mentions: Sequence[Mention], limit: int) -> list[tuple[int, int]]:
    """Cut ``text`` into pieces of at most ``limit`` characters, never inside a mention.

    A cut prefers a paragraph break, then a line break, then any whitespace; a text
    without any falls back to a hard cut outside mentions.
    """
    inside = sorted((m.start, m.end) for m in mentions)
    cuts, start = [], 0
    while len(text) - start > limit:
        end = _best_cut(text, start, start + limit, inside)
        cuts.append((start, end))
        start = end
    cuts.append((start, len(text)))
    return cuts


def _best_cut(text: str, lo: int, hi: int, inside: list[tuple[int, int]]) -> int:
    def free(pos: int) -> bool:
        return not any(a < pos < b for a, b in inside)

    for sep in ("\n\n", "\n", " ", "\t"):
        pos = text.rfind(sep, lo + 1, hi)
        while pos > lo and not free(pos + len(sep)):
            pos = text.rfind(sep, lo + 1, pos)
        if pos > lo:
            return pos + len(sep)
    pos = hi
    while pos > lo + 1 and not free(pos):
        pos -= 1
    if pos > lo + 1:
        return pos
    while not free(hi):  # a mention longer than the limit: the piece grows to its end
        hi += 1
    return hi


def split_tokens(doc: Any, text: str, bounds: Sequence[int]) -> Any:
    """A Doc of the same ``text`` whose tokens also break at every offset in ``bounds``."""
    import numpy as np
    from spacy.attrs import IDX, LENGTH, SPACY
    from spacy.tokens import Doc

    arr = doc.to_array([IDX, LENGTH, SPACY]).view(np.int64)
    starts, ends = arr[:, 0], arr[:, 0] + arr[:, 1]
    b = np.asarray(bounds, dtype=np.int64)
    i = np.searchsorted(starts, b, side="right") - 1
    ok = i >= 0
    mid = ok & (starts[np.where(ok, i, 0)] < b) & (b < ends[np.where(ok, i, 0)])
    if not mid.any():
        return doc
    cut_at: dict[int, list[int]] = {}
    for tok, pos in zip(i[mid].tolist(), b[mid].tolist(), strict=True):
        cut_at.setdefault(tok, []).append(pos)
    words, spaces = [], []
    for k, (start, length, space) in enumerate(arr.tolist()):
        edges = [start, *sorted(cut_at.get(k, ())), start + length]
        for lo, hi in itertools.pairwise(edges):
            words.append(text[lo:hi])
            spaces.append(False)
        spaces[-1] = bool(space)
    return Doc(doc.vocab, words=words, spaces=spaces)


def _merge_for_mentions(
    sent_of: list[int], starts: list[int], ends: list[int], mentions: Sequence[Mention]
) -> list[tuple[int, int]]:
    """Token ranges ``[a, b)`` of sentences, merging sentences that one mention crosses."""
    joined: set[int] = set()  # sentence ids that continue the previous sentence
    for m in mentions:
        first = bisect_right(ends, m.start)
        last = bisect_left(starts, m.end) - 1
        if first > last:
            raise ValueError(f"mention [{m.start}, {m.end}) covers no token (only whitespace?)")
        joined.update(range(sent_of[first] + 1, sent_of[last] + 1))
    if not sent_of:
        return []
    cuts = [0]
    previous = sent_of[0]
    k = 0
    while True:  # jump from sentence to sentence instead of stepping through tokens
        k = bisect_right(sent_of, previous, lo=k)
        if k >= len(sent_of):
            break
        previous = sent_of[k]
        if previous not in joined:
            cuts.append(k)
    cuts.append(len(sent_of))
    return list(itertools.pairwise(cuts))


def _sentence_bounds(groups, starts, ends, mentions) -> list[tuple[int, int, int, int]]:
    """``(first token, end token, text start, text end)``; the text also covers its mentions."""
    bounds = [[a, b, starts[a], ends[b - 1]] for a, b in groups]
    group_starts = [a for a, _ in groups]
    for m in mentions:
        g = bounds[bisect_right(group_starts, bisect_right(ends, m.start)) - 1]
        g[2], g[3] = min(g[2], m.start), max(g[3], m.end)
    return [tuple(g) for g in bounds]


def _entity_tags(n: int, starts, ends, mentions) -> tuple[list[str], list[str]]:
    types, cids = [OUTSIDE] * n, [OUTSIDE] * n
    # longer mentions first, so a nested (more specific) mention wins its tokens
    for m in sorted(mentions, key=lambda m: m.start - m.end):
        for i in range(bisect_right(ends, m.start), bisect_left(starts, m.end)):
            types[i], cids[i] = m.type, m.cid
    return types, cids


def _mention_spans(mentions: Sequence[Mention], abs_starts: list[int], offset: int) -> list[tuple[int, int, int]]:
    """Sentence-relative spans; a mention belongs to the last sentence starting at or before it."""
    spans = set()
    for m in mentions:
        p = bisect_right(abs_starts, m.start + offset) - 1
        lo = abs_starts[p] - offset
        spans.add((p, m.start - lo, m.end - lo))
    return sorted(spans)


class _Tags:
    """Lemmas, POS, NER and dependency arrays, filled only where the pipeline produced them."""

    def __init__(self, doc: Any, keep: list[int]):
        self.has = {a: doc.has_annotation(a) for a in ("LEMMA", "TAG", "ENT_IOB", "DEP")}
        any_tags = any(self.has.values())
        self.tokens = [doc[i] for i in keep] if any_tags else []
        self.new_index = {old: new for new, old in enumerate(keep)} if self.has["DEP"] else {}

    def rows(self, a: int, b: int) -> dict[str, list[Any]]:
        n, toks = b - a, self.tokens[a:b]
        blank = [""] * n
        return {
            "lemmas": [t.lemma_ for t in toks] if self.has["LEMMA"] else blank,
            "pos_tags": [t.tag_ for t in toks] if self.has["TAG"] else blank,
            "ner_tags": [t.ent_type_ or OUTSIDE for t in toks] if self.has["ENT_IOB"] else blank,
            "dep_parents": self._heads(toks, a) if self.has["DEP"] else [0] * n,
            "dep_labels": [t.dep_ for t in toks] if self.has["DEP"] else blank,
        }

    def _heads(self, toks: list[Any], a: int) -> list[int]:
        """1-based head index inside the sentence; 0 for the root (as CoreNLP and Snorkel 0.7)."""
        out = []
        for t in toks:
            h = t.head
            while h.is_space and h.head.i != h.i:
                h = h.head
            j = self.new_index.get(h.i)
            out.append(0 if h.i == t.i or j is None else j - a + 1)
        return out
