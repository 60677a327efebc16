"""The 0.7 crowdsourced sentiment tutorial (weather tweets, 5 classes) as a 0.7 user wrote it, after the rename.

Each tweet is a ``RawText`` (``snorkel_ie.contrib.models.text``) under a one-argument
candidate of cardinality 5; each crowd worker is a labeling function, through
``LabelAnnotator(label_generator=...)``; the generative model learns the workers'
accuracies without gold; ``TextRNN`` is trained on its marginals. Data: the first 240
tweets (by tweet id) of ``tutorials/advanced/data`` (CrowdFlower weather sentiment), 180 to
train and 60 to test against the aggregated gold answer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.compat07.conftest import TUTORIALS

DATA = TUTORIALS / "advanced" / "data"
N_TWEETS, N_TRAIN = 240, 180


def _notebook(data_dir):
    # --- loading the crowd's labels with pandas, as 0.7 did -----------------------------------
    worker_labels = pd.read_csv(data_dir / "weather-non-agg-DFE.csv")
    worker_labels = worker_labels[["worker_id", "emotion", "tweet_id", "tweet_body"]]
    test_labels = pd.read_csv(data_dir / "weather-evaluated-agg-DFE.csv")[["tweet_id", "sentiment"]]
    tweet_ids = sorted(worker_labels["tweet_id"].unique())[:N_TWEETS]
    worker_labels = worker_labels[worker_labels["tweet_id"].isin(tweet_ids)]
    train_ids, test_ids = set(tweet_ids[:N_TRAIN]), set(tweet_ids[N_TRAIN:])

    values = sorted(worker_labels["emotion"].unique())  # the 5 answers, class k = values[k - 1]
    value_to_class = {v: k + 1 for k, v in enumerate(values)}
    labels_by_tweet = {}
    for _, row in worker_labels.iterrows():
        labels_by_tweet.setdefault(str(row["tweet_id"]), {})[str(row["worker_id"])] = value_to_class[row["emotion"]]

    from snorkel_ie import SnorkelSession

    session = SnorkelSession()

    from snorkel_ie.contrib.models.text import RawText
    from snorkel_ie.models import candidate_subclass

    Tweet = candidate_subclass("Tweet", ["tweet"], cardinality=len(values))
    bodies = worker_labels.drop_duplicates("tweet_id").set_index("tweet_id")["tweet_body"]
    for tweet_id, body in bodies.items():
        split = 0 if tweet_id in train_ids else 1
        raw_text = RawText(stable_id=str(tweet_id), name=str(tweet_id), text=body)
        session.add(Tweet(tweet=raw_text, split=split))
    session.commit()

    def worker_label_generator(t):
        """One (worker, answer) pair per judgement of the tweet: each worker is an LF.

        Differs on purpose: 0.7 keyed by ``t.tweet.stable_id``; here the argument is the span over
        the whole text, so the RawText's own id is its document's name."""
        yield from labels_by_tweet[t.get_parent().document.name].items()

    from snorkel_ie.annotations import LabelAnnotator

    labeler = LabelAnnotator(label_generator=worker_label_generator)
    L_train = labeler.apply(split=0)
    n_workers = worker_labels[worker_labels["tweet_id"].isin(train_ids)]["worker_id"].nunique()
    assert L_train.shape == (N_TRAIN, n_workers)
    assert L_train.nnz == int(worker_labels["tweet_id"].isin(train_ids).sum())

    from snorkel_ie.learning import GenerativeModel

    gen_model = GenerativeModel()
    gen_model.train(L_train, epochs=100, decay=0.95, step_size=0.01 / L_train.shape[0], reg_param=1e-6)
    train_marginals = gen_model.marginals(L_train)
    assert train_marginals.shape == (N_TRAIN, len(values))
    np.testing.assert_allclose(train_marginals.sum(axis=1), 1.0, rtol=1e-6)

    from snorkel_ie.annotations import save_marginals

    save_marginals(session, L_train, train_marginals)

    from snorkel_ie.annotations import load_marginals

    np.testing.assert_allclose(load_marginals(session, split=0), train_marginals, rtol=1e-5)

    # --- the gold answers of the training tweets, to judge the model (not used to train) --------
    gold = dict(zip(test_labels["tweet_id"].astype(str), test_labels["sentiment"].map(value_to_class), strict=True))
    train_cands = session.query(Tweet).filter(Tweet.split == 0).order_by(Tweet.id).all()
    train_gold = np.array([gold[c.get_parent().document.name] for c in train_cands])
    gen_acc = float((train_marginals.argmax(axis=1) + 1 == train_gold).mean())

    from snorkel_ie.learning.tensorflow import TextRNN

    train_kwargs = {"lr": 0.01, "dim": 16, "n_epochs": 2, "dropout": 0.2, "print_freq": 1}
    lstm = TextRNN(seed=1701, cardinality=Tweet.cardinality)
    lstm.train(train_cands, train_marginals, **train_kwargs)
    test_cands = session.query(Tweet).filter(Tweet.split == 1).order_by(Tweet.id).all()
    test_y = np.array([gold[c.get_parent().document.name] for c in test_cands])
    accuracy = lstm.score(test_cands, test_y)
    assert lstm.marginals(test_cands).shape == (len(test_ids), len(values))
    session.close()
    return gen_acc, train_gold, accuracy


@pytest.mark.slow
def test_crowdsourcing_series_runs_as_written_for_07(notebook):
    gen_acc, train_gold, accuracy = _notebook(DATA)
    # the workers' learned accuracies make a label far better than the largest class alone
    base_rate = np.bincount(train_gold).max() / len(train_gold)
    assert gen_acc > base_rate + 0.2, (gen_acc, base_rate)
    assert 0.0 <= float(np.ravel(accuracy)[0]) <= 1.0
