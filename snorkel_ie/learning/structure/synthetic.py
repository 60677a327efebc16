"""Snorkel 0.7's synthetic generator: random binary model weights, and label matrices sampled from them.

:func:`generate_model` draws a :class:`~snorkel_ie.learning.generative.GenerativeModelWeights`
(accuracies, optional priors and propensities, and random pairwise dependencies);
:func:`generate_label_matrix` samples ``m`` rows ``(y, labels)`` from the factor graph those
weights define, by Gibbs sampling ``m`` independent chains at once. The factor functions
are those of :mod:`snorkel_ie.learning.generative.factor_graph`, so a model trained with
the sampled dependencies can recover the weights.

Examples
--------
>>> weights = generate_model(10, 0.1, dep_similar=True, seed=0)
>>> y, L = generate_label_matrix(weights, 1000, seed=0)
>>> L.shape, sorted(set(y.tolist()))
((1000, 10), [-1, 1])
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.learning.generative import GenerativeModelWeights

__all__ = ["dependencies_of", "generate_label_matrix", "generate_model"]

_DEP_FIELDS = ("dep_similar", "dep_fixing", "dep_reinforcing", "dep_exclusive")
_VALUES = np.array([-1, 0, 1])


def generate_model(
    n: int,
    dep_density: float,
    class_prior: bool = False,
    lf_propensity: bool = False,
    lf_prior: bool = False,
    lf_class_propensity: bool = False,
    dep_similar: bool = False,
    dep_reinforcing: bool = False,
    dep_fixing: bool = False,
    dep_exclusive: bool = False,
    force_dep: bool = False,
    *,
    seed: int | np.random.Generator | None = None,
) -> GenerativeModelWeights:
    """Random weights of a binary model of ``n`` LFs (Snorkel 0.7's ``generate_model``).

    Accuracy weights are drawn from [0.9, 1.1]; each enabled prior or propensity weight
    from [-0.5, 0.5] (propensities from [-1, 0], so LFs abstain often). Each pair ``j < k``
    gets, with probability ``dep_density``, one dependency of a type drawn among the enabled
    ones, weight in [0.5, 1.5]; ``force_dep`` adds one to a model that drew none.
    """
    if n < 2:
        raise ConfigurationError(f"generate_model needs n >= 2 LFs; got {n}")
    if not 0 <= dep_density <= 1:
        raise ConfigurationError(f"dep_density must lie in [0, 1]; got {dep_density}")
    rng = np.random.default_rng(seed)
    types = [
        f for f, on in zip(_DEP_FIELDS, (dep_similar, dep_fixing, dep_reinforcing, dep_exclusive), strict=True) if on
    ]
    if force_dep and not types:
        raise ConfigurationError("force_dep=True needs at least one dependency type switched on")

    def maybe(on: bool, lo: float, hi: float) -> np.ndarray:
        return rng.uniform(lo, hi, n) if on else np.zeros(n)

    deps = {f: np.zeros((n, n)) for f in _DEP_FIELDS}
    pairs = [(j, k) for j in range(n) for k in range(j + 1, n)]
    for j, k in pairs:
        if types and rng.random() < dep_density:
            deps[types[rng.integers(len(types))]][j, k] = rng.uniform(0.5, 1.5)
    if force_dep and not any(d.any() for d in deps.values()):
        j, k = pairs[rng.integers(len(pairs))]
        deps[types[rng.integers(len(types))]][j, k] = rng.uniform(0.5, 1.5)
    return GenerativeModelWeights(
        lf_accuracy=rng.uniform(0.9, 1.1, n),
        lf_prior=maybe(lf_prior, -0.5, 0.5),
        lf_propensity=maybe(lf_propensity, -1.0, 0.0),
        lf_class_propensity=maybe(lf_class_propensity, -0.5, 0.5),
        class_prior=np.array([rng.uniform(-0.5, 0.5) if class_prior else 0.0]),
        **deps,
    )


def dependencies_of(weights: GenerativeModelWeights) -> set[tuple[int, int, int]]:
    """The ``(j, k, dep_type)`` triples with a non-zero weight (for ``GenerativeModel.train(deps=...)``)."""
    out = set()
    for t, f in enumerate(_DEP_FIELDS):
        for j, k in zip(*np.nonzero(getattr(weights, f)), strict=True):
            out.add((int(j), int(k), t))
    return out


def _accuracy(lam: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.where(lam == 0, 0, np.where(lam == y, 1, -1))


def _dep_term(t: int, l1: np.ndarray, l2: np.ndarray, y: np.ndarray) -> np.ndarray:
    if t == 0:  # similar
        return (l1 == l2).astype(float)
    if t == 3:  # exclusive
        return -((l1 != 0) & (l2 != 0)).astype(float)
    opened = (l1 == 0) & (l2 != 0)
    if t == 1:  # fixing
        fixed = (l1 != 0) & (l1 != y) & (l2 == y)
    else:  # reinforcing
        fixed = (l1 == l2) & (l1 == y)
    return np.where(opened, -1.0, np.where(fixed, 1.0, 0.0))


def _lf_energy(w: GenerativeModelWeights, deps: list, L: np.ndarray, y: np.ndarray, j: int, v: int) -> np.ndarray:
    """The terms of the log-potential that involve LF ``j``, with ``L[:, j] = v``."""
    lam = np.full(len(y), v)
    e = (w.lf_accuracy[j] + w.lf_prior[j]) * _accuracy(lam, y)
    e = e + (v != 0) * (w.lf_propensity[j] + w.lf_class_propensity[j] * y)
    for a, b, t, wt in deps:
        if a == j:
            e = e + wt * _dep_term(t, lam, L[:, b], y)
        elif b == j:
            e = e + wt * _dep_term(t, L[:, a], lam, y)
    return e


def _y_energy(w: GenerativeModelWeights, deps: list, L: np.ndarray, yv: int) -> np.ndarray:
    y = np.full(L.shape[0], yv)
    e = w.class_prior[0] * y + (_accuracy(L, y[:, None]) * (w.lf_accuracy + w.lf_prior)).sum(axis=1)
    e = e + ((L != 0) * w.lf_class_propensity * y[:, None]).sum(axis=1)
    for a, b, t, wt in deps:
        if t in (1, 2):
            e = e + wt * _dep_term(t, L[:, a], L[:, b], y)
    return e


def generate_label_matrix(
    weights: GenerativeModelWeights,
    m: int,
    *,
    burn_in: int = 50,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, sp.csr_matrix]:
    """Sample ``m`` rows from the binary model of ``weights`` (Snorkel 0.7's ``generate_label_matrix``).

    Returns ``(y, L)``: the true labels (``-1``/``+1``) and the ``(m, n)`` CSR label matrix
    (``-1``/``0``/``+1``), each row the state of its own Gibbs chain after ``burn_in`` sweeps.
    """
    if m < 1 or burn_in < 1:
        raise ConfigurationError(f"generate_label_matrix needs m >= 1 and burn_in >= 1; got m={m}, burn_in={burn_in}")
    rng = np.random.default_rng(seed)
    n = len(weights.lf_accuracy)
    deps = [
        (int(j), int(k), t, float(getattr(weights, f)[j, k]))
        for t, f in enumerate(_DEP_FIELDS)
        for j, k in zip(*np.nonzero(getattr(weights, f)), strict=True)
    ]
    y = rng.choice([-1, 1], size=m)
    L = np.zeros((m, n), dtype=np.int64)
    for _ in range(burn_in):
        for j in range(n):
            energies = np.stack([_lf_energy(weights, deps, L, y, j, v) for v in _VALUES], axis=1)
            L[:, j] = _VALUES[_draw(rng, energies)]
        energies = np.stack([_y_energy(weights, deps, L, v) for v in (-1, 1)], axis=1)
        y = np.array([-1, 1])[_draw(rng, energies)]
    return y.astype(np.int64), sp.csr_matrix(L)


def _draw(rng: np.random.Generator, energies: np.ndarray) -> np.ndarray:
    """One categorical draw per row with probabilities proportional to ``exp(energies)``."""
    p = np.exp(energies - energies.max(axis=1, keepdims=True))
    cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((rng.random((len(p), 1)) > cdf).sum(axis=1), p.shape[1] - 1)
