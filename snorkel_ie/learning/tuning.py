"""Hyperparameter search scored on a development set (Snorkel 0.7's GridSearch/RandomSearch).

A search trains ``model_class(**model_class_params)`` once per configuration with
``model.train(X_train, Y_train, **config, **model_hyperparams)`` (or
``model.train(X_train, **config, ...)`` when ``Y_train`` is None, as for the generative
model, which learns from the label matrix alone), scores it with
``model.score(X_valid, Y_valid, display=False)`` -> (precision, recall, ...) and keeps the
model with the best F-beta (F1 by default).

Both classes take Snorkel 0.7's parameters in 0.7's order, and ``fit`` takes 0.7's
``b, beta, set_unlabeled_as_neg, n_threads, eval_batch_size``. Defaults that differ from
0.7: ``save_dir=None`` writes no files (0.7 always wrote checkpoints under
``checkpoints/grid_search``) and ``set_unlabeled_as_neg=False`` leaves gold 0 (unknown)
out of the scores, as every score of snorkel-ie does (0.7 counted it as negative).

With ``n_threads > 1`` the configurations are trained in that many worker processes
(started with "spawn", so TensorFlow's and numba's threads in this process are never
forked). Each configuration is trained and scored exactly as ``n_threads=1`` would, so
the results are identical; the trained models come back pickled. A model class must
therefore be importable by the workers (defined in a module, not in a notebook or
inside a function), and its inputs and trained models picklable; a model class may
define ``portable_inputs(X)`` to turn inputs that cannot travel (database candidates)
into equivalent ones that can, as ``BiLSTM`` does. A script that runs a parallel search
must guard its entry point with ``if __name__ == "__main__":``, as for any
``multiprocessing`` program.

Examples
--------
>>> searcher = RandomSearch(GenerativeModel, {"step_size": [1e-3, 1e-4], "reg_param": [0, 0.01]},
...                         L_train, n=4, seed=123)                         # doctest: +SKIP
>>> gen_model, run_stats = searcher.fit(L_dev, L_gold_dev, n_threads=2)    # doctest: +SKIP
>>> run_stats.head()                                                        # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import logging
import numbers
import pickle
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from snorkel_ie.errors import ConfigurationError
from snorkel_ie.learning.discriminative.base import check_beta, fbeta
from snorkel_ie.learning.utils import as_label_vector
from snorkel_ie.log import report

__all__ = ["GridSearch", "RandomSearch"]

_log = logging.getLogger(__name__)


def score_columns(beta: float = 1) -> tuple[str, str, str]:
    """The score columns of ``run_stats``: ``("Prec.", "Rec.", "F-<beta>")``, e.g. ``"F-1"``."""
    return ("Prec.", "Rec.", f"F-{beta:g}")


SCORE_COLUMNS = score_columns(1)


@dataclasses.dataclass(frozen=True)
class _Job:
    """Everything needed to train and score one configuration (sent to worker processes)."""

    model_class: type
    model_class_params: dict[str, Any]
    model_hyperparams: dict[str, Any]
    X_train: Any
    Y_train: Any
    X_valid: Any
    gold: np.ndarray
    b: float
    set_unlabeled_as_neg: bool
    eval_batch_size: int | None


class GridSearch:
    """Train and score every combination of the values in ``parameter_dict``.

    Parameters
    ----------
    model_class
        A class with ``train`` and ``score`` (``GenerativeModel``, ``BiLSTM``,
        ``SparseLogisticRegression``, ...).
    parameter_dict
        Hyperparameter name (a keyword argument of ``train``) -> list of values to try.
    X_train, Y_train
        Training inputs; ``Y_train=None`` trains with ``X_train`` only.
    model_class_params
        Keyword arguments of the constructor (e.g. ``{"seed": 1701, "cardinality": 2}``).
    model_hyperparams
        Fixed keyword arguments of ``train`` for every configuration.
    save_dir
        When given, each trained model that has ``save`` is saved to
        ``save_dir/config_<i>`` (``i`` counts configurations from 0, in search order): a
        folder for the end models, ``config_<i>.npz`` and ``.json`` for ``GenerativeModel``.
    """

    def __init__(
        self,
        model_class: type,
        parameter_dict: Mapping[str, Sequence[Any]],
        X_train: Any,
        Y_train: Any = None,
        model_class_params: Mapping[str, Any] | None = None,
        model_hyperparams: Mapping[str, Any] | None = None,
        save_dir: str | Path | None = None,
    ):
        if not isinstance(parameter_dict, Mapping):
            raise ConfigurationError(
                f"parameter_dict must map hyperparameter names to values to try; got {type(parameter_dict).__name__}"
            )
        self.model_class = model_class
        self.parameter_dict = dict(parameter_dict)
        self.param_names = list(self.parameter_dict)
        self.X_train = X_train
        self.Y_train = Y_train
        self.model_class_params = dict(model_class_params or {})
        self.model_hyperparams = dict(model_hyperparams or {})
        self.save_dir = Path(save_dir) if save_dir is not None else None
        clash = set(self.param_names) & set(self.model_hyperparams)
        if clash:
            raise ConfigurationError(
                f"{sorted(clash)} are both searched and fixed in model_hyperparams; keep them in one place"
            )
        for name, values in self.parameter_dict.items():
            if not _is_distribution(values) and len(values) == 0:
                raise ConfigurationError(f"no values to try for {name!r}")
        self.best_model: Any = None
        self.run_stats: pd.DataFrame | None = None

    @property
    def results(self) -> pd.DataFrame | None:
        """Snorkel 0.7's name for :attr:`run_stats`."""
        return self.run_stats

    def search_space(self) -> list[dict[str, Any]]:
        """The configurations to try, in order."""
        # Not sklearn's ParameterGrid: it sorts the names, and 0.7 tries them in the dict's order.
        combos = itertools.product(*(self.parameter_dict[n] for n in self.param_names))
        return [dict(zip(self.param_names, (_plain(v) for v in c), strict=True)) for c in combos]

    def fit(
        self,
        X_valid: Any,
        Y_valid: Any,
        b: float = 0.5,
        beta: float = 1,
        set_unlabeled_as_neg: bool = False,
        n_threads: int = 1,
        eval_batch_size: int | None = None,
        *,
        verbose: bool = True,
    ) -> tuple[Any, pd.DataFrame]:
        """Train every configuration, score it on ``(X_valid, Y_valid)``; return the best model.

        Parameters
        ----------
        X_valid, Y_valid
            Development inputs and gold labels.
        b
            Decision threshold, passed to ``score``.
        beta
            Models are ranked by F-beta, ``(1 + beta^2) P R / (beta^2 P + R)`` of the
            precision and recall ``score`` returns (F1 by default).
        set_unlabeled_as_neg
            Binary models: count gold 0 as -1 (0.7's default was ``True``); when
            ``False`` candidates with gold 0 (unknown) are left out.
        n_threads
            Configurations trained at the same time, each in its own worker process
            (see the module notes); the results equal those of ``n_threads=1``.
        eval_batch_size
            Passed to ``score`` as ``batch_size`` (candidates per forward pass) when it
            takes one; it bounds memory (marginals differ by float round-off at most).
        verbose
            Print each configuration and its scores.

        Returns
        -------
        best_model, run_stats
            The model with the highest dev F-beta (the first in search order on ties) and
            a DataFrame of one row per configuration (its parameters, ``Prec.``,
            ``Rec.``, ``F-<beta>``), sorted by F-beta, best first.
        """
        check_beta(beta)
        if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral) or n_threads < 1:
            raise ConfigurationError(f"n_threads={n_threads!r}; expected a positive integer")
        if eval_batch_size is not None and (not isinstance(eval_batch_size, numbers.Integral) or eval_batch_size < 1):
            raise ConfigurationError(f"eval_batch_size={eval_batch_size!r}; expected None or a positive integer")
        space = self.search_space()
        job = _Job(
            self.model_class, self.model_class_params, self.model_hyperparams, self.X_train, self.Y_train,
            X_valid, as_label_vector(Y_valid, name="Y_valid"), b, bool(set_unlabeled_as_neg), eval_batch_size,
        )  # fmt: skip
        if n_threads == 1 or len(space) == 1:
            results = self._run_serially(job, space, verbose)
        else:
            results = self._run_in_processes(job, space, int(n_threads), verbose)
        columns = score_columns(beta)
        try:
            rows, best = self._collect(results, space, columns, beta, verbose)
        finally:
            close = getattr(results, "close", None)
            if close is not None:  # shut the worker processes down now, even when saving a model failed
                close()
        self.best_model = best[2]
        stats = pd.DataFrame(rows, columns=[*self.param_names, *columns])
        self.run_stats = stats.sort_values(columns[2], ascending=False, kind="stable").reset_index(drop=True)
        if verbose:
            report(_log, f"best: {_fmt(space[best[1]])} {columns[2]}={best[0]:.4f}")
        return self.best_model, self.run_stats

    def _collect(
        self, results: Iterable[tuple[int, float, float, Any]], space: list[dict[str, Any]], columns: tuple, beta: float,
        verbose: bool,
    ) -> tuple[list[dict[str, Any]], tuple[float, int, Any]]:
        """Score, report and (with ``save_dir``) save each configuration's model as it arrives; keep the best."""
        rows: list[dict[str, Any]] = [{} for _ in space]
        best: tuple[float, int, Any] | None = None
        for i, p, r, model in results:
            f = fbeta(p, r, beta)
            if verbose:
                report(_log, f"    [{i + 1}/{len(space)}] precision={p:.4f} recall={r:.4f} {columns[2]}={f:.4f}")
            if self.save_dir is not None and hasattr(model, "save"):
                _save(model, self.save_dir / f"config_{i}", verbose)
            rows[i] = {**space[i], columns[0]: p, columns[1]: r, columns[2]: f}
            if best is None or f > best[0] or (f == best[0] and i < best[1]):
                best = (f, i, model)
        assert best is not None
        return rows, best

    def _run_serially(self, job: _Job, space: list[dict[str, Any]], verbose: bool) -> Iterator[tuple]:
        for i, config in enumerate(space):
            if verbose:
                report(_log, f"[{i + 1}/{len(space)}] {type(self).__name__}: {_fmt(config)}")
            p, r, model = _train_and_score(job, config)
            yield i, p, r, model

    def _run_in_processes(
        self, job: _Job, space: list[dict[str, Any]], n_threads: int, verbose: bool
    ) -> Iterator[tuple]:
        from snorkel_ie.runner import run_partitions

        _check_importable(self.model_class, n_threads)
        portable = getattr(self.model_class, "portable_inputs", None)
        if portable is not None:
            job = dataclasses.replace(job, X_train=portable(job.X_train), X_valid=portable(job.X_valid))
        payload = _dumps(job, n_threads)
        if verbose:
            report(
                _log, f"{type(self).__name__}: {len(space)} configurations in {min(n_threads, len(space))} worker processes"
            )
        tasks = list(enumerate(space))
        for i, p, r, blob in run_partitions(
            _run_config, tasks, parallelism=min(n_threads, len(tasks)), context={"payload": payload},
            progress=False, desc="configurations", unit="configuration",
        ):  # fmt: skip
            if verbose:
                report(_log, f"[{i + 1}/{len(space)}] {type(self).__name__}: {_fmt(space[i])}")
            yield i, p, r, pickle.loads(blob)


