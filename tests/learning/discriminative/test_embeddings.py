"""Word vectors pretrained on unlabelled sentences (PPMI + truncated SVD) and their use by the BiLSTM."""

from __future__ import annotations

import numpy as np
import pytest

from snorkel_ie.errors import ConfigurationError, ModelError
from snorkel_ie.learning.discriminative.embeddings import WordVectors, pretrain_word_vectors

from .conftest import relation_task


def _corpus(seed: int) -> list[list[str]]:
    """Sentences where "cat"/"dog" share contexts, as do "red"/"blue", and the two groups do not."""
    rng = np.random.default_rng(seed)
    animals, colours = ["cat", "dog"], ["red", "blue"]
    out = []
    for _ in range(400):
        if rng.random() < 0.5:
            out.append(["the", str(rng.choice(animals)), str(rng.choice(["sat", "ran", "slept"])), "here"])
        else:
            out.append(["a", str(rng.choice(colours)), str(rng.choice(["paint", "car", "shirt"])), "there"])
    return out


def test_pretrained_vectors_place_words_of_shared_contexts_together():
    wv = pretrain_word_vectors(_corpus(0), dim=4, window=2, min_count=2, seed=1)
    v = dict(zip(wv.words, wv.vectors, strict=True))
    assert np.allclose(np.linalg.norm(wv.vectors, axis=1), 1.0, atol=1e-5)
    assert v["cat"] @ v["dog"] > 0.8 and v["red"] @ v["blue"] > 0.8
    assert v["cat"] @ v["red"] < 0.5


def test_pretrained_vectors_are_reproducible_and_checked():
    a = pretrain_word_vectors(_corpus(0), dim=4, min_count=2, seed=3)
    b = pretrain_word_vectors(_corpus(0), dim=4, min_count=2, seed=3)
    assert a.words == b.words
    np.testing.assert_array_equal(a.vectors, b.vectors)
    with pytest.raises(ModelError, match="need more than dim"):
        pretrain_word_vectors([["a", "b"]] * 3, dim=5)
    with pytest.raises(ConfigurationError):
        pretrain_word_vectors(_corpus(0), window=0)
    with pytest.raises(ModelError):
        WordVectors(["a"], np.zeros((2, 3)))


@pytest.mark.slow  # imports TensorFlow
def test_bilstm_starts_from_pretrained_vectors_and_keeps_unseen_words():
    from snorkel_ie.learning.discriminative.bilstm import BiLSTM

    X, y = relation_task(60, seed=4)
    words = ["married", "wed", "spouse"]  # "spouse" is in no training sentence
    wv = WordVectors(words, np.eye(3, 6, dtype=np.float32))
    model = BiLSTM(seed=3).train(
        X, np.where(y == 1, 0.9, 0.1), n_epochs=1, dim=4, verbose=False, embeddings=wv, train_embeddings=False
    )
    emb = model._net.get_weights()[0]
    assert model.settings["embedding_dim"] == 6 and emb.shape[0] == len(model.vocab)
    for i, w in enumerate(words):
        np.testing.assert_array_equal(emb[model.vocab.lookup(w)], wv.vectors[i])  # frozen: unchanged
    assert model.vocab.lookup("spouse") != 1  # a known word, not <unk>
    with pytest.raises(ConfigurationError, match="both embeddings and embeddings_path"):
        BiLSTM().train(X, np.full(60, 0.7), embeddings=wv, embeddings_path="x.txt")
