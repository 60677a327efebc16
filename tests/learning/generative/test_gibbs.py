"""Numba kernels against the pure-numpy enumeration reference on tiny graphs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from snorkel_ie.learning.generative import _gibbs
from snorkel_ie.learning.generative.dependencies import DEP_EXCLUSIVE, DEP_FIXING, DEP_REINFORCING, DEP_SIMILAR
from snorkel_ie.learning.generative.factor_graph import build_factor_graph
from snorkel_ie.learning.generative.training import (
    LabelData,
    _free_stats_shared,
    _live_counts,
    _offs,
    _static_dep_stats,
    class_offsets,
    compute_posterior,
    lf_views,
)
from tests.learning.generative.reference import (
    enumerate_states,
    expectations_reference,
    h_reference,
    posterior_reference,
)

DEPS = [(0, 1, DEP_FIXING), (1, 2, DEP_REINFORCING), (0, 2, DEP_SIMILAR), (2, 3, DEP_EXCLUSIVE)]


def _graph(k, *, deps=(), seed=0, **kw):
    g = build_factor_graph(4, k, deps=deps, lf_prior_weights=np.full(4, 0.3), **kw)
    rng = np.random.default_rng(seed)
    g.weight_value = np.where(g.weight_fixed & (g.weight_value == 0), 0.0, rng.normal(0.3, 0.6, g.layout.size))
    return g


def _rows(k, n=40, seed=1):
    rng = np.random.default_rng(seed)
    return rng.integers(0, k + 1, size=(n, 4))


def _data(rows, k):
    indptr = np.concatenate([[0], np.cumsum((rows != 0).sum(axis=1))]).astype(np.int64)
    r, c = np.nonzero(rows)
    return LabelData(indptr, c.astype(np.int32), rows[r, c].astype(np.int16), rows.shape[0], 4, k,
                     np.zeros(0, np.int64), np.zeros(0, np.int64))  # fmt: skip


def _stats_args(g, data, w=None):
    w = g.weight_value if w is None else w
    acc, _, cprop, deps = lf_views(g, w)
    theta = class_offsets(g, w)
    return (data.indptr, data.indices, data.data, data.row_card, data.k_max, data.row_label, 0.0, theta, acc, cprop,
            deps, _offs(g), g.layout.size)  # fmt: skip


def test_factor_value_matches_reference_table():
    for ft, param, y, l1, l2 in itertools.product(range(9), (-1, 1, 2, 3), range(1, 4), range(4), range(4)):
        assert _gibbs.factor_value(ft, param, y, l1, l2) == h_reference(ft, param, y, l1, l2)


@pytest.mark.parametrize(
    ("k", "kw"), [(2, {"class_prior": True, "lf_class_propensity": True}), (3, {"class_prior": True})]
)
def test_posterior_matches_enumeration(k, kw):
    g = _graph(k, deps=DEPS, **kw)
    rows = _rows(k)
    post = compute_posterior(g, g.weight_value, _data(rows, k))
    ref = np.array([posterior_reference(g, k, r) for r in rows])
    np.testing.assert_allclose(post, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("k", "kw"), [(2, {"class_prior": True, "lf_class_propensity": True}), (3, {"class_prior": True})]
)
def test_epoch_stats_clamped_and_free_match_enumeration(k, kw):
    g = _graph(k, **kw)
    rows = _rows(k)
    cl, fr, fv, ll = _gibbs.epoch_stats(*_stats_args(g, _data(rows, k)), True, False)
    cl[g.layout.prop : g.layout.prop + 4] = (rows != 0).sum(axis=0)  # vote counts, added by the caller
    ref_cl, ref_fr, ref_fv = 0.0, 0.0, 0.0
    for r in rows:
        m_cl, _ = expectations_reference(g, k, [[int(v)] for v in r])
        m_fr, v_fr = expectations_reference(g, k, [[0] if v == 0 else list(range(1, k + 1)) for v in r])
        ref_cl, ref_fr, ref_fv = ref_cl + m_cl, ref_fr + m_fr, ref_fv + v_fr
    learn = ~g.weight_fixed
    np.testing.assert_allclose(cl[learn], ref_cl[learn], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fr[learn], ref_fr[learn], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fv[learn], ref_fv[learn], rtol=1e-9, atol=1e-9)
    # log-likelihood of the votes given who voted, by brute force
    ref_ll = 0.0
    for r in rows:
        doms = [[0] if v == 0 else list(range(1, k + 1)) for v in r]
        logp = np.array([lp for _, _, lp, _ in enumerate_states(g, k, doms)])
        clamped = np.array([lp for _, _, lp, _ in enumerate_states(g, k, [[int(v)] for v in r])])
        ref_ll += np.logaddexp.reduce(clamped) - np.logaddexp.reduce(logp)
    assert ll == pytest.approx(ref_ll, rel=1e-9)


@pytest.mark.parametrize("k", [2, 3])
def test_shared_free_stats_closed_form_matches_the_kernel(k):
    g = _graph(k, class_prior=True)
    data = _data(_rows(k), k)
    _, fr, fv, ll = _gibbs.epoch_stats(*_stats_args(g, data), True, False)
    _, fr0, _, ll0 = _gibbs.epoch_stats(*_stats_args(g, data), False, False)
    acc, *_ = lf_views(g, g.weight_value)
    fr_closed, fv_closed, logz = _free_stats_shared(g, data, class_offsets(g, g.weight_value), acc)
    learn = ~g.weight_fixed
    np.testing.assert_allclose(fr_closed[learn], fr[learn], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(fv_closed[learn], fv[learn], rtol=1e-10, atol=1e-10)
    assert ll0 - logz == pytest.approx(ll, rel=1e-10)
    assert not np.allclose(fr0[learn], fr[learn])  # the kernel did compute free statistics


def test_binary_clamped_fast_path_matches_the_general_kernel():
    g = _graph(2, class_prior=True)
    data = _data(_rows(2), 2)
    cl, _, _, ll = _gibbs.epoch_stats(*_stats_args(g, data), False, False)
    acc, *_ = lf_views(g, g.weight_value)
    theta = class_offsets(g, g.weight_value)
    acc_stats, class_stat, ll_fast = _gibbs.binary_clamped_stats(data.indptr, data.indices, data.data, theta[1], acc)
    lay = g.layout
    np.testing.assert_allclose(acc_stats, cl[lay.acc : lay.acc + 4], rtol=1e-12, atol=1e-12)
    assert class_stat == pytest.approx(cl[0], rel=1e-12, abs=1e-12)
    assert ll_fast == pytest.approx(ll, rel=1e-12)


@pytest.mark.parametrize("k", [2, 3])
def test_clamped_dependency_stats_match_enumeration(k):
    """Every factor with modelled abstentions; only rows where both LFs vote with observed ones."""
    g = _graph(k, deps=DEPS, class_prior=True)
    rows = _rows(k)
    cl_all, *_ = _gibbs.epoch_stats(*_stats_args(g, _data(rows, k)), False, True)
    cl_pairs, *_ = _gibbs.epoch_stats(*_stats_args(g, _data(rows, k)), False, False)
    dep = slice(g.layout.dep, g.layout.dep + len(DEPS))
    ref_all = np.zeros(len(DEPS))
    ref_pairs = np.zeros(len(DEPS))
    for r in rows:
        m_cl, _ = expectations_reference(g, k, [[int(v)] for v in r])
        ref_all += m_cl[dep]
        ref_pairs += np.array([m_cl[dep][d] if r[a] and r[b] else 0.0 for d, (a, b, _) in enumerate(DEPS)])
    np.testing.assert_allclose(cl_all[dep], ref_all, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(cl_pairs[dep], ref_pairs, rtol=1e-9, atol=1e-9)
    assert not np.allclose(ref_all, ref_pairs)  # the two conventions differ on these rows
    # the factors without Y are constants of the matrix, computed once by training
    static = _static_dep_stats(g, _data(rows, k), _live_counts(g, _data(rows, k)))[dep]
    no_y = g.factor_vars[g.dep_factors, 0] < 0
    np.testing.assert_allclose(static[no_y], ref_pairs[no_y], rtol=1e-12)
    assert np.all(static[~no_y] == 0)


def test_free_stats_groups_match_enumeration():
    k = 2
    g = _graph(k, class_prior=True, lf_propensity=True, lf_class_propensity=True)
    acc, prop, cprop, *_ = lf_views(g, g.weight_value)
    theta = class_offsets(g, g.weight_value)
    fr, fv, logz = _gibbs.free_stats_groups(
        np.array([2]), np.array([0]), np.array([5.0]), 0.0, theta[None, :], acc, prop, cprop, True, _offs(g),
        g.layout.size,
    )  # fmt: skip
    mean, var = expectations_reference(g, k, [list(range(k + 1))] * 4)
    lay = g.layout
    learn = ~g.weight_fixed
    np.testing.assert_allclose(fr[learn], 5 * mean[learn], rtol=1e-9)
    not_acc = learn.copy()
    not_acc[lay.acc : lay.acc + 4] = False  # the accuracy variance is conditional on voting by design
    np.testing.assert_allclose(fv[not_acc], 5 * var[not_acc], rtol=1e-9)
    all_logp = [lp for _, _, lp, _ in enumerate_states(g, k, [list(range(k + 1))] * 4)]
    assert logz == pytest.approx(5 * np.logaddexp.reduce(all_logp), rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("k", [2, 3])
def test_gibbs_free_stats_converge_to_enumeration(k):
    kw = {"lf_class_propensity": True} if k == 2 else {}
    g = _graph(k, deps=DEPS, class_prior=True, lf_propensity=True, **kw)
    n_p = 3000
    lam = np.zeros((n_p, 4), dtype=np.int64)
    mode = np.full((n_p, 4), 2, dtype=np.int8)
    mean, _ = _gibbs.gibbs_free_stats(
        60, 10, np.ones(n_p, dtype=np.int64), lam, mode, np.full(n_p, k, dtype=np.int64), np.zeros(n_p, np.int64),
        0.0, g.weight_value, g.factor_type, g.factor_weight, g.factor_param, g.factor_vars, g.var_factor_indptr,
        g.var_factor_ids, _gibbs.seed_states(7, n_p), g.layout.size,
    )  # fmt: skip
    ref, _ = expectations_reference(g, k, [list(range(k + 1))] * 4)
    learn = ~g.weight_fixed
    np.testing.assert_allclose(mean[learn] / n_p, ref[learn], atol=0.02)


@pytest.mark.slow
@pytest.mark.parametrize("k", [2, 3])
def test_gibbs_pair_stats_converge_to_enumeration(k):
    """LFs 0-2 vote and LF 3 abstains in every particle: the votes' free distribution given that."""
    g = _graph(k, deps=DEPS, class_prior=True)
    n_p = 3000
    voting = [0, 1, 2]
    p_ptr = np.arange(n_p + 1, dtype=np.int64) * len(voting)
    p_idx = np.tile(np.array(voting, dtype=np.int64), n_p)
    p_val = np.ones(p_idx.shape[0], dtype=np.int64)
    acc, _, cprop, deps = lf_views(g, g.weight_value)
    links = _gibbs.particle_links(p_ptr, p_idx, deps)
    assert np.diff(links[0])[:3].tolist() == [2, 2, 2]  # LFs 0-2 are pairwise linked; (2, 3) is not live
    mean, _ = _gibbs.gibbs_pair_stats(
        60, 10, np.ones(n_p, dtype=np.int64), p_ptr, p_idx, p_val, links, np.zeros(0, np.int64), k, 0.0,
        class_offsets(g, g.weight_value), acc, cprop, deps, _offs(g), _gibbs.seed_states(7, n_p), g.layout.size,
    )  # fmt: skip
    doms = [list(range(1, k + 1))] * 3 + [[0]]
    ref, _ = expectations_reference(g, k, doms)
    learn = ~g.weight_fixed
    np.testing.assert_allclose(mean[learn] / n_p, ref[learn], atol=0.02)
    assert set(np.unique(p_val)) == set(range(1, k + 1))  # the votes were sampled in place


def test_rng_is_reproducible_and_uniform():
    a = _gibbs.seed_states(3, 4)
    b = _gibbs.seed_states(3, 4)
    np.testing.assert_array_equal(a, b)
    draws = np.array([_gibbs.next_uniform(a, 1) for _ in range(20000)])
    assert draws.min() >= 0.0 and draws.max() < 1.0
    assert abs(draws.mean() - 0.5) < 0.01
    assert not np.array_equal(_gibbs.seed_states(3, 4), _gibbs.seed_states(4, 4))
