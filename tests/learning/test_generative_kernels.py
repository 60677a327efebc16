"""The generative model's kernel plumbing: sparse kernels against numba's, lazy numba, the cache folder."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import snorkel_ie
from snorkel_ie.learning.generative import _gibbs
from snorkel_ie.learning.generative._sparse_kernels import binary_clamped_stats, binary_posterior
from snorkel_ie.learning.generative.factor_graph import build_factor_graph
from snorkel_ie.learning.generative.training_inputs import _offs, _y_deps, class_offsets, lf_views


def _no_deps(m: int) -> tuple:
    graph = build_factor_graph(m, 2)
    return lf_views(graph, graph.weight_value)[3]


def _random_votes(n: int, m: int, seed: int):
    rng = np.random.default_rng(seed)
    mask = rng.random((n, m)) < 0.4
    codes = rng.integers(1, 3, size=(n, m)) * mask
    indptr = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int64)
    cols = np.nonzero(mask)[1].astype(np.int32)
    return indptr, cols, codes[mask].astype(np.int16), rng


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_posterior_matches_the_numba_kernel(seed):
    indptr, cols, data, rng = _random_votes(300, 7, seed)
    acc, cprop = rng.normal(size=7), rng.normal(size=7) * (seed > 0)
    label = rng.integers(0, 3, size=300) if seed == 2 else np.zeros(0, dtype=np.int64)
    theta = np.array([-0.3, 0.3])
    ours = np.empty((300, 2))
    binary_posterior(indptr, cols, data, label, 1.5, theta, acc, cprop, ours)
    ref = np.empty((300, 2))
    _gibbs.numba_posterior(
        indptr, cols, data, np.zeros(0, np.int64), 2, label, 1.5, theta, acc, cprop, _no_deps(7), ref
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15)


def test_binary_clamped_stats_match_a_row_by_row_reference():
    indptr, cols, data, rng = _random_votes(200, 5, 3)
    acc, theta1 = rng.normal(size=5), 0.2
    st, cls, ll = binary_clamped_stats(indptr, cols, data, theta1, acc)
    ref_st, ref_cls, ref_ll = np.zeros(5), 0.0, 0.0
    for i in range(200):
        sl = slice(indptr[i], indptr[i + 1])
        signs = np.where(data[sl] == 2, 1.0, -1.0)
        half = theta1 + signs @ acc[cols[sl]]
        s = np.tanh(half)
        np.add.at(ref_st, cols[sl], signs * s)
        ref_cls += s
        ref_ll += np.logaddexp(half, -half)
    np.testing.assert_allclose(st, ref_st, rtol=1e-12)
    assert cls == pytest.approx(ref_cls, rel=1e-12)
    assert ll == pytest.approx(ref_ll, rel=1e-12)


def _run(code: str, env: dict[str, str], cwd: Path | None = None) -> str:
    """Run ``code`` in a fresh interpreter (in ``cwd``: ``-c`` puts the working folder first on the path)."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd, check=True)
    return out.stdout.strip()


def test_default_binary_fit_never_imports_numba():
    code = (
        "import sys\n"
        "from snorkel_ie.learning.generative import GenerativeModel\n"
        "from snorkel_ie.learning.generative.synthetic import make_independent\n"
        "L, y = make_independent(500, [0.9, 0.8, 0.7], [0.5, 0.5, 0.5], seed=0)\n"
        "m = GenerativeModel(); m.train(L); m.marginals(L)\n"
        "print('numba' in sys.modules)\n"
    )
    assert _run(code, dict(os.environ)) == "False"


@pytest.mark.slow
def test_kernels_cache_in_a_temporary_folder_when_package_and_home_are_read_only(tmp_path):
    """A read-only install in a read-only home: numba cannot cache next to the source or in
    ~/.cache, so the kernels cache under the temporary folder instead of failing at import.
    (Paths made of a file where a folder should be are unwritable even for root.)"""
    site = tmp_path / "site"
    shutil.copytree(Path(snorkel_ie.__file__).parent, site / "snorkel_ie", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "snorkel_ie" / "learning" / "generative" / "__pycache__").write_text("not a folder")
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(PYTHONPATH=str(site), HOME=str(blocked / "home"), XDG_CACHE_HOME=str(blocked / "cache"), TMPDIR=str(tmp))
    code = (
        "import numba, numpy as np\n"
        "from snorkel_ie.learning.generative import _gibbs\n"
        "print(_gibbs.factor_value(3, 0, 1, 1, 0))\n"
        "print(numba.config.CACHE_DIR)\n"
    )
    value, cache = _run(code, env, cwd=tmp_path).splitlines()
    assert float(value) == 1.0
    assert Path(cache).parent == tmp
    assert any(p.suffix == ".nbi" for p in Path(cache).rglob("*")), "no kernel was cached there"


