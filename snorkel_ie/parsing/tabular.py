"""Tabular readers: one document per row of a pandas DataFrame, a CSV file or a Parquet file.

Each reader names the column that holds the text (``text=``), the one that names the
document (``id=``; ``None`` names documents ``<file stem>:<row>``) and the columns kept in
the document's ``meta`` (``meta=``; ``None`` keeps every other column). They follow the
interface of :class:`~snorkel_ie.parsing.preprocessors.DocPreprocessor`: ``records()``
yields :class:`~snorkel_ie.parsing.preprocessors.DocRecord` objects for
:class:`~snorkel_ie.parsing.CorpusParser`, iterating yields 0.7's ``(Document, text)``.

A bad row (no text, an empty id, an id seen before) raises
:class:`~snorkel_ie.errors.ParseError` naming the file and line (CSV), the file and row
(Parquet) or the row's index label (DataFrame). A repeated id may instead be skipped
(``on_duplicate="skip"``) when the rows are copies, as in some public corpora.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"cid": ["a", "b"], "body": ["Great song", "Visit my channel"], "likes": [3, 0]})
>>> [(r.name, r.text, r.meta) for r in DataFrameDocPreprocessor(df, text="body", id="cid").records()]
[('a', 'Great song', {'likes': 3}), ('b', 'Visit my channel', {'likes': 0})]
"""

from __future__ import annotations

import csv
import datetime
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from snorkel_ie.errors import ConfigurationError, ParseError
from snorkel_ie.parsing.preprocessors import DocPreprocessor, DocRecord

__all__ = ["CSVDocPreprocessor", "DataFrameDocPreprocessor", "ParquetDocPreprocessor"]

_DUPLICATE_MODES = ("error", "skip")


class _Columns:
    """Which columns make a record, and the checks every tabular reader shares."""

    def __init__(self, text: str, id: str | None, meta: Sequence[str] | None, on_duplicate: str):
        if not isinstance(text, str) or not text:
            raise ConfigurationError(f"text= must name the column holding the text; got {text!r}")
        if on_duplicate not in _DUPLICATE_MODES:
            raise ConfigurationError(f"on_duplicate must be one of {_DUPLICATE_MODES}; got {on_duplicate!r}")
        self.text, self.id, self.on_duplicate = text, id, on_duplicate
        self.meta = None if meta is None else list(meta)
        self.seen: dict[str, str] = {}

    def check_header(self, columns: Sequence[str], path: str, line: int | None) -> None:
        wanted = [self.text] + ([self.id] if self.id is not None else []) + (self.meta or [])
        missing = [c for c in wanted if c not in columns]
        if missing:
            raise ParseError(
                f"missing column(s) {missing}; the table has {list(columns)} (set text= / id= / meta= to match)",
                path,
                line,
            )

    def record(
        self, row: Mapping[str, Any], default_name: str, path: str, line: int | None, where: str
    ) -> DocRecord | None:
        """The record of one row; None for a repeated id when ``on_duplicate='skip'``."""
        text = row.get(self.text)
        if _missing(text) or text == "":
            raise ParseError(f"{where}no text in column {self.text!r}", path, line)
        if not isinstance(text, str):
            raise ParseError(f"{where}column {self.text!r} holds {type(text).__name__}, expected text", path, line)
        name = default_name if self.id is None else row.get(self.id)
        if _missing(name) or str(name).strip() == "":
            raise ParseError(f"{where}no document id in column {self.id!r}", path, line)
        name = str(name.item() if hasattr(name, "item") else name)
        here = f"{path}:{line}" if line is not None else f"{path} ({where.rstrip(': ')})"
        if name in self.seen:
            if self.on_duplicate == "skip":
                return None
            raise ParseError(
                f"{where}document id {name!r} already used at {self.seen[name]} "
                "(ids name documents and must be unique; on_duplicate='skip' keeps the first row)",
                path,
                line,
            )
        self.seen[name] = here
        keep = self.meta if self.meta is not None else [c for c in row if c not in (self.text, self.id)]
        return DocRecord(name, text, meta={c: _json_value(row.get(c)) for c in keep})


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or _is_na(value)


def _is_na(value: Any) -> bool:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        return False
    return value is pd.NA or value is pd.NaT


