"""The 0.7 workshop (parts 1-6) as a 0.7 user wrote it, after the rename.

Part 5 (preprocessing) builds the database the other parts read (0.7 shipped it as a
download): TSV articles, the parser with a PERSON tagger, a person matcher that is the union
of the NER matcher and a dictionary, splits and gold (the ``lib`` helper: StableLabel +
``reload_annotator_labels``). Parts 1-4 and 6 then run in order: the candidate API, writing
and scoring LFs, the generative model, the discriminative models, grid search. Data: 20
articles of ``tutorials/intro/data``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.compat07._data import write_spouse_data

N_DOCS = 20


def _part5_preprocessing():
    from compat07_intro_util import PersonTagger

    from snorkel_ie import SnorkelSession
    from snorkel_ie.parser import CorpusParser, TSVDocPreprocessor
    from snorkel_ie.parser.spacy_parser import Spacy

    session = SnorkelSession()
    corpus_parser = CorpusParser(parser=Spacy(), fn=PersonTagger().tag)
    corpus_parser.apply(TSVDocPreprocessor("data/articles.tsv"), parallelism=1)

    from snorkel_ie.models import Document, candidate_subclass

    Spouse = candidate_subclass("Spouse", ["person1", "person2"])

    from snorkel_ie.candidates import CandidateExtractor, Ngrams
    from snorkel_ie.matchers import DictionaryMatch, PersonMatcher, Union

    known_names = ["Kate Gosselin", "Jon Gosselin", "Blake Shelton"]
    person_matcher = Union(
        PersonMatcher(longest_match_only=True), DictionaryMatch(d=known_names, longest_match_only=True)
    )
    ngrams = Ngrams(n_max=3)
    cand_extractor = CandidateExtractor(Spouse, [ngrams, ngrams], [person_matcher, person_matcher])
    docs = session.query(Document).order_by(Document.name).all()
    splits = ([], [], [])
    for i, doc in enumerate(docs):
        splits[0 if i % 5 < 3 else i % 5 - 2].extend(doc.sentences)
    for k, sents in enumerate(splits):
        cand_extractor.apply(sents, split=k)

    from compat07_workshop_lib import load_external_labels

    written = [load_external_labels(session, Spouse, split=k) for k in (1, 2)]
    session.close()
    return written


def _part1_snorkel_api():
    from snorkel_ie import SnorkelSession
    from snorkel_ie.models import Candidate, Document, Sentence, candidate_subclass

    session = SnorkelSession()
    Spouse = candidate_subclass("Spouse", ["person1", "person2"])
    Person = candidate_subclass("Person", ["person"])
    assert list(Person.__argnames__) == ["person"]
    cands = session.query(Candidate).filter(Candidate.split == 0).all()
    c = cands[0]
    assert isinstance(c, Spouse)
    assert c.person1.get_attrib_tokens("words") and len(c.person1.get_attrib_tokens("pos_tags")) == len(
        c.person1.get_attrib_tokens("words")
    )
    sentence = c.get_parent()
    document = sentence.get_parent()
    assert isinstance(sentence, Sentence) and isinstance(document, Document)
    assert c.person1.get_word_start() <= c.person1.get_word_end()

    from snorkel_ie.lf_helpers import get_left_tokens, get_right_tokens, get_text_between

    left, right = list(get_left_tokens(c, window=2)), list(get_right_tokens(c, window=2))
    assert len(left) <= 2 and len(right) <= 2
    between = get_text_between(c)
    assert between in sentence.text
    session.close()


spouses = {"wife", "husband", "married", "spouse", "wed"}


def LF_husband_wife(c):
    from snorkel_ie.lf_helpers import get_between_tokens

    return 1 if spouses & set(get_between_tokens(c)) else 0


def LF_tagged_married(c):
    from snorkel_ie.lf_helpers import rule_regex_search_tagged_text

    return rule_regex_search_tagged_text(c, r"\{\{A\}\}.{0,40}(married|wife|husband).{0,40}\{\{B\}\}", 1)


def LF_comma(c):
    from snorkel_ie.lf_helpers import get_text_between

    return -1 if re.fullmatch(r"\s*,\s*", get_text_between(c)) else 0


def LF_long(c):
    from snorkel_ie.lf_helpers import get_between_tokens

    return -1 if len(list(get_between_tokens(c))) > 12 else 0


LFs = [LF_husband_wife, LF_tagged_married, LF_comma, LF_long]


def _part2_writing_lfs():
    from snorkel_ie import SnorkelSession
    from snorkel_ie.annotations import load_gold_labels
    from snorkel_ie.lf_helpers import get_tagged_text, test_LF
    from snorkel_ie.models import Candidate

    session = SnorkelSession()
    c = session.query(Candidate).filter(Candidate.split == 1).first()
    tagged = get_tagged_text(c)
    assert "{{A}}" in tagged and "{{B}}" in tagged
    tp, fp, tn, fn = test_LF(session, LF_husband_wife, split=1, annotator_name="gold")
    L_gold_dev = load_gold_labels(session, annotator_name="gold", split=1)

    from compat07_workshop_lib import score

    mine = score(session, LF_husband_wife, 1, L_gold_dev)
    assert [len(s) for s in mine] == [len(tp), len(fp), len(tn), len(fn)]
    session.close()


def _part3_generative_model():
    from snorkel_ie import SnorkelSession
    from snorkel_ie.annotations import LabelAnnotator, load_gold_labels, save_marginals
    from snorkel_ie.learning import GenerativeModel
    from snorkel_ie.learning.structure import DependencySelector

    session = SnorkelSession()
    labeler = LabelAnnotator(lfs=LFs)
    L_train = labeler.apply(split=0)
    L_dev = labeler.apply_existing(split=1)
    L_gold_dev = load_gold_labels(session, annotator_name="gold", split=1)
    assert L_dev.shape[0] == L_gold_dev.shape[0]

    from compat07_workshop_lib import majority_vote

    assert set(majority_vote(L_dev)) <= {0, 1}
    deps = DependencySelector().select(L_train, threshold=0.1)
    gen_model = GenerativeModel(lf_propensity=True)
    gen_model.train(L_train, deps=deps, epochs=50, decay=0.95, step_size=0.1 / L_train.shape[0], reg_param=1e-6)
    assert len(gen_model.learned_lf_stats()) == len(LFs)
    train_marginals = gen_model.marginals(L_train)
    save_marginals(session, L_train, train_marginals)
    tp, fp, tn, fn = gen_model.error_analysis(session, L_dev, L_gold_dev)
    assert len(tp) + len(fp) + len(tn) + len(fn) == int((L_gold_dev.toarray() != 0).sum())
    session.close()
    return train_marginals


def _part4_discriminative_model():
    from snorkel_ie import SnorkelSession
    from snorkel_ie.annotations import FeatureAnnotator, load_gold_labels, load_marginals
    from snorkel_ie.features import get_span_feats
    from snorkel_ie.learning.tensorflow import SparseLogisticRegression

    session = SnorkelSession()
    featurizer = FeatureAnnotator(f=get_span_feats)
    F_train = featurizer.apply(split=0)
    F_test = featurizer.apply_existing(split=2)
    train_marginals = load_marginals(session, split=0)
    L_gold_test = load_gold_labels(session, annotator_name="gold", split=2)

    from compat07_workshop_lib import feature_names

    names = feature_names(session, F_train)
    assert len(names) == F_train.shape[1] and len(set(names)) == len(names)

    disc_model = SparseLogisticRegression()
    disc_model.train(F_train, train_marginals, n_epochs=5, lr=0.01, l2_penalty=1e-4, print_freq=5)
    p, r, f1 = disc_model.score(F_test, L_gold_test)
    assert all(0.0 <= v <= 1.0 for v in (p, r, f1))
    session.close()
    return F_train, train_marginals


def _part6_grid_search(F_train, train_marginals):
    from snorkel_ie import SnorkelSession
    from snorkel_ie.annotations import FeatureAnnotator, load_gold_labels
    from snorkel_ie.learning import GridSearch
    from snorkel_ie.learning.tensorflow import SparseLogisticRegression

    session = SnorkelSession()
    F_dev = FeatureAnnotator().apply_existing(split=1)
    L_gold_dev = load_gold_labels(session, annotator_name="gold", split=1)
    searcher = GridSearch(
        SparseLogisticRegression,
        {"lr": [1e-2, 1e-3], "l2_penalty": [1e-4]},
        F_train,
        train_marginals,
        model_hyperparams={"n_epochs": 3, "print_freq": 3},
    )
    model, run_stats = searcher.fit(F_dev, L_gold_dev)
    assert len(run_stats) == 2
    assert model.marginals(F_dev).shape == (F_dev.shape[0],)
    session.close()


@pytest.mark.slow
def test_workshop_series_runs_as_written_for_07(notebook):
    written = write_spouse_data(notebook.data, N_DOCS)
    gold_written = _part5_preprocessing()
    assert sum(gold_written) > 0 and written["gold"] > 0
    _part1_snorkel_api()
    _part2_writing_lfs()
    train_marginals = _part3_generative_model()
    assert np.all((train_marginals >= 0) & (train_marginals <= 1))
    F_train, marginals = _part4_discriminative_model()
    _part6_grid_search(F_train, marginals)
