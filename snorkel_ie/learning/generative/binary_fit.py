"""The default binary fit (abstentions observed, no dependencies) on the distinct rows of the label matrix.

A binary model without dependencies, known labels, ranges or modelled propensities scores
a row only through its pattern of votes, so every statistic of an epoch is a sum over
patterns weighted by how many rows show each one. Real label matrices repeat a few
patterns very often (most candidates get no vote or one or two), and a matrix of ``m``
LFs of low coverage has far fewer than ``n`` distinct rows, so the fit runs over the
distinct rows (:func:`distinct_rows`) when a sample of the rows shows that this pays.

:func:`fit_binary_observed` is :func:`.training.train_weights`' loop for this model
(the same preconditioned step, stopping rule and history), written as two sparse
products per epoch with the products' matrices built once: its weights equal that
loop's on the full matrix to rounding (``tests/learning/generative/test_binary_fit.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from snorkel_ie.learning.generative.training_inputs import LabelData, LearnSettings

__all__ = ["Patterns", "distinct_rows", "fit_binary_observed"]

MAX_EXACT_LFS = 39
"""Rows are keyed exactly by a base-3 code in an int64 up to this many LFs (3**39 < 2**63)."""
SAMPLE_ROWS = 20_000
"""Rows sampled to judge whether compressing pays."""
MIN_DUPLICATE_SHARE = 0.5
"""Compress when at least this share of the sampled rows repeat another sampled row."""


@dataclass
class Patterns:
    """A binary label matrix as its distinct rows: ``S`` (signed votes of each pattern) and their counts."""

    S: sp.csr_matrix
    counts: np.ndarray | None
    """Rows per pattern, or None when ``S`` holds every row (no compression)."""


def _row_codes(data: LabelData, rows: slice | None = None) -> np.ndarray:
    """Base-3 code of each row (digit 1 = vote -1, 2 = vote +1 at the LF's position)."""
    indptr = data.indptr if rows is None else data.indptr[rows]
    lo, hi = int(indptr[0]), int(indptr[-1])
    power = 3 ** np.arange(data.n_lfs, dtype=np.int64)
    digits = data.data[lo:hi].astype(np.int64) * power[data.indices[lo:hi]]
    starts = indptr[:-1] - lo
    codes = np.add.reduceat(np.append(digits, 0), np.minimum(starts, hi - lo)) if starts.size else digits[:0]
    codes[np.diff(indptr) == 0] = 0  # reduceat gives an empty row its next element
    return codes


def _pays(data: LabelData) -> bool | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whether compressing is worth its sort: the first rows already repeat themselves.

    When those rows are the whole matrix, their ``np.unique(codes, return_index=True,
    return_counts=True)`` is returned instead of True (the sort is not done twice).
    """
    if data.n_lfs > MAX_EXACT_LFS or data.n_rows < 2:
        return False
    take = min(data.n_rows, SAMPLE_ROWS)
    sample = _row_codes(data, slice(0, take + 1))
    if take < data.n_rows:
        return np.unique(sample).shape[0] <= (1.0 - MIN_DUPLICATE_SHARE) * take
    found = np.unique(sample, return_index=True, return_counts=True)
    return found if found[0].shape[0] <= (1.0 - MIN_DUPLICATE_SHARE) * take else False


def distinct_rows(data: LabelData, *, force: bool | None = None) -> Patterns:
    """The patterns of ``data`` (binary votes ``1``/``2``), compressed when :func:`_pays` (or ``force``)."""
    m = data.n_lfs
    pays = bool(force) if force is not None else _pays(data)
    if pays is False or data.n_lfs > MAX_EXACT_LFS:
        return Patterns(_signed(data.indptr, data.indices, data.data, data.n_rows, m), None)
    uniq, first, counts = (
        pays if isinstance(pays, tuple) else np.unique(_row_codes(data), return_index=True, return_counts=True)
    )
    lengths = np.diff(data.indptr)[first]
    indptr = np.zeros(uniq.shape[0] + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    take = np.repeat(data.indptr[first] - indptr[:-1], lengths) + np.arange(int(indptr[-1]))
    S = _signed(indptr, data.indices[take], data.data[take], uniq.shape[0], m)
    return Patterns(S, counts.astype(np.float64))


def _signed(indptr, indices, votes, n: int, m: int) -> sp.csr_matrix:
    """``+1``/``-1`` per vote as a float64 CSR matrix whose index arrays share one dtype (no per-product casts)."""
    idx = np.int32 if indices.shape[0] < 2**31 - 1 else np.int64
    signed = votes.astype(np.float64) * 2.0 - 3.0
    return sp.csr_matrix((signed, indices.astype(idx, copy=False), indptr.astype(idx, copy=False)), shape=(n, m))


def _log_cosh2(h: np.ndarray, buf: np.ndarray, counts: np.ndarray | None) -> float:
    """``sum_rows counts * log(e^h + e^-h)`` (stable; ``buf`` is scratch of h's shape)."""
    np.abs(h, out=buf)
    total = float(buf.sum() if counts is None else buf @ counts)
    buf *= -2.0
    np.exp(buf, out=buf)
    np.log1p(buf, out=buf)
    return total + float(buf.sum() if counts is None else buf @ counts)


class _Epoch:
    """One epoch of the default binary model: the preconditioned step and log-likelihood at given weights."""

    def __init__(self, learn, offsets, patterns: Patterns, col_counts, n: float, settings: LearnSettings):
        self.acc_at, self.prior_at = offsets
        self.m = col_counts.shape[0]
        self.S, self.ST, self.counts = patterns.S, patterns.S.T, patterns.counts  # S.T: a CSC view, no copy
        self.h, self.t, self.buf = (np.empty(patterns.S.shape[0]) for _ in range(3))
        self.learn_acc, self.learn_class = learn[self.acc_at : self.acc_at + self.m], bool(learn[0])
        self.col_counts, self.n = col_counts, n
        self.reg = settings.reg_param if settings.reg_type == 2 else 0.0

    def __call__(self, w: np.ndarray) -> tuple[np.ndarray, float, float]:
        """``(step on the accuracy block, step on the class weight, log-likelihood)`` at ``w``."""
        a, m, n, reg = self.acc_at, self.m, self.n, self.reg
        acc = w[a : a + m] + w[self.prior_at : self.prior_at + m]
        w0 = w[0]
        h, t = self.h, self.t
        np.add(self.S @ acc, w0, out=h)
        np.tanh(h, out=t)
        ll = _log_cosh2(h, self.buf, self.counts)
        if self.counts is not None:
            t *= self.counts
        rho, s_mean = np.tanh(acc), np.tanh(w0)
        grad_acc = self.ST @ t - self.col_counts * rho
        var_acc = self.col_counts * (1.0 - rho**2)
        ll -= float(self.col_counts @ np.logaddexp(acc, -acc)) + n * float(np.logaddexp(w0, -w0))
        floor = 1e-9 * n + 1e-12 + n * reg
        step_acc = np.where(self.learn_acc, (grad_acc - n * reg * w[a : a + m]) / (var_acc + floor), 0.0)
        step_class = 0.0
        if self.learn_class:
            step_class = (float(t.sum()) - n * s_mean - n * reg * w0) / (n * (1.0 - s_mean**2) + floor)
        return step_acc, step_class, ll

    def apply(self, w: np.ndarray, step_acc, step_class, lr: float) -> np.ndarray:
        """A copy of ``w`` moved by ``lr`` times the steps, each coordinate's move clipped to [-1, 1]."""
        out = w.copy()
        out[self.acc_at : self.acc_at + self.m] += np.clip(lr * step_acc, -1.0, 1.0)
        out[0] += float(np.clip(lr * step_class, -1.0, 1.0))
        return out


def fit_binary_observed(
    w: np.ndarray,
    learn: np.ndarray,
    offsets: tuple[int, int],
    patterns: Patterns,
    col_counts: np.ndarray,
    n: float,
    settings: LearnSettings,
    callback: Callable[[int, float], None] | None = None,
) -> tuple[np.ndarray, int, list[float], bool]:
    """Learn the class-prior and accuracy weights (in ``w``, a copy is returned) of the default binary model.

    ``offsets`` are the accuracy and LF-prior blocks of the weight vector (the effective
    accuracy of LF ``j`` is their sum); ``learn`` marks the learnable weights; ``n`` is the
    number of rows and ``col_counts`` the votes per LF of the full matrix. With
    ``settings.accelerate`` (and an undecayed rate) the fixed-point iteration is
    accelerated by SQUAREM (:func:`_squarem`); it stops by the same rule (the largest step
    below ``settings.tol``), at the same fixed point to within that tolerance.

    Returns
    -------
    weights, epochs_run, history, converged
        As :func:`.training.train_weights` (an epoch is one evaluation of the step).
    """
    epoch_fn = _Epoch(learn, offsets, patterns, col_counts, n, settings)
    history: list[float] = []

    def evaluate(x: np.ndarray) -> tuple[np.ndarray, float, float]:
        step_acc, step_class, ll = epoch_fn(x)
        history.append(ll / n)
        if callback is not None:
            callback(len(history), ll / n)
        return step_acc, step_class, ll

    if settings.accelerate and settings.decay == 1.0:
        w, converged = _squarem(w, epoch_fn, evaluate, settings, history)
    else:
        w, converged = w.copy(), False
        lr = settings.learning_rate
        while len(history) < settings.epochs:
            step_acc, step_class, _ = evaluate(w)
            w = epoch_fn.apply(w, step_acc, step_class, lr)
            lr *= settings.decay
            if _small(step_acc, step_class, settings.tol) and len(history) > 2:
                converged = True
                break
    if not converged and len(history) > 3 and np.all(np.abs(np.diff(history[-4:])) < settings.ll_tol):
        converged = True  # the steps are still above tol, but the likelihood no longer moves
    return w, len(history), history, converged


def _small(step_acc: np.ndarray, step_class: float, tol: float) -> bool:
    return max(float(np.max(np.abs(step_acc), initial=0.0)), abs(step_class)) < tol


def _squarem(w, epoch_fn: _Epoch, evaluate, settings: LearnSettings, history: list[float]):
    """SQUAREM (Varadhan and Roland, 2008, step length S3) over the map ``x -> x + step(x)``.

    Two plain steps give ``r`` (the first step) and ``v`` (its change); the extrapolated
    point ``x0 - 2 a r + a^2 v``, ``a = -|r| / |v|``, is kept when its log-likelihood is
    not below the cycle's start (else ``a`` backs off towards ``-1``, the plain double
    step); a plain step from it starts the next cycle. Returns ``(weights, converged)``.
    """
    lr = settings.learning_rate
    x0 = w.copy()
    while len(history) < settings.epochs:
        s_acc, s_cls, ll0 = evaluate(x0)
        x1 = epoch_fn.apply(x0, s_acc, s_cls, lr)
        if _small(s_acc, s_cls, settings.tol) and len(history) > 2:
            return x1, True
        if len(history) >= settings.epochs:
            return x1, False
        s_acc, s_cls, _ = evaluate(x1)
        x2 = epoch_fn.apply(x1, s_acc, s_cls, lr)
        if _small(s_acc, s_cls, settings.tol) and len(history) > 2:
            return x2, True
        r, v = x1 - x0, x2 - 2.0 * x1 + x0
        nv = float(np.linalg.norm(v))
        alpha = -1.0 if nv == 0.0 else min(-1.0, -float(np.linalg.norm(r)) / nv)
        x_new = x2
        while alpha < -1.0 and len(history) < settings.epochs:
            trial = x0 - 2.0 * alpha * r + alpha**2 * v
            s_acc, s_cls, ll = evaluate(trial)
            if np.isfinite(ll) and ll >= ll0:
                x_new = epoch_fn.apply(trial, s_acc, s_cls, lr)
                if _small(s_acc, s_cls, settings.tol):
                    return x_new, True
                break
            alpha = 0.5 * (alpha - 1.0)
            if alpha > -1.05:
                alpha = -1.0
        x0 = x_new
    return x0, False
