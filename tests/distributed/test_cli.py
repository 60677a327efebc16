"""``--scheduler`` on the parse, extract and label commands refuses SQLite before contacting a cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from snorkel_ie.candidates.cli import extract
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling.cli import label
from snorkel_ie.parsing.cli import parse
from tests.conftest import DATA

COMMANDS = {
    "parse": (
        parse,
        [str(DATA / "parsing" / "cdr_train_5.PubTator.txt"), "--format", "pubtator", "--model", "blank:en"],
    ),
    "extract": (extract, ["ChemicalDisease", "--args", "chemical,disease", "--entity-types", "Chemical,Disease"]),
    "label": (label, ["--lfs", "tests.distributed.jobs:LFS"]),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_scheduler_option_sqlite_refused(tmp_path: Path, command: str) -> None:
    cmd, args = COMMANDS[command]
    url = f"sqlite:///{tmp_path / 'snorkel.db'}"
    # Nothing listens on port 9: the URL is checked before the scheduler is contacted.
    result = CliRunner().invoke(cmd, [*args, "--db", url, "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigurationError), result.output
    assert "PostgreSQL" in str(result.exception) and "SNORKELDB" in str(result.exception)
