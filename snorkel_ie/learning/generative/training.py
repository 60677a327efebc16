"""Learning the factor-graph weights: SGD interleaved with Gibbs sampling, Rao-Blackwellised.

Each epoch computes, for every weight, the difference between its factor's expectation
with the LF outputs clamped to the label matrix (*clamped* phase) and in the free model
(*free* phase), and moves the weight along it, as in the data programming paper. The
expectations are computed exactly wherever they have a closed form:

* clamped phase: ``P(Y | votes)`` is exact for every row (the class is the only latent
  variable), so no latent label is ever sampled;
* free phase without dependencies: the LF outputs are independent given ``Y``, so every
  factor's expectation is exact (per row when abstentions are treated as observed, per
  group of identical rows when LF propensities are modelled);
* free phase with dependencies: a persistent Gibbs chain over ``(Y, LF outputs)`` on at
  most ``max_particles`` rows, one sweep per epoch after ``burn_in`` sweeps, with ``Y``
  Rao-Blackwellised.

Each step is preconditioned by the free-phase variance of the factor (the diagonal of the
complete-data Fisher information, so a unit step is an EM-gradient step) and smoothed by
heavy-ball momentum. ``step_size`` keeps Snorkel 0.7's per-candidate units: the epoch's
learning rate is ``10 * step_size * n``, so 0.7 notebooks' ``0.1 / n`` is a rate of 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numba
import numpy as np
import scipy.sparse as sp

from snorkel_ie.learning.generative import _gibbs
from snorkel_ie.learning.generative.factor_graph import (
    FT_DEP_EXCLUSIVE,
    FT_DEP_SIMILAR,
    FT_LF_PROPENSITY,
    FactorGraph,
)

__all__ = ["LabelData", "LearnSettings", "class_offsets", "compute_posterior", "lf_views", "train_weights"]


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
    def col_counts(self) -> np.ndarray:
        return np.bincount(self.indices, minlength=self.n_lfs).astype(np.float64)


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
    learn_class_prior: bool = True
    """With EM (see :func:`_train_em`): learn the class distribution, else keep it uniform."""


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


def compute_posterior(graph: FactorGraph, w: np.ndarray, data: LabelData, label_weight: float = 0.0) -> np.ndarray:
    """Exact ``P(Y | votes)`` for every row, ``(n, k_max)``."""
    acc, _, cprop, deps = lf_views(graph, w)
    theta = np.zeros(data.k_max)
    th = class_offsets(graph, w)
    theta[: th.shape[0]] = th
    out = np.empty((data.n_rows, data.k_max))
    _gibbs.posterior(
        data.indptr, data.indices, data.data, data.row_card, data.k_max, data.row_label, label_weight,
        theta, acc, cprop, _y_deps(graph, deps), out,
    )  # fmt: skip
    return out


def _y_deps(graph: FactorGraph, deps: tuple) -> tuple:
    """``deps`` visiting only the factors that involve ``Y``: the others do not change ``P(Y | votes)``."""
    return (*deps[:4], *graph.y_dep_adjacency)


def _groups(data: LabelData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    card = data.row_card if data.row_card.shape[0] else np.full(data.n_rows, data.k_max, dtype=np.int64)
    label = data.row_label if data.row_label.shape[0] else np.zeros(data.n_rows, dtype=np.int64)
    keys, counts = np.unique(np.stack([card, label]), axis=1, return_counts=True)
    return keys[0].copy(), keys[1].copy(), counts.astype(np.float64)


class _GibbsChain:
    """Persistent free chain over a deterministic subset of rows (one particle per row).

    With abstentions observed (the default model) each particle keeps its row's voting
    pattern and only the votes are sampled (:func:`._gibbs.gibbs_pair_stats`); a weight's
    statistic is then scaled from the particles to all rows by the number of rows where
    its factor is live (its LF votes, or both LFs of a dependency vote), so that the free
    phase counts exactly the rows the clamped phase does. With modelled abstentions every
    LF output is sampled (:func:`._gibbs.gibbs_free_stats`) and scaled by the row count.
    """

    def __init__(self, graph: FactorGraph, data: LabelData, settings: LearnSettings, model_abstain: bool):
        n_p = min(data.n_rows, settings.max_particles)
        rows = (np.arange(n_p, dtype=np.int64) * data.n_rows) // n_p
        self.graph = graph
        self.model_abstain = model_abstain
        self.y = np.ones(n_p, dtype=np.int64)
        self.states = _gibbs.seed_states(settings.seed, n_p)
        self.pending_burn_in = settings.burn_in
        sub = _subset(data, rows)
        self.label = sub.row_label
        lay = graph.layout
        if model_abstain:
            lam = np.zeros((n_p, data.n_lfs), dtype=np.int64)
            lam[np.repeat(np.arange(n_p), np.diff(sub.indptr)), sub.indices] = sub.data
            self.lam = lam
            self.mode = np.full(lam.shape, 2, dtype=np.int8)
            self.card = sub.row_card if sub.row_card.shape[0] else np.full(n_p, data.k_max, np.int64)
            if not self.label.shape[0]:
                self.label = np.zeros(n_p, dtype=np.int64)  # the generic kernel reads one label per particle
            self.scale = np.full(lay.size, data.n_rows / n_p)
            self.live = np.full(lay.size, float(data.n_rows))
            degree = np.diff(graph.dep_adjacency[0]).astype(np.float64)
        else:
            self.sub = sub
            self.links = _gibbs.particle_links(sub.indptr, sub.indices, lf_views(graph, graph.weight_value)[3])
            self.live = _live_counts(graph, data)
            live_sub = _live_counts(graph, sub)
            self.scale = np.where(live_sub > 0, self.live / np.maximum(live_sub, 1.0), data.n_rows / n_p)
            live_deg = np.diff(self.links[0]).astype(np.float64)  # per vote: the live factors it shares
            votes = np.bincount(sub.indices, minlength=lay.n_lfs)
            degree = np.bincount(sub.indices, weights=live_deg, minlength=lay.n_lfs) / np.maximum(votes, 1)
        self.damping = _coupling_damping(graph, degree)

    def stats(self, w: np.ndarray, label_weight: float, n_stats: int) -> tuple[np.ndarray, np.ndarray]:
        g = self.graph
        sweeps = 1 + self.pending_burn_in
        if self.model_abstain:
            mean, mean_sq = _gibbs.gibbs_free_stats(
                sweeps, self.pending_burn_in, self.y, self.lam, self.mode, self.card, self.label, label_weight, w,
                g.factor_type, g.factor_weight, g.factor_param, g.factor_vars, g.var_factor_indptr, g.var_factor_ids,
                self.states, n_stats,
            )  # fmt: skip
        else:
            acc, _, cprop, deps = lf_views(g, w)
            sub = self.sub
            mean, mean_sq = _gibbs.gibbs_pair_stats(
                sweeps, self.pending_burn_in, self.y, sub.indptr, sub.indices, sub.data, self.links, self.label,
                sub.k_max, label_weight, class_offsets(g, w), acc, cprop, deps, _offs(g), self.states, n_stats,
            )  # fmt: skip
        self.pending_burn_in = 0
        free = self.scale * mean
        var = self.scale * mean_sq - free**2 / np.maximum(self.live, 1.0)
        return free, np.maximum(var, 0.0)


def _coupling_damping(graph: FactorGraph, degree: np.ndarray) -> np.ndarray:
    """Per weight, a step factor that keeps diagonal Newton steps stable when factors couple.

    The preconditioned step treats every weight as if it were alone; the factors that
    share an LF output move together, and a Gershgorin bound on the preconditioned Fisher
    matrix says the step must shrink by the number of factors a weight's factor shares an
    output with: ``1 + degree[j]`` for LF j's accuracy (``degree``: the average number of
    live dependency factors touching one of its outputs) and ``1 + degree[j] + degree[k]``
    for a dependency between j and k. With a few dependencies this is close to 1; with all
    pairs of 100 LFs it prevents the oscillation of thousands of coupled weights.
    """
    lay = graph.layout
    m = lay.n_lfs
    out = np.ones(lay.size)
    out[lay.acc : lay.acc + m] = 1.0 / (1.0 + degree)
    f = graph.dep_factors
    j, k = graph.factor_vars[f, 1] - 1, graph.factor_vars[f, 2] - 1
    out[lay.dep : lay.dep + f.shape[0]] = 1.0 / (1.0 + degree[j] + degree[k])
    return out


def _subset(data: LabelData, rows: np.ndarray) -> LabelData:
    """The rows ``rows`` of ``data`` (votes as int64, ready to be sampled in place)."""
    lo, hi = data.indptr[rows], data.indptr[rows + 1]
    take = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)]) if rows.size else np.zeros(0, int)
    indptr = np.zeros(rows.shape[0] + 1, dtype=np.int64)
    np.cumsum(hi - lo, out=indptr[1:])
    card = data.row_card[rows] if data.row_card.shape[0] else data.row_card
    label = data.row_label[rows] if data.row_label.shape[0] else data.row_label
    return LabelData(
        indptr, data.indices[take].astype(np.int64), data.data[take].astype(np.int64), rows.shape[0], data.n_lfs,
        data.k_max, card, label,
    )  # fmt: skip


def _live_counts(graph: FactorGraph, data: LabelData) -> np.ndarray:
    """Per weight, the number of rows where its factor varies given who votes.

    Class prior: every row; an LF's accuracy and class propensity: the rows where it
    votes; a dependency: the rows where both of its LFs vote.
    """
    lay = graph.layout
    m = lay.n_lfs
    live = np.zeros(lay.size)
    live[: lay.n_class] = data.n_rows
    counts = data.col_counts
    live[lay.acc : lay.acc + m] = counts
    live[lay.cprop : lay.cprop + m] = counts
    f = graph.dep_factors
    live[lay.dep : lay.dep + f.shape[0]] = _pair_counts(graph, data, data.data != 0)
    return live


def _static_dep_stats(graph: FactorGraph, data: LabelData, live: np.ndarray) -> np.ndarray:
    """Clamped statistics of the dependency factors that do not involve ``Y``.

    Counted over the rows where both LFs vote (abstentions observed), a similar factor is
    the number of rows where the two LFs cast the same vote and an exclusive one minus the
    number where both vote: constants of the label matrix, computed once instead of every
    epoch (the kernels then visit only the factors that involve ``Y``). ``live`` is
    :func:`_live_counts` of ``data`` (which holds the rows where both LFs vote).
    """
    lay = graph.layout
    out = np.zeros(lay.size)
    f = graph.dep_factors
    dep = slice(lay.dep, lay.dep + f.shape[0])
    same = sum(_pair_counts(graph, data, data.data == v) for v in range(1, data.k_max + 1))
    out[dep] = np.where(graph.factor_type[f] == FT_DEP_SIMILAR, same, 0.0)
    out[dep] -= np.where(graph.factor_type[f] == FT_DEP_EXCLUSIVE, live[dep], 0.0)
    return out


def _pair_counts(graph: FactorGraph, data: LabelData, keep: np.ndarray) -> np.ndarray:
    """Per dependency factor, the rows where both of its LFs have a kept vote (``keep`` per vote)."""
    f = graph.dep_factors
    if f.shape[0] == 0:
        return np.zeros(0)
    rows = np.repeat(np.arange(data.n_rows), np.diff(data.indptr))[keep]
    votes = sp.csr_matrix((np.ones(rows.shape[0]), (rows, data.indices[keep])), shape=(data.n_rows, data.n_lfs))
    both = (votes.T @ votes).tocsr()
    return np.asarray(both[graph.factor_vars[f, 1] - 1, graph.factor_vars[f, 2] - 1]).ravel()


def _epoch(graph, w, data, settings, model_abstain, chain, static) -> tuple[np.ndarray, np.ndarray, float]:
    """Gradient (clamped minus free, on the sum-over-rows scale), free variance and log-likelihood.

    ``static`` holds the clamped statistics that never change (:func:`_static_dep_stats`), or None.
    """
    acc, prop, cprop, deps = lf_views(graph, w)
    theta = np.zeros(data.k_max)
    th = class_offsets(graph, w)
    theta[: th.shape[0]] = th
    S = graph.layout.size
    same_free = chain is None and not model_abstain and _free_is_shared(data, cprop)
    free_local = chain is None and not model_abstain and not same_free
    lay = graph.layout
    if same_free and data.k_max == 2 and graph.dep_factors.shape[0] == 0:
        cl, fr, fv = np.zeros(S), np.zeros(S), np.zeros(S)
        cl[lay.acc : lay.acc + lay.n_lfs], cl[0], ll = _gibbs.binary_clamped_stats(
            data.indptr, data.indices, data.data, theta[1], acc
        )
    else:
        cl, fr, fv, ll = _gibbs.epoch_stats(
            data.indptr, data.indices, data.data, data.row_card, data.k_max, data.row_label, settings.label_weight,
            theta, acc, cprop, deps if model_abstain else _y_deps(graph, deps), _offs(graph), S, free_local,
            model_abstain,
        )  # fmt: skip
    cl[lay.prop : lay.prop + lay.n_lfs] = data.col_counts  # an LF's propensity factor fires when it votes
    if static is not None:
        cl = cl + static
    if same_free:
        fr, fv, logz = _free_stats_shared(graph, data, theta, acc)
        ll -= logz
    elif chain is not None:
        fr, fv = chain.stats(w, settings.label_weight, S)
        ll = np.nan
    elif model_abstain:
        card, label, counts = _groups(data)
        theta_g = np.tile(theta, (card.shape[0], 1))
        binary = data.k_max == 2 and data.row_card.shape[0] == 0
        fr, fv, logz = _gibbs.free_stats_groups(
            card, label, counts, settings.label_weight, theta_g, acc, prop, cprop, binary, _offs(graph), S
        )
        ll = ll + float(prop @ data.col_counts) - logz
    return cl - fr, fv, ll


def train_weights(
    graph: FactorGraph,
    data: LabelData,
    settings: LearnSettings,
    *,
    callback: Callable[[int, float], None] | None = None,
) -> tuple[np.ndarray, int, list[float]]:
    """Fit the learnable weights of ``graph`` to ``data``.

    Returns
    -------
    weights, epochs_run, history
        The weight vector, the number of epochs run (fewer than ``settings.epochs`` when
        the exact updates converged) and the per-epoch mean log-likelihood (NaN with
        dependencies, whose free phase is sampled).
    """
    if _use_em(graph, data):
        return _train_em(graph, data, settings, callback)
    w = graph.weight_value.copy()
    learn = ~graph.weight_fixed
    model_abstain = bool(np.any(graph.factor_type == FT_LF_PROPENSITY))
    has_deps = graph.dep_factors.shape[0] > 0
    n = float(data.n_rows)
    velocity = np.zeros_like(w)
    history: list[float] = []
    previous = numba.get_num_threads()
    numba.set_num_threads(max(1, min(settings.threads, numba.config.NUMBA_NUM_THREADS)))
    try:
        chain = _GibbsChain(graph, data, settings, model_abstain) if has_deps else None
        static = _static_dep_stats(graph, data, chain.live) if has_deps and not model_abstain else None
        profiled = _profiled_weights(graph, data) if model_abstain else None
        if model_abstain:
            _profile_propensity(graph, w, data)  # start at the observed coverages
        lr = settings.learning_rate
        owed = np.zeros_like(w)  # L1 shrinkage accumulated since the last truncation
        epoch = 0
        for epoch in range(1, settings.epochs + 1):
            grad, var, ll = _epoch(graph, w, data, settings, model_abstain, chain, static)
            history.append(ll / n)
            if callback is not None:
                callback(epoch, ll / n)
            step = _preconditioned_step(grad, var, w, n, settings)
            if chain is not None:
                step *= chain.damping
            step[~learn] = 0.0
            if profiled is not None:
                step[profiled] = 0.0
            velocity = settings.momentum * velocity + step
            w += np.clip(lr * velocity, -1.0, 1.0)
            if settings.reg_type == 1 and settings.reg_param > 0:
                owed += lr * n * settings.reg_param / (var + 1e-9 * n + 1e-12)
                if epoch % settings.truncation == 0:  # truncated gradient (Langford et al., 2009)
                    w[learn] = np.sign(w[learn]) * np.maximum(np.abs(w[learn]) - owed[learn], 0.0)
                    owed[:] = 0.0
            if profiled is not None:
                _profile_propensity(graph, w, data)
            lr *= settings.decay
            if not has_deps and np.max(np.abs(step), initial=0.0) < settings.tol and epoch > 2:
                break
    finally:
        numba.set_num_threads(previous)
    return w, epoch, history


def _free_is_shared(data: LabelData, cprop: np.ndarray) -> bool:
    """Whether every row has the same free class distribution (no labels, ranges or class propensities)."""
    return data.row_card.shape[0] == 0 and data.row_label.shape[0] == 0 and not np.any(cprop)


def _free_stats_shared(
    graph: FactorGraph, data: LabelData, theta: np.ndarray, acc: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Exact free statistics when abstentions are observed, votes independent given ``Y``
    and the class distribution the same in every row.

    Each factor's free expectation then depends on the row only through whether its LF
    votes, so the sums over rows are the vote counts times per-LF closed forms:
    ``E[h_acc | vote] = tanh(a - log(k - 1) / 2)`` and the vote's log-normaliser
    ``log(e^a + (k - 1) e^-a)``; this is :func:`._gibbs.epoch_stats`' ``free_local`` path
    without a pass over the votes.
    """
    lay = graph.layout
    m, k, n = lay.n_lfs, data.k_max, float(data.n_rows)
    counts = data.col_counts
    fr = np.zeros(lay.size)
    fv = np.zeros(lay.size)
    lse = float(np.logaddexp.reduce(theta))
    pi = np.exp(theta - lse)
    if k == 2:
        s_mean = pi[1] - pi[0]
        fr[0], fv[0] = n * s_mean, n * (1.0 - s_mean**2)
        fr[lay.cprop : lay.cprop + m] = counts * s_mean
        fv[lay.cprop : lay.cprop + m] = counts * (1.0 - s_mean**2)
    else:
        c = min(k, lay.n_class)
        fr[:c], fv[:c] = n * pi[:c], n * pi[:c] * (1.0 - pi[:c])
    rho = np.tanh(acc - 0.5 * np.log(k - 1))
    fr[lay.acc : lay.acc + m] = counts * rho
    fv[lay.acc : lay.acc + m] = counts * (1.0 - rho**2)
    logz = float(counts @ np.logaddexp(acc, np.log(k - 1) - acc)) + n * lse
    return fr, fv, logz


