"""The 0.7 intro tutorial (spouses in news, parts 1-3) written as a 0.7 user wrote it, after the rename.

Each ``_tutorial_N`` function is one notebook: its imports, its calls in its argument
orders, its helper module (``compat07_intro_util``, 0.7's ``util.py``: ``StableLabel`` +
``reload_annotator_labels`` for gold). The notebooks share one database, as the 0.7
notebooks did, and each opens its own ``SnorkelSession()`` from ``SNORKELDB``. Data: 30
short articles of ``tutorials/intro/data`` with a positive gold pair (tests/compat07/_data.py).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.compat07._data import write_spouse_data

N_DOCS = 30


def _tutorial_1(n_docs):
    from snorkel_ie import SnorkelSession

    session = SnorkelSession()

    from snorkel_ie.parser import TSVDocPreprocessor

    doc_preprocessor = TSVDocPreprocessor("data/articles.tsv", max_docs=n_docs)

    from compat07_intro_util import PersonTagger

    from snorkel_ie.parser import CorpusParser
    from snorkel_ie.parser.spacy_parser import Spacy

    corpus_parser = CorpusParser(parser=Spacy(), fn=PersonTagger().tag)
    corpus_parser.apply(doc_preprocessor, count=n_docs)

    from snorkel_ie.models import Document, Sentence

    assert session.query(Document).count() == n_docs
    assert session.query(Sentence).count() > n_docs

    from snorkel_ie.models import candidate_subclass

    Spouse = candidate_subclass("Spouse", ["person1", "person2"])

    from snorkel_ie.candidates import CandidateExtractor, Ngrams
    from snorkel_ie.matchers import PersonMatcher

    ngrams = Ngrams(n_max=7)
    person_matcher = PersonMatcher(longest_match_only=True)
    cand_extractor = CandidateExtractor(Spouse, [ngrams, ngrams], [person_matcher, person_matcher])

    from compat07_intro_util import number_of_people

    docs = session.query(Document).order_by(Document.name).all()
    train_sents, dev_sents, test_sents = set(), set(), set()
    for i, doc in enumerate(docs):
        for s in doc.sentences:
            if number_of_people(s) <= 5:
                if i % 10 == 8:
                    dev_sents.add(s)
                elif i % 10 == 9:
                    test_sents.add(s)
                else:
                    train_sents.add(s)

    counts = []
    for i, sents in enumerate([train_sents, dev_sents, test_sents]):
        cand_extractor.apply(sents, split=i)
        counts.append(session.query(Spouse).filter(Spouse.split == i).count())
    assert all(n > 0 for n in counts), counts

    from compat07_intro_util import load_external_labels

    load_external_labels(session, Spouse, annotator_name="gold")
    session.close()
    return counts


# --- the LFs of part 2, in 0.7's style (0.7 LF helpers over the candidate) ------------------
from snorkel_ie.lf_helpers import (  # noqa: E402
    get_between_tokens,
    get_left_tokens,
    get_right_tokens,
    get_text_between,
)

spouses = {"spouse", "wife", "husband", "ex-wife", "ex-husband"}
family = {"father", "mother", "sister", "brother", "son", "daughter", "grandfather", "grandmother", "uncle", "aunt"}
other = {"boyfriend", "girlfriend", "boss", "employee", "secretary", "co-worker"}


def LF_husband_wife(c):
    return 1 if len(spouses.intersection(get_between_tokens(c))) > 0 else 0


def LF_husband_wife_left_window(c):
    if len(spouses.intersection(get_left_tokens(c[0], window=2))) > 0:
        return 1
    elif len(spouses.intersection(get_left_tokens(c[1], window=2))) > 0:
        return 1
    return 0


def LF_same_last_name(c):
    p1_last, p2_last = c.person1.get_span().split(" ")[-1], c.person2.get_span().split(" ")[-1]
    if p1_last == p2_last and p1_last != c.person1.get_span() and p2_last != c.person2.get_span():
        return 1
    return 0


def LF_and_married(c):
    return 1 if "and" in get_between_tokens(c) and "married" in get_right_tokens(c) else 0


def LF_familial_relationship(c):
    return -1 if len(family.intersection(get_between_tokens(c))) > 0 else 0


def LF_other_relationship(c):
    return -1 if len(other.intersection(get_between_tokens(c))) > 0 else 0


def LF_too_far_apart(c):
    return -1 if len(list(get_between_tokens(c))) > 10 else 0


def LF_no_spouse_in_sentence(c):
    return -1 if np.random.rand() < 0.75 and len(spouses.intersection(c.get_parent().words)) == 0 else 0


def LF_comma_between(c):
    return -1 if re.fullmatch(r"\s*,\s*", get_text_between(c)) else 0


LFs = [
    LF_husband_wife,
    LF_husband_wife_left_window,
    LF_same_last_name,
    LF_and_married,
    LF_familial_relationship,
    LF_other_relationship,
    LF_too_far_apart,
    LF_no_spouse_in_sentence,
    LF_comma_between,
]


def _tutorial_2():
    from snorkel_ie import SnorkelSession

    session = SnorkelSession()

    from snorkel_ie.models import candidate_subclass

    Spouse = candidate_subclass("Spouse", ["person1", "person2"])

    from snorkel_ie.annotations import load_gold_labels

    L_gold_dev = load_gold_labels(session, annotator_name="gold", split=1)
    assert (L_gold_dev.toarray() == 1).sum() > 0  # the helper's StableLabels reached the dev candidates

    labeled = []
    for c in session.query(Spouse).filter(Spouse.split == 1).all():
        if LF_husband_wife(c) != 0:
            labeled.append(c)

    from snorkel_ie.viewer import SentenceNgramViewer

    sv = SentenceNgramViewer(labeled, session)
    assert labeled and sv is not None

    from snorkel_ie.lf_helpers import test_LF

    tp, fp, tn, fn = test_LF(session, LF_husband_wife, split=1, annotator_name="gold")

    from snorkel_ie.annotations import LabelAnnotator

    np.random.seed(1701)
    labeler = LabelAnnotator(lfs=LFs)
    L_train = labeler.apply(split=0)
    assert L_train.shape == (session.query(Spouse).filter(Spouse.split == 0).count(), len(LFs))
    assert isinstance(L_train.get_candidate(session, 0), Spouse)
    assert L_train.get_key(session, 0).name == "LF_husband_wife"
    stats = L_train.lf_stats(session)
    assert list(stats.index) == [lf.__name__ for lf in LFs]

    from snorkel_ie.learning import GenerativeModel

    gen_model = GenerativeModel()
    gen_model.train(L_train, epochs=100, decay=0.95, step_size=0.1 / L_train.shape[0], reg_param=1e-6)
    assert len(gen_model.weights.lf_accuracy) == len(LFs)
    train_marginals = gen_model.marginals(L_train)
    assert train_marginals.shape == (L_train.shape[0],) and ((0 <= train_marginals) & (train_marginals <= 1)).all()
    learned = gen_model.learned_lf_stats()

    L_dev = labeler.apply_existing(split=1)
    tp, fp, tn, fn = gen_model.error_analysis(session, L_dev, L_gold_dev)
    assert len(tp) + len(fp) + len(tn) + len(fn) == int((L_gold_dev.toarray() != 0).sum())
    dev_stats = L_dev.lf_stats(session, L_gold_dev, learned["Accuracy"])
    assert "Empirical Acc." in dev_stats.columns

    from snorkel_ie.learning.structure import DependencySelector

    ds = DependencySelector()
    deps = ds.select(L_train, threshold=0.1)
    gen_model = GenerativeModel(lf_propensity=True)
    gen_model.train(L_train, deps=deps, decay=0.95, step_size=0.1 / L_train.shape[0], reg_param=1e-6)
    train_marginals = gen_model.marginals(L_train)

    from snorkel_ie.annotations import save_marginals

    save_marginals(session, L_train, train_marginals)
    _p, _r, f1 = gen_model.score(L_dev, L_gold_dev)
    session.close()
    return train_marginals, f1


def _tutorial_3():
    from snorkel_ie import SnorkelSession

    session = SnorkelSession()

    from snorkel_ie.models import candidate_subclass

    Spouse = candidate_subclass("Spouse", ["person1", "person2"])
    train_cands = session.query(Spouse).filter(Spouse.split == 0).order_by(Spouse.id).all()
    dev_cands = session.query(Spouse).filter(Spouse.split == 1).order_by(Spouse.id).all()
    test_cands = session.query(Spouse).filter(Spouse.split == 2).order_by(Spouse.id).all()

    from snorkel_ie.annotations import load_gold_labels

    L_gold_dev = load_gold_labels(session, annotator_name="gold", split=1, zero_one=True)
    L_gold_test = load_gold_labels(session, annotator_name="gold", split=2, zero_one=True)

    from snorkel_ie.annotations import load_marginals

    train_marginals = load_marginals(session, split=0)
    assert train_marginals.shape == (len(train_cands),)

    from snorkel_ie.learning.pytorch import LSTM

    train_kwargs = {"lr": 0.01, "embedding_dim": 16, "hidden_dim": 16, "n_epochs": 2, "dropout": 0.25, "seed": 1701}
    lstm = LSTM(n_threads=None)
    lstm.train(train_cands, train_marginals, X_dev=dev_cands, Y_dev=L_gold_dev, **train_kwargs)
    p, r, f1 = lstm.score(test_cands, L_gold_test)
    tp, fp, tn, fn = lstm.error_analysis(session, test_cands, L_gold_test)
    # differs on purpose: gold 0 is "unknown" unless set_unlabeled_as_neg=True (0.7's default)
    assert len(tp) + len(fp) + len(tn) + len(fn) == int((L_gold_test.toarray() != 0).sum())
    tp, fp, tn, fn = lstm.error_analysis(session, test_cands, L_gold_test, set_unlabeled_as_neg=True)
    assert len(tp) + len(fp) + len(tn) + len(fn) == len(test_cands)
    lstm.save_marginals(session, test_cands)
    marginals = lstm.marginals(test_cands)
    session.close()
    return (p, r, f1), marginals, len(test_cands)


@pytest.mark.slow
def test_intro_series_runs_as_written_for_07(notebook):
    written = write_spouse_data(notebook.data, N_DOCS)
    assert written["gold_positive"] > 0
    counts = _tutorial_1(N_DOCS)

    from snorkel_ie import SnorkelSession
    from snorkel_ie.models import GoldLabel, StableLabel

    session = SnorkelSession()
    # both directions of every gold pair became a StableLabel; the ones on dev/test candidates became gold
    assert session.query(StableLabel).count() == 2 * written["gold"]
    n_gold = session.query(GoldLabel).count()
    assert 0 < n_gold <= counts[1] + counts[2]
    session.close()

    train_marginals, gen_f1 = _tutorial_2()
    assert 0.0 <= gen_f1 <= 1.0
    assert len(set(np.round(train_marginals, 6))) > 1  # the LFs moved the marginals away from one value

    (p, r, f1), marginals, n_test = _tutorial_3()
    assert all(0.0 <= v <= 1.0 for v in (p, r, f1))
    assert marginals.shape == (n_test,)