def _json_value(value: Any) -> Any:
    """A cell as a JSON value: numpy scalars as Python numbers, missing as None, times as ISO text."""
    if _missing(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and math.isinf(value):
        return None
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if hasattr(value, "tolist"):
        return [_json_value(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


class DataFrameDocPreprocessor(DocPreprocessor):
    """One document per row of a pandas DataFrame.

    Parameters
    ----------
    df
        The table.
    text
        Column holding each document's text.
    id
        Column naming each document (unique); ``None`` names them ``row:<index label>``.
    meta
        Columns kept in the document's ``meta``; ``None`` keeps every other column.
    on_duplicate
        ``'error'`` (default) or ``'skip'`` for a row whose id was seen before.
    max_docs
        Stop after this many documents.
    """

    def __init__(
        self,
        df: Any,
        text: str = "text",
        id: str | None = "id",
        meta: Sequence[str] | None = None,
        *,
        on_duplicate: str = "error",
        max_docs: int | None = None,
    ):
        if not hasattr(df, "columns") or not hasattr(df, "itertuples"):
            raise ConfigurationError(f"DataFrameDocPreprocessor needs a pandas DataFrame; got {type(df).__name__}")
        self.df = df
        self.columns = _Columns(text, id, meta, on_duplicate)
        self.columns.check_header([str(c) for c in df.columns], "<DataFrame>", None)
        self.path = Path("<DataFrame>")
        self.encoding = "utf-8"
        self.max_docs = _max_docs(max_docs)

    def files(self) -> list[Path]:
        return [self.path]

    def parse_file(self, path: Path) -> Iterator[DocRecord]:
        self.columns.seen.clear()
        names = [str(c) for c in self.df.columns]
        for label, *values in self.df.itertuples(index=True, name=None):
            row = dict(zip(names, values, strict=True))
            record = self.columns.record(row, f"row:{label}", "<DataFrame>", None, f"row {label!r}: ")
            if record is not None:
                yield record


class CSVDocPreprocessor(DocPreprocessor):
    """One document per row of a CSV file with a header line (or of each ``.csv`` in a folder).

    Parameters
    ----------
    path
        A CSV file or a folder of them (read in name order; ids must be unique across files).
    text, id, meta, on_duplicate
        As for :class:`DataFrameDocPreprocessor`; ``id=None`` names documents ``<stem>:<line>``.
    delimiter
        Field separator.
    encoding, max_docs
        As for every reader.

    Line ends inside a quoted field are read as ``\\n``. Errors name the line where the
    row starts.
    """

    suffixes = (".csv",)

    def __init__(
        self,
        path: str | Path,
        text: str = "text",
        id: str | None = "id",
        meta: Sequence[str] | None = None,
        *,
        delimiter: str = ",",
        on_duplicate: str = "error",
        encoding: str = "utf-8",
        max_docs: int | None = None,
    ):
        super().__init__(path, encoding=encoding, max_docs=max_docs)
        self.columns = _Columns(text, id, meta, on_duplicate)
        self.delimiter = delimiter

    def records(self) -> Iterator[DocRecord]:
        self.columns.seen.clear()
        return super().records()

    def parse_file(self, path: Path) -> Iterator[DocRecord]:
        lines = (line + "\n" for _, line in self._lines(path))
        reader = csv.reader(lines, delimiter=self.delimiter, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                return
            self.columns.check_header(header, str(path), 1)
            start = reader.line_num + 1
            for fields in reader:
                line, start = start, reader.line_num + 1
                if not fields:
                    continue
                if len(fields) != len(header):
                    raise ParseError(
                        f"expected {len(header)} fields (the header's), got {len(fields)}", str(path), line
                    )
                row = dict(zip(header, fields, strict=True))
                record = self.columns.record(row, f"{path.stem}:{line}", str(path), line, "")
                if record is not None:
                    yield record
        except csv.Error as err:
            raise ParseError(f"invalid CSV: {err}", str(path), reader.line_num) from err


class ParquetDocPreprocessor(DocPreprocessor):
    """One document per row of a Parquet file (or of each ``.parquet`` in a folder), read in batches.

    Parameters are those of :class:`CSVDocPreprocessor` (without ``delimiter``);
    ``id=None`` names documents ``<stem>:<row>``, rows counted from 1.
    """

    suffixes = (".parquet", ".pq")

    def __init__(
        self,
        path: str | Path,
        text: str = "text",
        id: str | None = "id",
        meta: Sequence[str] | None = None,
        *,
        on_duplicate: str = "error",
        batch_size: int = 10_000,
        max_docs: int | None = None,
    ):
        super().__init__(path, max_docs=max_docs)
        self.columns = _Columns(text, id, meta, on_duplicate)
        self.batch_size = batch_size

    def records(self) -> Iterator[DocRecord]:
        self.columns.seen.clear()
        return super().records()

    def parse_file(self, path: Path) -> Iterator[DocRecord]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as err:
            raise ParseError(f"not a Parquet file: {err}", str(path)) from err
        self.columns.check_header(pf.schema_arrow.names, str(path), None)
        n = 0
        for batch in pf.iter_batches(batch_size=self.batch_size):
            for row in _batch_rows(batch):
                n += 1
                record = self.columns.record(row, f"{path.stem}:{n}", str(path), None, f"row {n}: ")
                if record is not None:
                    yield record


def _batch_rows(batch: Any) -> Iterable[dict[str, Any]]:
    columns = batch.to_pydict()
    names = list(columns)
    return (dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True))


def _max_docs(max_docs: int | float | None) -> int | None:
    if max_docs == float("inf"):
        return None
    if max_docs is not None and (max_docs < 0 or max_docs != int(max_docs)):
        raise ConfigurationError(f"max_docs must be a whole number >= 0 or None; got {max_docs}")
    return None if max_docs is None else int(max_docs)
