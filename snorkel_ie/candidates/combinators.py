"""Combinators: matchers built from other matchers (any, all, not, concatenation, slot patterns).

Snorkel 0.7 imported them from the matchers module, which still re-exports them.
"""

from __future__ import annotations

import re

from snorkel_ie.candidates.matchers import Matcher, _check_attrib
from snorkel_ie.db.models.context import SpanMixin, TemporarySpan
from snorkel_ie.errors import CandidateError

__all__ = ["Concat", "Intersect", "Inverse", "SlotFillMatch", "Union"]


class _Combinator(Matcher):
    arity: tuple[int, int | None] = (1, None)

    def __init__(self, *children: Matcher, longest_match_only: bool = True):
        lo, hi = self.arity
        if len(children) < lo or (hi is not None and len(children) > hi):
            want = f"exactly {lo}" if lo == hi else f"at least {lo}"
            raise CandidateError(f"{type(self).__name__} takes {want} child matcher(s); got {len(children)}")
        super().__init__(*children, longest_match_only=longest_match_only)


class Union(_Combinator):
    """Spans that pass any child."""

    def f(self, span: SpanMixin) -> bool:
        return any(child.f(span) for child in self.children)


class Intersect(_Combinator):
    """Spans that pass every child."""

    def f(self, span: SpanMixin) -> bool:
        return all(child.f(span) for child in self.children)


class Inverse(_Combinator):
    """Spans that fail the single child."""

    arity = (1, 1)

    def f(self, span: SpanMixin) -> bool:
        return not self.children[0].f(span)


def _sub_span(span: SpanMixin, first: int, last: int) -> TemporarySpan:
    """The span over tokens ``first..last`` (inclusive), clipped to ``span``."""
    s = span.sentence
    start = max(s.char_offsets[first], span.char_start)
    end = min(s.char_offsets[last] + len(s.words[last]), span.char_end)
    return TemporarySpan(s, start, end)


class Concat(_Combinator):
    """Spans that split, at a token boundary, into a left part passing the first child and a right part passing the second.

    Parameters
    ----------
    permutations
        Also accept the children in the other order.
    left_required, right_required
        When False, a span passing only the other child is enough.
    ignore_sep, sep
        With ``ignore_sep=False`` the text between the two parts must equal ``sep``.
    """

    arity = (2, 2)

    def __init__(
        self,
        *children: Matcher,
        permutations: bool = False,
        left_required: bool = True,
        right_required: bool = True,
        ignore_sep: bool = True,
        sep: str = " ",
        longest_match_only: bool = True,
    ):
        super().__init__(*children, longest_match_only=longest_match_only)
        self.permutations = bool(permutations)
        self.left_required = bool(left_required)
        self.right_required = bool(right_required)
        self.ignore_sep = bool(ignore_sep)
        self.sep = sep

    def f(self, span: SpanMixin) -> bool:
        left, right = self.children
        if not self.left_required and right.f(span):
            return True
        if not self.right_required and left.f(span):
            return True
        first, last = span.get_word_start(), span.get_word_end()
        text = span.sentence.text
        for split in range(first + 1, last + 1):
            a, b = _sub_span(span, first, split - 1), _sub_span(span, split, last)
            if not self.ignore_sep and text[a.char_end : b.char_start] != self.sep:
                continue
            if left.f(a) and right.f(b):
                return True
            if self.permutations and right.f(a) and left.f(b):
                return True
        return False


class SlotFillMatch(Matcher):
    """Spans that fill a pattern of slots, such as ``"{0} and {1}"``, each slot passing its matcher.

    The whole span (its text, or its ``attrib`` tokens joined by spaces) must match the
    pattern; each slot ``{i}`` stands for one or more characters and the part of the span
    it covers must pass child ``i``. As in Snorkel 0.7 the text between slots is a regular
    expression fragment (``"{0}\\s*,\\s*{1}"`` works; escape ``(``, ``.`` and the like to match
    them literally), slots are greedy, and only the first way ``re`` finds to fill them is
    tested.

    Parameters
    ----------
    *children
        One matcher per slot number: ``{0}`` is tested with the first child, ``{1}``
        with the second. A slot may appear more than once in the pattern.
    pattern
        Slots ``{0}``, ``{1}``, ... with non-empty text between any two of them.
    attrib
        Token attribute to match against; ``'words'`` (default) matches the span's exact
        text, and a slot may then cover part of a token. With another attribute a slot
        must cover whole tokens.

    Examples
    --------
    >>> couple = SlotFillMatch(PersonMatcher(), PersonMatcher(), pattern="{0} and {1}")  # doctest: +SKIP
    """

    def __init__(self, *children: Matcher, pattern: str, attrib: str = "words", longest_match_only: bool = True):
        super().__init__(*children, longest_match_only=longest_match_only)
        if not isinstance(pattern, str):
            raise CandidateError(f"SlotFillMatch: pattern must be a string such as '{{0}} and {{1}}'; got {pattern!r}")
        parts = re.split(r"\{(\d+)\}", pattern)
        texts, self.slots = parts[::2], tuple(int(p) for p in parts[1::2])
        if not self.slots:
            raise CandidateError(f"SlotFillMatch: pattern {pattern!r} has no slot; mark them {{0}}, {{1}}, ...")
        if any(not t for t in texts[1:-1]):
            raise CandidateError(f"SlotFillMatch: pattern {pattern!r} has two adjacent slots; put text between them")
        if set(self.slots) != set(range(len(children))):
            raise CandidateError(
                f"SlotFillMatch: pattern {pattern!r} has slots {sorted(set(self.slots))} but {len(children)} child "
                f"matcher(s); slot {{i}} is tested by child i, so give one child per slot number 0..n-1"
            )
        regex = texts[0] + "".join(f"(?P<_slot{k}>.+)" + text for k, text in enumerate(texts[1:]))
        try:
            self.r = re.compile(regex)
        except re.error as err:
            raise CandidateError(
                f"SlotFillMatch: pattern {pattern!r} is not a valid regular expression: {err}"
            ) from err
        self.pattern = pattern
        self.attrib = _check_attrib("SlotFillMatch", attrib)

    def f(self, span: SpanMixin) -> bool:
        m = self.r.fullmatch(span.get_attrib_span(self.attrib))
        if m is None:
            return False
        for k, slot in enumerate(self.slots):
            part = self._slot_span(span, *m.span(f"_slot{k}"))
            if part is None or not self.children[slot].f(part):
                return False
        return True

    def _slot_span(self, span: SpanMixin, a: int, b: int) -> TemporarySpan | None:
        """The sub-span of ``span`` at ``[a, b)`` of its matched string; None if that splits a token of ``attrib``."""
        if self.attrib == "words":
            return TemporarySpan(span.sentence, span.char_start + a, span.char_start + b)
        first = last = None
        pos = 0
        for i, token in enumerate(span.get_attrib_tokens(self.attrib)):
            end = pos + len(str(token))
            first = i if pos == a else first
            last = i if end == b else last
            pos = end + 1
        if first is None or last is None:
            return None
        w0 = span.get_word_start()
        return _sub_span(span, w0 + first, w0 + last)

    def __repr__(self) -> str:
        inner = ", ".join(repr(c) for c in self.children)
        return f"SlotFillMatch({inner}, pattern={self.pattern!r})"
