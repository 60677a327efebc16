"""Dawid-Skene EM for binary LFs with class-conditional propensities, closed-form M-step.

The model (the factor graph with ``lf_class_propensity``, no dependencies): the class
``y`` has prior ``pi``; LF ``j`` votes with probability ``r[j, y]`` (its class-conditional
coverage) and, when it votes, its vote is right with probability ``acc[j]`` whatever the
class (a one-sided LF, which only ever votes its sign, has no such parameter: its
quality is all in ``r``). Every M-step is explicit: ``r`` and ``acc`` are ratios of
expected counts, smoothed by Beta pseudo-counts.

What makes the fit independent of luck:

* **start**: the E-step starts from majority vote (then from a smoothed vote share), not
  from a weight vector, so the first M-step already sits in the basin where LFs agree
  with the majority;
* **LFs better than random**: after each M-step a mixed LF's accuracy is kept at or above
  0.5 and a one-sided LF's coverage of its own class at or above its coverage of the other
  (otherwise both are set to their mean: the LF carries no evidence). This removes the
  mirror solution where the classes swap roles;
* **two starts**, the fit with the higher penalised likelihood kept; a fit still moving
  after ``epochs`` iterations is reported as not converged.

:func:`to_weights` maps the parameters to the factor graph's weights so that the exact
posterior kernel, ``learned_lf_stats`` and persistence work unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from snorkel_ie.learning.generative.training_inputs import LabelData

__all__ = ["DSFit", "fit_dawid_skene", "to_weights"]

PSEUDO_VOTES = 1.0
"""Beta pseudo-count on each class-conditional coverage, centred on the LF's overall coverage."""
ACC_PRIOR = (2.0, 1.0)
"""Beta pseudo-counts (right, wrong) on a mixed LF's accuracy: snorkel's ``prec_init`` idea, weakly."""
PI_PSEUDO = 1.0
"""Dirichlet pseudo-count per class on the class balance."""


@dataclass
class DSFit:
    """Fitted Dawid-Skene parameters (class order ``-1, +1``)."""

    pi: np.ndarray
    r: np.ndarray
    acc: np.ndarray
    polarity: np.ndarray
    loglik: float
    iterations: int
    converged: bool
    history: list[float]


class _Votes:
    """Indicator matrices of +1 and -1 votes (rows x LFs) and their transposes."""

    def __init__(self, data: LabelData):
        rows = np.repeat(np.arange(data.n_rows), np.diff(data.indptr))
        shape = (data.n_rows, data.n_lfs)
        pos = data.data == 2
        self.P = sp.csr_matrix((np.ones(int(pos.sum())), (rows[pos], data.indices[pos])), shape=shape)
        self.N = sp.csr_matrix((np.ones(int((~pos).sum())), (rows[~pos], data.indices[~pos])), shape=shape)
        self.PT, self.NT = self.P.T.tocsr(), self.N.T.tocsr()
        self.vote_sum = np.asarray(self.P.sum(axis=1)).ravel() - np.asarray(self.N.sum(axis=1)).ravel()


def _m_step(v: _Votes, q: np.ndarray, pol: np.ndarray, pi_fixed: np.ndarray | None):
    Q = np.stack([1.0 - q, q], axis=1)
    n_y = Q.sum(axis=0)
    pos = np.stack([v.PT @ Q[:, 0], v.PT @ Q[:, 1]], axis=1)
    neg = np.stack([v.NT @ Q[:, 0], v.NT @ Q[:, 1]], axis=1)
    votes = pos + neg
    cover = votes.sum(axis=1, keepdims=True) / max(float(q.shape[0]), 1.0)  # prior mean: the overall coverage
    r = (votes + PSEUDO_VOTES * cover) / (n_y[None, :] + PSEUDO_VOTES)
    right, total = pos[:, 1] + neg[:, 0], votes.sum(axis=1)
    acc = np.maximum((right + ACC_PRIOR[0]) / (total + sum(ACC_PRIOR)), 0.5)
    for s, own in ((1, 1), (-1, 0)):  # one-sided LFs: cover their own class at least as much as the other
        bad = (pol == s) & (r[:, own] < r[:, 1 - own])
        r[bad] = r[bad].mean(axis=1, keepdims=True)
    if pi_fixed is None:
        pi = (n_y + PI_PSEUDO) / (q.shape[0] + 2 * PI_PSEUDO)
    else:
        pi = pi_fixed
    return pi, np.clip(r, 1e-6, 1 - 1e-6), np.clip(acc, 0.5, 1 - 1e-6)


def _log_tables(r: np.ndarray, acc: np.ndarray, pol: np.ndarray):
    """Per LF and class: log P(abstain), log P(vote +1), log P(vote -1)."""
    p_pos = np.stack([1.0 - acc, acc], axis=1)  # P(vote = +1 | vote, y)
    p_pos = np.where(pol[:, None] == 1, 1.0, np.where(pol[:, None] == -1, 0.0, p_pos))
    la = np.log1p(-r)
    with np.errstate(divide="ignore"):
        lp = np.log(r) + np.log(p_pos)
        ln = np.log(r) + np.log1p(-p_pos)
    return la, np.maximum(lp, -700.0), np.maximum(ln, -700.0)


