"""Helpers for writing labeling functions over candidates (Snorkel 0.7 names and semantics).

Every helper takes a candidate (``c.get_contexts()`` gives its argument spans in
order) and, where it makes sense, a single span. Token windows are lower-cased unless
``case_sensitive=True``; ``attrib`` picks any per-token array of the sentence
(``words``, ``lemmas``, ``pos_tags``, ``ner_tags``, ...).

Candidates of document scope may have their arguments in different sentences: the
"between" helpers then read across the sentence boundaries (the rest of the first
argument's sentence, the sentences in between, the start of the last argument's),
left/right windows stay within the span's own sentence, and the document helpers
(:func:`sentence_distance`, :func:`same_sentence`, :func:`in_title`,
:func:`entity_mention_count`, from :mod:`snorkel_ie.labeling.document_helpers`) describe
where the arguments lie.

Examples
--------
>>> def LF_husband_left_window(c):
...     return 1 if "husband" in get_left_tokens(c[0], window=2) else 0
>>> def LF_between_married(c):
...     return 1 if "married" in get_between_tokens(c) else 0
>>> tp, fp, tn, fn = test_LF(session, LF_between_married, split=1)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from snorkel_ie.db.models import Candidate, CandidateSpan, Sentence, Span, SpanMixin
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling._apply import apply_lfs
from snorkel_ie.labeling.document_helpers import (
    doc_order,
    document_sentences,
    entity_mention_count,
    get_sentences_between,
    in_title,
    joined_text,
    same_sentence,
    sentence_distance,
    text_between,
    tokens_between,
)
from snorkel_ie.labeling.gold import load_gold_labels
from snorkel_ie.labeling.matrix import candidate_type_of
from snorkel_ie.log import report
from snorkel_ie.scoring import BinaryScores, print_binary_report

__all__ = [
    "LFErrorBuckets",
    "contains_token",
    "document_sentences",
    "entity_mention_count",
    "get_between_tokens",
    "get_doc_candidate_spans",
    "get_left_tokens",
    "get_matches",
    "get_right_tokens",
    "get_sent_candidate_spans",
    "get_sentences_between",
    "get_tagged_text",
    "get_text_between",
    "get_text_splits",
    "in_title",
    "is_inverted",
    "rule_regex_search_before_A",
    "rule_regex_search_before_B",
    "rule_regex_search_btw_AB",
    "rule_regex_search_btw_BA",
    "rule_regex_search_tagged_text",
    "rule_text_btw",
    "rule_text_in_span",
    "same_sentence",
    "sentence_distance",
    "test_LF",
    "tokens_to_ngrams",
]

_log = logging.getLogger(__name__)


def _spans(c: Any) -> Sequence[SpanMixin]:
    if isinstance(c, SpanMixin):
        return (c,)
    if hasattr(c, "get_contexts"):
        return c.get_contexts()
    return tuple(c)


def _binary(c: Any) -> tuple[SpanMixin, SpanMixin]:
    spans = _spans(c)
    if len(spans) != 2:
        raise ValueError(f"only applicable to binary candidates; got {len(spans)} argument(s)")
    return spans[0], spans[1]


def _case(case_sensitive: bool) -> Callable[[Any], str]:
    return str if case_sensitive else (lambda t: str(t).lower())


def tokens_to_ngrams(tokens: Sequence[Any], n_max: int = 3, delim: str = " ") -> Iterator[str]:
    """All n-grams of ``tokens`` up to length ``n_max``, by start position then length."""
    tokens = [str(t) for t in tokens]
    for root in range(len(tokens)):
        for n in range(1, min(n_max, len(tokens) - root) + 1):
            yield delim.join(tokens[root : root + n])


def _ordered(c: Any) -> tuple[SpanMixin, SpanMixin]:
    a, b = _binary(c)
    return (a, b) if doc_order(a) <= doc_order(b) else (b, a)


def get_text_between(c: Any) -> str:
    """The text between the two arguments of a binary candidate (across sentences: joined by a space)."""
    first, second = _ordered(c)
    return text_between(first, second)


def get_left_tokens(
    c: Any, window: int = 3, attrib: str = "words", n_max: int = 1, case_sensitive: bool = False
) -> list[str]:
    """The n-grams within ``window`` tokens left of a span (for a candidate: of its first argument)."""
    span = _spans(c)[0]
    i = span.get_word_start()
    tokens = getattr(span.sentence, attrib)[max(0, i - window) : i]
    f = _case(case_sensitive)
    return [f(g) for g in tokens_to_ngrams(tokens, n_max=n_max)]


def get_right_tokens(
    c: Any, window: int = 3, attrib: str = "words", n_max: int = 1, case_sensitive: bool = False
) -> list[str]:
    """The n-grams within ``window`` tokens right of a span (for a candidate: of its last argument)."""
    span = _spans(c)[-1]
    i = span.get_word_end()
    tokens = getattr(span.sentence, attrib)[i + 1 : i + 1 + max(window, 0)]
    f = _case(case_sensitive)
    return [f(g) for g in tokens_to_ngrams(tokens, n_max=n_max)]


def get_between_tokens(c: Any, attrib: str = "words", n_max: int = 1, case_sensitive: bool = False) -> list[str]:
    """The n-grams of the tokens strictly between the two arguments of a binary candidate (across sentences too)."""
    a, b = _binary(c)
    left, right = (a, b) if (_pos(a), a.get_word_start()) < (_pos(b), b.get_word_start()) else (b, a)
    f = _case(case_sensitive)
    return [f(g) for g in tokens_to_ngrams(tokens_between(left, right, attrib), n_max=n_max)]


def _same_document(a: Any, b: Any) -> bool:
    if a is b:
        return True
    da, db = getattr(a, "document_id", None), getattr(b, "document_id", None)
    if da is not None and db is not None:
        return da == db
    return getattr(a, "document", None) is getattr(b, "document", None)


def _pos(span: SpanMixin) -> int:
    return getattr(span.sentence, "position", 0) or 0


def contains_token(c: Any, tok: str, attrib: str = "words", case_sensitive: bool = False) -> bool:
    """True when any argument span contains the token ``tok``."""
    f = _case(case_sensitive)
    return f(tok) in {f(t) for span in _spans(c) for t in span.get_attrib_tokens(attrib)}


def get_text_splits(c: Any) -> list[str]:
    """The sentence text cut around the arguments: ``[text, "{{A}}", text, "{{B}}", ..., text]``.

    Arguments in different sentences of a document (document scope) cut the text from
    the first to the last of their sentences, joined by a space.

    Argument ``i`` of the candidate is tagged with the ``i``-th capital letter; the tags
    are placed in sentence order, so the chunks alternate between sentence text (before
    the first argument, between two arguments, after the last) and tags: ``2k + 1``
    chunks for ``k`` arguments. Joined, they give :func:`get_tagged_text`.

    Raises
    ------
    ValueError
        When ``c`` has no argument or its arguments are not spans.

    Examples
    --------
    >>> get_text_splits(c)  # doctest: +SKIP
    ['', '{{A}}', ' then married ', '{{B}}', ', a delivery driver.']
    """
    spans = _spans(c)
    if not spans:
        raise ValueError("get_text_splits needs a candidate with at least one argument")
    for i, s in enumerate(spans):
        if not all(hasattr(s, a) for a in ("sentence", "char_start", "char_end")):
            raise ValueError(f"argument {i} is a {type(s).__name__}, not a span: only span arguments can be split")
    for i, s in enumerate(spans[1:], start=1):
        if not _same_document(s.sentence, spans[0].sentence):
            raise ValueError(
                f"argument {i} is in another document than argument 0; the text can only be split within one"
            )
    text, offsets = joined_text(spans)
    order = sorted(range(len(spans)), key=lambda i: (*offsets[i], i))
    chunks = [text[: offsets[order[0]][0]]]
    end = None
    for i in order:
        if end is not None:
            chunks.append(text[end : offsets[i][0]])
        chunks.append("{{" + string.ascii_uppercase[i] + "}}")
        end = offsets[i][1]
    chunks.append(text[end:])
    return chunks


def get_tagged_text(c: Any) -> str:
    """The sentence text with argument i replaced by ``{{A}}``, ``{{B}}``, ... (in argument order)."""
    return "".join(get_text_splits(c))


def is_inverted(c: Any) -> bool:
    """True when the first argument starts after the last one in the text."""
    spans = _spans(c)
    return (_pos(spans[0]), spans[0].get_word_start()) > (_pos(spans[-1]), spans[-1].get_word_start())


def _candidate_spans(c: Candidate, where: Any) -> list[Span]:
    session = object_session(c)
    if session is None:
        raise ValueError("the candidate is not attached to a session")
    stmt = (
        select(Span)
        .join(CandidateSpan, CandidateSpan.span_id == Span.id)
        .join(Candidate, Candidate.id == CandidateSpan.candidate_id)
        .where(Candidate.type == c.type, where)
        .distinct()
        .order_by(Span.sentence_id, Span.char_start, Span.char_end)
    )
    own = c.get_contexts()[0].id
    return [s for s in session.scalars(stmt) if s.id != own]


def get_sent_candidate_spans(c: Candidate) -> list[Span]:
    """Spans of the candidate's sentence that are arguments of candidates of its class, except its first argument."""
    return _candidate_spans(c, Span.sentence_id == c.sentence_id)


