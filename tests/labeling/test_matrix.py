"""AnnotationMatrix maps, lf_stats against hand-computed values, load_matrix round trips."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from snorkel_ie.db.bulk import get_or_create_keys, insert_columns
from snorkel_ie.labeling import AnnotationMatrix, load_matrix
from snorkel_ie.labeling.stats import coverage_overlaps_conflicts

BINARY = np.array([[1, 1, 0], [1, -1, 0], [0, -1, -1], [-1, 0, 0], [0, 0, 1]])
GOLD = np.array([1, -1, -1, 1, 0])


def _matrix(dense: np.ndarray, names=None) -> AnnotationMatrix:
    return AnnotationMatrix(
        sp.csr_matrix(dense),
        candidate_ids=np.arange(10, 10 + dense.shape[0]),
        key_names=names or [f"LF_{j}" for j in range(dense.shape[1])],
    )


def test_lf_stats_binary_matches_hand_computed_values() -> None:
    stats = _matrix(BINARY).lf_stats(labels=GOLD, est_accs=[0.5, 0.9, 0.7])
    assert list(stats.columns) == [
        "j",
        "Coverage",
        "Overlaps",
        "Conflicts",
        "TP",
        "FP",
        "FN",
        "TN",
        "Empirical Acc.",
        "Learned Acc.",
    ]
    np.testing.assert_allclose(stats["Coverage"], [0.6, 0.6, 0.4])
    np.testing.assert_allclose(stats["Overlaps"], [0.4, 0.6, 0.2])
    np.testing.assert_allclose(stats["Conflicts"], [0.2, 0.2, 0.0])
    assert stats[["TP", "FP", "FN", "TN"]].values.tolist() == [[1, 1, 1, 0], [1, 0, 0, 2], [0, 0, 0, 1]]
    np.testing.assert_allclose(stats["Empirical Acc."], [1 / 3, 1.0, 1.0])
    assert stats.index.tolist() == ["LF_0", "LF_1", "LF_2"]


def test_lf_stats_categorical_matches_hand_computed_values() -> None:
    L = AnnotationMatrix(sp.csr_matrix(np.array([[1, 2], [3, 3], [0, 2]])), cardinality=3)
    stats = L.lf_stats(labels=np.array([1, 3, 1]))
    np.testing.assert_allclose(stats["Coverage"], [2 / 3, 1.0])
    np.testing.assert_allclose(stats["Overlaps"], [2 / 3, 2 / 3])
    np.testing.assert_allclose(stats["Conflicts"], [1 / 3, 1 / 3])
    assert stats[["Correct", "Incorrect"]].values.tolist() == [[2, 0], [1, 2]]
    np.testing.assert_allclose(stats["Empirical Acc."], [1.0, 1 / 3])


def test_coverage_overlaps_conflicts_agree_with_a_dense_reference() -> None:
    rng = np.random.default_rng(0)
    dense = rng.choice([-1, 0, 0, 1], size=(200, 7))
    cov, ov, conf = coverage_overlaps_conflicts(sp.csr_matrix(dense))
    nz = dense != 0
    row_n = nz.sum(1)
    mixed = np.array([len(set(r[r != 0])) > 1 for r in dense])
    np.testing.assert_allclose(cov, nz.mean(0))
    np.testing.assert_allclose(ov, (nz & (row_n[:, None] > 1)).mean(0))
    np.testing.assert_allclose(conf, (nz & mixed[:, None]).mean(0))


def test_lf_stats_rejects_misaligned_gold() -> None:
    with pytest.raises(ValueError, match="align"):
        _matrix(BINARY).lf_stats(labels=GOLD[:3])


def test_annotation_matrix_maps_rows_and_columns() -> None:
    L = _matrix(BINARY, names=["a", "b", "c"])
    assert L.get_row_index(12) == 2
    assert L.get_col_index("c") == 2
    assert L.copy().candidate_ids.tolist() == L.candidate_ids.tolist()
    with pytest.raises(KeyError):
        L.get_row_index(99)


def test_load_matrix_returns_what_was_written(session, spouse_candidates) -> None:
    train = [c.id for c in spouse_candidates if c.split == 0]
    rng = np.random.default_rng(1)
    dense = rng.choice([-1, 0, 1], size=(len(train), 4))
    with session.get_bind().connect() as conn, conn.begin():
        keys = get_or_create_keys(conn, "label", ["k0", "k1", "k2", "k3"])
        r, c = np.nonzero(dense)
        kid = np.array([keys[f"k{j}"] for j in c])
        insert_columns(
            conn, "label", ["candidate_id", "key_id", "value"], ["i4"] * 3, [np.array(train)[r], kid, dense[r, c]]
        )
    L = load_matrix(session, "label", 0, key_names=["k2", "k0", "missing"])
    assert L.candidate_ids.tolist() == train
    assert L.key_names == ["k2", "k0", "missing"]
    np.testing.assert_array_equal(L.toarray(), np.c_[dense[:, 2], dense[:, 0], np.zeros(len(train), int)])
    everything = load_matrix(session, "label", 0)
    assert everything.key_names == ["k0", "k1", "k2", "k3"]
    np.testing.assert_array_equal(everything.toarray(), dense)
    assert everything.get_candidate(session, 0).id == train[0]
    assert everything.get_key(session, 1).name == "k1"
    dev = load_matrix(session, "label", 1)
    assert dev.shape == (sum(c.split == 1 for c in spouse_candidates), 0)


@pytest.mark.parametrize("table", ["label", "feature"])
def test_load_matrix_with_thousands_of_key_names(session, spouse_candidates, table) -> None:
    """Selecting columns by a long name list (a training split's features) gives the same matrix."""
    train = np.array([c.id for c in spouse_candidates if c.split == 0])
    rng = np.random.default_rng(2)
    n_keys = 1200
    names = [f"f{j}" for j in range(n_keys)]
    dense = rng.choice([0, 1], p=[0.98, 0.02], size=(len(train), n_keys)) * rng.choice([-1, 1], size=(len(train), 1))
    with session.get_bind().connect() as conn, conn.begin():
        keys = get_or_create_keys(conn, table, names)
        r, c = np.nonzero(dense)
        kid = np.array([keys[names[j]] for j in c])
        types = ["i4"] * 3 if table == "label" else ["i4", "i4", "f8"]
        insert_columns(conn, table, ["candidate_id", "key_id", "value"], types, [train[r], kid, dense[r, c]])
    wanted = [*names[::-2], "never seen"]  # 600 existing names in reverse order, and a missing one
    M = load_matrix(session, table, 0, key_names=wanted)
    assert M.key_names == wanted
    expected = np.c_[dense[:, ::-2], np.zeros(len(train))]
    np.testing.assert_array_equal(M.toarray(), expected)
    assert M.nnz == np.count_nonzero(expected) > 0
