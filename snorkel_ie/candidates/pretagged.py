"""Candidates from mentions a reader tagged on the tokens (``entity_types`` / ``entity_cids``).

:class:`PretaggedCandidateExtractor` finds each argument among the tagged mentions of
its entity type, as for CDR with PubTator or BioC input, and pairs and writes them
like every extractor (:class:`~snorkel_ie.candidates._base._Extractor`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from snorkel_ie.candidates._base import _Extractor
from snorkel_ie.db.models import Candidate, TemporarySpan
from snorkel_ie.errors import CandidateError

__all__ = ["PretaggedCandidateExtractor"]


def _position(span: TemporarySpan) -> int:
    return getattr(span.sentence, "position", 0) or 0


def _closeness(args: tuple[TemporarySpan, ...]) -> tuple[int, ...]:
    """Sort key of a mention tuple: sentences apart, then characters apart, then where it starts."""
    where = [
        (_position(a), a.sentence.abs_char_start + a.char_start, a.sentence.abs_char_start + a.char_end) for a in args
    ]
    sentences = max(w[0] for w in where) - min(w[0] for w in where)
    gap = max(w[1] for w in where) - min(w[2] for w in where)
    return (sentences, max(gap, 0), min(w[1] for w in where))


class PretaggedCandidateExtractor(_Extractor):
    """Candidates from mentions tagged on the tokens, one entity type per argument.

    A mention is a run of adjacent tokens with the same ``entity_types`` and
    ``entity_cids`` value (as a PubTator or BioC reader sets them). A token may carry
    several tags joined by ``entity_sep``.

    Parameters
    ----------
    candidate_class
        A class from :func:`~snorkel_ie.db.models.candidate_subclass`.
    entity_types
        The entity type of each argument, in argument order, e.g. ``['Chemical', 'Disease']``.
    scope
        ``"sentence"`` (the default, as in Snorkel 0.7): pair mentions within a sentence;
        ``"document"``: pair them across the sentences of a document, e.g. for CDR's
        document-level relations.
    max_sentence_distance
        With document scope, drop pairs whose sentences lie further apart (in sentence
        positions); None keeps every pair of the document.
    closest_per_entity_pair
        With document scope, keep for each tuple of entity ids (``entity_cids``) only the
        ``k`` mention tuples that lie closest (fewest sentences apart, then fewest
        characters; ties by text order); None keeps them all. Mentions without an id
        are their own entity. ``1`` gives one candidate per entity pair of a document.

    Examples
    --------
    >>> ex = PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"], scope="document")
    >>> ex.apply(session.query(Document), split=0)  # doctest: +SKIP
    """

    def __init__(
        self,
        candidate_class: type[Candidate],
        entity_types: Sequence[str] = ("Chemical", "Disease"),
        *,
        entity_sep: str = "~@~",
        self_relations: bool = False,
        nested_relations: bool = False,
        symmetric_relations: bool = False,
        scope: str = "sentence",
        max_sentence_distance: int | None = None,
        closest_per_entity_pair: int | None = None,
    ):
        super().__init__(
            candidate_class,
            self_relations=self_relations,
            nested_relations=nested_relations,
            symmetric_relations=symmetric_relations,
            scope=scope,
            max_sentence_distance=max_sentence_distance,
        )
        entity_types = [entity_types] if isinstance(entity_types, str) else list(entity_types)
        if len(entity_types) != self.arity or not all(isinstance(t, str) and t for t in entity_types):
            raise CandidateError(
                f"PretaggedCandidateExtractor: {candidate_class.__name__} has arguments {candidate_class.__argnames__}; "
                f"give one entity type (a string) for each; got {entity_types!r}"
            )
        self.entity_types = entity_types
        self.entity_sep = entity_sep
        if closest_per_entity_pair is not None and (
            isinstance(closest_per_entity_pair, bool)
            or not isinstance(closest_per_entity_pair, int)
            or closest_per_entity_pair < 1
        ):
            raise CandidateError(
                f"PretaggedCandidateExtractor: closest_per_entity_pair must be a positive integer or None; "
                f"got {closest_per_entity_pair!r}"
            )
        self.closest_per_entity_pair = closest_per_entity_pair

    attributes = ("words", "char_offsets", "abs_char_offsets", "entity_types", "entity_cids")

    def mentions(self, sentence: Any) -> dict[str, list[TemporarySpan]]:
        """The tagged mentions of ``sentence`` by entity type, in sentence order."""
        wanted = set(self.entity_types)
        runs: dict[str, list[list[int]]] = defaultdict(list)  # type -> [[first, last], ...]
        open_run: dict[tuple[str, Any], list[int]] = {}
        types, cids = sentence.entity_types or [], sentence.entity_cids or []
        for i in range(len(sentence.words)):
            et = types[i] if i < len(types) else None
            if not et:
                continue
            cid = cids[i] if i < len(cids) else None
            tags = str(et).split(self.entity_sep)
            ids = str(cid).split(self.entity_sep) if cid is not None else []
            for j, t in enumerate(tags):
                if t not in wanted:
                    continue
                key = (t, ids[j] if j < len(ids) else None)
                run = open_run.get(key)
                if run is not None and run[1] == i - 1:
                    run[1] = i
                else:
                    open_run[key] = [i, i]
                    runs[t].append(open_run[key])
        words, offsets = sentence.words, sentence.char_offsets
        out: dict[str, list[TemporarySpan]] = {}
        for t, found in runs.items():
            bounds = sorted({(offsets[a], offsets[b] + len(words[b])) for a, b in found})
            out[t] = [TemporarySpan(sentence, start, end) for start, end in bounds]
        return out

    def candidates_for_document(self, sentences: Any) -> list[tuple[TemporarySpan, ...]]:
        tuples = super().candidates_for_document(sentences)
        k = self.closest_per_entity_pair
        if k is None:
            return tuples
        groups: dict[tuple[Any, ...], list[tuple[tuple[int, ...], tuple[TemporarySpan, ...]]]] = defaultdict(list)
        for args in tuples:
            ids = tuple(self._entity_id(a) for a in args)
            groups[ids].append((_closeness(args), args))
        kept = [args for members in groups.values() for _, args in sorted(members, key=lambda m: m[0])[:k]]
        order = {id(t): i for i, t in enumerate(tuples)}
        return sorted(kept, key=lambda t: order[id(t)])

    def _entity_id(self, span: TemporarySpan) -> Any:
        cids = span.get_attrib_tokens("entity_cids")
        value = cids[0] if cids else None
        if value is None or str(value) in ("", "-1"):
            return ("mention", _position(span), span.char_start, span.char_end)
        return str(value)

    def argument_spans(self, sentence: Any) -> list[list[TemporarySpan]]:
        by_type = self.mentions(sentence)
        return [by_type.get(t, []) for t in self.entity_types]