def _e_step(v: _Votes, pi, r, acc, pol, label: np.ndarray | None):
    la, lp, ln = _log_tables(r, acc, pol)
    base = np.log(pi) + la.sum(axis=0)
    score = np.stack([base[y] + v.P @ (lp[:, y] - la[:, y]) + v.N @ (ln[:, y] - la[:, y]) for y in (0, 1)], axis=1)
    row_ll = np.logaddexp(score[:, 0], score[:, 1])
    q = np.exp(score[:, 1] - row_ll)
    if label is not None:
        known = label != 0
        q[known] = (label[known] == 2).astype(np.float64)
        row_ll[known] = np.where(label[known] == 2, score[known, 1], score[known, 0])
    return q, float(row_ll.sum())


def _log_prior(pi, r, acc, pol) -> float:
    mixed = pol == 0
    out = float(PI_PSEUDO * np.log(pi).sum())
    out += float(((ACC_PRIOR[0] * np.log(acc) + ACC_PRIOR[1] * np.log1p(-acc)) * mixed).sum())
    return out


def _run(v, q, pol, pi_fixed, label, epochs, tol, callback) -> DSFit:
    history: list[float] = []
    previous = -np.inf
    converged = False
    it = 0
    for it in range(1, epochs + 1):
        pi, r, acc = _m_step(v, q, pol, pi_fixed)
        q, ll = _e_step(v, pi, r, acc, pol, label)
        history.append(ll / q.shape[0])
        if callback is not None:
            callback(it, ll / q.shape[0])
        if abs(ll - previous) < tol * q.shape[0]:
            converged = True
            break
        previous = ll
    return DSFit(pi, r, acc, pol, ll + _log_prior(pi, r, acc, pol), it, converged, history)


def fit_dawid_skene(
    data: LabelData,
    polarity: np.ndarray,
    *,
    class_balance: np.ndarray | None = None,
    epochs: int = 300,
    tol: float = 1e-7,
    callback=None,
) -> DSFit:
    """Fit the model by EM from two majority-vote starts; the fit of higher penalised likelihood wins.

    ``class_balance`` (``[P(-1), P(+1)]``) fixes the class prior; ``None`` estimates it.
    Rows with a known label (``data.row_label``: 2 = +1, 1 = -1) are clamped to it.
    """
    v = _Votes(data)
    label = data.row_label if data.row_label.shape[0] else None
    s = v.vote_sum
    starts = [
        np.where(s > 0, 1.0, np.where(s < 0, 0.0, 0.5)),  # majority vote, ties and empty rows at 1/2
        1.0 / (1.0 + np.exp(-0.5 * s)),  # a smoothed vote share
    ]
    best: DSFit | None = None
    for q0 in starts:
        if label is not None:
            q0 = np.where(label == 0, q0, (label == 2).astype(np.float64))
        fit = _run(v, q0, polarity, class_balance, label, epochs, tol, callback if best is None else None)
        if best is None or fit.loglik > best.loglik + 1e-9 * data.n_rows:
            best = fit
    return best


def to_weights(fit: DSFit) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Factor-graph weights ``(accuracy, propensity, class propensity, class prior)`` of a fit.

    The graph's vote log-potential for class ``s = -1, +1`` is ``p + c s +/- a s``, so
    ``a = logit(acc) / 2`` (``0`` for a one-sided LF, whose accuracy weight is fixed and
    whose unseen opposite vote takes half of the voting mass: a constant of the
    likelihood), ``c = (logit r+ - logit r-) / 2`` and ``p = (logit r+ + logit r-) / 2 -
    log(2 cosh a)``; the class-prior weight is set so that the undirected graph's class
    marginal is ``pi``. The graph must have no LF-prior factors (see :func:`.em._use_em`).
    """
    logit = np.log(fit.r) - np.log1p(-fit.r)
    a = np.where(fit.polarity == 0, 0.5 * (np.log(fit.acc) - np.log1p(-fit.acc)), 0.0)
    c = 0.5 * (logit[:, 1] - logit[:, 0])
    p = 0.5 * (logit[:, 1] + logit[:, 0]) - np.logaddexp(a, -a)
    logz = np.zeros(2)
    for y, sy in enumerate((-1.0, 1.0)):
        u = p + c * sy
        logz[y] = np.sum(np.logaddexp(0.0, np.logaddexp(u + a * sy, u - a * sy)))
    theta = 0.5 * ((np.log(fit.pi[1]) - logz[1]) - (np.log(fit.pi[0]) - logz[0]))
    return a, p, c, float(theta)
