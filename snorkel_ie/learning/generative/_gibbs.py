"""Numba kernels of the generative model (numba only: no Python objects, no sessions).

All kernels take flat arrays (see :mod:`.factor_graph` for the encoding) and are called
through :mod:`.learning`. Rows are processed in a fixed number of chunks whose partial
sums are added in chunk order, so results do not depend on the number of threads.

* :func:`posterior` - exact ``P(Y | votes)`` per row (the marginals).
* :func:`epoch_stats` - one learning epoch's *clamped* statistics (exact expectations of
  every factor under ``P(Y | votes)``), and, when the votes are conditionally independent
  given ``Y`` and abstentions are treated as observed, the exact *free* statistics too.
* :func:`binary_clamped_stats` - the clamped statistics of the default binary model (no
  dependencies, labels or class propensities) in two passes over each row's votes.
* :func:`free_stats_groups` - exact free statistics when LF propensities are modelled
  (rows differ only by cardinality and label, so each distinct group is solved once).
* :func:`gibbs_free_stats` - a persistent Gibbs chain over ``(Y, LF outputs)`` for graphs
  whose dependency factors couple the LFs; ``Y`` is Rao-Blackwellised (its factors are
  averaged over its exact conditional instead of a single sample).
* :func:`gibbs_pair_stats` - the same chain when abstentions are observed, visiting only
  the pairs of voting LFs that share a dependency factor.

Dependencies travel as one tuple ``deps = (dep_t, dep_j, dep_k, dep_w, adj_ptr, adj_up,
adj_other, adj_dep)``: per dependency factor its type, LFs and weight, and per LF ``a``
the factors touching it, ``adj_other[s]`` / ``adj_dep[s]`` for ``s`` in
``adj_ptr[a]:adj_ptr[a + 1]``, sorted by the other LF, those with a larger other LF
starting at ``adj_up[a]`` (so every pair is visited once).
* :func:`seed_states` / :func:`next_uniform` - a per-particle xorshift64* generator seeded
  through splitmix64, so a seed reproduces a run to the bit with any number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

N_CHUNKS = 64

_FT_CLASS_PRIOR = 0
_FT_LF_PRIOR = 1
_FT_LF_PROPENSITY = 2
_FT_LF_ACCURACY = 3
_FT_LF_CLASS_PROPENSITY = 4
_FT_DEP_SIMILAR = 5
_FT_DEP_FIXING = 6
_FT_DEP_REINFORCING = 7
_FT_DEP_EXCLUSIVE = 8


@njit(cache=True, nogil=True, inline="always")
def factor_value(ftype: int, param: int, y: int, l1: int, l2: int) -> float:
    """``h`` of one factor for class ``y`` (``1..k``) and LF outputs ``l1``, ``l2`` (``0..k``)."""
    if ftype == _FT_CLASS_PRIOR:
        if param < 0:
            return 1.0 if y == 2 else -1.0
        return 1.0 if y == param else 0.0
    if ftype == _FT_LF_ACCURACY or ftype == _FT_LF_PRIOR:
        if l1 == 0:
            return 0.0
        return 1.0 if l1 == y else -1.0
    if ftype == _FT_LF_PROPENSITY:
        return 1.0 if l1 != 0 else 0.0
    if ftype == _FT_LF_CLASS_PROPENSITY:
        if l1 == 0:
            return 0.0
        return 1.0 if y == 2 else -1.0
    if ftype == _FT_DEP_SIMILAR:
        return 1.0 if l1 == l2 else 0.0
    if ftype == _FT_DEP_EXCLUSIVE:
        return -1.0 if (l1 != 0 and l2 != 0) else 0.0
    if ftype == _FT_DEP_FIXING:
        if l1 == 0:
            return -1.0 if l2 != 0 else 0.0
        return 1.0 if (l1 != y and l2 == y) else 0.0
    if ftype == _FT_DEP_REINFORCING:
        if l1 == 0:
            return -1.0 if l2 != 0 else 0.0
        return 1.0 if (l1 == y and l2 == y) else 0.0
    return 0.0


@njit(cache=True, nogil=True, inline="always")
def _logsumexp(x: np.ndarray, k: int) -> float:
    m = x[0]
    for y in range(1, k):
        m = max(m, x[y])
    s = 0.0
    for y in range(k):
        s += np.exp(x[y] - m)
    return m + np.log(s)


@njit(cache=True, nogil=True, inline="always")
def _softmax(x: np.ndarray, k: int, out: np.ndarray) -> float:
    """Write softmax(x[:k]) to out[:k]; return logsumexp(x[:k])."""
    if k == 2:
        d = x[1] - x[0]
        e = np.exp(-abs(d))
        if d >= 0:
            out[1] = 1.0 / (1.0 + e)
            out[0] = e / (1.0 + e)
            return x[1] + np.log1p(e)
        out[0] = 1.0 / (1.0 + e)
        out[1] = e / (1.0 + e)
        return x[0] + np.log1p(e)
    lse = _logsumexp(x, k)
    for y in range(k):
        out[y] = np.exp(x[y] - lse)
    return lse


@njit(cache=True, nogil=True, inline="always")
def _vote_logz(a: float, k: int) -> float:
    """``log(e^a + (k - 1) e^-a)``: the log-normaliser of one vote's accuracy factor."""
    if a >= 0.0:
        return a + np.log1p((k - 1) * np.exp(-2.0 * a))
    return -a + np.log((k - 1) + np.exp(2.0 * a))


