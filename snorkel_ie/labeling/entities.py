"""Entity-level answers: mention candidates grouped into (document, entity id, entity id) pairs.

Document-level relation tasks (BioCreative V CDR) are judged on entity pairs, not on
mentions: the answer for a document is the set of (chemical MeSH, disease MeSH) pairs it
states. :class:`EntityPairs` maps each mention candidate to the pairs its arguments'
normalised ids name (the ``entity_cids`` a PubTator or BioC reader stored; ``|``-joined
ids give one pair per combination, ``-1`` and missing ids none), aggregates per-candidate
scores over the candidates of a pair and scores the pairs against the documents' gold
relations.

Aggregations (``how``), over the candidates of one pair with scores ``p_i``:

- ``"max"``: ``max_i p_i``: the pair holds when one mention pair says so;
- ``"noisy_or"``: ``1 - prod_i (1 - p_i)``: independent pieces of evidence;
- ``"mean"``: the mean of ``p_i``.

Scores may be marginals ``P(y=+1)`` or hard labels (``+1``/``-1``/``0``, taken as 1 for
``+1`` and 0 otherwise). A pair is predicted when its aggregate is above ``threshold``.

Examples
--------
>>> pairs = EntityPairs.from_candidates(dev_candidates)  # doctest: +SKIP
>>> gold = gold_relations(session, dev_document_names)  # doctest: +SKIP
>>> pairs.score(marginals, gold, how="max")  # doctest: +SKIP
EntityScores(precision=0.55, recall=0.71, f1=0.62, tp=..., fp=..., fn=...)
>>> pairs.recall_ceiling(gold)  # doctest: +SKIP
0.99
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from sqlalchemy import select

from snorkel_ie.errors import ModelError

__all__ = [
    "AGGREGATIONS",
    "EntityPairs",
    "EntityScores",
    "entity_ids",
    "gold_relations",
    "load_candidate_views",
    "relation_lines",
    "score_entity_sets",
]

AGGREGATIONS = ("max", "noisy_or", "mean")

EntityKey = tuple[str, ...]
"""(document name, id of argument 0, id of argument 1, ...)."""


class EntityScores(NamedTuple):
    """Precision, recall and F1 of a set of predicted entity pairs against the gold pairs."""

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int


def score_entity_sets(predicted: Iterable[EntityKey], gold: Iterable[EntityKey]) -> EntityScores:
    """P/R/F1 of the ``predicted`` set of entity keys against every ``gold`` key.

    Gold keys that no candidate reaches count as misses: this is the task's metric, not
    a score restricted to the candidates.
    """
    predicted, gold = set(predicted), set(gold)
    tp = len(predicted & gold)
    fp, fn = len(predicted) - tp, len(gold) - tp
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return EntityScores(p, r, f1, tp, fp, fn)


def entity_ids(value: Any) -> list[str]:
    """The normalised ids in one stored entity id: ``"D1|D2"`` gives both, ``"-1"`` and None none."""
    if value is None:
        return []
    return [part for part in str(value).split("|") if part and part != "-1"]


def _document_name(candidate: Any) -> str:
    return str(candidate.sentence.document.name)


@dataclass
class EntityPairs:
    """Which candidate belongs to which entity pair.

    Attributes
    ----------
    keys
        The distinct entity keys, in order of first appearance.
    rows, groups
        Parallel arrays: candidate row ``rows[j]`` belongs to pair ``groups[j]`` (a
        candidate whose ids are lists belongs to several pairs; one without ids to none).
    n_candidates
        Number of candidates (rows of the score vectors).
    """

    keys: list[EntityKey]
    rows: np.ndarray
    groups: np.ndarray
    n_candidates: int

    @classmethod
    def from_keys(cls, candidate_keys: Sequence[Iterable[EntityKey]]) -> EntityPairs:
        """From each candidate's entity keys (as :meth:`candidate_keys` gives them)."""
        index: dict[EntityKey, int] = {}
        rows, groups = [], []
        for i, keys in enumerate(candidate_keys):
            for key in dict.fromkeys(keys):
                rows.append(i)
                groups.append(index.setdefault(tuple(key), len(index)))
        return cls(
            list(index), np.asarray(rows, dtype=np.int64), np.asarray(groups, dtype=np.int64), len(candidate_keys)
        )

    @staticmethod
    def candidate_keys(candidate: Any) -> list[EntityKey]:
        """The entity keys of one candidate (ORM object or labeling view)."""
        doc = _document_name(candidate)
        per_argument = [entity_ids(cid) for cid in candidate.get_cids()]
        out: list[EntityKey] = [(doc,)]
        for ids in per_argument:
            out = [(*key, i) for key in out for i in ids]
        return out

    @classmethod
    def from_candidates(cls, candidates: Sequence[Any]) -> EntityPairs:
        """Group ``candidates`` (in the order of the score vectors) by their entity keys."""
        return cls.from_keys([cls.candidate_keys(c) for c in candidates])

    @classmethod
    def from_database(cls, session: Any, candidate_ids: Sequence[int], candidate_class: Any) -> EntityPairs:
        """Group the stored candidates ``candidate_ids`` (in that order, e.g. a label matrix's
        ``candidate_ids``) of ``candidate_class``, read through the bulk views."""
        views = load_candidate_views(session, candidate_ids, candidate_class)
        return cls.from_candidates(views)

    def __len__(self) -> int:
        return len(self.keys)

    def aggregate(self, scores: Any, *, how: str = "max") -> np.ndarray:
        """One score per pair (in :attr:`keys` order) from one score per candidate.

        Hard labels in ``{-1, 0, 1}`` count as 1 for ``+1`` and 0 otherwise.
        """
        s = self._scores(scores)
        n = len(self.keys)
        if how == "max":
            out = np.full(n, -np.inf)
            np.maximum.at(out, self.groups, s[self.rows])
            return np.where(np.isfinite(out), out, 0.0)
        if how == "noisy_or":
            log_miss = np.zeros(n)
            np.add.at(log_miss, self.groups, np.log1p(-np.clip(s[self.rows], 0.0, 1.0 - 1e-12)))
            return 1.0 - np.exp(log_miss)
        if how == "mean":
            total, count = np.zeros(n), np.zeros(n)
            np.add.at(total, self.groups, s[self.rows])
            np.add.at(count, self.groups, 1.0)
            return np.divide(total, count, out=np.zeros(n), where=count > 0)
        raise ModelError(f"unknown aggregation {how!r}; use one of {AGGREGATIONS}")

    def _scores(self, scores: Any) -> np.ndarray:
        s = np.asarray(scores, dtype=np.float64)
        if s.ndim != 1 or len(s) != self.n_candidates:
            raise ModelError(f"expected one score per candidate ({self.n_candidates}); got an array of shape {s.shape}")
        if s.size and s.min() < 0:  # hard labels -1/0/+1
            s = (s > 0).astype(np.float64)
        return s

    def predicted(self, scores: Any, *, how: str = "max", threshold: float = 0.5) -> set[EntityKey]:
        """The pairs whose aggregate score is above ``threshold``."""
        agg = self.aggregate(scores, how=how)
        return {k for k, v in zip(self.keys, agg, strict=True) if v > threshold}

    def score(
        self, scores: Any, gold: Iterable[EntityKey], *, how: str = "max", threshold: float = 0.5
    ) -> EntityScores:
        """Document-level P/R/F1 of the pairs predicted from ``scores`` against every ``gold`` pair."""
        return score_entity_sets(self.predicted(scores, how=how, threshold=threshold), gold)

    def error_analysis(
        self, scores: Any, gold: Iterable[EntityKey], *, how: str = "max", threshold: float = 0.5
    ) -> dict[str, set[EntityKey]]:
        """The pairs of each outcome: ``tp``, ``fp``, ``fn`` (gold pairs missed, with or without a candidate)
        and ``unreachable`` (the gold pairs no candidate names)."""
        gold = set(gold)
        predicted = self.predicted(scores, how=how, threshold=threshold)
        return {
            "tp": predicted & gold,
            "fp": predicted - gold,
            "fn": gold - predicted,
            "unreachable": gold - set(self.keys),
        }

    def recall_ceiling(self, gold: Iterable[EntityKey]) -> float:
        """The share of ``gold`` pairs that some candidate names: the recall of a perfect classifier."""
        gold = set(gold)
        return len(gold & set(self.keys)) / len(gold) if gold else 0.0

    def all_positive(self, gold: Iterable[EntityKey]) -> EntityScores:
        """The baseline that predicts every candidate pair."""
        return score_entity_sets(self.keys, gold)

    def votes(self, L: Any) -> sp.csr_matrix:
        """Each LF's vote per pair: the sign of the sum of its votes on the pair's candidates (0: abstain or tie)."""
        L = sp.csr_matrix(L, dtype=np.float64)
        if L.shape[0] != self.n_candidates:
            raise ModelError(
                f"the label matrix has {L.shape[0]} rows; expected one per candidate ({self.n_candidates})"
            )
        member = sp.csr_matrix(
            (np.ones(len(self.rows)), (self.groups, self.rows)), shape=(len(self.keys), self.n_candidates)
        )
        summed = (member @ L).tocsr()
        summed.data = np.sign(summed.data)
        summed.eliminate_zeros()
        return summed

    def lf_stats(self, L: Any, gold: Iterable[EntityKey]) -> Any:
        """LF statistics at the level of entity pairs (a pandas DataFrame, one row per LF).

        An LF's vote on a pair is the sign of the sum of its votes on the pair's
        candidates. Columns: coverage (share of pairs voted on), positive and negative
        votes, and against the gold pairs: TP, FP, TN, FN and the accuracy of the votes.
        """
        import pandas as pd

        V = self.votes(L).tocsc()
        y = self.labels(gold)
        names = list(getattr(L, "key_names", None) or [str(j) for j in range(V.shape[1])])
        rows = []
        for j in range(len(names)):
            col = V.getcol(j)
            idx, v = col.indices, col.data
            tp, fp = int(np.sum((v > 0) & (y[idx] > 0))), int(np.sum((v > 0) & (y[idx] < 0)))
            tn, fn = int(np.sum((v < 0) & (y[idx] < 0))), int(np.sum((v < 0) & (y[idx] > 0)))
            n = len(idx)
            rows.append({
                "coverage": n / len(self.keys) if len(self.keys) else 0.0,
                "positive": int(np.sum(v > 0)), "negative": int(np.sum(v < 0)),
                "TP": tp, "FP": fp, "TN": tn, "FN": fn,
                "accuracy": (tp + tn) / n if n else float("nan"),
            })  # fmt: skip
        return pd.DataFrame(rows, index=names)

    def labels(self, gold: Iterable[EntityKey]) -> np.ndarray:
        """+1 / -1 per pair (in :attr:`keys` order): whether it is a gold pair."""
        gold = set(gold)
        return np.array([1 if k in gold else -1 for k in self.keys], dtype=np.int64)


