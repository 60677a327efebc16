"""Numba kernels of the pseudolikelihood structure learner (numba only, no validation).

For each target LF ``j`` we fit a log-linear model of the pair (``L_j``, ``Y``) given the
other LFs' outputs ``L_-j`` on the same candidate, and learn it by maximising the
marginal (over the latent ``Y``) pseudolikelihood of the observed ``L_j`` with SGD and a
truncated-gradient L1 penalty on the dependency weights (Bach et al., ICML 2017; the
Snorkel VLDB 2017 paper, Section 3.2).

Encoding inside the kernels: votes are ``1..K`` (binary: ``1`` is the class ``-1`` and
``2`` the class ``+1``), ``0`` is abstain; class index ``c`` in ``0..K-1`` stands for the
vote ``c + 1``. The score of ``(L_j = v, Y = c)`` in target ``j``'s model is::

    cp[c] + sum_{k != j, L_k != 0} acc[k] [L_k == c+1]                   (Y given the others)
    + [v != 0] (bias[v] + acc[j] [v == c+1] + sum_k sim[k] [L_k == v]
                + sum_k col[k] [L_k != 0])                                 (co-labeling)
    + binary, higher order:  [v == -1] sum_{L_k=+1} fout[k] (-y)           (j fixes k)
                           + [v == +1] sum_{L_k=-1} fin[k] (-y)            (k fixes j)
                           + [v == +1] sum_{L_k=+1} rein[k] (+y)           (j, k reinforce)

All targets are fit together, one candidate row at a time: the weights are stored
transposed, ``Wt[block, k, jj]`` is the weight of LF ``k`` in the model of target
``j0 + jj``, so that each nonzero ``(k, u)`` of a row adds or updates one contiguous
vector over the targets (SIMD-friendly). ``Wv[v - 1, jj]`` holds ``bias[v]`` and
``Wv[K + c, jj]`` holds ``cp[c]``. The L1 truncation is applied lazily per LF ``k``
(soft-thresholding composes, so this is exactly the eager truncated gradient). Threads
split the targets into chunks ``j0..j1``, each with weight arrays of its own (shared
arrays put both threads' halves of an LF's row in one cache line, and the line
ping-ponged between the cores on every vote: 2.5x slower); the result does not depend
on the number of threads.
"""

from __future__ import annotations

import numpy as np

from snorkel_ie.learning.generative._numba_cache import ensure_writable_cache

ensure_writable_cache()  # before the first @njit(cache=True): numba picks its cache folder there

from numba import njit, prange  # noqa: E402

ACC, SIM, COL, FOUT, FIN, REIN = 0, 1, 2, 3, 4, 5
N_BLOCKS = 6

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 split in two so that k * ln 2 is exact for |k| < 2^20
_LN2_LO = 1.9082149292705877e-10
_POW2_NEG = np.ldexp(1.0, -np.arange(1075))  # 2^-k, k = 0..1074


@njit(cache=True, inline="always")
def _exp_nonpositive(x):
    """``exp(x)`` for ``x <= 0`` to about 1e-14 relative (0 below -700), three times libm's speed.

    The joint distributions below take six exponentials per target and row, which made
    libm's ``exp`` a third of the fit. Range reduction ``x = k ln 2 + r`` with
    ``|r| <= ln(2) / 2``, a degree-11 Taylor polynomial for ``exp(r)`` and a table of
    ``2^-k``.
    """
    if x < -700.0:
        return 0.0
    k = np.floor(x * _LOG2E + 0.5)
    r = (x - k * _LN2_HI) - k * _LN2_LO
    p = 1.0 / 39916800.0
    for c in (1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0,
              1.0 / 6.0, 0.5, 1.0, 1.0):  # fmt: skip
        p = p * r + c
    return p * _POW2_NEG[-int(k)]


