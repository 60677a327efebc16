"""The 0.7 advanced tutorials as a 0.7 user wrote them, after the rename: categorical classes,
structure learning, hyperparameter search and parallel processing.

The categorical, search and parallel notebooks start from the intro tutorial's database (its
part 1, run as written: ``test_series_intro._tutorial_1``); structure learning runs on
0.7's synthetic generator, with no database (as 0.7's); the others run on both backends.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.compat07._data import write_spouse_data
from tests.compat07.test_series_intro import LFs as intro_lfs
from tests.compat07.test_series_intro import _tutorial_1

N_DOCS = 20

# --- categorical: spouse / family / other, three classes ----------------------------------------
from snorkel_ie.lf_helpers import get_between_tokens  # noqa: E402

SPOUSE, FAMILY, OTHER = 1, 2, 3
spouse_words = {"wife", "husband", "spouse", "married", "widow"}
family_words = {"father", "mother", "son", "daughter", "brother", "sister", "parents"}


def LF_spouse_between(c):
    return SPOUSE if spouse_words & set(get_between_tokens(c)) else 0


def LF_family_between(c):
    return FAMILY if family_words & set(get_between_tokens(c)) else 0


def LF_far_apart(c):
    return OTHER if len(list(get_between_tokens(c))) > 8 else 0


def LF_and_between(c):
    return OTHER if list(get_between_tokens(c)) == ["and"] else 0


@pytest.mark.slow
def test_categorical_classes_tutorial(notebook):
    write_spouse_data(notebook.data, N_DOCS)
    _tutorial_1(N_DOCS)

    from snorkel_ie import SnorkelSession

    session = SnorkelSession()

    from snorkel_ie.models import Candidate, candidate_subclass

    Relationship = candidate_subclass("Relationship", ["person1", "person2"], cardinality=3)
    Spouse = candidate_subclass("Spouse", ["person1", "person2"])
    for c in session.query(Spouse).filter(Spouse.split == 0).order_by(Spouse.id).all():
        session.add(Relationship(person1=c.person1, person2=c.person2, split=0))
    session.commit()
    n = session.query(Relationship).count()
    assert n == session.query(Spouse).filter(Spouse.split == 0).count() < session.query(Candidate).count()

    from snorkel_ie.annotations import LabelAnnotator

    labeler = LabelAnnotator(lfs=[LF_spouse_between, LF_family_between, LF_far_apart, LF_and_between])
    L_train = labeler.apply(split=0, candidate_class=Relationship)
    assert L_train.shape == (n, 4) and set(np.unique(L_train.data)) <= {1, 2, 3}

    from snorkel_ie.learning import GenerativeModel

    gen_model = GenerativeModel()
    gen_model.train(L_train, cardinality=Relationship.cardinality)
    marginals = gen_model.marginals(L_train)
    assert marginals.shape == (n, 3)
    np.testing.assert_allclose(marginals.sum(axis=1), 1.0, rtol=1e-6)
    # where the LFs agree on one class, that class gets the most probability
    dense = L_train.toarray()
    voted = [i for i in range(n) if len(set(dense[i][dense[i] != 0])) == 1]
    agree = [marginals[i].argmax() + 1 == dense[i][dense[i] != 0][0] for i in voted]
    assert voted and np.mean(agree) > 0.5, (len(voted), np.mean(agree))

    from snorkel_ie.annotations import load_marginals, save_marginals

    save_marginals(session, L_train, marginals)
    np.testing.assert_allclose(load_marginals(session, L_train), marginals, rtol=1e-5)
    session.close()


@pytest.mark.slow
def test_structure_learning_tutorial():
    """No database: 0.7's structure tutorial works on synthetic matrices only."""
    from snorkel_ie.learning.structure import DependencySelector, generate_label_matrix, generate_model

    weights = generate_model(10, 0.0, lf_propensity=True, seed=17)  # 10 independent LFs that abstain ...
    weights.dep_similar[0, 1] = weights.dep_similar[2, 3] = 2.0  # ... but for two correlated pairs
    y, L = generate_label_matrix(weights, 5000, seed=17)
    assert L.shape == (5000, 10) and set(np.unique(y)) <= {-1, 1}

    ds = DependencySelector()
    deps = ds.select(L, threshold=0.05)
    found = {(j, k) for j, k, _ in deps}
    assert {(0, 1), (2, 3)} <= found, deps

    from snorkel_ie.learning import GenerativeModel

    gen_model = GenerativeModel(lf_propensity=True)
    gen_model.train(L, deps=deps, epochs=100, decay=0.95, step_size=0.1 / L.shape[0], reg_param=1e-6)
    accuracy = float((np.where(gen_model.marginals(L) > 0.5, 1, -1) == y).mean())
    majority = np.sign(np.asarray(L.sum(axis=1)).ravel())
    assert accuracy >= float((majority == y).mean()) - 0.02