@pytest.mark.parametrize(("k", "dep_types"), [(2, (0,)), (2, (0, 3)), (2, (0, 1, 2, 3)), (3, (0, 1, 3))])
def test_dense_pair_chain_equals_the_link_list_chain_to_the_bit(k, dep_types):
    """The forms of the chain visit the same factors with the same random numbers: the same votes,
    and statistics equal up to rounding (to the bit for the generic pair-table kernel; binary
    similar/exclusive sets take the dot-product kernel, which rounds differently)."""
    m, n_p = 9, 400
    rng = np.random.default_rng(k)
    pairs = list(itertools.combinations(range(m), 2))
    chosen = rng.choice(len(pairs), size=24, replace=False)
    deps = [(*pairs[i], dep_types[t % len(dep_types)]) for t, i in enumerate(chosen)]
    graph = build_factor_graph(m, k, deps=deps, class_prior=True)
    w = graph.weight_value + rng.normal(scale=0.3, size=graph.weight_value.shape)
    acc, _, cprop, dep_tuple = lf_views(graph, w)
    mask = rng.random((n_p, m)) < 0.6
    p_ptr = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int64)
    p_idx = np.nonzero(mask)[1].astype(np.int64)
    sparse_links = _gibbs.ParticleLinks(*_gibbs.numba_particle_links(p_ptr, p_idx, dep_tuple))
    dense_links = _gibbs.particle_links(p_ptr, p_idx, dep_tuple)
    assert dense_links.pair_dep is not None  # 24 of 36 pairs: dense enough for the pair table
    np.testing.assert_array_equal(dense_links.l_ptr, sparse_links.l_ptr)
    out = []
    for links in (sparse_links, dense_links):
        p_val = np.arange(p_idx.shape[0], dtype=np.int64) % k + 1
        mean, sq = _gibbs.gibbs_pair_stats(
            5, 2, np.ones(n_p, dtype=np.int64), p_ptr, p_idx, p_val, links, np.zeros(0, np.int64), k, 0.0,
            class_offsets(graph, w), acc, cprop, dep_tuple, _offs(graph), _gibbs.seed_states(3, n_p),
            graph.layout.size,
        )  # fmt: skip
        out.append((mean, sq, p_val))
    np.testing.assert_array_equal(out[0][2], out[1][2])
    for a, b in zip(out[0][:2], out[1][:2], strict=True):
        if k == 2 and set(dep_types) <= {0, 3}:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        else:
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("with_labels", [False, True])
def test_binary_epoch_stats_match_the_numba_kernel_with_similar_dependencies(with_labels):
    indptr, cols, data, rng = _random_votes(300, 6, 5)
    graph = build_factor_graph(6, 2, deps=[(0, 1, 0), (2, 4, 3)], class_prior=True, lf_class_propensity=True)
    w = graph.weight_value + rng.normal(scale=0.4, size=graph.weight_value.shape)
    acc, _, cprop, deps = lf_views(graph, w)
    deps = _y_deps(graph, deps)  # as training passes them: the factors that involve Y (none here)
    label = rng.integers(0, 3, size=300) if with_labels else np.zeros(0, dtype=np.int64)
    args = (indptr, cols, data, np.zeros(0, np.int64), 2, label, 2.0, class_offsets(graph, w), acc, cprop, deps)
    ours = _gibbs.epoch_stats(*args, _offs(graph), graph.layout.size, False, False)
    ref = _gibbs.numba_epoch_stats(*args, _offs(graph), graph.layout.size, False, False)
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_similar_chain_keeps_the_same_votes_with_kept_or_gathered_fields(monkeypatch):
    """The similar-only chain either keeps every LF's field and updates it when a vote changes, or
    gathers each vote's field from the others: the same votes, statistics equal up to rounding."""
    from snorkel_ie.learning.generative import _pair_kernels

    m, n_p = 12, 300
    rng = np.random.default_rng(7)
    deps = [(j, k, 0) for j, k in itertools.combinations(range(m), 2) if rng.random() < 0.7]
    graph = build_factor_graph(m, 2, deps=deps, class_prior=True)
    w = graph.weight_value + rng.normal(scale=0.4, size=graph.weight_value.shape)
    acc, _, cprop, dep_tuple = lf_views(graph, w)
    mask = rng.random((n_p, m)) < 0.5
    p_ptr = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int64)
    p_idx = np.nonzero(mask)[1].astype(np.int64)
    links = _gibbs.particle_links(p_ptr, p_idx, dep_tuple)
    assert links.pair_dep is not None
    out = []
    for ratio in (0.0, 1e9):  # gathered fields, kept fields
        monkeypatch.setattr(_pair_kernels, "_DENSE_FIELD_RATIO", ratio)
        p_val = np.arange(p_idx.shape[0], dtype=np.int64) % 2 + 1
        mean, sq = _gibbs.gibbs_pair_stats(
            6, 3, np.ones(n_p, dtype=np.int64), p_ptr, p_idx, p_val, links, np.zeros(0, np.int64), 2, 0.0,
            class_offsets(graph, w), acc, cprop, dep_tuple, _offs(graph), _gibbs.seed_states(5, n_p),
            graph.layout.size,
        )  # fmt: skip
        out.append((mean, sq, p_val))
    np.testing.assert_array_equal(out[0][2], out[1][2])
    assert np.any(out[0][2] == 2) and np.any(out[0][2] == 1)
    for a, b in zip(out[0][:2], out[1][:2], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_pair_sums_count_agreements_of_the_pairs_that_both_vote():
    rng = np.random.default_rng(2)
    n_p, m = 50, 6
    mask = rng.random((n_p, m)) < 0.5
    x = np.where(rng.random((n_p, m)) < 0.5, 1, -1) * mask
    p_ptr = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int64)
    p_idx = np.nonzero(mask)[1].astype(np.int64)
    p_val = np.where(x[mask] > 0, 2, 1)
    signed = _gibbs.pair_sums(p_ptr, p_idx, p_val, m)
    both = _gibbs.pair_sums(p_ptr, p_idx, None, m)
    for a, b in itertools.combinations(range(m), 2):
        assert signed[a, b] == signed[b, a] == float(np.sum(x[:, a] * x[:, b]))
        assert both[a, b] == float(np.sum(mask[:, a] & mask[:, b]))
