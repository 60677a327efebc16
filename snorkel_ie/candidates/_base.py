"""The shared extraction driver: argument pairing, the run summary and the base extractor.

:func:`pair_arguments` pairs the argument spans of one sentence; :class:`_Extractor`
runs an extractor over sentence partitions (:mod:`snorkel_ie.candidates._partition`),
clears a split and stores the candidate class's definition. The concrete extractors
(:class:`~snorkel_ie.candidates.extractor.CandidateExtractor`,
:class:`~snorkel_ie.candidates.pretagged.PretaggedCandidateExtractor`) only say how
to find each argument's spans in a sentence.
"""

from __future__ import annotations

import pickle
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from sqlalchemy import Connection, Engine

from snorkel_ie.candidates._partition import (
    _check_options,
    _engine_of,
    _extract_partition,
    _partition_size,
    document_partitions,
)
from snorkel_ie.candidates.sources import resolve_sentences
from snorkel_ie.db.candidates import (
    count_candidates,
    delete_candidates,
    forget_lf_runs,
    sentence_ids_by_document,
)
from snorkel_ie.db.engine import WRITE_LOCK
from snorkel_ie.db.models import (
    TOKEN_ATTRIBUTES,
    Candidate,
    TemporarySpan,
    save_candidate_class,
    stored_class_spec,
)
from snorkel_ie.errors import CandidateError
from snorkel_ie.runner import check_cluster_url, chunk, run_partitions


@dataclass
class ExtractionSummary:
    """What :meth:`CandidateExtractor.apply` did."""

    candidate_type: str
    split: int
    sentences: int = 0
    candidates: int = 0
    """Candidates of this type in the processed sentences after the run."""
    created: int = 0
    """Of those, how many this run inserted."""
    in_other_split: int = 0
    """Candidates that already existed in another split and were left there."""
    cleared: int = 0
    seconds: float = 0.0
    partitions: list[int] = field(default_factory=list, repr=False)

    @property
    def rate(self) -> float:
        """Candidates per second over the whole run."""
        return self.candidates / self.seconds if self.seconds > 0 else float("nan")

    def __str__(self) -> str:
        return (
            f"{self.candidate_type} split {self.split}: {self.candidates} candidates ({self.created} new, "
            f"{self.in_other_split} kept in another split, {self.cleared} cleared) from {self.sentences} sentences "
            f"in {self.seconds:.2f} s ({self.rate:,.0f} candidates/s)"
        )


SCOPES = ("sentence", "document")


def _position(span: TemporarySpan) -> int:
    return getattr(span.sentence, "position", 0) or 0


def _where(span: TemporarySpan) -> tuple[int, int, int]:
    """Where a span lies in its document: (sentence position, start, end)."""
    return (_position(span), span.char_start, span.char_end)


def _same_order(a: TemporarySpan, b: TemporarySpan) -> bool:
    return _where(a) <= _where(b)


def _strictly_nested(a: TemporarySpan, b: TemporarySpan) -> bool:
    if _position(a) != _position(b):
        return False
    inside = (a.char_start >= b.char_start and a.char_end <= b.char_end) or (
        b.char_start >= a.char_start and b.char_end <= a.char_end
    )
    return inside and (a.char_start, a.char_end) != (b.char_start, b.char_end)


def pair_arguments(
    arguments: Sequence[Sequence[TemporarySpan]],
    *,
    self_relations: bool = False,
    nested_relations: bool = False,
    symmetric_relations: bool = False,
) -> list[tuple[TemporarySpan, ...]]:
    """All tuples of one span per argument list, filtered as Snorkel does.

    A tuple is dropped when it uses one span twice (unless ``self_relations``), when one
    argument lies inside another (unless ``nested_relations``), or, for binary tuples
    without ``symmetric_relations``, when it is the flipped copy of a tuple that is also
    produced: of ``(a, b)`` and ``(b, a)`` only the one in text order is kept. The spans
    may come from several sentences of one document (document scope): a span is then
    told apart by its sentence's position too.
    """
    keys = [{_where(s) for s in arg} for arg in arguments]
    out = []
    for combo in product(*arguments):
        spans = [_where(s) for s in combo]
        if not self_relations and len(set(spans)) < len(spans):
            continue
        if not nested_relations and any(_strictly_nested(x, y) for i, x in enumerate(combo) for y in combo[i + 1 :]):
            continue
        if len(combo) == 2 and not symmetric_relations:
            a, b = combo
            flipped_exists = spans[1] in keys[0] and spans[0] in keys[1]
            if flipped_exists and spans[0] != spans[1] and not _same_order(a, b):
                continue
        out.append(combo)
    return out


