"""Per-batch encoding for :class:`~snorkel_ie.parsing.corpus_parser.CorpusParser`: parse, validate, encode.

A batch of :class:`DocRecord` objects is parsed and every document turned into rows
ready for the database (token arrays and ``meta`` as JSON text). Everything that would
make a write fail (a name longer than the ``document.name`` column, a NUL or lone
surrogate, NaN or Infinity in ``meta``) is caught here, per document, so that the writer
never meets it. :func:`_encode_batch` runs in worker processes, which import it by this
module's path.
"""

from __future__ import annotations

import gc
import json
import math
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from snorkel_ie.db.models import Document
from snorkel_ie.db.models.context import TOKEN_ATTRIBUTES, sentence_stable_id, span_stable_id
from snorkel_ie.parsing.preprocessors import DocRecord

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_encode_strict = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
MAX_NAME_LENGTH: int = Document.__table__.c.name.type.length
"""Longest document name the ``document.name`` column stores."""
_constant_arrays: dict[tuple[Any, int], str] = {}


def _encode_array(values: list[Any]) -> str:
    """JSON text of a token array; constant arrays (no tags from a blank pipeline, 'O'...) are cached."""
    if not values:
        return "[]"
    first = values[0]
    if values.count(first) != len(values):
        return _encode(values)
    key = (type(first).__name__, first, len(values))
    found = _constant_arrays.get(key)
    if found is None:
        if len(_constant_arrays) > 10_000:
            _constant_arrays.clear()
        found = _constant_arrays[key] = _encode(values)
    return found


@dataclass
class _EncodedDoc:
    name: str
    meta: str  # JSON text
    sentences: list[list[Any]]  # SENTENCE_COLUMNS[1:] without document_id, JSON pre-encoded
    spans: list[tuple[int, str, int, int]]  # (sentence index, stable_id, char_start, char_end)
    tokens: int


@dataclass
class _Encoded:
    docs: list[_EncodedDoc]
    failures: list[tuple[str, str]]
    records: int = 0


