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

import numpy as np

from snorkel_ie.learning.generative import _gibbs
from snorkel_ie.learning.generative.binary_fit import distinct_rows, fit_binary_observed
from snorkel_ie.learning.generative.dependency_chain import _GibbsChain, _static_dep_stats
from snorkel_ie.learning.generative.dependency_chain import _live_counts as _live_counts  # re-exported (tests)
from snorkel_ie.learning.generative.em import _profile_propensity, _profiled_weights, _train_em, _use_em
from snorkel_ie.learning.generative.factor_graph import FT_LF_PROPENSITY, FactorGraph
from snorkel_ie.learning.generative.training_inputs import (
    LabelData,
    LearnSettings,
    _offs,
    _y_deps,
    class_offsets,
    lf_views,
)

__all__ = ["LabelData", "LearnSettings", "class_offsets", "compute_posterior", "lf_views", "train_weights"]


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


def _groups(data: LabelData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    card = data.row_card if data.row_card.shape[0] else np.full(data.n_rows, data.k_max, dtype=np.int64)
    label = data.row_label if data.row_label.shape[0] else np.zeros(data.n_rows, dtype=np.int64)
    keys, counts = np.unique(np.stack([card, label]), axis=1, return_counts=True)
    return keys[0].copy(), keys[1].copy(), counts.astype(np.float64)


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
    polarity: np.ndarray | None = None,
) -> tuple[np.ndarray, int, list[float], bool | None]:
    """Fit the learnable weights of ``graph`` to ``data``.

    ``polarity`` (per LF: ``+1``/``-1`` when one-sided, else ``0``) is needed by the EM path.

    Returns
    -------
    weights, epochs_run, history, converged
        The weight vector, the number of epochs run (fewer than ``settings.epochs`` when
        the exact updates converged), the per-epoch mean log-likelihood (NaN with
        dependencies, whose free phase is sampled) and whether the fit converged before
        ``settings.epochs`` (``None`` with dependencies: a sampled fit has no such test).
    """
    if _use_em(graph, data):
        pol = np.zeros(data.n_lfs, dtype=np.int64) if polarity is None else polarity
        return _train_em(graph, data, settings, callback, pol)
    if _use_binary_observed(graph, data, settings):
        lay = graph.layout
        return fit_binary_observed(
            graph.weight_value, ~graph.weight_fixed, (lay.acc, lay.prior), distinct_rows(data), data.col_counts,
            float(data.n_rows), settings, callback,
        )  # fmt: skip
    w = graph.weight_value.copy()
    learn = ~graph.weight_fixed
    model_abstain = bool(np.any(graph.factor_type == FT_LF_PROPENSITY))
    has_deps = graph.dep_factors.shape[0] > 0
    n = float(data.n_rows)
    velocity = np.zeros_like(w)
    history: list[float] = []
    previous = _gibbs.get_num_threads()
    _gibbs.set_num_threads(settings.threads)
    try:
        chain = _GibbsChain(graph, data, settings, model_abstain) if has_deps else None
        static = _static_dep_stats(graph, data, chain.live) if has_deps and not model_abstain else None
        profiled = _profiled_weights(graph, data) if model_abstain else None
        if model_abstain:
            _profile_propensity(graph, w, data)  # start at the observed coverages
        lr = settings.learning_rate
        owed = np.zeros_like(w)  # L1 shrinkage accumulated since the last truncation
        epoch = 0
        converged: bool | None = None if has_deps else False
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
                    _soft_threshold(w, owed, learn)
            if profiled is not None:
                _profile_propensity(graph, w, data)
            lr *= settings.decay
            if not has_deps and np.max(np.abs(step), initial=0.0) < settings.tol and epoch > 2:
                converged = True
                break
        if np.any(owed):  # training ended between two truncations: pay what is owed
            _soft_threshold(w, owed, learn)
            if profiled is not None:
                _profile_propensity(graph, w, data)
    finally:
        _gibbs.set_num_threads(previous)
    if converged is False and len(history) > 3 and np.all(np.abs(np.diff(history[-4:])) < settings.ll_tol):
        converged = True  # the steps are still above tol, but the likelihood no longer moves
    return w, epoch, history, converged


def _use_binary_observed(graph: FactorGraph, data: LabelData, settings: LearnSettings) -> bool:
    """Whether :func:`.binary_fit.fit_binary_observed` is this loop: a binary model with abstentions
    observed, no dependencies, known labels, ranges or class propensities, L2 (or no) penalty, no momentum."""
    lay = graph.layout
    cprop = graph.weight_value[lay.cprop : lay.cprop + lay.n_lfs]
    return (
        lay.cardinality == 2
        and graph.dep_factors.shape[0] == 0
        and not np.any(graph.factor_type == FT_LF_PROPENSITY)
        and _free_is_shared(data, cprop)
        and np.all(graph.weight_fixed[lay.cprop : lay.cprop + lay.n_lfs])
        and (settings.reg_type == 2 or settings.reg_param == 0)
        and settings.momentum == 0
    )


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


def _soft_threshold(w: np.ndarray, owed: np.ndarray, learn: np.ndarray) -> None:
    """Shrink the learned weights toward 0 by ``owed`` (the L1 steps accumulated), in place; reset ``owed``."""
    w[learn] = np.sign(w[learn]) * np.maximum(np.abs(w[learn]) - owed[learn], 0.0)
    owed[:] = 0.0


def _preconditioned_step(grad: np.ndarray, var: np.ndarray, w: np.ndarray, n: float, s: LearnSettings) -> np.ndarray:
    """Newton-like step: the gradient (with L2 penalty) over the free variance."""
    denom = var + 1e-9 * n + 1e-12
    if s.reg_type == 2 and s.reg_param > 0:
        grad = grad - n * s.reg_param * w
        denom = denom + n * s.reg_param
    return grad / denom