@pytest.mark.slow
def test_hyperparameter_search_tutorial(notebook):
    write_spouse_data(notebook.data, N_DOCS)
    _tutorial_1(N_DOCS)

    from snorkel_ie import SnorkelSession

    session = SnorkelSession()

    from snorkel_ie.annotations import FeatureAnnotator, LabelAnnotator, load_gold_labels
    from snorkel_ie.learning import GenerativeModel

    labeler = LabelAnnotator(lfs=intro_lfs)
    L_train = labeler.apply(split=0)
    L_dev = labeler.apply_existing(split=1)
    L_gold_dev = load_gold_labels(session, annotator_name="gold", split=1)
    gen_model = GenerativeModel()
    gen_model.train(L_train, epochs=100, decay=0.95, step_size=0.1 / L_train.shape[0], reg_param=1e-6)
    train_marginals = gen_model.marginals(L_train)

    featurizer = FeatureAnnotator()
    F_train = featurizer.apply(split=0)
    F_dev = featurizer.apply_existing(split=1)
    assert F_dev.shape[1] == F_train.shape[1]

    from snorkel_ie.learning import RandomSearch
    from snorkel_ie.learning.tensorflow import SparseLogisticRegression

    param_ranges = {"lr": [1e-2, 1e-3], "l1_penalty": [1e-6, 1e-4], "l2_penalty": [1e-6, 1e-4]}
    model_hyperparams = {"n_epochs": 5, "rebalance": 0.5, "print_freq": 5}
    searcher = RandomSearch(
        SparseLogisticRegression,
        param_ranges,
        F_train,
        Y_train=train_marginals,
        n=3,
        model_hyperparams=model_hyperparams,
    )
    disc_model, run_stats = searcher.fit(F_dev, L_gold_dev, n_threads=1)
    assert len(run_stats) == 3 and {"lr", "l1_penalty", "l2_penalty"} <= set(run_stats.columns)
    assert disc_model.marginals(F_dev).shape == (F_dev.shape[0],)

    # and the generative model's own search, over L_dev
    gen_searcher = RandomSearch(GenerativeModel, {"step_size": [1e-3, 1e-4], "decay": [0.9, 0.95]}, L_train, n=2)
    best_gen, gen_stats = gen_searcher.fit(L_dev, L_gold_dev)
    assert len(gen_stats) == 2 and isinstance(best_gen, GenerativeModel)
    session.close()


@pytest.mark.slow
def test_parallel_processing_tutorial(notebook):
    written = write_spouse_data(notebook.data, N_DOCS)

    from snorkel_ie import SnorkelSession

    session = SnorkelSession()

    from compat07_intro_util import PersonTagger

    from snorkel_ie.parser import CorpusParser, TSVDocPreprocessor
    from snorkel_ie.parser.spacy_parser import Spacy

    doc_preprocessor = TSVDocPreprocessor("data/articles.tsv")
    corpus_parser = CorpusParser(parser=Spacy(), fn=PersonTagger().tag)
    corpus_parser.apply(doc_preprocessor, parallelism=2)

    from snorkel_ie.models import Document, Sentence, candidate_subclass

    assert session.query(Document).count() == written["docs"]
    Spouse = candidate_subclass("Spouse", ["person1", "person2"])

    from snorkel_ie.candidates import CandidateExtractor, Ngrams
    from snorkel_ie.matchers import PersonMatcher

    ngrams = Ngrams(n_max=7)
    person_matcher = PersonMatcher(longest_match_only=True)
    cand_extractor = CandidateExtractor(Spouse, [ngrams, ngrams], [person_matcher, person_matcher])
    sents = session.query(Sentence).all()
    cand_extractor.apply(sents, split=0, parallelism=2)
    n = session.query(Spouse).filter(Spouse.split == 0).count()
    assert n > 0

    from snorkel_ie.annotations import LabelAnnotator

    labeler = LabelAnnotator(lfs=intro_lfs)
    L_parallel = labeler.apply(split=0, parallelism=2)
    L_serial = LabelAnnotator(lfs=intro_lfs).apply(split=0, parallelism=1, clear=True)
    assert L_parallel.shape == (n, len(intro_lfs))
    deterministic = [j for j, lf in enumerate(intro_lfs) if lf.__name__ != "LF_no_spouse_in_sentence"]
    np.testing.assert_array_equal(L_parallel.toarray()[:, deterministic], L_serial.toarray()[:, deterministic])
    session.close()
