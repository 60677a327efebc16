"""Hyperparameter search scored by F1 on a development set (Snorkel 0.7's GridSearch/RandomSearch).

A search trains ``model_class(**model_class_params)`` once per configuration with
``model.train(X_train, Y_train, **config, **model_hyperparams)`` (or
``model.train(X_train, **config, ...)`` when ``Y_train`` is None, as for the generative
model, which learns from the label matrix alone), scores it with
``model.score(X_dev, Y_dev, display=False)`` -> (precision, recall, F1) and keeps the
model with the best F1.

Examples
--------
>>> searcher = RandomSearch(GenerativeModel, {"step_size": [1e-3, 1e-4], "reg_param": [0, 0.01]},
...                         L_train, n=4, seed=123)                         # doctest: +SKIP
>>> gen_model, run_stats = searcher.fit(L_dev, L_gold_dev)                 # doctest: +SKIP
>>> run_stats.head()                                                        # doctest: +SKIP
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from snorkel_ie.errors import ConfigurationError

__all__ = ["GridSearch", "RandomSearch"]

SCORE_COLUMNS = ("Prec.", "Rec.", "F-1")


class GridSearch:
    """Train and score every combination of the values in ``param_grid``.

    Parameters
    ----------
    model_class
        A class with ``train`` and ``score`` (``GenerativeModel``, ``BiLSTM``,
        ``SparseLogisticRegression``, ...).
    param_grid
        Hyperparameter name -> list of values to try.
    X_train, Y_train
        Training inputs; ``Y_train=None`` trains with ``X_train`` only.
    model_class_params
        Keyword arguments of the constructor (e.g. ``{"seed": 1701, "cardinality": 2}``).
    model_hyperparams
        Fixed keyword arguments of ``train`` for every configuration.
    save_dir
        When given, each trained model that has ``save`` is saved to
        ``save_dir/config_<i>``.
    """

    def __init__(
        self,
        model_class: type,
        param_grid: Mapping[str, Sequence[Any]],
        X_train: Any,
        Y_train: Any = None,
        *,
        model_class_params: Mapping[str, Any] | None = None,
        model_hyperparams: Mapping[str, Any] | None = None,
        save_dir: str | Path | None = None,
    ):
        self.model_class = model_class
        self.param_grid = dict(param_grid)
        self.param_names = list(self.param_grid)
        self.X_train = X_train
        self.Y_train = Y_train
        self.model_class_params = dict(model_class_params or {})
        self.model_hyperparams = dict(model_hyperparams or {})
        self.save_dir = Path(save_dir) if save_dir is not None else None
        clash = set(self.param_names) & set(self.model_hyperparams)
        if clash:
            raise ConfigurationError(f"{sorted(clash)} are both searched and fixed in model_hyperparams; keep them in one place")
        for name, values in self.param_grid.items():
            if not _is_distribution(values) and len(values) == 0:
                raise ConfigurationError(f"no values to try for {name!r}")
        self.best_model: Any = None
        self.run_stats: pd.DataFrame | None = None

    def search_space(self) -> list[dict[str, Any]]:
        """The configurations to try, in order."""
        combos = itertools.product(*(self.param_grid[n] for n in self.param_names))
        return [dict(zip(self.param_names, (_plain(v) for v in c), strict=True)) for c in combos]

    def fit(self, X_dev: Any, Y_dev: Any, b: float = 0.5, *, verbose: bool = True) -> tuple[Any, pd.DataFrame]:
        """Train every configuration, score it on ``(X_dev, Y_dev)``; return the best model.

        Parameters
        ----------
        X_dev, Y_dev
            Development inputs and gold labels (0 = unknown, ignored).
        b
            Decision threshold, passed to ``score`` when it takes one.
        verbose
            Print each configuration and its scores.

        Returns
        -------
        best_model, run_stats
            The model with the highest dev F1 (the first one on ties) and a DataFrame of
            one row per configuration (its parameters, ``Prec.``, ``Rec.``, ``F-1``),
            sorted by F1, best first.
        """
        space = self.search_space()
        rows: list[dict[str, Any]] = []
        best_f1 = -np.inf
        for i, config in enumerate(space):
            if verbose:
                print(f"[{i + 1}/{len(space)}] {type(self).__name__}: {_fmt(config)}")
            model = self.model_class(**self.model_class_params)
            args = (self.X_train,) if self.Y_train is None else (self.X_train, self.Y_train)
            model.train(*args, **config, **self.model_hyperparams)
            p, r, f1 = _score(model, X_dev, Y_dev, b)
            if verbose:
                print(f"    precision={p:.4f} recall={r:.4f} F1={f1:.4f}")
            if self.save_dir is not None and hasattr(model, "save"):
                model.save(self.save_dir / f"config_{i}")
            rows.append({**config, "Prec.": p, "Rec.": r, "F-1": f1})
            if f1 > best_f1:
                best_f1, self.best_model = f1, model
        stats = pd.DataFrame(rows, columns=[*self.param_names, *SCORE_COLUMNS])
        self.run_stats = stats.sort_values("F-1", ascending=False, kind="stable").reset_index(drop=True)
        if verbose:
            print(f"best: {_fmt(space[int(stats['F-1'].to_numpy().argmax())])} F1={best_f1:.4f}")
        return self.best_model, self.run_stats


class RandomSearch(GridSearch):
    """Train and score ``n`` configurations drawn at random from ``param_ranges``.

    Each parameter's value is drawn uniformly from its list of values, or with
    ``dist.rvs(random_state=rng)`` from a scipy.stats distribution. With only lists,
    duplicate configurations are skipped, so fewer than ``n`` rows come back when the
    grid has fewer than ``n`` points. The draws depend only on ``seed``.

    Parameters
    ----------
    n
        Number of configurations.
    seed
        Seed of the draws.

    See :class:`GridSearch` for the other parameters.
    """

    def __init__(
        self,
        model_class: type,
        param_ranges: Mapping[str, Any],
        X_train: Any,
        Y_train: Any = None,
        n: int = 10,
        *,
        model_class_params: Mapping[str, Any] | None = None,
        model_hyperparams: Mapping[str, Any] | None = None,
        seed: int = 123,
        save_dir: str | Path | None = None,
    ):
        if n < 1:
            raise ConfigurationError(f"n={n}; expected at least one configuration")
        super().__init__(
            model_class, param_ranges, X_train, Y_train,
            model_class_params=model_class_params, model_hyperparams=model_hyperparams, save_dir=save_dir,
        )
        self.n = n
        self.seed = seed

    def search_space(self) -> list[dict[str, Any]]:
        rng = np.random.default_rng(self.seed)
        discrete = not any(_is_distribution(v) for v in self.param_grid.values())
        size = int(np.prod([len(v) for v in self.param_grid.values()])) if discrete else None
        want = min(self.n, size) if size is not None else self.n
        out: list[dict[str, Any]] = []
        seen: set[tuple] = set()
        while len(out) < want:
            config = {name: _draw(self.param_grid[name], rng) for name in self.param_names}
            key = tuple(repr(v) for v in config.values())
            if discrete and key in seen:
                continue
            seen.add(key)
            out.append(config)
        return out


def _is_distribution(values: Any) -> bool:
    return hasattr(values, "rvs")


def _draw(values: Any, rng: np.random.Generator) -> Any:
    if _is_distribution(values):
        return _plain(values.rvs(random_state=rng))
    return _plain(values[int(rng.integers(len(values)))])


def _plain(v: Any) -> Any:
    """numpy scalars -> Python scalars, so models and DataFrames see ordinary values."""
    return v.item() if isinstance(v, np.generic) else v


def _score(model: Any, X_dev: Any, Y_dev: Any, b: float) -> tuple[float, float, float]:
    """``model.score(X_dev, Y_dev, display=False)``, with ``b`` when the method takes it."""
    params = inspect.signature(model.score).parameters
    kwargs: dict[str, Any] = {"display": False}
    if "b" in params:
        kwargs["b"] = b
    p, r, f1 = tuple(model.score(X_dev, Y_dev, **kwargs))[:3]
    return float(p), float(r), float(f1)


def _fmt(config: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in config.items())
