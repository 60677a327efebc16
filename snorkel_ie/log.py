"""Logging of snorkel-ie: one logger hierarchy under ``"snorkel_ie"``.

Library modules log on ``logging.getLogger(__name__)`` (``snorkel_ie.labeling...``) and never
``print``. Importing the package configures nothing but a :class:`logging.NullHandler` on
``snorkel_ie``; the application (the CLI, a notebook, a service) decides where records go,
for instance with :func:`configure`.

Reports that a caller asked for (``display=True``, ``verbose=True``, ``get_matches``, the
Snorkel 0.7 ``score`` tables) go through :func:`report`: an INFO record on the module's logger
when a handler is attached to the ``snorkel_ie`` hierarchy (as the CLI and :func:`configure`
do), else the text on ``sys.stdout`` as Snorkel 0.7 printed it, so a notebook still shows its
scores without any logging set up.

Examples
--------
>>> import logging, snorkel_ie.log
>>> snorkel_ie.log.configure(verbosity=1)  # doctest: +SKIP  (INFO and up on stderr)
>>> logging.getLogger("snorkel_ie").setLevel(logging.WARNING)  # doctest: +SKIP  (quiet again)
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Iterator
from typing import TextIO

__all__ = ["ROOT", "configure", "report"]

ROOT = "snorkel_ie"
_HANDLER_NAME = "snorkel_ie.console"
_LEVELS = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}


def _has_real_handler(logger: logging.Logger) -> bool:
    """Whether some handler other than a NullHandler sits on ``logger`` or its ``snorkel_ie`` ancestors."""
    current: logging.Logger | None = logger
    while current is not None and current.name.startswith(ROOT):
        if any(not isinstance(h, logging.NullHandler) for h in current.handlers):
            return True
        if not current.propagate:
            return False
        current = current.parent  # type: ignore[assignment]
    return False


def report(logger: logging.Logger, text: str) -> None:
    """Show ``text`` that the caller asked for: an INFO record, or stdout when nobody listens.

    Parameters
    ----------
    logger
        The calling module's logger (``logging.getLogger(__name__)``).
    text
        One or more lines.
    """
    if _has_real_handler(logger):
        for line in text.splitlines() or [""]:
            logger.info(line)
    else:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


class _StderrHandler(logging.StreamHandler):
    """A stream handler on whatever ``sys.stderr`` is when a record is emitted (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


_original_showwarning = warnings.showwarning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A Python warning as one record on ``py.warnings``: ``Category: message`` without the source line."""
    if file is not None:  # an explicit file (warnings.showwarning called directly): as Python does
        _original_showwarning(message, category, filename, lineno, file, line)
        return
    text = " ".join(str(message).split())
    logging.getLogger("py.warnings").warning("%s: %s", category.__name__, text)


def configure(*, verbosity: int = 0, stream: TextIO | None = None, fmt: str = "%(message)s") -> logging.Handler:
    """Send ``snorkel_ie`` records to ``stream`` (stderr) and route Python warnings through logging.

    Parameters
    ----------
    verbosity
        ``-1`` warnings and errors only (``-q``), ``0`` also INFO (the default), ``1`` also DEBUG (``-v``).
    stream
        Where the lines go; by default the ``sys.stderr`` of the moment each line is written.
    fmt
        The :class:`logging.Formatter` format.

    Returns
    -------
    logging.Handler
        The one console handler (calling again replaces it, so repeated calls do not duplicate lines).
        A warning becomes one line ``Category: message``.
    """
    root = logging.getLogger(ROOT)
    for h in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(h)
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter(fmt))
    root.addHandler(handler)
    root.setLevel(_LEVELS[max(-1, min(1, int(verbosity)))])
    warnings.showwarning = _show_warning
    warnings_logger = logging.getLogger("py.warnings")
    for h in [h for h in warnings_logger.handlers if h.get_name() == _HANDLER_NAME]:
        warnings_logger.removeHandler(h)
    warnings_logger.addHandler(handler)
    warnings_logger.propagate = False
    return handler


@contextlib.contextmanager
def configured(*, verbosity: int = 0, stream: TextIO | None = None) -> Iterator[logging.Handler]:
    """:func:`configure` for the duration of a ``with`` block, then the logging state as it was.

    The CLI runs each command inside one, so a command invoked in-process (a test's
    ``CliRunner``, a notebook) leaves no console handler behind and :func:`report` prints again.
    """
    root = logging.getLogger(ROOT)
    warnings_logger = logging.getLogger("py.warnings")
    saved = (root.level, list(root.handlers), warnings.showwarning, list(warnings_logger.handlers),
             warnings_logger.propagate)  # fmt: skip
    try:
        yield configure(verbosity=verbosity, stream=stream)
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        warnings.showwarning = saved[2]
        warnings_logger.handlers[:] = saved[3]
        warnings_logger.propagate = saved[4]
