"""snorkel 0.10's ``LabelModel`` as a benchmark peer, in this interpreter or in another one.

snorkel 0.10 needs torch, which the project's environment does not install. The peer runs

* in this process when ``import snorkel`` works here;
* else in the interpreter named by the environment variable ``SNORKEL010_PYTHON`` (a
  separate virtual environment with snorkel 0.10 and torch), as a subprocess that reads
  the label matrices from an ``.npz`` file and writes its predictions and LF accuracies to
  another (this file is also that subprocess's script: it needs only numpy and snorkel);
* else not at all (:func:`available` says why, the tables print ``n/a``).

Matrices are exchanged in snorkel 0.10's convention (dense, ``-1`` abstains, classes
``0..k-1``); :func:`to_snorkel` converts this package's (``0`` abstains, binary ``-1/+1``,
categorical ``1..k``).

Run as a worker: ``SNORKEL010_PYTHON benchmarks/_snorkel010.py IN.npz OUT.npz``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ENV = "SNORKEL010_PYTHON"


def to_snorkel(L, k: int) -> np.ndarray:
    """A label matrix (sparse or dense, this package's convention) as snorkel 0.10's dense int matrix."""
    d = np.asarray(L.toarray() if hasattr(L, "toarray") else L)
    if k == 2:
        return np.where(d == 0, -1, np.where(d > 0, 1, 0)).astype(np.int64)
    return d.astype(np.int64) - 1


def from_snorkel(pred: np.ndarray, k: int) -> np.ndarray:
    """snorkel 0.10 predictions (``-1`` = abstain/tie) in this package's convention (ties: -1 / class 1)."""
    if k == 2:
        return np.where(pred == 1, 1, -1)
    return np.where(pred < 0, 1, pred + 1)


def _in_process() -> bool:
    try:
        import snorkel.labeling.model  # noqa: F401
    except ImportError:
        return False
    return True


def available() -> tuple[str | None, str]:
    """``(how, description)``: ``how`` is ``"here"``, a python path, or None when snorkel 0.10 is unavailable."""
    if _in_process():
        return "here", "snorkel 0.10 in this interpreter"
    python = os.environ.get(ENV)
    if python and Path(python).exists():
        return python, f"snorkel 0.10 via {ENV}={python}"
    return None, f"snorkel 0.10 not importable here and {ENV} not set"


def _fit_predict(train: np.ndarray, evals: list[np.ndarray], k: int, seed: int) -> dict[str, np.ndarray]:
    """Fit a LabelModel on ``train`` (snorkel convention) and predict each of ``evals``."""
    from snorkel.labeling.model import LabelModel

    t0 = time.perf_counter()
    lm = LabelModel(cardinality=k, verbose=False)
    lm.fit(train, seed=seed, progress_bar=False)
    fit_s = time.perf_counter() - t0
    out = {"fit_s": np.array(fit_s)}
    for i, M in enumerate(evals):
        out[f"pred_{i}"] = lm.predict(M, tie_break_policy="abstain")
        out[f"proba_{i}"] = lm.predict_proba(M)
    cp = lm.get_conditional_probs()  # (m, k + 1, k): P(lf = v | y), v = abstain, 0..k-1
    balance = np.asarray(getattr(lm, "p", np.full(k, 1.0 / k))).ravel()[:k]
    right = sum(balance[c] * cp[:, c + 1, c] for c in range(k))
    voted = sum(balance[c] * (1.0 - cp[:, 0, c]) for c in range(k))
    out["lf_accuracy"] = right / np.maximum(voted, 1e-300)  # P(y = vote | vote) under the fitted model
    return out


def fit_predict(L_train, evals, k: int, *, seed: int = 123) -> dict[str, np.ndarray] | None:
    """snorkel 0.10's LabelModel fitted on ``L_train`` and applied to each matrix of ``evals``.

    Returns ``{"fit_s", "pred_i", "proba_i", "lf_accuracy"}`` (predictions in this package's
    convention) or None when snorkel 0.10 is unavailable or its run failed (the reason goes
    to stderr).
    """
    out = fit_predict_many([(L_train, evals, k)], seed=seed)
    return None if out is None else out[0]


def fit_predict_many(jobs, *, seed: int = 123) -> list[dict[str, np.ndarray]] | None:
    """:func:`fit_predict` for each ``(L_train, evals, k)`` of ``jobs``, in one subprocess (torch imported once)."""
    how, why = available()
    if how is None:
        return None
    arrays: dict[str, np.ndarray] = {"n_jobs": np.array(len(jobs)), "seed": np.array(seed)}
    for j, (L_train, evals, k) in enumerate(jobs):
        arrays.update(
            {f"j{j}_train": to_snorkel(L_train, k), f"j{j}_k": np.array(k), f"j{j}_n_eval": np.array(len(evals))}
        )
        arrays.update({f"j{j}_eval_{i}": to_snorkel(M, k) for i, M in enumerate(evals)})
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.npz", Path(tmp) / "out.npz"
        np.savez(src, **arrays)
        if how == "here":
            _worker(str(src), str(dst))
        else:
            proc = subprocess.run([how, __file__, str(src), str(dst)], capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
                print(f"  [LabelModel failed ({why}): {tail}]", file=sys.stderr)
                return None
        with np.load(dst) as z:
            flat = {name: z[name] for name in z.files}
    results = []
    for j, (_, evals, k) in enumerate(jobs):
        out = {name.split("_", 1)[1]: v for name, v in flat.items() if name.startswith(f"j{j}_")}
        for i in range(len(evals)):
            out[f"pred_{i}"] = from_snorkel(out[f"pred_{i}"], k)
        results.append(out)
    return results


def _worker(src: str, dst: str) -> None:
    out: dict[str, np.ndarray] = {}
    with np.load(src) as z:
        seed = int(z["seed"])
        for j in range(int(z["n_jobs"])):
            evals = [z[f"j{j}_eval_{i}"] for i in range(int(z[f"j{j}_n_eval"]))]
            res = _fit_predict(z[f"j{j}_train"], evals, int(z[f"j{j}_k"]), seed)
            out.update({f"j{j}_{name}": v for name, v in res.items()})
    np.savez(dst, **out)


if __name__ == "__main__":
    _worker(sys.argv[1], sys.argv[2])
