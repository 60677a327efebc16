"""The main job: the chemical-disease (CDR) pipeline end to end.

``make demo`` runs ``python -m snorkel_ie.demo``: parse the CDR abstracts with their
pre-tagged mentions, extract chemical-disease candidates, apply the labeling functions,
learn the structure and the generative model, save its marginals, train a sparse
logistic regression and the BiLSTM on them, and print a summary (LF statistics; majority
vote, generative model and end-model scores on the dev split; time per stage).

Gold labels are per (document, chemical, disease): a pair is positive when the document
states the relation. The end models read one sentence at a time, so their scores are also
given with each candidate's marginal pooled (max) over the mentions of its pair
("pair max"). Nothing is chosen on the dev split: the end models train with fixed
settings for a fixed number of epochs, and the dev split is only scored. A report folder
gets the LF statistics (CSV), the marginal histogram (PNG) and the scores (JSON).

Every stage is persisted and idempotent: a second run reuses the parsed corpus, the
candidates and the labels of LFs that did not change.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.errors import ModelError
from snorkel_ie.examples.cdr import DEV, TRAIN, ChemicalDisease, load_corpus, training_cid_documents
from snorkel_ie.examples.cdr_lfs import make_lfs
from snorkel_ie.labeling import LabelAnnotator, load_gold_labels, majority_vote, save_marginals
from snorkel_ie.learning.discriminative.base import pool_marginals
from snorkel_ie.learning.generative import GenerativeModel
from snorkel_ie.learning.generative.optimizer import optimize
from snorkel_ie.learning.utils import binary_prf, predictions_from_marginals
from snorkel_ie.log import configure as configure_logging

_log = logging.getLogger(__name__)


@dataclass
class DemoResult:
    """Scores on the dev split and the time of each stage."""

    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


@contextmanager
def _stage(result: DemoResult, name: str) -> Iterator[None]:
    _log.info("\n== %s", name)
    start = time.perf_counter()
    yield
    result.seconds[name] = time.perf_counter() - start
    _log.info("   %s: %.1f s", name, result.seconds[name])


def _score(name: str, result: DemoResult, predicted: np.ndarray, gold: np.ndarray) -> None:
    p, r, f1 = binary_prf(predicted, gold)
    result.scores[name] = {"precision": p, "recall": r, "f1": f1}


def _candidates(session: Any, ids: np.ndarray) -> list[Any]:
    by_id = {c.id: c for c in session.scalars(select(ChemicalDisease).where(ChemicalDisease.id.in_(ids.tolist())))}
    return [by_id[int(i)] for i in ids]


def relation_keys(candidates: list[Any]) -> list[tuple[Any, ...]]:
    """(document id, chemical MeSH id, disease MeSH id) of each candidate: the unit the gold labels describe."""
    return [(c.sentence.document_id, *c.get_cids()) for c in candidates]


def _sparse_baseline(
    session: Any,
    result: DemoResult,
    train_marginals: np.ndarray,
    dev_ids: np.ndarray,
    gold: np.ndarray,
    dev_pairs: list[tuple[Any, ...]],
    parallelism: int,
    progress: bool,
    seed: int,
) -> None:
    """Bag-of-words and dependency-path features, and a logistic regression on the marginals (fixed settings)."""
    from snorkel_ie.labeling import FeatureAnnotator
    from snorkel_ie.learning.discriminative import SparseLogisticRegression

    featurizer = FeatureAnnotator()
    F_train = featurizer.apply(split=TRAIN, session=session, parallelism=parallelism, progress=progress)
    F_dev = featurizer.apply_existing(split=DEV, session=session, parallelism=parallelism, progress=progress)
    if list(F_dev.key_names) != list(F_train.key_names):  # dev columns in the order of the training features
        F_dev = featurizer.load_matrix(session, split=DEV, key_names=F_train.key_names)
    if list(F_dev.candidate_ids) != list(dev_ids):
        raise ModelError("the dev feature rows are not in the order of the dev label rows")
    model = SparseLogisticRegression(seed=seed)
    model.train(F_train, train_marginals, n_epochs=20, lr=0.01, l2_penalty=1e-4, verbose=False)
    _log.info("   %d features", F_train.shape[1])
    _score("sparse LR per mention", result, model.predictions(F_dev), gold)
    _score("sparse LR pair max", result, model.predictions(F_dev, groups=dev_pairs), gold)


def run(
    *,
    db: str | None = None,
    data: str | None = None,
    model: str = "en_core_web_sm",
    parallelism: int = 1,
    max_docs: int | None = None,
    lstm_epochs: int = 10,
    report_dir: str | Path = "reports/cdr",
    progress: bool = True,
    seed: int = 1701,
) -> DemoResult:
    """Run the pipeline; see the module docstring."""
    result = DemoResult()
    report = Path(report_dir)
    report.mkdir(parents=True, exist_ok=True)
    session = SnorkelSession(db)

    with _stage(result, "parse, candidates, gold"):
        corpus = load_corpus(session, data, model=model, parallelism=parallelism, max_docs=max_docs, progress=progress)
        _log.info("   %s", corpus)
        result.facts["corpus"] = str(corpus)

    with _stage(result, "labeling functions"):
        lfs = make_lfs(training_cid_documents(session))  # leaves each train candidate's own document out
        labeler = LabelAnnotator(lfs=lfs)
        L_train = labeler.apply(split=TRAIN, session=session, parallelism=parallelism, progress=progress)
        L_dev = labeler.apply_existing(split=DEV, session=session, parallelism=parallelism, progress=progress)
        L_gold_dev = load_gold_labels(session, annotator_name="gold", split=DEV)
        gold = np.asarray(L_gold_dev.toarray()).ravel()
        stats = L_dev.lf_stats(session, L_gold_dev)
        stats.to_csv(report / "lf_stats_dev.csv")
        _log.info("%s", stats.to_string(float_format=lambda x: f"{x:.3f}"))
        result.facts.update(lfs=len(lfs), train_candidates=L_train.shape[0], dev_candidates=L_dev.shape[0])
        _score("majority vote", result, majority_vote(L_dev), gold)

    with _stage(result, "structure learning"):
        choice = optimize(L_train)
        deps = sorted(choice.deps or ())
        _log.info(
            f"   advantage bound {choice.advantage:.4f}, label density {choice.label_density:.2f}: "
            f"{choice.strategy}, {len(deps)} dependencies (threshold {choice.threshold})"
        )
        result.facts.update(strategy=choice.strategy, dependencies=len(deps), label_density=choice.label_density)

    with _stage(result, "generative model"):
        # class propensities (Dawid-Skene): the LFs are one-sided, so abstaining is informative
        gen_model = GenerativeModel(lf_class_propensity=True, class_prior=True, seed=seed)
        gen_model.train(L_train, deps=deps)
        train_marginals = gen_model.marginals(L_train)
        save_marginals(session, L_train, train_marginals)
        _score("generative model", result, gen_model.predictions(L_dev), gold)
        from snorkel_ie.learning.plots import plot_marginals_histogram

        plot_marginals_histogram(
            train_marginals, title="Training marginals (generative model)", path=report / "marginals_histogram.png"
        )

    dev_cands = _candidates(session, L_dev.candidate_ids)
    dev_pairs = relation_keys(dev_cands)  # gold is per (document, chemical, disease): pool over its mentions
    _score(
        "generative pair max",
        result,
        predictions_from_marginals(pool_marginals(gen_model.marginals(L_dev), dev_pairs)),
        gold,
    )

    with _stage(result, "sparse logistic regression"):
        _sparse_baseline(
            session, result, train_marginals, L_dev.candidate_ids, gold, dev_pairs, parallelism, progress, seed
        )

    with _stage(result, "BiLSTM"):
        from snorkel_ie.learning.discriminative import BiLSTM

        train_cands = _candidates(session, L_train.candidate_ids)
        lstm = BiLSTM(seed=seed)
        lstm.train(
            train_cands,
            train_marginals,
            X_dev=dev_cands,  # scored every epoch for the log only: nothing is chosen on the dev split
            Y_dev=gold,
            dev_groups=dev_pairs,
            dev_ckpt=False,
            n_epochs=lstm_epochs,
            lr=0.003,
            dropout=0.5,
            max_sentence_length=50,  # a window around the two arguments
            verbose=progress,
            seed=seed,
        )
        _score("BiLSTM per mention", result, lstm.predictions(dev_cands), gold)
        _score("BiLSTM pair max", result, lstm.predictions(dev_cands, groups=dev_pairs), gold)

    _write_summary(result, report)
    return result


def _write_summary(result: DemoResult, report: Path) -> None:
    (report / "scores.json").write_text(
        json.dumps({"scores": result.scores, "seconds": result.seconds, "facts": result.facts}, indent=2, default=str)
    )
    lines = ["\n== summary: dev split", f"   {'model':<22} {'precision':>9} {'recall':>7} {'F1':>6}"]
    for name, s in result.scores.items():
        lines.append(f"   {name:<22} {s['precision']:>9.3f} {s['recall']:>7.3f} {s['f1']:>6.3f}")
    lines.append("   time per stage: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items()))
    lines.append(f"   total {sum(result.seconds.values()):.1f} s; report in {report}/")
    _log.info("%s", "\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m snorkel_ie.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database URL (default: $SNORKELDB, else ./snorkel.db)")
    parser.add_argument("--data", help="folder with the CDR PubTator files (default: tutorials/cdr/data)")
    parser.add_argument("--model", default="en_core_web_sm", help="spaCy pipeline (falls back to a blank one)")
    parser.add_argument("--parallelism", type=int, default=1)
    parser.add_argument("--max-docs", type=int, default=None, help="documents per file, for a quick run")
    parser.add_argument("--lstm-epochs", type=int, default=10)
    parser.add_argument("--report-dir", default="reports/cdr")
    args = parser.parse_args(argv)
    configure_logging(verbosity=0, stream=sys.stdout)  # the demo's report is its INFO lines
    run(
        db=args.db,
        data=args.data,
        model=args.model,
        parallelism=args.parallelism,
        max_docs=args.max_docs,
        lstm_epochs=args.lstm_epochs,
        report_dir=args.report_dir,
    )


if __name__ == "__main__":
    main()