@contextmanager
def relaxed_gc(threshold: int = 100_000) -> Iterator[None]:
    """Collect garbage less often while parsing; restored on exit.

    Parsing allocates millions of small lists and strings that live until their batch
    is written; with the default thresholds, Python's cyclic collector keeps rescanning
    the loaded pipeline and the batch in flight (measured: 60% of the row-building time).
    Objects alive on entry are frozen (not scanned) until exit.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(old[0], threshold), old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


# --------------------------------------------------------------------- workers

_parsers: dict[Any, Any] = {}


def _worker_parser(parser: Any) -> Any:
    """One loaded parser per worker process and setting (each batch brings a fresh unpickled copy)."""
    return _parsers.setdefault(pickle.dumps(parser), parser)


def _encode_batch(records: list[DocRecord], *, parser: Any, fn: Any, in_worker: bool = False) -> _Encoded:
    """Parse a batch and encode its rows (token arrays as JSON text), catching per-document faults."""
    if in_worker:
        parser = _worker_parser(parser)
    docs, failures = [], []
    with relaxed_gc():
        results = parser.parse_many((r.text, r.mentions) for r in records)
        for record, parsed in zip(records, results, strict=True):
            try:
                docs.append(_encode_doc(record, parsed, fn))
            except Exception as err:  # a document that fails is reported, the batch goes on
                failures.append((record.name, f"{type(err).__name__}: {err}"))
    return _Encoded(docs, failures, len(records))


def _encode_doc(record: DocRecord, parsed: Any, fn: Any) -> _EncodedDoc:
    """Encode one parsed document; ``ValueError`` when it cannot be stored (checked here,
    so that the writer never meets it: a failure there would lose the whole batch)."""
    _check_record(record)
    meta = _encode_meta(record)
    if isinstance(parsed, Exception):
        raise parsed
    sentences, tokens = [], 0
    for s, abs_start in zip(parsed.sentences, parsed.abs_starts, strict=True):
        sid = sentence_stable_id(record.name, abs_start, abs_start + len(s["text"]))
        if fn is not None:
            s = fn({**s, "stable_id": sid})  # 0.7's hook sees the sentence's stable id (its document name)
        problem = _unstorable(s["text"])
        if problem is not None:
            raise ValueError(f"the text of sentence {s['position']} contains {problem}")
        tokens += len(s["words"])
        sentences.append([sid, s["position"], s["text"], *(_encode_array(s[a]) for a in TOKEN_ATTRIBUTES)])
    spans = [
        (p, span_stable_id(record.name, parsed.abs_starts[p] + a, parsed.abs_starts[p] + b), a, b)
        for p, a, b in parsed.spans
    ]
    return _EncodedDoc(record.name, meta, sentences, spans, tokens)


def _lone_surrogate(value: str) -> str | None:
    """Where ``value`` holds a lone surrogate (UTF-8, hence neither backend, cannot take it), or ``None``."""
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        return f"a lone surrogate (U+{ord(value[err.start]):04X}) at index {err.start}, which UTF-8 cannot encode"
    return None


def _unstorable(value: str) -> str | None:
    """Why neither backend can store ``value`` as text (a NUL or a lone surrogate), or ``None``."""
    if "\x00" in value:
        return f"a NUL (U+0000) character at index {value.index(chr(0))}, which PostgreSQL cannot store"
    return _lone_surrogate(value)


def _short(value: str, limit: int = 60) -> str:
    """``repr(value)`` (NUL and surrogates escaped) cut to about ``limit`` characters, for messages."""
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}..."


def _check_record(record: DocRecord) -> None:
    """``ValueError`` when the document's name or text cannot be stored."""
    problem = _unstorable(record.name)
    if problem is not None:
        raise ValueError(f"the document name {_short(record.name)} contains {problem}")
    if len(record.name) > MAX_NAME_LENGTH:
        raise ValueError(
            f"the document name {_short(record.name)} is {len(record.name)} characters long; "
            f"the database stores at most {MAX_NAME_LENGTH}"
        )
    problem = _unstorable(record.text)
    if problem is not None:
        raise ValueError(f"the text contains {problem}")


def _encode_meta(record: DocRecord) -> str:
    """The document's meta (with its mentions) as JSON text both backends accept, else ``ValueError``."""
    meta = dict(record.meta)
    if record.mentions:
        meta["mentions"] = [list(m) for m in record.mentions]
    try:
        encoded = _encode_strict(meta)  # a NUL in a string becomes \u0000, which both backends keep
    except (TypeError, ValueError) as err:
        found = _meta_problem(meta, "meta")
        raise ValueError(" ".join(found) if found else f"meta cannot be stored as JSON: {err}") from err
    if _lone_surrogate(encoded) is not None:
        raise ValueError(" ".join(_meta_problem(meta, "meta") or ("meta", "contains a lone surrogate")))
    return encoded


def _meta_problem(value: Any, path: str) -> tuple[str, str] | None:
    """``(path, what is wrong)`` of the first value in ``value`` that JSON text cannot carry to both backends."""
    if isinstance(value, str):
        problem = _lone_surrogate(value)
        return (path, f"contains {problem}") if problem else None
    if isinstance(value, float) and not math.isfinite(value):
        return path, f"is {value!r}; JSON, and PostgreSQL's json type, have no NaN or Infinity"
    if value is None or isinstance(value, (bool, int, float)):
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}[{_short(str(key), 30)}]"
            problem = _lone_surrogate(key) if isinstance(key, str) else None
            found = (where, f"has a key that contains {problem}") if problem else _meta_problem(item, where)
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _meta_problem(item, f"{path}[{i}]")
            if found:
                return found
        return None
    return path, f"is a {type(value).__name__}, which JSON cannot encode"
