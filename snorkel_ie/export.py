"""Training data out of the database, as tables other frameworks read.

:func:`export_training_data` gives the candidates of a split as a pandas DataFrame (and
writes it as CSV, JSONL or Parquet): one row per candidate with

=========================  ==================================================================
``candidate_id``           the candidate's id
``type``, ``split``        its candidate class (type name) and split
``stable_ids``             its arguments' stable ids joined by ``~~`` (Snorkel 0.7's StableLabel key)
``document``               the document's name
``<arg>_text``             each argument's text, with its document offsets
``<arg>_start/_end``       (end exclusive: ``document_text[start:end] == text``)
``<arg>_stable_id``        and stable id
``sentence``               the text of the candidate's sentence
``marginal``               the stored training marginal P(y = 1), NaN where none;
                           categorical classes: ``marginal_1`` .. ``marginal_k``
``gold``                   the gold label (``gold=`` annotator), missing where none
=========================  ==================================================================

:func:`export_label_matrix` gives the split's label matrix as a DataFrame (rows:
candidate ids, columns: LF names, 0 = abstain) and writes it as CSV, JSONL, Parquet or a
sparse ``.npz``. :func:`read_training_data` and :func:`read_label_matrix` read the files
back into equal DataFrames. The format follows the file's extension unless ``format=``
says otherwise.

Examples
--------
>>> df = export_training_data(session, split=0, path="train.parquet")        # doctest: +SKIP
>>> X2, y, w = expand_for_sample_weights(df["comment_text"], df["marginal"])  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sqlalchemy.orm import Session

from snorkel_ie.db.export import argument_rows, split_candidate_types
from snorkel_ie.db.models import load_candidate_class, split_stable_id
from snorkel_ie.errors import ConfigurationError, ParseError

__all__ = [
    "TABLE_FORMATS",
    "export_label_matrix",
    "export_training_data",
    "read_label_matrix",
    "read_training_data",
]

log = logging.getLogger("snorkel_ie.export")

TABLE_FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}
_SUFFIXES.update({".pq": "parquet", ".npz": "npz"})


def export_training_data(
    session: Session,
    split: int = 0,
    *,
    candidate_class: Any = None,
    gold: str | None = "gold",
    path: str | Path | None = None,
    format: str | None = None,
    label_matrix: str | Path | None = None,
) -> pd.DataFrame:
    """The training data of ``split``: one row per candidate (see the module docstring).

    Parameters
    ----------
    session
        An open session.
    split
        The candidates' split.
    candidate_class
        The candidate class or its name (needed when the split holds several).
    gold
        The gold annotator whose labels fill ``gold`` (None: no ``gold`` column).
    path
        Also write the table here (CSV, JSONL or Parquet, by extension or ``format``).
    format
        ``'csv'``, ``'jsonl'`` or ``'parquet'``, when the extension does not say.
    label_matrix
        Also write the split's label matrix here (see :func:`export_label_matrix`).
    """
    from snorkel_ie.labeling import load_gold_labels, load_marginals

    ctype, cls = _resolve_class(session, split, candidate_class)
    rows = argument_rows(session, split, ctype)
    names = tuple(cls.__argnames__) if cls is not None else _positional_names(rows)
    df = _candidate_table(rows, names)
    ids = df["candidate_id"].to_numpy()
    marginals = load_marginals(session, ids, candidate_class=cls or ctype)
    if marginals.ndim == 1:
        df["marginal"] = marginals
    else:
        for k in range(marginals.shape[1]):
            df[f"marginal_{k + 1}"] = marginals[:, k]
    if gold is not None:
        values = load_gold_labels(session, gold, None, cids_query=ids, candidate_class=ctype).toarray()[:, 0]
        labels = pd.array(values, dtype="Int64")
        labels[values == 0] = pd.NA
        df["gold"] = labels
    log.info("exported %d %s candidates of split %s", len(df), ctype, split)
    if path is not None:
        write_table(df, path, format=format)
    if label_matrix is not None:
        export_label_matrix(session, split, candidate_class=cls or ctype, path=label_matrix)
    return df


def export_label_matrix(
    session: Session,
    split: int = 0,
    *,
    candidate_class: Any = None,
    path: str | Path | None = None,
    format: str | None = None,
) -> pd.DataFrame:
    """The label matrix of ``split`` as a DataFrame: index ``candidate_id``, one int column per LF.

    With ``path``, also written: CSV, JSONL and Parquet hold the dense table, ``.npz``
    the sparse matrix with its LF names and candidate ids (no pickles).
    """
    from snorkel_ie.labeling import load_matrix

    ctype, cls = _resolve_class(session, split, candidate_class)
    L = load_matrix(session, "label", split, candidate_class=cls or ctype)
    df = _matrix_frame(sp.csr_matrix(L), L.candidate_ids, L.lf_names)
    if path is not None:
        fmt = _format(path, format, allowed=(*TABLE_FORMATS, "npz"))
        if fmt == "npz":
            _write_npz(sp.csr_matrix(L), L.candidate_ids, L.lf_names, Path(path))
        else:
            write_table(df.reset_index(), path, format=fmt)
    return df


def read_training_data(path: str | Path, *, format: str | None = None) -> pd.DataFrame:
    """Read a file written by :func:`export_training_data` back into the same DataFrame."""
    return _typed(read_table(path, format=format))


def read_label_matrix(path: str | Path, *, format: str | None = None) -> pd.DataFrame:
    """Read a file written by :func:`export_label_matrix` back into the same DataFrame."""
    fmt = _format(path, format, allowed=(*TABLE_FORMATS, "npz"))
    if fmt == "npz":
        with np.load(path, allow_pickle=False) as z:
            m = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
            return _matrix_frame(m, z["candidate_ids"], [str(n) for n in z["lf_names"]])
    df = read_table(path, format=fmt)
    if "candidate_id" not in df.columns:
        raise ParseError("not a label matrix: no 'candidate_id' column", str(path))
    df = df.set_index("candidate_id")
    df.index = df.index.astype(np.int64)
    return df.astype(np.int64)


# -- tables ------------------------------------------------------------------------------


def _resolve_class(session: Session, split: int | None, candidate_class: Any) -> tuple[str, Any]:
    from snorkel_ie.labeling.matrix import candidate_type_of

    ctype = candidate_type_of(candidate_class)
    if ctype is None:
        types = split_candidate_types(session, split)
        if len(types) != 1:
            found = f"candidates of types {types}" if types else "no candidates"
            raise ConfigurationError(f"split {split} holds {found}; pass candidate_class= (a class or its name)")
        ctype = types[0]
    cls = candidate_class if isinstance(candidate_class, type) else load_candidate_class(session, ctype)
    return ctype, cls


def _positional_names(rows: Sequence[Any]) -> tuple[str, ...]:
    n = max((r.position for r in rows), default=-1) + 1
    return tuple(f"arg{i}" for i in range(n))


def _candidate_table(rows: Sequence[Any], names: Sequence[str]) -> pd.DataFrame:
    by_id: dict[int, dict[str, Any]] = {}
    for r in rows:
        rec = by_id.get(r.candidate_id)
        if rec is None:
            rec = by_id[r.candidate_id] = {
                "candidate_id": r.candidate_id,
                "type": r.type,
                "split": r.split,
                "stable_ids": [],
                "document": r.document,
            }
            for name in names:
                rec.update(
                    {f"{name}_text": None, f"{name}_start": None, f"{name}_end": None, f"{name}_stable_id": None}
                )
            rec["sentence"] = r.sentence_text
        _, _, start, end = split_stable_id(r.span_stable_id)
        name = names[r.position]
        rec["stable_ids"].append(r.span_stable_id)
        rec[f"{name}_text"] = r.sentence_text[r.char_start : r.char_end]
        rec[f"{name}_start"], rec[f"{name}_end"] = start, end
        rec[f"{name}_stable_id"] = r.span_stable_id
    for rec in by_id.values():
        rec["stable_ids"] = "~~".join(rec["stable_ids"])
    columns = ["candidate_id", "type", "split", "stable_ids", "document"]
    columns += [f"{n}_{part}" for n in names for part in ("text", "start", "end", "stable_id")] + ["sentence"]
    return _typed(pd.DataFrame(list(by_id.values()), columns=columns))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """The export's column types: ids and offsets int64, marginals float64, gold Int64, the rest text."""
    out = {}
    for col in df.columns:
        kind = _column_kind(str(col))
        values = df[col]
        if kind == "int":
            out[col] = pd.to_numeric(values).astype(np.int64)
        elif kind == "float":
            out[col] = pd.to_numeric(values.replace({"": None, None: np.nan})).astype(np.float64)
        elif kind == "gold":
            out[col] = pd.to_numeric(values.replace({"": None})).astype("Int64")
        else:
            out[col] = values.astype(object)
    return pd.DataFrame(out, columns=df.columns).reset_index(drop=True)