def _preconditioned_step(grad: np.ndarray, var: np.ndarray, w: np.ndarray, n: float, s: LearnSettings) -> np.ndarray:
    """Newton-like step: the gradient (with L2 penalty) over the free variance."""
    denom = var + 1e-9 * n + 1e-12
    if s.reg_type == 2 and s.reg_param > 0:
        grad = grad - n * s.reg_param * w
        denom = denom + n * s.reg_param
    return grad / denom


def _use_em(graph: FactorGraph, data: LabelData) -> bool:
    """EM applies to binary models with learnable class propensities and no dependencies, labels or ranges."""
    lay = graph.layout
    m = lay.n_lfs
    return (
        lay.cardinality == 2
        and graph.dep_factors.shape[0] == 0
        and data.row_card.shape[0] == 0
        and data.row_label.shape[0] == 0
        and bool(np.any(graph.factor_type == FT_LF_PROPENSITY))
        and bool(np.any(~graph.weight_fixed[lay.cprop : lay.cprop + m]))
    )


def _vote_table(graph: FactorGraph, w: np.ndarray) -> np.ndarray:
    """Per LF and class, the log-potentials of (abstain, vote -1, vote +1): ``(m, 2, 3)``."""
    acc, prop, cprop, *_ = lf_views(graph, w)
    sy = np.array([-1.0, 1.0])
    out = np.zeros((acc.shape[0], 2, 3))
    for y in range(2):
        out[:, y, 1] = prop + cprop * sy[y] - acc * sy[y]
        out[:, y, 2] = prop + cprop * sy[y] + acc * sy[y]
    return out


