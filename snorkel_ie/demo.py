"""The main job: document-level chemical-induced-disease (CDR) extraction end to end.

``make demo`` runs ``python -m snorkel_ie.demo``: parse the CDR abstracts with their
pre-tagged mentions, extract every chemical x disease mention pair of each abstract
(document scope), apply the labeling functions, learn the structure and the generative
model, train the end model on its marginals, and print the task's own score on the dev
split: the set of (PMID, chemical MeSH, disease MeSH) pairs each model predicts against
every gold CID relation of the dev documents, next to the candidates' recall ceiling and
the all-positive baseline.

Mention candidates become entity pairs by their MeSH ids; for majority vote and the
generative model a pair's score is the maximum of its candidates' marginals
(:class:`~snorkel_ie.labeling.entities.EntityPairs`). The end model answers per pair: a
small Keras network over hashed pair features
(:class:`~snorkel_ie.learning.discriminative.pair_model.PairModel`,
:mod:`~snorkel_ie.examples.cdr_pair_features`: words between and around the mentions of
the whole abstract, document structure, the train split's known pairs and entity CID
rates, the LFs' votes on the pair), trained with the noise-aware loss on the train
split's pair-level generative marginals. A pair is predicted when its score is above
0.5. The models train with fixed settings and nothing is tuned per run. The entity-rate
LFs (:mod:`~snorkel_ie.examples.cdr_kb`) and the end model's settings were chosen on
the 250 abstracts of the train split that come from the first half of the CDR
development set, against their gold pairs, never on the dev split; the older LF set and
the generative model's options were settled by an earlier session while comparing dev
scores, so the dev figures are not fully untouched. A report folder gets the LF
statistics (CSV, per mention and per entity pair), the marginal histogram (PNG) and the
scores (JSON).

``--predict FILE --out TSV`` then parses ``FILE`` (a PubTator file; its relation lines, if
any, are never read), labels its candidates and writes the predicted relations of every
document as PubTator relation lines ``PMID<TAB>CID<TAB>chemical<TAB>disease<TAB>score``.

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

from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.examples.cdr import (
    DEV,
    PREDICT,
    PREDICT_PREFIX,
    TRAIN,
    ChemicalDisease,
    load_corpus,
    load_prediction_documents,
    split_document_names,
    training_cid_documents,
)
from snorkel_ie.examples.cdr_kb import training_entity_rates
from snorkel_ie.examples.cdr_lfs import make_lfs
from snorkel_ie.examples.cdr_pair_features import document_indexes, pair_feature_bags
from snorkel_ie.labeling import LabelAnnotator, load_gold_labels, majority_vote, save_marginals
from snorkel_ie.labeling.entities import (
    EntityPairs,
    EntityScores,
    gold_relations,
    load_candidate_views,
    relation_lines,
    score_entity_sets,
)
from snorkel_ie.learning.generative import GenerativeModel
from snorkel_ie.learning.generative.optimizer import optimize
from snorkel_ie.log import configure as configure_logging

_log = logging.getLogger("snorkel_ie.demo")  # also when run as __main__

AGGREGATION = "max"
"""How a pair's score comes from its mention candidates' marginals (fixed, not tuned)."""
THRESHOLD = 0.5
"""A pair is predicted when its score is above this (every model; fixed, not tuned)."""


@dataclass
class DemoResult:
    """Document-level scores on the dev split, the time of each stage, and run facts."""

    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Trained:
    """What prediction on new documents needs from a run."""

    labeler: LabelAnnotator
    gen_model: GenerativeModel
    end_model: Any = None


@contextmanager
def _stage(result: DemoResult, name: str) -> Iterator[None]:
    _log.info("\n== %s", name)
    start = time.perf_counter()
    yield
    result.seconds[name] = time.perf_counter() - start
    _log.info("   %s: %.1f s", name, result.seconds[name])


def _record(result: DemoResult, name: str, s: EntityScores) -> None:
    result.scores[name] = {"precision": s.precision, "recall": s.recall, "f1": s.f1, "tp": s.tp, "fp": s.fp, "fn": s.fn}


def _structure(L_train: Any, result: DemoResult) -> list[Any]:
    choice = optimize(L_train)
    deps = sorted(choice.deps or ())
    _log.info(
        f"   advantage bound {choice.advantage:.4f}, label density {choice.label_density:.2f}: "
        f"{choice.strategy}, {len(deps)} dependencies (threshold {choice.threshold})"
    )
    result.facts.update(strategy=choice.strategy, dependencies=len(deps), label_density=choice.label_density)
    return deps


END_MODEL = {"hidden": 0, "l2": 1e-4, "class_balance": True, "n_models": 3}
"""The pair end model's settings (:class:`~snorkel_ie.learning.discriminative.pair_model.PairModel`),
chosen on the 250 held-out abstracts of the train split, never on the dev split."""


@dataclass
class PairEndModel:
    """The trained pair model and the train split's distant supervision its features read."""

    model: Any
    kb: Any
    rates: Any
    lf_names: list[str]


