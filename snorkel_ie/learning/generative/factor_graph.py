"""The generative model's factor graph, compiled to flat numpy arrays.

The graph is a *template* over one candidate: variable ``0`` is the latent class ``Y``
(values ``1..k``) and variable ``j + 1`` is the output of LF ``j`` (``0`` = abstain,
``1..k`` = a vote). The same template is replicated, implicitly, for every row of the
label matrix, whose votes are the evidence; nothing per candidate is materialised, which
is what makes the model cheap where Snorkel 0.7 built millions of numbskull factors.

Internal encoding: binary votes ``-1``/``+1`` become ``1``/``2`` (so ``Y = 2`` means
``y = +1``); categorical votes ``1..k`` are kept. The binary sign is ``s(Y) = +1`` for
``Y = 2`` and ``-1`` for ``Y = 1``.

Factor functions (``h``; the factor contributes ``w * h`` to the log-potential):

================  ===========================================================
class prior       binary: ``s(y)``; categorical (one factor per class c): ``[y == c]``
LF prior          as LF accuracy, with a fixed weight from ``LF_acc_prior_weights``
LF propensity     ``[l != 0]``
LF accuracy       ``0`` if ``l == 0``, ``+1`` if ``l == y``, ``-1`` otherwise
class propensity  ``s(y)`` if ``l != 0`` else ``0`` (binary only)
similar           ``[l1 == l2]``
fixing            ``-1`` if ``l1 == 0 != l2``; ``+1`` if ``l1 != 0, l1 != y, l2 == y``; else ``0``
reinforcing       ``-1`` if ``l1 == 0 != l2``; ``+1`` if ``l1 == l2 == y``; else ``0``
exclusive         ``-1`` if ``l1 != 0`` and ``l2 != 0`` else ``0``
================  ===========================================================

The weight vector has a fixed block layout (see :class:`WeightLayout`) so that learning
kernels can address "the accuracy weight of LF j" directly; a disabled factor type keeps
its block (fixed at zero, with no factors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from snorkel_ie.errors import ModelError
from snorkel_ie.learning.generative.dependencies import (
    DEP_EXCLUSIVE,
    DEP_FIXING,
    DEP_REINFORCING,
    DEP_SIMILAR,
    Dependency,
)

__all__ = [
    "FT_CLASS_PRIOR",
    "FT_DEP_EXCLUSIVE",
    "FT_DEP_FIXING",
    "FT_DEP_REINFORCING",
    "FT_DEP_SIMILAR",
    "FT_LF_ACCURACY",
    "FT_LF_CLASS_PROPENSITY",
    "FT_LF_PRIOR",
    "FT_LF_PROPENSITY",
    "FactorGraph",
    "WeightLayout",
    "build_factor_graph",
]

FT_CLASS_PRIOR = 0
FT_LF_PRIOR = 1
FT_LF_PROPENSITY = 2
FT_LF_ACCURACY = 3
FT_LF_CLASS_PROPENSITY = 4
FT_DEP_SIMILAR = 5
FT_DEP_FIXING = 6
FT_DEP_REINFORCING = 7
FT_DEP_EXCLUSIVE = 8

_DEP_FACTOR = {
    DEP_SIMILAR: FT_DEP_SIMILAR,
    DEP_FIXING: FT_DEP_FIXING,
    DEP_REINFORCING: FT_DEP_REINFORCING,
    DEP_EXCLUSIVE: FT_DEP_EXCLUSIVE,
}
_Y_DEPS = (DEP_FIXING, DEP_REINFORCING)


@dataclass(frozen=True)
class WeightLayout:
    """Offsets of the weight blocks: class prior, accuracy, propensity, class propensity, deps, LF prior."""

    cardinality: int
    n_lfs: int
    n_deps: int

    @property
    def n_class(self) -> int:
        """One signed weight for a binary model, one weight per class otherwise."""
        return 1 if self.cardinality == 2 else self.cardinality

    @property
    def acc(self) -> int:
        return self.n_class

    @property
    def prop(self) -> int:
        return self.acc + self.n_lfs

    @property
    def cprop(self) -> int:
        return self.prop + self.n_lfs

    @property
    def dep(self) -> int:
        return self.cprop + self.n_lfs

    @property
    def prior(self) -> int:
        return self.dep + self.n_deps

    @property
    def size(self) -> int:
        return self.prior + self.n_lfs


@dataclass
class FactorGraph:
    """Flat arrays of one candidate's factor graph (see the module docstring).

    Attributes
    ----------
    weight_value, weight_fixed
        Weight values and whether each is fixed (not learned), in :class:`WeightLayout` order.
    var_cardinality
        Number of values of each variable: ``k`` for ``Y`` (values ``1..k``), ``k + 1``
        for each LF (values ``0..k``).
    factor_type, factor_weight, factor_param
        Per factor: its ``FT_*`` code, its weight index and an integer parameter (the class
        of a categorical class-prior factor, ``-1`` for the signed binary one, else ``0``).
    factor_vars
        ``(n_factors, 3)`` variable ids of the factor's arguments ``(y, l1, l2)``, ``-1`` when unused.
    var_factor_indptr, var_factor_ids
        CSR map from each variable to the factors that touch it.
    dep_factors
        Indices of the dependency factors, in the order of ``deps``.
    """

    layout: WeightLayout
    weight_value: np.ndarray
    weight_fixed: np.ndarray
    var_cardinality: np.ndarray
    factor_type: np.ndarray
    factor_weight: np.ndarray
    factor_param: np.ndarray
    factor_vars: np.ndarray
    var_factor_indptr: np.ndarray
    var_factor_ids: np.ndarray
    dep_factors: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def n_factors(self) -> int:
        return int(self.factor_type.shape[0])

    @cached_property
    def dep_adjacency(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per LF, the dependency factors that touch it (CSR, sorted by the other LF).

        Returns
        -------
        ptr, up, other, dep
            Entries ``ptr[a]:ptr[a + 1]`` of ``other`` / ``dep`` are the other LF and the
            dependency index (into ``dep_factors``) of each factor touching LF ``a``; those
            whose other LF is larger than ``a`` start at ``up[a]``.
        """
        return self._adjacency(np.ones(self.dep_factors.shape[0], dtype=bool))

    @cached_property
    def y_dep_adjacency(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:attr:`dep_adjacency` restricted to the factors that involve ``Y`` (fixing, reinforcing)."""
        return self._adjacency(self.factor_vars[self.dep_factors, 0] >= 0)

    def _adjacency(self, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        m = self.layout.n_lfs
        f = self.dep_factors[keep]
        j = self.factor_vars[f, 1] - 1
        k = self.factor_vars[f, 2] - 1
        d = np.flatnonzero(keep).astype(np.int64)
        own, other, dep = np.concatenate([j, k]), np.concatenate([k, j]), np.concatenate([d, d])
        order = np.lexsort((dep, other, own))
        own, other, dep = own[order], other[order], dep[order]
        ptr = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(np.bincount(own, minlength=m), out=ptr[1:])
        up = np.searchsorted(own * (m + 1) + other, np.arange(m) * (m + 1) + np.arange(m), side="right")
        return ptr, up.astype(np.int64), other.astype(np.int64), dep


class _Builder:
    """Accumulates factors and weights for :func:`build_factor_graph`."""

    def __init__(self, layout: WeightLayout):
        self.layout = layout
        self.value = np.zeros(layout.size)
        self.fixed = np.ones(layout.size, dtype=bool)
        self.rows: list[tuple[int, int, int, int, int, int]] = []

    def add(self, ftype: int, wid: int, param: int, y: int, l1: int, l2: int) -> int:
        self.rows.append((ftype, wid, param, y, l1, l2))
        return len(self.rows) - 1

    def learn(self, wid: int, init: float) -> None:
        self.value[wid] = init
        self.fixed[wid] = False


def _add_class_prior(b: _Builder, init: float) -> None:
    lay = b.layout
    if lay.cardinality == 2:
        b.learn(0, init)
        b.add(FT_CLASS_PRIOR, 0, -1, 0, -1, -1)
        return
    for c in range(lay.cardinality):
        b.learn(c, 0.0)
        b.add(FT_CLASS_PRIOR, c, c + 1, 0, -1, -1)


def _add_lf_prior(b: _Builder, prior_weights: np.ndarray) -> None:
    for j, w in enumerate(prior_weights):
        wid = b.layout.prior + j
        b.value[wid] = float(w)  # fixed: the weight is a prior, never learned
        b.add(FT_LF_PRIOR, wid, 0, 0, j + 1, -1)


def _add_lf_accuracy(b: _Builder, init_acc: np.ndarray, fixed: np.ndarray) -> None:
    for j in range(b.layout.n_lfs):
        b.learn(b.layout.acc + j, float(init_acc[j]))
        b.fixed[b.layout.acc + j] = bool(fixed[j])
        b.add(FT_LF_ACCURACY, b.layout.acc + j, 0, 0, j + 1, -1)


def _add_lf_propensity(b: _Builder) -> None:
    for j in range(b.layout.n_lfs):
        b.learn(b.layout.prop + j, 0.0)
        b.add(FT_LF_PROPENSITY, b.layout.prop + j, 0, -1, j + 1, -1)


def _add_lf_class_propensity(b: _Builder, init: np.ndarray) -> None:
    if b.layout.cardinality != 2:
        raise ModelError("lf_class_propensity is defined for binary models only (cardinality 2)")
    for j in range(b.layout.n_lfs):
        b.learn(b.layout.cprop + j, float(init[j]))
        b.add(FT_LF_CLASS_PROPENSITY, b.layout.cprop + j, 0, 0, j + 1, -1)


def _add_dependencies(b: _Builder, deps: Sequence[Dependency], init_deps: float) -> list[int]:
    ids = []
    for d, (j, k, dep_type) in enumerate(deps):
        wid = b.layout.dep + d
        b.learn(wid, init_deps)
        y = 0 if dep_type in _Y_DEPS else -1
        ids.append(b.add(_DEP_FACTOR[dep_type], wid, 0, y, j + 1, k + 1))
    return ids


def _var_factor_map(factor_vars: np.ndarray, n_vars: int) -> tuple[np.ndarray, np.ndarray]:
    f_ids, slots = np.nonzero(factor_vars >= 0)
    var = factor_vars[f_ids, slots]
    order = np.argsort(var, kind="stable")
    indptr = np.zeros(n_vars + 1, dtype=np.int64)
    np.cumsum(np.bincount(var, minlength=n_vars), out=indptr[1:])
    return indptr, f_ids[order].astype(np.int64)


def build_factor_graph(
    n_lfs: int,
    cardinality: int,
    *,
    deps: Sequence[Dependency] = (),
    class_prior: bool = False,
    lf_prior_weights: np.ndarray | None = None,
    lf_propensity: bool = False,
    lf_class_propensity: bool = False,
    init_acc: float | np.ndarray = 1.0,
    init_deps: float = 0.0,
    init_class_prior: float = 0.0,
    polarity: np.ndarray | None = None,
) -> FactorGraph:
    """Compile the template graph: one small builder per factor type.

    Parameters
    ----------
    n_lfs, cardinality
        Number of LFs and of classes (2 for binary).
    deps
        ``(j, k, dep_type)`` triples; validated by the caller.
    class_prior, lf_propensity, lf_class_propensity
        Which optional factor types to add.
    lf_prior_weights
        Fixed weights of LF prior factors, one per LF (``None`` = no LF prior).
    init_acc, init_deps
        Initial accuracy and dependency weights.
    init_class_prior
        Initial class-prior weight of a binary model (log-odds scale: ``P(+1) / P(-1) =
        exp(2 w)``); categorical class-prior weights start at 0.
    polarity
        Per LF, the sign of its votes when it only ever votes one way (``+1``/``-1``) and
        ``0`` otherwise (binary models; ``None`` = all ``0``). A one-sided LF's accuracy
        weight is not identifiable (its vote's value never varies), so it is fixed: at
        ``0`` with ``lf_class_propensity``, whose weight (initialised to
        ``polarity * init_acc``) then carries how much more often the LF votes for its
        class, else at ``init_acc`` (a majority-vote weight).
    """
    layout = WeightLayout(cardinality, n_lfs, len(deps))
    b = _Builder(layout)
    pol = np.zeros(n_lfs) if polarity is None else np.asarray(polarity, dtype=np.float64)
    one_sided = pol != 0
    acc0 = np.array(np.broadcast_to(np.asarray(init_acc, dtype=np.float64), (n_lfs,)))
    if class_prior or lf_class_propensity:
        _add_class_prior(b, init_class_prior)  # with class propensities its weight also fixes the class marginal
    if lf_prior_weights is not None:
        _add_lf_prior(b, np.asarray(lf_prior_weights, dtype=np.float64))
    _add_lf_accuracy(b, np.where(one_sided & lf_class_propensity, 0.0, acc0), one_sided)
    if lf_propensity:
        _add_lf_propensity(b)
    if lf_class_propensity:
        _add_lf_class_propensity(b, pol * acc0)
    dep_ids = _add_dependencies(b, deps, init_deps)
    rows = np.array(b.rows, dtype=np.int64).reshape(-1, 6)
    factor_vars = rows[:, 3:6].copy()
    indptr, ids = _var_factor_map(factor_vars, n_lfs + 1)
    var_card = np.full(n_lfs + 1, cardinality + 1, dtype=np.int64)
    var_card[0] = cardinality
    return FactorGraph(
        layout=layout,
        weight_value=b.value,
        weight_fixed=b.fixed,
        var_cardinality=var_card,
        factor_type=rows[:, 0].astype(np.int8),
        factor_weight=rows[:, 1].copy(),
        factor_param=rows[:, 2].copy(),
        factor_vars=factor_vars,
        var_factor_indptr=indptr,
        var_factor_ids=ids,
        dep_factors=np.array(dep_ids, dtype=np.int64),
    )
