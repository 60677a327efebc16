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

The kernels are defined in :mod:`._factor_kernels` (factor values and shared inline
helpers), :mod:`._exact_kernels` (exact statistics) and :mod:`._sampling_kernels` (random
numbers and the Gibbs chain), and re-exported here.
"""

from __future__ import annotations

from snorkel_ie.learning.generative._exact_kernels import (
    binary_clamped_stats,
    epoch_stats,
    free_stats_groups,
    posterior,
)
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
    "gibbs_free_stats",
    "gibbs_pair_stats",
    "next_uniform",
    "particle_links",
    "posterior",
    "seed_states",
]
