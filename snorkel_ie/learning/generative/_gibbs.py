"""Kernels of the generative model (flat arrays in and out: no Python objects, no sessions).

All kernels take flat arrays (see :mod:`.factor_graph` for the encoding) and are called
through :mod:`.training`. Rows are processed in a fixed number of chunks whose partial
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

The kernels are defined in :mod:`._factor_kernels` (factor values and shared inline
helpers), :mod:`._exact_kernels` (exact statistics), :mod:`._sampling_kernels` (random
numbers and the Gibbs chain) and :mod:`._sparse_kernels` (the default binary model as
sparse products, no numba), and re-exported here. The numba modules are imported on
first use: a fit of the default binary model never imports numba, so it compiles
nothing and stays about 90 MB lighter. :func:`set_num_threads` records the thread
count for the numba kernels and applies it once they are loaded.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

import numpy as np

from snorkel_ie.learning.generative._sparse_kernels import (
    binary_clamped_stats,
    binary_posterior,
    can_use_binary_posterior,
)

if TYPE_CHECKING:  # loaded on first use by __getattr__
    from snorkel_ie.learning.generative._exact_kernels import epoch_stats, free_stats_groups
    from snorkel_ie.learning.generative._factor_kernels import N_CHUNKS, factor_value
    from snorkel_ie.learning.generative._sampling_kernels import (
        gibbs_free_stats,
        gibbs_pair_stats,
        next_uniform,
        particle_links,
        seed_states,
    )

__all__ = [
    "N_CHUNKS",
    "binary_clamped_stats",
    "epoch_stats",
    "factor_value",
    "free_stats_groups",
    "get_num_threads",
    "gibbs_free_stats",
    "gibbs_pair_stats",
    "next_uniform",
    "particle_links",
    "posterior",
    "seed_states",
    "set_num_threads",
]

_LAZY = {
    "N_CHUNKS": "_factor_kernels",
    "factor_value": "_factor_kernels",
    "epoch_stats": "_exact_kernels",
    "free_stats_groups": "_exact_kernels",
    "numba_posterior": "_exact_kernels",
    "gibbs_free_stats": "_sampling_kernels",
    "gibbs_pair_stats": "_sampling_kernels",
    "next_uniform": "_sampling_kernels",
    "particle_links": "_sampling_kernels",
    "seed_states": "_sampling_kernels",
}
_threads: list[int | None] = [None]  # requested before numba was loaded (None: numba's default)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    kernels = importlib.import_module(f"snorkel_ie.learning.generative.{module}")
    if _threads[0] is not None:
        _apply_threads()
    value = getattr(kernels, "posterior" if name == "numba_posterior" else name)
    globals()[name] = value
    return value


def _numba_loaded() -> bool:
    return "numba" in sys.modules


def _apply_threads() -> None:
    import numba

    n = _threads[0]
    numba.set_num_threads(
        numba.config.NUMBA_NUM_THREADS if n is None else max(1, min(n, numba.config.NUMBA_NUM_THREADS))
    )


def get_num_threads() -> int | None:
    """The numba kernels' thread count (``None``: numba not loaded and nothing requested)."""
    if _numba_loaded():
        import numba

        return numba.get_num_threads()
    return _threads[0]


def set_num_threads(n: int | None) -> None:
    """Run the numba kernels on ``n`` threads (clipped to numba's pool; ``None``: all of them)."""
    _threads[0] = None if n is None else int(n)
    if _numba_loaded():
        _apply_threads()


def posterior(indptr, indices, data, row_card, k_max, row_label, label_w, theta, acc, cprop, deps, out) -> None:
    """Exact ``P(Y | votes)`` for every row into ``out`` (``(n, k_max)``; zero beyond a row's cardinality).

    Binary models without dependency factors take :func:`._sparse_kernels.binary_posterior`;
    the others the numba kernel :func:`._exact_kernels.posterior`.
    """
    if can_use_binary_posterior(k_max, row_card, deps):
        binary_posterior(indptr, indices, data, row_label, label_w, theta, acc, cprop, out)
        return
    numba_posterior = __getattr__("numba_posterior")
    numba_posterior(
        indptr, indices, data, row_card, k_max, row_label, label_w, np.asarray(theta), acc, cprop, deps, out
    )
