"""Two identical jobs on one database at once: both succeed, and the database equals one job's result.

Real processes on both backends, starting on a database that does not exist yet (so
the two also race to create the schema). Without the locks of ``snorkel_ie.db.locks``
the second job died on ``uq_document_name`` (parse, PostgreSQL 4 of 5 tries) or on
``annotator_run`` (label, both backends).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ops.conftest import EXTRACT, N_DOCS, N_LFS, PUBTATOR, counts, run, run_together

pytestmark = pytest.mark.slow

PARSE = ("parse", str(PUBTATOR), "--model", "blank:en", "--no-progress", "--batch-size", "2")


def _assert_all_succeeded(runs) -> None:
    for r in runs:
        assert r.code == 0, str(r)
        assert "Traceback" not in r.stderr, str(r)


def test_ops_two_parse_jobs_on_a_new_database_both_succeed(fresh_url: str, workdir: Path) -> None:
    runs = run_together(PARSE, db_url=fresh_url, cwd=workdir)
    _assert_all_succeeded(runs)
    after = counts(fresh_url)
    assert after["document"] == N_DOCS
    single = run(PARSE, db_url=fresh_url, cwd=workdir)  # a third run finds everything stored
    assert single.code == 0 and f"{N_DOCS} already stored" in single.stdout, str(single)
    assert counts(fresh_url) == after
    stored = sum(int(r.stdout.split("parsed ")[1].split(" ")[0]) for r in runs)
    assert stored == N_DOCS  # each document parsed and stored by exactly one of the two jobs


def test_ops_two_extract_jobs_both_succeed(fresh_url: str, workdir: Path) -> None:
    assert run(PARSE, db_url=fresh_url, cwd=workdir).code == 0
    runs = run_together(EXTRACT, db_url=fresh_url, cwd=workdir)
    _assert_all_succeeded(runs)
    after = counts(fresh_url)
    assert after["candidate"] > 0
    again = run(EXTRACT, db_url=fresh_url, cwd=workdir)
    assert again.code == 0, str(again)
    assert counts(fresh_url)["candidate"] == after["candidate"]
    assert counts(fresh_url)["candidate_span"] == after["candidate_span"] == 2 * after["candidate"]


@pytest.mark.parametrize("clear", [False, True], ids=["incremental", "clear"])
def test_ops_two_label_jobs_both_succeed(extracted_url: str, workdir: Path, clear: bool) -> None:
    args = ("label", "--lfs", "ops_lfs", "--no-progress", *(("--clear",) if clear else ()))
    runs = run_together(args, db_url=extracted_url, cwd=workdir)
    _assert_all_succeeded(runs)
    assert runs[0].stdout == runs[1].stdout  # the same lf_stats table
    both = counts(extracted_url)
    assert both["annotator_run"] == N_LFS
    assert both["annotation_key"] == N_LFS
    single = run(("label", "--lfs", "ops_lfs", "--no-progress", "--clear"), db_url=extracted_url, cwd=workdir)
    assert single.code == 0, str(single)
    assert counts(extracted_url) == both  # what one job leaves
    assert single.stdout == runs[0].stdout
