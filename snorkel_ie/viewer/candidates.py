"""The candidates a viewer shows: their records, LF votes, gold labels, filters and error classes.

One :class:`ViewerCandidates` serves both front ends (the Jupyter widget and the web page).
It keeps only arrays (candidate ids in display order, the LF vote matrix, predictions);
every method that reads or writes the database takes a session as its first argument,
so the web server can give each request its own session. Gold labels are read and
written through :mod:`snorkel_ie.labeling.gold` (the ``gold_label`` table under the key
``('gold', annotator)``): nothing else is written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from snorkel_ie.db.models import Candidate
from snorkel_ie.errors import CandidateError, ConfigurationError
from snorkel_ie.labeling.gold import save_gold_labels
from snorkel_ie.labeling.matrix import load_matrix

__all__ = ["ERROR_CLASSES", "LABEL_STATES", "Filters", "ViewerCandidates", "check_annotator", "label_choices"]

ERROR_CLASSES = ("tp", "fp", "tn", "fn")
LABEL_STATES = ("any", "labeled", "unlabeled")
_ANNOTATOR = re.compile(r"^[\w.@+-]{1,64}$")


def check_annotator(name: Any) -> str:
    """An annotator name as stored: 1-64 letters, digits or ``_.@+-``; anything else is refused."""
    if not isinstance(name, str) or not _ANNOTATOR.match(name):
        raise ConfigurationError(f"annotator name must be 1-64 letters, digits or _.@+-; got {name!r}")
    return name


def label_choices(candidate_class: Any) -> list[dict[str, Any]]:
    """The labels a candidate of this class can get: value, name and keyboard key.

    Binary classes (cardinality 2) take 1 (key ``t``) and -1 (key ``f``), as Snorkel 0.7's
    gold labels; categorical ones take 1..k (keys ``1``..``9``), named by the class's values.
    """
    cardinality = int(getattr(candidate_class, "cardinality", 2) or 2)
    if cardinality == 2:
        return [{"value": 1, "name": "True", "key": "t"}, {"value": -1, "name": "False", "key": "f"}]
    values = list(getattr(candidate_class, "values", range(1, cardinality + 1)))
    return [
        {"value": i, "name": str(values[i - 1]) if i - 1 < len(values) else str(i), "key": str(i) if i < 10 else ""}
        for i in range(1, cardinality + 1)
    ]


@dataclass(frozen=True)
class Filters:
    """Which candidates a page shows: voted on by ``lf``, with conflicting votes, of an error class, labeled or not."""

    lf: str | None = None
    conflict: bool = False
    error: str | None = None
    label: str = "any"

    @classmethod
    def parse(cls, raw: dict[str, Any], lf_names: Sequence[str]) -> Filters:
        """Filters from request fields (strings or JSON values); a bad field raises ConfigurationError."""
        lf = raw.get("lf") or None
        if lf is not None and lf not in lf_names:
            raise ConfigurationError(f"unknown LF {lf!r}; known: {list(lf_names)}")
        conflict = raw.get("conflict", False)
        if isinstance(conflict, str):
            if conflict.lower() not in ("", "0", "1", "true", "false"):
                raise ConfigurationError(f"conflict must be true or false; got {conflict!r}")
            conflict = conflict.lower() in ("1", "true")
        error = raw.get("error") or None
        if error is not None and error not in ERROR_CLASSES:
            raise ConfigurationError(f"error must be one of {list(ERROR_CLASSES)}; got {error!r}")
        label = raw.get("label") or "any"
        if label not in LABEL_STATES:
            raise ConfigurationError(f"label must be one of {list(LABEL_STATES)}; got {label!r}")
        return cls(lf=lf, conflict=bool(conflict), error=error, label=label)


@dataclass
class ViewerCandidates:
    """Candidate ids in display order with their LF votes and predictions (arrays only).

    Build it with :meth:`load`. ``votes`` is a CSR matrix with one row per candidate in
    ``ids`` order and one column per LF in ``lf_names``.
    """

    ids: np.ndarray
    argnames: tuple[str, ...]
    choices: list[dict[str, Any]]
    lf_names: list[str]
    votes: sp.csr_matrix
    predictions: np.ndarray
    prediction_source: str
    gold_ids: frozenset[int] = field(default_factory=frozenset)
    objects: dict[int, Any] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        session: Session,
        candidates: Iterable[Any],
        *,
        gold: Iterable[Any] = (),
        predictions: Sequence[float] | np.ndarray | None = None,
    ) -> ViewerCandidates:
        """Read the LF votes of ``candidates`` (objects or ids, shown in this order).

        ``predictions`` (one per candidate: labels, or marginals in [0, 1] cut at 0.5) decide
        the error classes; without them the majority vote of the LFs does.
        """
        items = list(candidates)
        ids = np.asarray([int(getattr(c, "id", c)) for c in items], dtype=np.int64)
        if len(np.unique(ids)) != len(ids):
            raise ConfigurationError("a candidate is listed more than once")
        objects = {int(c.id): c for c in items if isinstance(c, Candidate)}
        first = next(iter(objects.values()), None) if objects else _first_candidate(session, ids)
        votes, lf_names = _votes(session, ids)
        if predictions is None:
            pred, source = _majority(votes), "majority vote of the LFs"
        else:
            pred, source = _as_predictions(predictions, len(ids)), "given predictions"
        return cls(
            ids=ids,
            argnames=tuple(getattr(first, "__argnames__", ())),
            choices=label_choices(type(first) if first is not None else None),
            lf_names=lf_names,
            votes=votes,
            predictions=pred,
            prediction_source=source,
            gold_ids=frozenset(int(getattr(g, "id", g)) for g in gold),
            objects=objects,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def index_of(self, candidate_id: Any) -> int:
        """Position of a candidate id in the display order; CandidateError when it is not shown here."""
        if isinstance(candidate_id, bool) or not isinstance(candidate_id, (int, np.integer, str)):
            raise ConfigurationError(f"candidate id must be an integer; got {candidate_id!r}")
        try:
            cid = int(candidate_id)
        except ValueError as err:
            raise ConfigurationError(f"candidate id must be an integer; got {candidate_id!r}") from err
        pos = np.flatnonzero(self.ids == cid)
        if len(pos) == 0:
            raise CandidateError(f"candidate {cid} is not among the {len(self.ids)} candidates of this viewer")
        return int(pos[0])

    def labels(self, session: Session, annotator: str) -> np.ndarray:
        """The annotator's gold labels, one per candidate in display order (0 = none), read now."""
        if not len(self.ids):
            return np.zeros(0, np.int64)
        order = np.argsort(self.ids)
        m = load_matrix(session, "gold", None, key_names=[annotator], candidate_ids=self.ids[order])
        out = np.zeros(len(self.ids), np.int64)
        out[order] = np.asarray(m.toarray()).ravel()
        session.commit()  # end the read snapshot, so the next read sees other writers' labels
        return out

    def error_classes(self, labels: np.ndarray) -> np.ndarray:
        """``tp``/``fp``/``tn``/``fn`` of each candidate (prediction against gold label), '' without both."""
        pred, gold = self.predictions, labels
        out = np.full(len(gold), "", dtype="<U2")
        known = (gold != 0) & (pred != 0)
        pos = pred == 1
        out[known & pos & (gold == 1)] = "tp"
        out[known & pos & (gold != 1)] = "fp"
        out[known & ~pos & (gold != 1)] = "tn"
        out[known & ~pos & (gold == 1)] = "fn"
        return out

    def conflicts(self) -> np.ndarray:
        """Whether the LFs that voted on each candidate disagree (two different non-zero votes)."""
        v = sp.csr_matrix(self.votes, copy=True)
        v.eliminate_zeros()
        out = np.zeros(v.shape[0], bool)
        rows = np.flatnonzero(np.diff(v.indptr) > 0)
        if len(rows):
            starts = v.indptr[rows]
            out[rows] = np.minimum.reduceat(v.data, starts) != np.maximum.reduceat(v.data, starts)
        return out

    def select(self, labels: np.ndarray, filters: Filters) -> np.ndarray:
        """Positions (display order) of the candidates that pass ``filters``."""
        keep = np.ones(len(self.ids), bool)
        if filters.lf is not None:
            col = self.votes[:, self.lf_names.index(filters.lf)]
            keep &= np.asarray(col.toarray()).ravel() != 0
        if filters.conflict:
            keep &= self.conflicts()
        if filters.error is not None:
            keep &= self.error_classes(labels) == filters.error
        if filters.label != "any":
            keep &= (labels != 0) if filters.label == "labeled" else (labels == 0)
        return np.flatnonzero(keep)

    def candidate(self, session: Session, candidate_id: int) -> Any:
        """The candidate object with this id (the one given to :meth:`load`, else read by id)."""
        cid = int(self.ids[self.index_of(candidate_id)])
        obj = self.objects.get(cid)
        return obj if obj is not None else session.get(Candidate, cid)

    def check_label(self, value: Any) -> int:
        """A label value as stored: one of the choices, or 0 to clear; anything else is refused."""
        allowed = [c["value"] for c in self.choices] + [0]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value not in allowed:
            raise ConfigurationError(f"label must be one of {allowed} (0 clears); got {value!r}")
        return int(value)

    def set_label(self, session: Session, annotator: str, candidate_id: Any, value: Any) -> int:
        """Store the annotator's gold label of one candidate now (0 deletes it); returns the stored value."""
        cid = int(self.ids[self.index_of(candidate_id)])
        label = self.check_label(value)
        check_annotator(annotator)
        for attempt in range(3):
            try:
                save_gold_labels(session, [cid], [label], annotator_name=annotator)
                return label
            except IntegrityError:  # another writer stored the same (candidate, key) between delete and insert
                session.rollback()
                if attempt == 2:
                    raise
        return label

    def page_of(self, position: int, page_size: int) -> int:
        """The page (of ``page_size``) that holds a display position."""
        return position // max(page_size, 1)