@njit(cache=True)
def _shrink(Wt, k, amount, blocks):
    """Soft-threshold the dependency weights of LF ``k`` (all targets of ``Wt``) by ``amount``."""
    for b in blocks:
        for j in range(Wt.shape[2]):
            x = Wt[b, k, j]
            Wt[b, k, j] = max(x - amount, 0.0) + min(x + amount, 0.0)  # branch-free, vectorises


@njit(cache=True)
def _gather(Wt, Wv, cols, vals, start, end, j0, K, higher, prop, ay, s, extra, vobs):
    """Sum the weights of a row's votes per target: ``ay`` (K, J), ``s`` (K+1, J), ``extra`` (4, J)."""
    J = Wt.shape[2]
    for jj in range(J):
        vobs[jj] = 0
        for c in range(K):
            ay[c, jj] = Wv[K + c, jj]
        for v in range(K + 1):
            s[v, jj] = 0.0
        for t in range(4):
            extra[t, jj] = 0.0
    for p in range(start, end):
        k = cols[p]
        u = vals[p]
        for jj in range(J):
            ay[u - 1, jj] += Wt[ACC, k, jj]
            s[u, jj] += Wt[SIM, k, jj]
        if prop:
            for jj in range(J):
                extra[0, jj] += Wt[COL, k, jj]
        if higher:
            if u == 2:
                for jj in range(J):
                    extra[1, jj] += Wt[FOUT, k, jj]
                    extra[3, jj] += Wt[REIN, k, jj]
            else:
                for jj in range(J):
                    extra[2, jj] += Wt[FIN, k, jj]
        own = k - j0
        if 0 <= own < J:  # the target's own vote is the outcome, not evidence about Y
            vobs[own] = u
            ay[u - 1, own] -= Wt[ACC, k, own]


@njit(cache=True)
def _joint(Wt, Wv, j0, K, higher, ay, s, extra, joint, mx):
    """Fill ``joint[v*K + c, jj]`` with P(L_j = v, Y = c | L_-j) for every target ``j0 + jj``."""
    J = Wt.shape[2]
    for jj in range(J):
        mx[jj] = -np.inf
    for c in range(K):
        sg = 1.0 if c == 1 else -1.0
        for jj in range(J):
            joint[c, jj] = ay[c, jj]
            mx[jj] = max(mx[jj], ay[c, jj])
        for v in range(1, K + 1):
            for jj in range(J):
                sc = ay[c, jj] + Wv[v - 1, jj] + extra[0, jj] + s[v, jj]
                if v == c + 1:
                    sc += Wt[ACC, j0 + jj, jj]
                if higher:
                    sc += -sg * extra[1, jj] if v == 1 else sg * (extra[3, jj] - extra[2, jj])
                joint[v * K + c, jj] = sc
                mx[jj] = max(mx[jj], sc)
    T = (K + 1) * K
    for jj in range(J):
        total = 0.0
        for t in range(T):
            joint[t, jj] = _exp_nonpositive(joint[t, jj] - mx[jj])
            total += joint[t, jj]
        inv = 1.0 / total
        for t in range(T):
            joint[t, jj] *= inv


