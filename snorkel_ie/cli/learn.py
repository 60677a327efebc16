"""Commands for the learning stages: ``train-generative``, ``train-discriminative``, ``evaluate``.

A batch job needs no notebook: after ``parse``, ``extract`` and ``label``, these train
the models on what is in the database and write marginals back to it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click
import numpy as np
from sqlalchemy import select

from snorkel_ie.cli._util import candidate_class_option, db_option, open_session, split_option
from snorkel_ie.cli.label import load_lfs
from snorkel_ie.errors import ConfigurationError

_log = logging.getLogger(__name__)

DB = db_option
CLASS = candidate_class_option(required=True)


def candidate_class_for(session: Any, name: str) -> type:
    """The candidate class ``name``: this process's, else the one stored when its candidates were extracted.

    Commands that take an LF module import it first, so a class the module defines is
    the one used. A database whose candidates were not written by an extractor holds no
    definition: the class is then rebuilt with arguments named ``arg0``, ``arg1``...
    """
    from snorkel_ie.db.models import Candidate, CandidateSpan, candidate_subclass, load_candidate_class

    cls = load_candidate_class(session, name)
    if cls is not None:
        return cls
    first = session.scalar(select(Candidate.id).where(Candidate.type == name.lower()).limit(1))
    if first is None:
        raise ConfigurationError(f"the database has no candidates of class {name!r}; run 'snorkel-ie extract' first")
    arity = len(session.scalars(select(CandidateSpan.position).where(CandidateSpan.candidate_id == first)).all())
    return candidate_subclass(name, [f"arg{i}" for i in range(arity)])


def _lf_names(lfs_spec: str | None) -> list[str] | None:
    """The names of the LFs of ``lfs_spec`` (importing their module), or None for every LF."""
    return [lf.__name__ for lf in load_lfs(lfs_spec)] if lfs_spec else None


def _gold(session: Any, annotator: str, split: int, cls: type) -> np.ndarray:
    from snorkel_ie.labeling import load_gold_labels

    return np.asarray(load_gold_labels(session, annotator, split=split, candidate_class=cls).toarray()).ravel()


def _check_gold(session: Any, annotator: str, split: int, cls: type) -> None:
    """Refuse to score a split without candidates or without gold labels of ``annotator``."""
    from sqlalchemy import func

    from snorkel_ie.db.models import AnnotationKey, Candidate, GoldLabel

    type_name = cls.__mapper__.polymorphic_identity
    in_split = (Candidate.type == type_name, Candidate.split == split)
    if not session.scalar(select(func.count()).select_from(Candidate).where(*in_split)):
        raise ConfigurationError(f"split {split} has no {cls.__name__} candidates; nothing to evaluate")
    gold_keys = select(AnnotationKey.name).where(AnnotationKey.kind == "gold").order_by(AnnotationKey.name)
    known = list(session.scalars(gold_keys))
    if annotator not in known:
        raise ConfigurationError(
            f"no gold annotator {annotator!r} in the database (known: {known}); load gold labels first "
            "or pass --gold NAME"
        )
    labeled = (
        select(func.count())
        .select_from(GoldLabel)
        .join(AnnotationKey, AnnotationKey.id == GoldLabel.key_id)
        .join(Candidate, Candidate.id == GoldLabel.candidate_id)
        .where(AnnotationKey.kind == "gold", AnnotationKey.name == annotator, *in_split)
    )
    if not session.scalar(labeled):
        raise ConfigurationError(
            f"gold annotator {annotator!r} labeled none of the {cls.__name__} candidates of split {split}"
        )


@click.command("train-generative")
@DB
@CLASS
@split_option(help="Split to train on and write training marginals for (0 train).")
@click.option("--deps/--no-deps", default=True, show_default=True, help="Learn LF dependencies first.")
@click.option(
    "--class-prior/--no-class-prior", default=None, help="Learn the class balance too (default: the model's choice)."
)
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Training epochs (default: the model's).")
@click.option("--save", "save_path", type=click.Path(), default=None, help="Write the model here (npz + json).")
@click.option("--lfs", "lfs_spec", default=None, help="Use only these LFs' columns ('package.module:LFS').")
def train_generative(db_url, candidate_class, split, deps, class_prior, epochs, save_path, lfs_spec) -> None:
    """Train the generative model on a split's label matrix and save its marginals as training labels.

    The model's own defaults apply (see GenerativeModel); only the options above change them.
    """
    with open_session(db_url, create=False) as session:
        _train_generative(session, candidate_class, split, deps, class_prior, epochs, save_path, lfs_spec)


def _train_generative(session, candidate_class, split, deps, class_prior, epochs, save_path, lfs_spec) -> None:
    from snorkel_ie.labeling import load_matrix, save_marginals
    from snorkel_ie.learning.generative import GenerativeModel, optimize

    names = _lf_names(lfs_spec)  # first: the LF module may define the candidate class
    cls = candidate_class_for(session, candidate_class)
    L = load_matrix(session, "label", split, candidate_class=cls, key_names=names)
    if L.shape[0] == 0 or L.shape[1] == 0:
        raise ConfigurationError(f"split {split} has no labels for {candidate_class}; run 'snorkel-ie label' first")
    card = int(cls.cardinality)
    selected = sorted(optimize(L, cardinality=card).deps or ()) if deps else []
    options = {} if class_prior is None else {"class_prior": class_prior}
    model = GenerativeModel(cardinality=card, **options)
    model.train(L, deps=selected, **({"epochs": epochs} if epochs else {}))
    marginals = model.marginals(L)
    n = save_marginals(session, L, marginals, training=True)
    click.echo(f"{L.shape[0]} candidates x {L.shape[1]} LFs, {len(selected)} dependencies; saved {n} marginals")
    click.echo(model.learned_lf_stats().to_string(float_format=lambda x: f"{x:.3f}"))
    if save_path:
        model.save(save_path)
        click.echo(f"model written to {save_path}")


SPLITS_FILE = "snorkel-ie-splits.json"
"""Written beside a model trained by ``train-discriminative``: its train, dev (early stopping) and test splits."""


@click.command("train-discriminative")
@DB
@CLASS
@click.option("--model", "kind", type=click.Choice(["bilstm"]), default="bilstm", show_default=True, help="End model.")
@split_option(help="Training split (needs saved marginals: run train-generative).")
@split_option(default=1, name="--dev-split", help="Split with gold labels for early stopping.")
@split_option(default=2, name="--test-split", help="Held-out split to predict (score it with 'evaluate --split').")
@click.option("--gold", "gold_name", default="gold", show_default=True, help="Gold annotator of the dev split.")
@click.option("--epochs", type=click.IntRange(min=1), default=10, show_default=True, help="Most training epochs.")
@click.option("--seed", type=int, default=1701, show_default=True, help="Random seed of the model.")
@click.option("--save", "save_dir", type=click.Path(), required=True, help="Folder for the trained model.")
def train_discriminative(
    db_url, candidate_class, kind, split, dev_split, test_split, gold_name, epochs, seed, save_dir
) -> None:
    """Train the BiLSTM on a split's marginals, early-stopping on the dev split; save it and its predictions.

    Predictions are saved for the dev and the test split. Scores on the dev split are
    optimistic (it chose the epoch): report the test split.
    """
    if test_split == dev_split:
        _log.warning(
            "warning: --test-split %d is the early-stopping --dev-split: its scores will be optimistic; "
            "hold out another split for testing",
            dev_split,
        )
    with open_session(db_url, create=False) as session:
        _train_discriminative(session, candidate_class, split, dev_split, test_split, gold_name, epochs, seed, save_dir)


def _train_discriminative(
    session, candidate_class, split, dev_split, test_split, gold_name, epochs, seed, save_dir
) -> None:
    from snorkel_ie.labeling import load_marginals
    from snorkel_ie.learning.discriminative import BiLSTM

    cls = candidate_class_for(session, candidate_class)
    train = _candidates(session, cls, split)
    dev = _candidates(session, cls, dev_split)
    marginals = load_marginals(session, train, training=True)
    if len(train) == 0 or np.isnan(marginals).all():
        raise ConfigurationError(f"split {split} has no training marginals; run 'snorkel-ie train-generative' first")
    keep = ~np.isnan(marginals)
    model = BiLSTM(seed=seed)
    model.train([c for c, k in zip(train, keep, strict=True) if k], marginals[keep], X_dev=dev,
                Y_dev=_gold(session, gold_name, dev_split, cls), n_epochs=epochs, seed=seed)  # fmt: skip
    model.save(Path(save_dir))  # a Path is the folder itself (a bare string is a name under checkpoints/)
    splits = {"train": split, "dev": dev_split, "test": test_split, "candidate_class": cls.__name__}
    (Path(save_dir) / SPLITS_FILE).write_text(json.dumps(splits), encoding="utf-8")
    n = model.save_marginals(session, dev)
    test = _candidates(session, cls, test_split) if test_split != dev_split else []
    n_test = model.save_marginals(session, test) if test else 0
    click.echo(
        f"model written to {save_dir}; saved {n} predicted marginals for dev split {dev_split}"
        + (f" and {n_test} for test split {test_split}" if test_split != dev_split else "")
    )


def _candidates(session: Any, cls: type, split: int) -> list:
    return list(session.scalars(select(cls).where(cls.split == split).order_by(cls.id)).all())


@click.command("evaluate")
@DB
@CLASS
@split_option(default=2, help="Split to score (2 test; not the split a model early-stopped on).")
@click.option("--gold", "gold_name", default="gold", show_default=True, help="Gold annotator of the split.")
@click.option("--generative", "gen_path", type=click.Path(exists=False), default=None, help="A saved generative model.")
@click.option(
    "--discriminative",
    "disc_dir",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="A folder written by train-discriminative.",
)
@click.option("--lfs", "lfs_spec", default=None, help="Majority vote over only these LFs ('package.module:LFS').")
def evaluate(db_url, candidate_class, split, gold_name, gen_path, disc_dir, lfs_spec) -> None:
    """Precision, recall and F1 on a split: the baselines (all positive, majority vote) and any saved models."""
    with open_session(db_url, create=False) as session:
        for line in _evaluate(session, candidate_class, split, gold_name, gen_path, disc_dir, lfs_spec):
            click.echo(line)


def _evaluate(session, candidate_class, split, gold_name, gen_path, disc_dir, lfs_spec) -> list[str]:
    from snorkel_ie.labeling import load_matrix, majority_vote
    from snorkel_ie.learning.utils import binary_prf

    names = _lf_names(lfs_spec)  # first: the LF module may define the candidate class
    cls = candidate_class_for(session, candidate_class)
    _check_gold(session, gold_name, split, cls)
    gold = _gold(session, gold_name, split, cls)
    L = load_matrix(session, "label", split, candidate_class=cls, key_names=names)
    rows: list[tuple[str, tuple[float, float, float]]] = [
        ("all positive", binary_prf(np.ones(len(gold), dtype=np.int64), gold)),
        ("majority vote", binary_prf(majority_vote(L), gold)),
    ]
    if gen_path:
        from snorkel_ie.learning.generative import GenerativeModel

        gen = GenerativeModel().load(gen_path)
        L_gen = load_matrix(session, "label", split, candidate_class=cls, key_names=gen.lf_names_)
        rows.append(("generative model", binary_prf(gen.predictions(L_gen), gold)))
    if disc_dir:
        from snorkel_ie.learning.discriminative import BiLSTM

        _warn_if_dev_split(Path(disc_dir), split)
        cands = _candidates(session, cls, split)
        model = BiLSTM().load(Path(disc_dir), verbose=False)
        rows.append((f"BiLSTM ({Path(disc_dir).name})", binary_prf(model.predictions(cands), gold)))
    lines = [f"{candidate_class} split {split}: {L.shape[0]} candidates, {int((gold == 1).sum())} gold positive"]
    lines.append(f"{'model':<24} {'precision':>9} {'recall':>7} {'F1':>6}")
    lines += [f"{name:<24} {p:>9.3f} {r:>7.3f} {f1:>6.3f}" for name, (p, r, f1) in rows]
    return lines


def _warn_if_dev_split(model_dir: Path, split: int) -> None:
    """Warn when ``split`` is the one the model early-stopped on (its scores there are optimistic)."""
    path = model_dir / SPLITS_FILE
    if not path.is_file():
        return
    splits = json.loads(path.read_text(encoding="utf-8"))
    if splits.get("dev") == split:
        _log.warning(
            "warning: split %d is the dev split %s early-stopped on: its scores are optimistic; "
            "evaluate on the test split (--split %s)",
            split,
            model_dir.name,
            splits.get("test"),
        )
