"""Shared numba helpers of the generative model's kernels: factor values, softmax, row scores.

The factor-type codes, the chunk count that makes results independent of the number of
threads, :func:`run_chunks` (which spreads a kernel's chunks over threads), and the
inline helpers that :mod:`._exact_kernels` and :mod:`._sampling_kernels` both compile
in. Dependencies travel as the tuple described in :mod:`._gibbs`.

The kernels are serial ``nogil`` functions over a range of chunks, not ``parallel=True``
ones: numba's parallel lowering compiled each kernel body a second time (its ``prange``
index is unsigned) and took 30-40 CPU-s per kernel on an empty cache, for a speed-up that
:func:`run_chunks` gets from plain threads.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from snorkel_ie.learning.generative._numba_cache import ensure_writable_cache

ensure_writable_cache()  # before the first @njit(cache=True): numba picks its cache folder there

from numba import njit  # noqa: E402

N_CHUNKS = 64

_pool: dict[int, ThreadPoolExecutor] = {}
"""One thread pool per thread count asked for (created on first use)."""
_pool_lock = threading.Lock()


def run_chunks(kernel, *args) -> None:
    """Call ``kernel(c_lo, c_hi, *args)`` over the chunks ``0..N_CHUNKS``, split among numba's threads.

    ``kernel`` must be a ``nogil`` numba function that writes chunk ``c``'s results to its
    own slots (the row ``c`` of per-chunk output arrays, and the rows or particles of the
    chunk), so the threads never share a value and the sums, taken by the caller in chunk
    order, do not depend on the number of threads (``numba.get_num_threads()``).
    """
    import numba

    threads = min(int(numba.get_num_threads()), N_CHUNKS)
    if threads <= 1:
        kernel(0, N_CHUNKS, *args)
        return
    with _pool_lock:
        pool = _pool.get(threads)
        if pool is None:
            pool = _pool[threads] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="snorkel_ie-kernel")
    bounds = [N_CHUNKS * i // threads for i in range(threads + 1)]
    futures = [pool.submit(kernel, bounds[i], bounds[i + 1], *args) for i in range(threads)]
    for f in futures:
        f.result()


def chunk_sums(kernel, n_stats: int, *args) -> tuple[np.ndarray, np.ndarray]:
    """:func:`run_chunks` of a kernel that fills per-chunk ``(N_CHUNKS, n_stats)`` sums of ``h`` and
    ``h**2`` (its last two arguments); returns them summed in chunk order."""
    mean_c = np.zeros((N_CHUNKS, n_stats))
    sq_c = np.zeros((N_CHUNKS, n_stats))
    run_chunks(kernel, *args, mean_c, sq_c)
    return mean_c.sum(axis=0), sq_c.sum(axis=0)


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
