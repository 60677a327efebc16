"""Where ``snorkel-ie extract`` lived before the CLI became a package: see :mod:`snorkel_ie.cli.extract`."""

from snorkel_ie.cli.extract import extract

__all__ = ["extract"]
