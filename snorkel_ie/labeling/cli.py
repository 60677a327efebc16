"""Where ``snorkel-ie label`` lived before the CLI became a package: see :mod:`snorkel_ie.cli.label`."""

from snorkel_ie.cli.label import label, load_lfs

__all__ = ["label", "load_lfs"]
