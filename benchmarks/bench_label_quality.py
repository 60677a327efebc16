"""Label quality of the generative model: does it find the right answer on every seed and every real LF set?

One table, three parts (worst seed shown, ``worst (seed) / mean``):

* **Example 3.1** of the VLDB'17 paper: ``c`` exact copies of one LF of accuracy 0.5 and
  ``10 - c`` independent LFs of accuracy 0.9, each voting on half the points, n = 10,000,
  balanced, 20 seeds, at 50% and 60% copies. Label accuracy of majority vote, of the
  default model without dependencies, with the true dependencies and with those
  ``DependencySelector().select(L)`` finds; ``oracle`` is the posterior under the
  generating parameters (the Bayes limit, reached by no model on every seed). A run is
  *flipped* when its accuracy is below 0.5.
* **One-sided suite**: 8 positive-only and 8 negative-only LFs, each firing on 15-40% of
  its class and 2-50% as often on the other, n = 10,000, 10 seeds at each class balance
  0.1, 0.2, ..., 0.5. Label accuracy and the mean absolute error of the learned LF
  accuracies ``P(y = vote | vote)`` (``learned_lf_stats``) against the empirical ones.
* **Real LF sets** (``benchmarks/_label_sets.py`` builds and caches them): spouse and
  YouTube spam (dev and test gold), CDR (its dev gold cut in two by row parity: even
  rows "dev", odd rows "test") and crowd weather (all 1,000 gold tweets; ``select`` chooses
  on the even rows and is scored on the odd ones).
  The models train on the unlabelled train matrix (crowd weather: the whole matrix);
  ``select`` is :func:`select_model` choosing on the dev part, scored on both parts.
  Metric: F1 of the positive class (spouse, CDR), accuracy (YouTube, weather).

Columns: majority vote (ties and empty rows negative / lowest class), the default
``GenerativeModel()``, one-coin Dawid-Skene EM, snorkel 0.10's ``LabelModel`` (in this
interpreter when ``import snorkel`` works, else in the one ``SNORKEL010_PYTHON`` names, see
``_snorkel010.py``; ``n/a`` otherwise), and for Example 3.1 the dependency models and the
Bayes ceiling in closed form (:func:`bayes_ceiling`).

Real sets also show ``LF acc MAE``: the mean absolute difference, over the LFs with at
least 10 gold-labelled votes in the split, between ``learned_lf_stats()["Accuracy"]``
and the LF's accuracy on that split's gold (``P(y = vote | vote)``), next to the same
for a constant 0.5 and for LabelModel's conditional probabilities.

Run: ``python benchmarks/bench_label_quality.py [--seeds 20] [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _label_sets
import _snorkel010

from snorkel_ie.learning.generative import DependencySelector, GenerativeModel
from snorkel_ie.learning.generative.selection import select_model
from snorkel_ie.learning.generative.synthetic import make_example_3_1
from snorkel_ie.scoring import binary_prf


# ---------------------------------------------------------------------------- baselines
def majority(L: sp.csr_matrix, k: int) -> np.ndarray:
    L = sp.csr_matrix(L)
    if k == 2:
        s = np.asarray(L.sum(axis=1)).ravel()
        return np.where(s > 0, 1, -1)
    counts = np.zeros((L.shape[0], k))
    np.add.at(counts, (np.repeat(np.arange(L.shape[0]), np.diff(L.indptr)), L.data - 1), 1.0)
    return counts.argmax(axis=1) + 1


def one_coin_em(L_train: sp.csr_matrix, k: int, iters: int = 200):
    """One-coin Dawid-Skene (each LF right with one probability, else uniform), from majority vote."""
    L = sp.csr_matrix(L_train)
    n, m = L.shape
    rows = np.repeat(np.arange(n), np.diff(L.indptr))
    cols = L.indices
    vals = (L.data > 0).astype(np.int64) if k == 2 else L.data.astype(np.int64) - 1
    q = np.full((n, k), 1.0 / k)
    mv = majority(L, k)
    q[np.arange(n), (mv > 0).astype(int) if k == 2 else mv - 1] += 1.0
    q /= q.sum(axis=1, keepdims=True)
    for _ in range(iters):
        pi = q.mean(axis=0) + 1e-9
        acc = (np.bincount(cols, weights=q[rows, vals], minlength=m) + 1) / (np.bincount(cols, minlength=m) + 2)
        q = _one_coin_posterior(L, k, pi, acc)

    def predict(M):
        post = _one_coin_posterior(sp.csr_matrix(M), k, pi, acc)
        idx = post.argmax(axis=1)
        return np.where(idx == 1, 1, -1) if k == 2 else idx + 1

    return predict


def _one_coin_posterior(L, k, pi, acc):
    n = L.shape[0]
    rows = np.repeat(np.arange(n), np.diff(L.indptr))
    vals = (L.data > 0).astype(np.int64) if k == 2 else L.data.astype(np.int64) - 1
    right, wrong = np.log(acc), np.log((1 - acc) / (k - 1))
    logq = np.tile(np.log(pi), (n, 1))
    np.add.at(logq, rows, wrong[L.indices][:, None] * np.ones(k))
    np.add.at(logq, (rows, vals), right[L.indices] - wrong[L.indices])
    q = np.exp(logq - logq.max(axis=1, keepdims=True))
    return q / q.sum(axis=1, keepdims=True)


def fit_ours(L, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GenerativeModel(**{k: v for k, v in kw.items() if k != "deps"})
        model.train(L, deps=kw.get("deps", ()))
    return model


def accuracy(pred, y) -> float:
    known = y != 0
    return float(np.mean(pred[known] == y[known]))


def f1(pred, y) -> float:
    return float(binary_prf(pred, y)[2])


# ---------------------------------------------------------------------------- suites
def oracle_example(L, y, n_copies, good_acc):
    w = np.r_[np.zeros(n_copies), np.full(L.shape[1] - n_copies, np.arctanh(2 * good_acc - 1))]
    s = sp.csr_matrix(L, dtype=np.float64) @ w
    return accuracy(np.where(s > 0, 1, -1), y)


def bayes_ceiling(n_good: int, good_acc: float, coverage: float) -> float:
    """Population Bayes accuracy of Example 3.1 (balanced classes, ties broken at random).

    The copies have accuracy 0.5, so their votes are independent of ``y`` and carry no
    information; the Bayes rule is the majority of the good LFs that voted. With ``v`` of
    the ``n_good`` voting (binomial in ``coverage``) and ``r`` of those right (binomial in
    ``good_acc``), it is right when ``r > v / 2`` and half the time when ``r = v / 2``.
    """
    from math import comb

    total = 0.0
    for v in range(n_good + 1):
        p_v = comb(n_good, v) * coverage**v * (1 - coverage) ** (n_good - v)
        right = sum(comb(v, r) * good_acc**r * (1 - good_acc) ** (v - r) * (1.0 if 2 * r > v else 0.5 if 2 * r == v else 0.0)
                    for r in range(v + 1))  # fmt: skip
        total += p_v * right
    return total


def example_3_1(n_copies: int, seeds: range) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in ("MV", "default", "true deps", "selected deps", "oracle", "DS1")}
    out["deps found"] = []
    mats = []
    for seed in seeds:
        L, y, deps = make_example_3_1(
            10_000, n_copies=n_copies, n_good=10 - n_copies, copy_acc=0.5, good_acc=0.9, coverage=0.5, seed=seed
        )
        selected = DependencySelector().select(L)
        out["MV"].append(accuracy(majority(L, 2), y))
        out["default"].append(accuracy(fit_ours(L).predictions(L), y))
        out["true deps"].append(accuracy(fit_ours(L, deps=sorted(deps)).predictions(L), y))
        out["selected deps"].append(accuracy(fit_ours(L, deps=sorted(selected)).predictions(L), y))
        out["oracle"].append(oracle_example(L, y, n_copies, 0.9))
        out["DS1"].append(accuracy(one_coin_em(L, 2)(L), y))
        out["deps found"].append(float(set(selected) == set(deps)))
        mats.append((L, y))
    lm = _snorkel010.fit_predict_many([(L, [L], 2) for L, _ in mats])
    out["LabelModel"] = None if lm is None else [accuracy(r["pred_0"], y) for r, (_, y) in zip(lm, mats, strict=True)]
    return out


def one_sided(seed: int, balance: float, n: int = 10_000):
    rng = np.random.default_rng([seed, int(balance * 100)])
    y = np.where(rng.random(n) < balance, 1, -1)
    cols = []
    for s in [1] * 8 + [-1] * 8:
        own = rng.uniform(0.15, 0.4)
        rate = np.where(y == s, own, own * rng.uniform(0.02, 0.5))
        cols.append(np.where(rng.random(n) < rate, s, 0))
    return sp.csr_matrix(np.column_stack(cols)), y


def one_sided_suite(seeds: range, balances) -> dict[str, list]:
    out: dict[str, list] = {k: [] for k in ("MV", "default", "DS1", "mae", "where", "lm_mae")}
    mats = []
    for balance in balances:
        for seed in seeds:
            L, y = one_sided(seed, balance)
            model = fit_ours(L)
            d = L.toarray()
            emp = np.array([np.mean(y[d[:, j] != 0] == d[d[:, j] != 0, j][0]) for j in range(d.shape[1])])
            out["mae"].append(float(np.abs(model.learned_lf_stats()["Accuracy"].to_numpy() - emp).mean()))
            out["MV"].append(accuracy(majority(L, 2), y))
            out["default"].append(accuracy(model.predictions(L), y))
            out["DS1"].append(accuracy(one_coin_em(L, 2)(L), y))
            out["where"].append(f"s{seed} b{balance:.1f}")
            mats.append((L, y, emp))
    lm = _snorkel010.fit_predict_many([(L, [L], 2) for L, _, _ in mats])
    out["LabelModel"] = None if lm is None else [accuracy(r["pred_0"], y) for r, (_, y, _) in zip(lm, mats, strict=True)]
    if lm is not None:
        out["lm_mae"] = [float(np.abs(r["lf_accuracy"] - emp).mean()) for r, (_, _, emp) in zip(lm, mats, strict=True)]
    return out


def real_sets(cache: Path) -> list[tuple[str, str, str, dict[str, float]]]:
    rows = []
    for name, path in _label_sets.ensure(cache).items():
        splits, k = _label_sets.load(path)
        if name == "crowd_weather":  # no split of its own: all gold scored, select_model chooses on even rows
            L, y = splits["gold"]
            splits = {"train": (L, np.zeros_like(y)), "dev": (L[0::2], y[0::2]), "test": (L[1::2], y[1::2]),
                      "all": (L, y)}  # fmt: skip
        elif "test" not in splits:
            L, y = splits["dev"]
            splits["dev"], splits["test"] = (L[0::2], y[0::2]), (L[1::2], y[1::2])
        L_train = splits["train"][0]
        metric, score = ("F1", f1) if name in ("spouse", "cdr") else ("accuracy", accuracy)
        t0 = time.perf_counter()
        ours = fit_ours(L_train, cardinality=k if k > 2 else None)
        fit_s = time.perf_counter() - t0
        ds1 = one_coin_em(L_train, k)
        parts = ("all",) if "all" in splits else ("dev", "test")
        lm = _snorkel010.fit_predict(L_train, [splits[p][0] for p in parts], k)
        learned = ours.learned_lf_stats()["Accuracy"].to_numpy()[: L_train.shape[1]]
        sel = select_model(L_train, *splits["dev"], metric="f1" if metric == "F1" else "accuracy",
                           cardinality=k if k > 2 else None)  # fmt: skip
        for i, split in enumerate(parts):
            L, y = splits[split]
            emp, ok = gold_lf_accuracy(L, y)
            r = {
                "MV": score(majority(L, k), y),
                "default": score(ours.predictions(L), y),
                "DS1": score(ds1(L), y),
                "LabelModel": score(lm[f"pred_{i}"], y) if lm else None,
                "select": score(sel.model.predictions(L), y),
                "mae": float(np.abs(learned - emp)[ok].mean()),
                "mae_half": float(np.abs(0.5 - emp)[ok].mean()),
                "mae_lm": float(np.abs(lm["lf_accuracy"] - emp)[ok].mean()) if lm else None,
                "n_mae": int(ok.sum()),
            }
            if split == "all":  # select_model chose on the even rows: score it on the odd ones only
                L_odd, y_odd = splits["test"]
                r["select"] = score(sel.model.predictions(L_odd), y_odd)
                r["select_note"] = f"odd rows, MV {score(majority(L_odd, k), y_odd):.3f}"
            rows.append((f"{name} {split} ({int((y != 0).sum())} gold)", metric, f"{fit_s:.2f}s fit", r))
        rows.append((f"  {name}: select_model chose", "", "", {"config": _short(sel.config)}))
    return rows


def gold_lf_accuracy(L, y, min_votes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Per LF, its accuracy on the gold-labelled rows it votes on, and whether it has ``min_votes`` of them."""
    Lc = sp.csc_matrix(L)
    acc, ok = np.full(Lc.shape[1], np.nan), np.zeros(Lc.shape[1], dtype=bool)
    for j in range(Lc.shape[1]):
        rows, votes = Lc.indices[Lc.indptr[j] : Lc.indptr[j + 1]], Lc.data[Lc.indptr[j] : Lc.indptr[j + 1]]
        known = y[rows] != 0
        if known.sum() >= min_votes:
            acc[j], ok[j] = np.mean(votes[known] == y[rows][known]), True
    return acc, ok


