"""Benchmark of the generative label model against majority vote, one-coin EM and snorkel 0.10.

Seeded synthetic label matrices in the classic data programming setup (independent LFs,
coverage U(0.1, 0.5), accuracy U(0.55, 0.9), balanced classes) at 10k x 10, 10k x 100,
100k x 50 and 1M x 20. Every model runs in its own subprocess so that its peak memory
(``ru_maxrss`` of the process: imports included) is clean; each subprocess first fits a
tiny matrix so that one-off costs (numba cache loading, torch initialisation) are not
timed. Reported per model: fit time, time to compute marginals, peak RSS (and the part of
it that is shared library code, so that private memory can be compared too), label
accuracy, and the MAE of the estimated LF accuracies against the LFs' in-sample
accuracies (what a model can recover from the matrix) and against the generating ones.
An oracle line gives the limits of any model of the matrix: the label accuracy and the
in-sample MAE of the exact posterior under the generating accuracies.

Run: ``.venv/bin/python benchmarks/bench_generative.py [--quick]``. snorkel 0.10's
``LabelModel`` runs in this interpreter when ``import snorkel`` works, else in the one the
environment variable ``SNORKEL010_PYTHON`` names (a separate venv with snorkel 0.10 and
torch: its worker process then runs this file under that interpreter), else it is left out.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _snorkel010

SIZES = [(10_000, 10), (10_000, 100), (100_000, 50), (1_000_000, 20), (10_000_000, 20)]
BIG = 5_000_000
"""From this many rows on, snorkel 0.10's LabelModel (which densifies the matrix) is left out."""
QUICK_SIZES = [(2_000, 10), (10_000, 20)]
MODELS = ["ours", "majority", "em", "labelmodel"]
INNER, INNER_MAX_NNZ = 5, 2_000_000
"""Matrices of at most this many votes are fitted INNER times per process (median kept): their fits take milliseconds."""
SEED_OFFSET = {**{size: i for i, size in enumerate(QUICK_SIZES)}, **{size: i for i, size in enumerate(SIZES)}}
"""A size's matrix is the same whether it runs alone (``--sizes``) or with the others."""


