"""The EM path of training (Dawid-Skene) and the exact profile of the propensity weights.

:func:`_train_em` fits binary models with learnable class propensities and no
dependencies, ranges or LF priors (:func:`_use_em`); :func:`_profile_propensity` sets the
propensity weights to their optimum given the accuracies: when training with modelled
propensities starts, and after every gradient step where that optimum is explicit
(:func:`_profiled_weights`).
"""

from __future__ import annotations

import numpy as np

from snorkel_ie.learning.generative.ds_em import fit_dawid_skene, to_weights
from snorkel_ie.learning.generative.factor_graph import FT_LF_PRIOR, FT_LF_PROPENSITY, FactorGraph
from snorkel_ie.learning.generative.training_inputs import LabelData


def _use_em(graph: FactorGraph, data: LabelData) -> bool:
    """EM applies to binary models with learnable class propensities and no dependencies,
    ranges or LF-prior factors (known labels are clamped in the E-step)."""
    lay = graph.layout
    m = lay.n_lfs
    return (
        lay.cardinality == 2
        and graph.dep_factors.shape[0] == 0
        and data.row_card.shape[0] == 0
        and not np.any(graph.factor_type == FT_LF_PRIOR)
        and bool(np.any(graph.factor_type == FT_LF_PROPENSITY))
        and bool(np.any(~graph.weight_fixed[lay.cprop : lay.cprop + m]))
    )


def _train_em(graph, data, settings, callback, polarity):
    """Dawid-Skene EM (:func:`.ds_em.fit_dawid_skene`), its fit written into the graph's weights.

    With class-conditional propensities every LF output, abstentions included, depends on
    the class: this is the Dawid-Skene model, and the only one in which an LF that only
    ever votes one way has an identifiable quality (how much more often it votes for its
    class than for the other). The class distribution is learned when the class prior is
    (``class_prior``), fixed at ``settings.class_balance`` when given, uniform otherwise.

    Returns
    -------
    weights, epochs_run, history, converged
    """
    lay = graph.layout
    m = lay.n_lfs
    balance = settings.class_balance
    if balance is None and not settings.learn_class_prior:
        balance = np.array([0.5, 0.5])
    fit = fit_dawid_skene(data, polarity, class_balance=balance, epochs=settings.epochs, callback=callback)
    a, p, c, theta = to_weights(fit)
    w = graph.weight_value.copy()
    learn = ~graph.weight_fixed
    for block, values in ((lay.acc, a), (lay.prop, p), (lay.cprop, c)):
        sel = learn[block : block + m]
        w[block : block + m][sel] = values[sel]
    if learn[0]:
        w[0] = theta
    return w, fit.iterations, fit.history, fit.converged


def _profile_propensity(graph: FactorGraph, w: np.ndarray, data: LabelData) -> None:
    """Set each learnable propensity weight to its exact optimum given the accuracy weights.

    Without class propensity and dependencies, P(LF j votes) is the same for every class,
    ``sigmoid(p_j + log(e^a + (k-1) e^-a))``, so the maximum-likelihood ``p_j`` matches the
    observed coverage exactly. This block-coordinate step decouples accuracy from coverage
    (the two are strongly correlated under the diagonal preconditioner). Skipped when
    class propensities, dependencies or per-row cardinalities make the optimum
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
    if graph.dep_factors.shape[0] or data.row_card.shape[0]:
        return None  # known labels keep the optimum explicit: P(vote) does not depend on the class
    if np.any(~graph.weight_fixed[lay.cprop : lay.cprop + m]):
        return None
    mask = np.zeros(lay.size, dtype=bool)
    mask[lay.prop : lay.prop + m] = ~graph.weight_fixed[lay.prop : lay.prop + m]
    return mask
