"""Benchmark of structure learning (DependencySelector) and of training with its dependencies.

Speed, against the figures of the Snorkel paper (VLDB 2017) and against a same-run
baseline (a sweep that refits the selector at every threshold, as the original did):

* selection of pairwise correlations among 100 LFs on 10,000 candidates (paper: 15 s);
* a 25-threshold sweep on a Spouses-sized matrix, 125 LFs x 22,000 candidates (paper:
  14 min on the Spouses task);
* training the generative model with all 4,950 pairwise dependencies among 100 LFs on
  10,000 candidates (paper: about 45 min).

Quality, on seeded synthetic matrices (``snorkel_ie.learning.generative.synthetic``):

* the paper's Example 3.1 (coverage 0.5, 10,000 candidates; 50% and 60% copies): label
  accuracy of majority vote, the independent model, the model given the true structure
  and the model given the selected structure;
* planted dependency groups (100 LFs, 10 groups of 3): precision and recall of the
  recovered pairs at the elbow threshold of the sweep.

Optionally (``--cdr``), the CDR task: sweep, elbow, selected dependencies and dev F1
of the generative model with and without them (parses the corpus on the first run).

Run: ``.venv/bin/python benchmarks/bench_structure.py [--quick] [--cdr [--db URL] [--no-synthetic]]``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from snorkel_ie.learning.generative.structure import DependencySelector
from snorkel_ie.learning.generative.synthetic import (
    make_example_3_1,
    make_planted_dependencies,
)

PAPER_SELECT_S = 15.0
PAPER_SWEEP_S = 14 * 60.0
PAPER_ALL_PAIRS_S = 45 * 60.0


_CPU: list[float] = [0.0]
"""CPU seconds of the last :func:`_timed` call (this process only: on a shared machine the wall time
is mostly waiting for a core)."""


def _timed(fn):
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    _CPU[0] = time.process_time() - cpu
    return out, time.perf_counter() - start


def _model_accuracy(L, y, deps, *, seed: int = 0, threads: int = 1) -> tuple[float, float]:
    from snorkel_ie.learning.generative.model import GenerativeModel

    model = GenerativeModel(seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, seconds = _timed(lambda: model.train(L, deps=sorted(deps), threads=threads))
    return float(np.mean(model.predictions(L) == y)), seconds


def _majority_accuracy(L, y) -> float:
    """Majority vote with ties broken at random (seeded)."""
    votes = np.asarray(L.sum(axis=1)).ravel()
    ties = np.random.default_rng(0).choice([-1, 1], size=votes.size)
    return float(np.mean(np.where(votes == 0, ties, np.sign(votes)) == y))


def _warm_up() -> None:
    """Compile (or load from numba's cache) the kernels the timed runs use, so no row times a compile."""
    L, y, _ = make_planted_dependencies(300, 8, n_groups=1, group_size=2, seed=0)
    DependencySelector().select(L)
    DependencySelector().select(L, higher_order=True)
    _model_accuracy(L, y, [(j, k, 0) for j, k in itertools.combinations(range(8), 2)])  # the pair-table chain
    _model_accuracy(L, y, [(0, 1, 0)])  # the link-list chain


def speed(quick: bool) -> list[tuple[str, float, float, float | None, str]]:
    """Rows of ``(task, wall s, cpu s, paper s, note)``."""
    rows: list[tuple[str, float, float, float | None, str]] = []
    n, m = (2_000, 30) if quick else (10_000, 100)
    L, _, _ = make_planted_dependencies(n, m, n_groups=m // 10, group_size=3, seed=1, coverage=(0.1, 0.5))
    _, t = _timed(lambda: DependencySelector(seed=0).select(L))
    rows.append((f"select, {m} LFs x {n:,}", t, _CPU[0], PAPER_SELECT_S, "paper: 100 LFs x 10,000"))

    thresholds = np.linspace(0.02, 0.5, 25)
    sel = DependencySelector(seed=0)
    _, t_sweep = _timed(lambda: sel.sweep(L, thresholds))
    cpu_sweep = _CPU[0]
    rows.append((f"25-threshold sweep, {m} LFs x {n:,}", t_sweep, cpu_sweep, None, ""))
    if not quick:
        _, t_naive = _timed(lambda: [DependencySelector(seed=0).select(L, threshold=t) for t in thresholds])
        rows.append((f"  same-run baseline: refit per threshold ({_CPU[0] / cpu_sweep:.1f}x the cpu)", t_naive,
                     _CPU[0], None, ""))  # fmt: skip

    ns, ms = (5_000, 40) if quick else (22_000, 125)
    Ls, _, _ = make_planted_dependencies(ns, ms, n_groups=ms // 10, group_size=3, seed=2, coverage=(0.01, 0.15))
    _, t = _timed(lambda: DependencySelector(seed=0).sweep(Ls, thresholds))
    rows.append((f"25-threshold sweep, {ms} LFs x {ns:,} (Spouses-sized)", t, _CPU[0], PAPER_SWEEP_S,
                 "paper: Spouses, 125 LFs"))  # fmt: skip

    na, ma = (2_000, 20) if quick else (10_000, 100)
    La, ya, _ = make_planted_dependencies(na, ma, n_groups=0, group_size=1, seed=3, coverage=(0.1, 0.5))
    all_pairs = [(j, k, 0) for j, k in itertools.combinations(range(ma), 2)]
    acc, t = _model_accuracy(La, ya, all_pairs)
    cpu_all = _CPU[0]
    acc_ind, t_ind = _model_accuracy(La, ya, ())
    cpu_ind = _CPU[0]
    rows.append((f"train with all {len(all_pairs):,} pairs, {ma} LFs x {na:,} (acc {acc:.4f})", t, cpu_all,
                 PAPER_ALL_PAIRS_S, "paper: 100 LFs x 10,000"))  # fmt: skip
    rows.append((f"  same-run baseline: train without dependencies (acc {acc_ind:.4f}; {cpu_all / cpu_ind:.0f}x cpu)",
                 t_ind, cpu_ind, None, ""))  # fmt: skip
    import numba

    if numba.get_num_threads() > 1:
        acc2, t2 = _model_accuracy(La, ya, all_pairs, threads=2)
        rows.append((f"  the same on 2 threads (acc {acc2:.4f}; wall {t2 / t:.2f}x the 1-thread run's)", t2, _CPU[0],
                     None, ""))  # fmt: skip
    return rows


def quality(quick: bool) -> None:
    n = 4_000 if quick else 10_000
    print(f"\nExample 3.1 (coverage 0.5, {n:,} candidates): label accuracy")
    print(f"{'copies':>8} {'majority':>9} {'indep.':>8} {'true deps':>10} {'selected':>9} {'|sel-true|':>11} "
          f"{'deps = truth':>13} {'select s':>9}")  # fmt: skip
    for n_copies, n_good in [(5, 5), (6, 4)]:
        L, y, truth = make_example_3_1(n, n_copies=n_copies, n_good=n_good, seed=0)
        deps, t = _timed(lambda L=L: DependencySelector(seed=0).select(L))
        mv = _majority_accuracy(L, y)
        ind, _ = _model_accuracy(L, y, ())
        true_acc, _ = _model_accuracy(L, y, truth)
        sel_acc, _ = _model_accuracy(L, y, deps)
        print(f"{n_copies * 10:>7}% {mv:>9.4f} {ind:>8.4f} {true_acc:>10.4f} {sel_acc:>9.4f} "
              f"{abs(sel_acc - true_acc):>11.4f} {deps == truth!s:>13} {t:>9.3f}")  # fmt: skip

    n, m = (4_000, 40) if quick else (10_000, 100)
    print(f"\nPlanted dependency groups ({m} LFs, {m // 10} groups of 3, {n:,} candidates), at the elbow")
    print(
        f"{'seed':>5} {'elbow':>6} {'selected':>9} {'true':>5} {'precision':>10} {'recall':>7}  sweep (first 8 counts)"
    )
    for seed in (11, 12, 13):
        L, _, truth = make_planted_dependencies(n, m, n_groups=m // 10, group_size=3, seed=seed, coverage=(0.1, 0.5))
        sel = DependencySelector(seed=0)
        sweep = sel.sweep(L)
        found = sel.select(L, threshold=sweep.elbow)
        hits = len(found & truth)
        print(f"{seed:>5} {sweep.elbow:>6.2f} {len(found):>9} {len(truth):>5} {hits / max(1, len(found)):>10.3f} "
              f"{hits / len(truth):>7.3f}  {sweep.counts[:8].tolist()}")  # fmt: skip


def cdr(db: str | None) -> None:
    """Sweep and dev F1 with and without the selected dependencies on the CDR task."""
    from snorkel_ie.db.session import SnorkelSession
    from snorkel_ie.examples.cdr import DEV, TRAIN, load_corpus, training_cid_pairs
    from snorkel_ie.examples.cdr_lfs import make_lfs
    from snorkel_ie.labeling import LabelAnnotator, load_gold_labels, majority_vote
    from snorkel_ie.learning.generative.model import GenerativeModel
    from snorkel_ie.learning.generative.optimizer import optimize
    from snorkel_ie.learning.utils import binary_prf

    data = str(Path(__file__).resolve().parents[2] / "shared" / "data" / "cdr")
    session = SnorkelSession(db)
    load_corpus(session, data, parallelism=1, progress=False)
    labeler = LabelAnnotator(lfs=make_lfs(training_cid_pairs(session)))
    L_train = labeler.apply(split=TRAIN, session=session, progress=False)
    L_dev = labeler.apply_existing(split=DEV, session=session, progress=False)
    gold = np.asarray(load_gold_labels(session, annotator_name="gold", split=DEV).toarray()).ravel()
    print(f"\nCDR: L_train {L_train.shape}, L_dev {L_dev.shape}")
    choice, t = _timed(lambda: optimize(L_train))
    print(f"advantage bound {choice.advantage:.4f}, label density {choice.label_density:.2f} -> {choice.strategy} "
          f"({t:.2f} s)")  # fmt: skip
    if choice.sweep is not None:
        print("sweep (threshold, count):", choice.sweep.pairs())
        print(f"elbow threshold {choice.threshold}, {len(choice.deps)} dependencies: {sorted(choice.deps)}")
    p, r, f1 = binary_prf(majority_vote(L_dev), gold)
    print(f"{'dev majority vote':<45} P {p:.3f} R {r:.3f} F1 {f1:.3f}")
    runs = [
        ("no dependencies", (), True),
        ("selected dependencies", sorted(choice.deps or ()), True),
        ("no deps, uniform class prior", (), False),  # EM keeps the classes equally likely a priori
    ]
    for name, deps, class_prior in runs:
        model = GenerativeModel(lf_class_propensity=True, class_prior=class_prior, seed=1701)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, t = _timed(lambda model=model, deps=deps: model.train(L_train, deps=deps))
        p, r, f1 = binary_prf(model.predictions(L_dev), gold)
        print(f"dev generative, {name:<29} P {p:.3f} R {r:.3f} F1 {f1:.3f}  (train {t:.1f} s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small matrices, for a smoke run")
    parser.add_argument("--cdr", action="store_true", help="also run the CDR task (parses the corpus once)")
    parser.add_argument("--db", default=None, help="database URL for --cdr (default: $SNORKELDB or ./snorkel.db)")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the synthetic speed and quality runs")
    args = parser.parse_args(argv)
    import numba

    print(f"numba threads: {numba.get_num_threads()}")
    _warm_up()
    if args.cdr and args.no_synthetic:
        cdr(args.db)
        return
    rows = speed(args.quick)
    if args.quick:  # the paper's figures are for the full sizes only
        rows = [(name, ours, cpu, None, "") for name, ours, cpu, _, _ in rows]
    print(f"\n{'task':<74} {'wall (s)':>9} {'cpu (s)':>8} {'paper (s)':>10} {'speed-up':>9}")
    for name, ours, cpu, paper, note in rows:
        ratio = f"{paper / ours:>8.0f}x" if paper else ""
        paper_s = f"{paper:>10.0f}" if paper else ""
        print(f"{name:<74} {ours:>9.3f} {cpu:>8.3f} {paper_s:>10} {ratio:>9}  {note}")
    quality(args.quick)
    if args.cdr:
        cdr(args.db)


if __name__ == "__main__":
    main()