def get_doc_candidate_spans(c: Candidate) -> list[Span]:
    """Like :func:`get_sent_candidate_spans`, over the candidate's whole document."""
    doc_sentences = select(Sentence.id).where(Sentence.document_id == c.sentence.document_id)
    return _candidate_spans(c, Span.sentence_id.in_(doc_sentences))


def get_matches(
    lf: Callable[[Any], Any],
    candidates: Iterable[Any] | None = None,
    match_values: Sequence[Any] = (1, -1),
    *,
    candidate_set: Iterable[Any] | None = None,
) -> list:
    """The candidates on which ``lf`` returns one of ``match_values``; prints how many.

    ``candidate_set`` is Snorkel 0.7's name of ``candidates``: pass one or the other.
    """
    if candidate_set is not None:
        if candidates is not None:
            raise TypeError("get_matches: pass candidates or candidate_set (its Snorkel 0.7 name), not both")
        candidates = candidate_set
    if candidates is None:
        raise TypeError("get_matches: missing the candidates to apply the LF to (candidates=... or candidate_set=...)")
    matches = [c for c in candidates if lf(c) in match_values]
    report(_log, f"{len(matches)} matches")
    return matches


def rule_text_btw(c: Any, text: str, sign: int) -> int:
    """``sign`` when ``text`` occurs between the two arguments, else 0."""
    return sign if text in get_text_between(c) else 0


