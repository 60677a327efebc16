"""What the discriminative models share: label checks, the label balancer, scoring.

Scoring uses :mod:`snorkel_ie.learning.utils`. Training labels are marginals: a ``(n,)`` array of P(y=1) for binary tasks or an
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
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ConfigurationError, ModelError, NotFittedError
from snorkel_ie.learning.utils import (
    BinaryScores,
    as_label_vector,
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

_EPS = 1e-6

DEFAULT_SAVE_DIR = "checkpoints"
"""Snorkel 0.7's default ``save_dir`` of ``save`` and ``load``."""


def fbeta(precision: float, recall: float, beta: float = 1.0) -> float:
    """The F-beta score ``(1 + beta^2) P R / (beta^2 P + R)``; 0 when that is 0/0.

    ``beta = 1`` is F1; ``beta < 1`` weighs precision more, ``beta > 1`` recall.

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


def dev_checkpoint_allowed(epoch: int, n_epochs: int, dev_ckpt_delay: float | None) -> bool:
    """Whether the dev score of 1-based ``epoch`` may be kept as the best checkpoint.

    ``None``: every epoch. A number: Snorkel 0.7's rule, epochs after that fraction of
    ``n_epochs`` (0-based epoch index ``t > dev_ckpt_delay * n_epochs``).
    """
    return dev_ckpt_delay is None or (epoch - 1) > dev_ckpt_delay * n_epochs


def check_dev_ckpt_delay(dev_ckpt_delay: float | None) -> None:
    if dev_ckpt_delay is not None and not (
        isinstance(dev_ckpt_delay, int | float) and math.isfinite(dev_ckpt_delay) and dev_ckpt_delay >= 0
    ):
        raise ConfigurationError(f"dev_ckpt_delay={dev_ckpt_delay!r}; expected None or a fraction of n_epochs >= 0")


def soft_labels(Y: Any, cardinality: int) -> np.ndarray:
    """``(n, k)`` float32 class-probability matrix of training marginals ``Y``.

    A ``(n,)`` array (binary only) is read as P(y=1) and becomes ``[1 - p, p]``.
    """
    Y = np.asarray(Y.toarray() if sp.issparse(Y) else Y, dtype=np.float64)
    if Y.ndim == 2 and Y.shape[1] == 1:
        Y = Y[:, 0]
    if Y.ndim == 1:
        if cardinality != 2:
            raise ModelError(
                f"got 1-d marginals for cardinality={cardinality}; pass an (n, {cardinality}) array of class probabilities"
            )
        Y = np.column_stack([1.0 - Y, Y])
    if Y.ndim != 2 or Y.shape[1] != cardinality:
        raise ModelError(
            f"marginals of shape {Y.shape} do not match cardinality={cardinality}; expected (n,) or (n, {cardinality})"
        )
    if not np.all(np.isfinite(Y)) or Y.min() < -_EPS or Y.max() > 1 + _EPS:
        raise ModelError("marginals must be finite probabilities in [0, 1]")
    if not np.allclose(Y.sum(axis=1), 1.0, atol=1e-4):
        raise ModelError("rows of (n, k) marginals must sum to 1")
    return np.clip(Y, 0.0, 1.0).astype(np.float32)


def as_gold(Y: Any) -> np.ndarray:
    """1-d int64 array of gold labels from a numpy array, list or scipy sparse column."""
    return as_label_vector(Y, name="gold labels")


def pool_marginals(marginals: Any, groups: Sequence[Any]) -> np.ndarray:
    """Binary marginals with each candidate's replaced by the largest of its group.

    A group holds the candidates that state the same relation instance, e.g. the
    mentions of one (chemical, disease) pair in one document when gold labels are given
    per pair. A model reads one sentence at a time; the instance holds when any of its
    mentions says so, so the pair takes its most confident mention's marginal.

    Parameters
    ----------
    marginals
        ``(n,)`` P(y=1) of the candidates.
    groups
        ``n`` hashable keys; candidates with equal keys form a group.

    Examples
    --------
    >>> pool_marginals([0.2, 0.9, 0.4], ["a", "a", "b"]).tolist()
    [0.9, 0.9, 0.4]
    """
    m = np.asarray(marginals, dtype=np.float64)
    if m.ndim != 1:
        raise ModelError(f"pooling takes binary marginals of shape (n,); got shape {m.shape}")
    if len(groups) != len(m):
        raise ModelError(f"{len(m)} marginals but {len(groups)} group keys; pass one key per candidate")
    ids: dict[Any, int] = {}
    codes = np.fromiter((ids.setdefault(g, len(ids)) for g in groups), dtype=np.int64, count=len(m))
    best = np.full(len(ids), -np.inf)
    np.maximum.at(best, codes, m)
    return best[codes]


def balance_training_set(
    soft: np.ndarray,
    *,
    rebalance: bool | float = False,
    uninformative_weight: float = 0.0,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and weights of the training examples to use (the original LabelBalancer).

    Rows whose marginals equal the uninformative prior (0.5 binary, 1/k categorical, to
    1e-6) are dropped when ``uninformative_weight`` is 0 and otherwise kept with that
    weight. With ``rebalance`` the informative examples are subsampled: binary, to a
    fraction ``rebalance`` of positives (``True`` means 0.5), split at P(y=1) = 0.5;
    categorical, to equal counts per arg-max class.

    Returns
    -------
    idx, weights
        Example indices (shuffled) and their loss weights.
    """
    _n, k = soft.shape
    uninformative = np.all(np.abs(soft - 1.0 / k) < _EPS, axis=1)
    informative = np.flatnonzero(~uninformative)
    if rebalance:
        informative = _rebalance(soft, informative, rebalance, rng)
    keep = [informative]
    if uninformative_weight > 0:
        keep.append(np.flatnonzero(uninformative))
    idx = np.concatenate(keep)
    if len(idx) == 0:
        raise ModelError(
            "no informative training marginals (all equal the prior); label more candidates or set uninformative_weight > 0"
        )
    weights = np.where(uninformative[idx], uninformative_weight, 1.0).astype(np.float32)
    order = rng.permutation(len(idx))
    return idx[order], weights[order]


