"""Matchers: pure predicates over spans that pick candidate arguments out of a candidate space.

Every matcher has ``f(span) -> bool`` (also available as ``matcher(span)``) and
``apply(spans)``, which yields the spans that pass; with ``longest_match_only`` (the
default) a span is dropped when it lies inside a span that already passed, so feed it
spans longest first (as :class:`~snorkel_ie.candidates.ngrams.Ngrams` yields them).

A matcher given child matchers passes a span only when it and every child pass
(``DictionaryMatch(RegexMatchSpan(...), d=...)``); the combinators :class:`Union`,
:class:`Intersect`, :class:`Inverse`, :class:`Concat` and :class:`SlotFillMatch` compose
them explicitly. Constructors validate their arguments, so a typo fails at once, not
halfway through a corpus. Every option of Snorkel 0.7's matchers is accepted; the few
that cannot mean anything for a matcher (``sep`` where tokens are tested one at a time,
``ignore_case``/``attrib`` of :class:`LambdaFunctionMatcher`) give a warning instead of
being dropped in silence.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from snorkel_ie.db.models.context import SpanMixin
from snorkel_ie.errors import CandidateError

__all__ = [
    "DateMatcher",
    "DictionaryMatch",
    "LambdaFunctionMatcher",
    "LocationMatcher",
    "Matcher",
    "MiscMatcher",
    "NERTagMatcher",
    "NumberMatcher",
    "OrganizationMatcher",
    "PersonMatcher",
    "RegexMatchEach",
    "RegexMatchSpan",
]


class Matcher:
    """Base matcher: passes every span its children pass.

    Parameters
    ----------
    *children
        Matchers that must also pass (logical AND).
    longest_match_only
        In :meth:`apply`, drop a span contained in a span that already passed.
    """

    def __init__(self, *children: Matcher, longest_match_only: bool = True):
        for child in children:
            if not isinstance(child, Matcher):
                raise CandidateError(
                    f"{type(self).__name__}: children must be matchers; got {type(child).__name__} {child!r}. "
                    "Pass options as keywords, e.g. DictionaryMatch(d=names)."
                )
        self.children = children
        self.longest_match_only = bool(longest_match_only)

    def _f(self, span: SpanMixin) -> bool:
        return True

    def f(self, span: SpanMixin) -> bool:
        """True when ``span`` passes this matcher and all of its children."""
        return bool(self._f(span)) and all(child.f(span) for child in self.children)

    def __call__(self, span: SpanMixin) -> bool:
        return self.f(span)

    def apply(self, spans: Iterable[SpanMixin]) -> Iterator[SpanMixin]:
        """Yield the spans that pass, longest matches only unless ``longest_match_only=False``."""
        kept: list[tuple[Any, int, int]] = []
        for span in spans:
            if not self.f(span):
                continue
            if self.longest_match_only:
                sid, start, end = span.sentence.id, span.char_start, span.char_end
                if any(s == sid and a <= start and end <= b for s, a, b in kept):
                    continue
                kept.append((sid, start, end))
            yield span

    def __repr__(self) -> str:
        inner = ", ".join(repr(c) for c in self.children)
        return f"{type(self).__name__}({inner})"


def _warn_no_effect(message: str) -> None:
    """Warn, pointing at the first caller outside this module (the user's constructor call)."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)


def _check_attrib(owner: str, attrib: str) -> str:
    if not isinstance(attrib, str) or not attrib:
        raise CandidateError(f"{owner}: attrib must be a token attribute name such as 'words'; got {attrib!r}")
    return attrib


def _load_stemmer(stemmer: Any) -> Any:
    if stemmer is None or hasattr(stemmer, "stem"):
        return stemmer
    if stemmer == "porter":
        try:
            from nltk.stem.porter import PorterStemmer
        except ImportError as err:
            raise CandidateError(
                "DictionaryMatch(stemmer='porter') needs nltk (pip install nltk), or pass any object with a "
                ".stem(word) method"
            ) from err
        return PorterStemmer()
    raise CandidateError(f"DictionaryMatch: stemmer must be None, 'porter' or an object with .stem(); got {stemmer!r}")


class DictionaryMatch(Matcher):
    """Spans whose text (or ``attrib`` tokens joined by spaces) is a phrase of ``d``.

    Parameters
    ----------
    d
        The phrases: any iterable of strings (a dict's keys count); not a single string.
    ignore_case
        Compare lower-cased.
    attrib
        Token attribute to compare; ``'words'`` compares the span's exact text.
    stemmer
        ``None``, ``'porter'`` (needs nltk) or an object with ``.stem(word)``; every
        whitespace-separated word of the phrases and spans is stemmed.
    reverse
        Pass the spans *not* in ``d``.
    """

    def __init__(
        self,
        *children: Matcher,
        d: Iterable[str],
        ignore_case: bool = True,
        attrib: str = "words",
        longest_match_only: bool = True,
        stemmer: Any = None,
        reverse: bool = False,
    ):
        super().__init__(*children, longest_match_only=longest_match_only)
        if isinstance(d, (str, bytes)) or not isinstance(d, Iterable):
            raise CandidateError(f"DictionaryMatch: d must be an iterable of phrases, not {type(d).__name__}")
        self.ignore_case = bool(ignore_case)
        self.attrib = _check_attrib("DictionaryMatch", attrib)
        self.stemmer = _load_stemmer(stemmer)
        self.reverse = bool(reverse)
        phrases = set()
        for w in d:
            if not isinstance(w, str):
                raise CandidateError(f"DictionaryMatch: every entry of d must be a string; got {w!r}")
            phrases.add(self._normalise(w))
        self.d = frozenset(phrases)

    def _normalise(self, text: str) -> str:
        text = text.lower() if self.ignore_case else text
        if self.stemmer is not None:
            text = " ".join(self.stemmer.stem(w) for w in text.split())
        return text

    def _f(self, span: SpanMixin) -> bool:
        return (self._normalise(span.get_attrib_span(self.attrib)) in self.d) != self.reverse

    def __repr__(self) -> str:
        return f"DictionaryMatch(d=<{len(self.d)} phrases>, attrib={self.attrib!r}, ignore_case={self.ignore_case})"


class LambdaFunctionMatcher(Matcher):
    """Spans for which ``func(span)`` is truthy.

    With ``parallelism > 1`` the function travels to worker processes: make it a
    module-level function, not a lambda.

    Parameters
    ----------
    func
        Called with each span.
    ignore_case, attrib
        Accepted for Snorkel 0.7 notebooks, which could pass them, but ``func`` receives
        the span itself, so they cannot change what it sees: passing either gives a
        warning. Read ``span.get_attrib_span(attrib).lower()`` inside ``func`` instead.
        Kept as attributes (defaults ``True`` and ``'words'``, as 0.7).
    """

    def __init__(
        self,
        *children: Matcher,
        func: Callable[[SpanMixin], Any],
        ignore_case: bool | None = None,
        attrib: str | None = None,
        longest_match_only: bool = True,
    ):
        super().__init__(*children, longest_match_only=longest_match_only)
        if not callable(func):
            raise CandidateError(f"LambdaFunctionMatcher: func must be callable; got {func!r}")
        self.func = func
        self.ignore_case = True if ignore_case is None else bool(ignore_case)
        self.attrib = "words" if attrib is None else _check_attrib("LambdaFunctionMatcher", attrib)
        given = [name for name, value in (("ignore_case", ignore_case), ("attrib", attrib)) if value is not None]
        if given:
            _warn_no_effect(
                f"LambdaFunctionMatcher: {' and '.join(given)} {'has' if len(given) == 1 else 'have'} no effect: "
                "func receives the span itself; "
                "apply the attribute or the case folding inside func"
            )

    def _f(self, span: SpanMixin) -> bool:
        return bool(self.func(span))

    def __repr__(self) -> str:
        return f"LambdaFunctionMatcher(func={getattr(self.func, '__name__', self.func)!r})"


class _RegexMatch(Matcher):
    _joins_tokens = True  # whether ``sep`` (the string between joined attrib tokens) is used

    def __init__(
        self,
        *children: Matcher,
        rgx: str,
        ignore_case: bool = True,
        attrib: str = "words",
        sep: str | None = None,
        search: bool = False,
        full_match: bool = True,
        longest_match_only: bool = True,
    ):
        super().__init__(*children, longest_match_only=longest_match_only)
        name = type(self).__name__
        if sep is not None and not isinstance(sep, str):
            raise CandidateError(f"{name}: sep must be a string; got {sep!r}")
        if sep is not None and not self._joins_tokens:
            _warn_no_effect(f"{name}: sep has no effect: each token is matched on its own, tokens are never joined")
        if not isinstance(rgx, str):
            raise CandidateError(f"{name}: rgx must be a regular expression string; got {rgx!r}")
        try:
            self.r = re.compile(rgx, flags=re.IGNORECASE if ignore_case else 0)
        except re.error as err:
            raise CandidateError(f"{name}: invalid regular expression {rgx!r}: {err}") from err
        self.rgx = rgx
        self.ignore_case = bool(ignore_case)
        self.attrib = _check_attrib(name, attrib)
        self.sep = " " if sep is None else sep
        self.search = bool(search)
        self.full_match = bool(full_match)
        self._test = self.r.search if search else (self.r.fullmatch if full_match else self.r.match)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rgx={self.rgx!r}, attrib={self.attrib!r})"


