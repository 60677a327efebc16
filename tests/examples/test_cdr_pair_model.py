"""The CDR entity-pair end model's parts: entity CID rates from the train split, their LFs, the pair
features, and the Keras pair model trained on soft labels (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from snorkel_ie.examples import cdr_lfs
from snorkel_ie.examples.cdr_kb import EntityRates, entity_rate_lfs
from snorkel_ie.examples.cdr_pair_features import document_indexes, pair_feature_bags
from snorkel_ie.learning.discriminative.pair_model import PairModel, hash_features
from tests.examples.test_cdr_lfs import SULPIRIDE, Doc, _candidate, _sentence

DYSTONIA = ("dystonia", "Disease", "D004421")
PARKINSONISM = ("parkinsonism", "Disease", "D010302")


def _rates() -> EntityRates:
    # sulpiride: named by 4 train documents, a CID argument in 3; parkinsonism: named by 3, never one
    docs = [
        ("t1", [("Chemical", "D013469"), ("Disease", "D004421")], [("D013469", "D004421")]),
        ("t2", [("Chemical", "D013469"), ("Disease", "D004421|D010302")], [("D013469", "D004421")]),
        ("t3", [("Chemical", "D013469"), ("Disease", "D010302")], [("D013469", "D004409")]),
        ("t4", [("Chemical", "D013469"), ("Disease", "D010302")], []),
        ("1967484", [("Chemical", "D013469"), ("Disease", "D004421")], [("D013469", "D004421")]),
    ]
    return EntityRates(docs)


def test_entity_rates_leave_the_own_document_out() -> None:
    rates = _rates()
    assert rates.counts("Chemical", "D013469", "t4") == (4, 4)
    assert rates.counts("Chemical", "D013469", "1967484") == (3, 4)
    assert rates.rate("Disease", "D010302", "x") == 0.0
    assert rates.rate("Disease", "D004421", "1967484") == 1.0  # t1, t2 (its own document left out)
    assert rates.rate("Disease", "D004421", "t1") == 1.0  # t2 and 1967484
    assert rates.counts("Disease", "D004409", "x") == (0, 0)  # a CID argument of t3 that t3 never names
    assert rates.rate("Disease", "D004409", "x") is None
    assert rates.best("Disease", {"D004421", "D010302"}, "x") == 1.0


@pytest.fixture
def doc() -> Doc:
    cdr_lfs._DOC_CACHE.clear()
    doc = Doc("1967484")
    _sentence(doc, "Sulpiride-induced tardive dystonia.", [SULPIRIDE, DYSTONIA])
    _sentence(doc, "Parkinsonism was not seen after sulpiride.", [SULPIRIDE, PARKINSONISM])
    return doc


def test_entity_rate_lfs_vote_on_real_candidates(doc: Doc) -> None:
    rare_cause, rare_effect, frequent = entity_rate_lfs(_rates())
    dystonia = _candidate(doc.sentences[0], "Sulpiride", "dystonia")
    parkinsonism = _candidate(doc.sentences[1], "sulpiride", "Parkinsonism")
    assert [rare_cause(dystonia), rare_effect(dystonia), frequent(dystonia)] == [0, 0, 1]
    assert [rare_cause(parkinsonism), rare_effect(parkinsonism), frequent(parkinsonism)] == [0, -1, 0]


def test_pair_features_read_the_whole_abstract(doc: Doc) -> None:
    cands = [_candidate(doc.sentences[0], "Sulpiride", "dystonia")]
    kb = {("D013469", "D004421"): frozenset({"t1", "1967484"}), ("D013469", "D010302"): frozenset({"1967484"})}
    keys = [("1967484", "D013469", "D004421"), ("1967484", "D013469", "D010302")]
    dystonia, parkinsonism = pair_feature_bags(keys, document_indexes(cands), kb=kb, rates=_rates())
    assert "kb_pair=True" in dystonia and "kb_pair=False" in parkinsonism  # the own document is left out
    assert "title=True_True" in dystonia and "title=True_False" in parkinsonism
    assert "rb:." in dystonia and "bw:BA:was" in parkinsonism and "bw:BA:not" in parkinsonism
    assert "drate=0.0" in parkinsonism


def test_hash_features_are_stable_and_count_once() -> None:
    X = hash_features([["a", "b", "a"], [], ["b"]], n_bits=8)
    assert X.shape == (3, 256) and X[0].sum() == 2 and X[1].nnz == 0
    assert X[2].indices.tolist() == [i for i in X[0].indices if i in X[2].indices]
    assert (hash_features([["b"]], n_bits=8) != X[2]).nnz == 0


@pytest.mark.parametrize("hidden", [0, 8])
def test_pair_model_learns_soft_labels(hidden: int) -> None:
    rng = np.random.default_rng(0)
    n = 600
    cue = rng.random(n) < 0.3
    bags = [[f"noise{rng.integers(50)}", "cue" if c else "other"] for c in cue]
    marginals = np.where(cue, 0.9, 0.1)
    model = PairModel(hidden=hidden, n_bits=10, lr=0.05, batch_size=32, seed=3).train(bags, marginals)
    p = model.marginals([["cue", "noise1"], ["other", "noise1"]])
    assert p[0] > 0.75 and p[1] < 0.25
    balanced = PairModel(hidden=hidden, n_bits=10, lr=0.05, batch_size=32, seed=3, class_balance=True)
    q = balanced.train(bags, marginals).marginals([["cue", "noise1"], ["other", "noise1"]])
    assert q[1] > p[1]  # the rarer class (the cue, 30%) weighs more: the negative's score rises
    assert model.epochs_run_[0] >= 1 and len(model.history_[0]) == model.epochs_run_[0]


def test_an_ensemble_averages_its_networks() -> None:
    rng = np.random.default_rng(1)
    cue = rng.random(300) < 0.5
    bags = [[f"noise{rng.integers(30)}", "cue" if c else "other"] for c in cue]
    marginals = np.where(cue, 0.8, 0.2)
    ensemble = PairModel(n_bits=8, n_models=3, seed=5).train(bags, marginals)
    single = [PairModel(n_bits=8, seed=s).train(bags, marginals) for s in (5, 1005, 2005)]
    probe = [["cue"], ["other", "noise3"]]
    assert len(ensemble.epochs_run_) == 3
    np.testing.assert_allclose(
        ensemble.marginals(probe), np.mean([m.marginals(probe) for m in single], axis=0), atol=1e-5
    )
