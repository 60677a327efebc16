"""Consistent starting points from agreement rates (method of moments) and the label-flip check.

For conditionally independent binary LFs with symmetric accuracies, the mean product of
two LFs' votes over the rows where both vote is the product of their *signed accuracies*
``mu = 2 * accuracy - 1``: ``E[l_i l_j] = mu_i mu_j``, whatever the class balance. Three
pairwise independent LFs ``i, j, k`` then give ``mu_i^2 = M_ij M_ik / M_jk`` (the
"triplet" estimator of Chaganty & Liang, 2014, and snorkel 0.10's matrix completion).
:func:`agreement_accuracies` takes, per LF, the median of that estimate over every
triplet whose three pairs are not declared dependent and overlap on enough rows, so a
block of copies cannot vouch for itself; with "LFs are better than random" it fixes the
sign. Those estimates start the sampled (dependency) training close to the right mode.

:func:`orient` breaks the mirror symmetry of a fitted model: negating the class and every
accuracy weight leaves the likelihood unchanged, and of the two mirror images the one
where the LFs are, on average over their votes, better than random is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from snorkel_ie.learning.generative.training_inputs import LabelData

__all__ = ["agreement_accuracies", "orient", "pair_moments"]

MIN_OVERLAP = 20
"""Rows two LFs must both vote on for their agreement rate to enter an estimate."""
MIN_AGREEMENT = 0.05
"""``|M_jk|`` below this is too close to 0 to divide by."""


def pair_moments(data: LabelData) -> tuple[np.ndarray, np.ndarray]:
    """``(M, C)``: mean vote product and number of rows where both LFs vote, per pair (binary)."""
    rows = np.repeat(np.arange(data.n_rows), np.diff(data.indptr))
    sign = np.where(data.data == 2, 1.0, -1.0)
    S = sp.csr_matrix((sign, (rows, data.indices)), shape=(data.n_rows, data.n_lfs))
    V = sp.csr_matrix((np.ones_like(sign), (rows, data.indices)), shape=(data.n_rows, data.n_lfs))
    prod = (S.T @ S).toarray()
    count = (V.T @ V).toarray()
    with np.errstate(invalid="ignore", divide="ignore"):
        M = np.where(count >= MIN_OVERLAP, prod / np.maximum(count, 1.0), np.nan)
    return M, count


def agreement_accuracies(data: LabelData, deps: Sequence[tuple[int, int, int]] = ()) -> np.ndarray:
    """Per LF, the triplet estimate of its signed accuracy ``mu`` (``NaN`` when no triplet qualifies).

    Parameters
    ----------
    data
        A binary label matrix.
    deps
        Declared dependencies ``(j, k, type)``: their pairs are left out of every triplet.

    Returns
    -------
    mu
        Estimates in ``[0, 0.99]`` (LFs assumed better than random), ``NaN`` where unknown.
    """
    M, _ = pair_moments(data)
    m = data.n_lfs
    ok = np.isfinite(M)
    np.fill_diagonal(ok, False)
    for j, k, *_ in deps:
        ok[j, k] = ok[k, j] = False
    usable = ok & (np.abs(np.nan_to_num(M)) > MIN_AGREEMENT)
    mu = np.full(m, np.nan)
    Mz = np.nan_to_num(M)
    for i in range(m):
        nb = np.flatnonzero(ok[i])
        if nb.size < 2:
            continue
        a = Mz[i, nb]
        with np.errstate(invalid="ignore", divide="ignore"):
            est = np.outer(a, a) / Mz[np.ix_(nb, nb)]
        keep = np.triu(usable[np.ix_(nb, nb)], 1)
        if keep.any():
            mu[i] = np.sqrt(np.clip(np.median(est[keep]), 0.0, 0.99**2))
    return mu


def orient(acc: np.ndarray, counts: np.ndarray) -> bool:
    """Whether the mirror image of a fit should be taken: the LFs' votes, weighted by their
    numbers, are worse than random on average (``sum_j counts_j * acc_j < 0``)."""
    return float(np.dot(counts, acc)) < 0.0