def _column_kind(col: str) -> str:
    if col.endswith(("_text", "_stable_id")) or col in ("type", "stable_ids", "document", "sentence"):
        return "text"
    if col in ("candidate_id", "split") or col.endswith(("_start", "_end")):
        return "int"
    if col == "marginal" or col.startswith("marginal_"):
        return "float"
    return "gold" if col == "gold" else "text"


def _matrix_frame(m: sp.csr_matrix, candidate_ids: Any, lf_names: Sequence[str]) -> pd.DataFrame:
    index = pd.Index(np.asarray(candidate_ids, dtype=np.int64), name="candidate_id")
    return pd.DataFrame(m.toarray().astype(np.int64), index=index, columns=list(lf_names))


def _write_npz(m: sp.csr_matrix, candidate_ids: Any, lf_names: Sequence[str], path: Path) -> None:
    np.savez_compressed(
        path,
        data=m.data.astype(np.int64),
        indices=m.indices,
        indptr=m.indptr,
        shape=np.asarray(m.shape, dtype=np.int64),
        candidate_ids=np.asarray(candidate_ids, dtype=np.int64),
        lf_names=np.asarray(list(lf_names), dtype=str),
    )


def _format(path: str | Path, format: str | None, *, allowed: Sequence[str] = TABLE_FORMATS) -> str:
    fmt = format.lower() if format else _SUFFIXES.get(Path(path).suffix.lower())
    if fmt not in allowed:
        raise ConfigurationError(
            f"cannot tell the format of {str(path)!r}: give format= one of {list(allowed)} "
            f"or a file ending in {sorted(s for s, f in _SUFFIXES.items() if f in allowed)}"
        )
    return fmt


