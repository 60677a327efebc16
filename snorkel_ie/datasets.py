"""Small loaders of the public, gold-labelled data sets used by tests, tutorials and benchmarks.

Examples
--------
>>> ds = load_crowd_weather()  # doctest: +SKIP
>>> ds.L.shape, ds.cardinality
((1000, 102), 5)
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ParseError

__all__ = ["CROWD_WEATHER_CLASSES", "CrowdDataset", "cdr_sample_path", "default_data_dir", "load_crowd_weather"]

CROWD_WEATHER_CLASSES = (
    "Negative",
    "Neutral / author is just sharing information",
    "Positive",
    "Tweet not related to weather condition",
    "I can't tell",
)


def cdr_sample_path() -> Path:
    """A PubTator file of 25 CDR training abstracts installed with the package (the README quickstart's corpus)."""
    return Path(__file__).resolve().parent / "examples" / "data" / "CDR_sample.PubTator.txt"


def default_data_dir() -> Path:
    """``../shared/data`` relative to the project root (the checkout holding ``snorkel_ie``)."""
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


@dataclass
class CrowdDataset:
    """A crowdsourcing label matrix: items x workers, votes ``1..k`` (``0`` = no judgement)."""

    L: sp.csr_matrix
    gold: np.ndarray
    item_ids: list[str]
    worker_ids: list[str]
    classes: tuple[str, ...]

    @property
    def cardinality(self) -> int:
        return len(self.classes)


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except OSError as err:
        raise ParseError(f"cannot read the crowd weather data: {err}", str(path)) from err


def load_crowd_weather(data_dir: str | Path | None = None) -> CrowdDataset:
    """The CrowdFlower weather-sentiment judgements as a 5-class label matrix (tweets x workers).

    Each worker is a labeling function; ``gold`` holds the class (``1..5``, in the order of
    :data:`CROWD_WEATHER_CLASSES`) of every tweet from ``weather-evaluated-agg-DFE.csv``.
    """
    base = Path(data_dir) if data_dir is not None else default_data_dir()
    base = base / "crowd_weather" if (base / "crowd_weather").is_dir() else base
    code = {name: i + 1 for i, name in enumerate(CROWD_WEATHER_CLASSES)}
    judgements = _read_csv(base / "weather-non-agg-DFE.csv")
    gold_rows = _read_csv(base / "weather-evaluated-agg-DFE.csv")
    items = sorted({r["tweet_id"] for r in gold_rows})
    item_index = {t: i for i, t in enumerate(items)}
    workers = sorted({r["worker_id"] for r in judgements}, key=int)
    worker_index = {w: j for j, w in enumerate(workers)}
    votes: dict[tuple[int, int], tuple[int, int]] = {}  # (tweet, worker) -> (answer, line)
    for line, r in enumerate(judgements, start=2):
        if r["emotion"] not in code:
            raise ParseError(f"unknown answer {r['emotion']!r}", str(base / "weather-non-agg-DFE.csv"), line)
        if r["tweet_id"] not in item_index:
            continue
        cell = (item_index[r["tweet_id"]], worker_index[r["worker_id"]])
        answer = code[r["emotion"]]
        if cell in votes and votes[cell][0] != answer:  # one vote per worker and tweet: say which lines clash
            raise ParseError(
                f"worker {r['worker_id']} answered tweet {r['tweet_id']} twice, differently (first on line "
                f"{votes[cell][1]})", str(base / "weather-non-agg-DFE.csv"), line
            )  # fmt: skip
        votes.setdefault(cell, (answer, line))
    rows, cols = [i for i, _ in votes], [j for _, j in votes]
    vals = [answer for answer, _ in votes.values()]
    L = sp.csr_matrix((vals, (rows, cols)), shape=(len(items), len(workers)), dtype=np.int64)
    gold = np.zeros(len(items), dtype=np.int64)
    for r in gold_rows:
        gold[item_index[r["tweet_id"]]] = code[r["sentiment"]]
    return CrowdDataset(L=L, gold=gold, item_ids=items, worker_ids=workers, classes=CROWD_WEATHER_CLASSES)