def _pair_bags(session: Any, end: PairEndModel | None, L: Any, kb: Any, rates: Any) -> tuple[EntityPairs, list]:
    views = load_candidate_views(session, L.candidate_ids, ChemicalDisease)
    pairs = EntityPairs.from_candidates(views)
    names = list(L.key_names) if end is None else end.lf_names
    if list(L.key_names) != names:
        raise ValueError("the label matrix's LFs differ from those the end model was trained with")
    bags = pair_feature_bags(
        pairs.keys, document_indexes(views), kb=kb, rates=rates, votes=pairs.votes(L), lf_names=names
    )
    return pairs, bags


def _end_model(session: Any, L_train: Any, train_marginals: np.ndarray, seed: int) -> PairEndModel:
    """The pair model over the train split's entity pairs, trained on the pair-level
    marginals (the maximum over each pair's mention candidates; fixed settings)."""
    from snorkel_ie.learning.discriminative.pair_model import PairModel

    kb, rates = training_cid_documents(session), training_entity_rates(session)
    pairs, bags = _pair_bags(session, None, L_train, kb, rates)
    model = PairModel(seed=seed, **END_MODEL).train(bags, pairs.aggregate(train_marginals, how=AGGREGATION))
    _log.info("   %d train entity pairs; epochs per network: %s", len(pairs), model.epochs_run_)
    return PairEndModel(model, kb, rates, list(L_train.key_names))


def _end_model_scores(session: Any, end: PairEndModel, L: Any) -> tuple[EntityPairs, np.ndarray]:
    """The entity pairs of ``L``'s candidates and the end model's score of each."""
    pairs, bags = _pair_bags(session, end, L, end.kb, end.rates)
    return pairs, end.model.marginals(bags)


def run(
    *,
    db: str | None = None,
    data: str | None = None,
    model: str = "en_core_web_sm",
    parallelism: int = 1,
    max_docs: int | None = None,
    report_dir: str | Path = "reports/cdr",
    progress: bool = True,
    seed: int = 1701,
    end_model: bool = True,
) -> tuple[DemoResult, Trained, Any]:
    """Run the pipeline (see the module docstring); returns the result, the trained models and the session."""
    result = DemoResult()
    report = Path(report_dir)
    report.mkdir(parents=True, exist_ok=True)
    session = SnorkelSession(db)

    with _stage(result, "parse, candidates, gold"):
        corpus = load_corpus(session, data, model=model, parallelism=parallelism, max_docs=max_docs, progress=progress)
        _log.info("   %s", corpus)
        result.facts["corpus"] = str(corpus)
        gold = gold_relations(session, split_document_names(data, DEV, max_docs=max_docs))

    with _stage(result, "labeling functions"):
        # distant supervision from the train split's documents only, each leaving its own document out
        labeler = LabelAnnotator(lfs=make_lfs(training_cid_documents(session), training_entity_rates(session)))
        L_train = labeler.apply(split=TRAIN, session=session, parallelism=parallelism, progress=progress)
        L_dev = labeler.apply_existing(split=DEV, session=session, parallelism=parallelism, progress=progress)
        pairs = EntityPairs.from_database(session, L_dev.candidate_ids, ChemicalDisease)
        L_gold_dev = load_gold_labels(session, annotator_name="gold", split=DEV)
        L_dev.lf_stats(session, L_gold_dev).to_csv(report / "lf_stats_dev.csv")
        entity_stats = pairs.lf_stats(L_dev, gold)
        entity_stats.to_csv(report / "lf_stats_dev_entity_pairs.csv")
        _log.info("%s", entity_stats.to_string(float_format=lambda x: f"{x:.3f}"))
        result.facts.update(
            lfs=L_train.shape[1],
            train_candidates=L_train.shape[0],
            dev_candidates=L_dev.shape[0],
            dev_entity_pairs=len(pairs),
            dev_gold_pairs=len(gold),
            recall_ceiling=pairs.recall_ceiling(gold),
        )
        _record(result, "all positive", pairs.all_positive(gold))
        _record(result, "majority vote", pairs.score(majority_vote(L_dev), gold, how=AGGREGATION))

    with _stage(result, "structure learning"):
        deps = _structure(L_train, result)

    with _stage(result, "generative model"):
        # class propensities (Dawid-Skene): the LFs are one-sided, so abstaining is informative
        gen_model = GenerativeModel(lf_class_propensity=True, class_prior=True, lf_prior=True, seed=seed)
        gen_model.train(L_train, deps=deps)
        train_marginals = gen_model.marginals(L_train)
        save_marginals(session, L_train, train_marginals)
        _record(result, "generative model", pairs.score(gen_model.marginals(L_dev), gold, how=AGGREGATION))
        from snorkel_ie.learning.plots import plot_marginals_histogram

        plot_marginals_histogram(
            train_marginals, title="Training marginals (generative model)", path=report / "marginals_histogram.png"
        )
    trained = Trained(labeler, gen_model)

    if end_model:
        with _stage(result, "end model"):
            trained.end_model = _end_model(session, L_train, train_marginals, seed)
            end_pairs, end_scores = _end_model_scores(session, trained.end_model, L_dev)
            predicted = {k for k, v in zip(end_pairs.keys, end_scores, strict=True) if v > THRESHOLD}
            _record(result, "end model", score_entity_sets(predicted, gold))

    _write_summary(result, report)
    return result, trained, session


