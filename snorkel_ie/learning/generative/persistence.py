"""Saving and loading a :class:`~.model.GenerativeModel`: arrays in ``.npz``, settings in ``.json``.

No pickled code: :func:`save_model` writes the factor graph's arrays and the learned
weights with :func:`numpy.savez` and the model's parameters as JSON, and
:func:`load_model` rebuilds the factor graph from them. A format version guards against
files written by an incompatible release.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from snorkel_ie.errors import ModelError
from snorkel_ie.learning.generative.factor_graph import FactorGraph, WeightLayout
from snorkel_ie.learning.generative.fitting import Options

if TYPE_CHECKING:
    from snorkel_ie.learning.generative.model import GenerativeModel

__all__ = ["load_model", "save_model"]

_FORMAT_VERSION = 1


def save_model(model: GenerativeModel, path: str | Path) -> None:
    """Write a trained ``model`` to ``path.npz`` (arrays) and ``path.json`` (settings)."""
    base = Path(path).with_suffix("") if Path(path).suffix in (".npz", ".json") else Path(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    g = model.graph_
    arrays = {name: getattr(g, name) for name in _GRAPH_ARRAYS}
    if getattr(model, "vote_stats_", None) is not None:  # posterior LF stats of one-sided LFs (learned_lf_stats)
        arrays["vote_stats"] = model.vote_stats_
    np.savez(base.with_name(base.name + ".npz"), weight_vector=model.weight_vector_, coverage=model.coverage_, **arrays)
    meta = {
        "format_version": _FORMAT_VERSION,
        "params": {k: getattr(model, k) for k in _PARAMS},
        "k": model.k_,
        "signed": model.signed_,
        "n_lfs": g.layout.n_lfs,
        "deps": [list(d) for d in model.deps_],
        "lf_names": model.lf_names_,
        "label_prior_weight": model.label_prior_weight_,
        "label_coverage": getattr(model, "label_coverage_", None),
        "epochs_run": model.epochs_run_,
        "copies": np.asarray(getattr(model, "copies_", np.ones(g.layout.n_lfs))).astype(int).tolist(),
        "options": None if model.options_ is None else asdict(model.options_),
        "polarity": np.asarray(getattr(model, "polarity_", np.zeros(g.layout.n_lfs))).astype(int).tolist(),
    }
    base.with_name(base.name + ".json").write_text(json.dumps(meta, indent=1), encoding="utf-8")


def load_model(model: GenerativeModel, path: str | Path) -> GenerativeModel:
    """Load a model written by :func:`save_model` into ``model`` (and return it)."""
    base = Path(path).with_suffix("") if Path(path).suffix in (".npz", ".json") else Path(path)
    try:
        meta = json.loads(base.with_name(base.name + ".json").read_text(encoding="utf-8"))
        arrays = np.load(base.with_name(base.name + ".npz"), allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot load a generative model from {base}(.json/.npz): {err}") from err
    if meta.get("format_version") != _FORMAT_VERSION:
        raise ModelError(f"{base}.json has format version {meta.get('format_version')}, expected {_FORMAT_VERSION}")
    for k, v in meta["params"].items():
        setattr(model, k, v)
    model.k_, model.signed_ = int(meta["k"]), bool(meta["signed"])
    model.deps_ = [tuple(d) for d in meta["deps"]]
    model.lf_names_ = meta["lf_names"]
    model.label_prior_weight_ = meta["label_prior_weight"]
    model.label_coverage_ = meta.get("label_coverage")  # None: trained without labels= (or an older file)
    model.epochs_run_ = meta["epochs_run"]
    model.copies_ = np.asarray(meta.get("copies", [1] * int(meta["n_lfs"])), dtype=np.int64)
    opts = meta.get("options")
    model.options_ = (
        Options(**opts)
        if opts
        else Options(
            bool(model.class_prior is True),
            bool(model.lf_propensity is True or model.lf_class_propensity is True),
            bool(model.lf_class_propensity is True),
        )
    )
    model.polarity_ = np.asarray(meta.get("polarity", [0] * int(meta["n_lfs"])), dtype=np.int64)
    layout = WeightLayout(model.k_, int(meta["n_lfs"]), len(model.deps_))
    model.graph_ = FactorGraph(layout=layout, **{name: arrays[name] for name in _GRAPH_ARRAYS})
    model.weight_vector_ = arrays["weight_vector"]
    model.coverage_ = arrays["coverage"]
    model.vote_stats_ = arrays["vote_stats"] if "vote_stats" in arrays.files else None
    return model


_PARAMS = (
    "class_prior",
    "lf_prior",
    "lf_propensity",
    "lf_class_propensity",
    "seed",
    "name",
    "cardinality",
    "convention",
    "class_balance",
)
_GRAPH_ARRAYS = (
    "weight_value", "weight_fixed", "var_cardinality", "factor_type", "factor_weight", "factor_param",
    "factor_vars", "var_factor_indptr", "var_factor_ids", "dep_factors",
)  # fmt: skip