@njit(cache=True, nogil=True, inline="always")
def _vote_rho(a: float, k: int) -> float:
    """``E[h_acc | vote]`` of an independent vote: ``(e^a - (k-1) e^-a) / (e^a + (k-1) e^-a)``."""
    if a >= 0.0:
        t = (k - 1) * np.exp(-2.0 * a)
        return (1.0 - t) / (1.0 + t)
    t = np.exp(2.0 * a) / (k - 1)
    return (t - 1.0) / (t + 1.0)


@njit(cache=True, nogil=True, inline="always")
def _row_scores(i, indptr, indices, data, k, label, label_w, theta, acc, cprop, deps, buf, score):
    """Unnormalised log P(Y = y | votes of row i) for y = 1..k, into score[:k].

    With dependencies, ``buf`` must hold the row's votes (see :func:`_fill`).
    """
    for y in range(k):
        score[y] = theta[y]
    if label > 0:
        for y in range(k):
            score[y] += label_w if y + 1 == label else -label_w
    if k == 2:
        s0 = score[0]
        s1 = score[1]
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            a = acc[j]
            c = cprop[j]
            if data[p] == 2:
                s0 -= a + c
                s1 += a + c
            else:
                s0 += a - c
                s1 += c - a
        score[0] = s0
        score[1] = s1
    else:
        for p in range(indptr[i], indptr[i + 1]):
            a = acc[indices[p]]
            v = data[p] - 1
            for y in range(k):
                score[y] -= a
            score[v] += 2.0 * a
    dep_t, dep_j, dep_k, dep_w, adj_ptr, adj_up, adj_other, adj_dep = deps
    if dep_t.shape[0] == 0:
        return
    for p in range(indptr[i], indptr[i + 1]):  # a factor depends on Y only where both of its LFs vote
        a = indices[p]
        for s in range(adj_up[a], adj_ptr[a + 1]):
            if buf[adj_other[s]] == 0:
                continue
            d = adj_dep[s]
            t = dep_t[d]
            if t == _FT_DEP_FIXING or t == _FT_DEP_REINFORCING:
                l1 = buf[dep_j[d]]
                l2 = buf[dep_k[d]]
                for y in range(k):
                    score[y] += dep_w[d] * factor_value(t, 0, y + 1, l1, l2)


@njit(cache=True, nogil=True, inline="always")
def _fill(i, indptr, indices, data, buf):
    for p in range(indptr[i], indptr[i + 1]):
        buf[indices[p]] = data[p]


