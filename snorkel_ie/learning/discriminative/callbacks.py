"""The end models' epoch loop hooks: Keras callbacks for dev F1, early stopping and checkpoints.

Both end models run their own epochs (the BiLSTM a compiled step over length-bucketed
batches, the logistic regression numpy Adam) and hand each epoch's row to one
:class:`keras.callbacks.CallbackList`:

* :class:`DevScores` scores the dev split and puts ``dev_p``, ``dev_r``, ``dev_f1`` into
  the epoch's logs (the one dev-F1 callback);
* :class:`keras.callbacks.EarlyStopping` on ``dev_f1`` keeps the best epoch's weights
  (``restore_best_weights``), stops after ``patience`` epochs without improvement and
  starts watching at Snorkel 0.7's ``dev_ckpt_delay`` (``start_from_epoch``);
* :class:`keras.callbacks.ModelCheckpoint` (``save_best_only``) writes each new best to
  ``save_dir/<name>`` through the classifier's own :meth:`save`.

The callbacks see the classifier through :class:`CallbackModel`, which offers the few
methods they call (``get_weights``, ``set_weights``, ``save_weights``, ``stop_training``).
Importing this module imports Keras (and so TensorFlow): only ``train`` does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from snorkel_ie.learning.discriminative.config import EpochConfig
from snorkel_ie.learning.discriminative.train_data import _format_row, dev_scores
from snorkel_ie.log import report

__all__ = ["CallbackModel", "DevScores", "EpochLoop", "make_callbacks"]

_log = logging.getLogger(__name__)

CHECKPOINT_FILE = "weights.weights.h5"
"""The name Keras's ``ModelCheckpoint`` asks for; the classifier saves its own folder instead."""


class CallbackModel:
    """What Keras's callbacks need of a model, over a classifier's weight arrays.

    Parameters
    ----------
    get_weights, set_weights
        Read / write the classifier's weights as a list of arrays.
    save
        ``save(folder, global_step)``: write a checkpoint into ``folder``.
    """

    def __init__(
        self,
        get_weights: Callable[[], list[np.ndarray]],
        set_weights: Callable[[list[np.ndarray]], None],
        save: Callable[[Path, int], Any],
    ):
        self._get, self._set, self._save = get_weights, set_weights, save
        self.stop_training = False
        self.epoch = 0

    def get_weights(self) -> list[np.ndarray]:
        return [np.array(w, copy=True) for w in self._get()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        self._set(weights)

    def save_weights(self, filepath: str, overwrite: bool = True) -> None:
        self._save(Path(filepath).parent, self.epoch)


class DevScores(keras.callbacks.Callback):
    """Adds ``dev_p``, ``dev_r`` and ``dev_f1`` of the dev marginals to each epoch's logs.

    Parameters
    ----------
    marginals
        Returns the current model's dev marginals.
    gold, b, groups, cardinality
        As :func:`.training.dev_scores` takes them.
    """

    def __init__(
        self, marginals: Callable[[], np.ndarray], gold: np.ndarray, b: float, groups: Sequence[Any] | None, cardinality: int
    ):
        super().__init__()
        self._marginals, self._gold, self._b, self._groups, self._k = marginals, gold, b, groups, cardinality
        self.latest: dict[str, float] = {}
        """The last epoch's scores (Keras hands the callbacks a copy of the caller's logs)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        scores = dev_scores(self._marginals(), self._gold, self._b, self._groups, self._k)
        self.latest = dict(zip(("dev_p", "dev_r", "dev_f1"), scores, strict=True))
        if logs is not None:
            logs.update(self.latest)


def make_callbacks(
    config: EpochConfig, dev: DevScores | None, name: str
) -> tuple[list[keras.callbacks.Callback], keras.callbacks.EarlyStopping | None]:
    """The callbacks of one training run (see the module docstring) and its early stopping."""
    if dev is None:
        return [], None
    start = config.first_checkpoint_epoch()
    early = keras.callbacks.EarlyStopping(
        monitor="dev_f1",
        mode="max",
        patience=config.patience if config.patience is not None else config.n_epochs + 1,
        restore_best_weights=config.dev_ckpt,
        start_from_epoch=start,
    )
    callbacks: list[keras.callbacks.Callback] = [dev, early]
    if config.dev_ckpt and config.save_dir is not None:
        # Epochs before `start` log ckpt_f1 = -1, below the threshold: never saved.
        callbacks.append(_GatedF1(start))
        callbacks.append(
            keras.callbacks.ModelCheckpoint(
                # ModelCheckpoint formats its path with the logs: braces of the folder are escaped
                str(Path(config.save_dir) / name / CHECKPOINT_FILE).replace("{", "{{").replace("}", "}}"),
                monitor="ckpt_f1",
                mode="max",
                save_best_only=True,
                save_weights_only=True,
                initial_value_threshold=-0.5,
            )
        )
    return callbacks, early


class _GatedF1(keras.callbacks.Callback):
    """``ckpt_f1``: the dev F1 from epoch ``start`` on, -1 before (0.7's ``dev_ckpt_delay``)."""

    def __init__(self, start: int):
        super().__init__()
        self._start = start

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None:
            logs["ckpt_f1"] = logs["dev_f1"] if epoch >= self._start else -1.0


class EpochLoop:
    """Runs ``n_epochs`` of a training function under the callbacks; keeps the history rows.

    Parameters
    ----------
    model
        The classifier's :class:`CallbackModel`.
    config
        The run's settings.
    dev
        The dev-F1 callback, or ``None`` without a dev split.
    name
        The classifier's name (reports and the checkpoint folder).
    """

    def __init__(self, model: CallbackModel, config: EpochConfig, dev: DevScores | None, name: str):
        self.model, self.config, self.name, self.dev = model, config, name, dev
        callbacks, self.early = make_callbacks(config, dev, name)
        self.callbacks = keras.callbacks.CallbackList(callbacks, model=model)

    def run(self, epoch_fn: Callable[[int], dict[str, float]]) -> list[dict[str, float]]:
        """Call ``epoch_fn(epoch)`` (1-based) for each epoch; returns the rows (training stats, dev scores)."""
        cfg, history = self.config, []
        self.callbacks.on_train_begin()
        for epoch in range(1, cfg.n_epochs + 1):
            self.model.epoch = epoch
            self.callbacks.on_epoch_begin(epoch - 1)
            row: dict[str, Any] = {"epoch": epoch, **epoch_fn(epoch)}
            self.callbacks.on_epoch_end(epoch - 1, {k: v for k, v in row.items() if k != "epoch"})
            if self.dev is not None:
                row.update(self.dev.latest)
            history.append(row)
            if cfg.reports and (epoch % cfg.print_freq == 0 or epoch == cfg.n_epochs):
                report(_log, _format_row(self.name, cfg.n_epochs, row))
            if self.model.stop_training:
                if cfg.reports:
                    report(_log, f"[{self.name}] no dev F1 improvement in {cfg.patience} epochs; stopping")
                break
        self.callbacks.on_train_end()
        early = self.early
        if early is not None and early.restore_best_weights and early.best_weights is not None and cfg.reports:
            report(_log, f"[{self.name}] restored the weights with the best dev F1={early.best:.4f}")
        return history
