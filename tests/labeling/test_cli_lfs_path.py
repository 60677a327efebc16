"""``--lfs`` finds a module in the working directory, as ``python -m`` would (console scripts do not)."""

from __future__ import annotations

import sys

from snorkel_ie.labeling.cli import load_lfs


def test_load_lfs_finds_a_module_in_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "my_cwd_lfs.py").write_text("def LF_yes(c):\n    return 1\n\ndef helper(c):\n    return 0\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "my_cwd_lfs", raising=False)
    lfs = load_lfs("my_cwd_lfs")
    assert [lf.__name__ for lf in lfs] == ["LF_yes"]
