"""How :meth:`.model.GenerativeModel.train` turns its options into a fit that does not depend on luck.

* :func:`resolve_options` decides what ``"auto"`` means for a given label matrix: the
  class-conditional (Dawid-Skene) model, with the class balance estimated, when the model
  is binary, has no dependencies and some LF is one-sided (only ever votes one class:
  then only class-conditional propensities identify its quality); otherwise the model
  that takes abstentions as observed.
* :func:`initial_accuracies` starts a fit with dependencies at the agreement-rate
  estimates of :mod:`.moments`, computed without the declared-dependent pairs, so a block
  of copies cannot outvote the independent LFs.
* :func:`check_fit` measures how well a class-conditional fit explains which LFs vote
  together (:func:`covote_misfit`); where it does not (LFs are correlated, as real LFs
  usually are, and the model then trusts abstentions it should not), ``"auto"`` falls back
  to the observed-abstention model, which on such data weighs votes like majority vote.
* :func:`orient_weights` keeps, of a fit and its mirror image (the class and every
  accuracy negated: the same likelihood), the one where LFs are better than random.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from snorkel_ie.errors import ConvergenceWarning, ModelError
from snorkel_ie.learning.generative.factor_graph import FT_DEP_FIXING, FT_DEP_REINFORCING, FactorGraph
from snorkel_ie.learning.generative.moments import agreement_accuracies, orient
from snorkel_ie.learning.generative.training_inputs import LabelData, class_offsets, lf_views

__all__ = [
    "MISFIT_THRESHOLD",
    "Options",
    "check_fit",
    "class_balance_vector",
    "covote_misfit",
    "initial_accuracies",
    "orient_weights",
    "resolve_options",
    "warn_not_converged",
]

MISFIT_THRESHOLD = 0.25
"""A pair of LFs voting together this much more (or less) often, relatively, than the
class-conditional fit predicts, and significantly so, makes ``"auto"`` distrust the fit."""
MISFIT_MIN_Z = 5.0
"""Standardised residual a pair's difference must exceed to count (smaller ones are sampling noise)."""


@dataclass
class Options:
    """Resolved structural options of one fit."""

    class_prior: bool
    lf_propensity: bool
    lf_class_propensity: bool
    auto_class_conditional: bool = False
    """The class-conditional model was chosen by ``"auto"`` (and may fall back)."""


def class_balance_vector(class_balance) -> np.ndarray | None:
    """``class_balance`` (``P(+1)`` or ``[P(-1), P(+1)]``) as a validated ``[P(-1), P(+1)]``, or None."""
    if class_balance is None:
        return None
    try:
        arr = np.atleast_1d(np.asarray(class_balance, dtype=np.float64))
    except (TypeError, ValueError) as err:
        raise ModelError(f"class_balance must be P(y=+1) or [P(-1), P(+1)], got {class_balance!r}") from err
    if arr.shape == (1,):
        arr = np.array([1.0 - arr[0], arr[0]])
    if arr.shape != (2,) or not np.all((arr > 0) & (arr < 1)) or abs(arr.sum() - 1.0) > 1e-6:
        raise ModelError(
            f"class_balance must be P(y=+1) in (0, 1) or [P(-1), P(+1)] summing to 1, got {class_balance!r}"
        )
    return arr


def resolve_options(model, data: LabelData, polarity: np.ndarray, has_deps: bool, has_prior: bool) -> Options:
    """What ``"auto"`` means here (see the module docstring); explicit booleans are kept."""
    binary = model.signed_ and data.row_card.shape[0] == 0
    one_sided = bool(np.any(polarity != 0))
    cc = model.lf_class_propensity
    auto_cc = False
    if cc == "auto":
        auto_cc = binary and not has_deps and not has_prior and one_sided
        cc = auto_cc
    if auto_cc and np.all(polarity[data.col_counts > 0] == polarity[data.col_counts > 0][0]):
        if model.class_balance is None:
            warnings.warn(
                "every LF votes the same single class: the class balance is not identifiable from the votes, "
                "so the model falls back to weighting votes like majority vote; pass class_balance= to fit the "
                "class-conditional model",
                UserWarning,
                stacklevel=4,
            )
            cc = auto_cc = False
    cp = model.class_prior
    if cp == "auto":
        cp = bool(cc)
    prop = model.lf_propensity
    if prop == "auto":
        prop = bool(cc)
    return Options(bool(cp), bool(prop) or bool(cc), bool(cc), auto_cc)


def initial_accuracies(data: LabelData, deps, polarity: np.ndarray, signed: bool, init_acc) -> np.ndarray | float:
    """Initial accuracy weights: ``init_acc`` when given; with dependencies (binary) the
    agreement-rate estimates ``atanh(mu)`` of the mixed LFs (1.0 elsewhere); else 1.0."""
    if init_acc is not None:
        return init_acc
    if not deps or not signed or data.row_card.shape[0]:
        return 1.0
    mu = agreement_accuracies(data, deps)
    ok = np.isfinite(mu) & (polarity == 0)
    return np.where(ok, np.arctanh(np.where(ok, mu, 0.0)), 1.0)


