"""The EM path of training (Dawid-Skene) and the exact profile of the propensity weights.

:func:`_train_em` fits binary models with learnable class propensities and no
dependencies, labels or ranges (:func:`_use_em`); :func:`_profile_propensity` sets the
propensity weights to their optimum given the accuracies: when training with modelled
propensities starts, and after every gradient step where that optimum is explicit
(:func:`_profiled_weights`).
"""

from __future__ import annotations

import numpy as np

from snorkel_ie.learning.generative.factor_graph import FT_LF_PROPENSITY, FactorGraph
from snorkel_ie.learning.generative.training_inputs import LabelData, lf_views


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