def _short(config: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in config.items() if v is not None) or "default"


# ---------------------------------------------------------------------------- printing
def worst(values, where=None) -> str:
    arr = np.asarray(values)
    i = int(np.argmin(arr))
    at = where[i] if where is not None else f"s{i}"
    return f"{arr[i]:.3f} ({at}) / {arr.mean():.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20, help="Example 3.1 seeds (the one-sided suite uses half)")
    ap.add_argument("--quick", action="store_true", help="3 seeds, balances 0.1 and 0.5")
    ap.add_argument("--cache", type=Path, default=_label_sets.DEFAULT_CACHE)
    ap.add_argument("--skip-real", action="store_true")
    args = ap.parse_args()
    n_seeds = 3 if args.quick else args.seeds
    balances = (0.1, 0.5) if args.quick else (0.1, 0.2, 0.3, 0.4, 0.5)
    t0 = time.perf_counter()
    print("worst (seed) / mean over seeds; Example 3.1 and one-sided rows: label accuracy")
    print(f"{'case':<34}{'metric':<10}{'MV':>24}{'default':>24}{'one-coin DS':>24}{'other':>44}")
    for c in (5, 6):
        r = example_3_1(c, range(n_seeds))
        flipped = sum(v < 0.5 for k in ("default", "true deps", "selected deps") for v in r[k])
        print(f"{f'Ex 3.1 {c * 10}% copies, {n_seeds} seeds':<34}{'accuracy':<10}{worst(r['MV']):>24}"
              f"{worst(r['default']):>24}{worst(r['DS1']):>24}"
              f"{'true deps ' + worst(r['true deps']):>44}")  # fmt: skip
        print(f"{'':<34}{'':<10}{'':>24}{'':>24}{'':>24}{'selected deps ' + worst(r['selected deps']):>44}")
        print(f"{'':<34}{'':<10}{'':>24}{'':>24}{'':>24}{'oracle ' + worst(r['oracle']):>44}")
        ceiling = bayes_ceiling(10 - c, 0.9, 0.5)
        print(f"{'':<34}{'':<10}{'':>24}{'':>24}{'':>24}{f'Bayes ceiling (closed form) {ceiling:.4f}':>44}")
        lm = "n/a" if r["LabelModel"] is None else worst(r["LabelModel"])
        print(f"{'':<34}{'':<10}{'':>24}{'':>24}{'':>24}{'LabelModel ' + lm:>44}")
        gap = min(np.subtract(r["true deps"], r["oracle"]).min(), np.subtract(r["selected deps"], r["oracle"]).min())
        print(f"{'':<34}{'':<10}  selector found the true deps on {int(sum(r['deps found']))}/{n_seeds} seeds; "
              f"flipped runs: {flipped}; deps models - oracle >= {gap:+.3f}; "
              f"default - MV >= {np.subtract(r['default'], r['MV']).min():+.3f}")  # fmt: skip
    seeds = range(max(n_seeds // 2, 2) if not args.quick else 3)
    r = one_sided_suite(seeds, balances)
    print(f"{f'one-sided, {len(seeds)} seeds x {len(balances)} balances':<34}{'accuracy':<10}"
          f"{worst(r['MV'], r['where']):>24}{worst(r['default'], r['where']):>24}{worst(r['DS1'], r['where']):>24}"
          f"{'default - MV >= ' + format(np.subtract(r['default'], r['MV']).min(), '+.3f'):>44}")  # fmt: skip
    mae = np.asarray(r["mae"])
    at = r["where"][int(mae.argmax())]
    print(f"{'':<34}{'LF acc MAE':<10}{'':>24}{f'{mae.max():.4f} ({at}) / {mae.mean():.4f}':>24}  (largest / mean)")
    if r["LabelModel"] is not None:
        lm_mae = np.asarray(r["lm_mae"])
        print(f"{'':<34}{'':<10}{'':>24}{'':>24}{'':>24}{'LabelModel ' + worst(r['LabelModel'], r['where']):>44}")
        print(f"{'':<34}{'':<10}{'':>24}{'':>24}{'':>24}{f'LabelModel LF acc MAE {lm_mae.max():.4f} / {lm_mae.mean():.4f}':>44}")
    if not args.skip_real:
        for case, metric, note, res in real_sets(args.cache):
            if "config" in res:
                print(f"{case:<34}{res['config']}")
                continue
            lm = "n/a" if res["LabelModel"] is None else f"{res['LabelModel']:.3f}"
            extra = f" [{res['select_note']}]" if "select_note" in res else ""
            other = f" select {res['select']:.3f}{extra}  LabelModel {lm}  ({note})"
            print(f"{case:<34}{metric:<10}{res['MV']:>24.3f}{res['default']:>24.3f}{res['DS1']:>24.3f}{other:>44}")
            lm_mae = "n/a" if res["mae_lm"] is None else f"{res['mae_lm']:.3f}"
            base = f" constant 0.5: {res['mae_half']:.3f}  LabelModel {lm_mae}  ({res['n_mae']} LFs)"
            print(f"{'':<34}{'LF acc MAE':<10}{'':>24}{res['mae']:>24.3f}{'':>24}{base:>44}")
    print(f"(LabelModel: {_snorkel010.available()[1]}; total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
