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
numbers and the Gibbs chain; its steps in :mod:`._chain_steps`, the pair-table forms in
:mod:`._pair_kernels`) and :mod:`._sparse_kernels` (the default binary model as
sparse products, no numba), and re-exported here. The numba modules are imported on
first use: a fit of the default binary model never imports numba, so it compiles
nothing and stays about 90 MB lighter. :func:`set_num_threads` records the thread
count for the numba kernels and applies it once they are loaded.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from snorkel_ie.learning.generative._sparse_kernels import (
    binary_clamped_stats,
    binary_epoch_stats,
    binary_posterior,
    can_use_binary_epoch_stats,
    can_use_binary_posterior,
)
from snorkel_ie.learning.generative.factor_graph import FT_DEP_FIXING, FT_DEP_REINFORCING, FT_DEP_SIMILAR

if TYPE_CHECKING:  # loaded on first use by __getattr__
    from snorkel_ie.learning.generative._exact_kernels import free_stats_groups
    from snorkel_ie.learning.generative._factor_kernels import N_CHUNKS, factor_value
    from snorkel_ie.learning.generative._sampling_kernels import (
        gibbs_free_stats,
        next_uniform,
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
    "numba_epoch_stats": "_exact_kernels",
    "free_stats_groups": "_exact_kernels",
    "numba_posterior": "_exact_kernels",
    "gibbs_free_stats": "_sampling_kernels",
    "gibbs_pair_stats_links": "_sampling_kernels",
    "gibbs_pair_stats_dense": "_pair_kernels",
    "gibbs_pair_stats_similar": "_pair_kernels",
    "link_counts": "_sampling_kernels",
    "numba_particle_links": "_sampling_kernels",
    "next_uniform": "_sampling_kernels",
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
    value = getattr(kernels, name.removeprefix("numba_"))
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


def epoch_stats(
    indptr, indices, data, row_card, k_max, row_label, label_w, theta, acc, cprop, deps, offs, n_stats, free_local,
    all_deps,
):  # fmt: skip
    """One epoch's clamped (and with ``free_local`` free) statistics (:func:`._exact_kernels.epoch_stats`).

    Binary models whose adjacency (``deps[4:]``) lists no factor take the sparse products of
    :func:`._sparse_kernels.binary_epoch_stats` (no numba, the same numbers up to rounding).
    """
    if can_use_binary_epoch_stats(k_max, row_card, deps, free_local, all_deps):
        return binary_epoch_stats(indptr, indices, data, row_label, label_w, theta, acc, cprop, offs, n_stats)
    return __getattr__("numba_epoch_stats")(
        indptr, indices, data, row_card, k_max, row_label, label_w, theta, acc, cprop, deps, offs, n_stats,
        free_local, all_deps,
    )  # fmt: skip


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


class ParticleLinks(NamedTuple):
    """The live dependency factors of the particles (see :func:`._sampling_kernels.particle_links`).

    ``l_ptr`` always counts each vote's live factors; the lists ``l_up``, ``l_other``,
    ``l_dep`` are filled only when ``pair_dep`` is None. Otherwise ``pair_dep`` is the
    ``(m, m)`` table of the factor between two LFs and the kernel scans the pairs.
    """

    l_ptr: np.ndarray
    l_up: np.ndarray
    l_other: np.ndarray
    l_dep: np.ndarray
    pair_dep: np.ndarray | None = None
    pair_both: np.ndarray | None = None
    """With ``pair_dep``: per dependency factor, the particles where both of its LFs vote."""


_DENSE_MAX_LFS = 4096
_DENSE_MIN_FILL = 0.25
"""Scan the pairs when the live factors are at least this share of the pairs of voting LFs."""


def _pair_table(m: int, dep_j: np.ndarray, dep_k: np.ndarray) -> np.ndarray | None:
    """``(m, m)`` int32 table of the factor per pair of LFs, or None when a pair has several."""
    table = np.full((m, m), -1, dtype=np.int32)
    ids = np.arange(dep_j.shape[0], dtype=np.int32)
    table[dep_j, dep_k] = ids
    table[dep_k, dep_j] = ids
    if np.count_nonzero(table >= 0) != 2 * dep_j.shape[0]:
        return None
    return table


def particle_links(p_ptr: np.ndarray, p_idx: np.ndarray, deps: tuple) -> ParticleLinks:
    """Index the dependency factors live in each particle: link lists, or a pair table when dense."""
    m = deps[4].shape[0] - 1
    l_ptr = __getattr__("link_counts")(p_ptr, p_idx, deps[4], deps[6])
    sizes = np.diff(p_ptr).astype(np.float64)
    pairs = float(sizes @ (sizes - 1.0))
    if m <= _DENSE_MAX_LFS and pairs > 0 and l_ptr[-1] >= _DENSE_MIN_FILL * pairs:
        table = _pair_table(m, deps[1], deps[2])
        if table is not None:
            empty = np.zeros(0, dtype=np.int32)
            both = pair_sums(p_ptr, p_idx, None, m)[deps[1], deps[2]]
            return ParticleLinks(l_ptr, np.zeros(0, dtype=np.int64), empty, empty, table, both)
    return ParticleLinks(*__getattr__("numba_particle_links")(p_ptr, p_idx, deps))


def pair_sums(p_ptr: np.ndarray, p_idx: np.ndarray, p_val: np.ndarray | None, m: int) -> np.ndarray:
    """``(m, m)`` sums over particles of ``x_a x_b`` for the pairs of LFs that both vote (``x``: the
    ``+1/-1`` votes ``p_val``; ``1`` when ``p_val`` is None); the diagonal counts each LF's votes.

    One product ``X^T X`` of the particles' dense ``(P, m)`` vote matrix: its entries are
    ``-1``, ``0``, ``+1`` and every partial sum an integer of magnitude at most ``P``, so
    float32 is exact below ``2**24`` particles (the same numbers as a loop over the pairs, in
    a fraction of the time).
    """
    n_p = p_ptr.shape[0] - 1
    x = _vote_matrix(n_p, m)
    rows = np.repeat(np.arange(n_p), np.diff(p_ptr))
    x[rows, p_idx] = 1.0 if p_val is None else np.where(p_val == 2, 1.0, -1.0)
    return (x.T @ x).astype(np.float64)


def _vote_matrix(n_p: int, m: int) -> np.ndarray:
    """A zero ``(n_p, m)`` matrix for the particles' ``+1/-1`` votes, float32 where its products are exact."""
    return np.zeros((n_p, m), dtype=np.float32 if n_p < 2**24 else np.float64)


def _similar_weights(deps: tuple) -> np.ndarray:
    """``(m, m)`` symmetric matrix of the similar factors' weights (0 elsewhere)."""
    dep_t, dep_j, dep_k, dep_w = deps[:4]
    m = deps[4].shape[0] - 1
    out = np.zeros((m, m))
    sim = dep_t == FT_DEP_SIMILAR
    out[dep_j[sim], dep_k[sim]] = dep_w[sim]
    out[dep_k[sim], dep_j[sim]] = dep_w[sim]
    return out


def _add_pair_stats(votes, deps, both, o_dep, mean, mean_sq) -> None:
    """Add the similar and exclusive factors' values in the particles' current votes.

    ``votes`` is the ``(P, m)`` matrix of the particles' ``+1/-1`` votes (0: abstains), so
    ``votes^T votes`` holds the sums over particles of ``x_a x_b`` (:func:`pair_sums`):
    agreements minus disagreements. The number of particles where both vote (``both``, per
    factor) is their sum: a similar factor's value is the number of agreements, an
    exclusive one's minus ``both``.
    """
    dep_t, dep_j, dep_k = deps[:3]
    signed = (votes.T @ votes)[dep_j, dep_k].astype(np.float64)
    h = np.where(dep_t == FT_DEP_SIMILAR, 0.5 * (both + signed), -both)
    h_sq = np.where(dep_t == FT_DEP_SIMILAR, h, both)
    mean[o_dep : o_dep + dep_t.shape[0]] += h
    mean_sq[o_dep : o_dep + dep_t.shape[0]] += h_sq


def gibbs_pair_stats(
    n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, links, plabel, k, label_w, theta, acc, cprop, deps, offs,
    states, n_stats,
):  # fmt: skip
    """The Gibbs chain with abstentions observed (:func:`._sampling_kernels.gibbs_pair_stats_links`).

    ``links`` comes from :func:`particle_links`; with a pair table the chain runs
    :func:`._sampling_kernels.gibbs_pair_stats_dense`, which gives the same numbers.
    """
    if isinstance(links, ParticleLinks) and links.pair_dep is not None:
        dep_t = deps[0]
        has_y = bool(np.any((dep_t == FT_DEP_FIXING) | (dep_t == FT_DEP_REINFORCING)))
        if k == 2 and not has_y:
            last_only = n_sweeps - burn_in == 1  # the pair statistics of one state: a matrix product
            w_sim = _similar_weights(deps)
            votes = _vote_matrix(p_ptr.shape[0] - 1 if last_only else 0, w_sim.shape[0])  # filled by the kernel
            mean, mean_sq = __getattr__("gibbs_pair_stats_similar")(
                n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, links.pair_dep, w_sim, plabel, label_w, theta, acc,
                cprop, deps, offs, states, n_stats, not last_only, votes,
            )  # fmt: skip
            if last_only:
                _add_pair_stats(votes, deps, links.pair_both, int(offs[4]), mean, mean_sq)
            return mean, mean_sq
        return __getattr__("gibbs_pair_stats_dense")(
            n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, links.pair_dep, plabel, k, label_w, theta, acc, cprop,
            deps, offs, states, n_stats, has_y,
        )  # fmt: skip
    return __getattr__("gibbs_pair_stats_links")(
        n_sweeps, burn_in, ystate, p_ptr, p_idx, p_val, tuple(links[:4]), plabel, k, label_w, theta, acc, cprop, deps,
        offs, states, n_stats,
    )  # fmt: skip
