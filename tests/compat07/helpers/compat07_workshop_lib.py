"""The workshop's ``lib/`` helpers (``lib/util.py``, ``lib/scoring.py``) as a 0.7 user keeps them after the rename.

Gold goes in as StableLabels and ``reload_annotator_labels``; LFs are scored with 0.7's
``print_scores``; feature names come from ``FeatureKey`` rows and the matrix's ``col_index``.
"""

import numpy as np
import pandas as pd

from snorkel_ie.db_helpers import reload_annotator_labels
from snorkel_ie.learning.utils import print_scores
from snorkel_ie.models import Candidate, FeatureKey, StableLabel


def load_external_labels(session, candidate_class, split, annotator="gold", path="data/gold_labels.tsv"):
    gold = pd.read_csv(path, sep="\t")
    for _, row in gold.iterrows():
        for a, b in ((row["person1"], row["person2"]), (row["person2"], row["person1"])):
            ids = "~~".join([a, b])
            q = session.query(StableLabel).filter(StableLabel.context_stable_ids == ids)
            if q.filter(StableLabel.annotator_name == annotator).count() == 0:
                session.add(StableLabel(context_stable_ids=ids, annotator_name=annotator, value=int(row["label"])))
    session.commit()
    return reload_annotator_labels(session, candidate_class, annotator, split=split, filter_label_split=False)


def majority_vote(L):
    pred = np.ravel(np.asarray(L.sum(axis=1)))
    return (pred > 0).astype(int)


def score(session, lf, split, gold):
    """Apply ``lf`` to the split's candidates (by id, the rows of ``gold``) and print its scores."""
    cands = session.query(Candidate).filter(Candidate.split == split).order_by(Candidate.id).all()
    tp, fp, tn, fn = [], [], [], []
    for i, c in enumerate(cands):
        label, truth = lf(c), gold[i, 0]
        if label == 0 or truth == 0:
            continue
        if label == 1:
            (tp if truth == 1 else fp).append(c)
        else:
            (fn if truth == 1 else tn).append(c)
    print_scores(len(tp), len(fp), len(tn), len(fn), title="LF Score")
    return tp, fp, tn, fn


def feature_names(session, F_matrix):
    """The name of each column of a feature matrix."""
    names = {f.id: f.name for f in session.query(FeatureKey).all()}
    return [names[F_matrix.col_index[j]] for j in range(F_matrix.shape[1])]