def rule_text_in_span(c: Any, text: str, span: int, sign: int) -> int:
    """``sign`` when ``text`` occurs in argument ``span`` (lower-cased), else 0."""
    return sign if text in _spans(c)[span].get_span().lower() else 0


def _search(c: Any, pattern: str, sign: int) -> int:
    return sign if re.search(pattern, get_tagged_text(c), flags=re.IGNORECASE) else 0


def rule_regex_search_tagged_text(c: Any, pattern: str, sign: int) -> int:
    """``sign`` when ``pattern`` is found in :func:`get_tagged_text` (case-insensitive), else 0."""
    return _search(c, pattern, sign)


def rule_regex_search_btw_AB(c: Any, pattern: str, sign: int) -> int:
    """``sign`` when ``{{A}}`` + ``pattern`` + ``{{B}}`` is found in the tagged text, else 0."""
    return _search(c, r"{{A}}" + pattern + r"{{B}}", sign)


def rule_regex_search_btw_BA(c: Any, pattern: str, sign: int) -> int:
    """``sign`` when ``{{B}}`` + ``pattern`` + ``{{A}}`` is found in the tagged text, else 0."""
    return _search(c, r"{{B}}" + pattern + r"{{A}}", sign)


def rule_regex_search_before_A(c: Any, pattern: str, sign: int) -> int:
    """``sign`` when ``pattern`` directly precedes ``{{A}}`` and B comes later, else 0."""
    return _search(c, pattern + r"{{A}}.*{{B}}", sign)


def rule_regex_search_before_B(c: Any, pattern: str, sign: int) -> int:
    """``sign`` when ``pattern`` directly precedes ``{{B}}`` and A comes later, else 0."""
    return _search(c, pattern + r"{{B}}.*{{A}}", sign)


class LFErrorBuckets(NamedTuple):
    """The candidates of each confusion cell, as :func:`test_LF` returns them (unpacks like 0.7's tuple)."""

    tp: set
    fp: set
    tn: set
    fn: set


