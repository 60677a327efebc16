"""What the discriminative models share: scoring, error analysis, save and load.

Scoring uses :mod:`snorkel_ie.scoring` (``sklearn.metrics``). The label checks and the label balancer are in
:mod:`.training` and re-exported here. Training labels are marginals: a ``(n,)`` array of P(y=1) for binary tasks or an
``(n, k)`` array of class probabilities. Gold labels are +1/-1 (binary) or 1..k
(categorical), 0 meaning unknown; they may come as a numpy array or a scipy sparse
column (as ``load_gold_labels`` returns them).

The scoring methods take Snorkel 0.7's parameters in 0.7's order (``score(X_test, Y_test,
b, set_unlabeled_as_neg, beta, batch_size)``, ``error_analysis(session, X_test, Y_test,
gold_candidate_set, b, set_unlabeled_as_neg, display, scorer)``). One default differs:
``set_unlabeled_as_neg`` is ``False`` (gold 0 is unknown and left out, as in every score of
snorkel-ie), where 0.7 counted it as negative by default.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from snorkel_ie.errors import ConfigurationError, ModelError, NotFittedError
from snorkel_ie.learning.discriminative.train_data import (
    as_gold,
    balance_training_set,
    dev_checkpoint_allowed,
    pool_marginals,
    soft_labels,
)
from snorkel_ie.learning.discriminative.train_data import check_dev_ckpt_delay as check_dev_ckpt_delay
from snorkel_ie.log import report
from snorkel_ie.scoring import (
    BinaryScores,
    binary_prf,
    binary_scores,
    categorical_prf,
    predictions_from_marginals,
    print_binary_report,
)

__all__ = [
    "NoiseAwareClassifier",
    "as_gold",
    "balance_training_set",
    "checkpoint_dir",
    "dev_checkpoint_allowed",
    "fbeta",
    "pool_marginals",
    "soft_labels",
]

_log = logging.getLogger(__name__)

DEFAULT_SAVE_DIR = "checkpoints"
"""Snorkel 0.7's default ``save_dir`` of ``save`` and ``load``."""


def fbeta(precision: float, recall: float, beta: float = 1.0) -> float:
    """The F-beta score ``(1 + beta^2) P R / (beta^2 P + R)`` of given P and R; 0 when that is 0/0.

    ``beta = 1`` is F1; ``beta < 1`` weighs precision more, ``beta > 1`` recall. Scores of
    predictions against gold go through :mod:`snorkel_ie.scoring` (``sklearn.metrics``,
    whose ``beta`` is this one); this is the closed form for a (P, R) pair already computed.

    Examples
    --------
    >>> fbeta(0.5, 1.0), fbeta(0.5, 1.0, beta=2.0)
    (0.6666666666666666, 0.8333333333333334)
    """
    check_beta(beta)
    b2 = float(beta) ** 2
    den = b2 * precision + recall
    return float((1 + b2) * (precision * recall) / den) if den > 0 else 0.0


def check_beta(beta: float) -> None:
    """Raise unless ``beta`` is a finite number >= 0."""
    if not isinstance(beta, int | float | np.number) or not math.isfinite(beta) or beta < 0:
        raise ConfigurationError(f"beta={beta!r}; expected a finite number >= 0 (1 gives F1)")


def checkpoint_dir(model_name: str | os.PathLike | None, save_dir: str | os.PathLike | None, name: str) -> Path:
    """The folder ``save``/``load`` use: ``save_dir/model_name``, as in Snorkel 0.7.

    ``model_name`` defaults to the model's ``name`` and ``save_dir`` to ``"checkpoints"``.
    An absolute ``model_name`` is the folder itself (0.7 joined with ``os.path.join``). A
    ``pathlib.Path`` (or other path object) given without ``save_dir`` is also the folder
    itself: that is how snorkel-ie's ``save(directory)`` was called.

    Examples
    --------
    >>> checkpoint_dir(None, None, "reRNN").as_posix(), checkpoint_dir("m", "out", "x").as_posix()
    ('checkpoints/reRNN', 'out/m')
    >>> checkpoint_dir(Path("models/m"), None, "x").as_posix()
    'models/m'
    """
    if model_name is None:
        model_name = name
    if save_dir is None:
        if isinstance(model_name, os.PathLike):
            return Path(model_name)
        save_dir = DEFAULT_SAVE_DIR
    if not isinstance(model_name, str | os.PathLike) or not str(model_name):
        raise ConfigurationError(f"model_name={model_name!r}; expected a non-empty name or path")
    return Path(save_dir) / model_name


