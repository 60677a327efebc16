"""Snorkel 0.7 LF helpers: ``test_LF``, ``get_text_splits`` and ``get_matches(candidate_set=...)`` (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from snorkel_ie.db.models import Candidate, Document, Span, candidate_subclass, span_stable_id
from snorkel_ie.errors import ConfigurationError, LabelingError
from snorkel_ie.labeling import lf_helpers, load_gold_labels_from_tsv, save_gold_labels
from tests.labeling.conftest import SPOUSE, Spouse, _sentence, build_spouse_candidates

Triple = candidate_subclass("Triple", ["a", "b", "c"])

WEDDING = "Yesterday Kim Davis married Joe Davis in Ohio."


def _ids(cands) -> set[int]:
    return {c.id for c in cands}


def _pair(c) -> tuple[str, ...]:
    return tuple(s.get_span() for s in c.get_contexts())


# -- test_LF ------------------------------------------------------------------------------


@pytest.fixture
def planned(session):
    """9 real spouse candidates in split 1 (7 in split 0), gold and LF votes planned per candidate."""
    cands = build_spouse_candidates(session, splits=(1, 1, 0, 1))
    dev = [c for c in cands if c.split == 1]
    train = [c for c in cands if c.split == 0]
    assert len(dev) == 9 and len(train) == 7
    #            TP  FP  TN  FN  abstain  None  no gold  no gold  False
    gold_plan = [1, -1, -1, 1, 1, -1, 0, 0, -1]
    vote_plan = [1, 1, -1, -1, 0, None, 1, -1, False]
    save_gold_labels(session, dev + train, gold_plan + [1] * len(train))
    votes = {c.id: v for c, v in zip(dev, vote_plan, strict=True)} | {c.id: 1 for c in train}

    def LF_planned(c):
        return votes[c.id]

    return dev, train, LF_planned


def test_test_LF_buckets_votes_against_gold(session, planned, capsys) -> None:
    dev, _, lf = planned
    tp, fp, tn, fn = lf_helpers.test_LF(session, lf, split=1, annotator_name="gold")
    assert (_ids(tp), _ids(fp), _ids(tn), _ids(fn)) == ({dev[0].id}, {dev[1].id}, {dev[2].id}, {dev[3].id})
    out = capsys.readouterr().out
    # votes on dev[0, 1, 2, 3, 6, 7]: 6 of 9; abstentions (0, None, False) and candidates without gold are unscored
    assert "LF LF_planned on split 1: labeled 6 of 9 candidates (coverage 66.7%), 4 with gold" in out
    assert "Precision            0.500" in out and "Recall               0.500" in out
    assert "F1                   0.500" in out
    assert "TP: 1 | FP: 1 | TN: 1 | FN: 1" in out


def test_test_LF_defaults_and_bucket_names(session, planned, capsys) -> None:
    dev, train, lf = planned
    buckets = lf_helpers.test_LF(session, lf)  # split=1, annotator 'gold' by default, as 0.7 notebooks call it
    assert _ids(buckets.tp) == {dev[0].id} and _ids(buckets.fn) == {dev[3].id}
    everywhere = lf_helpers.test_LF(session, lf, None)
    assert _ids(everywhere.tp) == {dev[0].id} | _ids(train)
    assert "on all splits: labeled 13 of 16" in capsys.readouterr().out


def test_test_LF_reads_the_named_annotator(session, planned, capsys) -> None:
    dev, _, lf = planned
    save_gold_labels(session, dev[:4], [-1, 1, 1, -1], annotator_name="expert")  # each of the four flipped
    tp, fp, tn, fn = lf_helpers.test_LF(session, lf, 1, "expert")
    assert (_ids(tp), _ids(fp), _ids(tn), _ids(fn)) == ({dev[1].id}, {dev[0].id}, {dev[3].id}, {dev[2].id})
    assert "4 with gold" in capsys.readouterr().out


def test_test_LF_without_gold_scores_nothing(session, planned, capsys) -> None:
    _, _, lf = planned
    buckets = lf_helpers.test_LF(session, lf, annotator_name="nobody")
    assert buckets == (set(), set(), set(), set())
    out = capsys.readouterr().out
    assert "No gold labels from annotator 'nobody' on split 1" in out
    assert "TP: 0 | FP: 0 | TN: 0 | FN: 0" in out


def test_test_LF_restricts_to_a_candidate_class(session, planned, capsys) -> None:
    _, _, lf = planned
    assert lf_helpers.test_LF(session, lf, candidate_class=Triple) == (set(), set(), set(), set())
    assert "labeled 0 of 0 candidates" in capsys.readouterr().out
    assert lf_helpers.test_LF(session, lf, candidate_class=Spouse).tp


def test_test_LF_names_the_candidate_an_lf_fails_on(session, planned) -> None:
    dev, _, _ = planned

    def LF_breaks(c):
        if c.id == dev[3].id:
            raise KeyError("no such word")
        return 0

    with pytest.raises(LabelingError, match=rf"LF 'LF_breaks' raised on candidate {dev[3].id}: KeyError"):
        lf_helpers.test_LF(session, LF_breaks)

    def LF_says_yes(c):
        return "yes"

    with pytest.raises(LabelingError, match=rf"on candidate {dev[0].id} returned 'yes'"):
        lf_helpers.test_LF(session, LF_says_yes)


def test_test_LF_refuses_non_binary_gold(session, planned) -> None:
    dev, _, lf = planned
    save_gold_labels(session, dev[:1], [2], annotator_name="graded")
    with pytest.raises(ConfigurationError, match=rf"candidate {dev[0].id} the gold label 2"):
        lf_helpers.test_LF(session, lf, annotator_name="graded")


def test_test_LF_with_a_real_lf_and_the_spouse_gold_file(session, spouse_candidates, capsys) -> None:
    for split in (0, 1):
        load_gold_labels_from_tsv(session, SPOUSE / "gold_labels.tsv", Spouse, split=split, symmetric=True)

    def LF_spouse_words(c):
        between = lf_helpers.get_between_tokens(c)
        if {"husband", "wife"} & set(between):
            return 1
        return -1 if "editing" in between else 0

    tp, fp, tn, fn = lf_helpers.test_LF(session, LF_spouse_words, split=1)
    # split 1: "Nandini Fashion ... with her husband Kumar" is a couple (gold +1); "Editing by Alistair Bell,
    # Kevin Drawbaugh and Bill Rigby" pairs are not (gold -1); "Emily Flitter ... Donald Trump" gets no vote
    assert {_pair(c) for c in tp} == {("Nandini Fashion", "Kumar")}
    assert {_pair(c) for c in tn} == {("Alistair Bell", "Kevin Drawbaugh"), ("Alistair Bell", "Bill Rigby")}
    assert fp == set() and fn == set()
    assert "labeled 3 of 5 candidates (coverage 60.0%), 3 with gold" in capsys.readouterr().out
    tp, fp, tn, fn = lf_helpers.test_LF(session, LF_spouse_words, 0)
    assert {_pair(c) for c in tp} == {("Lopez", "Lilian Tintori")}  # "... Lopez's wife, Lilian Tintori"
    assert {_pair(c) for c in tn} == {("Eyanir Chinea", "Andrew Hay")}
    assert fp == set() and fn == set()


def test_test_LF_is_not_collected_by_pytest() -> None:
    assert lf_helpers.test_LF.__test__ is False


# -- get_text_splits ----------------------------------------------------------------------


@pytest.fixture
def wedding(session):
    """One persisted sentence with three spans: "Kim Davis", "Joe Davis", "Ohio"."""
    doc = Document("wedding")
    sent = _sentence(doc, 0, WEDDING, 0, len(WEDDING))
    spans = {}
    for name in ("Kim Davis", "Joe Davis", "Ohio"):
        a = WEDDING.index(name)
        spans[name] = Span(
            sentence=sent, char_start=a, char_end=a + len(name), stable_id=span_stable_id("wedding", a, a + len(name))
        )
    session.add(doc)
    session.commit()
    return spans


def test_get_text_splits_of_a_binary_candidate(session, wedding) -> None:
    kim, joe = wedding["Kim Davis"], wedding["Joe Davis"]
    session.add_all([Spouse(person1=kim, person2=joe, split=0), Spouse(person1=joe, person2=kim, split=0)])
    session.commit()
    forward, inverted = session.scalars(select(Spouse).order_by(Candidate.id)).all()
    assert lf_helpers.get_text_splits(forward) == ["Yesterday ", "{{A}}", " married ", "{{B}}", " in Ohio."]
    assert lf_helpers.get_text_splits(inverted) == ["Yesterday ", "{{B}}", " married ", "{{A}}", " in Ohio."]
    assert lf_helpers.get_tagged_text(inverted) == "Yesterday {{B}} married {{A}} in Ohio."
    assert lf_helpers.get_text_between(inverted) == lf_helpers.get_text_splits(inverted)[2]


def test_get_text_splits_of_a_ternary_candidate_and_a_span(session, wedding) -> None:
    session.add(Triple(a=wedding["Ohio"], b=wedding["Kim Davis"], c=wedding["Joe Davis"], split=0))
    session.commit()
    (c,) = session.scalars(select(Triple)).all()
    assert lf_helpers.get_text_splits(c) == ["Yesterday ", "{{B}}", " married ", "{{C}}", " in ", "{{A}}", "."]
    assert lf_helpers.get_text_splits(wedding["Ohio"]) == ["Yesterday Kim Davis married Joe Davis in ", "{{A}}", "."]


def test_get_text_splits_needs_one_document(session, wedding, spouse_candidates) -> None:
    other = spouse_candidates[0].get_contexts()[0]
    with pytest.raises(ValueError, match="argument 1 is in another document"):
        lf_helpers.get_text_splits((wedding["Kim Davis"], other))


def test_get_text_splits_rebuilds_real_sentences(spouse_candidates) -> None:
    for c in spouse_candidates:
        chunks = lf_helpers.get_text_splits(c)
        assert len(chunks) == 5 and chunks[1] != chunks[3] and {chunks[1], chunks[3]} == {"{{A}}", "{{B}}"}
        by_tag = {"{{A}}": c.person1.get_span(), "{{B}}": c.person2.get_span()}
        assert "".join(by_tag.get(x, x) for x in chunks) == c.sentence.text


# -- get_matches(candidate_set=...) -------------------------------------------------------


def test_get_matches_accepts_the_0_7_candidate_set_name(spouse_candidates, capsys) -> None:
    def LF_and(c):
        return 1 if lf_helpers.get_between_tokens(c) == ["and"] else 0

    # "Jennie Agg and Lucy Elkins", "Kevin Drawbaugh and Bill Rigby"
    want = {("Jennie Agg", "Lucy Elkins"), ("Kevin Drawbaugh", "Bill Rigby")}
    assert {_pair(c) for c in lf_helpers.get_matches(LF_and, candidate_set=spouse_candidates)} == want
    assert {_pair(c) for c in lf_helpers.get_matches(LF_and, spouse_candidates)} == want
    assert {_pair(c) for c in lf_helpers.get_matches(LF_and, candidates=spouse_candidates)} == want
    assert capsys.readouterr().out.split("\n")[:3] == ["2 matches"] * 3
    with pytest.raises(TypeError, match="not both"):
        lf_helpers.get_matches(LF_and, spouse_candidates, candidate_set=spouse_candidates)
    with pytest.raises(TypeError, match="missing the candidates"):
        lf_helpers.get_matches(LF_and)
