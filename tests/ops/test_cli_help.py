"""Every option of every ``snorkel-ie`` command says what it does; ``python -m snorkel_ie.cli`` works."""

from __future__ import annotations

import subprocess
import sys

import click

from snorkel_ie.cli import cli
from snorkel_ie.cli._util import EXIT_CODES

NOT_YET = {("export", "--split"), ("view", "--port"), ("view", "--page-size")}
"""Options of commands owned elsewhere that still lack help text (export: interop issue; view: viewer issue)."""


def _options(cmd: click.Command, path: tuple[str, ...] = ()):
    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            yield from _options(sub, (*path, name))
    for p in cmd.params:
        if isinstance(p, click.Option):
            yield path, p


def test_cli_every_option_has_help() -> None:
    missing = [
        f"snorkel-ie {' '.join(path)} {p.opts[0]}"
        for path, p in _options(cli)
        if not p.help and (path[-1] if path else "", p.opts[0]) not in NOT_YET
    ]
    assert not missing, missing


def test_cli_runs_as_a_module_and_lists_the_workflow() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "snorkel_ie.cli", "--help"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    for command in ("parse", "extract", "gold", "label", "train-generative", "train-discriminative", "evaluate", "db"):
        assert f"  {command} " in proc.stdout, command
    assert "Exit codes:" in proc.stdout and set(EXIT_CODES) == {0, 1, 2, 3, 130}
