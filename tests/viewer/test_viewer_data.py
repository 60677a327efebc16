"""The viewer's data on both backends: records, filters, error classes, label round trips, the text fallback."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.errors import CandidateError, ConfigurationError
from snorkel_ie.labeling import load_gold_labels, load_matrix
from snorkel_ie.viewer import SentenceNgramViewer
from snorkel_ie.viewer.records import candidate_record
from tests.viewer.conftest import LFS, add_document_scope_candidate


def _reader(session) -> SnorkelSession:
    """A second session on the same database (what another process would see)."""
    return SnorkelSession(bind=session.get_bind())


def test_viewer_records_mark_each_argument_in_its_sentence(session, viewer_candidates):
    sv = SentenceNgramViewer(viewer_candidates, session, n_per_page=4)
    page = sv.page(0)
    assert [r["id"] for r in page["records"]] == [c.id for c in viewer_candidates[:4]]
    for rec, cand in zip(page["records"], viewer_candidates, strict=False):
        (sentence,) = rec["sentences"]
        marked = [sentence["text"][m["start"] : m["end"]] for m in sentence["marks"]]
        assert marked == [cand.person1.get_span(), cand.person2.get_span()]
        assert [a["name"] for a in rec["args"]] == ["person1", "person2"]
    assert page["pages"] == int(np.ceil(len(viewer_candidates) / 4))


def test_viewer_record_of_arguments_in_two_sentences_shows_both(session, viewer_candidates):
    cand = add_document_scope_candidate(session, viewer_candidates[0], split=0)
    other = cand.person2.sentence
    rec = candidate_record(cand, ("person1", "person2"))
    assert [s["id"] for s in rec["sentences"]] == [cand.sentence.id, other.id]
    first, second = rec["sentences"]
    assert [m["arg"] for m in first["marks"]] == [0] and [m["arg"] for m in second["marks"]] == [1]
    assert second["text"][28:31] == "him" and rec["args"][1]["text"] == "him"
    sv = SentenceNgramViewer([cand], session)
    assert "[[1:him]]" in sv.text() and f"[[0:{cand.person1.get_span()}]]" in sv.text()


def test_viewer_filters_match_the_label_matrix(session, viewer_candidates):
    sv = SentenceNgramViewer(viewer_candidates, session, n_per_page=100)
    L = load_matrix(session, "label", 0).toarray()
    ids = load_matrix(session, "label", 0).candidate_ids
    names = load_matrix(session, "label", 0).key_names
    assert sorted(sv.candidates.lf_names) == sorted(lf.__name__ for lf in LFS)
    for j, name in enumerate(names):
        shown = {r["id"] for r in sv.page(0, lf=name)["records"]}
        assert shown == set(ids[L[:, j] != 0].tolist())
    conflicting = {int(i) for i, row in zip(ids, L, strict=True) if (row > 0).any() and (row < 0).any()}
    assert conflicting, "the test data should have conflicting LFs"
    assert {r["id"] for r in sv.page(0, conflict=True)["records"]} == conflicting
    with pytest.raises(ConfigurationError, match="unknown LF"):
        sv.page(0, lf="LF_nope")
    with pytest.raises(ConfigurationError, match="error must be one of"):
        sv.page(0, error="tpx")


def test_viewer_error_classes_compare_predictions_with_the_labels(session, viewer_candidates):
    rng = np.random.default_rng(0)
    n = len(viewer_candidates)
    pred = rng.choice([-1, 1], size=n)
    gold = rng.choice([-1, 0, 1], size=n)
    sv = SentenceNgramViewer(viewer_candidates, session, n_per_page=100, predictions=pred)
    for c, g in zip(viewer_candidates, gold, strict=True):
        if g:
            sv.label(c, int(g))
    expected = {"tp": (1, 1), "fp": (1, -1), "tn": (-1, -1), "fn": (-1, 1)}
    for name, (p, g) in expected.items():
        want = {c.id for c, pi, gi in zip(viewer_candidates, pred, gold, strict=True) if pi == p and gi == g}
        got = {r["id"] for r in sv.page(0, error=name)["records"]}
        assert got == want, name
    assert {r["id"] for r in sv.page(0, label="unlabeled")["records"]} == {
        c.id for c, g in zip(viewer_candidates, gold, strict=True) if g == 0
    }


def test_viewer_label_round_trip_and_reopen(session, viewer_candidates):
    a, b, c = viewer_candidates[:3]
    sv = SentenceNgramViewer(viewer_candidates, session, annotator_name="alice")
    assert sv.label(a, 1) == 1
    assert sv.label(b, -1) == -1
    assert sv.label(b, 1) == 1  # the same annotator twice: the last label stays
    assert sv.label(c, -1) == -1 and sv.label(c, 0) == 0  # 0 clears
    reader = _reader(session)
    gold = load_gold_labels(reader, "alice", split=0)
    by_id = dict(zip(gold.candidate_ids.tolist(), np.asarray(gold.toarray()).ravel().tolist(), strict=True))
    assert (by_id[a.id], by_id[b.id], by_id[c.id]) == (1, 1, 0)
    assert load_gold_labels(reader, "gold", split=0).nnz == 0  # another annotator's labels are apart
    reader.close()
    reopened = SentenceNgramViewer(viewer_candidates, _reader(session), annotator_name="alice")
    labels = {r["id"]: r["label"] for r in reopened.page(0)["records"]}
    assert labels == {a.id: 1, b.id: 1, c.id: 0}


def test_viewer_refuses_bad_labels_and_foreign_candidates(session, viewer_candidates):
    sv = SentenceNgramViewer(viewer_candidates[:4], session)
    for bad in (2, "1", True, 0.5, None):
        with pytest.raises(ConfigurationError, match="label must be one of"):
            sv.label(viewer_candidates[0], bad)
    with pytest.raises(CandidateError, match="not among the 4 candidates"):
        sv.label(viewer_candidates[5], 1)
    with pytest.raises(ConfigurationError, match="annotator name"):
        SentenceNgramViewer(viewer_candidates, session, annotator_name="a b; drop")
    assert load_gold_labels(session, "gold", split=0).nnz == 0


def test_viewer_message_channel_stores_labels_and_selection(session, viewer_candidates):
    sv = SentenceNgramViewer(viewer_candidates, session)
    target = viewer_candidates[2]
    sv._answer(sv, {"kind": "label", "req": 1, "candidate_id": target.id, "value": -1}, None)
    sv._answer(sv, {"kind": "label", "req": 2, "candidate_id": target.id, "value": 7}, None)  # refused, not raised
    assert load_gold_labels(_reader(session), "gold", split=0).toarray().ravel().tolist().count(-1) == 1
    assert sv.get_selected().id == viewer_candidates[0].id
    sv.selected_id = target.id  # what a click in the front end syncs
    assert sv.get_selected() is target


def test_viewer_text_fallback_lists_the_first_page(session, viewer_candidates):
    sv = SentenceNgramViewer(viewer_candidates, session, n_per_page=2)
    sv.label(viewer_candidates[1], 1)
    text = repr(sv)
    bundle = sv._repr_mimebundle_()
    plain = bundle[0]["text/plain"] if isinstance(bundle, tuple) else bundle["text/plain"]
    assert plain == text
    assert f"[[0:{viewer_candidates[0].person1.get_span()}]]" in text
    assert f"id={viewer_candidates[1].id} label=True" in text
    assert "page 1 of" in text and f"{len(viewer_candidates)} candidates, 1 labeled" in text


def test_viewer_tqdm_notebook_bars_without_warning():
    from tqdm import TqdmWarning
    from tqdm.notebook import tqdm

    with warnings.catch_warnings():
        warnings.simplefilter("error", TqdmWarning)
        bar = tqdm(range(3), disable=False)
        list(bar)
        bar.close()


def test_viewer_of_no_candidates_shows_an_empty_page(session):
    sv = SentenceNgramViewer([], session)
    assert sv.get_selected() is None
    page = sv.page(0, conflict=True)
    assert (page["total"], page["pages"], page["records"]) == (0, 1, [])
    assert repr(sv).startswith("SentenceNgramViewer: 0 candidates")