class RandomSearch(GridSearch):
    """Train and score ``n`` configurations drawn at random from ``parameter_dict``.

    The draws are scikit-learn's ``ParameterSampler``: each parameter's value uniformly
    from its list of values, or ``dist.rvs(...)`` from a scipy.stats distribution. With
    only lists, grid points are drawn without replacement, so fewer than ``n`` rows come
    back when the grid has fewer than ``n`` points. The draws depend only on ``seed``.

    Parameters
    ----------
    n
        Number of configurations.
    seed
        Seed of the draws.

    See :class:`GridSearch` for the other parameters (the order is Snorkel 0.7's).
    """

    def __init__(
        self,
        model_class: type,
        parameter_dict: Mapping[str, Any],
        X_train: Any,
        Y_train: Any = None,
        n: int = 10,
        model_class_params: Mapping[str, Any] | None = None,
        model_hyperparams: Mapping[str, Any] | None = None,
        seed: int = 123,
        save_dir: str | Path | None = None,
    ):
        if n < 1:
            raise ConfigurationError(f"n={n}; expected at least one configuration")
        super().__init__(model_class, parameter_dict, X_train, Y_train, model_class_params, model_hyperparams, save_dir)
        self.n = n
        self.seed = seed

    def search_space(self) -> list[dict[str, Any]]:
        from sklearn.model_selection import ParameterSampler

        # Lists keep their distinct values only (configurations are told apart by repr: a
        # list such as [0.001, 1e-3] holds one value, not two). With only lists the sampler
        # draws grid points without replacement, so at most the grid's size comes back.
        space = {
            name: v if _is_distribution(v) else list({repr(x): x for x in v}.values())
            for name, v in self.parameter_dict.items()
        }
        size = None if any(_is_distribution(v) for v in space.values()) else int(np.prod([len(v) for v in space.values()]))
        n = self.n if size is None else min(self.n, size)
        sampler = ParameterSampler(space, n_iter=n, random_state=self.seed)
        return [{name: _plain(config[name]) for name in self.param_names} for config in sampler]