def orient_weights(graph: FactorGraph, w: np.ndarray, data: LabelData) -> bool:
    """Replace ``w`` (in place) by its mirror image when that one has LFs better than random.

    Applies where the mirror is an exact symmetry of the likelihood: a binary model with
    no known labels, no fixing/reinforcing dependencies, no class propensities and every
    voting LF's accuracy learned. Returns whether ``w`` was flipped.
    """
    lay = graph.layout
    m = lay.n_lfs
    if lay.cardinality != 2 or data.row_label.shape[0] or data.row_card.shape[0]:
        return False
    ft = graph.factor_type[graph.dep_factors]
    if np.any((ft == FT_DEP_FIXING) | (ft == FT_DEP_REINFORCING)) or np.any(w[lay.cprop : lay.cprop + m]):
        return False
    voting = data.col_counts > 0
    if np.any(graph.weight_fixed[lay.acc : lay.acc + m][voting]) or np.any(w[lay.prior : lay.prior + m]):
        return False
    if not orient(w[lay.acc : lay.acc + m], data.col_counts):
        return False
    w[lay.acc : lay.acc + m] *= -1.0
    if not graph.weight_fixed[0]:
        w[0] *= -1.0
    return True


def covote_misfit(graph: FactorGraph, w: np.ndarray, data: LabelData) -> tuple[float, float]:
    """How far the fitted model is from the observed rates at which pairs of LFs vote together.

    Under the class-conditional model two LFs vote together at rate ``sum_y pi_y r_jy
    r_ky``. Returns ``(relative, worst)``: the summed absolute difference between observed
    and expected rates over all pairs relative to the expected total, and the largest
    relative difference ``|obs - exp| / exp`` among the pairs whose standardised residual
    exceeds :data:`MISFIT_MIN_Z` (0 when none does: the differences are sampling noise).
    """
    from snorkel_ie.learning.generative.moments import pair_moments

    acc, prop, cprop, _ = lf_views(graph, w)
    theta = class_offsets(graph, w)
    u = prop[:, None] + cprop[:, None] * np.array([-1.0, 1.0])[None, :] + np.logaddexp(acc, -acc)[:, None]
    r = 1.0 / (1.0 + np.exp(-u))  # P(LF votes | y), (m, 2)
    log_pi = theta + np.sum(np.log1p(np.exp(u)), axis=0)
    pi = np.exp(log_pi - np.logaddexp.reduce(log_pi))
    _, count = pair_moments(data)
    n = float(data.n_rows)
    iu = np.triu_indices(data.n_lfs, 1)
    obs = count[iu] / n
    exp = np.maximum(((r * pi[None, :]) @ r.T)[iu], 1e-12)
    rel = float(np.abs(obs - exp).sum() / exp.sum()) if exp.size else 0.0
    z = np.abs(obs - exp) / np.sqrt(exp * (1.0 - exp) / n)
    worst = np.abs(obs - exp) / exp
    return rel, float(np.max(worst[z > MISFIT_MIN_Z], initial=0.0))


def check_fit(graph: FactorGraph, w: np.ndarray, data: LabelData) -> tuple[bool, float]:
    """Whether a class-conditional fit explains the co-voting of the LFs (no pair of LFs is
    significantly, by more than :data:`MISFIT_THRESHOLD` relative, off), and the worst pair's misfit."""
    _, worst = covote_misfit(graph, w, data)
    return worst <= MISFIT_THRESHOLD, worst


def warn_not_converged(converged: bool | None, epochs_run: int, em: bool) -> None:
    """A ``ConvergenceWarning`` when a deterministic fit used all its epochs without converging."""
    if converged is False:
        what = "the log-likelihood still changed" if em else "the largest weight step was still above 1e-4"
        warnings.warn(
            f"the generative model did not converge in {epochs_run} epochs ({what}); its weights may be "
            "unreliable: raise epochs (or step_size), or add reg_param",
            ConvergenceWarning,
            stacklevel=4,
        )


def duplicate_groups(data: LabelData) -> np.ndarray:
    """Per LF column, the index of the first column with exactly the same votes (itself if none)."""
    out = np.arange(data.n_lfs)
    keys = data.vote_counts
    if np.unique(keys[data.col_counts > 0], axis=0).shape[0] == int(np.sum(data.col_counts > 0)):
        return out  # no two voting columns even cast each vote the same number of times
    csc = sp.csr_matrix((data.data, data.indices, data.indptr), shape=(data.n_rows, data.n_lfs)).tocsc()
    csc.sort_indices()
    first: dict[bytes, int] = {}
    for j in range(data.n_lfs):
        lo, hi = csc.indptr[j], csc.indptr[j + 1]
        if hi == lo:
            continue
        key = csc.indices[lo:hi].tobytes() + b"|" + np.asarray(csc.data[lo:hi], dtype=np.int16).tobytes()
        out[j] = first.setdefault(key, j)
    return out


def column_subset(data: LabelData, cols: np.ndarray) -> LabelData:
    """``data`` restricted to the LF columns ``cols`` (in that order)."""
    csr = sp.csr_matrix((data.data, data.indices, data.indptr), shape=(data.n_rows, data.n_lfs))[:, cols].tocsr()
    csr.sort_indices()
    return LabelData(
        csr.indptr.astype(np.int64), csr.indices.astype(np.int32), csr.data.astype(np.int16), data.n_rows,
        len(cols), data.k_max, data.row_card, data.row_label,
    )  # fmt: skip


def warn_copies(groups: np.ndarray, names) -> None:
    """Say which LF columns are exact copies and how they are counted."""
    reps = np.flatnonzero(np.bincount(groups, minlength=groups.shape[0]) > 1)
    described = []
    for r in reps[:5]:
        members = np.flatnonzero(groups == r)
        label = [names[i] for i in members] if names is not None else members.tolist()
        described.append(str(label))
    warnings.warn(
        f"{int(np.sum(groups != np.arange(groups.shape[0])))} LF column(s) are exact copies of another "
        f"({'; '.join(described)}): each group is fitted as one LF and its weight shared among its copies, so "
        "copies do not outvote the others; declare them as deps= to model them instead",
        UserWarning,
        stacklevel=4,
    )
