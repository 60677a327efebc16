"""snorkel_ie.log: nothing configured at import, reports on stdout until a handler listens."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import warnings

import pytest

from snorkel_ie.log import configure, report


@pytest.fixture
def clean_snorkel_logger():
    root = logging.getLogger("snorkel_ie")
    handlers, level = list(root.handlers), root.level
    showwarning = warnings.showwarning
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)
    warnings.showwarning = showwarning
    logging.getLogger("py.warnings").handlers.clear()
    logging.getLogger("py.warnings").propagate = True


def test_import_adds_only_a_null_handler() -> None:
    code = (
        "import logging, snorkel_ie, snorkel_ie.labeling, snorkel_ie.learning.generative\n"
        "h = logging.getLogger('snorkel_ie').handlers\n"
        "print([type(x).__name__ for x in h], logging.getLogger().handlers, logging.getLogger('snorkel_ie').level)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['NullHandler'] [] 0"


def test_report_prints_when_nobody_listens(clean_snorkel_logger, capsys) -> None:
    report(logging.getLogger("snorkel_ie.labeling.scoring"), "precision  50.00\nrecall     25.00")
    assert capsys.readouterr().out == "precision  50.00\nrecall     25.00\n"


def test_report_is_a_log_record_once_a_handler_listens(clean_snorkel_logger, capsys) -> None:
    stream = io.StringIO()
    configure(verbosity=0, stream=stream)
    report(logging.getLogger("snorkel_ie.labeling.scoring"), "f1 0.5\nrecall 0.4")
    assert capsys.readouterr().out == ""
    assert stream.getvalue() == "f1 0.5\nrecall 0.4\n"


def test_quiet_drops_reports_and_keeps_warnings(clean_snorkel_logger) -> None:
    stream = io.StringIO()
    configure(verbosity=-1, stream=stream)
    log = logging.getLogger("snorkel_ie.parsing")
    report(log, "a report")
    log.warning("a warning")
    assert stream.getvalue() == "a warning\n"


def test_configure_twice_keeps_one_handler_and_routes_warnings(clean_snorkel_logger) -> None:
    stream = io.StringIO()
    configure(verbosity=1, stream=stream)
    configure(verbosity=1, stream=stream)
    logging.getLogger("snorkel_ie.x").debug("debug line")
    warnings.warn("a python warning", UserWarning, stacklevel=1)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "debug line"
    assert sum("UserWarning: a python warning" in line for line in lines) == 1


def test_library_never_calls_print() -> None:
    import ast
    from pathlib import Path

    import snorkel_ie

    offenders = []
    for path in Path(snorkel_ie.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_a_cli_command_run_in_process_leaves_no_console_handler(tmp_path, capsys):
    """After `snorkel-ie ...` through click's runner, report() prints to stdout again (notebooks, tests)."""
    import logging

    from click.testing import CliRunner

    from snorkel_ie.cli import cli
    from snorkel_ie.log import report

    before = list(logging.getLogger("snorkel_ie").handlers)
    result = CliRunner().invoke(cli, ["db", "info", "--db", f"sqlite:///{tmp_path}/missing.db"])
    assert result.exit_code != 0  # the group's callback ran (and set up logging), then the command refused
    assert logging.getLogger("snorkel_ie").handlers == before
    report(logging.getLogger("snorkel_ie.test"), "shown on stdout")
    assert "shown on stdout" in capsys.readouterr().out
