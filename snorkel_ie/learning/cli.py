"""Where the learning commands lived before the CLI became a package: see :mod:`snorkel_ie.cli.learn`."""

from snorkel_ie.cli.learn import candidate_class_for, evaluate, train_discriminative, train_generative

__all__ = ["candidate_class_for", "evaluate", "train_discriminative", "train_generative"]
