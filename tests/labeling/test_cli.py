"""The `label` command on a real database."""

from __future__ import annotations

import sys

from click.testing import CliRunner

from snorkel_ie.labeling.cli import label
from tests.labeling.conftest import build_spouse_candidates

LF_MODULE = """
def LF_one(c):
    return 1


def LF_odd(c):
    return -1 if c.id % 2 else 0


LFS = [LF_one, LF_odd]
"""


def test_label_command_applies_lfs_from_a_module(session, tmp_path, monkeypatch) -> None:
    build_spouse_candidates(session, n_docs=2, splits=(0,))
    (tmp_path / "cli_test_lfs.py").write_text(LF_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    url = session.get_bind().url.render_as_string(hide_password=False)
    result = CliRunner().invoke(label, ["--db", url, "--lfs", "cli_test_lfs:LFS", "--split", "0"])
    assert result.exit_code == 0, result.output
    assert "LF_one" in result.output and "Coverage" in result.output
    again = CliRunner().invoke(label, ["--db", url, "--lfs", "cli_test_lfs"])
    assert "ran 0 function(s), 2 unchanged" in again.output
    sys.modules.pop("cli_test_lfs", None)


BROKEN_LF_MODULE = """
def LF_bad(c):
    return 1 if c.no_such_argument else 0


def LF_ok(c):
    return 1


LFS = [LF_bad, LF_ok]
"""


def test_label_command_fails_when_an_lf_raises_on_every_candidate(session, tmp_path, monkeypatch) -> None:
    from snorkel_ie.errors import LabelingError

    build_spouse_candidates(session, n_docs=2, splits=(0,))
    (tmp_path / "cli_broken_lfs.py").write_text(BROKEN_LF_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    url = session.get_bind().url.render_as_string(hide_password=False)
    result = CliRunner().invoke(label, ["--db", url, "--lfs", "cli_broken_lfs:LFS"])
    sys.modules.pop("cli_broken_lfs", None)
    assert result.exit_code != 0
    assert isinstance(result.exception, LabelingError)
    assert "LF_bad" in str(result.exception) and "LF_ok" not in str(result.exception)