def _train_em(graph, data, settings, callback):
    """Dawid-Skene EM in the factor graph's parametrisation (binary, class propensities, no deps).

    With class-conditional propensities every LF output, abstentions included, depends on
    the class: this is the Dawid-Skene model, and the only one in which an LF that only
    ever votes one way has an identifiable quality (how much more often it votes for its
    class than for the other). Gradient steps converge poorly here because the free
    model's class marginal couples every LF's weights; EM does not: each iteration
    computes ``P(y | outputs)`` (E-step) and refits each LF's learnable (propensity,
    accuracy, class-propensity) weights to the expected counts by Newton's method
    (M-step; closed form for a one-sided LF). The class distribution is learned with
    ``class_prior`` and uniform otherwise; the class-prior weight is then set so that the
    undirected graph's class marginal equals it. L2 ``reg_param`` applies per candidate.
    """
    lay = graph.layout
    m = lay.n_lfs
    n = float(data.n_rows)
    w = graph.weight_value.copy()
    learn = ~graph.weight_fixed
    _profile_propensity(graph, w, data)
    rows = np.repeat(np.arange(data.n_rows), np.diff(data.indptr))
    cols = data.indices.astype(np.int64)
    vals = data.data.astype(np.int64)  # 1 = vote -1, 2 = vote +1
    learn_prior = settings.learn_class_prior
    pi = np.array([0.5, 0.5])
    ids = np.stack([lay.prop + np.arange(m), lay.acc + np.arange(m), lay.cprop + np.arange(m)], axis=1)
    h = np.zeros((2, 3, 3))  # h[y, v] over outputs (abstain, -1, +1): (propensity, accuracy, class propensity)
    for y, sy in enumerate((-1.0, 1.0)):
        h[y, 1] = (1.0, -sy, sy)
        h[y, 2] = (1.0, sy, sy)
    history: list[float] = []
    epoch = 0
    previous = -np.inf
    for epoch in range(1, settings.epochs + 1):
        # E-step: exact posterior and log-likelihood under the Dawid-Skene reading of w
        table = _vote_table(graph, w)
        logz = np.logaddexp(np.logaddexp(0.0, table[:, :, 1]), table[:, :, 2])  # (m, 2)
        cond = np.log(pi) - logz.sum(axis=0)  # every LF abstains
        score = np.tile(cond, (data.n_rows, 1))
        np.add.at(score, rows, table[cols, :, vals])
        ll_rows = np.logaddexp(score[:, 0], score[:, 1])
        q = np.exp(score - ll_rows[:, None])
        ll = float(ll_rows.sum())
        history.append(ll / n)
        if callback is not None:
            callback(epoch, ll / n)
        # M-step: expected output counts per LF and class, then a Newton fit per LF
        n_y = q.sum(axis=0)
        counts = np.zeros((m, 2, 3))
        for v in (1, 2):
            sel = vals == v
            counts[:, :, v] = np.stack(
                [np.bincount(cols[sel], weights=q[rows[sel], y], minlength=m) for y in (0, 1)], 1
            )
        counts[:, :, 0] = n_y[None, :] - counts[:, :, 1] - counts[:, :, 2]
        emp = np.einsum("jyv,yvf->jf", counts, h)
        for _ in range(5):
            table = _vote_table(graph, w)
            pv = np.exp(table - np.logaddexp(np.logaddexp(0.0, table[:, :, 1]), table[:, :, 2])[:, :, None])
            pv[:, :, 0] = 1.0 - pv[:, :, 1] - pv[:, :, 2]
            mean = np.einsum("jyv,yvf->jyf", pv, h)
            second = np.einsum("jyv,yvf,yvg->jyfg", pv, h, h)
            fisher = np.einsum("y,jyfg->jfg", n_y, second - mean[:, :, :, None] * mean[:, :, None, :])
            grad = emp - np.einsum("y,jyf->jf", n_y, mean)
            for j in range(m):
                free = learn[ids[j]]
                if not free.any():
                    continue
                sel = ids[j][free]
                F = fisher[j][np.ix_(free, free)] + (n * settings.reg_param + 1e-9 * n + 1e-12) * np.eye(sel.size)
                g = grad[j][free] - n * settings.reg_param * w[sel]
                w[sel] += np.clip(np.linalg.solve(F, g), -2.0, 2.0)
        if learn_prior:
            pi = np.clip(n_y / n, 1e-6, 1 - 1e-6)
        table = _vote_table(graph, w)
        logz = np.logaddexp(np.logaddexp(0.0, table[:, :, 1]), table[:, :, 2]).sum(axis=0)
        if not graph.weight_fixed[0]:
            # undirected class marginal: exp(theta * s_y) * prod_j Z_j(y) must be proportional to pi
            w[0] = 0.5 * ((np.log(pi[1]) - logz[1]) - (np.log(pi[0]) - logz[0]))
        if abs(ll - previous) < settings.ll_tol * n and epoch > 2:
            break
        previous = ll
    return w, epoch, history


