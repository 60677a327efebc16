"""The real label matrices of the label-quality benchmark, built once and cached as ``.npz``.

Spouse and CDR go through the whole pipeline of their tutorials (parse with the blank
spaCy pipeline when no trained one is installed, candidates, gold, LFs applied by
``LabelAnnotator``) in a throw-away SQLite file; YouTube spam applies
:data:`snorkel_ie.examples.youtube_lfs.YOUTUBE_LFS` to the comments; crowd weather is the
worker x tweet matrix. Each set is saved as ``NAME.npz`` holding ``L_<split>`` (CSR parts)
and ``y_<split>`` for the splits it has (gold ``0`` = unknown).

Run: ``python benchmarks/_label_sets.py [--cache DIR] [--only spouse,cdr]``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "snorkel_ie" / "label_sets"
SETS = ("spouse", "cdr", "youtube", "crowd_weather")


def _save(path: Path, splits: dict[str, tuple[sp.csr_matrix, np.ndarray]], cardinality: int) -> None:
    arrays: dict[str, np.ndarray] = {"cardinality": np.array(cardinality)}
    for name, (L, y) in splits.items():
        L = sp.csr_matrix(L)
        arrays.update({
            f"L_{name}_data": L.data.astype(np.int64), f"L_{name}_indices": L.indices, f"L_{name}_indptr": L.indptr,
            f"L_{name}_shape": np.array(L.shape), f"y_{name}": np.asarray(y, dtype=np.int64),
        })  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)


def load(path: Path) -> tuple[dict[str, tuple[sp.csr_matrix, np.ndarray]], int]:
    """The splits ``{name: (L, y)}`` and the cardinality of a cached set."""
    z = np.load(path)
    names = sorted({k[2:-5] for k in z.files if k.startswith("L_") and k.endswith("_data")})
    out = {}
    for name in names:
        L = sp.csr_matrix(
            (z[f"L_{name}_data"], z[f"L_{name}_indices"], z[f"L_{name}_indptr"]), shape=tuple(z[f"L_{name}_shape"])
        )
        out[name] = (L, z[f"y_{name}"])
    return out, int(z["cardinality"])


def _db_splits(session, labeler, splits: dict[str, int]) -> dict[str, tuple[sp.csr_matrix, np.ndarray]]:
    from snorkel_ie import load_gold_labels

    out = {}
    for name, split in splits.items():
        L = (
            labeler.apply(split=split, session=session, progress=False)
            if split == 0
            else labeler.apply_existing(split=split, session=session, progress=False)
        )
        gold = load_gold_labels(session, annotator_name="gold", split=split)
        if list(gold.candidate_ids) != list(L.candidate_ids):
            raise RuntimeError(f"gold rows of split {split} are not in the order of the label rows")
        out[name] = (sp.csr_matrix(L), np.asarray(gold.toarray()).ravel().astype(np.int64))
    return out


def build_spouse(path: Path, db: str) -> None:
    from snorkel_ie import LabelAnnotator, SnorkelSession
    from snorkel_ie.examples.spouse import DEV, TEST, TRAIN, load_corpus, load_known_spouses
    from snorkel_ie.examples.spouse_lfs import make_lfs

    session = SnorkelSession(db)
    load_corpus(session, model="en_core_web_sm", parallelism=1, progress=False)
    labeler = LabelAnnotator(lfs=make_lfs(load_known_spouses()))
    _save(path, _db_splits(session, labeler, {"train": TRAIN, "dev": DEV, "test": TEST}), 2)


def build_cdr(path: Path, db: str) -> None:
    from snorkel_ie import LabelAnnotator, SnorkelSession
    from snorkel_ie.examples.cdr import DEV, TRAIN, load_corpus, training_cid_documents
    from snorkel_ie.examples.cdr_lfs import make_lfs

    session = SnorkelSession(db)
    load_corpus(session, model="en_core_web_sm", parallelism=1, progress=False)
    labeler = LabelAnnotator(lfs=make_lfs(training_cid_documents(session)))
    _save(path, _db_splits(session, labeler, {"train": TRAIN, "dev": DEV}), 2)


def build_youtube(path: Path, db: str) -> None:
    from snorkel_ie.examples.youtube_lfs import YOUTUBE_LFS, label_matrix, load_splits

    splits = load_splits(DATA / "youtube_spam")
    out = {}
    for name, items in splits.items():
        out[name] = (sp.csr_matrix(label_matrix(items, YOUTUBE_LFS)), np.array([c.label for c in items]))
    _save(path, out, 2)


def build_crowd_weather(path: Path, db: str) -> None:
    from snorkel_ie.datasets import load_crowd_weather

    ds = load_crowd_weather(DATA / "crowd_weather")
    _save(path, {"gold": (ds.L.tocsr(), ds.gold)}, ds.cardinality)


BUILDERS = {"spouse": build_spouse, "cdr": build_cdr, "youtube": build_youtube, "crowd_weather": build_crowd_weather}


def ensure(cache: Path, names=SETS, rebuild: bool = False) -> dict[str, Path]:
    """Build the sets not yet cached; returns the paths of those available."""
    out = {}
    for name in names:
        path = cache / f"{name}.npz"
        if rebuild or not path.exists():
            t0 = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                BUILDERS[name](path, f"sqlite:///{tmp}/{name}.db")
            print(f"built {name} in {time.perf_counter() - t0:.0f} s -> {path}", file=sys.stderr)
        out[name] = path
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--only", default=",".join(SETS))
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for name, path in ensure(args.cache, args.only.split(","), args.rebuild).items():
        splits, k = load(path)
        desc = ", ".join(f"{s}: {L.shape[0]}x{L.shape[1]} ({int((y != 0).sum())} gold)" for s, (L, y) in splits.items())
        print(f"{name} (k={k}): {desc}")


if __name__ == "__main__":
    main()
