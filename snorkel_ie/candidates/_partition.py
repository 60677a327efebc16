"""Sentence partitions: option checks, partition sizes and the per-partition worker job.

:func:`_extract_partition` is the function :func:`snorkel_ie.runner.run_partitions`
sends to worker processes or a Dask cluster; it stays a module-level function so that
workers import it by its module path.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from snorkel_ie.db.candidates import write_candidates
from snorkel_ie.db.engine import WRITE_LOCK, get_engine
from snorkel_ie.db.views import load_sentences
from snorkel_ie.errors import CandidateError, ConfigurationError

if TYPE_CHECKING:
    from snorkel_ie.candidates._base import _Extractor

PARTITION_SIZE = 1000
"""Sentences per partition (one transaction) when running serially."""


def _check_options(split: Any, parallelism: Any, partition_size: Any) -> None:
    if isinstance(split, bool) or not isinstance(split, int):
        raise CandidateError(f"split must be an integer (0 train, 1 dev, 2 test); got {split!r}")
    if isinstance(parallelism, bool) or not isinstance(parallelism, int) or parallelism < 1:
        raise ConfigurationError(f"parallelism must be an integer of at least 1; got {parallelism!r}")
    if partition_size is not None and (
        isinstance(partition_size, bool) or not isinstance(partition_size, int) or partition_size < 1
    ):
        raise ConfigurationError(f"partition_size must be a positive integer or None; got {partition_size!r}")


def _engine_of(obj: Any) -> Engine:
    if isinstance(obj, Engine):
        return obj
    if hasattr(obj, "get_bind"):
        return obj.get_bind()
    raise CandidateError(f"expected an Engine or a session; got {obj!r}")


def _partition_size(n: int, workers: int) -> int:
    if workers <= 1:
        return PARTITION_SIZE
    return max(50, min(PARTITION_SIZE, math.ceil(n / (4 * workers))))


def _by_document(sentences: list[Any]) -> list[list[Any]]:
    """Sentences grouped by document, each group in sentence order."""
    groups: dict[int, list[Any]] = {}
    for s in sentences:
        groups.setdefault(s.document_id, []).append(s)
    return [sorted(g, key=lambda s: s.position) for g in groups.values()]


def document_partitions(groups: list[list[int]], size: int) -> list[list[int]]:
    """Whole documents' sentence ids packed into partitions of about ``size`` sentences."""
    parts: list[list[int]] = []
    current: list[int] = []
    for ids in groups:
        if current and len(current) + len(ids) > size:
            parts.append(current)
            current = []
        current = current + list(ids)
    if current:
        parts.append(current)
    return parts


def _extract_partition(
    sentence_ids: list[int],
    *,
    extractor: _Extractor,
    split: int,
    engine: Engine | None = None,
    db_url: str | None = None,
) -> tuple[int, int, int]:
    """One partition: read sentences, find candidates, write them in one transaction.

    With a document-scope extractor the partition holds whole documents (see
    :func:`document_partitions`) and arguments are paired across their sentences.
    """
    engine = engine if engine is not None else get_engine(db_url)
    with engine.connect() as conn:
        sentences = load_sentences(conn, sentence_ids, attributes=extractor.attributes)
    if getattr(extractor, "scope", "sentence") == "document":
        found = [(doc[0], extractor.candidates_for_document(doc)) for doc in _by_document(sentences)]
    else:
        found = [(s, extractor.candidates_for(s)) for s in sentences]
    with engine.connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        return write_candidates(conn, extractor.type_name, split, found)