@njit(cache=True, nogil=True, inline="always")
def _clear(i, indptr, indices, buf):
    for p in range(indptr[i], indptr[i + 1]):
        buf[indices[p]] = 0


@njit(cache=True, parallel=True)
def posterior(indptr, indices, data, row_card, k_max, row_label, label_w, theta, acc, cprop, deps, out):
    """Exact ``P(Y | votes)`` for every row into ``out`` (``(n, k_max)``; zero beyond a row's cardinality).

    ``cprop`` must be all zero for categorical models; ``row_card`` and ``row_label`` may be
    empty (uniform cardinality ``k_max``, no labels).
    """
    n = indptr.shape[0] - 1
    m = acc.shape[0]
    has_deps = deps[0].shape[0] > 0
    for c in prange(N_CHUNKS):
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


@njit(cache=True, parallel=True)
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
    n = indptr.shape[0] - 1
    m = acc.shape[0]
    binary = k_max == 2 and row_card.shape[0] == 0
    cl = np.zeros((N_CHUNKS, n_stats))
    fr = np.zeros((N_CHUNKS, n_stats))
    fv = np.zeros((N_CHUNKS, n_stats))
    ll = np.zeros(N_CHUNKS)
    rho = np.empty(m)
    vlz = np.empty(m)
    for j in range(m):
        rho[j] = _vote_rho(acc[j], k_max)
        vlz[j] = _vote_logz(acc[j], k_max)
    has_deps = deps[0].shape[0] > 0
    pi_fixed = row_card.shape[0] == 0 and row_label.shape[0] == 0
    for j in range(m):
        pi_fixed = pi_fixed and cprop[j] == 0.0
    for c in prange(N_CHUNKS):
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
    return cl.sum(axis=0), fr.sum(axis=0), fv.sum(axis=0), ll.sum()


