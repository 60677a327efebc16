"""Default sparse features of a candidate, for :class:`~snorkel_ie.labeling.FeatureAnnotator`.

For each candidate: the lemmas of each argument, a bag of lemmas between the arguments
(and their whole sequence when short), windows of lemmas left of the first and right of
the last argument, and the dependency path between the arguments' head tokens, read from
the sentence's ``dep_parents`` (1-based heads, 0 for the root, as Snorkel 0.7) and
``dep_labels``. Works on ORM candidates and on the annotators' candidate views.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

WINDOW = 3
MAX_SEQ = 5
MAX_PATH = 10


def _tokens(sentence: Any) -> list[str]:
    """Lower-cased lemmas, or the word where the pipeline gave no lemma (a blank pipeline gives none)."""
    words = sentence.words
    lemmas = getattr(sentence, "lemmas", None) or [""] * len(words)
    return [str(lemma or word).lower() for lemma, word in zip(lemmas, words, strict=True)]


def get_span_feats(candidate: Any) -> Iterator[str]:
    """Feature names of ``candidate`` (value 1.0 each).

    Arguments in different sentences (document-scope candidates) read each argument
    in its own sentence; the between features cover the tokens across the sentence
    boundaries, a ``SENT_DIST`` feature says how far apart they lie, and there is no
    dependency path.
    """
    spans = list(candidate.get_contexts())
    if not spans:
        return
    sentence = spans[0].sentence
    if any(not _same(s.sentence, sentence) for s in spans):
        yield from _cross_sentence_feats(spans)
        return
    toks = _tokens(sentence)
    ranges = [(s.get_word_start(), s.get_word_end()) for s in spans]
    for i, (a, b) in enumerate(ranges):
        for t in toks[a : b + 1]:
            yield f"ARG{i}_WORD[{t}]"
    order = sorted(range(len(ranges)), key=lambda i: ranges[i])
    first, last = ranges[order[0]], ranges[order[-1]]
    inverted = "INV_" if order[0] != 0 else ""
    for t in toks[max(0, first[0] - WINDOW) : first[0]]:
        yield f"LEFT_WORD[{t}]"
    for t in toks[last[1] + 1 : last[1] + 1 + WINDOW]:
        yield f"RIGHT_WORD[{t}]"
    if len(ranges) >= 2:
        between = toks[first[1] + 1 : last[0]]
        for t in set(between):
            yield f"{inverted}BETWEEN_WORD[{t}]"
        if len(between) <= MAX_SEQ:
            yield f"{inverted}BETWEEN_SEQ[{' '.join(between)}]"
        path = dependency_path(sentence, ranges[0], ranges[1])
        if path is not None:
            yield f"DEP_PATH[{path}]"


def _same(a: Any, b: Any) -> bool:
    return a is b or (getattr(a, "id", None) is not None and getattr(a, "id", None) == getattr(b, "id", None))


def _cross_sentence_feats(spans: Sequence[Any]) -> Iterator[str]:
    """Features of arguments in different sentences: each argument with its own sentence's window."""
    from snorkel_ie.labeling.document_helpers import doc_order, tokens_between

    for i, s in enumerate(spans):
        toks = _tokens(s.sentence)
        a, b = s.get_word_start(), s.get_word_end()
        for t in toks[a : b + 1]:
            yield f"ARG{i}_WORD[{t}]"
        for t in toks[max(0, a - WINDOW) : a]:
            yield f"ARG{i}_LEFT_WORD[{t}]"
        for t in toks[b + 1 : b + 1 + WINDOW]:
            yield f"ARG{i}_RIGHT_WORD[{t}]"
    if len(spans) >= 2:
        order = sorted(range(len(spans)), key=lambda i: doc_order(spans[i]))
        first, last = spans[order[0]], spans[order[-1]]
        inverted = "INV_" if order[0] != 0 else ""
        distance = (last.sentence.position or 0) - (first.sentence.position or 0)
        yield f"{inverted}SENT_DIST[{min(distance, 5)}]"
        between = [str(t).lower() for t in tokens_between(first, last, "words")]
        for t in set(between):
            yield f"{inverted}XSENT_BETWEEN_WORD[{t}]"


def _head(parents: Sequence[int], a: int, b: int) -> int:
    """The token of ``a..b`` whose head lies outside the range (the span's syntactic head)."""
    for i in range(a, b + 1):
        p = parents[i] - 1
        if p < a or p > b:
            return i
    return b


def _ancestors(parents: Sequence[int], i: int) -> list[int]:
    out = [i]
    while parents[out[-1]] > 0 and len(out) <= len(parents):
        out.append(parents[out[-1]] - 1)
    return out


def dependency_path(sentence: Any, r1: tuple[int, int], r2: tuple[int, int]) -> str | None:
    """The labelled dependency path between the heads of two token ranges, e.g. ``nsubj< marry >dobj``.

    ``<`` goes up from a dependent to its head, ``>`` down; lemmas of the inner tokens are
    included. None without a parse or when the path is longer than ``MAX_PATH``.
    """
    parents = list(getattr(sentence, "dep_parents", None) or [])
    labels = list(getattr(sentence, "dep_labels", None) or [])
    if not parents or not any(parents) or len(parents) != len(labels):
        return None
    toks = _tokens(sentence)
    h1, h2 = _head(parents, *r1), _head(parents, *r2)
    up, down = _ancestors(parents, h1), _ancestors(parents, h2)
    common = next((t for t in up if t in set(down)), None)
    if common is None:
        return None
    left, right = up[: up.index(common)], down[: down.index(common)]
    if len(left) + len(right) > MAX_PATH:
        return None
    parts = []
    for k, t in enumerate(left):
        if k:
            parts.append(toks[t])
        parts.append(f"{labels[t]}<")
    if left and right:
        parts.append(toks[common])
    for k, t in enumerate(reversed(right)):
        parts.append(f">{labels[t]}")
        if k < len(right) - 1:
            parts.append(toks[t])
    return " ".join(parts) if parts else "SAME"
