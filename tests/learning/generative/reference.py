"""Slow pure-numpy reference of the generative model, by enumeration, for tiny graphs."""

from __future__ import annotations

import itertools

import numpy as np

from snorkel_ie.learning.generative.factor_graph import FactorGraph


def h_reference(ftype: int, param: int, y: int, l1: int, l2: int) -> float:
    """The factor table of the factor_graph module docstring, written independently."""
    sign = 1.0 if y == 2 else -1.0
    table = {
        0: (sign if param < 0 else float(y == param)),
        1: 0.0 if l1 == 0 else (1.0 if l1 == y else -1.0),
        2: float(l1 != 0),
        3: 0.0 if l1 == 0 else (1.0 if l1 == y else -1.0),
        4: sign * float(l1 != 0),
        5: float(l1 == l2),
        6: (-1.0 * (l2 != 0)) if l1 == 0 else float(l1 != y and l2 == y),
        7: (-1.0 * (l2 != 0)) if l1 == 0 else float(l1 == y and l2 == y),
        8: -1.0 * float(l1 != 0 and l2 != 0),
    }
    return float(table[ftype])


def factor_values(g: FactorGraph, y: int, lam: np.ndarray) -> np.ndarray:
    """h of every factor at state (y, lam)."""
    out = np.zeros(g.n_factors)
    for f in range(g.n_factors):
        _, b, d = g.factor_vars[f]
        l1 = lam[b - 1] if b > 0 else 0
        l2 = lam[d - 1] if d > 0 else 0
        out[f] = h_reference(int(g.factor_type[f]), int(g.factor_param[f]), y, int(l1), int(l2))
    return out


def weight_stats(g: FactorGraph, h: np.ndarray) -> np.ndarray:
    s = np.zeros(g.layout.size)
    np.add.at(s, g.factor_weight, h)
    return s


def enumerate_states(g: FactorGraph, k: int, lam_domains: list[list[int]]):
    """Yield (y, lam, log-potential, weight statistics) over every joint state."""
    w = g.weight_value
    for y in range(1, k + 1):
        for lam in itertools.product(*lam_domains):
            lam = np.array(lam)
            st = weight_stats(g, factor_values(g, y, lam))
            yield y, lam, float(st @ w), st


def posterior_reference(g: FactorGraph, k: int, row: np.ndarray) -> np.ndarray:
    states = list(enumerate_states(g, k, [[int(v)] for v in row]))
    logp = np.array([s[2] for s in states])
    p = np.exp(logp - logp.max())
    return p / p.sum()


def expectations_reference(g: FactorGraph, k: int, lam_domains: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Exact E[stat] and Var[stat] per weight under the model restricted to the given domains."""
    states = list(enumerate_states(g, k, lam_domains))
    logp = np.array([s[2] for s in states])
    p = np.exp(logp - logp.max())
    p /= p.sum()
    st = np.array([s[3] for s in states])
    mean = p @ st
    return mean, p @ (st**2) - mean**2