@njit(cache=True)
def _target_grads(Wt, Wv, j0, vobs, K, lr, higher, joint, G, py, pv):
    """Step every target's own weights; store in ``G[:, jj]`` the steps of the other LFs' weights.

    ``G[u]`` / ``G[K+1+u]`` hold the step of ``acc[k]`` / ``sim[k]`` for an LF ``k`` voting
    ``u``; ``G[2K+2 ..]`` the steps of ``col``, ``fout``, ``fin``, ``rein``.
    """
    J = Wt.shape[2]
    base = 2 * K + 2
    for jj in range(J):
        v_obs = vobs[jj]
        diag = 0.0
        for c in range(K):
            py[c] = 0.0
        for v in range(K + 1):
            pv[v] = 0.0
            for c in range(K):
                x = joint[v * K + c, jj]
                pv[v] += x
                py[c] += x
                if v == c + 1:
                    diag += x
        inv = 1.0 / pv[v_obs]
        q_right = joint[v_obs * K + v_obs - 1, jj] * inv if v_obs > 0 else 0.0
        Wt[ACC, j0 + jj, jj] += lr * (q_right - diag)
        for c in range(K):
            g_acc = lr * (joint[v_obs * K + c, jj] * inv - py[c])
            g_sim = lr * ((1.0 if v_obs == c + 1 else 0.0) - pv[c + 1])
            G[c + 1, jj] = g_acc
            G[K + 2 + c, jj] = g_sim
            Wv[c, jj] += g_sim
            Wv[K + c, jj] += g_acc
        G[base, jj] = lr * ((1.0 if v_obs > 0 else 0.0) - (1.0 - pv[0]))
        if higher:
            eq = (joint[v_obs * K + 1, jj] - joint[v_obs * K, jj]) * inv  # E_q[sign(Y)]
            neg = joint[K + 1, jj] - joint[K, jj]  # sum_c joint[v=-1, c] sign(c)
            pos = joint[2 * K + 1, jj] - joint[2 * K, jj]
            G[base + 1, jj] = lr * ((-eq if v_obs == 1 else 0.0) + neg)
            G[base + 2, jj] = lr * ((-eq if v_obs == 2 else 0.0) + pos)
            G[base + 3, jj] = lr * ((eq if v_obs == 2 else 0.0) - pos)


@njit(cache=True)
def _scatter(Wt, cols, vals, start, end, j0, K, higher, prop, G):
    """Apply the steps ``G[:, jj]`` of every vote in the row to the LFs' weight vectors."""
    J = Wt.shape[2]
    base = 2 * K + 2
    for p in range(start, end):
        k = cols[p]
        u = vals[p]
        own = k - j0
        keep = Wt[ACC, k, own] if 0 <= own < J else 0.0
        for jj in range(J):
            Wt[ACC, k, jj] += G[u, jj]
            Wt[SIM, k, jj] += G[K + 1 + u, jj]
        if prop:
            for jj in range(J):
                Wt[COL, k, jj] += G[base, jj]
        if higher:
            if u == 2:
                for jj in range(J):
                    Wt[FOUT, k, jj] += G[base + 1, jj]
                    Wt[REIN, k, jj] += G[base + 3, jj]
            else:
                for jj in range(J):
                    Wt[FIN, k, jj] += G[base + 2, jj]
        if 0 <= own < J:  # an LF has no dependency on itself; its own accuracy moved in _target_grads
            Wt[ACC, k, own] = keep
            for b in range(SIM, N_BLOCKS):
                Wt[b, k, own] = 0.0


