"""The counts of a parse: per batch (:class:`ParseCounts`) and per run (:class:`ParseSummary`)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ParseCounts", "ParseSummary"]


@dataclass
class ParseCounts:
    """Documents, sentences, tokens and mention spans stored, documents skipped (already stored), failures."""

    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    spans: int = 0
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ParseSummary(ParseCounts):
    """What :meth:`CorpusParser.apply` did.

    ``failures`` lists ``(document name, reason)`` for documents that could not be parsed
    or that the database cannot store (a name longer than the ``document.name`` column, a
    NUL or lone surrogate in the name or text, NaN, Infinity or a lone surrogate in
    ``meta``); the other documents of their batch are stored.
    """

    seconds: float = 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0

    def add(self, other: ParseCounts) -> None:
        self.documents += other.documents
        self.sentences += other.sentences
        self.tokens += other.tokens
        self.spans += other.spans
        self.skipped += other.skipped
        self.failures.extend(other.failures)

    def __str__(self) -> str:
        return (
            f"parsed {self.documents} documents ({self.sentences} sentences, {self.tokens} tokens, "
            f"{self.spans} mention spans) in {self.seconds:.1f} s; {self.skipped} already stored; "
            f"{len(self.failures)} failed"
        )
