"""The steps of the Gibbs chain with abstentions observed, as inline numba helpers.

The link-list chain (:func:`._sampling_kernels.gibbs_pair_stats_links`) and the pair-table
chain (:func:`._pair_kernels.gibbs_pair_stats_dense`) differ only in how they find the live
dependency factors of a vote; every step they take on a vote, a factor or a class is one
of these helpers, compiled into both, so the two give the same numbers to the bit. ``a``
is the LF of a vote, ``d`` a live dependency factor it shares with the vote of value ``lb``
(or ``vu``) of another LF. See :mod:`._gibbs` for the encoding of the dependency tuple.
"""

from __future__ import annotations

from numba import njit

from snorkel_ie.learning.generative._factor_kernels import (
    _FT_DEP_EXCLUSIVE,
    _FT_DEP_FIXING,
    _FT_DEP_REINFORCING,
    _FT_DEP_SIMILAR,
    factor_value,
)


@njit(cache=True, nogil=True, inline="always")
def _vote_base_logits(logits, acc_a, y, k):
    """``logits[1..k]`` of a vote of accuracy weight ``acc_a`` given ``Y = y``, before its factors."""
    for v in range(1, k + 1):
        logits[v] = acc_a if v == y else -acc_a


@njit(cache=True, nogil=True, inline="always")
def _vote_dep_logits(logits, d, a, lb, y, k, dep_t, dep_j, dep_w):
    """Add factor ``d``'s term to the vote's ``logits[1..k]`` (an exclusive factor is constant once both vote)."""
    if dep_t[d] == _FT_DEP_SIMILAR:
        logits[lb] += dep_w[d]
    elif dep_t[d] != _FT_DEP_EXCLUSIVE:
        first = dep_j[d] == a
        for v in range(1, k + 1):
            h = factor_value(dep_t[d], 0, y, v, lb) if first else factor_value(dep_t[d], 0, y, lb, v)
            logits[v] += dep_w[d] * h


@njit(cache=True, nogil=True, inline="always")
def _y_base_logits(logits, p, k, theta, plabel, label_w):
    """``logits[0..k-1]`` of particle ``p``'s class before its votes: class prior and known label."""
    for yy in range(k):
        logits[yy] = theta[yy]
        if plabel.shape[0] > 0 and plabel[p] > 0:
            logits[yy] += label_w if yy + 1 == plabel[p] else -label_w


@njit(cache=True, nogil=True, inline="always")
def _y_vote_logits(logits, acc_a, cprop_a, vt, k):
    """Add a vote of value ``vt`` (accuracy and, binary, class propensity) to the class logits."""
    for yy in range(k):
        logits[yy] += acc_a if yy + 1 == vt else -acc_a
    if k == 2:
        logits[0] -= cprop_a
        logits[1] += cprop_a


@njit(cache=True, nogil=True, inline="always")
def _y_dep_logits(logits, d, a, vt, vu, k, dep_t, dep_j, dep_w):
    """Add factor ``d`` to the class logits when it involves ``Y`` (fixing, reinforcing)."""
    if dep_t[d] == _FT_DEP_FIXING or dep_t[d] == _FT_DEP_REINFORCING:
        l1, l2 = _ordered(dep_j[d] == a, vt, vu)
        for yy in range(k):
            logits[yy] += dep_w[d] * factor_value(dep_t[d], 0, yy + 1, l1, l2)


@njit(cache=True, nogil=True, inline="always")
def _add_y_stats(mean, mean_sq, q, k, n_class, w_kept) -> float:
    """Add the class-prior statistics under ``q = P(Y | votes)``; return ``E[s(Y)]`` (binary, else 0)."""
    if k == 2:
        s_mean = q[1] - q[0]
        mean[0] += w_kept * s_mean
        mean_sq[0] += w_kept
        return s_mean
    for yy in range(min(k, n_class)):
        mean[yy] += w_kept * q[yy]
        mean_sq[yy] += w_kept * q[yy]
    return 0.0


@njit(cache=True, nogil=True, inline="always")
def _add_vote_stats(mean, mean_sq, a, vt, q, s_mean, o_acc, o_cprop, w_kept):
    """Add a vote's accuracy and class-propensity statistics."""
    mean[o_acc + a] += w_kept * (2.0 * q[vt - 1] - 1.0)
    mean_sq[o_acc + a] += w_kept
    mean[o_cprop + a] += w_kept * s_mean
    mean_sq[o_cprop + a] += w_kept


@njit(cache=True, nogil=True, inline="always")
def _add_dep_stats(mean, mean_sq, d, a, vt, vu, q, k, o_dep, dep_t, dep_j, w_kept):
    """Add factor ``d``'s statistics: its value (no ``Y``) or its expectation over ``Y ~ q``."""
    if dep_t[d] == _FT_DEP_SIMILAR or dep_t[d] == _FT_DEP_EXCLUSIVE:  # no Y: h is known
        h_sum = factor_value(dep_t[d], 0, 1, vt, vu)
        h_sq = h_sum * h_sum
    else:
        l1, l2 = _ordered(dep_j[d] == a, vt, vu)
        h_sum = 0.0
        h_sq = 0.0
        for yy in range(k):
            h = factor_value(dep_t[d], 0, yy + 1, l1, l2)
            h_sum += q[yy] * h
            h_sq += q[yy] * h * h
    mean[o_dep + d] += w_kept * h_sum
    mean_sq[o_dep + d] += w_kept * h_sq


@njit(cache=True, nogil=True, inline="always")
def _ordered(first, mine, other):
    """``(l1, l2)`` of a dependency factor from this LF's and the other's output."""
    if first:
        return mine, other
    return other, mine