def _split_candidates(session: Session, split: int | None, ctype: str | None) -> list[Candidate]:
    q = select(Candidate)
    if split is not None:
        q = q.where(Candidate.split == split)
    if ctype is not None:
        q = q.where(Candidate.type == ctype)
    return list(session.scalars(q.order_by(Candidate.id)))


def test_LF(
    session: Session,
    lf: Callable[[Any], Any],
    split: int | None = 1,
    annotator_name: str = "gold",
    *,
    candidate_class: Any = None,
) -> LFErrorBuckets:
    """Score one labeling function against the gold labels of a split (Snorkel 0.7's ``test_LF``).

    The LF runs on every candidate of ``split``. Where it votes (``1`` or ``-1``) the vote
    is compared with the gold label of ``annotator_name``; an abstention (``0``, ``None``
    or ``False``) is not a prediction, so the candidate lands in no bucket, and neither
    does a candidate without gold. Prints the LF's coverage of the split and a
    precision / recall / F1 block.

    Parameters
    ----------
    session
        An open session.
    lf
        A binary labeling function (returns ``1``, ``-1``, or ``0``/``None`` to abstain).
    split
        The candidates' split; None for every split.
    annotator_name
        Whose gold labels to compare with (see :func:`~snorkel_ie.labeling.save_gold_labels`).
    candidate_class
        Only candidates of this class (or type name); by default every candidate of the
        split, as in 0.7.

    Returns
    -------
    LFErrorBuckets
        ``(tp, fp, tn, fn)``: sets of candidates, e.g. ``tp, fp, tn, fn = test_LF(session, LF_x)``.

    Raises
    ------
    LabelingError
        When the LF raises or returns anything but ``-1``, ``0``, ``1``, a bool or None;
        the message names the candidate.
    ConfigurationError
        When the gold labels are not binary.
    """
    name = getattr(lf, "__name__", None) or repr(lf)
    cands = _split_candidates(session, split, candidate_type_of(candidate_class))
    positions, values, _ = apply_lfs(cands, [(name, lf)], 2, True)
    pred = np.zeros(len(cands), dtype=np.int64)
    pred[positions[0]] = values[0]
    gold_matrix = load_gold_labels(session, annotator_name, split, candidate_class=candidate_class)
    column = np.asarray(gold_matrix.toarray()).ravel()
    gold = column[[gold_matrix.get_row_index(c.id) for c in cands]] if cands else np.zeros(0, dtype=np.int64)
    odd = np.flatnonzero(~np.isin(gold, (-1, 0, 1)))
    if len(odd):
        i = int(odd[0])
        raise ConfigurationError(
            f"test_LF scores binary labels, but annotator {annotator_name!r} gives candidate {cands[i].id} "
            f"the gold label {int(gold[i])}; expected -1, 1 (or 0 for unknown)"
        )
    buckets = LFErrorBuckets(
        tp={c for c, p, y in zip(cands, pred, gold, strict=True) if p == 1 and y == 1},
        fp={c for c, p, y in zip(cands, pred, gold, strict=True) if p == 1 and y == -1},
        tn={c for c, p, y in zip(cands, pred, gold, strict=True) if p == -1 and y == -1},
        fn={c for c, p, y in zip(cands, pred, gold, strict=True) if p == -1 and y == 1},
    )
    _print_lf_report(name, split, annotator_name, pred, gold, buckets)
    return buckets


test_LF.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test: keep pytest from collecting it


def _print_lf_report(
    name: str, split: int | None, annotator_name: str, pred: np.ndarray, gold: np.ndarray, b: LFErrorBuckets
) -> None:
    where = "all splits" if split is None else f"split {split}"
    n, labeled = len(pred), int(np.count_nonzero(pred))
    coverage = labeled / n if n else 0.0
    scored = len(b.tp) + len(b.fp) + len(b.tn) + len(b.fn)
    report(
        _log, f"LF {name} on {where}: labeled {labeled} of {n} candidates (coverage {coverage:.1%}), {scored} with gold"
    )
    if not np.any(gold != 0):
        report(_log, f"No gold labels from annotator {annotator_name!r} on {where}: nothing to score.")
    print_binary_report(BinaryScores(len(b.tp), len(b.fp), len(b.tn), len(b.fn)), title=f"Scores of {name}")
