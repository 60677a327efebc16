"""The structure-learning kernel against a slow, eager, one-target-at-a-time numpy reference."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from snorkel_ie.learning.generative import _structure_kernels as kern


def _features(row: np.ndarray, j: int, K: int, n: int) -> np.ndarray:
    """Feature tensor ``F[v, c, :]`` of target ``j``'s model on one recoded row (votes 1..K)."""
    F = np.zeros((K + 1, K, kern.N_BLOCKS * n + 2 * K))
    others = np.arange(n) != j
    for v in range(K + 1):
        for c in range(K):
            sg = 1.0 if c == 1 else -1.0
            f = F[v, c]
            f[:n] = others * (row == c + 1)
            f[6 * n + K + c] = 1.0
            if v == 0:
                continue
            f[j] = float(v == c + 1)
            f[kern.SIM * n : kern.SIM * n + n] = others * (row == v)
            f[kern.COL * n : kern.COL * n + n] = others * (row != 0)
            if K == 2:
                f[kern.FOUT * n : kern.FOUT * n + n] = others * (row == 2) * (v == 1) * -sg
                f[kern.FIN * n : kern.FIN * n + n] = others * (row == 1) * (v == 2) * -sg
                f[kern.REIN * n : kern.REIN * n + n] = others * (row == 2) * (v == 2) * sg
            f[6 * n + v - 1] = 1.0
    return F


def _reference(D, K, init_acc, init_bias, epochs, step, decay, l1, truncation, higher, prop, block):
    """Eager SGD per target with explicit features, truncation every ``truncation`` rows."""
    m, n = D.shape
    out = np.zeros((n, kern.N_BLOCKS * n + 2 * K))
    mask = np.zeros(kern.N_BLOCKS * n + 2 * K, dtype=bool)  # dependency weights that are fit
    active = [kern.SIM] + ([kern.COL] if prop else []) + ([kern.FOUT, kern.FIN, kern.REIN] if higher else [])
    for b in active:
        mask[b * n : (b + 1) * n] = True
    fitted = mask.copy()
    fitted[:n] = True
    fitted[6 * n :] = True
    for j in range(n):
        w = np.zeros(out.shape[1])
        w[:n] = init_acc
        w[6 * n : 6 * n + K] = init_bias[:, j]
        avg, snaps, lr, counter = np.zeros_like(w), 0, step, 0
        for e in range(epochs):
            for i in range(m):
                F = _features(D[i], j, K, n) * fitted
                score = F @ w
                p = np.exp(score - score.max())
                p /= p.sum()
                v = D[i, j]
                q = p[v] / p[v].sum()
                w += lr * (q @ F[v] - np.tensordot(p, F, axes=2))
                counter += 1
                if counter == truncation:
                    amount = np.concatenate([np.tile(l1, kern.N_BLOCKS), np.zeros(2 * K)])[mask] * lr * truncation
                    w[mask] = np.sign(w[mask]) * np.maximum(np.abs(w[mask]) - amount, 0.0)
                    counter = 0
                if e == epochs - 1 and ((i + 1) % block == 0 or i == m - 1):
                    avg += w
                    snaps += 1
            lr *= decay
        out[j] = w
        out[j, mask] = avg[mask] / snaps
        out[j, kern.SIM * n + j] = 0.0
    return out


@pytest.mark.parametrize(
    ("K", "higher", "prop"), [(2, False, False), (2, True, True), (3, False, True), (4, False, False)]
)
def test_fit_structure_matches_reference(K: int, higher: bool, prop: bool) -> None:
    rng = np.random.default_rng(K)
    m, n = 23, 5
    D = rng.integers(0, K + 1, size=(m, n)) * (rng.random((m, n)) < 0.7)
    R = sp.csr_matrix(D)
    init_acc, init_bias = rng.uniform(0.5, 2.0, n), rng.normal(0.0, 1.0, (K, n))
    l1 = rng.uniform(0.01, 0.1, n)
    args = (4, 0.3, 0.7, l1, 3, higher, prop)
    expected = _reference(D, K, init_acc, init_bias, *args, block=7)
    for n_chunks in (1, 2):
        got = kern.fit_structure(
            R.indptr.astype(np.int64),
            R.indices.astype(np.int32),
            R.data.astype(np.int8),
            n,
            K,
            4,
            init_acc,
            init_bias,
            0.3,
            0.7,
            l1,
            3,
            higher,
            prop,
            n_chunks,
            7,
        )
        np.testing.assert_allclose(got, expected, atol=1e-10, rtol=1e-9)
    assert np.any(np.abs(got[:, kern.SIM * n : 2 * n]) > 0)  # the test exercises the dependency weights


def test_fast_exponential_matches_numpy():
    from snorkel_ie.learning.generative._structure_kernels import _exp_nonpositive

    x = np.concatenate([[0.0, -1e-300, -0.34657359, -0.34657360, -699.9, -700.1, -1e4], -np.geomspace(1e-8, 690, 2000)])
    got = np.array([_exp_nonpositive(v) for v in x])
    want = np.exp(x)
    big = want > 1e-290
    np.testing.assert_allclose(got[big], want[big], rtol=1e-13)
    assert np.all(got[~big] < 1e-290) and got[-1 - 2000] == 0.0
