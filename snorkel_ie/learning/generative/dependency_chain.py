"""The free phase with dependencies: a persistent Gibbs chain and the dependency statistics.

:class:`_GibbsChain` samples the free model on a deterministic subset of rows and scales
its statistics to all rows by the number of rows where each factor is live
(:func:`_live_counts`); :func:`_static_dep_stats` holds the clamped statistics of the
dependency factors that do not involve ``Y``, constants of the label matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from snorkel_ie.learning.generative import _gibbs
from snorkel_ie.learning.generative.factor_graph import FT_DEP_EXCLUSIVE, FT_DEP_SIMILAR, FactorGraph
from snorkel_ie.learning.generative.training_inputs import LabelData, LearnSettings, _offs, class_offsets, lf_views


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
