"""The 0.7 CDR tutorial (chemical-induced disease, parts 1-3) as a 0.7 user wrote it, after the rename.

Part 1 reads BioC XML with ``XMLMultiDocPreprocessor`` and 0.7's xpaths, tags mentions with
the TaggerOne predictions through ``CorpusParser(fn=...)`` and extracts pre-tagged
candidates; part 2 writes LFs with 0.7's regex helpers and a distant-supervision LF from
the training documents' relations, learns the dependencies and the generative model; part 3
trains ``reRNN`` on the marginals. Gold: the helper module's StableLabels +
``reload_annotator_labels``. Data: 12 abstracts (tests/compat07/data, see PROVENANCE.md).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.compat07.conftest import HERE

DOC_SPLITS = {0: range(0, 8), 1: range(8, 10), 2: range(10, 12)}


def _tutorial_1():
    from snorkel_ie import SnorkelSession

    session = SnorkelSession()

    from snorkel_ie.parser import XMLMultiDocPreprocessor

    doc_preprocessor = XMLMultiDocPreprocessor(
        path="data/CDR.BioC.xml", doc=".//document", text=".//passage/text/text()", id=".//id/text()"
    )

    from compat07_cdr_utils import TaggerOneTagger

    from snorkel_ie.parser import CorpusParser

    tagger_one = TaggerOneTagger()
    corpus_parser = CorpusParser(fn=tagger_one.tag)
    corpus_parser.apply(list(doc_preprocessor))

    from snorkel_ie.models import Document, Sentence

    assert session.query(Document).count() == 12
    n_sents = session.query(Sentence).count()

    docs = session.query(Document).order_by(Document.id).all()
    train_sents, dev_sents, test_sents = set(), set(), set()
    for i, doc in enumerate(docs):
        for s in doc.sentences:
            if i in DOC_SPLITS[0]:
                train_sents.add(s)
            elif i in DOC_SPLITS[1]:
                dev_sents.add(s)
            else:
                test_sents.add(s)
    assert len(train_sents) + len(dev_sents) + len(test_sents) == n_sents

    from snorkel_ie.models import candidate_subclass

    ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])

    from snorkel_ie.candidates import PretaggedCandidateExtractor

    candidate_extractor = PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"])
    counts = []
    for k, sents in enumerate([train_sents, dev_sents, test_sents]):
        candidate_extractor.apply(sents, split=k)
        counts.append(session.query(ChemicalDisease).filter(ChemicalDisease.split == k).count())
    assert all(n > 0 for n in counts), counts

    from compat07_cdr_load_external_annotations import load_external_labels

    load_external_labels(session, ChemicalDisease, split=1, annotator="gold")
    load_external_labels(session, ChemicalDisease, split=2, annotator="gold")
    train_doc_names = {d.name for i, d in enumerate(docs) if i in DOC_SPLITS[0]}
    session.close()
    return counts, train_doc_names


# --- part 2's LFs, 0.7 style ----------------------------------------------------------------
from snorkel_ie.lf_helpers import (  # noqa: E402
    get_left_tokens,
    get_right_tokens,
    get_text_between,
    rule_regex_search_before_A,
    rule_regex_search_btw_AB,
    rule_regex_search_btw_BA,
)

known_cid = set()  # filled from the training documents' relations only (distant supervision)


def LF_c_cause_d(c):
    return rule_regex_search_btw_AB(c, r".{0,50}(caus|induc|produc|associat).{0,50}", 1)


def LF_d_induced_by_c(c):
    return rule_regex_search_btw_BA(c, r".{0,50}(induced|caused|due|associated) (by|to|with).{0,50}", 1)


def LF_c_induced_d(c):
    return (
        1
        if re.search(r"-(induced|associated)", get_text_between(c) + " ".join(get_right_tokens(c[0], window=1)))
        else 0
    )


def LF_treat_d(c):
    return rule_regex_search_btw_AB(c, r".{0,50}(treat|therap|prevent|management|effective).{0,50}", -1)


def LF_d_treat_c(c):
    return rule_regex_search_btw_BA(c, r".{0,50}(treated|managed|reversed) (with|by).{0,50}", -1)


def LF_patients_before(c):
    return rule_regex_search_before_A(c, r".*(patients|subjects) (with|receiving).{0,20}", -1)


def LF_far_apart(c):
    return -1 if len(get_text_between(c)) > 120 else 0


def LF_negation(c):
    return -1 if {"no", "not", "without"} & set(get_left_tokens(c, window=5)) else 0


def LF_in_kb(c):
    return 1 if c.get_cids() in known_cid else 0


import re  # noqa: E402

LFs = [
    LF_c_cause_d,
    LF_d_induced_by_c,
    LF_c_induced_d,
    LF_treat_d,
    LF_d_treat_c,
    LF_patients_before,
    LF_far_apart,
    LF_negation,
    LF_in_kb,
]


def _tutorial_2(train_doc_names):
    from compat07_cdr_load_external_annotations import cid_relations

    from snorkel_ie import SnorkelSession

    session = SnorkelSession()
    known_cid.clear()
    for name, pairs in cid_relations().items():
        if name in train_doc_names:
            known_cid.update(pairs)

    from snorkel_ie.models import candidate_subclass

    ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])

    from snorkel_ie.annotations import LabelAnnotator

    labeler = LabelAnnotator(lfs=LFs)
    L_train = labeler.apply(split=0)
    assert L_train.shape == (session.query(ChemicalDisease).filter(ChemicalDisease.split == 0).count(), len(LFs))
    stats = L_train.lf_stats(session)
    assert stats.loc["LF_in_kb", "Coverage"] > 0

    from snorkel_ie.learning.structure import DependencySelector

    ds = DependencySelector()
    deps = ds.select(L_train, threshold=0.1)

    from snorkel_ie.learning import GenerativeModel

    gen_model = GenerativeModel(lf_propensity=True)
    gen_model.train(L_train, deps=deps, decay=0.95, step_size=0.1 / L_train.shape[0], reg_param=0.0)
    train_marginals = gen_model.marginals(L_train)

    from snorkel_ie.annotations import save_marginals

    save_marginals(session, L_train, train_marginals)

    from snorkel_ie.annotations import load_gold_labels

    L_gold_dev = load_gold_labels(session, annotator_name="gold", split=1)
    L_dev = labeler.apply_existing(split=1)
    tp, fp, tn, fn = gen_model.error_analysis(session, L_dev, L_gold_dev)
    n_dev_gold = int((L_gold_dev.toarray() != 0).sum())
    assert len(tp) + len(fp) + len(tn) + len(fn) == n_dev_gold == L_dev.shape[0]
    session.close()
    return train_marginals


def _tutorial_3():
    from snorkel_ie import SnorkelSession

    session = SnorkelSession()

    from snorkel_ie.models import candidate_subclass

    ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])

    from snorkel_ie.annotations import load_marginals

    train_marginals = load_marginals(session, split=0)
    train_cands = session.query(ChemicalDisease).filter(ChemicalDisease.split == 0).order_by(ChemicalDisease.id).all()
    dev_cands = session.query(ChemicalDisease).filter(ChemicalDisease.split == 1).order_by(ChemicalDisease.id).all()
    test_cands = session.query(ChemicalDisease).filter(ChemicalDisease.split == 2).order_by(ChemicalDisease.id).all()

    from snorkel_ie.annotations import load_gold_labels

    L_gold_dev = load_gold_labels(session, annotator_name="gold", split=1)
    L_gold_test = load_gold_labels(session, annotator_name="gold", split=2)

    from snorkel_ie.learning.tensorflow import reRNN

    train_kwargs = {"lr": 0.01, "dim": 16, "n_epochs": 2, "dropout": 0.5, "rebalance": 0.25, "print_freq": 1}
    lstm = reRNN(seed=1701, n_threads=None)
    lstm.train(train_cands, train_marginals, X_dev=dev_cands, Y_dev=L_gold_dev, **train_kwargs)
    p, r, f1 = lstm.score(test_cands, L_gold_test)
    tp, fp, tn, fn = lstm.error_analysis(session, test_cands, L_gold_test)
    lstm.save_marginals(session, test_cands)
    session.close()
    return (p, r, f1), len(tp) + len(fp) + len(tn) + len(fn), len(test_cands)


@pytest.mark.slow
def test_cdr_series_runs_as_written_for_07(notebook):
    for name in ("CDR.BioC.xml", "taggerone_predicted_tags.tsv"):
        shutil.copyfile(HERE / "data" / name, notebook.data / name)
    counts, train_doc_names = _tutorial_1()

    from snorkel_ie import SnorkelSession
    from snorkel_ie.annotations import load_gold_labels

    session = SnorkelSession()
    for split in (1, 2):
        gold = load_gold_labels(session, annotator_name="gold", split=split).toarray().ravel()
        assert (gold != 0).all() and len(gold) == counts[split]  # every dev/test candidate got its label
    assert (load_gold_labels(session, annotator_name="gold", split=1).toarray() == 1).any()
    session.close()

    train_marginals = _tutorial_2(train_doc_names)
    assert train_marginals.shape == (counts[0],) and np.ptp(train_marginals) > 0

    scores, n_scored, n_test = _tutorial_3()
    assert all(0.0 <= v <= 1.0 for v in scores)
    assert n_scored == n_test == counts[2]
