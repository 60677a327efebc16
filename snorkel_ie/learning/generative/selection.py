"""Choosing the label model's configuration on a small dev gold set, in one call (0.7's workflow).

:func:`select_model` fits one :class:`~.model.GenerativeModel` per configuration of a
small grid (class-conditional or observed abstentions, class prior, dependencies
selected at a few thresholds, regularisation) on the unlabelled training matrix and
keeps the one that scores best on the dev gold. The grid starts with the default, and a
configuration replaces the current best only when it scores strictly higher, so with
no signal in the dev set the default is kept.

Examples
--------
>>> result = select_model(L_train, L_dev, y_dev)          # doctest: +SKIP
>>> result.model.marginals(L_train)                         # doctest: +SKIP
>>> print(result.table)                                     # doctest: +SKIP
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from snorkel_ie.errors import ModelError
from snorkel_ie.scoring import as_label_vector, binary_prf, categorical_accuracy

__all__ = ["DEFAULT_GRID", "SelectionResult", "select_model"]

_log = logging.getLogger(__name__)

DEFAULT_GRID: tuple[dict[str, Any], ...] = (
    {},  # the default ("auto")
    {"lf_class_propensity": False, "class_prior": False},
    {"lf_class_propensity": False, "class_prior": True},
    {"lf_class_propensity": True, "class_prior": True},
    {"lf_class_propensity": True, "class_prior": False},
    {"lf_class_propensity": True, "class_prior": True, "reg_param": 1e-3},
)
"""Model options of the grid; ``reg_param`` goes to ``train``. Dependency thresholds are added per row."""


@dataclass
class SelectionResult:
    """The chosen model, its configuration and the dev score of every configuration tried."""

    model: Any
    config: dict[str, Any]
    score: float
    table: Any = field(repr=False, default=None)


def _score(model, L_dev, gold: np.ndarray, metric: str) -> float:
    pred = model.predictions(L_dev)
    if metric == "f1":
        return float(binary_prf(pred, gold)[2])
    return float(categorical_accuracy(pred, gold))


def select_model(
    L_train: Any,
    L_dev: Any,
    y_dev: Any,
    *,
    grid: Sequence[dict[str, Any]] = DEFAULT_GRID,
    dep_thresholds: Sequence[float | None] = (None, 0.05),
    metric: str | None = None,
    seed: int = 271828,
    cardinality: int | None = None,
    train_kwargs: dict[str, Any] | None = None,
) -> SelectionResult:
    """Fit every configuration on ``L_train`` and keep the best on ``(L_dev, y_dev)``.

    Parameters
    ----------
    L_train, L_dev
        Label matrices (the same LF columns).
    y_dev
        Dev gold (``0`` = unknown, ignored).
    grid
        Model options to try (``reg_param`` is passed to ``train``).
    dep_thresholds
        ``None`` = no dependencies; a number = the dependencies
        ``DependencySelector().select(L_train, threshold=t)`` (tried with the
        observed-abstention configurations only: the class-conditional fit takes none).
    metric
        ``"f1"`` (binary, positive class) or ``"accuracy"``; ``None`` = F1 for a binary
        model, accuracy otherwise.
    train_kwargs
        Further ``train`` arguments used for every fit (e.g. ``epochs``).

    Returns
    -------
    SelectionResult
        ``model`` (fitted), ``config``, its dev ``score`` and ``table`` (a DataFrame, one
        row per configuration).
    """
    from snorkel_ie.learning.generative.model import GenerativeModel
    from snorkel_ie.learning.generative.structure import DependencySelector

    gold = as_label_vector(y_dev, name="y_dev")
    if not np.any(gold != 0):
        raise ModelError("y_dev has no known label (all 0): model selection needs some dev gold")
    deps_at: dict[float, list] = {}
    rows, best = [], None
    for options in grid:
        options = dict(options)
        reg = options.pop("reg_param", None)
        observed = options.get("lf_class_propensity") is False
        for t in dep_thresholds if observed else (None,):
            if t is not None and t not in deps_at:
                deps_at[t] = sorted(DependencySelector().select(L_train, threshold=t, cardinality=cardinality))
            kwargs = dict(train_kwargs or {})
            if reg is not None:
                kwargs["reg_param"] = reg
            model = GenerativeModel(seed=seed, cardinality=cardinality, **options)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # a configuration's fallback or convergence is part of its score
                    model.train(L_train, deps=deps_at.get(t, ()), **kwargs)
            except ModelError as err:  # e.g. class propensities asked of a categorical model
                _log.info("select_model: %s skipped (%s)", options, err)
                continue
            metric = metric or ("f1" if model.signed_ else "accuracy")
            score = _score(model, L_dev, gold, metric)
            config = {**options, **({"reg_param": reg} if reg is not None else {}), "dep_threshold": t}
            rows.append({**{k: str(v) for k, v in config.items()}, "n_deps": len(deps_at.get(t, ())), metric: score})
            if best is None or score > best.score:
                best = SelectionResult(model, config, score)
            _log.info("select_model: %s -> %s %.4f", config, metric, score)
    import pandas as pd

    best.table = pd.DataFrame(rows)
    return best
