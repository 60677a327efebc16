"""Numba kernels of the exact statistics (numba only: no Python objects, no sessions).

* :func:`posterior` - exact ``P(Y | votes)`` per row (the marginals).
* :func:`epoch_stats` - one learning epoch's clamped statistics and, when the votes are
  conditionally independent given ``Y`` and abstentions are observed, the free ones.
* :func:`free_stats_groups` - exact free statistics when LF propensities are modelled.

Rows are processed in :data:`N_CHUNKS` chunks whose partial sums are added in chunk
order (the chunks are spread over threads by :func:`._factor_kernels.run_chunks`); see
:mod:`._gibbs` for the encoding of the arrays and of the dependency tuple.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from snorkel_ie.learning.generative._factor_kernels import (
    N_CHUNKS,
    _clear,
    _fill,
    _row_scores,
    _softmax,
    _vote_logz,
    _vote_rho,
    factor_value,
    run_chunks,
)


def posterior(indptr, indices, data, row_card, k_max, row_label, label_w, theta, acc, cprop, deps, out) -> None:
    """Exact ``P(Y | votes)`` for every row into ``out`` (``(n, k_max)``; zero beyond a row's cardinality).

    ``cprop`` must be all zero for categorical models; ``row_card`` and ``row_label`` may be
    empty (uniform cardinality ``k_max``, no labels).
    """
    run_chunks(_posterior_chunks, indptr, indices, data, row_card, k_max, row_label, label_w, theta, acc, cprop, deps,
               out)  # fmt: skip


@njit(cache=True, nogil=True)
def _posterior_chunks(c_lo, c_hi, indptr, indices, data, row_card, k_max, row_label, label_w, theta, acc, cprop, deps,
                      out):  # fmt: skip
    n = indptr.shape[0] - 1
    m = acc.shape[0]
    has_deps = deps[0].shape[0] > 0
    for c in range(c_lo, c_hi):
        buf = np.zeros(m, dtype=np.int64)
        score = np.empty(k_max)
        q = np.empty(k_max)
        for i in range(c * n // N_CHUNKS, (c + 1) * n // N_CHUNKS):
            k = row_card[i] if row_card.shape[0] > 0 else k_max
            label = row_label[i] if row_label.shape[0] > 0 else 0
            if has_deps:
                _fill(i, indptr, indices, data, buf)
            _row_scores(i, indptr, indices, data, k, label, label_w, theta, acc, cprop, deps, buf, score)
            _softmax(score, k, q)
            for y in range(k):
                out[i, y] = q[y]
            for y in range(k, k_max):
                out[i, y] = 0.0
            if has_deps:
                _clear(i, indptr, indices, buf)


@njit(cache=True, nogil=True, inline="always")
def _add_clamped(i, indptr, indices, data, k, q, binary, offs, deps, all_deps, buf, st):
    """Add row i's exact expectations under q = P(Y | votes) to the clamped statistics st.

    A dependency factor's value is a constant of the row unless both of its LFs vote, so
    with observed abstentions (``all_deps`` false) only those pairs are counted, here and
    in the free phase alike; ``all_deps`` counts every factor (abstentions sampled).
    """
    n_class, o_acc, o_cprop, o_dep = offs[0], offs[1], offs[3], offs[4]
    dep_t, dep_j, dep_k, _, adj_ptr, adj_up, adj_other, adj_dep = deps
    s_mean = q[1] - q[0] if binary else 0.0
    if binary:
        st[0] += s_mean
    else:
        for y in range(min(k, n_class)):
            st[y] += q[y]
    for p in range(indptr[i], indptr[i + 1]):  # propensity statistics are vote counts: added by the caller
        j = indices[p]
        st[o_acc + j] += 2.0 * q[data[p] - 1] - 1.0
        if binary:
            st[o_cprop + j] += s_mean
    if dep_t.shape[0] == 0:
        return
    if all_deps:
        for d in range(dep_t.shape[0]):
            st[o_dep + d] += _expected_h(dep_t[d], k, q, buf[dep_j[d]], buf[dep_k[d]])
        return
    for p in range(indptr[i], indptr[i + 1]):
        a = indices[p]
        for s in range(adj_up[a], adj_ptr[a + 1]):
            if buf[adj_other[s]] != 0:
                d = adj_dep[s]
                st[o_dep + d] += _expected_h(dep_t[d], k, q, buf[dep_j[d]], buf[dep_k[d]])


@njit(cache=True, nogil=True, inline="always")
def _expected_h(t, k, q, l1, l2) -> float:
    """``E[h]`` of a dependency factor over ``Y ~ q`` (``q`` indexed ``0..k-1``)."""
    e = 0.0
    for y in range(k):
        e += q[y] * factor_value(t, 0, y + 1, l1, l2)
    return e


@njit(cache=True, nogil=True, inline="always")
def _add_free_local(
    i, indptr, indices, k, k_max, label, label_w, theta, acc, cprop, rho, vlz, binary, offs, f, pi, fr, fv,
    pi_fixed, lse_fixed,
) -> float:  # fmt: skip
    """Exact free statistics of row i when its abstentions are observed and votes independent given Y.

    ``rho`` and ``vlz`` hold each LF's :func:`_vote_rho` and :func:`_vote_logz` for
    cardinality ``k_max``, precomputed once per epoch.
    With ``pi_fixed`` the class distribution ``pi`` (and its log-normaliser ``lse_fixed``)
    is the same for every row and was computed by the caller. Returns the row's log-normaliser.
    """
    n_class, o_acc, o_cprop = offs[0], offs[1], offs[3]
    logz = 0.0
    same_k = k == k_max
    if pi_fixed:
        for p in range(indptr[i], indptr[i + 1]):
            logz += vlz[indices[p]]
        logz += lse_fixed
    else:
        for y in range(k):
            f[y] = theta[y]
        if label > 0:
            for y in range(k):
                f[y] += label_w if y + 1 == label else -label_w
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if binary:
                f[0] -= cprop[j]
                f[1] += cprop[j]
            logz += vlz[j] if same_k else _vote_logz(acc[j], k)
        logz += _softmax(f, k, pi)
    s_mean = pi[1] - pi[0] if binary else 0.0
    if binary:
        fr[0] += s_mean
        fv[0] += 1.0 - s_mean * s_mean
    else:
        for y in range(min(k, n_class)):
            fr[y] += pi[y]
            fv[y] += pi[y] * (1.0 - pi[y])
    for p in range(indptr[i], indptr[i + 1]):
        j = indices[p]
        r = rho[j] if same_k else _vote_rho(acc[j], k)
        fr[o_acc + j] += r
        fv[o_acc + j] += 1.0 - r * r
        fr[o_cprop + j] += s_mean
        fv[o_cprop + j] += 1.0 - s_mean * s_mean
    return logz


def epoch_stats(
    indptr, indices, data, row_card, k_max, row_label, label_w, theta, acc, cprop,
    deps, offs, n_stats, free_local, all_deps,
):  # fmt: skip
    """Clamped (and, when ``free_local``, exact free) statistics of one epoch.

    ``all_deps`` counts every dependency factor in every row (see :func:`_add_clamped`).

    Returns
    -------
    clamped, free, free_var, loglik
        Per-weight sums over rows of the factor expectations under ``P(Y | votes)``, under
        the free model (``free_local`` only) and of the free variances; ``loglik`` is the
        sum of the rows' clamped log-normalisers minus, with ``free_local``, the free ones.
        The clamped propensity statistics (each LF's vote count) are left at zero.
    """
    cl = np.zeros((N_CHUNKS, n_stats))
    fr = np.zeros((N_CHUNKS, n_stats))
    fv = np.zeros((N_CHUNKS, n_stats))
    ll = np.zeros(N_CHUNKS)
    run_chunks(
        _epoch_chunks, indptr, indices, data, row_card, k_max, row_label, label_w, theta, acc, cprop, deps, offs,
        free_local, all_deps, cl, fr, fv, ll,
    )  # fmt: skip
    return cl.sum(axis=0), fr.sum(axis=0), fv.sum(axis=0), float(ll.sum())


@njit(cache=True, nogil=True)
def _epoch_chunks(
    c_lo, c_hi, indptr, indices, data, row_card, k_max, row_label, label_w, theta, acc, cprop, deps, offs,
    free_local, all_deps, cl, fr, fv, ll,
):  # fmt: skip
    """:func:`epoch_stats` of the chunks ``c_lo..c_hi`` into their rows of ``cl``, ``fr``, ``fv``, ``ll``."""
    n = indptr.shape[0] - 1
    m = acc.shape[0]
    binary = k_max == 2 and row_card.shape[0] == 0
    rho = np.empty(m)
    vlz = np.empty(m)
    for j in range(m):
        rho[j] = _vote_rho(acc[j], k_max)
        vlz[j] = _vote_logz(acc[j], k_max)
    has_deps = deps[0].shape[0] > 0
    pi_fixed = row_card.shape[0] == 0 and row_label.shape[0] == 0
    for j in range(m):
        pi_fixed = pi_fixed and cprop[j] == 0.0
    for c in range(c_lo, c_hi):
        buf = np.zeros(m, dtype=np.int64)
        score = np.empty(k_max)
        q = np.empty(k_max)
        f = np.empty(k_max)
        pi = np.empty(k_max)
        for y in range(k_max):
            f[y] = theta[y]
        lse_fixed = _softmax(f, k_max, pi)
        cl_c = cl[c]
        fr_c = fr[c]
        fv_c = fv[c]
        ll_c = 0.0
        for i in range(c * n // N_CHUNKS, (c + 1) * n // N_CHUNKS):
            k = row_card[i] if row_card.shape[0] > 0 else k_max
            label = row_label[i] if row_label.shape[0] > 0 else 0
            if has_deps:
                _fill(i, indptr, indices, data, buf)
            _row_scores(i, indptr, indices, data, k, label, label_w, theta, acc, cprop, deps, buf, score)
            ll_c += _softmax(score, k, q)
            _add_clamped(i, indptr, indices, data, k, q, binary, offs, deps, all_deps, buf, cl_c)
            if has_deps:
                _clear(i, indptr, indices, buf)
            if free_local:
                ll_c -= _add_free_local(
                    i, indptr, indices, k, k_max, label, label_w, theta, acc, cprop, rho, vlz, binary, offs,
                    f, pi, fr_c, fv_c, pi_fixed, lse_fixed,
                )  # fmt: skip
        ll[c] = ll_c


@njit(cache=True)
def free_stats_groups(g_card, g_label, g_count, label_w, theta_by_card, acc, prop, cprop, binary, offs, n_stats):
    """Exact free statistics when every LF output (abstain included) is a free variable.

    Rows with the same cardinality and label share one free distribution, so each group
    is solved once and weighted by its row count. ``theta_by_card[g]`` holds the class
    offsets for group g's cardinality.

    Returns
    -------
    free, free_var, log_z
    """
    n_class, o_acc, o_prop, o_cprop = offs[0], offs[1], offs[2], offs[3]
    m = acc.shape[0]
    fr = np.zeros(n_stats)
    fv = np.zeros(n_stats)
    total_logz = 0.0
    k_max = theta_by_card.shape[1]
    f = np.empty(k_max)
    pi = np.empty(k_max)
    pvote = np.empty((m, k_max))
    for g in range(g_card.shape[0]):
        k = g_card[g]
        cnt = g_count[g]
        for y in range(k):
            f[y] = theta_by_card[g, y]
            if g_label[g] > 0:
                f[y] += label_w if y + 1 == g_label[g] else -label_w
            sy = (1.0 if y == 1 else -1.0) if binary else 0.0
            for j in range(m):
                u = prop[j] + cprop[j] * sy + _vote_logz(acc[j], k)  # log of the non-abstain mass
                lz = np.logaddexp(0.0, u)
                f[y] += lz
                pvote[j, y] = np.exp(u - lz)
        total_logz += cnt * _softmax(f, k, pi)
        s_mean = pi[1] - pi[0] if binary else 0.0
        if binary:
            fr[0] += cnt * s_mean
            fv[0] += cnt * (1.0 - s_mean * s_mean)
        else:
            for y in range(min(k, n_class)):
                fr[y] += cnt * pi[y]
                fv[y] += cnt * pi[y] * (1.0 - pi[y])
        for j in range(m):
            rho = _vote_rho(acc[j], k)
            ev = 0.0
            es = 0.0
            for y in range(k):
                ev += pi[y] * pvote[j, y]
                if binary:
                    es += pi[y] * pvote[j, y] * (1.0 if y == 1 else -1.0)
            fr[o_acc + j] += cnt * ev * rho
            fv[o_acc + j] += cnt * ev * (1.0 - rho * rho)  # given who votes: propensities absorb the rest
            fr[o_prop + j] += cnt * ev
            fv[o_prop + j] += cnt * ev * (1.0 - ev)
            fr[o_cprop + j] += cnt * es
            fv[o_cprop + j] += cnt * (ev - es * es)
    return fr, fv, total_logz
