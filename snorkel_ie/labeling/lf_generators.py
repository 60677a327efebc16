"""Declarative labeling functions and LF generators.

Each constructor returns an ordinary function ``lf(candidate) -> int`` that returns
its ``value`` (1 or -1 for binary tasks, 1..k for categorical ones) or 0 to abstain.
The function gets a readable ``__name__`` (the key the LabelAnnotator stores it
under) and an ``__lf_source__`` string that describes exactly what it does (pattern,
value, a digest of the knowledge base...). Generated LFs share one body, so a change
detector should hash ``__lf_source__`` when present rather than the body's source.

Examples
--------
>>> LF_causes = regex_between_lf(r"\\b(cause[sd]?|induce[sd]?)\\b", 1, name="LF_causes")
>>> LF_kb = knowledge_base_lf({("aspirin", "reye syndrome")}, name="LF_known_pairs")
>>> ctd_lfs = ontology_lfs({"Causes": causes, "Treats": treats}, {"Causes": 1, "Treats": -1}, prefix="LF_ctd_")
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from itertools import product
from typing import Any

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling.lf_helpers import _spans, get_between_tokens, get_tagged_text, get_text_between

__all__ = [
    "keywords_between_lf",
    "knowledge_base_lf",
    "normalize_entity",
    "ontology_lfs",
    "regex_between_lf",
    "regex_tagged_text_lf",
]

LF = Callable[[Any], int]

_DIRECTIONS = (None, "AB", "BA")


def _check_value(value: Any, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value == 0:
        raise ConfigurationError(
            f"{owner}: value must be a non-zero integer label (1 / -1 for binary, 1..k for categorical); got {value!r}"
        )
    return value


def _compile(pattern: str, ignore_case: bool, owner: str) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise ConfigurationError(f"{owner}: pattern must be a string; got {pattern!r}")
    try:
        return re.compile(pattern, flags=re.IGNORECASE if ignore_case else 0)
    except re.error as err:
        raise ConfigurationError(f"{owner}: invalid regular expression {pattern!r}: {err}") from err


def _named(fn: LF, name: str, source: str, doc: str) -> LF:
    if not isinstance(name, str) or not name.isidentifier():
        raise ConfigurationError(f"an LF name must be a Python identifier; got {name!r}")
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    fn.__lf_source__ = source  # type: ignore[attr-defined]
    return fn


def _order(c: Any) -> str:
    a, b = _spans(c)[:2]
    return "AB" if a.char_start <= b.char_start else "BA"


def regex_between_lf(
    pattern: str,
    value: int,
    *,
    name: str | None = None,
    direction: str | None = None,
    ignore_case: bool = True,
) -> LF:
    """An LF that returns ``value`` when ``pattern`` is found in the text between the two arguments.

    Parameters
    ----------
    direction
        ``'AB'``: only when the first argument comes first in the sentence; ``'BA'``:
        only when it comes second; ``None``: either order.
    """
    owner = "regex_between_lf"
    value = _check_value(value, owner)
    if direction not in _DIRECTIONS:
        raise ConfigurationError(f"{owner}: direction must be None, 'AB' or 'BA'; got {direction!r}")
    rgx = _compile(pattern, ignore_case, owner)

    def lf(c: Any) -> int:
        if direction is not None and _order(c) != direction:
            return 0
        return value if rgx.search(get_text_between(c)) else 0

    name = name or f"LF_between_{_slug(pattern)}"
    source = (
        f"regex_between_lf(pattern={pattern!r}, value={value!r}, direction={direction!r}, ignore_case={ignore_case})"
    )
    return _named(lf, name, source, f"{value} when /{pattern}/ is between the arguments ({direction or 'any order'}).")


def regex_tagged_text_lf(pattern: str, value: int, *, name: str | None = None, ignore_case: bool = True) -> LF:
    """An LF that returns ``value`` when ``pattern`` is found in the tagged text (arguments as ``{{A}}``, ``{{B}}``)."""
    owner = "regex_tagged_text_lf"
    value = _check_value(value, owner)
    rgx = _compile(pattern, ignore_case, owner)

    def lf(c: Any) -> int:
        return value if rgx.search(get_tagged_text(c)) else 0

    name = name or f"LF_tagged_{_slug(pattern)}"
    source = f"regex_tagged_text_lf(pattern={pattern!r}, value={value!r}, ignore_case={ignore_case})"
    return _named(lf, name, source, f"{value} when /{pattern}/ matches the tagged sentence.")


def keywords_between_lf(
    keywords: Iterable[str], value: int, *, name: str | None = None, attrib: str = "words", n_max: int = 1
) -> LF:
    """An LF that returns ``value`` when one of ``keywords`` (lower-cased n-grams) is between the arguments."""
    owner = "keywords_between_lf"
    value = _check_value(value, owner)
    if isinstance(keywords, str):
        raise ConfigurationError(f"{owner}: keywords must be an iterable of strings, not one string")
    words = frozenset(str(k).lower() for k in keywords)
    if not words:
        raise ConfigurationError(f"{owner}: keywords is empty")

    def lf(c: Any) -> int:
        return value if words.intersection(get_between_tokens(c, attrib=attrib, n_max=n_max)) else 0

    name = name or f"LF_between_{_slug('_'.join(sorted(words))[:40])}"
    source = f"keywords_between_lf(keywords={sorted(words)!r}, value={value!r}, attrib={attrib!r}, n_max={n_max})"
    return _named(lf, name, source, f"{value} when one of {len(words)} keywords is between the arguments.")


def normalize_entity(text: str) -> str:
    """Lower-case, collapse whitespace and trim: how knowledge-base names and argument texts are compared."""
    return " ".join(str(text).lower().split())


def _pairs(pairs: Iterable[tuple[Any, Any]], owner: str, cids: bool) -> frozenset[tuple[str, str]]:
    if isinstance(pairs, (str, bytes)):
        raise ConfigurationError(f"{owner}: expected an iterable of (a, b) pairs, not a string")
    out = set()
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ConfigurationError(f"{owner}: every entry must be an (a, b) pair; got {pair!r}")
        a, b = pair
        out.add((str(a).strip(), str(b).strip()) if cids else (normalize_entity(a), normalize_entity(b)))
    return frozenset(out)


def _keys(c: Any, cids: bool) -> list[tuple[str, str]]:
    """The (a, b) keys under which candidate ``c`` is looked up."""
    if cids:
        values = (
            c.get_cids() if hasattr(c, "get_cids") else tuple(s.get_attrib_tokens("entity_cids")[0] for s in _spans(c))
        )
        parts = [[p.strip() for p in str(v).split("|") if p.strip() and p.strip() != "-1"] if v else [] for v in values]
        return list(product(*parts[:2])) if len(parts) >= 2 else []
    spans = _spans(c)
    return [(normalize_entity(spans[0].get_span()), normalize_entity(spans[1].get_span()))]


def _digest(pairs: frozenset[tuple[str, str]]) -> str:
    h = hashlib.sha1()
    for a, b in sorted(pairs):
        h.update(f"{a}\t{b}\n".encode())
    return h.hexdigest()[:16]


def knowledge_base_lf(
    pairs: Iterable[tuple[str, str]],
    value: int = 1,
    *,
    name: str = "LF_knowledge_base",
    cids: bool = False,
    symmetric: bool = False,
) -> LF:
    """Distant supervision: ``value`` when the candidate's (first, second) argument pair is in ``pairs``.

    Parameters
    ----------
    pairs
        Known pairs, e.g. ``{('aspirin', 'reye syndrome')}`` or, with ``cids``, MeSH id pairs.
    cids
        Compare the arguments' entity ids (``c.get_cids()``; ``|``-joined lists match on
        any id, ``-1`` never matches) instead of their normalised text.
    symmetric
        Also match the pair in the other order (e.g. spouses).
    """
    owner = "knowledge_base_lf"
    value = _check_value(value, owner)
    kb = _pairs(pairs, owner, cids)
    if symmetric:
        kb = kb | frozenset((b, a) for a, b in kb)

    def lf(c: Any) -> int:
        return value if any(k in kb for k in _keys(c, cids)) else 0

    source = (
        f"knowledge_base_lf(pairs=<{len(kb)} sha1:{_digest(kb)}>, value={value!r}, cids={cids}, symmetric={symmetric})"
    )
    return _named(lf, name, source, f"{value} for the {len(kb)} pairs of a knowledge base.")


def ontology_lfs(
    ontology: Mapping[str, Iterable[tuple[str, str]]],
    values: Mapping[str, int],
    *,
    prefix: str = "LF_",
    cids: bool = False,
    symmetric: bool = False,
) -> list[LF]:
    """One knowledge-base LF per category of an ontology (the Snorkel paper's Example 2.4).

    Parameters
    ----------
    ontology
        Category -> pairs, e.g. ``{'Causes': {...}, 'Treats': {...}, 'Unspecified': {...}}``.
    values
        Category -> label; categories mapped to 0 or left out get no LF (every
        category of ``values`` must exist in ``ontology``).

    Examples
    --------
    >>> lfs = ontology_lfs(ctd, {"Causes": 1, "Treats": -1}, prefix="LF_ctd_", cids=True)
    >>> [lf.__name__ for lf in lfs]
    ['LF_ctd_Causes', 'LF_ctd_Treats']
    """
    if not isinstance(ontology, Mapping) or not isinstance(values, Mapping):
        raise ConfigurationError("ontology_lfs: ontology and values must be mappings (category -> pairs / label)")
    if unknown := sorted(set(values) - set(ontology)):
        raise ConfigurationError(f"ontology_lfs: categories {unknown} are not in the ontology {sorted(ontology)}")
    lfs = []
    for category, value in values.items():
        if value == 0:
            continue
        name = prefix + re.sub(r"\W+", "_", str(category)).strip("_")
        lfs.append(knowledge_base_lf(ontology[category], value, name=name, cids=cids, symmetric=symmetric))
    return lfs


def _slug(text: str) -> str:
    slug = re.sub(r"\W+", "_", text).strip("_").lower()
    return slug[:40] or "pattern"