class _Extractor:
    """Shared driver: pairing flags, sentence partitions, bulk writes, clearing one split."""

    attributes: tuple[str, ...] = TOKEN_ATTRIBUTES
    """Token arrays read for each sentence (matchers may use any of them)."""

    def __init__(
        self,
        candidate_class: type[Candidate],
        *,
        self_relations: bool = False,
        nested_relations: bool = False,
        symmetric_relations: bool = False,
        scope: str = "sentence",
        max_sentence_distance: int | None = None,
    ):
        if not (isinstance(candidate_class, type) and issubclass(candidate_class, Candidate)):
            raise CandidateError(
                f"{type(self).__name__}: candidate_class must be a class made by candidate_subclass; got {candidate_class!r}"
            )
        if candidate_class is Candidate:
            raise CandidateError(f"{type(self).__name__}: use a subclass from candidate_subclass, not Candidate itself")
        self.candidate_class = candidate_class
        self.type_name: str = candidate_class.__mapper__.polymorphic_identity
        self.arity = len(candidate_class.__argnames__)
        self.self_relations = bool(self_relations)
        self.nested_relations = bool(nested_relations)
        self.symmetric_relations = bool(symmetric_relations)
        if scope not in SCOPES:
            raise CandidateError(f"{type(self).__name__}: scope must be one of {SCOPES}; got {scope!r}")
        if max_sentence_distance is not None and (
            isinstance(max_sentence_distance, bool)
            or not isinstance(max_sentence_distance, int)
            or max_sentence_distance < 0
        ):
            raise CandidateError(
                f"{type(self).__name__}: max_sentence_distance must be a non-negative integer or None; "
                f"got {max_sentence_distance!r}"
            )
        if max_sentence_distance is not None and scope == "sentence" and max_sentence_distance > 0:
            scope = "document"  # a distance above 0 asks for pairs across sentences
        self.scope = scope
        self.max_sentence_distance = max_sentence_distance

    # -- per sentence ---------------------------------------------------------------
    def argument_spans(self, sentence: Any) -> list[list[TemporarySpan]]:
        raise NotImplementedError

    def candidates_for(self, sentence: Any) -> list[tuple[TemporarySpan, ...]]:
        """The argument tuples of ``sentence`` (a Sentence or SentenceView), not written anywhere."""
        return pair_arguments(
            self.argument_spans(sentence),
            self_relations=self.self_relations,
            nested_relations=self.nested_relations,
            symmetric_relations=self.symmetric_relations,
        )

    def candidates_for_document(self, sentences: Sequence[Any]) -> list[tuple[TemporarySpan, ...]]:
        """The argument tuples across ``sentences`` (of one document), not written anywhere.

        Each argument is looked for in every sentence; the tuples are paired as
        :func:`pair_arguments` does and dropped when their sentences lie more than
        ``max_sentence_distance`` apart (positions in the document).
        """
        per_sentence = [self.argument_spans(s) for s in sentences]
        arguments = [[span for spans in per_sentence for span in spans[i]] for i in range(self.arity)]
        tuples = pair_arguments(
            arguments,
            self_relations=self.self_relations,
            nested_relations=self.nested_relations,
            symmetric_relations=self.symmetric_relations,
        )
        if self.max_sentence_distance is None:
            return tuples
        limit = self.max_sentence_distance
        return [t for t in tuples if max(map(_position, t)) - min(map(_position, t)) <= limit]

    # -- driver ---------------------------------------------------------------------
    def apply(
        self,
        xs: Any,
        *,
        split: int = 0,
        clear: bool = True,
        parallelism: int = 1,
        progress: bool = True,
        progress_bar: bool | None = None,
        session: Any = None,
        db: str | None = None,
        client: Any = None,
        partition_size: int | None = None,
    ) -> ExtractionSummary:
        """Extract candidates from sentences ``xs`` into ``split``.

        Parameters
        ----------
        xs
            Sentences: ORM objects, ids, documents (all their sentences), a query or
            select of any of those.
        split
            0 train, 1 development, 2 test (any integer works).
        clear
            First delete this candidate class's candidates of ``split`` (only those;
            other classes and splits stay), with their annotations and the records of
            the LFs applied to them. Nothing is deleted when the options are invalid.
            When candidates are added to the split (cleared or not), the LF records of
            the split are deleted, so that the next labeling run labels them all.
        parallelism
            Worker processes (1 runs here).
        client
            A ``dask.distributed.Client``: partitions go to its cluster instead
            (PostgreSQL only). A partition run twice there inserts nothing new.
        progress, progress_bar
            Show a tqdm bar (``progress_bar`` is the Snorkel 0.7 spelling).
        session, db
            Where the database is, when ``xs`` does not tell (plain ids).
        partition_size
            Sentences per transaction.

        Returns
        -------
        ExtractionSummary

        Raises
        ------
        CandidateError
            Matchers that cannot be pickled with ``parallelism > 1``; a database holding
            candidates of this class with another number of arguments.
        ConfigurationError
            A bad ``parallelism`` or ``partition_size``; ``client`` with SQLite.
        """
        started = time.perf_counter()
        if progress_bar is not None:
            progress = progress_bar
        _check_options(split, parallelism, partition_size)
        # Everything that can fail is checked before the split is cleared: a setup error
        # must not cost the split its candidates, labels and gold labels.
        engine, ids = resolve_sentences(xs, session=session, db=db)
        if client is not None:
            check_cluster_url(engine.url)
        if parallelism > 1 or client is not None:
            self._check_picklable()
        self._check_stored_class(engine, split=split, clear=clear)
        summary = ExtractionSummary(self.type_name, split, sentences=len(ids))
        summary.cleared = self._start(engine, split=split, clear=clear)
        size = partition_size or _partition_size(len(ids), parallelism if client is None else 8)
        if self.scope == "document":  # a document's sentences stay in one partition
            with engine.connect() as conn:
                parts = document_partitions(sentence_ids_by_document(conn, ids), size)
        else:
            parts = list(chunk(ids, size))
        remote = parallelism > 1 or client is not None
        context: dict[str, Any] = {"extractor": self, "split": split}
        context.update({"db_url": engine.url.render_as_string(hide_password=False)} if remote else {"engine": engine})
        try:
            for result in run_partitions(
                _extract_partition,
                parts,
                parallelism=parallelism,
                client=client,
                context=context,
                progress=progress,
                desc=f"extract {self.type_name}",
                unit="sentence",
                weight=len,
            ):
                summary.candidates += result[0]
                summary.created += result[1]
                summary.in_other_split += result[2]
                summary.partitions.append(result[0])
        finally:
            if summary.created:  # every LF must run on the new candidates (SQLite may reuse old ids)
                with engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
                    self._forget_lf_runs(conn, split)
        if session is not None and summary.created:
            session.expire_all()
        summary.seconds = time.perf_counter() - started
        if summary.in_other_split:
            warnings.warn(
                f"{summary.in_other_split} {self.type_name} candidates already existed in another split and were "
                f"left there (a sentence should belong to one split; clear the other split to move them)",
                stacklevel=2,
            )
        return summary

    def clear(self, engine: Engine | Any, *, split: int) -> int:
        """Delete this class's candidates of ``split`` (and, by cascade, their annotations).

        The records of the labeling functions applied to the split go too, so that the
        next :class:`~snorkel_ie.labeling.LabelAnnotator` run labels the new candidates.
        Returns the number of candidates deleted.
        """
        engine = _engine_of(engine)
        with engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
            return self._clear(conn, split)

    def _forget_lf_runs(self, conn: Connection, split: int) -> None:
        """Delete the records of the LFs applied to this class's candidates of ``split``."""
        forget_lf_runs(conn, self.type_name, split)

    def _clear(self, conn: Connection, split: int) -> int:
        self._forget_lf_runs(conn, split)
        return delete_candidates(conn, self.type_name, split)

    def _start(self, engine: Engine, *, split: int, clear: bool) -> int:
        """In one transaction: clear the split (when asked) and store the class's definition."""
        with engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
            cleared = self._clear(conn, split) if clear else 0
            save_candidate_class(conn, self.candidate_class)
        return cleared

    def _check_stored_class(self, engine: Engine, *, split: int, clear: bool) -> None:
        """Refuse to mix candidates of one class with different numbers of arguments."""
        with engine.connect() as conn:
            stored = stored_class_spec(conn, self.type_name)
            if stored is None or len(stored.arguments) == self.arity:
                return
            kept = count_candidates(conn, self.type_name, except_split=split if clear else None)
        if kept:
            raise CandidateError(
                f"the database holds {kept} {stored.name} candidates with arguments {list(stored.arguments)}; "
                f"{self.candidate_class.__name__} has {self.arity} arguments {list(self.candidate_class.__argnames__)}. "
                "Clear the old candidates of every split first, or give the new class another name"
            )

    def _check_picklable(self) -> None:
        try:
            pickle.dumps(self)
        except Exception as err:
            raise CandidateError(
                f"{type(self).__name__} cannot be sent to worker processes ({err}); with parallelism > 1 use "
                "module-level functions instead of lambdas in matchers, or run with parallelism=1"
            ) from err

    def __getstate__(self) -> dict[str, Any]:
        # Candidate classes are made at run time and do not pickle; workers only need the type name.
        state = dict(self.__dict__)
        state["candidate_class"] = None
        return state
