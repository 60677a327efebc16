"""Candidate extraction: argument spans per sentence, paired, written in bulk.

:class:`CandidateExtractor` finds each argument with a candidate space and a matcher;
:class:`PretaggedCandidateExtractor` takes the mentions a reader tagged on the tokens
(``entity_types`` / ``entity_cids``, as for CDR). Both pair the arguments within a
sentence and write spans, candidates and their argument rows with bulk inserts that
skip what already exists, so extracting twice creates no duplicates. Work is split
into partitions of sentences, each written in one transaction, and runs serially, in
worker processes or on Dask through :func:`snorkel_ie.runner.run_partitions`. The
candidate class's definition (name, argument names, cardinality) is stored with its
candidates, so that another process rebuilds the class by name
(:func:`~snorkel_ie.db.models.load_candidate_class`).

This module holds :class:`CandidateExtractor` and re-exports the rest from where it
lives: the shared driver and :func:`pair_arguments` in ``_base``, the partition
worker job in ``_partition`` and :class:`PretaggedCandidateExtractor` in ``pretagged``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from snorkel_ie.candidates._base import ExtractionSummary, pair_arguments
from snorkel_ie.candidates._base import _Extractor as _Extractor
from snorkel_ie.candidates._partition import PARTITION_SIZE as PARTITION_SIZE
from snorkel_ie.candidates._partition import _extract_partition as _extract_partition
from snorkel_ie.candidates.matchers import Matcher
from snorkel_ie.candidates.ngrams import CandidateSpace
from snorkel_ie.candidates.pretagged import PretaggedCandidateExtractor
from snorkel_ie.db.models import Candidate, TemporarySpan
from snorkel_ie.errors import CandidateError

__all__ = ["CandidateExtractor", "ExtractionSummary", "PretaggedCandidateExtractor", "pair_arguments"]


class CandidateExtractor(_Extractor):
    """Candidates from a candidate space and a matcher per argument.

    Parameters
    ----------
    candidate_class
        A class from :func:`~snorkel_ie.db.models.candidate_subclass`.
    cspaces
        One candidate space per argument, or one shared by all.
    matchers
        One matcher per argument, or one shared by all.
    self_relations, nested_relations, symmetric_relations
        Keep tuples that use one span twice, that nest one argument in another, or
        both orders of a pair (see :func:`pair_arguments`).
    scope, max_sentence_distance
        ``"sentence"`` (default) pairs arguments within one sentence; ``"document"``
        across a document's sentences, at most ``max_sentence_distance`` sentences
        apart when given (a distance above 0 implies document scope).

    Examples
    --------
    >>> ngrams = Ngrams(n_max=3)
    >>> extractor = CandidateExtractor(Spouse, [ngrams, ngrams], [PersonMatcher(), PersonMatcher()])
    >>> extractor.apply(session.query(Sentence), split=0)  # doctest: +SKIP
    """

    def __init__(
        self,
        candidate_class: type[Candidate],
        cspaces: CandidateSpace | Sequence[CandidateSpace],
        matchers: Matcher | Sequence[Matcher],
        *,
        self_relations: bool = False,
        nested_relations: bool = False,
        symmetric_relations: bool = False,
        scope: str = "sentence",
        max_sentence_distance: int | None = None,
    ):
        super().__init__(
            candidate_class,
            self_relations=self_relations,
            nested_relations=nested_relations,
            symmetric_relations=symmetric_relations,
            scope=scope,
            max_sentence_distance=max_sentence_distance,
        )
        self.cspaces = self._per_argument("cspaces", cspaces, CandidateSpace)
        self.matchers = self._per_argument("matchers", matchers, Matcher)

    def _per_argument(self, what: str, items: Any, kind: type) -> list[Any]:
        items = [items] * self.arity if isinstance(items, kind) else list(items)
        if len(items) != self.arity:
            raise CandidateError(
                f"CandidateExtractor: {self.candidate_class.__name__} has {self.arity} arguments "
                f"{self.candidate_class.__argnames__} but {len(items)} {what} were given"
            )
        for item in items:
            if not isinstance(item, kind):
                raise CandidateError(f"CandidateExtractor: {what} must be {kind.__name__} objects; got {item!r}")
        return items

    def argument_spans(self, sentence: Any) -> list[list[TemporarySpan]]:
        spaces: dict[int, list[TemporarySpan]] = {}
        matched: dict[tuple[int, int], list[TemporarySpan]] = {}
        out = []
        for space, matcher in zip(self.cspaces, self.matchers, strict=True):
            key = (id(space), id(matcher))
            if key not in matched:
                if id(space) not in spaces:
                    spaces[id(space)] = list(space.apply(sentence))
                matched[key] = list(dict.fromkeys(matcher.apply(spaces[id(space)])))
            out.append(matched[key])
        return out