def predict(
    session: Any,
    trained: Trained,
    path: str | Path,
    out: str | Path,
    *,
    model: str = "en_core_web_sm",
    parallelism: int = 1,
    progress: bool = True,
) -> int:
    """Write the relations predicted for every document of the PubTator file ``path`` to ``out``.

    Relation lines of ``path`` are never read. The end model scores the pairs when the
    run trained one, else the generative model. Returns the number of lines written.
    """
    names = load_prediction_documents(session, path, model=model, parallelism=parallelism, progress=progress)
    L = trained.labeler.apply_existing(split=PREDICT, session=session, parallelism=parallelism, progress=progress)
    if L.shape[0] == 0:
        pairs, aggregated = EntityPairs.from_keys([]), np.zeros(0)
    elif trained.end_model is not None:
        pairs, aggregated = _end_model_scores(session, trained.end_model, L)
    else:
        pairs = EntityPairs.from_database(session, L.candidate_ids, ChemicalDisease)
        aggregated = pairs.aggregate(trained.gen_model.marginals(L), how=AGGREGATION)
    order = {name: i for i, name in enumerate(names)}
    keep = [(k, v) for k, v in zip(pairs.keys, aggregated, strict=True) if v > THRESHOLD]
    keep.sort(key=lambda kv: (order.get(kv[0][0], len(order)), kv[0]))
    keys = [(k[0][len(PREDICT_PREFIX) :], *k[1:]) for k, _ in keep]
    lines = relation_lines(keys, [v for _, v in keep])
    Path(out).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    _log.info("   %d relations predicted for %d documents -> %s", len(lines), len(names), out)
    return len(lines)


def _write_summary(result: DemoResult, report: Path) -> None:
    (report / "scores.json").write_text(
        json.dumps({"scores": result.scores, "seconds": result.seconds, "facts": result.facts}, indent=2, default=str)
    )
    f = result.facts
    lines = [
        "\n== summary: dev split, document level: (PMID, chemical MeSH, disease MeSH) vs every gold CID relation",
        f"   {f.get('dev_gold_pairs', 0)} gold pairs; {f.get('dev_entity_pairs', 0)} candidate pairs from "
        f"{f.get('dev_candidates', 0)} mention candidates; recall ceiling of the candidates "
        f"{f.get('recall_ceiling', float('nan')):.3f}",
        f"   {'model':<22} {'precision':>9} {'recall':>7} {'F1':>6}",
    ]
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
    parser.add_argument("--report-dir", default="reports/cdr")
    parser.add_argument("--seed", type=int, default=1701)
    parser.add_argument("--no-end-model", action="store_true", help="stop after the generative model")
    parser.add_argument("--predict", metavar="PUBTATOR_FILE", help="then predict the relations of these documents")
    parser.add_argument("--out", metavar="RELATIONS_TSV", help="where --predict writes (default: stdout)")
    args = parser.parse_args(argv)
    configure_logging(verbosity=0, stream=sys.stdout if args.out or not args.predict else sys.stderr)
    _result, trained, session = run(
        db=args.db,
        data=args.data,
        model=args.model,
        parallelism=args.parallelism,
        max_docs=args.max_docs,
        report_dir=args.report_dir,
        seed=args.seed,
        end_model=not args.no_end_model,
    )
    if args.predict:
        start = time.perf_counter()
        out = args.out or "/dev/stdout"
        predict(session, trained, args.predict, out, model=args.model, parallelism=args.parallelism)
        _log.info("   predict: %.1f s", time.perf_counter() - start)


if __name__ == "__main__":
    main()
