"""``alembic upgrade head --sql`` prints the schema's SQL for $SNORKELDB's dialect."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("url", "marker"), [("sqlite:///unused.db", "CREATE TABLE document"),
                                             ("postgresql://u@localhost/none", "CREATE TABLE document")])  # fmt: skip
def test_offline_upgrade_prints_the_schema(url, marker, tmp_path):
    env = {**os.environ, "SNORKELDB": url}
    out = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini"), "upgrade", "head", "--sql"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert marker in out.stdout
    assert "alembic_version" in out.stdout
    assert not (tmp_path / "unused.db").exists()  # offline: nothing connected