class RegexMatchSpan(_RegexMatch):
    """Spans whose text (or ``attrib`` tokens joined by ``sep``) matches ``rgx``.

    By default the whole span must match; ``full_match=False`` matches a prefix and
    ``search=True`` anywhere.
    """

    def _f(self, span: SpanMixin) -> bool:
        return self._test(span.get_attrib_span(self.attrib, sep=self.sep)) is not None


class RegexMatchEach(_RegexMatch):
    """Spans whose every ``attrib`` token matches ``rgx``.

    ``sep`` is accepted (Snorkel 0.7 took it) but warns: tokens are tested one at a time.
    """

    _joins_tokens = False

    def _f(self, span: SpanMixin) -> bool:
        tokens = span.get_attrib_tokens(self.attrib)
        return bool(tokens) and all(t is not None and self._test(str(t)) is not None for t in tokens)


_BIO_INSIDE = ("I-", "L-", "E-")
_BIO_BEGIN = ("B-", "U-", "S-")


class NERTagMatcher(RegexMatchEach):
    """Spans whose tokens all carry one of ``labels`` in ``ner_tags``.

    Tags may be plain (``PERSON``) or BIO/BILOU-prefixed (``B-PERSON``, ``I-PER``). With
    prefixed tags the span must also respect entity boundaries: it starts an entity and
    is not followed by a continuation of it, so two adjacent people stay two spans.

    Parameters
    ----------
    labels
        Tag names to accept; the subclasses' own by default.
    rgx
        Instead of ``labels``: a regular expression that every tag, without its BIO
        prefix, must match in full (``PersonMatcher(rgx='PERSON|NORP')``). Snorkel 0.7
        took this option and overwrote it; here it replaces the labels.
    attrib
        The token attribute that holds the tags (``'ner_tags'``; e.g. ``'entity_types'``).
    ignore_case
        Compare tags case-insensitively (default ``True``, as 0.7), BIO prefixes included.
    sep
        Accepted as in 0.7's ``RegexMatchEach``; warns, since tags are tested one at a time.
    """

    labels: tuple[str, ...] = ()

    def __init__(
        self,
        *children: Matcher,
        labels: Iterable[str] | None = None,
        rgx: str | None = None,
        attrib: str = "ner_tags",
        ignore_case: bool = True,
        sep: str | None = None,
        longest_match_only: bool = True,
    ):
        name = type(self).__name__
        if rgx is not None:
            if labels is not None:
                raise CandidateError(f"{name}: pass labels or rgx, not both; got labels={labels!r}, rgx={rgx!r}")
            if not isinstance(rgx, str) or not rgx:
                raise CandidateError(f"{name}: rgx must be a non-empty regular expression string; got {rgx!r}")
            self.labels = ()
            tags = rgx
        else:
            labels = tuple(labels) if labels is not None else type(self).labels
            if not labels or not all(isinstance(x, str) and re.fullmatch(r"[A-Za-z_]+", x) for x in labels):
                raise CandidateError(f"{name}: labels must be NER tag names like 'PERSON'; got {labels!r}")
            self.labels = labels
            tags = "|".join(labels)
        super().__init__(
            *children,
            rgx=r"(?:[BILUES]-)?(?:" + tags + ")",
            attrib=attrib,
            ignore_case=ignore_case,
            sep=sep,
            longest_match_only=longest_match_only,
        )
        self.tag_rgx = rgx

    def _prefix(self, tag: Any) -> str:
        prefix = str(tag or "")[:2]
        return prefix.upper() if self.ignore_case else prefix

    def _f(self, span: SpanMixin) -> bool:
        if not super()._f(span):
            return False
        tags = span.get_attrib_tokens(self.attrib)
        if self._prefix(tags[0]) in _BIO_INSIDE or any(self._prefix(t) in _BIO_BEGIN for t in tags[1:]):
            return False
        after = span.get_word_end() + 1
        sentence_tags = getattr(span.sentence, self.attrib)
        return not (after < len(sentence_tags) and self._prefix(sentence_tags[after]) in _BIO_INSIDE)

    def __repr__(self) -> str:
        what = f"rgx={self.tag_rgx!r}" if self.tag_rgx is not None else f"labels={self.labels!r}"
        return f"{type(self).__name__}({what}, attrib={self.attrib!r})"


