"""Entity-level answers: grouping, aggregation, document-level scores, the recall ceiling."""

from __future__ import annotations

import math
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
from sqlalchemy import select

from snorkel_ie.candidates import PretaggedCandidateExtractor
from snorkel_ie.db.models import Sentence, candidate_subclass
from snorkel_ie.errors import ModelError
from snorkel_ie.labeling.entities import (
    EntityPairs,
    entity_ids,
    gold_relations,
    relation_lines,
    score_entity_sets,
)
from tests.candidates.corpus import build_document, read_pubtator

ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])


def _fake(doc: str, *cids):
    return SimpleNamespace(sentence=SimpleNamespace(document=SimpleNamespace(name=doc)), get_cids=lambda: cids)


def test_candidate_keys_split_id_lists_and_drop_unnormalised() -> None:
    assert entity_ids("D1|D2") == ["D1", "D2"] and entity_ids("-1") == [] and entity_ids(None) == []
    assert EntityPairs.candidate_keys(_fake("7", "D1|D2", "C3")) == [("7", "D1", "C3"), ("7", "D2", "C3")]
    assert EntityPairs.candidate_keys(_fake("7", "-1", "C3")) == []


@pytest.mark.parametrize("seed", range(5))
def test_aggregations_match_a_plain_python_reference(seed) -> None:
    rng = np.random.default_rng(seed)
    n, docs = 200, ["a", "b", "c"]
    cands = [
        _fake(
            str(rng.choice(docs)), f"C{rng.integers(4)}" + ("|C9" if rng.random() < 0.1 else ""), f"D{rng.integers(5)}"
        )
        for _ in range(n)
    ]
    p = rng.random(n)
    pairs = EntityPairs.from_candidates(cands)
    members: dict[tuple, list[float]] = {}
    for c, pi in zip(cands, p, strict=True):
        for key in EntityPairs.candidate_keys(c):
            members.setdefault(key, []).append(pi)
    assert set(pairs.keys) == set(members)
    ref = {
        "max": {k: max(v) for k, v in members.items()},
        "noisy_or": {k: 1 - math.prod(1 - x for x in v) for k, v in members.items()},
        "mean": {k: sum(v) / len(v) for k, v in members.items()},
    }
    for how, expected in ref.items():
        got = dict(zip(pairs.keys, pairs.aggregate(p, how=how), strict=True))
        assert got == pytest.approx(expected)
    hard = np.where(p > 0.7, 1, -1)
    got = dict(zip(pairs.keys, pairs.aggregate(hard, how="max"), strict=True))
    assert got == {k: float(max(v) > 0.7) for k, v in members.items()}


def test_scores_against_every_gold_pair() -> None:
    cands = [_fake("1", "C1", "D1"), _fake("1", "C1", "D1"), _fake("1", "C2", "D1"), _fake("2", "C1", "D2")]
    pairs = EntityPairs.from_candidates(cands)
    gold = {("1", "C1", "D1"), ("2", "C1", "D2"), ("2", "C5", "D5")}  # the last one has no candidate
    s = pairs.score(np.array([0.9, 0.2, 0.8, 0.1]), gold)
    assert (s.tp, s.fp, s.fn) == (1, 1, 2) and s.precision == 0.5 and s.recall == pytest.approx(1 / 3)
    assert pairs.recall_ceiling(gold) == pytest.approx(2 / 3)
    assert pairs.all_positive(gold).recall == pytest.approx(2 / 3)
    errors = pairs.error_analysis(np.array([0.9, 0.2, 0.8, 0.1]), gold)
    assert errors["fp"] == {("1", "C2", "D1")} and errors["unreachable"] == {("2", "C5", "D5")}
    assert pairs.labels(gold).tolist() == [1, -1, 1]
    assert score_entity_sets(set(), gold).f1 == 0.0
    assert relation_lines([("1", "C1", "D1")], [0.91234]) == ["1\tCID\tC1\tD1\t0.9123"]
    with pytest.raises(ModelError, match="one score per candidate"):
        pairs.aggregate(np.zeros(3))
    with pytest.raises(ModelError, match="unknown aggregation"):
        pairs.aggregate(np.zeros(4), how="median")


@pytest.mark.parametrize("scope", ["sentence", "document"])
def test_recall_ceiling_of_real_cdr_candidates(session, shared_data, scope) -> None:
    raws = read_pubtator(shared_data / "cdr" / "CDR_TrainingSet.PubTator.txt", 8)
    docs = [build_document(replace(r, relations=[("CID", *pair) for pair in r.relations])) for r in raws]
    session.add_all(docs)
    session.commit()
    PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"], scope=scope).apply(
        session.query(Sentence), split=0, progress=False
    )
    cands = session.scalars(select(ChemicalDisease).order_by(ChemicalDisease.id)).all()
    gold = gold_relations(session, [d.name for d in docs])
    assert len(gold) > 10 and gold == gold_relations(session)
    assert gold_relations(session, [docs[0].name]) == {g for g in gold if g[0] == docs[0].name}
    ceiling = EntityPairs.from_candidates(cands).recall_ceiling(gold)
    if scope == "document":
        assert ceiling == 1.0  # every gold pair's entities are tagged somewhere in their abstract
    else:
        assert 0.3 < ceiling < 1.0