@njit(cache=True, parallel=True)
def binary_clamped_stats(indptr, indices, data, theta1, acc):
    """:func:`epoch_stats`' clamped statistics for the default binary model, in two passes per row.

    No dependencies, labels, ranges or class propensities: a row's class log-odds is
    ``2 * (theta1 + sum of its signed accuracy weights)``, and every weight's statistic
    follows from it. About twice as fast as the general kernel on large matrices.

    Returns
    -------
    acc_stats, class_stat, loglik
        Per LF the sum over its votes of ``E[h_acc]``; the sum over rows of ``E[s(Y)]``;
        the sum of the rows' clamped log-normalisers.
    """
    n = indptr.shape[0] - 1
    st = np.zeros((N_CHUNKS, acc.shape[0]))
    cls = np.zeros(N_CHUNKS)
    ll = np.zeros(N_CHUNKS)
    for c in prange(N_CHUNKS):
        st_c = st[c]
        s_sum = 0.0
        l_sum = 0.0
        for i in range(c * n // N_CHUNKS, (c + 1) * n // N_CHUNKS):
            half = theta1  # s1 = -s0: the score of Y = +1
            for p in range(indptr[i], indptr[i + 1]):
                half += acc[indices[p]] if data[p] == 2 else -acc[indices[p]]
            e = np.exp(-2.0 * abs(half))
            s_mean = (1.0 - e) / (1.0 + e) if half >= 0 else (e - 1.0) / (1.0 + e)  # q1 - q0
            for p in range(indptr[i], indptr[i + 1]):
                st_c[indices[p]] += s_mean if data[p] == 2 else -s_mean
            s_sum += s_mean
            l_sum += abs(half) + np.log1p(e)
        cls[c] = s_sum
        ll[c] = l_sum
    return st.sum(axis=0), cls.sum(), ll.sum()


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


# --------------------------------------------------------------------------------------
# Random numbers and the Gibbs chain
# --------------------------------------------------------------------------------------


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


@njit(cache=True, parallel=True)
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
    n_p, m = lam.shape
    n_f = ftype.shape[0]
    k_max = 0
    for p in range(n_p):
        k_max = max(k_max, pcard[p])
    mean_c = np.zeros((N_CHUNKS, n_stats))
    sq_c = np.zeros((N_CHUNKS, n_stats))
    kept = max(n_sweeps - burn_in, 1)
    for c in prange(N_CHUNKS):
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
                    _var_logits(j + 1, lo, k + 1, ystate[p], lam[p], w, ftype, fweight, fparam, fvars, vf_ptr, vf_ids, logits)
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
    return mean_c.sum(axis=0), sq_c.sum(axis=0)


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
    l_ptr = np.zeros(n_v + 1, dtype=np.int64)
    for p in range(n_p):  # count
        _mark(pos, p_idx, p_ptr[p], p_ptr[p + 1], True)
        for t in range(p_ptr[p], p_ptr[p + 1]):
            a = p_idx[t]
            for s in range(adj_ptr[a], adj_ptr[a + 1]):
                if pos[adj_other[s]] >= 0:
                    l_ptr[t + 1] += 1
        _mark(pos, p_idx, p_ptr[p], p_ptr[p + 1], False)
    for t in range(n_v):
        l_ptr[t + 1] += l_ptr[t]
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


@njit(cache=True, nogil=True, inline="always")
def _mark(pos, p_idx, lo, hi, on):
    for t in range(lo, hi):
        pos[p_idx[t]] = t if on else -1


@njit(cache=True, parallel=True)
def gibbs_pair_stats(
    n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, links, plabel, k, label_w, theta, acc, cprop, deps, offs,
    states, n_stats,
):  # fmt: skip
    """:func:`gibbs_free_stats` for abstentions observed: only the votes are sampled.

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
    n_class, o_acc, o_cprop, o_dep = offs[0], offs[1], offs[3], offs[4]
    dep_t, dep_j, dep_w = deps[0], deps[1], deps[3]
    l_ptr, l_up, l_other, l_dep = links
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
                    for v in range(1, k + 1):
                        logits[v] = acc[a] if v == y else -acc[a]
                    for e in range(l_ptr[t], l_ptr[t + 1]):
                        d = l_dep[e]
                        lb = p_val[l_other[e]]
                        if dep_t[d] == _FT_DEP_SIMILAR:
                            logits[lb] += dep_w[d]
                        elif dep_t[d] != _FT_DEP_EXCLUSIVE:  # exclusive: constant once both vote
                            first = dep_j[d] == a
                            for v in range(1, k + 1):
                                h = factor_value(dep_t[d], 0, y, v, lb) if first else factor_value(dep_t[d], 0, y, lb, v)
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
                    for e in range(l_up[t], l_ptr[t + 1]):
                        d = l_dep[e]
                        if dep_t[d] == _FT_DEP_FIXING or dep_t[d] == _FT_DEP_REINFORCING:
                            l1, l2 = _ordered(dep_j[d] == a, p_val[t], p_val[l_other[e]])
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
                        mean[o_acc + a] += w_kept * (2.0 * q[p_val[t] - 1] - 1.0)
                        mean_sq[o_acc + a] += w_kept
                        mean[o_cprop + a] += w_kept * s_mean
                        mean_sq[o_cprop + a] += w_kept
                        for e in range(l_up[t], l_ptr[t + 1]):
                            d = l_dep[e]
                            if dep_t[d] == _FT_DEP_SIMILAR or dep_t[d] == _FT_DEP_EXCLUSIVE:  # no Y: h is known
                                h_sum = factor_value(dep_t[d], 0, 1, p_val[t], p_val[l_other[e]])
                                h_sq = h_sum * h_sum
                            else:
                                l1, l2 = _ordered(dep_j[d] == a, p_val[t], p_val[l_other[e]])
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


@njit(cache=True, nogil=True, inline="always")
def _ordered(first, mine, other):
    """``(l1, l2)`` of a dependency factor from this LF's and the other's output."""
    if first:
        return mine, other
    return other, mine
