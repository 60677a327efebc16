"""Test data for the discriminative models: tiny synthetic relation tasks, no database."""

from __future__ import annotations

import numpy as np
import pytest

from snorkel_ie.learning.discriminative.inputs import mark_sequence

FILLER = [f"w{i}" for i in range(25)]
CUES = {1: ["married", "wed"], -1: ["met", "saw", "called", "visited"]}


def relation_task(n: int, seed: int, *, pos_rate: float = 0.4) -> tuple[list[list[str]], np.ndarray]:
    """Marked sentences where the word between the two arguments decides the label.

    Returns the sequences and gold labels (+1/-1).
    """
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n):
        label = 1 if rng.random() < pos_rate else -1
        words = list(rng.choice(FILLER, int(rng.integers(6, 14))))
        i = int(rng.integers(0, len(words) - 3))
        words[i + 1] = str(rng.choice(CUES[label]))
        X.append(mark_sequence(words, (i, i), (i + 2, i + 2)))
        y.append(label)
    return X, np.array(y)


def noisy_marginals(gold: np.ndarray, seed: int) -> np.ndarray:
    """P(y=1) that points the right way with confidence in [0.6, 0.95], some exactly 0.5."""
    rng = np.random.default_rng(seed)
    conf = rng.uniform(0.6, 0.95, len(gold))
    m = np.where(gold == 1, conf, 1 - conf)
    m[rng.random(len(gold)) < 0.1] = 0.5
    return m


@pytest.fixture(scope="session")
def relation_data():
    X_train, y_train = relation_task(300, seed=1)
    X_dev, y_dev = relation_task(150, seed=2)
    return X_train, noisy_marginals(y_train, 3), X_dev, y_dev
