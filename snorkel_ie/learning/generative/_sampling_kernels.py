"""Numba kernels of the Gibbs chain and its random numbers (numba only: no Python objects).

* :func:`seed_states` / :func:`next_uniform` - a per-particle xorshift64* generator seeded
  through splitmix64, so a seed reproduces a run to the bit with any number of threads.
* :func:`gibbs_free_stats` - a persistent Gibbs chain over ``(Y, LF outputs)``, ``Y``
  Rao-Blackwellised.
* :func:`particle_links` / :func:`gibbs_pair_stats_links` - the same chain when abstentions
  are observed, visiting only the pairs of voting LFs that share a dependency factor (the
  pair-table forms for dense dependency sets are in :mod:`._pair_kernels`).

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
    N_CHUNKS,
    _softmax,
    chunk_sums,
    factor_value,
)


@njit(cache=True)
def seed_states(seed: int, n: int) -> np.ndarray:
    """``n`` xorshift64* states derived from ``seed`` with splitmix64 (never zero)."""
    out = np.empty(n, dtype=np.uint64)
    x = np.uint64(seed) ^ np.uint64(0x5DEECE66D)
    for p in range(n):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        z = x
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        out[p] = z if z != np.uint64(0) else np.uint64(1)
    return out


@njit(cache=True, nogil=True)
def next_uniform(states: np.ndarray, p: int) -> float:
    """Advance generator ``p`` and return a uniform double in [0, 1)."""
    x = states[p]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    states[p] = x
    r = x * np.uint64(2685821657736338717)
    return float(r >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True)
def _sample(states, p, logits, lo, hi, probs) -> int:
    """Draw an index in [lo, hi) with probabilities softmax(logits[lo:hi])."""
    mx = logits[lo]
    for v in range(lo + 1, hi):
        mx = max(mx, logits[v])
    tot = 0.0
    for v in range(lo, hi):
        probs[v] = np.exp(logits[v] - mx)
        tot += probs[v]
    u = next_uniform(states, p) * tot
    acc = 0.0
    for v in range(lo, hi - 1):
        acc += probs[v]
        if u < acc:
            return v
    return hi - 1


@njit(cache=True, nogil=True)
def _eval(f, ftype, fparam, fvars, y, lam, var, val) -> float:
    """h of factor f with the state (y, lam), variable ``var`` (0 = Y) set to ``val``."""
    a = fvars[f, 0]
    b = fvars[f, 1]
    d = fvars[f, 2]
    yy = val if var == 0 else y
    l1 = 0 if b < 0 else (val if b == var else lam[b - 1])
    l2 = 0 if d < 0 else (val if d == var else lam[d - 1])
    if a < 0:
        yy = 1
    return factor_value(ftype[f], fparam[f], yy, l1, l2)


@njit(cache=True, nogil=True)
def _var_logits(var, lo, hi, y, lam, w, ftype, fweight, fparam, fvars, vf_ptr, vf_ids, logits):
    for v in range(lo, hi):
        s = 0.0
        for t in range(vf_ptr[var], vf_ptr[var + 1]):
            f = vf_ids[t]
            s += w[fweight[f]] * _eval(f, ftype, fparam, fvars, y, lam, var, v)
        logits[v] = s


def gibbs_free_stats(
    n_sweeps, burn_in, ystate, lam, mode, pcard, plabel, label_w, w,
    ftype, fweight, fparam, fvars, vf_ptr, vf_ids, states, n_stats,
):  # fmt: skip
    """Run ``n_sweeps`` Gibbs sweeps of every particle; average factor values after ``burn_in``.

    ``ystate`` (``1..k``) and ``lam`` (``(P, m)``, ``0..k``) are updated in place;
    ``mode[p, j]`` is 0 when LF j is clamped (abstains) in particle p, 1 when only its vote
    value is sampled (``1..k``), 2 when abstaining is sampled too (``0..k``). Factors that
    touch ``Y`` are averaged over ``Y``'s exact conditional (Rao-Blackwellisation).

    Returns
    -------
    mean, mean_sq
        ``(n_stats,)`` sums over particles of each particle's average ``h`` and ``h**2``
        (summed per weight).
    """
    return chunk_sums(
        _free_chunks, n_stats, n_sweeps, burn_in, ystate, lam, mode, pcard, plabel, label_w, w, ftype, fweight,
        fparam, fvars, vf_ptr, vf_ids, states,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _free_chunks(
    c_lo, c_hi, n_sweeps, burn_in, ystate, lam, mode, pcard, plabel, label_w, w, ftype, fweight, fparam, fvars,
    vf_ptr, vf_ids, states, mean_c, sq_c,
):  # fmt: skip
    """:func:`gibbs_free_stats` of the chunks ``c_lo..c_hi`` into their rows of ``mean_c`` and ``sq_c``."""
    n_p, m = lam.shape
    n_f = ftype.shape[0]
    k_max = 0
    for p in range(n_p):
        k_max = max(k_max, pcard[p])
    kept = max(n_sweeps - burn_in, 1)
    for c in range(c_lo, c_hi):
        mean = mean_c[c]
        mean_sq = sq_c[c]
        logits = np.empty(k_max + 1)
        probs = np.empty(k_max + 1)
        q = np.empty(k_max + 1)
        for p in range(c * n_p // N_CHUNKS, (c + 1) * n_p // N_CHUNKS):
            k = pcard[p]
            for sweep in range(n_sweeps):
                for j in range(m):
                    if mode[p, j] == 0:
                        continue
                    lo = 0 if mode[p, j] == 2 else 1
                    _var_logits(
                        j + 1, lo, k + 1, ystate[p], lam[p], w, ftype, fweight, fparam, fvars, vf_ptr, vf_ids, logits
                    )
                    lam[p, j] = _sample(states, p, logits, lo, k + 1, probs)
                _var_logits(0, 1, k + 1, ystate[p], lam[p], w, ftype, fweight, fparam, fvars, vf_ptr, vf_ids, logits)
                if plabel[p] > 0:
                    for y in range(1, k + 1):
                        logits[y] += label_w if y == plabel[p] else -label_w
                _softmax(logits[1:], k, q)
                if sweep >= burn_in:
                    for f in range(n_f):
                        wid = fweight[f]
                        if fvars[f, 0] >= 0:
                            e = 0.0
                            e2 = 0.0
                            for y in range(1, k + 1):
                                h = _eval(f, ftype, fparam, fvars, y, lam[p], 0, y)
                                e += q[y - 1] * h
                                e2 += q[y - 1] * h * h
                        else:
                            e = _eval(f, ftype, fparam, fvars, 1, lam[p], -1, 0)
                            e2 = e * e
                        mean[wid] += e / kept
                        mean_sq[wid] += e2 / kept
                ystate[p] = _sample(states, p, logits, 1, k + 1, probs)


@njit(cache=True)
def particle_links(p_ptr, p_idx, deps):
    """The dependency factors live in each particle: those whose two LFs both vote.

    Particle ``p`` holds votes ``t`` in ``p_ptr[p]:p_ptr[p + 1]`` (LF ``p_idx[t]``, sorted).
    Its voting pattern never changes (abstentions are observed), so the factors worth
    visiting are listed once: for vote ``t``, entries ``l_ptr[t]:l_ptr[t + 1]`` give the
    position ``l_other`` of the other vote (ascending) and the dependency ``l_dep``; those
    with ``l_other > t`` start at ``l_up[t]``.

    Returns
    -------
    l_ptr, l_up, l_other, l_dep
    """
    adj_ptr, adj_other, adj_dep = deps[4], deps[6], deps[7]
    n_p = p_ptr.shape[0] - 1
    n_v = p_idx.shape[0]
    pos = np.full(adj_ptr.shape[0] - 1, -1, dtype=np.int64)  # LF -> its vote's position in the particle
    l_ptr = link_counts(p_ptr, p_idx, adj_ptr, adj_other)
    l_up = l_ptr[1:].copy()
    l_other = np.empty(l_ptr[n_v], dtype=np.int32)
    l_dep = np.empty(l_ptr[n_v], dtype=np.int32)
    for p in range(n_p):  # fill
        _mark(pos, p_idx, p_ptr[p], p_ptr[p + 1], True)
        for t in range(p_ptr[p], p_ptr[p + 1]):
            a = p_idx[t]
            e = l_ptr[t]
            for s in range(adj_ptr[a], adj_ptr[a + 1]):
                u = pos[adj_other[s]]
                if u >= 0:
                    l_other[e] = u
                    l_dep[e] = adj_dep[s]
                    if u > t and l_up[t] == l_ptr[t + 1]:
                        l_up[t] = e
                    e += 1
        _mark(pos, p_idx, p_ptr[p], p_ptr[p + 1], False)
    return l_ptr, l_up, l_other, l_dep


@njit(cache=True)
def link_counts(p_ptr, p_idx, adj_ptr, adj_other):
    """:func:`particle_links`' ``l_ptr`` alone (the live factors of every vote), without the lists."""
    n_p = p_ptr.shape[0] - 1
    n_v = p_idx.shape[0]
    pos = np.full(adj_ptr.shape[0] - 1, -1, dtype=np.int64)
    l_ptr = np.zeros(n_v + 1, dtype=np.int64)
    for p in range(n_p):
        _mark(pos, p_idx, p_ptr[p], p_ptr[p + 1], True)
        for t in range(p_ptr[p], p_ptr[p + 1]):
            a = p_idx[t]
            for s in range(adj_ptr[a], adj_ptr[a + 1]):
                if pos[adj_other[s]] >= 0:
                    l_ptr[t + 1] += 1
        _mark(pos, p_idx, p_ptr[p], p_ptr[p + 1], False)
    for t in range(n_v):
        l_ptr[t + 1] += l_ptr[t]
    return l_ptr


