"""What training and inference share: the label data, the learning settings and the weight views.

:class:`LabelData` is a validated label matrix in the kernels' encoding and
:class:`LearnSettings` the hyper-parameters of :func:`.training.train_weights`; the
functions read a weight vector as the per-class and per-LF arrays the kernels of
:mod:`._gibbs` take.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from snorkel_ie.learning.generative.factor_graph import FactorGraph

__all__ = ["LabelData", "LearnSettings", "class_offsets", "lf_views"]


_CHUNK = 1 << 18


@dataclass
class LabelData:
    """A validated label matrix in the kernels' encoding (votes ``1..k``, CSR, no explicit zeros).

    ``row_card`` and ``row_label`` are empty arrays when every row has cardinality
    ``k_max`` and no row carries a known label.
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_rows: int
    n_lfs: int
    k_max: int
    row_card: np.ndarray
    row_label: np.ndarray

    @cached_property
    def vote_counts(self) -> np.ndarray:
        """``(n_lfs, k_max)``: how many times each LF casts each vote (one pass over the votes)."""
        m, k = self.n_lfs, self.k_max
        out = np.zeros(m * k + 1, dtype=np.int64)
        for lo in range(0, self.indices.shape[0], _CHUNK):  # in chunks: the intp keys stay in cache
            key = self.indices[lo : lo + _CHUNK].astype(np.intp)  # bincount is several times faster on intp
            key *= k
            key += self.data[lo : lo + _CHUNK]  # j * k + vote, in 1..m * k
            out += np.bincount(key, minlength=m * k + 1)
        return out[1:].reshape(m, k)

    @cached_property
    def col_counts(self) -> np.ndarray:
        return self.vote_counts.sum(axis=1).astype(np.float64)


@dataclass
class LearnSettings:
    """Hyper-parameters of :func:`train_weights` (validated by the model)."""

    epochs: int
    learning_rate: float
    decay: float
    reg_param: float
    reg_type: int
    burn_in: int
    seed: int
    threads: int
    label_weight: float
    truncation: int = 1
    """L1 (``reg_type=1``): apply the accumulated soft-threshold every this many epochs."""
    momentum: float = 0.0
    tol: float = 1e-4
    """Stop once the largest weight step is smaller (exact updates only)."""
    ll_tol: float = 1e-6
    """EM: stop once the mean log-likelihood per candidate changes by less."""
    max_particles: int = 4000
    accelerate: bool = True
    """The default binary fit (:mod:`.binary_fit`): accelerate its fixed-point iteration by SQUAREM."""
    learn_class_prior: bool = True
    """With EM (see :func:`_train_em`): learn the class distribution, else keep it uniform."""
    class_balance: np.ndarray | None = None
    """EM: a known class distribution ``[P(-1), P(+1)]``, kept fixed (``None`` = see ``learn_class_prior``)."""


def class_offsets(graph: FactorGraph, w: np.ndarray) -> np.ndarray:
    """Per-class log-potential of the class prior, ``(k,)``."""
    lay = graph.layout
    if lay.cardinality == 2:
        return np.array([-w[0], w[0]])
    return w[: lay.n_class].copy()


def lf_views(graph: FactorGraph, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    """Per-LF arrays used by the exact kernels.

    Returns
    -------
    acc, prop, cprop, deps
        Effective accuracy weights (learned plus fixed LF prior), propensity and class
        propensity weights, and the kernels' dependency tuple (see :mod:`._gibbs`).
    """
    lay = graph.layout
    m = lay.n_lfs
    acc = w[lay.acc : lay.acc + m] + w[lay.prior : lay.prior + m]
    prop = w[lay.prop : lay.prop + m].copy()
    cprop = w[lay.cprop : lay.cprop + m].copy()
    f = graph.dep_factors
    dep_t = graph.factor_type[f].astype(np.int64)
    dep_j = graph.factor_vars[f, 1] - 1
    dep_k = graph.factor_vars[f, 2] - 1
    dep_w = w[graph.factor_weight[f]]
    return acc, prop, cprop, (dep_t, dep_j, dep_k, dep_w, *graph.dep_adjacency)


def _offs(graph: FactorGraph) -> np.ndarray:
    lay = graph.layout
    return np.array([lay.n_class, lay.acc, lay.prop, lay.cprop, lay.dep], dtype=np.int64)


def _y_deps(graph: FactorGraph, deps: tuple) -> tuple:
    """``deps`` visiting only the factors that involve ``Y``: the others do not change ``P(Y | votes)``."""
    return (*deps[:4], *graph.y_dep_adjacency)