def write_table(df: pd.DataFrame, path: str | Path, *, format: str | None = None) -> Path:
    """Write ``df`` as CSV, JSONL (floats exact, NaN as null) or Parquet; returns the path."""
    path = Path(path)
    fmt = _format(path, format)
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    else:
        with path.open("w", encoding="utf-8") as fh:
            for rec in df.to_dict(orient="records"):
                fh.write(json.dumps({k: _json_cell(v) for k, v in rec.items()}, ensure_ascii=False) + "\n")
    return path


def read_table(path: str | Path, *, format: str | None = None) -> pd.DataFrame:
    """Read a table written by :func:`write_table`, every CSV cell as text (types are the caller's)."""
    fmt = _format(path, format)
    if not Path(path).is_file():
        raise ConfigurationError(f"{path}: no such file")
    if fmt == "csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if fmt == "parquet":
        return pd.read_parquet(path)
    records = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise ParseError(f"invalid JSON: {err.msg}", str(path), lineno) from err
    return pd.DataFrame(records)


def _json_cell(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


# -- command -----------------------------------------------------------------------------


def _export_command() -> Any:
    import click

    @click.command("export")
    @click.option(
        "--db",
        "db_url",
        envvar="SNORKELDB",
        default=None,
        help="Database URL (default: $SNORKELDB, else ./snorkel.db).",
    )
    @click.option("--split", type=int, default=0, show_default=True)
    @click.option("--candidate-class", default=None, help="Candidate class name (needed when the split holds several).")
    @click.option(
        "--out", "out", required=True, type=click.Path(dir_okay=False), help="Training data: .csv, .jsonl or .parquet."
    )
    @click.option(
        "--format", "fmt", type=click.Choice(TABLE_FORMATS), default=None, help="When --out's extension does not say."
    )
    @click.option(
        "--labels",
        default=None,
        type=click.Path(dir_okay=False),
        help="Also write the label matrix (.csv, .jsonl, .parquet, .npz).",
    )
    @click.option("--gold", default="gold", show_default=True, help="Gold annotator for the 'gold' column.")
    def export(
        db_url: str | None,
        split: int,
        candidate_class: str | None,
        out: str,
        fmt: str | None,
        labels: str | None,
        gold: str,
    ) -> None:
        """Write the training data of a split (candidates, texts, offsets, marginals, gold) and its label matrix."""
        from snorkel_ie.db.session import SnorkelSession

        session = SnorkelSession(db_url)
        try:
            df = export_training_data(
                session, split, candidate_class=candidate_class, gold=gold, path=out, format=fmt, label_matrix=labels
            )
        finally:
            session.close()
        click.echo(
            f"wrote {len(df)} candidates of split {split} to {out}"
            + (f" and their label matrix to {labels}" if labels else "")
        )

    return export


export_command = _export_command()
"""The ``snorkel-ie export`` command (registered by :mod:`snorkel_ie.cli`)."""