class PersonMatcher(NERTagMatcher):
    """People (spaCy ``PERSON``, CoNLL ``PER``)."""

    labels = ("PERSON", "PER")


class OrganizationMatcher(NERTagMatcher):
    """Organizations (``ORG``)."""

    labels = ("ORG", "ORGANIZATION")


class LocationMatcher(NERTagMatcher):
    """Places: spaCy ``GPE``, ``LOC`` and ``FAC``; CoreNLP ``LOCATION``."""

    labels = ("GPE", "LOC", "FAC", "LOCATION")


class DateMatcher(NERTagMatcher):
    """Dates and times (``DATE``, ``TIME``)."""

    labels = ("DATE", "TIME")


class NumberMatcher(NERTagMatcher):
    """Numbers: spaCy ``CARDINAL``, ``ORDINAL``, ``QUANTITY``, ``MONEY``, ``PERCENT``; CoreNLP ``NUMBER``."""

    labels = ("CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT", "NUMBER")


class MiscMatcher(NERTagMatcher):
    """Other named entities: CoNLL ``MISC`` and spaCy ``NORP``, ``EVENT``, ``WORK_OF_ART``, ``LAW``, ``LANGUAGE``, ``PRODUCT``."""

    labels = ("MISC", "NORP", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE", "PRODUCT")


_COMBINATORS = ("Concat", "Intersect", "Inverse", "SlotFillMatch", "Union")


def __getattr__(name: str) -> Any:
    """The combinators live in :mod:`.combinators`; Snorkel 0.7 imported them from here."""
    if name in _COMBINATORS:
        from snorkel_ie.candidates import combinators

        return getattr(combinators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
