"""Benchmark of the discriminative models: training and prediction throughput on CPU.

Data: the spouse corpus (real news text). Each crowd-labelled same-sentence person pair
of ``gold_labels.tsv`` becomes a marked token sequence (spaCy ``blank("en")`` tokens and
sentencizer); documents are split 80/20 into train/dev by a hash of their id. Until the
generative model's marginals are in a database, the training marginals are derived from
the gold labels (0.9 / 0.1), so the dev F1 printed here measures the model and the
pipeline, not weak supervision.

Baseline measured in the same run: the same BiLSTM trained on naive batches (random
order, every batch padded to the longest training sequence) against length-bucketed
batches. Also the sparse logistic regression on bag-of-words features of the same pairs.

With ``--cdr-db PATH`` (a copy of a database the demo filled: parsed CDR corpus,
candidates, gold labels and the generative model's training marginals) the benchmark
instead trains on the CDR training candidates and their marginals and scores on the dev
split's gold labels, comparing in the same run the BiLSTM as it was (Keras
``Bidirectional(LSTM)``, final states, sentences cut at 100 tokens, rebalanced to 25%
positives, prediction batches of 256) with the current demo settings (fused
both-direction scan, argument-marker states, a 50-token window around the arguments).
Both train for the given number of epochs with nothing chosen on the dev split (no dev
checkpointing); dev P/R/F1 are given per mention and with the marginals pooled (max) over
the mentions of each (document, chemical, disease) pair, the unit of the gold labels.
The database is only read.

Usage: ``python benchmarks/bench_discriminative.py [--epochs 3] [--limit N] [--dim 50] [--cdr-db PATH]``
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import time
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from snorkel_ie.learning.discriminative import BiLSTM, SparseLogisticRegression
from snorkel_ie.learning.discriminative.inputs import MARKERS, mark_sequence

SPOUSE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "spouse"


def load_spouse_pairs(limit: int | None) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    """Marked sequences, gold labels and a dev mask of the spouse gold pairs."""
    import spacy

    pairs: dict[str, list[tuple[int, int, int, int, int]]] = defaultdict(list)
    with (SPOUSE / "gold_labels.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            pairs[row["doc_id"]].append(
                tuple(int(row[k]) for k in ("person1_start", "person1_end", "person2_start", "person2_end", "label"))
            )
    texts = {}
    with (SPOUSE / "articles.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if d["doc_id"] in pairs:
                texts[d["doc_id"]] = d["text"]
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    X, y, dev = [], [], []
    ids = sorted(texts)
    for doc_id, doc in zip(ids, nlp.pipe(texts[i] for i in ids), strict=True):
        is_dev = int(hashlib.md5(doc_id.encode()).hexdigest(), 16) % 5 == 0
        for a1, b1, a2, b2, label in pairs[doc_id]:
            s1 = doc.char_span(a1, b1, alignment_mode="expand")
            s2 = doc.char_span(a2, b2, alignment_mode="expand")
            if s1 is None or s2 is None:
                continue
            sent = s1.sent
            if not (sent.start <= min(s1.start, s2.start) and max(s1.end, s2.end) <= sent.end):
                continue  # the pair crosses a sentence boundary of the blank sentencizer
            words = [t.text for t in sent]
            off = sent.start
            X.append(mark_sequence(words, (s1.start - off, s1.end - 1 - off), (s2.start - off, s2.end - 1 - off)))
            y.append(label)
            dev.append(is_dev)
        if limit is not None and len(X) >= limit:
            break
    return X, np.array(y), np.array(dev)


def bag_of_words(X: list[list[str]], n_features: int = 2**18) -> sp.csr_matrix:
    """Hashed features: words between the arguments, and two words either side of them."""
    rows, cols = [], []
    for i, seq in enumerate(X):
        pos = sorted(seq.index(m) for m in MARKERS)
        feats = {"BETWEEN_" + w for w in seq[pos[1] + 1 : pos[2]]}
        feats |= {"LEFT_" + w for w in seq[max(pos[0] - 2, 0) : pos[0]]}
        feats |= {"RIGHT_" + w for w in seq[pos[3] + 1 : pos[3] + 3]}
        rows += [i] * len(feats)
        cols += [zlib.crc32(f.encode()) % n_features for f in feats]
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(X), n_features))


def predict_rate(model, X, repeats: int = 2) -> float:
    n = X.shape[0] if sp.issparse(X) else len(X)
    model.marginals(X[:64])  # warm-up (graph tracing)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.marginals(X)
        best = min(best, time.perf_counter() - t0)
    return n / best


def load_cdr(path: str) -> tuple[list[list[str]], np.ndarray, list[list[str]], np.ndarray, list[tuple]]:
    """Marked sequences and marginals of the CDR train split; sequences, gold and pair keys of the dev split."""
    from sqlalchemy import select

    from snorkel_ie.db.session import SnorkelSession
    from snorkel_ie.demo import relation_keys
    from snorkel_ie.examples.cdr import DEV, TRAIN, ChemicalDisease
    from snorkel_ie.labeling import load_gold_labels
    from snorkel_ie.labeling.marginals import load_marginals
    from snorkel_ie.learning.discriminative.inputs import candidates_to_sequences

    session = SnorkelSession(f"sqlite:///{Path(path).resolve()}")
    split = {}
    for s in (TRAIN, DEV):
        q = select(ChemicalDisease).where(ChemicalDisease.split == s).order_by(ChemicalDisease.id)
        split[s] = list(session.scalars(q))
    marg = load_marginals(session, split=TRAIN)
    gold = load_gold_labels(session, annotator_name="gold", split=DEV)
    if np.isnan(marg).any() or list(gold.candidate_ids) != [c.id for c in split[DEV]]:
        raise SystemExit(f"{path}: training marginals missing or gold not aligned; run the demo on it first")
    X_tr, X_dev = candidates_to_sequences(split[TRAIN]), candidates_to_sequences(split[DEV])
    pairs = relation_keys(split[DEV])
    session.close()
    return X_tr, marg, X_dev, np.asarray(gold.toarray()).ravel(), pairs


def cdr_main(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    X_tr, marg, X_dev, y_dev, pairs = load_cdr(args.cdr_db)
    print(f"CDR: {len(X_tr)} train candidates ({(marg > 0.5).mean():.2f} with marginal > 0.5), {len(X_dev)} dev "
          f"({int((y_dev == 1).sum())} positive) (loaded in {time.perf_counter() - t0:.1f}s)")
    configs = {
        "before (Keras BiLSTM)": ({"fused": False, "pooling": "final", "lr": 0.01, "dropout": 0.25,
                                   "max_sentence_length": 100, "rebalance": 0.25}, 256),
        "after (fused, arguments)": ({"fused": True, "pooling": "arguments", "lr": 0.003, "dropout": 0.5,
                                      "max_sentence_length": 50}, 1024),
    }
    results = {}
    for name, (kw, predict_batch) in configs.items():
        print(f"--- BiLSTM {name}")
        model = BiLSTM(seed=1701, name=name.split(" (")[0])
        model.train(X_tr, marg, X_dev, y_dev, dev_groups=pairs, dev_ckpt=False, n_epochs=args.epochs, dim=args.dim,
                    batch_size=args.batch_size, **kw)
        steady = model.history[1:] or model.history
        t = time.perf_counter()
        model.marginals(X_dev, batch_size=predict_batch)
        pred_rate = len(X_dev) / (time.perf_counter() - t)
        results[name] = (
            float(np.mean([r["train_per_s"] for r in steady])),
            float(np.mean([r["seconds"] for r in steady])),
            float(np.mean([r["cpu_seconds"] for r in steady])),
            pred_rate,
            model.score(X_dev, y_dev, display=False),
            model.score(X_dev, y_dev, groups=pairs, display=False),
        )
    base = results["before (Keras BiLSTM)"][0]
    print()
    print(f"{'':<74}{'per mention':^21}{'pair max':^21}")
    print(f"{'BiLSTM':<26}{'train cand/s':>13}{'ratio':>7}{'s/epoch':>9}{'cpu s/ep':>9}{'predict/s':>10}"
          + f"{'dev P':>7}{'dev R':>7}{'dev F1':>7}" * 2)
    for name, (tr, sec, cpu, pr, (p, r, f1), (pp, pr_, pf1)) in results.items():
        print(f"{name:<26}{tr:>13.0f}{tr / base:>7.2f}{sec:>9.1f}{cpu:>9.1f}{pr:>10.0f}{p:>7.3f}{r:>7.3f}{f1:>7.3f}"
              f"{pp:>7.3f}{pr_:>7.3f}{pf1:>7.3f}")
    print("train cand/s and s/epoch: mean over epochs after the first (graph tracing), over the training examples kept "
          "(rebalancing drops some); dev P/R/F1 after the last epoch; predict/s after warm-up.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None, help="use at most this many candidate pairs")
    ap.add_argument("--dim", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--cdr-db", help="SQLite file of a demo run: benchmark on the CDR candidates and marginals instead")
    args = ap.parse_args()
    if args.cdr_db:
        cdr_main(args)
        return

    t0 = time.perf_counter()
    X, y, dev = load_spouse_pairs(args.limit)
    X_tr = [x for x, d in zip(X, dev, strict=True) if not d]
    X_dev = [x for x, d in zip(X, dev, strict=True) if d]
    y_tr, y_dev = y[~dev], y[dev]
    marg = np.where(y_tr == 1, 0.9, 0.1)
    lengths = np.array([len(x) for x in X_tr])
    print(f"spouse pairs: {len(X_tr)} train ({int((y_tr == 1).sum())} positive), {len(X_dev)} dev; "
          f"tokens per sequence median {int(np.median(lengths))}, max {lengths.max()} "
          f"(loaded in {time.perf_counter() - t0:.1f}s)")

    common = {"n_epochs": args.epochs, "lr": 0.01, "dim": args.dim, "batch_size": args.batch_size, "dropout": 0.25,
              "max_sentence_length": 100, "rebalance": 0.25, "verbose": True}
    results = {}
    for name, bucket in (("naive padded batches", False), ("bucketed batches", True)):
        print(f"--- BiLSTM, {name}")
        model = BiLSTM(seed=1701, name=f"BiLSTM/{'bucketed' if bucket else 'naive'}")
        model.train(X_tr, marg, X_dev, y_dev, bucket=bucket, dev_ckpt=True, **common)
        rates = [r["train_per_s"] for r in model.history]
        steady = rates[1:] if len(rates) > 1 else rates
        results[name] = (float(np.mean(steady)), predict_rate(model, X_dev), model.score(X_dev, y_dev, display=False))

    print("--- sparse logistic regression (hashed bag of words)")
    F_tr, F_dev = bag_of_words(X_tr), bag_of_words(X_dev)
    lr = SparseLogisticRegression(seed=1701)
    lr.train(F_tr, marg, F_dev, y_dev, n_epochs=10, lr=0.01, l2_penalty=1e-4, rebalance=0.25, print_freq=2)
    lr_rates = [r["train_per_s"] for r in lr.history]
    results["sparse LR"] = (float(np.mean(lr_rates)), predict_rate(lr, F_dev), lr.score(F_dev, y_dev, display=False))

    base = results["naive padded batches"][0]
    print()
    print(f"{'model':<28}{'train cand/s':>14}{'ratio':>8}{'predict cand/s':>16}{'dev P':>8}{'dev R':>8}{'dev F1':>8}")
    for name, (tr, pr, (p, r, f1)) in results.items():
        label = name if name == "sparse LR" else f"BiLSTM {name}"
        print(f"{label:<28}{tr:>14.0f}{tr / base:>8.2f}{pr:>16.0f}{p:>8.3f}{r:>8.3f}{f1:>8.3f}")
    print("train cand/s: mean over epochs after the first (which includes graph tracing), training examples kept "
          "after rebalancing; ratio against naive padded batches.")


if __name__ == "__main__":
    main()
