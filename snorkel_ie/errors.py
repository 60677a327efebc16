"""Exception hierarchy of snorkel-ie.

Every error derives from :class:`SnorkelIEError` and also from the built-in type a
caller would already catch (``ValueError``, ``RuntimeError``, ...). Messages say what
was received, what was expected and how to fix it. All exceptions stay picklable so
that they can cross process boundaries: each keeps its constructor arguments in
``args``.
"""

from __future__ import annotations

__all__ = [
    "CandidateError",
    "ConfigurationError",
    "ConvergenceWarning",
    "DatabaseError",
    "IncompleteError",
    "LabelingError",
    "ModelError",
    "NotFittedError",
    "ParseError",
    "SchemaError",
    "SnorkelIEError",
]


class SnorkelIEError(Exception):
    """Base class of every error raised by snorkel-ie.

    ``exit_code`` is the status ``snorkel-ie`` exits with when the error ends a command.
    """

    exit_code = 1


class ConfigurationError(SnorkelIEError, ValueError):
    """A setting, URL or argument combination is invalid."""


class DatabaseError(SnorkelIEError, RuntimeError):
    """The database refused an operation or is not reachable."""


class SchemaError(DatabaseError):
    """The database schema is not what this version of snorkel-ie expects."""


class ParseError(SnorkelIEError, ValueError):
    """An input file is malformed.

    Parameters
    ----------
    message
        What was wrong.
    path
        The file that was being read, when known.
    line
        The 1-based line number in ``path``, when known.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        super().__init__(message, path, line)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        return f"{where}{self.message}"


class CandidateError(SnorkelIEError, ValueError):
    """A candidate class or extractor was misused."""


class LabelingError(SnorkelIEError, RuntimeError):
    """A labeling function failed (raised when ``fail_fast=True``)."""


class ModelError(SnorkelIEError, ValueError):
    """A model received input it cannot work with (empty matrix, NaN, bad values...)."""


class NotFittedError(SnorkelIEError, RuntimeError):
    """A model was used before ``train`` was called."""


class IncompleteError(SnorkelIEError, RuntimeError):
    """A job finished, but some of its items failed or were skipped (they were listed); exit code 3."""

    exit_code = 3


class ConvergenceWarning(UserWarning):
    """Training did not converge: weights diverged or never moved."""