@njit(cache=True)
def _fit_chunk(j0, j1, indptr, cols, vals, n, K, epochs, init_acc, init_bias, step, decay, l1, truncation, higher, prop,
               block, out):  # fmt: skip
    """SGD for targets ``j0..j1`` over every row; writes their rows of ``out`` (see :func:`fit_structure`).

    The chunk's weights live in arrays of its own (``Wt[b, k, jj]`` for target ``j0 + jj``):
    threads share no cache line, and every vector loop runs over contiguous memory.
    """
    m = indptr.shape[0] - 1
    J = j1 - j0
    Wt = np.zeros((N_BLOCKS, n, J))
    for k in range(n):
        Wt[ACC, k, :] = init_acc[k]
    Wv = np.zeros((2 * K, J))
    Wv[:K] = init_bias[:, j0:j1]
    avg = np.zeros((N_BLOCKS, n, J))
    blocks = [SIM]
    if prop:
        blocks.append(COL)
    if higher:
        blocks.extend([FOUT, FIN, REIN])
    ay = np.empty((K, J))
    s = np.empty((K + 1, J))
    extra = np.empty((4, J))
    vobs = np.empty(J, dtype=np.int64)
    joint = np.empty(((K + 1) * K, J))
    mx = np.empty(J)
    G = np.zeros((2 * K + 6, J))
    py = np.empty(K)
    pv = np.empty(K + 1)
    penalty = 0.0  # cumulative L1 shrinkage owed since the start, per unit of l1
    paid = np.zeros(n)  # cumulative shrinkage already applied to each LF's weights
    lr = step
    counter = 0
    snapshots = 0
    for e in range(epochs):
        for i in range(m):
            start, end = indptr[i], indptr[i + 1]
            for p in range(start, end):
                k = cols[p]
                if penalty > paid[k]:
                    _shrink(Wt, k, (penalty - paid[k]) * l1[k], blocks)
                    paid[k] = penalty
            _gather(Wt, Wv, cols, vals, start, end, j0, K, higher, prop, ay, s, extra, vobs)
            _joint(Wt, Wv, j0, K, higher, ay, s, extra, joint, mx)
            _target_grads(Wt, Wv, j0, vobs, K, lr, higher, joint, G, py, pv)
            _scatter(Wt, cols, vals, start, end, j0, K, higher, prop, G)
            counter += 1
            if counter == truncation:
                penalty += lr * truncation
                counter = 0
            if e == epochs - 1 and ((i + 1) % block == 0 or i == m - 1):
                for k in range(n):
                    _shrink(Wt, k, (penalty - paid[k]) * l1[k], blocks)
                    paid[k] = penalty
                for b in blocks:
                    avg[b] += Wt[b]
                snapshots += 1
        lr *= decay
    for b in range(N_BLOCKS):
        src = Wt[b] if b == ACC else avg[b] / snapshots
        for k in range(n):
            for jj in range(J):
                out[j0 + jj, b * n + k] = src[k, jj]
    for t in range(2 * K):
        for jj in range(J):
            out[j0 + jj, N_BLOCKS * n + t] = Wv[t, jj]


@njit(cache=True, parallel=True)
def fit_structure(
    indptr, cols, vals, n, K, epochs, init_acc, init_bias, step, decay, l1, truncation, higher, prop, n_chunks, block
):
    """Fit one pseudolikelihood model per LF; return the ``(n, 6n + 2K)`` weight matrix.

    Row ``j`` holds target ``j``'s model: blocks of ``n`` weights ``acc, sim, col, fout,
    fin, rein`` (index ``b * n + k`` is LF ``k``'s weight), then ``bias`` (K) and ``cp`` (K).
    The dependency blocks are the average of the weights snapshotted every ``block`` rows
    of the last epoch (Polyak averaging, which removes most of the SGD noise).

    Parameters
    ----------
    indptr, cols, vals
        CSR arrays of the label matrix with votes recoded to ``1..K`` (no explicit zeros),
        rows in the order in which SGD visits them (every epoch).
    n, K
        Number of LFs and of classes.
    epochs
        Passes over the rows.
    init_acc
        ``(n,)`` initial accuracy weight of every LF, copied into every target's model
        (positive, to break the label-swap symmetry).
    init_bias
        ``(K, n)`` initial ``bias[v]`` of every target.
    step, decay, truncation
        Step size, per-epoch step decay, rows between truncations.
    l1
        ``(n,)`` L1 strength on the dependency weights of each LF ``k`` (all targets).
    higher, prop
        Whether to fit the fixing/reinforcing (binary only) and co-labeling weights.
    n_chunks
        Number of groups of targets fit in parallel; does not change the result.
    block
        Rows between two snapshots of the last epoch.
    """
    out = np.zeros((n, N_BLOCKS * n + 2 * K))
    per = (n + n_chunks - 1) // n_chunks
    for b in prange(n_chunks):
        j0 = min(n, b * per)
        j1 = min(n, j0 + per)
        if j1 > j0:
            _fit_chunk(
                j0, j1, indptr, cols, vals, n, K, epochs, init_acc, init_bias, step, decay, l1, truncation, higher,
                prop, block, out,
            )  # fmt: skip
    return out
