"""The Gibbs chain with abstentions observed, for dense dependency sets (numba only).

:mod:`._sampling_kernels`' chain lists, per vote of every particle, the dependency
factors it shares with another voting LF. When most pairs of LFs are dependent (all
4,950 pairs of 100 LFs), those lists are as long as the particles' pairs of votes, so
the kernels here look the factors up in an ``(m, m)`` table instead:

* :func:`gibbs_pair_stats_dense` - any factor types; visits the pairs in the order of the
  link lists (ascending LF), so it gives the same numbers to the bit.
* :func:`gibbs_pair_stats_similar` - binary models whose factors are all similar or
  exclusive (no factor involves ``Y``): a vote's conditional is then the logistic of a
  dot product of a row of the similar-weight matrix with the particle's signed votes,
  the chain's hot loop becomes a branch-free gather and multiply-add, and ``Y``'s
  conditional needs no pair at all. Same chain and statistics, different rounding.

See :mod:`._gibbs` for the encoding of the arrays and of the dependency tuple.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from snorkel_ie.learning.generative._factor_kernels import (
    _FT_DEP_EXCLUSIVE,
    _FT_DEP_FIXING,
    _FT_DEP_REINFORCING,
    _FT_DEP_SIMILAR,
    N_CHUNKS,
    _softmax,
    factor_value,
)
from snorkel_ie.learning.generative._sampling_kernels import _ordered, _sample, next_uniform


@njit(cache=True, parallel=True)
def gibbs_pair_stats_dense(
    n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, pair_dep, plabel, k, label_w, theta, acc, cprop, deps, offs,
    states, n_stats, has_y_deps,
):  # fmt: skip
    """:func:`gibbs_pair_stats_links` with the factors found in an ``(m, m)`` table instead of link lists.

    ``pair_dep[a, b]`` is the dependency factor between LFs ``a`` and ``b`` (``-1``: none;
    at most one per pair). When most pairs of voting LFs share a factor (hundreds of LFs,
    all pairs), per-vote link lists are as long as the particle's votes and cost memory
    traffic on every sweep, while the table stays in cache. The pairs are visited in the
    same order as the link lists (ascending LF), so both give the same numbers to the bit.
    ``has_y_deps``: some factor is fixing or reinforcing (otherwise ``Y``'s conditional
    skips the pairs).
    """
    n_class, o_acc, o_cprop, o_dep = offs[0], offs[1], offs[3], offs[4]
    dep_t, dep_j, dep_w = deps[0], deps[1], deps[3]
    n_p = p_ptr.shape[0] - 1
    binary = k == 2
    mean_c = np.zeros((N_CHUNKS, n_stats))
    sq_c = np.zeros((N_CHUNKS, n_stats))
    w_kept = 1.0 / max(n_sweeps - burn_in, 1)
    for c in prange(N_CHUNKS):
        mean = mean_c[c]
        mean_sq = sq_c[c]
        logits = np.empty(k + 1)
        probs = np.empty(k + 1)
        q = np.empty(k)
        for p in range(c * n_p // N_CHUNKS, (c + 1) * n_p // N_CHUNKS):
            lo, hi = p_ptr[p], p_ptr[p + 1]
            for sweep in range(n_sweeps):
                y = ystate[p]
                for t in range(lo, hi):  # each vote given Y and the others
                    a = p_idx[t]
                    row = pair_dep[a]
                    for v in range(1, k + 1):
                        logits[v] = acc[a] if v == y else -acc[a]
                    for u in range(lo, hi):
                        d = row[p_idx[u]]
                        if d < 0:
                            continue
                        lb = p_val[u]
                        if dep_t[d] == _FT_DEP_SIMILAR:
                            logits[lb] += dep_w[d]
                        elif dep_t[d] != _FT_DEP_EXCLUSIVE:
                            first = dep_j[d] == a
                            for v in range(1, k + 1):
                                h = (
                                    factor_value(dep_t[d], 0, y, v, lb)
                                    if first
                                    else factor_value(dep_t[d], 0, y, lb, v)
                                )
                                logits[v] += dep_w[d] * h
                    p_val[t] = _sample(states, p, logits, 1, k + 1, probs)
                for yy in range(k):  # Y given the votes
                    logits[yy] = theta[yy]
                    if plabel.shape[0] > 0 and plabel[p] > 0:
                        logits[yy] += label_w if yy + 1 == plabel[p] else -label_w
                for t in range(lo, hi):
                    a = p_idx[t]
                    for yy in range(k):
                        logits[yy] += acc[a] if yy + 1 == p_val[t] else -acc[a]
                    if binary:
                        logits[0] -= cprop[a]
                        logits[1] += cprop[a]
                    if has_y_deps:
                        row = pair_dep[a]
                        for u in range(t + 1, hi):
                            d = row[p_idx[u]]
                            if d >= 0 and (dep_t[d] == _FT_DEP_FIXING or dep_t[d] == _FT_DEP_REINFORCING):
                                l1, l2 = _ordered(dep_j[d] == a, p_val[t], p_val[u])
                                for yy in range(k):
                                    logits[yy] += dep_w[d] * factor_value(dep_t[d], 0, yy + 1, l1, l2)
                _softmax(logits, k, q)
                if sweep >= burn_in:
                    s_mean = q[1] - q[0] if binary else 0.0
                    if binary:
                        mean[0] += w_kept * s_mean
                        mean_sq[0] += w_kept
                    else:
                        for yy in range(min(k, n_class)):
                            mean[yy] += w_kept * q[yy]
                            mean_sq[yy] += w_kept * q[yy]
                    for t in range(lo, hi):
                        a = p_idx[t]
                        row = pair_dep[a]
                        mean[o_acc + a] += w_kept * (2.0 * q[p_val[t] - 1] - 1.0)
                        mean_sq[o_acc + a] += w_kept
                        mean[o_cprop + a] += w_kept * s_mean
                        mean_sq[o_cprop + a] += w_kept
                        for u in range(t + 1, hi):
                            d = row[p_idx[u]]
                            if d < 0:
                                continue
                            if dep_t[d] == _FT_DEP_SIMILAR or dep_t[d] == _FT_DEP_EXCLUSIVE:  # no Y: h is known
                                h_sum = factor_value(dep_t[d], 0, 1, p_val[t], p_val[u])
                                h_sq = h_sum * h_sum
                            else:
                                l1, l2 = _ordered(dep_j[d] == a, p_val[t], p_val[u])
                                h_sum = 0.0
                                h_sq = 0.0
                                for yy in range(k):
                                    h = factor_value(dep_t[d], 0, yy + 1, l1, l2)
                                    h_sum += q[yy] * h
                                    h_sq += q[yy] * h * h
                            mean[o_dep + d] += w_kept * h_sum
                            mean_sq[o_dep + d] += w_kept * h_sq
                ystate[p] = 1 + _sample(states, p, logits, 0, k, probs)
    return mean_c.sum(axis=0), sq_c.sum(axis=0)


@njit(cache=True, nogil=True, fastmath=True)
def _field(w_row, p_idx, x, lo, hi):
    """``sum_u w_row[p_idx[u]] * x[u - lo]`` (the similar-factor field of one vote)."""
    s = 0.0
    for u in range(lo, hi):
        s += w_row[p_idx[u]] * x[u - lo]
    return s


@njit(cache=True, parallel=True)
def gibbs_pair_stats_similar(
    n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, pair_dep, w_sim, plabel, label_w, theta, acc, cprop, deps, offs,
    states, n_stats, pair_stats,
):  # fmt: skip
    """:func:`gibbs_pair_stats_dense` for a binary model whose factors are all similar or exclusive.

    ``w_sim[a, b]`` is the weight of the similar factor between LFs ``a`` and ``b`` (0 where
    there is none, and on the diagonal). Given ``Y = y`` and the other votes, vote ``t``
    of LF ``a`` is ``+1`` with probability ``sigmoid(2 acc[a] s(y) + sum_u w_sim[a, b_u] x_u)``
    (``x_u = +1/-1`` the other votes); an exclusive factor is constant once both LFs vote.
    Without ``pair_stats`` the dependency statistics are left at zero (the caller computes
    them from the final votes: see ``_gibbs.gibbs_pair_stats``) and only the first
    ``offs[4]`` statistics are accumulated.
    """
    o_acc, o_cprop, o_dep = offs[1], offs[3], offs[4]
    dep_t = deps[0]
    n_p = p_ptr.shape[0] - 1
    n_local = n_stats if pair_stats else o_dep
    mean_c = np.zeros((N_CHUNKS, n_local))
    sq_c = np.zeros((N_CHUNKS, n_local))
    w_kept = 1.0 / max(n_sweeps - burn_in, 1)
    width = 0
    for p in range(n_p):
        width = max(width, p_ptr[p + 1] - p_ptr[p])
    for c in prange(N_CHUNKS):
        mean = mean_c[c]
        mean_sq = sq_c[c]
        x = np.empty(width)
        q = np.empty(2)
        logits = np.empty(2)
        for p in range(c * n_p // N_CHUNKS, (c + 1) * n_p // N_CHUNKS):
            lo, hi = p_ptr[p], p_ptr[p + 1]
            for t in range(lo, hi):
                x[t - lo] = 1.0 if p_val[t] == 2 else -1.0
            for sweep in range(n_sweeps):
                sy = 1.0 if ystate[p] == 2 else -1.0
                for t in range(lo, hi):  # each vote given Y and the others (w_sim[a, a] = 0)
                    a = p_idx[t]
                    d = 2.0 * acc[a] * sy + _field(w_sim[a], p_idx, x, lo, hi)
                    e = np.exp(-abs(d))
                    p_minus = e / (1.0 + e) if d >= 0 else 1.0 / (1.0 + e)
                    plus = next_uniform(states, p) >= p_minus  # as _sample: the first value below u
                    x[t - lo] = 1.0 if plus else -1.0
                    p_val[t] = 2 if plus else 1
                logits[0] = theta[0]  # Y given the votes: no factor couples Y with a pair
                logits[1] = theta[1]
                if plabel.shape[0] > 0 and plabel[p] > 0:
                    logits[0] += label_w if plabel[p] == 1 else -label_w
                    logits[1] += label_w if plabel[p] == 2 else -label_w
                for t in range(lo, hi):
                    a = p_idx[t]
                    logits[0] -= acc[a] * x[t - lo] + cprop[a]
                    logits[1] += acc[a] * x[t - lo] + cprop[a]
                _softmax(logits, 2, q)
                if sweep >= burn_in:
                    s_mean = q[1] - q[0]
                    mean[0] += w_kept * s_mean
                    mean_sq[0] += w_kept
                    for t in range(lo, hi):
                        a = p_idx[t]
                        row = pair_dep[a]
                        mean[o_acc + a] += w_kept * x[t - lo] * s_mean
                        mean_sq[o_acc + a] += w_kept
                        mean[o_cprop + a] += w_kept * s_mean
                        mean_sq[o_cprop + a] += w_kept
                        for u in range(t + 1, hi if pair_stats else t + 1):
                            d = row[p_idx[u]]
                            if d < 0:
                                continue
                            if dep_t[d] == _FT_DEP_SIMILAR:
                                h = 1.0 if x[t - lo] == x[u - lo] else 0.0
                            else:  # exclusive
                                h = -1.0
                            mean[o_dep + d] += w_kept * h
                            mean_sq[o_dep + d] += w_kept * h * h
                ystate[p] = 1 if next_uniform(states, p) < q[0] else 2
    mean = np.zeros(n_stats)
    mean_sq = np.zeros(n_stats)
    mean[:n_local] = mean_c.sum(axis=0)
    mean_sq[:n_local] = sq_c.sum(axis=0)
    return mean, mean_sq


@njit(cache=True)
def pair_sums(p_ptr, p_idx, p_val, m, signed):
    """``(m, m)`` sums over particles of ``x_a x_b`` (``signed``; ``+1/-1`` votes) or of 1, for the
    pairs of LFs that both vote, at ``[a, b]`` with ``a < b`` (LFs sorted within a particle)."""
    out = np.zeros((m, m))
    for p in range(p_ptr.shape[0] - 1):
        for t in range(p_ptr[p], p_ptr[p + 1]):
            row = out[p_idx[t]]
            xt = (1.0 if p_val[t] == 2 else -1.0) if signed else 1.0
            for u in range(t + 1, p_ptr[p + 1]):
                row[p_idx[u]] += xt * ((1.0 if p_val[u] == 2 else -1.0) if signed else 1.0)
    return out