def _profile_propensity(graph: FactorGraph, w: np.ndarray, data: LabelData) -> None:
    """Set each learnable propensity weight to its exact optimum given the accuracy weights.

    Without class propensity and dependencies, P(LF j votes) is the same for every class,
    ``sigmoid(p_j + log(e^a + (k-1) e^-a))``, so the maximum-likelihood ``p_j`` matches the
    observed coverage exactly. This block-coordinate step decouples accuracy from coverage
    (the two are strongly correlated under the diagonal preconditioner). Skipped when
    class propensities, dependencies, labels or per-row cardinalities make the optimum
    implicit (see :func:`_profiled_weights`).
    """
    lay = graph.layout
    m = lay.n_lfs
    learn = ~graph.weight_fixed[lay.prop : lay.prop + m]
    cov = np.clip(data.col_counts / data.n_rows, 1e-6, 1 - 1e-6)
    a = w[lay.acc : lay.acc + m] + w[lay.prior : lay.prior + m]
    k = data.k_max
    vlz = np.logaddexp(a, np.log(k - 1) - a)
    target = np.log(cov) - np.log1p(-cov) - vlz
    w[lay.prop : lay.prop + m][learn] = target[learn]


def _profiled_weights(graph: FactorGraph, data: LabelData) -> np.ndarray | None:
    """Mask of the propensity weights set exactly by :func:`_profile_propensity`, or None."""
    lay = graph.layout
    m = lay.n_lfs
    if graph.dep_factors.shape[0] or data.row_card.shape[0] or data.row_label.shape[0]:
        return None
    if np.any(~graph.weight_fixed[lay.cprop : lay.cprop + m]):
        return None
    mask = np.zeros(lay.size, dtype=bool)
    mask[lay.prop : lay.prop + m] = ~graph.weight_fixed[lay.prop : lay.prop + m]
    return mask
