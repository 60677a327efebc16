"""What a trained :class:`~.model.GenerativeModel` learned: its weights, the LF statistics they imply.

:class:`GenerativeModelWeights` lays the weight vector out by factor type (Snorkel 0.7's
``gen_model.weights``); :func:`model_lf_stats` computes each LF's accuracy, coverage,
precision and recall in closed form; :func:`warn_convergence` warns when training
diverged or did not move. All read a trained model; the model checks that it is trained
before calling them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from snorkel_ie.errors import ConvergenceWarning
from snorkel_ie.learning.generative.dependencies import DEP_EXCLUSIVE, DEP_FIXING, DEP_REINFORCING, DEP_SIMILAR
from snorkel_ie.learning.generative.training import LabelData, class_offsets, lf_views

if TYPE_CHECKING:
    import pandas as pd

    from snorkel_ie.learning.generative.model import GenerativeModel

__all__ = ["GenerativeModelWeights", "model_lf_stats", "model_weights", "posterior_lf_stats", "warn_convergence"]


@dataclass
class GenerativeModelWeights:
    """Learned weights, as Snorkel 0.7's ``gen_model.weights``.

    ``lf_accuracy`` holds the learned accuracy weights (the fixed LF-prior weights are in
    ``lf_prior``; a vote's effective log-potential is their sum). Dependency weights are
    dense ``(n_lfs, n_lfs)`` matrices indexed ``[j, k]`` for a dependency ``(j, k, type)``.
    ``class_prior`` is one signed weight for a binary model and ``k`` weights otherwise.
    ``label_accuracy`` is the fixed weight tying gold labels to the class (``label_prior_weight``)
    when the model was trained with ``labels=``, else ``None``: Snorkel 0.7 appended the labels
    as one more LF of fixed weight, here the LF arrays keep one entry per LF.
    """

    lf_accuracy: np.ndarray
    lf_prior: np.ndarray
    lf_propensity: np.ndarray
    lf_class_propensity: np.ndarray
    dep_similar: np.ndarray
    dep_fixing: np.ndarray
    dep_reinforcing: np.ndarray
    dep_exclusive: np.ndarray
    class_prior: np.ndarray = field(default_factory=lambda: np.zeros(1))
    label_accuracy: float | None = None


def model_weights(model: GenerativeModel) -> GenerativeModelWeights:
    """The learned weights of a trained ``model`` (see :class:`GenerativeModelWeights`)."""
    w, lay = model.weight_vector_, model.graph_.layout
    m = lay.n_lfs
    deps = {t: np.zeros((m, m)) for t in (DEP_SIMILAR, DEP_FIXING, DEP_REINFORCING, DEP_EXCLUSIVE)}
    for d, (j, k, t) in enumerate(model.deps_):
        deps[t][j, k] = w[lay.dep + d]
    return GenerativeModelWeights(
        lf_accuracy=w[lay.acc : lay.acc + m].copy(),
        lf_prior=w[lay.prior : lay.prior + m].copy(),
        lf_propensity=w[lay.prop : lay.prop + m].copy(),
        lf_class_propensity=w[lay.cprop : lay.cprop + m].copy(),
        dep_similar=deps[DEP_SIMILAR],
        dep_fixing=deps[DEP_FIXING],
        dep_reinforcing=deps[DEP_REINFORCING],
        dep_exclusive=deps[DEP_EXCLUSIVE],
        class_prior=w[: lay.n_class].copy(),
        label_accuracy=None if _label_coverage(model) is None else float(model.label_prior_weight_),
    )


def _label_coverage(model: GenerativeModel) -> float | None:
    """Fraction of training candidates with a known label, ``None`` when trained without ``labels=``."""
    return getattr(model, "label_coverage_", None)


def posterior_lf_stats(post: np.ndarray, data: LabelData) -> np.ndarray:
    """Per LF, accuracy, coverage, precision and recall estimated from the training posterior.

    ``post`` holds ``P(y = +1 | votes)`` of every training row. An LF's accuracy is the mean,
    over its votes, of the posterior probability that the class equals the vote (the
    expected in-sample accuracy given the matrix: what an E-step computes, and for an LF
    whose accuracy weight is learned, equal to the weight's implied accuracy at a fixed
    point of EM); precision is ``P(y = +1 | vote = +1)`` and recall ``P(vote = +1 | y = +1)``
    by the same expectations. Returns an ``(n_lfs, 4)`` array (NaN for an LF that never votes).
    """
    n, m = data.n_rows, data.n_lfs
    rows = np.repeat(np.arange(n), np.diff(data.indptr))
    pos = data.data == 2
    p = post[rows]
    right = np.where(pos, p, 1.0 - p)
    votes = np.bincount(data.indices, minlength=m).astype(np.float64)
    n_pos = np.bincount(data.indices[pos], minlength=m).astype(np.float64)
    pos_right = np.bincount(data.indices[pos], weights=p[pos], minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.bincount(data.indices, weights=right, minlength=m) / votes
        precision = np.where(n_pos > 0, pos_right / n_pos, 0.0)
        recall = pos_right / max(float(post.sum()), 1e-300)
    return np.column_stack([np.where(votes > 0, accuracy, np.nan), votes / n, precision, recall])


def model_lf_stats(model: GenerativeModel) -> pd.DataFrame:
    """Accuracy, coverage, precision and recall of each LF implied by the learned weights of ``model``.

    See :meth:`.model.GenerativeModel.learned_lf_stats`.
    """
    w, g = model.weight_vector_, model.graph_
    acc, prop, cprop, *_ = lf_views(g, w)
    copies = getattr(model, "copies_", None)
    if copies is not None:
        acc = acc * copies  # a group of exact copies shares one LF's weight (see GenerativeModel._fit)
    k = model.k_
    theta = class_offsets(g, w)[:k]
    correct = np.repeat((1.0 / (1.0 + (k - 1) * np.exp(-2.0 * acc)))[:, None], k, axis=1)  # P(vote = y | vote, y)
    pol = getattr(model, "polarity_", None)
    if model.signed_ and pol is not None:
        one = pol != 0  # a one-sided LF always votes its sign
        correct[one] = (np.array([-1, 1])[None, :] == pol[one][:, None]).astype(float)
    opts = getattr(model, "options_", None)
    modelled = (
        (opts.lf_propensity or opts.lf_class_propensity)
        if opts is not None
        else (model.lf_propensity is True or model.lf_class_propensity is True)
    )
    if modelled:
        sy = np.array([-1.0, 1.0]) if k == 2 else np.zeros(k)
        u = prop[:, None] + cprop[:, None] * sy[None, :] + np.logaddexp(acc, np.log(k - 1) - acc)[:, None]
        pvote = 1.0 / (1.0 + np.exp(-u))  # (m, k)
        log_pi = theta + np.sum(np.log1p(np.exp(u)), axis=0)
    else:
        pvote = np.repeat(model.coverage_[:, None], k, axis=1)
        log_pi = theta.copy()
    pi = np.exp(log_pi - log_pi.max())
    pi /= pi.sum()
    index = list(model.lf_names_) if model.lf_names_ is not None else list(range(g.layout.n_lfs))
    label_cov = _label_coverage(model)
    if label_cov is not None:  # the gold labels as one more source, after the LFs (0.7's extra LF column)
        w_label = float(model.label_prior_weight_)
        right = 1.0 / (1.0 + (k - 1) * np.exp(-2.0 * w_label))  # the fixed label factor, as an accuracy factor
        pvote = np.vstack([pvote, np.full((1, k), label_cov)])
        correct = np.vstack([correct, np.full((1, k), right)])
        index.append("labels" if model.lf_names_ is not None else len(index))
    coverage = pvote @ pi
    accuracy = (pvote * correct) @ pi / np.maximum(coverage, 1e-300)
    if model.signed_:
        pos_right = pi[1] * pvote[:, 1] * correct[:, 1]
        neg_wrong = pi[0] * pvote[:, 0] * (1.0 - correct[:, 0])
        precision = pos_right / np.maximum(pos_right + neg_wrong, 1e-300)
        recall = pvote[:, 1] * correct[:, 1]
    else:
        precision = accuracy
        recall = (pvote * correct).mean(axis=1)
    vote_stats = getattr(model, "vote_stats_", None)
    if vote_stats is not None and pol is not None:  # one-sided LFs of a model that does not identify them
        one = np.flatnonzero(pol != 0)
        accuracy, coverage, precision, recall = (np.array(col, dtype=np.float64) for col in
                                                 (accuracy, coverage, precision, recall))  # fmt: skip
        for col, values in zip((accuracy, coverage, precision, recall), vote_stats.T, strict=True):
            col[one] = values[one]
    import pandas as pd  # only for the report: training and inference do not need it

    return pd.DataFrame(
        {"Accuracy": accuracy, "Coverage": coverage, "Precision": precision, "Recall": recall}, index=index
    )


def warn_convergence(model: GenerativeModel, data: LabelData) -> None:
    """Warn when the weights of a freshly trained ``model`` diverged or none of them moved.

    ``stacklevel=3`` points the ``ConvergenceWarning`` at the caller of
    :meth:`.model.GenerativeModel.train`, which must call this function directly.
    """
    w = model.weight_vector_
    g = model.graph_
    learn = ~g.weight_fixed
    if not np.all(np.isfinite(w)) or np.max(np.abs(w[learn]), initial=0.0) > 20.0:
        warnings.warn(
            "weights diverged (|w| > 20 or not finite): an LF may be perfectly (anti-)correlated with the "
            "others; raise reg_param or lower step_size",
            ConvergenceWarning,
            stacklevel=3,
        )
    lay = g.layout
    voting = np.zeros(lay.size, dtype=bool)
    voting[lay.acc : lay.acc + lay.n_lfs] = data.col_counts > 0
    moved = np.abs(w - g.weight_value) > 1e-8
    if np.any(learn & voting) and not np.any(moved & learn):
        warnings.warn(
            "no weight moved from its initial value; raise step_size or epochs",
            ConvergenceWarning,
            stacklevel=3,
        )