@njit(cache=True, nogil=True, inline="always")
def _mark(pos, p_idx, lo, hi, on):
    for t in range(lo, hi):
        pos[p_idx[t]] = t if on else -1


def gibbs_pair_stats_links(
    n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, links, plabel, k, label_w, theta, acc, cprop, deps, offs,
    states, n_stats,
):  # fmt: skip
    """:func:`gibbs_free_stats` for abstentions observed: only the votes are sampled (link lists).

    Particle ``p`` holds the votes of one row: LFs ``p_idx[p_ptr[p]:p_ptr[p + 1]]`` with
    values ``p_val`` (``1..k``, updated in place). Given which LFs vote, an LF's conditional
    involves its accuracy factor and the dependency factors shared with another voting LF
    only (every other factor is a constant of the row), listed once in ``links`` (see
    :func:`particle_links`), so a sweep costs the number of live factors. Dependency
    statistics count the pairs that both vote, as :func:`epoch_stats` does without
    ``all_deps``. ``Y`` is Rao-Blackwellised.

    Returns
    -------
    mean, mean_sq
        ``(n_stats,)`` sums over particles of each particle's average ``h`` and ``h**2``.
    """
    return chunk_sums(
        _links_chunks, n_stats, n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, links, plabel, k, label_w, theta,
        acc, cprop, deps, offs, states,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _links_chunks(
    c_lo, c_hi, n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, links, plabel, k, label_w, theta, acc, cprop, deps,
    offs, states, mean_c, sq_c,
):  # fmt: skip
    """:func:`gibbs_pair_stats_links` of the chunks ``c_lo..c_hi`` (the chain steps are in :mod:`._chain_steps`)."""
    n_class, o_acc, o_cprop, o_dep = offs[0], offs[1], offs[3], offs[4]
    dep_t, dep_j, dep_w = deps[0], deps[1], deps[3]
    l_ptr, l_up, l_other, l_dep = links
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
                for t in range(lo, hi):  # each vote given Y and the others
                    a = p_idx[t]
                    _vote_base_logits(logits, acc[a], y, k)
                    for e in range(l_ptr[t], l_ptr[t + 1]):
                        _vote_dep_logits(logits, l_dep[e], a, p_val[l_other[e]], y, k, dep_t, dep_j, dep_w)
                    p_val[t] = _sample(states, p, logits, 1, k + 1, probs)
                _y_base_logits(logits, p, k, theta, plabel, label_w)  # Y given the votes
                for t in range(lo, hi):
                    a = p_idx[t]
                    _y_vote_logits(logits, acc[a], cprop[a], p_val[t], k)
                    for e in range(l_up[t], l_ptr[t + 1]):
                        _y_dep_logits(logits, l_dep[e], a, p_val[t], p_val[l_other[e]], k, dep_t, dep_j, dep_w)
                _softmax(logits, k, q)
                if sweep >= burn_in:
                    s_mean = _add_y_stats(mean, mean_sq, q, k, n_class, w_kept)
                    for t in range(lo, hi):
                        a = p_idx[t]
                        _add_vote_stats(mean, mean_sq, a, p_val[t], q, s_mean, o_acc, o_cprop, w_kept)
                        for e in range(l_up[t], l_ptr[t + 1]):
                            _add_dep_stats(
                                mean, mean_sq, l_dep[e], a, p_val[t], p_val[l_other[e]], q, k, o_dep, dep_t, dep_j,
                                w_kept,
                            )  # fmt: skip
                ystate[p] = 1 + _sample(states, p, logits, 0, k, probs)
