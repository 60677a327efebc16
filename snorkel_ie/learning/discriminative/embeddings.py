"""Word vectors pretrained on unlabelled text: positive PMI of co-occurrences, truncated SVD.

The end model's training set is small (thousands of candidates); the corpus it comes from
has many more sentences, none of which needs a label. Vectors learnt from how words
co-occur in all of them give words seen in few (or no) training candidates a useful
place to start. This is the count-based equivalent of word2vec's skip-gram with
negative sampling (Levy & Goldberg, 2014): a window of ``window`` words either side,
each co-occurrence weighted by ``1 / distance``, context counts smoothed by ``alpha``,
the positive pointwise mutual information matrix factorised by a seeded truncated SVD,
rows scaled to unit length. numpy and scipy only; no labels, no download.

Examples
--------
>>> sentences = [["the", "cat", "sat"], ["the", "dog", "sat"]] * 5
>>> wv = pretrain_word_vectors(sentences, dim=2, min_count=1, seed=0)
>>> wv.vectors.shape, sorted(wv.words)
((4, 2), ['cat', 'dog', 'sat', 'the'])
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ConfigurationError, ModelError

__all__ = ["WordVectors", "pretrain_word_vectors"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WordVectors:
    """Words and their vectors (row ``i`` of ``vectors`` is ``words[i]``)."""

    words: list[str]
    vectors: np.ndarray

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.words):
            raise ModelError(f"{len(self.words)} words but vectors of shape {self.vectors.shape}")

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def lookup(self) -> dict[str, int]:
        """Row of each word."""
        return {w: i for i, w in enumerate(self.words)}


def _cooccurrences(ids: list[np.ndarray], n: int, window: int) -> sp.csr_matrix:
    rows, cols, vals = [], [], []
    for d in range(1, window + 1):
        left = [s[:-d] for s in ids if len(s) > d]
        if not left:
            break
        a = np.concatenate(left)
        b = np.concatenate([s[d:] for s in ids if len(s) > d])
        keep = (a >= 0) & (b >= 0)
        a, b = a[keep], b[keep]
        w = np.full(len(a), 1.0 / d)
        rows += [a, b]
        cols += [b, a]
        vals += [w, w]
    if not rows:
        return sp.csr_matrix((n, n))
    return sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)).tocsr()


def _ppmi(C: sp.csr_matrix, alpha: float) -> sp.csr_matrix:
    total = C.sum()
    row = np.asarray(C.sum(axis=1)).ravel()
    ctx = np.asarray(C.sum(axis=0)).ravel() ** alpha
    C = C.tocoo()
    pmi = np.log(C.data * ctx.sum() / (row[C.row] * ctx[C.col]) ) if total > 0 else C.data
    keep = pmi > 0
    return sp.csr_matrix((pmi[keep], (C.row[keep], C.col[keep])), shape=C.shape)


def pretrain_word_vectors(
    sentences: Iterable[Sequence[str]],
    *,
    dim: int = 50,
    window: int = 5,
    min_count: int = 3,
    max_vocab: int | None = 50000,
    alpha: float = 0.75,
    seed: int = 0,
) -> WordVectors:
    """Word vectors of the words of ``sentences`` (token lists, e.g. lowercased sentence words).

    Parameters
    ----------
    sentences
        Unlabelled text, one token list per sentence.
    dim
        Vector size (at most the vocabulary size minus one).
    window
        Words either side that count as context.
    min_count, max_vocab
        Words seen fewer times are left out; at most ``max_vocab`` of the most frequent are kept.
    alpha
        Exponent smoothing the context counts (0.75 as word2vec's negative sampling).
    seed
        Seeds the SVD's start vector: the same text and seed give the same vectors.
    """
    if dim < 1 or window < 1 or min_count < 1:
        raise ConfigurationError(f"dim={dim}, window={window}, min_count={min_count}; expected integers >= 1")
    sentences = [list(s) for s in sentences]
    counts = Counter(w for s in sentences for w in s)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))[:max_vocab]
    if len(words) <= dim:
        raise ModelError(f"{len(words)} words seen at least {min_count} times; need more than dim={dim}")
    index = {w: i for i, w in enumerate(words)}
    ids = [np.fromiter((index.get(w, -1) for w in s), dtype=np.int64, count=len(s)) for s in sentences]
    M = _ppmi(_cooccurrences(ids, len(words), window), alpha)
    from scipy.sparse.linalg import svds

    v0 = np.random.default_rng(seed).uniform(-1, 1, size=min(M.shape))
    U, S, _ = svds(M, k=dim, v0=v0)
    order = np.argsort(-S)
    vectors = U[:, order] * np.sqrt(S[order])
    # The sign of a singular vector is arbitrary: fix it so the largest entry is positive.
    signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(dim)])
    vectors = vectors * np.where(signs == 0, 1, signs)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.maximum(norms, 1e-12)
    _log.info("pretrained %d word vectors of size %d from %d sentences", len(words), dim, len(sentences))
    return WordVectors(words, vectors.astype(np.float32))
