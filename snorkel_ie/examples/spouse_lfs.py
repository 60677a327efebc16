"""Labeling functions for the spouse task (after Snorkel 0.7's intro tutorial).

Three families, as an expert would write them:

* **Patterns**: spouse words (husband, wife, married...) between the two people or just
  left of either of them vote +1; other family relations (father, sister, son...) and
  other relations (boyfriend, boss...) vote -1.
* **Structure**: two people far apart, in a list (``A, B and C``), or the same
  person twice vote -1; a shared last name votes +1 (couples often share one).
* **Distant supervision**: pairs of the DBpedia spouse list vote +1, in either order,
  by full name or by a known couple's pair of last names.

Every LF is a module-level function or made by a generator from
:mod:`snorkel_ie.labeling.lf_generators`, so they pickle for ``parallelism > 1``.

Examples
--------
>>> lfs = make_lfs(load_known_spouses())                            # doctest: +SKIP
>>> L_train = LabelAnnotator(lfs=lfs).apply(split=0)                 # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from snorkel_ie.labeling.lf_generators import knowledge_base_lf, normalize_entity
from snorkel_ie.labeling.lf_helpers import get_between_tokens, get_left_tokens, get_right_tokens, get_text_between

__all__ = [
    "FAMILY",
    "OTHER",
    "SPOUSES",
    "last_name",
    "last_name_lf",
    "last_name_pairs",
    "make_lfs",
]

SPOUSES = frozenset({"spouse", "wife", "husband", "ex-wife", "ex-husband", "widow", "widower", "fiancee", "fiance"})
_FAMILY_BASE = {
    "father",
    "mother",
    "sister",
    "brother",
    "son",
    "daughter",
    "grandfather",
    "grandmother",
    "uncle",
    "aunt",
    "cousin",
    "dad",
    "mom",
    "mum",
    "nephew",
    "niece",
    "stepfather",
    "stepmother",
    "parents",
}
FAMILY = frozenset(_FAMILY_BASE | {f + "-in-law" for f in _FAMILY_BASE})
OTHER = frozenset(
    {
        "boyfriend",
        "girlfriend",
        "boss",
        "employee",
        "secretary",
        "co-worker",
        "colleague",
        "friend",
        "partner",
        "manager",
        "coach",
        "teammate",
        "lawyer",
        "spokesman",
        "spokeswoman",
        "president",
    }
)
MAX_DISTANCE = 40
"""Tokens between the two people above which they are taken to be unrelated."""

_MARRIED = re.compile(r"\b(married|marriage|wed|wedding|divorced?|engaged)\b", re.IGNORECASE)
_LIST = re.compile(r"^\s*,[^,]*,")  # "A, B, C": at least two commas between the arguments


def last_name(name: str) -> str | None:
    """The last word of a name of at least two words (lower-cased), else ``None``."""
    words = normalize_entity(name).split()
    return words[-1] if len(words) > 1 else None


def _words(c: Any, window: int = 3) -> tuple[set[str], set[str], set[str]]:
    """Lower-cased tokens between the arguments, left of the first and right of the second."""
    between = set(get_between_tokens(c))
    left = set(get_left_tokens(c[0], window=window)) | set(get_left_tokens(c[1], window=window))
    right = set(get_right_tokens(c[0], window=window)) | set(get_right_tokens(c[1], window=window))
    return between, left, right


def _distance(c: Any) -> int:
    a, b = c.get_contexts()
    first, second = (a, b) if a.get_word_start() <= b.get_word_start() else (b, a)
    return second.get_word_start() - first.get_word_end() - 1


# ------------------------------------------------------------------ patterns: +1


def LF_husband_wife(c: Any) -> int:
    """A spouse word between the two people: "Barack Obama and his wife Michelle Obama"."""
    return 1 if SPOUSES & set(get_between_tokens(c)) else 0


def LF_husband_wife_left_window(c: Any) -> int:
    """A spouse word just before either person: "... his wife, Michelle Obama, and Barack ..."."""
    left = set(get_left_tokens(c[0], window=2)) | set(get_left_tokens(c[1], window=2))
    return 1 if SPOUSES & left else 0


def LF_married_between(c: Any) -> int:
    """A marriage word between two close people: "A married B", "A, who wed B"."""
    return 1 if _distance(c) <= 10 and _MARRIED.search(get_text_between(c)) else 0


def LF_and_married(c: Any) -> int:
    """``and`` between the two people and a marriage word just after: "A and B married", "... were divorced"."""
    between = get_between_tokens(c)
    after = " ".join(get_right_tokens(c, window=4))
    return 1 if "and" in between and len(between) <= 3 and _MARRIED.search(after) else 0


def LF_same_last_name(c: Any) -> int:
    """Two different people of the same last name (couples often share one)."""
    p1, p2 = c[0].get_span(), c[1].get_span()
    n1, n2 = last_name(p1), last_name(p2)
    return 1 if n1 and n1 == n2 and normalize_entity(p1) != normalize_entity(p2) else 0


# ------------------------------------------------------------------ patterns: -1


def LF_familial_relationship(c: Any) -> int:
    """Another family word between the two people: "A and his daughter B"."""
    return -1 if FAMILY & set(get_between_tokens(c)) else 0


def LF_family_left_window(c: Any) -> int:
    """Another family word just before either person."""
    left = set(get_left_tokens(c[0], window=2)) | set(get_left_tokens(c[1], window=2))
    return -1 if FAMILY & left else 0


def LF_other_relationship(c: Any) -> int:
    """A non-family relation between the two people: boss, friend, colleague..."""
    return -1 if OTHER & set(get_between_tokens(c)) else 0


def LF_no_spouse_in_sentence(c: Any) -> int:
    """No spouse or marriage word anywhere in the sentence: most pairs are not couples."""
    words = {w.lower() for w in c.get_parent().words}
    return -1 if not (SPOUSES & words) and not _MARRIED.search(c.get_parent().text) else 0


def LF_far_apart(c: Any) -> int:
    """More than MAX_DISTANCE tokens between the two people."""
    return -1 if _distance(c) > MAX_DISTANCE else 0


def LF_list_of_people(c: Any) -> int:
    """The two people in a list: at least two commas between them ("A, B, C and D")."""
    return -1 if _LIST.search(get_text_between(c)) and not SPOUSES & set(get_between_tokens(c)) else 0


def LF_same_person(c: Any) -> int:
    """The same name twice, or one name inside the other ("Obama" and "Barack Obama")."""
    p1, p2 = normalize_entity(c[0].get_span()), normalize_entity(c[1].get_span())
    return -1 if p1 == p2 or p1 in p2.split() or p2 in p1.split() else 0


def LF_said_between(c: Any) -> int:
    """Quotation structure between them ("A said ... B told"): reporters and sources, not couples."""
    between = set(get_between_tokens(c))
    return -1 if {"said", "told", "says", "according"} & between and not SPOUSES & between else 0


PATTERN_LFS: tuple[Callable[[Any], int], ...] = (
    LF_husband_wife,
    LF_husband_wife_left_window,
    LF_married_between,
    LF_and_married,
    LF_same_last_name,
    LF_familial_relationship,
    LF_family_left_window,
    LF_other_relationship,
    LF_no_spouse_in_sentence,
    LF_far_apart,
    LF_list_of_people,
    LF_same_person,
    LF_said_between,
)


# ------------------------------------------------------------------ distant supervision


def last_name_pairs(known: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Pairs of different last names of known couples (for :func:`make_lfs`)."""
    out = set()
    for a, b in known:
        la, lb = last_name(a), last_name(b)
        if la and lb and la != lb:
            out.add((la, lb))
    return out


def last_name_lf(pairs: Iterable[tuple[str, str]]) -> Callable[[Any], int]:
    """``LF_distant_supervision_last_names``: +1 when the two people's last names are a
    known couple's (different) last names, in either order."""
    known = frozenset(pairs) | frozenset((b, a) for a, b in pairs)

    def LF_distant_supervision_last_names(c: Any) -> int:
        """The two last names are those of a known couple (either order)."""
        n1, n2 = last_name(c[0].get_span()), last_name(c[1].get_span())
        return 1 if n1 and n2 and (n1, n2) in known else 0

    return LF_distant_supervision_last_names


def make_lfs(known_spouses: Iterable[tuple[str, str]]) -> list[Callable[[Any], int]]:
    """All spouse LFs: the pattern LFs, then two distant-supervision LFs over ``known_spouses``."""
    known = set(known_spouses)
    return [
        *PATTERN_LFS,
        knowledge_base_lf(known, 1, name="LF_distant_supervision", symmetric=True),
        last_name_lf(last_name_pairs(known)),
    ]