def load_candidate_views(session: Any, candidate_ids: Sequence[int], candidate_class: Any) -> list[Any]:
    """Read-only views of the candidates ``candidate_ids`` of ``candidate_class``, in that order."""
    from snorkel_ie.db.views import load_views, view_class

    ids = np.asarray(candidate_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    type_name = candidate_class.__mapper__.polymorphic_identity
    view_cls = view_class(type_name, candidate_class.__argnames__, candidate_class.cardinality, candidate_class.values)
    with session.get_bind().connect() as conn:
        views = load_views(conn, ids[order], candidate_type=type_name, split=None, view_cls=view_cls)
    if len(views) != len(ids):
        raise ModelError(f"{len(ids) - len(views)} of the {len(ids)} candidate ids are not {type_name} candidates")
    out: list[Any] = [None] * len(ids)
    for position, view in zip(order, views, strict=True):
        out[int(position)] = view
    return out


def gold_relations(session: Any, names: Iterable[str] | None = None, *, relation: str = "CID") -> set[EntityKey]:
    """The gold entity keys ``(document name, id, id)`` of ``relation`` in the documents ``names``.

    Read from each document's ``meta['relations']`` (as the PubTator and BioC readers
    store them); all documents when ``names`` is None.
    """
    from snorkel_ie.db.models import Document
    from snorkel_ie.db.views import chunks
    from snorkel_ie.labeling.gold import relation_pairs

    out: set[EntityKey] = set()
    stmt = select(Document.name, Document.meta)
    batches = [None] if names is None else list(chunks(sorted(set(names))))
    for batch in batches:
        query = stmt if batch is None else stmt.where(Document.name.in_(list(batch)))
        for name, meta in session.execute(query):
            out |= {(str(name), *pair) for pair in relation_pairs(meta, relation)}
    return out


def relation_lines(keys: Sequence[EntityKey], scores: Sequence[float], *, relation: str = "CID") -> list[str]:
    """PubTator relation lines ``PMID<TAB>CID<TAB>id<TAB>id<TAB>score`` (score with 4 decimals)."""
    return [
        "\t".join((key[0], relation, *key[1:], f"{float(score):.4f}")) for key, score in zip(keys, scores, strict=True)
    ]
