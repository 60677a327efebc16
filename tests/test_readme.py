"""The README's quickstart runs as written, in an empty folder (its corpus is installed with the package)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_readme_quickstart_runs(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quickstart", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "cdr_sample_path()" in code, "the quickstart no longer reads the packaged CDR sample; update this test"
    code += "\nassert L_train.shape[0] > 0 and L_train.shape[1] == 2\nprint('quickstart ok')\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "quickstart ok" in out.stdout
    assert (tmp_path / "snorkel.db").exists()
