"""The ``snorkel-ie`` command: thin commands over importable functions.

One module per command family (``parse``, ``extract``, ``label``, ``learn``, ``gold``,
``db``); their shared options and helpers live in :mod:`snorkel_ie.cli._util`, the root
group and the error policy in :mod:`snorkel_ie.cli._app`. A new command is a
``click.Command`` registered in :func:`_register`.
"""

from __future__ import annotations

from snorkel_ie.cli._app import cli, main

__all__ = ["cli", "main"]


def _register() -> None:
    from snorkel_ie.cli.db import db
    from snorkel_ie.cli.extract import extract
    from snorkel_ie.cli.gold import gold
    from snorkel_ie.cli.label import label
    from snorkel_ie.cli.learn import evaluate, train_discriminative, train_generative
    from snorkel_ie.cli.parse import parse
    from snorkel_ie.export import export_command

    for command in (db, parse, extract, gold, label, train_generative, train_discriminative, evaluate):
        cli.add_command(command)
    cli.add_command(export_command)
    from snorkel_ie.viewer.cli import view  # the viewer issue's command (h19)

    cli.add_command(view)


_register()
