"""Where ``snorkel-ie parse`` lived before the CLI became a package: see :mod:`snorkel_ie.cli.parse`."""

from snorkel_ie.cli.parse import FORMATS, make_preprocessor, parse

__all__ = ["FORMATS", "make_preprocessor", "parse"]
