"""Spouse: the intro tutorial's end model against majority vote and the generative model.

The pipeline of ``tutorials/intro`` on all 1,761 articles: parse (cached in an SQLite file,
``--db``; a second run reuses it), PERSON-pair candidates, crowd gold for dev and test,
the tutorial's LFs, structure learning at the elbow, ``GenerativeModel(seed=1701)``
trained 300 epochs; then, per seed, the BiLSTM as part 3 trains it (word vectors
pretrained on every sentence, 5 epochs, lr 0.003, dim 50, dropout 0.5, nothing chosen on
dev) read at :func:`~snorkel_ie.learning.discriminative.train_data.matched_threshold`
and at 0.5. Prints dev and test F1 (and each half of dev, split by a hash of the
document id), average precision, and the worst seed. No gold label is used for training
or for any choice.

Usage: ``python benchmarks/bench_spouse_end_model.py [--db /tmp/spouse_end_model.db] [--seeds 1701,1,2]``
(about 5 CPU minutes per seed; set the ``*_NUM_THREADS`` variables to 1 on a shared machine).
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score
from sqlalchemy import select

from snorkel_ie import (
    BiLSTM,
    DependencySelector,
    GenerativeModel,
    LabelAnnotator,
    Sentence,
    SnorkelSession,
    load_gold_labels,
)
from snorkel_ie.examples.spouse import DEV, TEST, TRAIN, Spouse, load_corpus, load_known_spouses, split_sizes
from snorkel_ie.examples.spouse_lfs import make_lfs
from snorkel_ie.labeling.scoring import majority_vote
from snorkel_ie.learning.discriminative.config import TrainConfig
from snorkel_ie.learning.discriminative.embeddings import pretrain_word_vectors
from snorkel_ie.learning.discriminative.train_data import matched_threshold
from snorkel_ie.scoring import as_label_vector, binary_prf, predictions_from_marginals

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "spouse"


def labels_and_gold(session):
    """Candidates, label matrices and gold of each split, in candidate id order."""
    labeler = LabelAnnotator(lfs=make_lfs(load_known_spouses(DATA)))
    out = {}
    for split in (TRAIN, DEV, TEST):
        cands = session.scalars(select(Spouse).where(Spouse.split == split).order_by(Spouse.id)).all()
        apply = labeler.apply if split == TRAIN else labeler.apply_existing
        L = apply(split=split, session=session, progress=False)
        gold = (
            None if split == TRAIN else as_label_vector(load_gold_labels(session, annotator_name="gold", split=split))
        )
        out[split] = (cands, L, gold)
    return out


def scores(m: np.ndarray, gold: np.ndarray, b: float, halves: np.ndarray) -> list[float]:
    """F1 on dev half 0, half 1 and all of it (or test), and average precision."""
    pred = predictions_from_marginals(m, b=b)
    f1 = [binary_prf(np.where(halves == h, pred, 0), np.where(halves == h, gold, 0))[2] for h in (0, 1)]
    known = gold != 0
    return [*f1, binary_prf(pred, gold)[2], average_precision_score(gold[known] == 1, m[known])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default="/tmp/spouse_end_model.db")
    ap.add_argument("--seeds", default="1701,1,2")
    args = ap.parse_args()
    session = SnorkelSession(f"sqlite:///{args.db}")
    t0 = time.perf_counter()
    if not split_sizes(session):
        print(load_corpus(session, DATA, parallelism=1, progress=False))
    data = labels_and_gold(session)
    L_train = data[TRAIN][1]
    deps = DependencySelector().select(L_train, threshold=DependencySelector().sweep(L_train).elbow or 0.1)
    gen = GenerativeModel(seed=1701)
    gen.train(L_train, deps=sorted(deps), epochs=300)
    train_marginals = gen.marginals(L_train)
    print(f"pipeline {time.perf_counter() - t0:.0f} s; {len(deps)} dependencies")
    texts = [[w.lower() for w in s.words] for s in session.scalars(select(Sentence))]
    vectors = pretrain_word_vectors(texts, dim=50, min_count=3, seed=1701)
    halves = {s: np.array([hashlib.sha1(str(c.get_parent().document_id).encode()).digest()[0] % 2 for c in data[s][0]])
              for s in (DEV, TEST)}  # fmt: skip
    rows: dict[str, list[list[float]]] = {}

    def add(name: str, m: dict[int, np.ndarray], b: float) -> None:
        r = scores(m[DEV], data[DEV][2], b, halves[DEV]) + scores(m[TEST], data[TEST][2], b, halves[TEST])[2:]
        rows.setdefault(name, []).append(r)
        print(
            f"{name:34} b={b:.3f} dev A {r[0]:.3f} B {r[1]:.3f} all {r[2]:.3f} AP {r[3]:.3f} | test {r[4]:.3f} AP {r[5]:.3f}"
        )

    add("majority vote", {s: (majority_vote(data[s][1]) + 1) / 2.0 for s in (DEV, TEST)}, 0.5)
    add("generative model", {s: gen.marginals(data[s][1]) for s in (DEV, TEST)}, 0.5)
    config = TrainConfig(n_epochs=5, lr=0.003, dim=50, dropout=0.5, embeddings=vectors, dev_ckpt=False, verbose=False)
    for seed in (int(s) for s in args.seeds.split(",")):
        t = time.perf_counter()
        lstm = BiLSTM(seed=seed, n_threads=1).train(data[TRAIN][0], train_marginals, config=config)
        m = {s: lstm.marginals(data[s][0]) for s in (TRAIN, DEV, TEST)}
        b = matched_threshold(m[TRAIN], train_marginals)
        add("BiLSTM, matched threshold", m, b)
        add("BiLSTM at 0.5", m, 0.5)
        print(f"  seed {seed}: {time.perf_counter() - t:.0f} s")
    print("worst seed (dev A, dev B, dev, dev AP, test, test AP):")
    for name, rs in rows.items():
        print(f"  {name:34} " + " ".join(f"{v:.3f}" for v in np.min(rs, axis=0)))


if __name__ == "__main__":
    main()