def _rebalance(soft: np.ndarray, idx: np.ndarray, rebalance: bool | float, rng: np.random.Generator) -> np.ndarray:
    k = soft.shape[1]
    if k == 2:
        p = soft[idx, 1]
        pos, neg = idx[p > 0.5 + _EPS], idx[p < 0.5 - _EPS]
        if len(pos) == 0 or len(neg) == 0:
            raise ModelError(f"cannot rebalance: {len(pos)} positive and {len(neg)} negative training marginals")
        frac = 0.5 if rebalance is True else float(rebalance)
        if not 0 < frac < 1:
            raise ModelError(f"rebalance={rebalance!r}; expected True or a fraction of positives in (0, 1)")
        n_pos = min(len(pos), round(frac / (1 - frac) * len(neg)))
        n_neg = min(len(neg), round((1 - frac) / frac * n_pos))
        return np.concatenate([rng.choice(pos, n_pos, replace=False), rng.choice(neg, n_neg, replace=False)])
    groups = [idx[soft[idx].argmax(axis=1) == c] for c in range(k)]
    m = min(len(g) for g in groups if len(g))
    return np.concatenate([rng.choice(g, m, replace=False) for g in groups if len(g)])


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
            print(f"[{self.name}] Model saved as <{d}>")
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
            print(f"[{self.name}] Loaded model <{d}>")
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
            p, r, _ = binary_prf(pred, gold)
            if display:
                print_binary_report(binary_scores(pred, gold), title=self.name, b=b)
        else:
            p, r, _ = categorical_prf(pred, gold, average="micro")
            if display:
                print(f"{self.name}: micro precision={p:.4f} recall={r:.4f}")
        f = fbeta(p, r, beta)
        if display and (beta != 1 or self.cardinality != 2):
            print(f"F-{beta}: {f:.4f}")
        return float(p), float(r), f

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
                print(f"{missed} gold candidates of the corpus are not among the {len(pred)} scored")
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
            print(f"{self.name}: accuracy {len(correct) / n if n else 0.0:.4f} ({n} candidates with gold)")
            if gold_candidate_set is not None:
                missed = _missing(gold_candidate_set, X)
                print(f"coverage {n / (n + missed) if n + missed else 0.0:.4f} ({missed} gold candidates not scored)")
        return correct, incorrect

    def save_marginals(self, session: Any, X: Sequence[Any], *, training: bool = False) -> int:
        """Write this model's marginals on candidates ``X`` to the database; returns the row count.

        Stored as predictions (``training=False``) unless asked otherwise, so they never
        overwrite the generative model's training marginals.
        """
        from snorkel_ie.labeling.marginals import save_marginals

        m = self.marginals(X)
        return save_marginals(session, [c.id for c in X], m, training=training)


def _missing(gold_candidate_set: Any, X: Sequence[Any]) -> int:
    """How many of ``gold_candidate_set`` are not in ``X``."""
    scored = set(X)
    return sum(1 for c in gold_candidate_set if c not in scored)
