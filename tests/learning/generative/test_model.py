"""GenerativeModel: recovery on synthetic data, reproducibility, persistence, validation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from snorkel_ie.errors import ModelError, NotFittedError
from snorkel_ie.learning.generative import DEP_SIMILAR, GenerativeModel
from snorkel_ie.learning.generative.synthetic import make_independent, make_planted_dependencies

ACC = np.array([0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.85])
COV = np.array([0.5, 0.3, 0.4, 0.2, 0.5, 0.3, 0.45, 0.15])


def _in_sample_accuracy(L, y):
    d = L.toarray()
    return np.array([np.mean(d[d[:, j] != 0, j] == y[d[:, j] != 0]) for j in range(d.shape[1])])


@pytest.mark.slow
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"lf_propensity": True},
        {"class_prior": True},
        {"lf_prior": True},
        {"class_prior": True, "lf_propensity": True},
    ],
)
def test_generative_model_recovers_binary_accuracies(params):
    L, y = make_independent(20_000, ACC, COV, seed=1)
    model = GenerativeModel(**params)
    model.train(L)
    est = model.learned_lf_stats()["Accuracy"].to_numpy()
    assert np.abs(est - _in_sample_accuracy(L, y)).mean() < 0.006
    assert np.abs(est - ACC).mean() < 0.012


@pytest.mark.slow
def test_generative_model_recovers_categorical_accuracies():
    L, y = make_independent(20_000, ACC, COV, seed=2, cardinality=4)
    model = GenerativeModel()
    model.train(L)
    assert model.marginals(L).shape == (20_000, 4)
    est = model.learned_lf_stats()["Accuracy"].to_numpy()
    assert np.abs(est - _in_sample_accuracy(L, y)).mean() < 0.006
    d = L.toarray()
    majority = np.argmax(np.stack([(d == c).sum(axis=1) for c in range(1, 5)], axis=1), axis=1) + 1
    assert model.score(L, y, display=False)[0] > np.mean(majority == y)


def test_generative_model_lf_prior_pulls_towards_prior_under_strong_regularisation():
    L, _ = make_independent(2_000, ACC, COV, seed=3)
    model = GenerativeModel(lf_prior=True)
    model.train(L, LF_acc_prior_weights=np.full(8, 0.2), reg_param=10.0)
    assert np.allclose(model.weights.lf_prior, 0.2)
    assert np.all(np.abs(model.weights.lf_accuracy) < 0.05)  # learned part shrunk to ~0


def test_generative_model_beats_majority_vote_on_synthetic_data():
    L, y = make_independent(10_000, [0.95, 0.6, 0.6, 0.6, 0.6], 0.6, seed=4)
    model = GenerativeModel()
    model.train(L)
    s = np.asarray(L.sum(axis=1)).ravel()
    mv = np.mean(np.where(s > 0, 1, -1) == y)
    assert np.mean(model.predictions(L) == y) > mv + 0.02


def test_generative_model_notebook_step_size_still_converges():
    L, y = make_independent(10_000, ACC, COV, seed=5)
    model = GenerativeModel()
    model.train(L, epochs=100, decay=0.95, step_size=0.1 / L.shape[0], reg_param=1e-6)
    est = model.learned_lf_stats()["Accuracy"].to_numpy()
    assert np.abs(est - _in_sample_accuracy(L, y)).mean() < 0.01


@pytest.mark.slow
def test_generative_model_with_dependencies_is_bit_reproducible():
    L, _, deps = make_planted_dependencies(2_000, 8, n_groups=1, group_size=3, seed=6)
    runs = []
    for threads in (1, 2, 1):
        model = GenerativeModel(lf_propensity=True, seed=11)
        model.train(L, deps=deps, epochs=15, threads=threads)
        runs.append(model.weight_vector_.copy())
    assert np.array_equal(runs[0], runs[1]) and np.array_equal(runs[0], runs[2])
    assert np.all(model.weights.dep_similar[0, 1:3] > 0.5)  # planted copies are found similar
    other = GenerativeModel(lf_propensity=True, seed=12)
    other.train(L, deps=deps, epochs=15)
    assert not np.array_equal(other.weight_vector_, runs[0])


@pytest.mark.slow
def test_generative_model_dependencies_help_on_copied_lfs():
    L, y, deps = make_planted_dependencies(5_000, 10, n_groups=1, group_size=4, copy_prob=0.95, seed=7)
    plain, dep = GenerativeModel(), GenerativeModel()
    plain.train(L)
    dep.train(L, deps=sorted(deps), epochs=40)
    assert dep.weights.dep_similar[0, 1] > 1.0
    assert np.mean(dep.predictions(L) == y) >= np.mean(plain.predictions(L) == y) - 0.005


def test_generative_model_save_load_round_trip(tmp_path):
    L, _ = make_independent(3_000, ACC, COV, seed=8)
    model = GenerativeModel(class_prior=True, lf_propensity=True)
    model.train(L, deps=[(0, 1, DEP_SIMILAR)], epochs=5)
    model.save(tmp_path / "gen")
    loaded = GenerativeModel().load(tmp_path / "gen")
    np.testing.assert_array_equal(loaded.marginals(L), model.marginals(L))
    assert loaded.class_prior and loaded.lf_propensity and loaded.deps_ == model.deps_
    pd.testing.assert_frame_equal(loaded.learned_lf_stats(), model.learned_lf_stats())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gen.json", "gen.npz"]


def test_generative_model_load_missing_file_raises(tmp_path):
    with pytest.raises(ModelError, match="cannot load"):
        GenerativeModel().load(tmp_path / "absent")


@pytest.mark.parametrize(
    ("L", "message"),
    [
        (sp.csr_matrix((0, 3)), "empty"),
        (np.zeros((3, 2)), "no votes"),
        (np.array([[1.0, np.nan], [0.0, -1.0]]), "NaN"),
        (np.array([[1, -1], [2, 0]]), "binary votes"),
        (np.array([[0.5, 1.0]]), "integer"),
    ],
)
def test_generative_model_train_rejects_bad_matrices(L, message):
    with pytest.raises(ModelError, match=message):
        GenerativeModel().train(L)


def test_label_matrix_is_read_in_place_and_never_modified():
    from snorkel_ie.learning.generative.validation import to_label_data

    L, _ = make_independent(500, [0.8, 0.7, 0.9], [0.5, 0.5, 0.5], seed=3)
    L = sp.csr_matrix(L, dtype=np.int8)
    data = to_label_data(L, cardinality=2, signed=True)
    assert np.shares_memory(data.indices, L.indices)  # a canonical CSR matrix is not copied
    messy = sp.csr_matrix((np.array([1, 0, -1], np.int8), np.array([2, 0, 1]), np.array([0, 3])), shape=(1, 3))
    before = (messy.data.copy(), messy.indices.copy())
    data = to_label_data(messy, cardinality=2, signed=True)
    assert data.indices.tolist() == [1, 2] and data.data.tolist() == [1, 2]  # sorted, zero dropped, -1 -> 1
    np.testing.assert_array_equal(messy.data, before[0])  # the caller's matrix is untouched
    np.testing.assert_array_equal(messy.indices, before[1])


def test_generative_model_rejects_votes_outside_cardinality():
    with pytest.raises(ModelError, match=r"1\.\.3"):
        GenerativeModel(cardinality=3).train(np.array([[1, 4], [2, 3]]))


def test_generative_model_warns_on_a_column_of_abstentions():
    L = np.array([[1, 0, 1], [-1, 0, -1], [1, 0, -1], [1, 0, 1]])
    with pytest.warns(UserWarning, match="never vote"):
        GenerativeModel().train(L)


@pytest.mark.parametrize("deps", [[(0, 5, DEP_SIMILAR)], [(0, 0, DEP_SIMILAR)], [(0, 1, 9)], ["ab"]])
def test_generative_model_rejects_bad_deps(deps):
    L, _ = make_independent(100, ACC[:3], 0.5, seed=0)
    with pytest.raises(ModelError):
        GenerativeModel().train(L, deps=deps)


def test_generative_model_requires_training():
    with pytest.raises(NotFittedError):
        GenerativeModel().marginals(np.ones((2, 2)))


def test_generative_model_marginals_reject_wrong_width():
    L, _ = make_independent(500, ACC, COV, seed=9)
    model = GenerativeModel()
    model.train(L)
    with pytest.raises(ModelError, match="8"):
        model.marginals(L[:, :3])


def test_generative_model_predictions_ties_and_score_tuple():
    L = sp.csr_matrix(np.array([[1, -1], [1, 1], [-1, -1], [0, 0]]))
    model = GenerativeModel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.train(L, epochs=3)
    marg = model.marginals(L)
    # The data are symmetric under swapping the LFs and negating every vote, so both LFs
    # get the same weight: one vote each way (row 0) and no votes (row 3) are exact ties.
    assert marg[0] == 0.5 and marg[3] == 0.5
    assert marg[1] > 0.5 > marg[2]
    assert model.predictions(L).tolist() == [-1, 1, -1, -1]
    assert model.predictions(L, tie=1).tolist() == [1, 1, -1, 1]
    # Gold [1, 1, -1, 0] (row 3 unknown, ignored): TP row 1, FN row 0, TN row 2, no FP.
    assert model.score(L, np.array([1, 1, -1, 0]), display=False) == pytest.approx((1.0, 0.5, 2 / 3))
    # Gold [-1, 1, 1, 1]: TP row 1, TN row 0, FN rows 2 and 3: P 1/1, R 1/3, F1 2 * (1/3) / (4/3).
    assert model.score(L, np.array([-1, 1, 1, 1]), display=False) == pytest.approx((1.0, 1 / 3, 0.5))
    # Above every marginal nothing is positive: no TP, so all three are 0.
    assert model.score(L, np.array([1, 1, -1, 0]), b=0.99, display=False) == (0.0, 0.0, 0.0)


class _NamedMatrix(sp.csr_matrix):
    """A CSR matrix with the AnnotationMatrix interface the model relies on."""

    lf_names = ("lf_a", "lf_b", "lf_c")

    def get_candidate(self, session, i):
        return ("candidate", session, i)


def test_generative_model_stats_names_and_error_analysis(capsys):
    L0, y = make_independent(2_000, [0.9, 0.8, 0.7], 0.5, seed=10)
    L = _NamedMatrix(L0)
    model = GenerativeModel()
    model.train(L)
    stats = model.learned_lf_stats()
    assert list(stats.columns) == ["Accuracy", "Coverage", "Precision", "Recall"]
    assert list(stats.index) == ["lf_a", "lf_b", "lf_c"]
    gold = y.copy()
    gold[:10] = 0
    tp, fp, tn, fn = model.error_analysis("S", L, gold, display=True)
    assert len(tp) + len(fp) + len(tn) + len(fn) == 1_990
    assert all(c[1] == "S" and c[2] >= 10 for c in tp)
    assert "TP" in capsys.readouterr().out


def test_generative_model_candidate_ranges():
    L, _ = make_independent(4_000, ACC, COV, seed=11, cardinality=3)
    ranges = [3] * 4_000
    model = GenerativeModel()
    model.train(L, candidate_ranges=ranges)
    marg = model.marginals(L, candidate_ranges=ranges)
    assert marg.shape == (4_000, 3)
    np.testing.assert_allclose(marg.sum(axis=1), 1.0)
    full = GenerativeModel()
    full.train(L)
    np.testing.assert_allclose(marg, full.marginals(L), atol=1e-6)


def _one_sided(n: int, seed: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Positive-only and negative-only LFs (as most real LFs are), with known accuracies."""
    rng = np.random.default_rng(seed)
    y = rng.choice([-1, 1], size=n)
    signs = np.array([1, 1, 1, -1, -1, -1])
    accs = np.array([0.9, 0.8, 0.75, 0.85, 0.8, 0.7])
    L = np.zeros((n, len(signs)), dtype=np.int64)
    for j, (s, a) in enumerate(zip(signs, accs, strict=True)):
        fires = rng.random(n) < 0.3
        right = rng.random(n) < a
        # An LF that votes s is right when y == s: fire on the right class w.p. a among its votes.
        target = np.where(right, s, -s)
        L[fires & (y == target), j] = s
    return sp.csr_matrix(L), y, signs


def test_generative_model_keeps_one_sided_lfs_better_than_random():
    L, y, _ = _one_sided(20_000, seed=3)
    model = GenerativeModel(lf_class_propensity=False)  # abstentions observed: majority-vote weights
    model.train(L)
    assert np.all(model.weights.lf_accuracy > 0)
    acc = (model.predictions(L) == y).mean()
    mv = (np.where(np.asarray(L.sum(axis=1)).ravel() > 0, 1, -1) == y).mean()
    assert acc >= mv - 0.005


def test_generative_model_class_propensity_learns_one_sided_lfs():
    L, y, signs = _one_sided(20_000, seed=3)
    model = GenerativeModel(lf_class_propensity=True)
    model.train(L)
    assert np.array_equal(np.sign(model.weights.lf_class_propensity), signs)
    acc = (model.predictions(L) == y).mean()
    mv = (np.where(np.asarray(L.sum(axis=1)).ravel() > 0, 1, -1) == y).mean()
    assert acc > mv + 0.005
    est = model.learned_lf_stats()["Accuracy"].to_numpy()
    assert np.abs(est - np.array([0.9, 0.8, 0.75, 0.85, 0.8, 0.7])).mean() < 0.03
