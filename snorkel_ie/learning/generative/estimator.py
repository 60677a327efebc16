"""The numpy-first face of :class:`~.model.GenerativeModel`: ``fit`` / ``predict_proba`` / ``predict``.

Next to Snorkel 0.7's ``train`` / ``marginals``, in scikit-learn's shape: ``fit`` returns
the model, ``predict_proba`` one column per class (binary: ``P(-1), P(+1)``). ``L`` may be
an ndarray, a scipy sparse matrix or a pandas DataFrame (its columns name the LFs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ArrayAPI"]


class ArrayAPI:
    """Mixin giving a model with ``train`` and ``marginals`` the estimator methods."""

    def fit(self, L: Any, y: Any = None, **train_kwargs: Any):
        """Train on ``L`` (``y``: optional known labels, ``0`` unknown, as ``train(labels=)``); returns ``self``."""
        if y is not None:
            train_kwargs["labels"] = y
        self.train(L, **train_kwargs)
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        """Class probabilities ``(n, k)``; for a binary model the columns are ``P(y=-1), P(y=+1)``."""
        marg = self.marginals(L)
        return np.column_stack([1.0 - marg, marg]) if marg.ndim == 1 else marg

    def predict(self, L: Any) -> np.ndarray:
        """Hard labels (binary ``-1``/``+1``, ties ``-1``; categorical ``1..k``)."""
        return self.predictions(L)