def _train_and_score(job: _Job, config: Mapping[str, Any]) -> tuple[float, float, Any]:
    """Train one configuration; its dev precision and recall, and the model."""
    model = job.model_class(**job.model_class_params)
    args = (job.X_train,) if job.Y_train is None else (job.X_train, job.Y_train)
    model.train(*args, **config, **job.model_hyperparams)
    p, r = _score(model, job)
    return p, r, model


def _run_config(task: tuple[int, dict[str, Any]], *, payload: bytes) -> tuple[int, float, float, bytes]:
    """Worker-process job: train and score configuration ``task``; the model comes back pickled."""
    i, config = task
    job = pickle.loads(payload)
    p, r, model = _train_and_score(job, config)
    try:
        blob = pickle.dumps(model)
    except (pickle.PicklingError, TypeError, AttributeError) as err:
        raise ConfigurationError(
            f"a trained {type(model).__name__} cannot be sent back from a worker process ({err}); use n_threads=1"
        ) from err
    return i, p, r, blob


def _is_binary(model: Any) -> bool:
    """Whether a trained model predicts -1/+1 (its cardinality may have been inferred at training)."""
    k = getattr(model, "k_", None)  # GenerativeModel: the cardinality it resolved
    if k is None:
        k = getattr(model, "cardinality", None)
    return k in (None, 2)