class NoiseAwareClassifier:
    """Predictions, scoring and error analysis on top of a subclass's ``marginals``."""

    cardinality: int = 2
    name: str = "model"

    def marginals(self, X: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not getattr(self, "_fitted", False):
            raise NotFittedError(f"{type(self).__name__} is not trained; call train(...) or load(...) first")

    # ------------------------------------------------------------ persistence
    def _checkpoint_settings(self) -> dict[str, Any]:
        """Settings a subclass needs to rebuild itself, written to ``settings.json``."""
        return {}

    def _write_weights(self, folder: Path) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _read_weights(self, folder: Path, settings: dict[str, Any]) -> None:  # pragma: no cover - abstract
        """Restore the weights (and whatever else :meth:`_write_weights` wrote) from ``folder``."""
        raise NotImplementedError

    def save(
        self,
        model_name: str | os.PathLike | None = None,
        save_dir: str | os.PathLike | None = None,
        verbose: bool = True,
        global_step: int = 0,
    ) -> Path:
        """Write the model to the folder ``save_dir/model_name`` (created if missing; returned).

        Snorkel 0.7's parameters: ``model_name`` defaults to the model's ``name`` and
        ``save_dir`` to ``"checkpoints"``; a ``pathlib.Path`` alone (``save(path)``) is the
        folder itself (see :func:`checkpoint_dir`). ``global_step`` (0.7's training step of
        the checkpoint) is recorded with the settings.
        """
        self._check_fitted()
        d = checkpoint_dir(model_name, save_dir, self.name)
        d.mkdir(parents=True, exist_ok=True)
        settings = {
            **self._checkpoint_settings(),
            "cardinality": self.cardinality,
            "seed": self.seed,
            "name": self.name,
            "global_step": int(global_step),
        }
        (d / "settings.json").write_text(json.dumps(settings, indent=1))
        self._write_weights(d)
        if verbose:
            report(_log, f"[{self.name}] Model saved as <{d}>")
        return d

    def load(
        self,
        model_name: str | os.PathLike | None = None,
        save_dir: str | os.PathLike | None = None,
        verbose: bool = True,
    ) -> Self:
        """Restore a model written by :meth:`save` from ``save_dir/model_name``; returns ``self``."""
        d = checkpoint_dir(model_name, save_dir, self.name)
        try:
            settings = json.loads((d / "settings.json").read_text())
            self._read_weights(d, settings)
        except FileNotFoundError as err:
            raise ConfigurationError(
                f"{d} does not hold a saved {type(self).__name__} ({err.filename} missing)"
            ) from err
        self.cardinality, self.seed, self.name = settings["cardinality"], settings["seed"], settings["name"]
        self._fitted = True
        if verbose:
            report(_log, f"[{self.name}] Loaded model <{d}>")
        return self

    def _marginals(self, X: Any, batch_size: int | None, groups: Sequence[Any] | None) -> np.ndarray:
        m = self.marginals(X) if batch_size is None else self.marginals(X, batch_size=batch_size)  # type: ignore[call-arg]
        return m if groups is None else pool_marginals(m, groups)

    def predictions(
        self, X: Any, b: float = 0.5, batch_size: int | None = None, *, groups: Sequence[Any] | None = None
    ) -> np.ndarray:
        """Hard labels: +1/-1 for binary (marginal > ``b``), 1..k (arg-max) for categorical.

        ``batch_size`` candidates go through the model at a time (it bounds memory; the
        marginals differ by float round-off at most). With ``groups`` (binary only), one key per
        candidate, the marginals are first pooled over candidates with the same key
        (:func:`pool_marginals`).
        """
        return predictions_from_marginals(self._marginals(X, batch_size, groups), b=b)

    def _gold(self, Y: Any, n: int, set_unlabeled_as_neg: bool) -> np.ndarray:
        gold = as_gold(Y)
        if len(gold) != n:
            raise ModelError(f"{n} candidates but {len(gold)} gold labels")
        if set_unlabeled_as_neg and self.cardinality == 2:
            gold = np.where(gold == 0, -1, gold)
        return gold

    def score(
        self,
        X_test: Any,
        Y_test: Any,
        b: float = 0.5,
        set_unlabeled_as_neg: bool = False,
        beta: float = 1,
        batch_size: int | None = None,
        *,
        groups: Sequence[Any] | None = None,
        display: bool = True,
    ) -> tuple[float, float, float]:
        """Precision, recall and F-beta (F1 by default) against gold ``Y_test``.

        Parameters
        ----------
        X_test, Y_test
            Candidates (or feature rows) and their gold labels, in the same order.
        b
            Binary decision threshold: +1 where the marginal is above ``b``.
        set_unlabeled_as_neg
            Binary only: count gold 0 as -1 (Snorkel 0.7's default was ``True``). When
            ``False`` candidates with gold 0 (unknown) are left out.
        beta
            The third score is ``(1 + beta^2) P R / (beta^2 P + R)``.
        batch_size
            Candidates per forward pass (bounds memory; see :meth:`predictions`).
        groups
            Pool the marginals over candidates with equal keys (see :meth:`predictions`).
        display
            Print the scores.

        Binary scores are of the positive class. Categorical scores are micro-averaged
        over classes (precision, recall and F-beta all equal the accuracy on the
        candidates with gold).
        """
        check_beta(beta)
        pred = self.predictions(X_test, b=b, batch_size=batch_size, groups=groups)
        gold = self._gold(Y_test, len(pred), set_unlabeled_as_neg)
        if self.cardinality == 2:
            p, r, f = binary_prf(pred, gold, beta=beta)
            if display:
                print_binary_report(binary_scores(pred, gold), title=self.name, b=b)
        else:
            p, r, f = categorical_prf(pred, gold, average="micro", beta=beta)
            if display:
                report(_log, f"{self.name}: micro precision={p:.4f} recall={r:.4f}")
        if display and (beta != 1 or self.cardinality != 2):
            report(_log, f"F-{beta}: {f:.4f}")
        return float(p), float(r), float(f)

    def error_analysis(
        self,
        session: Any,
        X_test: Sequence[Any],
        Y_test: Any,
        gold_candidate_set: Any = None,
        b: float = 0.5,
        set_unlabeled_as_neg: bool = False,
        display: bool = True,
        scorer: Any = None,
        *,
        batch_size: int | None = None,
        groups: Sequence[Any] | None = None,
    ) -> Any:
        """Candidates bucketed for error analysis: ``(tp, fp, tn, fn)`` sets (binary) or
        ``(correct, incorrect)`` sets (categorical); gold 0 is skipped.

        Parameters
        ----------
        session
            Accepted for compatibility with Snorkel 0.7 and not used: ``X_test`` holds
            the candidates themselves.
        gold_candidate_set
            All gold-positive candidates of the corpus (binary) or all gold candidates
            (categorical). Those missing from ``X_test`` (never extracted) are printed
            as extra false negatives in a "corpus recall-adjusted" report, as in 0.7; the
            returned sets are unchanged.
        b, set_unlabeled_as_neg, batch_size, groups
            As for :meth:`score`.
        display
            Print the report.
        scorer
            A Snorkel 0.7 scorer class: when given, the result is
            ``scorer(X_test, Y_test, gold_candidate_set).score(marginals, train_marginals=None,
            b=b, display=display, set_unlabeled_as_neg=set_unlabeled_as_neg)``.
        """
        marg = self._marginals(X_test, batch_size, groups)
        if scorer is not None:
            s = scorer(X_test, Y_test, gold_candidate_set)
            return s.score(marg, train_marginals=None, b=b, display=display, set_unlabeled_as_neg=set_unlabeled_as_neg)
        pred = predictions_from_marginals(marg, b=b)
        gold = self._gold(Y_test, len(pred), set_unlabeled_as_neg)
        if self.cardinality != 2:
            return self._categorical_buckets(X_test, pred, gold, gold_candidate_set, display)
        tp: set = set()
        fp: set = set()
        tn: set = set()
        fn: set = set()
        for c, yp, yg in zip(X_test, pred, gold, strict=True):
            if yg == 0:
                continue
            if yp == 1:
                (tp if yg == 1 else fp).add(c)
            else:
                (fn if yg == 1 else tn).add(c)
        if display:
            counts = BinaryScores(len(tp), len(fp), len(tn), len(fn))
            print_binary_report(counts, title=f"{self.name} error analysis (un-adjusted)", b=b)
            if gold_candidate_set is not None:
                missed = _missing(gold_candidate_set, X_test)
                adjusted = counts._replace(fn=counts.fn + missed)
                report(_log, f"{missed} gold candidates of the corpus are not among the {len(pred)} scored")
                print_binary_report(adjusted, title=f"{self.name} corpus recall-adjusted scores", b=b)
        return tp, fp, tn, fn

    def _categorical_buckets(
        self, X: Sequence[Any], pred: np.ndarray, gold: np.ndarray, gold_candidate_set: Any, display: bool
    ) -> tuple[set, set]:
        correct: set = set()
        incorrect: set = set()
        for c, yp, yg in zip(X, pred, gold, strict=True):
            if yg != 0:
                (correct if yp == yg else incorrect).add(c)
        if display:
            n = len(correct) + len(incorrect)
            report(_log, f"{self.name}: accuracy {len(correct) / n if n else 0.0:.4f} ({n} candidates with gold)")
            if gold_candidate_set is not None:
                missed = _missing(gold_candidate_set, X)
                report(_log, f"coverage {n / (n + missed) if n + missed else 0.0:.4f} ({missed} gold candidates not scored)")
        return correct, incorrect

    def save_marginals(self, session: Any, X: Sequence[Any], *, training: bool = False) -> int:
        """Write this model's marginals on candidates ``X`` to the database; returns the row count.

        Snorkel 0.7's method, kept for its callers. The model only computes the marginals;
        the session and the rows go to ``snorkel_ie.save_marginals``, the package's 0.7
        layer above both the learning floor and the storage package (this module imports
        neither storage nor labeling). Stored as predictions (``training=False``) unless
        asked otherwise, so they never overwrite the generative model's training marginals.
        """
        import snorkel_ie

        return snorkel_ie.save_marginals(session, [c.id for c in X], self.marginals(X), training=training)


def _missing(gold_candidate_set: Any, X: Sequence[Any]) -> int:
    """How many of ``gold_candidate_set`` are not in ``X``."""
    scored = set(X)
    return sum(1 for c in gold_candidate_set if c not in scored)