def make_matrix(n: int, m: int, seed: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Independent binary LFs: returns L (CSR, -1/0/+1), y and the generating accuracies.

    Built column by column as sparse arrays (never an ``n x m`` dense matrix), so the 10M
    size fits in memory.
    """
    rng = np.random.default_rng(seed)
    acc = rng.uniform(0.55, 0.9, m)
    cov = rng.uniform(0.1, 0.5, m)
    y = rng.choice(np.array([-1, 1], dtype=np.int8), size=n)
    idx, vals = [], []
    for j in range(m):
        rows = np.flatnonzero(rng.random(n) < cov[j]).astype(np.int32)
        right = rng.random(rows.size) < acc[j]
        idx.append(rows)
        vals.append(np.where(right, y[rows], -y[rows]).astype(np.int8))
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum([r.size for r in idx], out=indptr[1:])
    L = sp.csc_matrix((np.concatenate(vals), np.concatenate(idx), indptr), shape=(n, m)).tocsr()
    return L, y.astype(np.int64), acc


def empirical_accuracy(L: sp.csr_matrix, y: np.ndarray) -> np.ndarray:
    Lc = L.tocsc()
    right = np.asarray((Lc.multiply(y[:, None]) > 0).sum(axis=0)).ravel()
    return right / np.maximum(np.diff(Lc.indptr), 1)


def oracle(L: sp.csr_matrix, y: np.ndarray, acc: np.ndarray) -> tuple[float, float]:
    """Label accuracy and in-sample accuracy MAE of the posterior under the *generating* model.

    With the true accuracies (and the balanced class prior) known, ``P(y_i | L_i)`` is
    exact; the label accuracy of its argmax is the Bayes limit (up to how ties fall), and an LF's expected
    in-sample accuracy given ``L`` (the mean over its votes of ``P(y_i = vote)``) is the
    least-squares best estimate any model of ``L`` alone can reach: the floor of MAE emp.
    """
    Lf = sp.csr_matrix(L, dtype=np.float64)
    p = 1.0 / (1.0 + np.exp(-(Lf @ np.log(acc / (1.0 - acc)))))
    Lc = Lf.tocsc()
    p_right = np.asarray((Lc > 0).T @ p + (Lc < 0).T @ (1.0 - p)).ravel() / np.maximum(np.diff(Lc.indptr), 1)
    label_acc = float(np.mean(np.where(p > 0.5, 1, -1) == y))  # ties as the models' rows are scored
    return label_acc, float(np.mean(np.abs(p_right - empirical_accuracy(L, y))))


# ---------------------------------------------------------------------------- models
def fit_ours(L: sp.csr_matrix):
    from snorkel_ie.learning.generative import GenerativeModel

    model = GenerativeModel()
    model.train(L)  # threads=1: on a shared 2-core machine a second thread mostly waits at barriers
    return model, lambda M: model.marginals(M), lambda: model.learned_lf_stats()["Accuracy"].to_numpy()


def fit_majority(L: sp.csr_matrix):
    def marg(M):
        s = np.asarray(M.sum(axis=1)).ravel()
        return np.where(s > 0, 1.0, np.where(s < 0, 0.0, 0.5))

    return None, marg, None


def fit_em(L: sp.csr_matrix, iters: int = 200, tol: float = 1e-7):
    """One-coin Dawid-Skene: each LF is right with one probability, whatever the class."""
    L = sp.csr_matrix(L, dtype=np.float64)
    pos = (L > 0).astype(np.float64).tocsc()
    neg = (L < 0).astype(np.float64).tocsc()
    count = np.asarray(pos.sum(axis=0) + neg.sum(axis=0)).ravel()
    s = np.asarray(L.sum(axis=1)).ravel()
    q = np.where(s > 0, 1.0, np.where(s < 0, 0.0, 0.5))  # initialise with majority vote
    acc = np.full(L.shape[1], 0.7)
    for _ in range(iters):
        new_acc = (pos.T @ q + neg.T @ (1.0 - q) + 1.0) / (count + 2.0)
        prior = np.clip(q.mean(), 1e-6, 1 - 1e-6)
        logodds = L @ np.log(new_acc / (1.0 - new_acc)) + np.log(prior / (1.0 - prior))
        q = 1.0 / (1.0 + np.exp(-logodds))
        done = np.max(np.abs(new_acc - acc)) < tol
        acc = new_acc
        if done:
            break
    w = np.log(acc / (1.0 - acc))

    def marg(M):
        return 1.0 / (1.0 + np.exp(-(sp.csr_matrix(M, dtype=np.float64) @ w + np.log(prior / (1 - prior)))))

    return None, marg, lambda: acc


def _to_snorkel(M: sp.csr_matrix) -> np.ndarray:
    d = M.toarray()
    return np.where(d == 0, -1, np.where(d > 0, 1, 0)).astype(np.int64)


def fit_labelmodel(L: sp.csr_matrix):
    from snorkel.labeling.model import LabelModel

    dense = L._snorkel_dense  # converted outside the timed region
    lm = LabelModel(cardinality=2, verbose=False)
    lm.fit(dense, seed=123, progress_bar=False)

    def accs():
        cp = lm.get_conditional_probs()  # (m, k+1, k): P(lf = v | y), v = abstain, 0, 1
        right = 0.5 * (cp[:, 1, 0] + cp[:, 2, 1])
        voted = 0.5 * ((1 - cp[:, 0, 0]) + (1 - cp[:, 0, 1]))
        return right / voted

    return lm, lambda M: lm.predict_proba(M._snorkel_dense)[:, 1], accs


FITTERS = {"ours": fit_ours, "majority": fit_majority, "em": fit_em, "labelmodel": fit_labelmodel}


def _resident_file_kb() -> int:
    """Resident file-backed pages of this process (mostly shared library code), in kB; 0 off Linux."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("RssFile:"))
    except (OSError, StopIteration):
        return 0


def worker(model: str, data_path: str) -> dict:
    """Run one model in this process and return its measurements."""
    if model == "labelmodel":
        import snorkel  # noqa: F401 - fails fast when the optional dependency is missing
    z = np.load(data_path)
    L = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
    y, true_acc = z["y"], z["acc"]
    warm, _, _ = make_matrix(300, L.shape[1], seed=99)
    for M in (warm, L):
        if model == "labelmodel":
            M._snorkel_dense = _to_snorkel(M)
    _, warm_marg, _ = FITTERS[model](warm)
    warm_marg(warm)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timings = []
    for _ in range(INNER if L.nnz <= INNER_MAX_NNZ else 1):  # small sizes: the median of a few fits in this process
        t0, c0 = time.perf_counter(), time.process_time()
        _, marg, accs = FITTERS[model](L)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        p = marg(L)
        marg_s = time.perf_counter() - t0
        timings.append((fit_s + marg_s, fit_s, marg_s, time.process_time() - c0))
    _, fit_s, marg_s, cpu_s = sorted(timings)[len(timings) // 2]
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {
        "lib_mb": _resident_file_kb() / 1024,
        "fit_s": fit_s if model != "majority" else 0.0,
        "marg_s": marg_s,
        "cpu_s": cpu_s,
        "peak_mb": rss_after / 1024,
        "delta_mb": (rss_after - rss_before) / 1024,
        "label_acc": float(np.mean(np.where(p > 0.5, 1, -1) == y)),
        "mae_emp": None,
        "mae_true": None,
    }
    if accs is not None:
        est = np.asarray(accs())
        out["mae_emp"] = float(np.mean(np.abs(est - empirical_accuracy(L, y))))
        out["mae_true"] = float(np.mean(np.abs(est - true_acc)))
    return out


def run_size(
    n: int, m: int, seed: int, models: list[str], repeat: int = 3
) -> tuple[dict[str, dict | None], tuple[float, float]]:
    L, y, acc = make_matrix(n, m, seed)
    results: dict[str, dict | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.npz")
        np.savez(path, data=L.data, indices=L.indices, indptr=L.indptr, shape=np.array(L.shape), y=y, acc=acc)
        for model in models:
            python = sys.executable
            if model == "labelmodel":
                how, why = _snorkel010.available()
                if n >= BIG or how is None:
                    if how is None:
                        print(f"  [labelmodel: {why}]", file=sys.stderr)
                    continue
                python = sys.executable if how == "here" else how
            runs = []
            for _ in range(repeat):
                proc = subprocess.run(
                    [python, __file__, "--worker", model, "--data", path], capture_output=True, text=True, check=False
                )
                if proc.returncode != 0:
                    tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
                    print(f"  [{model} unavailable at {n}x{m}: {tail}]", file=sys.stderr)
                    break
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            # the run of median fit + marginals time (each run is a fresh process)
            results[model] = sorted(runs, key=lambda r: r["fit_s"] + r["marg_s"])[len(runs) // 2] if runs else None
    return results, oracle(L, y, acc)


COLD_SIZE = (10_000, 100)
COLD_CASES = ("default model", "with 3 dependencies (numba)", "categorical view (numba)", "one-coin EM (baseline)")
"""The dependency and categorical models run numba kernels: their first fit compiles them."""


def cold_worker(case: str, data_path: str) -> dict:
    """Import, fit and marginals in this fresh process; times measured from before the import."""
    z = np.load(data_path)
    L = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
    t0 = time.perf_counter()
    if case == "one-coin EM (baseline)":
        _, marg, _ = fit_em(L)
        marg(L)
        return {"first_s": time.perf_counter() - t0, "numba": "numba" in sys.modules}
    from snorkel_ie.learning.generative import DEP_FIXING, DEP_SIMILAR, GenerativeModel

    t_import = time.perf_counter() - t0
    if case == "categorical view (numba)":
        L = L.copy()
        L.data = np.where(L.data > 0, 2, 1).astype(L.data.dtype)
        model = GenerativeModel(cardinality=3)
    else:
        model = GenerativeModel()
    deps = [(0, 1, DEP_SIMILAR), (2, 3, DEP_SIMILAR), (4, 5, DEP_FIXING)] if "dependencies" in case else ()
    model.train(L, deps=deps)
    model.marginals(L)
    return {"first_s": time.perf_counter() - t0, "import_s": t_import, "numba": "numba" in sys.modules}


def cold_start() -> None:
    """First fit + marginals in a fresh process with an empty numba cache, then with the cache warm."""
    n, m = COLD_SIZE
    L, _, _ = make_matrix(n, m, seed=7)
    print(f"\ncold start at {n:,} x {m}: a fresh process imports, fits and computes the marginals")
    print("(empty: NUMBA_CACHE_DIR is a new empty folder; warm: the same folder after the first run)")
    print(f"{'case':<30}{'empty s':>9}{'warm s':>8}{'import s':>9}{'numba':>7}{'empty / EM':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.npz")
        np.savez(path, data=L.data, indices=L.indices, indptr=L.indptr, shape=np.array(L.shape))
        rows = {}
        for case in COLD_CASES:
            cache = tempfile.mkdtemp(dir=tmp)
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            runs = []
            for _ in range(2):
                proc = subprocess.run(
                    [sys.executable, __file__, "--cold-worker", case, "--data", path],
                    capture_output=True, text=True, check=True, env=env,
                )  # fmt: skip
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            rows[case] = runs
        em = rows["one-coin EM (baseline)"][0]["first_s"]
        for case, (cold, warm) in rows.items():
            imp = cold.get("import_s")
            print(f"{case:<30}{cold['first_s']:>9.3f}{warm['first_s']:>8.3f}{_fmt(imp, '.3f'):>9}"
                  f"{'yes' if cold['numba'] else 'no':>7}{cold['first_s'] / em:>11.2f}")  # fmt: skip


def _one_coin_em(L: sp.csr_matrix, k: int, iters: int = 100) -> np.ndarray:
    """Categorical one-coin Dawid-Skene: each worker is right with one probability, else uniform."""
    n, m = L.shape
    rows = np.repeat(np.arange(n), np.diff(L.indptr))
    cols, vals = L.indices, L.data.astype(np.int64) - 1
    q = np.zeros((n, k))
    np.add.at(q, (rows, vals), 1.0)
    q /= q.sum(axis=1, keepdims=True)  # start from the vote shares
    for _ in range(iters):
        pi = q.mean(axis=0) + 1e-9
        acc = (np.bincount(cols, weights=q[rows, vals], minlength=m) + 1) / (np.bincount(cols, minlength=m) + 2)
        right, wrong = np.log(acc), np.log((1 - acc) / (k - 1))
        logq = np.tile(np.log(pi), (n, 1))
        np.add.at(logq, rows, wrong[cols][:, None] * np.ones(k))
        np.add.at(logq, (rows, vals), right[cols] - wrong[cols])
        q = np.exp(logq - logq.max(axis=1, keepdims=True))
        q /= q.sum(axis=1, keepdims=True)
    return q.argmax(axis=1) + 1


def crowd_weather(with_labelmodel: bool) -> None:
    """Accuracy against the 1,000 gold answers of the CrowdFlower weather-sentiment matrix."""
    from snorkel_ie.datasets import default_data_dir, load_crowd_weather
    from snorkel_ie.learning.generative import GenerativeModel

    if not (default_data_dir() / "crowd_weather").is_dir():
        print("\ncrowd weather: ../shared/data/crowd_weather not present, skipped")
        return
    ds = load_crowd_weather()
    L, gold, k = ds.L.tocsr(), ds.gold, ds.cardinality
    counts = np.zeros((L.shape[0], k))
    np.add.at(counts, (np.repeat(np.arange(L.shape[0]), np.diff(L.indptr)), L.data - 1), 1.0)
    rng = np.random.default_rng(0)
    results = {
        "majority vote (ties: lowest class)": counts.argmax(axis=1) + 1,
        "majority vote (ties: random, seeded)": (counts + rng.random(counts.shape) * 1e-3).argmax(axis=1) + 1,
        "one-coin Dawid-Skene EM": _one_coin_em(L, k),
    }
    for name, kw in [("ours: GenerativeModel(cardinality=5)", {}), ("ours: + class_prior", {"class_prior": True})]:
        model = GenerativeModel(cardinality=k, seed=1, **kw)
        model.train(L)
        results[name] = model.predictions(L)
    lm = _snorkel010.fit_predict(L, [L], k) if with_labelmodel else None
    if lm is not None:
        results["snorkel 0.10 LabelModel (ties: class 1)"] = lm["pred_0"]
    print(f"\ncrowd weather ({L.shape[0]:,} tweets x {L.shape[1]} workers, {L.nnz:,} judgements, {k} classes)")
    for name, pred in results.items():
        print(f"  {name:<40} accuracy {np.mean(pred == gold):.4f}")


def _fmt(v, spec):
    return "-" if v is None else format(v, spec)


def print_table(n: int, m: int, res: dict[str, dict | None], limit: tuple[float, float]) -> None:
    base_name = "em" if res.get("em") else "labelmodel"
    base = res.get(base_name)
    print(f"\n{n:,} x {m}  (ratios vs {base_name})")
    print(f"{'model':<11}{'fit s':>9}{'marg s':>9}{'peak MB':>9}{'lib MB':>8}{'fit dMB':>9}{'label acc':>11}"
          f"{'MAE emp':>9}{'MAE true':>9}{'time x':>8}{'mem x':>7}{'priv x':>7}{'f+m/base':>9}{'f+m cpu s':>10}"
          f"{'cpu/base':>9}")  # fmt: skip
    for name, r in res.items():
        if r is None:
            print(f"{name:<11}  (not available)")
            continue
        tr = base["fit_s"] / r["fit_s"] if base and r["fit_s"] > 0 else None
        mr = r["peak_mb"] / base["peak_mb"] if base else None
        pr = (r["peak_mb"] - r["lib_mb"]) / (base["peak_mb"] - base["lib_mb"]) if base else None
        both = base["fit_s"] + base["marg_s"] if base else 0.0
        fm = (r["fit_s"] + r["marg_s"]) / both if both > 0 and name != "majority" else None
        cr = r["cpu_s"] / base["cpu_s"] if base and base.get("cpu_s") and name != "majority" else None
        print(
            f"{name:<11}{r['fit_s']:>9.3f}{r['marg_s']:>9.3f}{r['peak_mb']:>9.0f}{r['lib_mb']:>8.0f}"
            f"{r['delta_mb']:>9.0f}{r['label_acc']:>11.4f}"
            f"{_fmt(r['mae_emp'], '.4f'):>9}{_fmt(r['mae_true'], '.4f'):>9}"
            f"{_fmt(tr, '.2f'):>8}{_fmt(mr, '.2f'):>7}{_fmt(pr, '.2f'):>7}{_fmt(fm, '.2f'):>9}"
            f"{_fmt(r.get('cpu_s'), '.3f'):>10}{_fmt(cr, '.2f'):>9}"
        )
    ours = res.get("ours")
    peers = [r["label_acc"] for k, r in res.items() if r and k != "ours"]
    if ours and peers:
        print(f"ours - best peer label accuracy: {ours['label_acc'] - max(peers):+.4f}")
    print(f"oracle (generating accuracies known): label acc {limit[0]:.4f}, MAE emp {limit[1]:.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two small matrices only")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--sizes", help="comma-separated NxM sizes, e.g. 10000x10,1000000x20 (default: the four above)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per model and size; the median is shown")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-start runs")
    ap.add_argument("--cold-only", action="store_true", help="only the cold-start runs")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--cold-worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.data)))
        return
    if args.cold_worker:
        print(json.dumps(cold_worker(args.cold_worker, args.data)))
        return
    if args.cold_only:
        cold_start()
        return
    print("fit s: training time (warm: each process first fits a 300-row matrix); marg s: marginals of all rows;")
    print("each model runs --repeat times (fresh processes) and the run of median fit + marginals is shown;")
    print(f"matrices of at most {INNER_MAX_NNZ:,} votes are fitted {INNER} times per process (median of those);")
    print("peak MB: the process's peak RSS, imports included; lib MB: of which resident file-backed pages at the end")
    print("(shared library code: numba's LLVM, torch); fit dMB: peak RSS growth during fit + marginals;")
    print("MAE emp/true: mean |estimated - actual| LF accuracy")
    print("against the in-sample accuracies / the generating ones; time x = baseline fit / model fit (>1 = faster);")
    print("mem x = model peak / baseline peak; priv x = the same without library pages (peak MB - lib MB);")
    print("f+m/base = (fit + marginals) / the baseline's (issue 22's target for ours vs em: <= 0.5); f+m cpu s:")
    print("the process's CPU time over fit + marginals, and cpu/base its ratio (steadier than wall time on a loaded machine).")
    sizes = QUICK_SIZES if args.quick else SIZES
    if args.sizes:
        sizes = [tuple(int(x) for x in size.split("x")) for size in args.sizes.split(",")]
    for n, m in sizes:
        seed = args.seed + SEED_OFFSET.get((n, m), 0)
        print_table(n, m, *run_size(n, m, seed, args.models.split(","), args.repeat))
    crowd_weather("labelmodel" in args.models.split(","))
    if not args.no_cold:
        cold_start()


if __name__ == "__main__":
    main()
