"""The generative label model of data programming (Snorkel 0.7's ``GenerativeModel``).

Examples
--------
>>> from snorkel_ie.learning.generative.synthetic import make_independent
>>> L, y = make_independent(2000, [0.9, 0.8, 0.7], [0.5, 0.5, 0.5], seed=0)
>>> model = GenerativeModel()
>>> model.train(L)
>>> model.marginals(L).shape
(2000,)
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from snorkel_ie.errors import ModelError, NotFittedError
from snorkel_ie.learning.generative._sparse_kernels import signed_posterior
from snorkel_ie.learning.generative.dependencies import Dependency
from snorkel_ie.learning.generative.estimator import ArrayAPI
from snorkel_ie.learning.generative.factor_graph import FactorGraph, build_factor_graph
from snorkel_ie.learning.generative.fitting import (
    Options,
    check_fit,
    class_balance_vector,
    column_subset,
    duplicate_groups,
    initial_accuracies,
    orient_weights,
    resolve_options,
    warn_copies,
    warn_not_converged,
)
from snorkel_ie.learning.generative.inspection import (
    GenerativeModelWeights,
    model_lf_stats,
    model_weights,
    posterior_lf_stats,
    warn_convergence,
)
from snorkel_ie.learning.generative.persistence import load_model, save_model
from snorkel_ie.learning.generative.training import (
    LabelData,
    LearnSettings,
    class_offsets,
    compute_posterior,
    lf_views,
    train_weights,
)
from snorkel_ie.learning.generative.validation import (
    CONVENTIONS,
    _as_csr,
    apply_convention,
    check_deps,
    infer_cardinality,
    to_label_data,
)
from snorkel_ie.learning.utils import (
    as_label_vector,
    binary_prf,
    binary_scores,
    categorical_accuracy,
    predictions_from_marginals,
    print_binary_report,
)
from snorkel_ie.log import ROOT, report

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GenerativeModel", "GenerativeModelWeights"]

_log = logging.getLogger(__name__)


class GenerativeModel(ArrayAPI):
    """A factor graph over the latent class and the LF outputs, fit without gold labels.

    Parameters
    ----------
    class_prior
        Learn a prior over classes (otherwise classes are a priori equally likely, unless
        ``class_balance`` is given). ``"auto"`` (the default): learned exactly when the
        class-conditional model is used (see ``lf_class_propensity``).
    lf_prior
        Add a fixed-weight accuracy factor per LF (``LF_acc_prior_weights`` at ``train``).
    lf_propensity
        Model how often each LF votes (``"auto"``: when the class-conditional model is
        used). When ``False`` abstentions are taken
        as observed: the model explains the values of the votes given which LFs voted,
        which gives the same accuracy estimates for independent LFs at lower cost.
    lf_class_propensity
        Let an LF's propensity to vote depend on the class (binary models only; implies
        ``lf_propensity`` and a class-prior weight). This is the Dawid-Skene model, fit by
        EM when there are no dependencies, and the setting to use when LFs are one-sided
        (each only ever votes +1 or only -1, as most real LFs): abstaining then carries
        class information, so a one-sided LF's quality is identifiable. A one-sided LF's
        accuracy weight is fixed at 0 and its class-propensity weight carries its quality.
        Without it a one-sided LF's accuracy weight is not identifiable (its vote never
        varies) and stays fixed at ``init_acc``, i.e. a majority-vote weight.
        ``"auto"`` (the default) uses it when the model is binary, without dependencies or
        LF priors, and some LF is one-sided; the fit is then checked against the rates at
        which LFs vote together, and where LF correlations make the class-conditional
        model misfit (as on most real LF sets) it falls back, with a warning, to the model
        with abstentions observed (majority-vote weights for one-sided LFs). An explicit
        ``True`` never falls back. ``options_`` records what was used.
    seed
        Seed of the Gibbs sampler (used when dependencies are given); a seed reproduces
        a run to the bit.
    name
        A name for the model (Snorkel 0.7's parameter); defaults to the class name.
    cardinality
        Number of classes; ``None`` infers it from the votes at ``train`` (``-1``/``+1``
        means binary, ``1..k`` with ``k > 2`` categorical).
    class_balance
        A known class distribution, ``P(y = +1)`` or ``[P(-1), P(+1)]`` (binary models), kept
        fixed in training (as snorkel 0.10's ``class_balance``); ``None`` estimates it when
        the class prior is learned.
    convention
        How label matrices encode votes: ``"signed"`` (``0`` abstains, binary ``-1``/``+1``,
        categorical ``1..k``), ``"snorkel"`` (snorkel 0.10: ``-1`` abstains, classes
        ``0..k-1``; converted) or ``"auto"`` (``"signed"``, refusing a matrix that looks like
        snorkel 0.10's, whose most frequent value is ``-1``).
    """

    def __init__(
        self,
        class_prior: bool | str = "auto",
        lf_prior: bool = False,
        lf_propensity: bool | str = "auto",
        lf_class_propensity: bool | str = "auto",
        seed: int = 271828,
        name: str | None = None,
        cardinality: int | None = None,
        convention: str = "auto",
        class_balance: Any = None,
    ):
        if convention not in CONVENTIONS:
            raise ModelError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
        for opt, value in (("class_prior", class_prior), ("lf_propensity", lf_propensity),
                           ("lf_class_propensity", lf_class_propensity)):  # fmt: skip
            if value != "auto" and not isinstance(value, bool | np.bool_ | int):
                raise ModelError(f"{opt} must be True, False or 'auto', got {value!r}")
        self.convention = convention
        balance = class_balance_vector(class_balance)
        self.class_balance = None if balance is None else balance.tolist()
        self.name = name or type(self).__name__
        self.class_prior = class_prior
        self.lf_prior = lf_prior
        self.lf_propensity = lf_propensity
        self.lf_class_propensity = lf_class_propensity
        self.seed = seed
        self.cardinality = cardinality
        self.graph_: FactorGraph | None = None
        self.weight_vector_: np.ndarray | None = None
        self.deps_: list[Dependency] = []
        self.signed_: bool = True
        self.lf_names_: list[str] | None = None
        self.coverage_: np.ndarray | None = None
        self.epochs_run_: int = 0
        self.loss_history_: list[float] = []
        self.options_: Options | None = None
        self.converged_: bool | None = None
        self.misfit_: float | None = None
        self.label_coverage_: float | None = None
        self.vote_stats_: np.ndarray | None = None

    # ------------------------------------------------------------------ training
    def train(
        self,
        L: Any,
        deps: Any = (),
        LF_acc_prior_weights: Any = None,
        LF_acc_prior_weight_default: float = 1.0,
        labels: Any = None,
        label_prior_weight: float = 5.0,
        init_deps: float = 0.0,
        init_class_prior: float = 0.0,
        epochs: int = 300,
        step_size: float | None = None,
        decay: float = 1.0,
        reg_param: float = 1e-6,
        reg_type: int = 2,
        verbose: bool | None = None,
        truncation: int = 1,
        burn_in: int = 10,
        cardinality: int | None = None,
        timer: Any = None,
        candidate_ranges: Any = None,
        threads: int = 1,
        init_acc: float | None = None,
    ) -> None:
        """Learn the weights from the label matrix ``L`` (candidates x LFs).

        Parameters
        ----------
        L
            scipy sparse matrix or ndarray of votes (binary ``-1``/``+1``, categorical
            ``1..k``; ``0`` abstains).
        deps
            ``(j, k, dep_type)`` dependencies between LF columns (see ``dependencies``).
        LF_acc_prior_weights, LF_acc_prior_weight_default
            Fixed LF-prior weights (one per LF), used when ``lf_prior`` is set or the
            weights are given.
        labels, label_prior_weight
            Known labels per candidate (``0`` unknown), tied to the class by a fixed factor
            of weight ``label_prior_weight``. As in 0.7 (where they were one more LF column, of
            fixed weight), they are reported as one more source: a last row of
            ``learned_lf_stats()`` and ``weights.label_accuracy``.
        init_deps, init_class_prior
            Initial dependency weights and (binary models with ``class_prior``) class-prior
            weight, on the log-odds scale; 0 starts the classes balanced (0.7 started at -1).
        epochs
            Maximum number of epochs; without dependencies every update is exact and
            training stops once the largest step falls below ``1e-4``. ``0`` (as in 0.7)
            sets the weights from the priors (``init_acc``, ``LF_acc_prior_weights``) untrained.
        step_size
            Per-candidate step in Snorkel 0.7's units (``None`` = ``0.1 / n``, the value
            0.7's notebooks pass); the epoch learning rate is ``10 * step_size * n``.
        decay
            Factor applied to the learning rate after every epoch.
        reg_param, reg_type
            Penalty strength per candidate and its type (2 = L2, 1 = L1 by truncated gradient,
            0 = none, as in 0.7;
            the EM path, binary models with ``lf_class_propensity`` and no dependencies,
            applies the penalty in L2 form whatever the type).
        verbose
            Show a tqdm progress bar (on stderr) over the epochs, with the mean
            log-likelihood; it closes at the epochs run when training converges early.
            ``None`` (the default): shown when the ``snorkel_ie`` logger is enabled for INFO
            (the CLI's ``-v``, :func:`snorkel_ie.log.configure`).
        truncation
            With ``reg_type=1``: epochs between two applications of the accumulated L1
            soft-threshold (a weight update here is a full pass, where 0.7's was one
            candidate, so 0.7's default of 10 updates corresponds to 1). Shrinkage still
            owed when training ends is applied then.
        burn_in
            Gibbs sweeps before the first free-phase estimate (dependencies only).
        cardinality
            Number of classes, as the constructor's ``cardinality`` (which it must not
            contradict); ``None`` keeps the constructor's.
        timer
            Anything with ``start()`` and ``end()`` methods, called around the learning
            (0.7's stopwatch hook).
        candidate_ranges
            Per candidate, its number of classes or the list of its possible values;
            votes index the range (``1..size``). Makes the model categorical.
        threads
            Threads of the numba kernels; results are identical for any number of threads.
        init_acc
            Initial accuracy weight; ``init_acc > 0`` says "LFs are better than random".
            ``None`` (the default): with dependencies, each LF's agreement-rate estimate
            computed without its declared-dependent pairs (see :mod:`.moments`), else 1.0.
            Either way, of a fit and its mirror image (same likelihood, every LF's accuracy
            negated) the one with LFs better than random on average is kept.
        """
        self._check_hyper(epochs, step_size, decay, reg_param, reg_type, burn_in, threads)
        if int(truncation) < 1:
            raise ModelError(f"truncation must be a positive number of epochs, got {truncation}")
        if cardinality is not None:
            if self.cardinality is not None and int(cardinality) != int(self.cardinality):
                raise ModelError(
                    f"train(cardinality={cardinality}) contradicts GenerativeModel(cardinality={self.cardinality})"
                )
            self.cardinality = int(cardinality)
        data = self._prepare(L, candidate_ranges, labels)
        # 0.7 appended the labels as one more (fixed) LF column: its stats row and weight are reported
        self.label_coverage_ = None if labels is None else float(np.count_nonzero(data.row_label)) / data.n_rows
        self.deps_ = check_deps(deps, data.n_lfs)
        if self.deps_ and data.row_card.shape[0]:
            raise ModelError("dependencies cannot be combined with candidate_ranges")
        prior = self._prior_weights(LF_acc_prior_weights, LF_acc_prior_weight_default, data.n_lfs)
        self.polarity_ = _polarity(data) if self.signed_ else np.zeros(data.n_lfs, dtype=np.int64)
        opts = resolve_options(self, data, self.polarity_, bool(self.deps_), prior is not None)
        init = initial_accuracies(data, self.deps_, self.polarity_, self.signed_, init_acc)
        lr = 1.0 if step_size is None else 10.0 * step_size * data.n_rows
        if reg_type == 0:  # 0.7: no regularisation
            reg_param, reg_type = 0.0, 2
        settings = LearnSettings(
            epochs=epochs, learning_rate=lr, decay=decay, reg_param=reg_param, reg_type=reg_type,
            burn_in=burn_in, seed=self.seed, threads=threads, label_weight=label_prior_weight,
            truncation=int(truncation), learn_class_prior=opts.class_prior,
            class_balance=None if self.class_balance is None else np.asarray(self.class_balance),
        )  # fmt: skip
        self.label_prior_weight_ = label_prior_weight
        if timer is not None:
            timer.start()
        self._fit(data, opts, settings, prior, init, init_deps, init_class_prior, verbose)
        if opts.auto_class_conditional and epochs > 0:
            ok, self.misfit_ = check_fit(self.graph_, self.weight_vector_, data)
            if not ok:
                warnings.warn(
                    f"the class-conditional label model does not explain which LFs vote together (a pair co-votes "
                    f"{self.misfit_:.0%} off its prediction: the LFs are correlated), so its use of abstentions "
                    "is not trusted: falling back to abstentions observed (majority-vote weights for one-sided "
                    "LFs). Pass deps=, lf_class_propensity=True, or choose on dev gold with select_model()",
                    UserWarning,
                    stacklevel=2,
                )
                opts = Options(bool(self.class_balance is not None), False, False, False)
                settings.learn_class_prior = False
                self._fit(data, opts, settings, prior, init, init_deps, init_class_prior, verbose)
        if timer is not None:
            timer.end()
        self.options_ = opts
        self.coverage_ = data.col_counts / data.n_rows
        self.vote_stats_ = None
        if self.signed_ and not opts.lf_class_propensity and np.any(self.polarity_ != 0) and epochs > 0:
            # a one-sided LF's accuracy weight is fixed here (its vote never varies): its stats
            # come from the training posterior instead (see learned_lf_stats)
            post = compute_posterior(self.graph_, self.weight_vector_, data, self.label_prior_weight_)
            self.vote_stats_ = posterior_lf_stats(post[:, 1], data)
        if epochs > 0:
            warn_convergence(self, data)
        warn_not_converged(self.converged_, self.epochs_run_, opts.lf_class_propensity and not self.deps_)

    def _fit(self, data, opts, settings, prior, init, init_deps, init_class_prior, verbose) -> None:
        """Build the factor graph for ``opts`` and learn its weights (sets the fitted attributes).

        Without dependencies, modelled propensities or LF priors, exact copies among the LF
        columns are fitted as one LF whose weight their copies share (:func:`.fitting.duplicate_groups`).
        """
        fixed_balance = self.class_balance is not None and self.signed_
        if fixed_balance and not opts.lf_class_propensity:
            pi = np.asarray(self.class_balance)
            init_class_prior = 0.5 * float(np.log(pi[1] / pi[0]))
        init = np.broadcast_to(np.asarray(init, dtype=np.float64), (data.n_lfs,))

        def build(cols):
            graph = build_factor_graph(
                len(cols), data.k_max, deps=self.deps_, class_prior=opts.class_prior or fixed_balance,
                lf_prior_weights=None if prior is None else prior[cols], lf_propensity=opts.lf_propensity,
                lf_class_propensity=opts.lf_class_propensity, init_acc=init[cols], init_deps=init_deps,
                init_class_prior=init_class_prior, polarity=self.polarity_[cols],
            )  # fmt: skip
            if fixed_balance and not opts.lf_class_propensity:
                graph.weight_fixed[0] = True  # the class prior is given, not learned
            return graph

        every = np.arange(data.n_lfs)
        groups = every if self.deps_ or opts.lf_propensity or prior is not None else duplicate_groups(data)
        reps, rep_of = np.unique(groups, return_inverse=True)
        self.copies_ = np.bincount(rep_of)[rep_of].astype(np.int64)
        if reps.shape[0] < data.n_lfs:
            warn_copies(groups, self.lf_names_)
        fit_data = data if reps.shape[0] == data.n_lfs else column_subset(data, reps)
        graph = build(reps)
        if settings.epochs == 0:  # 0.7: the weights the priors and init_acc give, untrained
            self.epochs_run_, self.loss_history_, self.converged_, self.flipped_ = 0, [], None, False
            self.graph_, self.weight_vector_ = build(every), build(every).weight_value.copy()
            return
        bar = _progress(verbose, settings.epochs)
        with bar as callback:
            w, self.epochs_run_, self.loss_history_, self.converged_ = train_weights(
                graph, fit_data, settings, callback=callback, polarity=self.polarity_[reps]
            )
            bar.finish(self.epochs_run_, self.loss_history_, self.converged_)
        self.flipped_ = orient_weights(graph, w, fit_data)
        if reps.shape[0] < data.n_lfs:
            graph, w = _expand_copies(build(every), graph, w, rep_of, self.copies_)
        self.graph_, self.weight_vector_ = graph, w

    @staticmethod
    def _check_hyper(epochs, step_size, decay, reg_param, reg_type, burn_in, threads) -> None:
        if int(epochs) < 0:
            raise ModelError(f"epochs must be at least 0 (0 = weights from the priors, no training), got {epochs}")
        if step_size is not None and not (np.isfinite(step_size) and step_size > 0):
            raise ModelError(f"step_size must be a positive number or None, got {step_size}")
        if not (0 < decay <= 1):
            raise ModelError(f"decay must lie in (0, 1], got {decay}")
        if reg_param < 0 or reg_type not in (0, 1, 2):
            raise ModelError(f"reg_param must be >= 0 and reg_type 0, 1 or 2, got {reg_param}, {reg_type}")
        if burn_in < 0 or threads < 1:
            raise ModelError(f"burn_in must be >= 0 and threads >= 1, got {burn_in}, {threads}")

    def _prepare(self, L: Any, candidate_ranges: Any, labels: Any) -> LabelData:
        names = getattr(L, "lf_names", None)
        if names is None and hasattr(L, "columns") and hasattr(L, "to_numpy"):  # a pandas DataFrame
            names = list(L.columns)
        self.lf_names_ = [str(x) for x in names] if names is not None else None
        L = apply_convention(L, self.convention)
        k, signed = self.cardinality, True
        if k is None:
            k, signed = infer_cardinality(_as_csr(L).data)
        else:
            signed = k == 2
        if candidate_ranges is not None:
            signed = False
            if self.cardinality is None:
                sizes = [int(r) if isinstance(r, int | np.integer) else len(r) for r in candidate_ranges]
                k = max([k, *sizes]) if sizes else k
        if k < 2:
            raise ModelError(f"cardinality must be at least 2, got {k}")
        if not signed and self.lf_class_propensity is True:
            raise ModelError("lf_class_propensity is defined for binary models only")
        self.signed_ = signed
        self.k_ = int(k)
        return to_label_data(L, cardinality=self.k_, signed=signed, candidate_ranges=candidate_ranges, labels=labels)

    def _prior_weights(self, given: Any, default: float, m: int) -> np.ndarray | None:
        if given is None:
            return np.full(m, float(default)) if self.lf_prior else None
        arr = np.asarray(given, dtype=np.float64).ravel()
        if arr.shape[0] != m or not np.all(np.isfinite(arr)):
            raise ModelError(f"LF_acc_prior_weights must hold {m} finite numbers, got {arr.shape[0]}")
        return arr

    # ------------------------------------------------------------------ inference
    def _check_fitted(self) -> None:
        if self.weight_vector_ is None or self.graph_ is None:
            raise NotFittedError("the generative model is not trained; call train(L) first")

    def _posterior(self, L: Any, candidate_ranges: Any = None) -> np.ndarray:
        self._check_fitted()
        if candidate_ranges is None and self.signed_ and self.graph_.dep_factors.shape[0] == 0:
            csr = _as_csr(apply_convention(L, self.convention))
            n_lfs = self.graph_.layout.n_lfs
            ok = csr.shape[1] == n_lfs and (csr.nnz == 0 or (csr.data.min() >= -1 and csr.data.max() <= 1))
            if ok:  # binary votes, no dependencies: straight from the matrix (else to_label_data says what is wrong)
                acc, _, cprop, _ = lf_views(self.graph_, self.weight_vector_)
                return signed_posterior(csr, class_offsets(self.graph_, self.weight_vector_), acc, cprop)
        data = to_label_data(
            apply_convention(L, self.convention), cardinality=self.k_, signed=self.signed_, n_lfs=self.graph_.layout.n_lfs,
            candidate_ranges=candidate_ranges, warn_empty_columns=False,
        )  # fmt: skip
        return compute_posterior(self.graph_, self.weight_vector_, data)

    def marginals(self, L: Any, *, candidate_ranges: Any = None) -> np.ndarray:
        """``P(y = +1)`` per candidate for a binary model, ``(n, k)`` class probabilities otherwise."""
        post = self._posterior(L, candidate_ranges)
        return post[:, 1].copy() if self.signed_ else post

    def predictions(self, L: Any, *, b: float = 0.5, tie: int = -1, candidate_ranges: Any = None) -> np.ndarray:
        """Hard labels: ``+1`` where ``P(y=+1) > b``, ``-1`` below, ``tie`` at ``b``; arg-max class (``1..k``) otherwise."""
        return predictions_from_marginals(self.marginals(L, candidate_ranges=candidate_ranges), b=b, tie=tie)

    def score(self, L: Any, L_gold: Any, *, b: float = 0.5, display: bool = True) -> tuple[float, float, float]:
        """Precision, recall and F1 against gold (``0`` = unknown, ignored).

        For a categorical model every candidate gets one class, so micro precision, recall
        and F1 all equal the accuracy, which is what is returned (three times).
        """
        pred = self.predictions(L, b=b)
        gold = as_label_vector(L_gold)
        if not self.signed_:
            acc = categorical_accuracy(pred, gold)
            if display:
                report(_log, f"Accuracy: {acc:.3f} ({int(np.sum(gold != 0))} candidates with gold)")
            return acc, acc, acc
        scores = binary_scores(pred, gold)
        if display:
            print_binary_report(scores, title="Generative model scores", b=b)
        return binary_prf(pred, gold)

    def error_analysis(self, session: Any, L: Any, L_gold: Any, *, b: float = 0.5, display: bool = True):
        """Split candidates with known gold into (tp, fp, tn, fn) sets, fetched with ``L.get_candidate``."""
        if not self.signed_:
            raise ModelError("error_analysis is defined for binary models")
        pred = self.predictions(L, b=b)
        gold = as_label_vector(L_gold)
        if display:
            print_binary_report(binary_scores(pred, gold), title="Error analysis", b=b)
        sets: tuple[set, set, set, set] = (set(), set(), set(), set())
        for i in np.flatnonzero(gold != 0):
            pos, right = pred[i] == 1, pred[i] == gold[i]
            idx = (0 if right else 1) if pos else (2 if right else 3)
            sets[idx].add(L.get_candidate(session, int(i)))
        return sets

    # ------------------------------------------------------------------ inspection
    @property
    def weights(self) -> GenerativeModelWeights:
        """The learned weights (see :class:`GenerativeModelWeights`)."""
        self._check_fitted()
        return model_weights(self)

    def learned_lf_stats(self) -> pd.DataFrame:
        """Accuracy, coverage, precision and recall of each LF implied by the learned weights.

        Computed in closed form under the model without its dependency factors: Accuracy is
        P(vote = y | vote), Coverage P(vote) (the training coverage when propensities are not
        modelled), Precision P(y = +1 | vote = +1) and Recall P(vote = +1 | y = +1) for a
        binary model; for a categorical one Precision is the accuracy and Recall
        P(vote = y) averaged over classes.

        A one-sided LF (it only ever votes one class) of a model that takes abstentions as
        observed (``lf_class_propensity`` off, or the fallback of ``"auto"``) has an accuracy
        weight the data cannot identify (fixed at ``init_acc``), so its closed form would say
        nothing (0.5 under balanced classes); its row reports instead the estimates under the
        fitted model's posterior on the training rows: Accuracy the mean over its votes of
        ``P(y = vote | votes)``, Coverage its training coverage, Precision and Recall by the
        same expectations (:func:`.inspection.posterior_lf_stats`).

        A model trained with ``labels=`` has one more row, after the LFs', for the gold
        labels as a source (Snorkel 0.7 appended them as an LF column): its Accuracy is
        the one its fixed weight ``label_prior_weight`` implies, its Coverage the fraction of
        training candidates with a known label. The row is named ``"labels"`` when the LFs
        are named, else numbered after the last LF (as 0.7 numbered it).
        """
        self._check_fitted()
        return model_lf_stats(self)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> None:
        """Write the model to ``path.npz`` (arrays) and ``path.json`` (settings); no pickled code."""
        self._check_fitted()
        save_model(self, path)

    def load(self, path: str | Path) -> GenerativeModel:
        """Load a model written by :meth:`save` into this instance (and return it)."""
        return load_model(self, path)


def _expand_copies(full: FactorGraph, reduced: FactorGraph, w_red: np.ndarray, rep_of, copies):
    """The weights of ``full`` from a fit on one column per group of copies: class prior as
    fitted, each copy's accuracy weight its group's divided by the group size (so the
    posterior is the reduced fit's), the other per-LF weights of its group."""
    lay, red = full.layout, reduced.layout
    w = full.weight_value.copy()
    w[: lay.n_class] = w_red[: red.n_class]
    for block, red_block in ((lay.acc, red.acc), (lay.prop, red.prop), (lay.cprop, red.cprop)):
        w[block : block + lay.n_lfs] = w_red[red_block + rep_of]
    w[lay.acc : lay.acc + lay.n_lfs] /= copies
    return full, w


def _polarity(data: LabelData) -> np.ndarray:
    """Per LF: ``+1``/``-1`` when all its votes are positive/negative, ``0`` when mixed or none."""
    neg, pos = data.vote_counts[:, 0], data.vote_counts[:, 1]
    return np.where((pos > 0) & (neg == 0), 1, np.where((neg > 0) & (pos == 0), -1, 0)).astype(np.int64)


class _progress:
    """Context manager giving a tqdm-backed ``callback(epoch, loglik)`` when ``verbose``, else None.

    The bar's total is the epoch budget; :meth:`finish` sets it to the epochs actually run
    (fewer when training converged early, which the bar's description then says) before it
    closes. ``verbose=None`` shows the bar when the ``snorkel_ie`` logger is enabled for INFO
    (as the CLI's ``-v`` and :func:`snorkel_ie.log.configure` set it).
    """

    def __init__(self, verbose: bool | None, epochs: int):
        if verbose is None:
            verbose = logging.getLogger(ROOT).isEnabledFor(logging.INFO)
        self.verbose, self.epochs, self.bar = bool(verbose), epochs, None

    def __enter__(self):
        if not self.verbose:
            return None
        from tqdm.auto import tqdm

        self.bar = tqdm(total=self.epochs, desc="generative model", unit="epoch", dynamic_ncols=True)

        def callback(epoch: int, loglik: float) -> None:
            if np.isfinite(loglik):  # NaN with dependencies (a sampled free phase)
                self.bar.set_postfix(loglik=f"{loglik:.5f}", refresh=False)
            self.bar.update(1)

        return callback

    def finish(self, epochs_run: int, history: list[float], converged: bool | None) -> None:
        """Show the final state: ``epochs_run`` epochs, the last log-likelihood, whether converged early."""
        if self.bar is None:
            return
        self.bar.n = int(epochs_run)  # EM reports its first start only; the fit kept may be the other
        if history and np.isfinite(history[-1]):
            self.bar.set_postfix(loglik=f"{history[-1]:.5f}", refresh=False)
        if converged and epochs_run < self.epochs:
            self.bar.set_description("generative model (converged)", refresh=False)
        self.bar.refresh()

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
