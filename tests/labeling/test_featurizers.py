"""Default features and the FeatureAnnotator (both backends)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from snorkel_ie.db.models import TemporarySpan
from snorkel_ie.labeling import FeatureAnnotator
from snorkel_ie.labeling.featurizers import dependency_path, get_span_feats


def _sentence():
    words = ["John", "married", "Mary", "in", "Paris", "."]
    offsets = [0, 5, 13, 18, 21, 26]
    return SimpleNamespace(
        id=1,
        text="John married Mary in Paris .",
        words=words,
        lemmas=[w.lower() for w in words],
        char_offsets=offsets,
        dep_parents=[2, 0, 2, 2, 4, 2],
        dep_labels=["nsubj", "ROOT", "dobj", "prep", "pobj", "punct"],
    )


def test_dependency_path_between_arguments() -> None:
    s = _sentence()
    assert dependency_path(s, (0, 0), (2, 2)) == "nsubj< married >dobj"
    assert dependency_path(s, (0, 0), (4, 4)) == "nsubj< married >prep in >pobj"
    assert dependency_path(s, (1, 1), (2, 2)) == ">dobj"


def test_span_features_of_a_candidate() -> None:
    s = _sentence()
    cand = SimpleNamespace(get_contexts=lambda: (TemporarySpan(s, 0, 4), TemporarySpan(s, 13, 17)))
    feats = set(get_span_feats(cand))
    assert {
        "ARG0_WORD[john]",
        "ARG1_WORD[mary]",
        "BETWEEN_WORD[married]",
        "BETWEEN_SEQ[married]",
        "RIGHT_WORD[in]",
        "RIGHT_WORD[paris]",
        "DEP_PATH[nsubj< married >dobj]",
    } <= feats
    assert not any(f.startswith("LEFT_WORD") for f in feats)


def test_feature_annotator_stores_and_aligns_features(session, spouse_candidates) -> None:
    featurizer = FeatureAnnotator()
    F_train = featurizer.apply(split=0, session=session, progress=False)
    train = [c for c in spouse_candidates if c.split == 0]
    assert F_train.candidate_ids.tolist() == [c.id for c in train]
    for i, c in enumerate(train):
        row = {F_train.key_names[j] for j in F_train[i].indices}
        assert row == set(get_span_feats(c))
    assert F_train.dtype == np.float64 and (F_train.data == 1.0).all()
    F_dev = featurizer.apply_existing(split=1, session=session, progress=False)
    assert list(F_dev.key_names) == list(F_train.key_names)  # same columns: a model trained on F_train applies
    assert F_dev.shape[1] == F_train.shape[1] and F_dev.nnz > 0
    aligned = featurizer.load_matrix(session, split=1, key_names=F_train.key_names)
    assert (aligned != F_dev).nnz == 0


def test_span_features_fall_back_to_words_without_lemmas() -> None:
    from types import SimpleNamespace

    from snorkel_ie.labeling.featurizers import _tokens

    blank = SimpleNamespace(words=["Aspirin", "causes", "Reye"], lemmas=["", "", ""])
    assert _tokens(blank) == ["aspirin", "causes", "reye"]
    tagged = SimpleNamespace(words=["Aspirin", "causes"], lemmas=["aspirin", "cause"])
    assert _tokens(tagged) == ["aspirin", "cause"]
