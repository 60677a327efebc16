"""Snorkel 0.7 signatures of the labeling API, on both backends.

Every expectation is built independently of the code under test: label values by calling
the LFs on the ORM candidates, restricted matrices by slicing that by hand, features by
calling the featurizer, gold vectors from the labels written.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sqlalchemy import select

from snorkel_ie.db.models import AnnotationKey, Candidate, Label
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling import (
    AnnotationMatrix,
    FeatureAnnotator,
    LabelAnnotator,
    load_gold_labels,
    load_marginals,
    save_gold_labels,
    save_marginals,
)
from snorkel_ie.labeling.featurizers import get_span_feats
from tests.labeling.test_annotator import LFS, LF_and_between, LF_far_apart, LF_same_last_name, expected


def _split(cands, split: int) -> list:
    return [c for c in cands if c.split == split]


def LF_new(c) -> int:
    return 1


def LF_by_id(c) -> int:
    """Values -1, 0 and 1 in turn, so zero_one has something to map."""
    return (-1, 0, 1)[c.id % 3]


# -- apply: 0.7 order and options ---------------------------------------------------------------
def test_label_apply_takes_07_positional_order_and_options(session, spouse_candidates, capsys) -> None:
    train = _split(spouse_candidates, 0)
    L = LabelAnnotator(lfs=LFS).apply(0, 0, True, None, session=session, parallelism=None, progress_bar=False)
    assert L.candidate_ids.tolist() == [c.id for c in train]
    np.testing.assert_array_equal(L.toarray(), expected(train, LFS))
    assert capsys.readouterr().out == ""  # progress_bar=False: no summary


def test_progress_bar_wins_over_progress_and_count_sets_the_total(session, spouse_candidates, capsys) -> None:
    train = _split(spouse_candidates, 0)
    count = len(train) + 7
    L = LabelAnnotator(lfs=LFS).apply(split=0, session=session, progress=False, progress_bar=True, count=count)
    captured = capsys.readouterr()
    assert f"{len(train)} candidates" in captured.out  # the summary is printed
    assert f"{len(train)}/{count}" in captured.err  # the bar's total is count...
    np.testing.assert_array_equal(L.toarray(), expected(train, LFS))  # ...which limits nothing


@pytest.mark.parametrize("count", [-1, 2.5, "10", True])
def test_apply_rejects_a_bad_count(session, spouse_candidates, count) -> None:
    with pytest.raises(ConfigurationError, match="count"):
        LabelAnnotator(lfs=LFS).apply(split=0, session=session, progress=False, count=count)


def test_key_group_other_than_0_raises_before_writing(session, spouse_candidates) -> None:
    labeler = LabelAnnotator(lfs=LFS)
    with pytest.raises(ConfigurationError, match="key_group=1"):
        labeler.apply(0, 1, session=session, progress=False)
    with pytest.raises(ConfigurationError, match="key_group=2"):
        labeler.apply_existing(split=1, key_group=2, session=session, progress=False)
    with pytest.raises(ConfigurationError, match="key_group=1"):
        FeatureAnnotator().apply(split=0, key_group=1, session=session, progress=False)
    assert session.query(Label).count() == 0
    assert session.query(AnnotationKey).count() == 0
    with pytest.raises(ConfigurationError, match="key_group=3"):
        labeler.load_matrix(session, 0, key_group=3)
    with pytest.raises(ConfigurationError, match="key_group=1"):
        load_gold_labels(session, "gold", split=1, key_group=1)


def test_apply_existing_accepts_key_group_0(session, spouse_candidates) -> None:
    dev = _split(spouse_candidates, 1)
    labeler = LabelAnnotator(lfs=LFS)
    labeler.apply(split=0, session=session, progress=False)
    L_dev = labeler.apply_existing(split=1, key_group=0, session=session, progress=False)
    assert L_dev.lf_names == labeler.lf_names
    np.testing.assert_array_equal(L_dev.toarray(), expected(dev, LFS))


def test_replace_key_set_false_skips_lfs_without_a_key(session, spouse_candidates) -> None:
    dev = _split(spouse_candidates, 1)
    LabelAnnotator(lfs=LFS).apply(split=0, session=session, progress=False)
    labeler = LabelAnnotator(lfs=[LF_far_apart, LF_new])
    with pytest.warns(UserWarning, match=r"LF\(s\) \['LF_new'\]"):
        L_dev = labeler.apply_existing(split=1, session=session, progress=False)
    assert L_dev.lf_names == ["LF_far_apart"]
    np.testing.assert_array_equal(L_dev.toarray(), expected(dev, [LF_far_apart]))
    assert session.scalar(select(AnnotationKey).where(AnnotationKey.name == "LF_new")) is None
    with pytest.warns(UserWarning, match="LF_new"):
        positional = labeler.apply(1, 0, False, session=session, progress=False)
    assert positional.lf_names == ["LF_far_apart"]
    # replace_key_set=True (apply's default) runs it and gives it a key; after that it is in the key set.
    L_all = labeler.apply(1, 0, True, session=session, progress=False)
    np.testing.assert_array_equal(L_all.toarray(), expected(dev, [LF_far_apart, LF_new]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = labeler.apply_existing(split=1, session=session, progress=False)
    assert again.lf_names == ["LF_far_apart", "LF_new"]


# -- cids_query ---------------------------------------------------------------------------------
def test_label_apply_cids_query_as_4th_positional_labels_those_candidates(session, spouse_candidates) -> None:
    dev = _split(spouse_candidates, 1)
    query = session.query(Candidate.id).filter(Candidate.split == 1)
    L = LabelAnnotator(lfs=LFS).apply(0, 0, True, query, session=session, progress=False)
    assert L.candidate_ids.tolist() == [c.id for c in dev]
    np.testing.assert_array_equal(L.toarray(), expected(dev, LFS))


def test_label_apply_cids_query_may_span_splits(session, spouse_candidates) -> None:
    pick = sorted(_split(spouse_candidates, 0)[:2] + _split(spouse_candidates, 1)[-2:], key=lambda c: c.id)
    stmt = select(Candidate.id).where(Candidate.id.in_([c.id for c in pick]))
    L = LabelAnnotator(lfs=LFS).apply(split=0, cids_query=stmt, session=session, progress=False)
    assert L.candidate_ids.tolist() == [c.id for c in pick]
    np.testing.assert_array_equal(L.toarray(), expected(pick, LFS))


@pytest.mark.parametrize(("bad", "message"), [("12", "cids_query must be"), ([1, "x"], "item 2")])
def test_cids_query_names_what_is_wrong(session, spouse_candidates, bad, message) -> None:
    with pytest.raises(ConfigurationError, match=message):
        LabelAnnotator(lfs=LFS).apply(split=0, cids_query=bad, session=session, progress=False)


# -- load_matrix --------------------------------------------------------------------------------
def test_load_matrix_cids_query_and_key_names_restrict_by_hand(session, spouse_candidates) -> None:
    train = _split(spouse_candidates, 0)
    labeler = LabelAnnotator(lfs=LFS)
    labeler.apply(split=0, session=session, progress=False)
    full = expected(train, LFS)
    rows = [1, 3, len(train) - 1]
    query = session.query(Candidate.id).filter(Candidate.id.in_([train[i].id for i in rows]))
    sub = labeler.load_matrix(session, cids_query=query)
    assert sub.candidate_ids.tolist() == [train[i].id for i in rows]
    np.testing.assert_array_equal(sub.toarray(), full[rows])
    cols = labeler.load_matrix(session, 0, key_names=["LF_and_between", "LF_same_last_name"])
    assert cols.lf_names == ["LF_and_between", "LF_same_last_name"]
    np.testing.assert_array_equal(cols.toarray(), full[:, [2, 0]])
    both = labeler.load_matrix(session, cids_query=[train[i] for i in rows], key_names=["LF_far_apart"])
    np.testing.assert_array_equal(both.toarray(), full[rows][:, [1]])
    with pytest.raises(ConfigurationError, match="not both"):
        labeler.load_matrix(session, cids_query=query, candidate_ids=np.array([train[0].id]))


def test_load_matrix_zero_one_and_load_as_array(session, spouse_candidates) -> None:
    train = _split(spouse_candidates, 0)
    lfs = [LF_by_id, LF_same_last_name]
    labeler = LabelAnnotator(lfs=lfs)
    labeler.apply(split=0, session=session, progress=False)
    full = expected(train, lfs)
    assert (full == -1).any() and (full == 1).any()
    zo = labeler.load_matrix(session, 0, zero_one=True)
    assert isinstance(zo, AnnotationMatrix) and zo.lf_names == ["LF_by_id", "LF_same_last_name"]
    np.testing.assert_array_equal(zo.toarray(), (full == 1).astype(np.int64))
    assert zo.nnz == int((full == 1).sum())  # the -1s are gone, not stored zeros
    dense = labeler.load_matrix(session, 0, load_as_array=True)
    assert isinstance(dense, np.ndarray) and not isinstance(dense, AnnotationMatrix)
    np.testing.assert_array_equal(dense, full)
    column = labeler.load_matrix(session, 0, key_names=["LF_by_id"], zero_one=True, load_as_array=True)
    np.testing.assert_array_equal(column, [1 if c.id % 3 == 2 else 0 for c in train])
    # the stored labels are untouched
    np.testing.assert_array_equal(labeler.load_matrix(session, 0).toarray(), full)


# -- gold ---------------------------------------------------------------------------------------
def test_load_gold_labels_07_options(session, spouse_candidates) -> None:
    dev = _split(spouse_candidates, 1)
    gold = [(-1, 0, 1)[i % 3] for i in range(len(dev))]
    save_gold_labels(session, dev, gold)
    vec = load_gold_labels(session, annotator_name="gold", split=1, load_as_array=True)
    assert vec.shape == (len(dev),)
    np.testing.assert_array_equal(vec, gold)
    zo = load_gold_labels(session, "gold", 1, zero_one=True)
    np.testing.assert_array_equal(zo.toarray().ravel(), [1 if g == 1 else 0 for g in gold])
    rows = [0, 2, len(dev) - 1]
    query = session.query(Candidate.id).filter(Candidate.id.in_([dev[i].id for i in rows]))
    sub = load_gold_labels(session, "gold", split=0, cids_query=query, zero_one=True, load_as_array=True)
    np.testing.assert_array_equal(sub, [1 if gold[i] == 1 else 0 for i in rows])  # split 0 is ignored


# -- features -----------------------------------------------------------------------------------
def test_feature_apply_07_order_and_cids_query(session, spouse_candidates) -> None:
    train, dev = _split(spouse_candidates, 0), _split(spouse_candidates, 1)
    featurizer = FeatureAnnotator()
    F_train = featurizer.apply(0, 0, True, None, session=session, parallelism=None, progress_bar=False, clear=True)
    subset = dev[1:4]
    F_sub = featurizer.apply_existing(1, 0, [c.id for c in subset], session=session, progress_bar=False)
    assert F_sub.key_names == F_train.key_names
    assert F_sub.candidate_ids.tolist() == [c.id for c in subset]
    known = set(F_train.key_names)
    for i, c in enumerate(subset):
        assert {F_sub.key_names[j] for j in F_sub[i].indices} == set(get_span_feats(c)) & known
    # only the subset was featurized: the other dev candidates have no rows
    F_dev = featurizer.load_matrix(session, 1, key_names=F_train.key_names)
    others = [i for i, c in enumerate(dev) if c not in subset]
    assert F_dev[others].nnz == 0
    F_q = featurizer.load_matrix(session, cids_query=np.array([c.id for c in train[:2]]), key_names=F_train.key_names)
    assert (F_q != F_train[:2]).nnz == 0


def _feats_v1(c):
    return ["A", f"B{c.id % 2}"]


def _feats_v2(c):
    return [("A", 2.0), "C"]


@pytest.mark.parametrize("clear", [True, False])
def test_feature_apply_clear(session, spouse_candidates, clear) -> None:
    train = _split(spouse_candidates, 0)
    FeatureAnnotator(_feats_v1).apply(split=0, session=session, progress=False)
    F = FeatureAnnotator(_feats_v2).apply(split=0, session=session, clear=clear, progress=False)
    want = []
    for c in train:
        row = {"A": 2.0, "C": 1.0}  # produced again: the new value wins
        if not clear:
            row[f"B{c.id % 2}"] = 1.0  # kept from the first run
        want.append(row)
    got = [{F.key_names[j]: F[i, j] for j in F[i].indices} for i in range(F.shape[0])]
    assert got == want


def test_feature_load_matrix_zero_one_and_array(session, spouse_candidates) -> None:
    train = _split(spouse_candidates, 0)
    featurizer = FeatureAnnotator(_feats_v2)
    featurizer.apply(split=0, session=session, progress=False)
    dense = featurizer.load_matrix(session, 0, key_names=["A", "C"], load_as_array=True)
    np.testing.assert_array_equal(dense, np.tile([2.0, 1.0], (len(train), 1)))
    zo = featurizer.load_matrix(session, 0, key_names=["A", "C"], zero_one=True, load_as_array=True)
    np.testing.assert_array_equal(zo, np.tile([0.0, 1.0], (len(train), 1)))


# -- marginals ----------------------------------------------------------------------------------
def test_marginals_07_positional_training_and_cids_query(session, spouse_candidates) -> None:
    train = _split(spouse_candidates, 0)
    L = LabelAnnotator(lfs=[LF_and_between]).apply(split=0, session=session, progress=False)
    p = np.linspace(0.1, 0.9, L.shape[0])
    save_marginals(session, L, p, False)  # 0.7: training is the 4th positional
    assert np.isnan(load_marginals(session, None, 0, None, True)).all()
    np.testing.assert_allclose(load_marginals(session, None, 0, None, False), p)
    rows = [0, 2, len(train) - 1]
    query = session.query(Candidate.id).filter(Candidate.id.in_([train[i].id for i in rows]))
    np.testing.assert_allclose(load_marginals(session, None, 0, query, False), p[rows])
    with_x = load_marginals(session, L, 0, query, False)
    want = np.full(len(train), np.nan)
    want[rows] = p[rows]
    np.testing.assert_allclose(with_x, want)


def _feats_then_fail(c):
    if c.id % 5 == 4:
        raise RuntimeError("featurizer bug")
    return ["NEW"]


def test_feature_apply_clear_false_keeps_the_old_rows_when_the_run_fails(session, spouse_candidates) -> None:
    from snorkel_ie.errors import LabelingError

    train = _split(spouse_candidates, 0)
    assert any(c.id % 5 == 4 for c in train)
    before = FeatureAnnotator(_feats_v1).apply(split=0, session=session, progress=False)
    with pytest.raises(LabelingError):
        FeatureAnnotator(_feats_then_fail).apply(split=0, session=session, clear=False, fail_fast=True, progress=False)
    session.rollback()  # a fresh snapshot (SQLite would otherwise still show the rows as they were)
    after = FeatureAnnotator(_feats_v1).load_matrix(session, 0, key_names=before.key_names)
    # Every feature row stored before the failed run is still there, with its value.
    assert (after != before).nnz == 0


def test_feature_apply_on_a_subset_keeps_the_split_key_set(session, spouse_candidates) -> None:
    train, dev = _split(spouse_candidates, 0), _split(spouse_candidates, 1)
    featurizer = FeatureAnnotator()
    F_train = featurizer.apply(split=0, session=session, progress=False)
    featurizer.apply(split=0, cids_query=[train[0].id], session=session, progress=False)
    F_dev = featurizer.apply_existing(split=1, session=session, progress=False)
    assert F_dev.key_names == F_train.key_names
    assert F_dev.shape == (len(dev), F_train.shape[1])


def test_cids_query_names_ids_that_are_not_candidates(session, spouse_candidates) -> None:
    missing = max(c.id for c in spouse_candidates) + 1000
    with pytest.raises(ConfigurationError, match=str(missing)):
        LabelAnnotator(lfs=LFS).apply(cids_query=[spouse_candidates[0].id, missing], session=session, progress=False)
