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
from numba import njit

from snorkel_ie.learning.generative._chain_steps import (
    _add_dep_stats,
    _add_vote_stats,
    _add_y_stats,
    _vote_base_logits,
    _vote_dep_logits,
    _y_base_logits,
    _y_dep_logits,
    _y_vote_logits,
)
from snorkel_ie.learning.generative._factor_kernels import (
    _FT_DEP_SIMILAR,
    N_CHUNKS,
    _softmax,
    chunk_sums,
)
from snorkel_ie.learning.generative._sampling_kernels import _sample, next_uniform


def gibbs_pair_stats_dense(
    n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, pair_dep, plabel, k, label_w, theta, acc, cprop, deps, offs,
    states, n_stats, has_y_deps,
):  # fmt: skip
    """:func:`gibbs_pair_stats_links` with the factors found in an ``(m, m)`` table instead of link lists.

    ``pair_dep[a, b]`` is the dependency factor between LFs ``a`` and ``b`` (``-1``: none;
    at most one per pair). When most pairs of voting LFs share a factor (hundreds of LFs,
    all pairs), per-vote link lists are as long as the particle's votes and cost memory
    traffic on every sweep, while the table stays in cache. The pairs are visited in the
    same order as the link lists (ascending LF) by the same steps
    (:mod:`._chain_steps`), so both give the same numbers to the bit.
    ``has_y_deps``: some factor is fixing or reinforcing (otherwise ``Y``'s conditional
    skips the pairs).
    """
    return chunk_sums(
        _dense_chunks, n_stats, n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, pair_dep, plabel, k, label_w, theta,
        acc, cprop, deps, offs, states, has_y_deps,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _dense_chunks(
    c_lo, c_hi, n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, pair_dep, plabel, k, label_w, theta, acc, cprop,
    deps, offs, states, has_y_deps, mean_c, sq_c,
):  # fmt: skip
    """:func:`gibbs_pair_stats_dense` of the chunks ``c_lo..c_hi``."""
    n_class, o_acc, o_cprop, o_dep = offs[0], offs[1], offs[3], offs[4]
    dep_t, dep_j, dep_w = deps[0], deps[1], deps[3]
    n_p = p_ptr.shape[0] - 1
    w_kept = 1.0 / max(n_sweeps - burn_in, 1)
    for c in range(c_lo, c_hi):
        mean = mean_c[c]
        mean_sq = sq_c[c]
        logits = np.empty(k + 1)
        probs = np.empty(k + 1)
        q = np.empty(k)
        for p in range(c * n_p // N_CHUNKS, (c + 1) * n_p // N_CHUNKS):
            lo, hi = p_ptr[p], p_ptr[p + 1]
            for sweep in range(n_sweeps):
                y = ystate[p]
                for t in range(lo, hi):  # each vote given Y and the others (pair_dep[a, a] = -1)
                    a = p_idx[t]
                    row = pair_dep[a]
                    _vote_base_logits(logits, acc[a], y, k)
                    for u in range(lo, hi):
                        d = row[p_idx[u]]
                        if d >= 0:
                            _vote_dep_logits(logits, d, a, p_val[u], y, k, dep_t, dep_j, dep_w)
                    p_val[t] = _sample(states, p, logits, 1, k + 1, probs)
                _y_base_logits(logits, p, k, theta, plabel, label_w)  # Y given the votes
                for t in range(lo, hi):
                    a = p_idx[t]
                    _y_vote_logits(logits, acc[a], cprop[a], p_val[t], k)
                    if has_y_deps:
                        row = pair_dep[a]
                        for u in range(t + 1, hi):
                            d = row[p_idx[u]]
                            if d >= 0:
                                _y_dep_logits(logits, d, a, p_val[t], p_val[u], k, dep_t, dep_j, dep_w)
                _softmax(logits, k, q)
                if sweep >= burn_in:
                    s_mean = _add_y_stats(mean, mean_sq, q, k, n_class, w_kept)
                    for t in range(lo, hi):
                        a = p_idx[t]
                        row = pair_dep[a]
                        _add_vote_stats(mean, mean_sq, a, p_val[t], q, s_mean, o_acc, o_cprop, w_kept)
                        for u in range(t + 1, hi):
                            d = row[p_idx[u]]
                            if d >= 0:
                                _add_dep_stats(
                                    mean, mean_sq, d, a, p_val[t], p_val[u], q, k, o_dep, dep_t, dep_j, w_kept
                                )
                ystate[p] = 1 + _sample(states, p, logits, 0, k, probs)


@njit(cache=True, nogil=True, fastmath=True)
def _field(w_row, p_idx, x, lo, hi):
    """``sum_u w_row[p_idx[u]] * x[u - lo]`` (the similar-factor field of one vote)."""
    s = 0.0
    for u in range(lo, hi):
        s += w_row[p_idx[u]] * x[u - lo]
    return s


@njit(cache=True, nogil=True, inline="always")
def _axpy(f, alpha, row):
    """``f += alpha * row`` (contiguous: vectorised, no gather)."""
    for b in range(f.shape[0]):
        f[b] += alpha * row[b]


_DENSE_FIELD_RATIO = 6.0
"""Keep every LF's field (one ``m``-long row update per vote and per changed vote) when ``m``
is at most this many times the mean number of votes of a particle; otherwise gather each
vote's field from the other votes (``votes**2`` lookups per sweep)."""


def gibbs_pair_stats_similar(
    n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, pair_dep, w_sim, plabel, label_w, theta, acc, cprop, deps, offs,
    states, n_stats, pair_stats, votes,
):  # fmt: skip
    """:func:`gibbs_pair_stats_dense` for a binary model whose factors are all similar or exclusive.

    ``w_sim[a, b]`` is the weight of the similar factor between LFs ``a`` and ``b`` (0 where
    there is none, and on the diagonal). Given ``Y = y`` and the other votes, vote ``t``
    of LF ``a`` is ``+1`` with probability ``sigmoid(2 acc[a] s(y) + sum_u w_sim[a, b_u] x_u)``
    (``x_u = +1/-1`` the other votes); an exclusive factor is constant once both LFs vote.
    Without ``pair_stats`` the dependency statistics are left at zero (the caller computes
    them from the final votes: see ``_gibbs.gibbs_pair_stats``) and only the first
    ``offs[4]`` statistics are accumulated. ``votes``, when it has rows, receives the
    final ``+1/-1`` votes of particle ``p`` in row ``p`` (the LF's column; abstentions left
    as they are).
    """
    n_local = n_stats if pair_stats else int(offs[4])
    sizes = np.diff(p_ptr)
    width = int(np.max(sizes, initial=0))
    dense_field = sizes.shape[0] > 0 and w_sim.shape[0] <= _DENSE_FIELD_RATIO * float(np.mean(sizes))
    local, local_sq = chunk_sums(
        _similar_chunks, n_local, n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, pair_dep, w_sim, plabel, label_w,
        theta, acc, cprop, deps, offs, states, pair_stats, width, dense_field, votes,
    )  # fmt: skip
    mean = np.zeros(n_stats)
    mean_sq = np.zeros(n_stats)
    mean[:n_local] = local
    mean_sq[:n_local] = local_sq
    return mean, mean_sq


@njit(cache=True, nogil=True)
def _similar_chunks(
    c_lo, c_hi, n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, pair_dep, w_sim, plabel, label_w, theta, acc, cprop,
    deps, offs, states, pair_stats, width, dense_field, votes, mean_c, sq_c,
):  # fmt: skip
    """:func:`gibbs_pair_stats_similar` of the chunks ``c_lo..c_hi``.

    With ``dense_field`` the fields of all LFs, ``f[b] = sum_u w_sim[b, a_u] x_u``, are kept
    for the particle and updated by a row of ``w_sim`` when a vote changes, instead of
    being gathered for each vote; the same chain up to rounding.
    """
    o_acc, o_cprop, o_dep = offs[1], offs[3], offs[4]
    dep_t = deps[0]
    n_p = p_ptr.shape[0] - 1
    w_kept = 1.0 / max(n_sweeps - burn_in, 1)
    for c in range(c_lo, c_hi):
        mean = mean_c[c]
        mean_sq = sq_c[c]
        x = np.empty(width)
        f = np.zeros(w_sim.shape[0] if dense_field else 0)
        q = np.empty(2)
        logits = np.empty(2)
        for p in range(c * n_p // N_CHUNKS, (c + 1) * n_p // N_CHUNKS):
            lo, hi = p_ptr[p], p_ptr[p + 1]
            f[:] = 0.0
            for t in range(lo, hi):
                x[t - lo] = 1.0 if p_val[t] == 2 else -1.0
                if dense_field:
                    _axpy(f, x[t - lo], w_sim[p_idx[t]])
            for sweep in range(n_sweeps):
                sy = 1.0 if ystate[p] == 2 else -1.0
                for t in range(lo, hi):  # each vote given Y and the others (w_sim[a, a] = 0)
                    a = p_idx[t]
                    d = 2.0 * acc[a] * sy + (f[a] if dense_field else _field(w_sim[a], p_idx, x, lo, hi))
                    e = np.exp(-abs(d))
                    p_minus = e / (1.0 + e) if d >= 0 else 1.0 / (1.0 + e)
                    plus = next_uniform(states, p) >= p_minus  # as _sample: the first value below u
                    x_new = 1.0 if plus else -1.0
                    if dense_field and x_new != x[t - lo]:
                        _axpy(f, 2.0 * x_new, w_sim[a])
                    x[t - lo] = x_new
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
            if votes.shape[0] > 0:
                for t in range(lo, hi):
                    votes[p, p_idx[t]] = x[t - lo]