def _score(model: Any, job: _Job) -> tuple[float, float]:
    """Precision and recall of ``model.score`` on the dev set, with 0.7's scoring options applied."""
    params = inspect.signature(model.score).parameters
    gold = job.gold
    if job.set_unlabeled_as_neg and _is_binary(model):
        gold = np.where(gold == 0, -1, gold)
    kwargs: dict[str, Any] = {"display": False} if "display" in params else {}
    if "b" in params:
        kwargs["b"] = job.b
    elif job.b != 0.5:
        raise ConfigurationError(f"b={job.b}: {type(model).__name__}.score takes no decision threshold")
    if job.eval_batch_size is not None and "batch_size" in params:
        kwargs["batch_size"] = job.eval_batch_size
    out = model.score(job.X_valid, gold, **kwargs)
    if np.ndim(out) == 0:  # a categorical score given as one accuracy
        return float(out), float(out)
    p, r = tuple(out)[:2]
    return float(p), float(r)


def _save(model: Any, path: Path, verbose: bool) -> None:
    if "verbose" in inspect.signature(model.save).parameters:
        model.save(path, verbose=verbose)
    else:
        model.save(path)


def _check_importable(model_class: type, n_threads: int) -> None:
    """Refuse a class that worker processes could not import (they get it by module and name)."""
    qualname = getattr(model_class, "__qualname__", repr(model_class))
    module = getattr(model_class, "__module__", None)
    main_has_file = getattr(sys.modules.get("__main__"), "__file__", None) is not None
    if "<locals>" in qualname:
        where = "inside a function"
    elif module == "__main__" and not main_has_file:
        where = "in a notebook or interactive session"
    else:
        return
    raise ConfigurationError(
        f"n_threads={n_threads} trains in worker processes, which cannot import {qualname} (defined {where}); "
        "define the model class in a module (a .py file) or use n_threads=1"
    )


def _dumps(job: _Job, n_threads: int) -> bytes:
    """The job pickled for the workers, naming the part that cannot be pickled."""
    try:
        return pickle.dumps(job)
    except (pickle.PicklingError, TypeError, AttributeError) as err:
        for field in dataclasses.fields(job):
            try:
                pickle.dumps(getattr(job, field.name))
            except (pickle.PicklingError, TypeError, AttributeError) as part_err:
                raise ConfigurationError(
                    f"n_threads={n_threads}: {field.name} cannot be sent to worker processes ({part_err}); "
                    "use n_threads=1"
                ) from err
        raise ConfigurationError(
            f"n_threads={n_threads}: the search cannot be sent to worker processes ({err})"
        ) from err


def _is_distribution(values: Any) -> bool:
    return hasattr(values, "rvs")


def _plain(v: Any) -> Any:
    """numpy scalars -> Python scalars, so models and DataFrames see ordinary values."""
    return v.item() if isinstance(v, np.generic) else v


def _fmt(config: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in config.items())