def n_pages(total: int, page_size: int) -> int:
    """Pages needed for ``total`` items (at least one)."""
    return max(1, math.ceil(total / max(page_size, 1)))


def _first_candidate(session: Session, ids: np.ndarray) -> Any:
    if not len(ids):
        return None
    return session.scalars(select(Candidate).where(Candidate.id == int(ids[0]))).first()


def _votes(session: Session, ids: np.ndarray) -> tuple[sp.csr_matrix, list[str]]:
    if not len(ids):
        return sp.csr_matrix((0, 0), dtype=np.int64), []
    order = np.argsort(ids)
    m = load_matrix(session, "label", None, candidate_ids=ids[order])
    names = list(m.key_names)
    inverse = np.empty(len(ids), np.int64)
    inverse[order] = np.arange(len(ids))
    votes = sp.csr_matrix(m)[inverse]
    session.commit()
    return sp.csr_matrix(votes, dtype=np.int64), names


def _majority(votes: sp.csr_matrix) -> np.ndarray:
    """+1 / -1 by the sign of the summed votes (binary), 0 on a tie or without votes."""
    if votes.shape[1] == 0:
        return np.zeros(votes.shape[0], np.int64)
    return np.sign(np.asarray(votes.sum(axis=1)).ravel()).astype(np.int64)


def _as_predictions(predictions: Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    p = np.asarray(predictions, dtype=float)
    if p.ndim != 1 or len(p) != n:
        raise ConfigurationError(f"{n} candidates but predictions of shape {p.shape} (give one per candidate)")
    known = ~np.isnan(p)  # a candidate without a stored marginal has no prediction
    if not known.all():
        out = np.zeros(n, np.int64)
        out[known] = _as_predictions(p[known], int(known.sum())) if known.any() else []
        return out
    if np.all((p >= 0) & (p <= 1)) and not np.all(np.isin(p, (0, 1))):
        return np.where(p > 0.5, 1, np.where(p < 0.5, -1, 0)).astype(np.int64)
    if np.all(np.isin(p, (0, 1))):  # 0/1 labels (zero_one style)
        return np.where(p == 1, 1, -1).astype(np.int64)
    return np.sign(p).astype(np.int64)
