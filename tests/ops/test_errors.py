"""Every failure a user can cause: one line on stderr, a non-zero exit code, and the database as it was.

Each case runs the real ``snorkel-ie`` in a child process and checks the exit code, the
one-line message (naming the file, line or item, and the fix) and the database
afterwards. The README's "Operations" table lists them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from snorkel_ie.db.engine import make_engine
from snorkel_ie.db.migrate import upgrade
from tests.ops.conftest import N_DOCS, PUBTATOR, assert_one_line_error, counts, run

PARSE = ("parse", "--model", "blank:en", "--no-progress")


def _migrated(url: str) -> str:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


# -- input files ---------------------------------------------------------------------------


def test_ops_duplicate_document_name_exits_3_and_keeps_the_rest(fresh_url: str, workdir: Path) -> None:
    text = PUBTATOR.read_text(encoding="utf-8").strip() + "\n\n"
    first_block = text.split("\n\n")[0]
    path = workdir / "dup.PubTator.txt"
    path.write_text(text + first_block + "\n", encoding="utf-8")
    r = run((*PARSE, str(path)), db_url=fresh_url, cwd=workdir)
    assert_one_line_error(r, 3, "1 document(s)", "duplicate document name", "run the command again")
    assert counts(fresh_url)["document"] == N_DOCS


def test_ops_truncated_pubtator_block_is_refused_with_file_and_line(fresh_url: str, workdir: Path) -> None:
    path = workdir / "cut.PubTator.txt"
    path.write_text(PUBTATOR.read_text(encoding="utf-8").strip() + "\n\n999|t|A title and nothing else.\n")
    n_lines = len(path.read_text(encoding="utf-8").splitlines())
    r = run((*PARSE, str(path)), db_url=fresh_url, cwd=workdir)
    assert_one_line_error(r, 1, f"{path}:{n_lines}:", "999", "truncated")
    assert counts(fresh_url).get("document", 0) == 0  # the batch being read is not stored


def test_ops_format_is_inferred_from_the_extension(fresh_url: str, workdir: Path) -> None:
    r = run(("parse", str(PUBTATOR), "--model", "blank:en", "--no-progress"), db_url=fresh_url, cwd=workdir)
    assert r.code == 0, str(r)
    assert counts(fresh_url)["document"] == N_DOCS
    assert counts(fresh_url)["span"] > 0  # read as PubTator: the mentions are stored


def test_ops_unknown_extension_asks_for_format(fresh_url: str, workdir: Path) -> None:
    path = workdir / "corpus.dat"
    path.write_text("x\n", encoding="utf-8")
    r = run((*PARSE, str(path)), db_url=fresh_url, cwd=workdir)
    assert_one_line_error(r, 1, "cannot tell the format", "--format")
    assert not Path(make_url(fresh_url).database or "/nonexistent").exists() or counts(fresh_url) == {}


# -- what is asked for ---------------------------------------------------------------------


def test_ops_unknown_candidate_class_labels_nothing(extracted_url: str, workdir: Path) -> None:
    before = counts(extracted_url)
    r = run(("label", "--lfs", "ops_lfs", "--candidate-class", "ChemicalDiseese"), db_url=extracted_url, cwd=workdir)
    assert_one_line_error(r, 1, "unknown candidate class 'ChemicalDiseese'", "chemicaldisease")
    after = counts(extracted_url)
    assert after["annotator_run"] == 0 and after["label"] == 0
    assert after == {**before, "annotation_key": after["annotation_key"]} and after["annotation_key"] == 0


def test_ops_split_out_of_range_is_a_usage_error(extracted_url: str, workdir: Path) -> None:
    before = counts(extracted_url)
    r = run(("label", "--lfs", "ops_lfs", "--split", str(10**30)), db_url=extracted_url, cwd=workdir)
    assert r.code == 2, str(r)
    assert "Invalid value for '--split'" in r.stderr and "Traceback" not in r.stderr, str(r)
    assert counts(extracted_url) == before


def test_ops_split_out_of_range_in_the_api_is_a_configuration_error(extracted_url: str) -> None:
    from snorkel_ie.db.session import SnorkelSession
    from snorkel_ie.errors import ConfigurationError
    from snorkel_ie.labeling import LabelAnnotator

    with SnorkelSession(extracted_url) as session:
        with pytest.raises(ConfigurationError, match="split must be a whole number"):
            LabelAnnotator(lfs=[lambda c: 1]).apply(10**30, session=session, progress=False)
    assert counts(extracted_url)["label"] == 0


def test_ops_empty_split_is_refused(extracted_url: str, workdir: Path) -> None:
    r = run(("label", "--lfs", "ops_lfs", "--split", "2", "--candidate-class", "ChemicalDisease"),
            db_url=extracted_url, cwd=workdir)  # fmt: skip
    assert_one_line_error(r, 1, "split 2", "no chemicaldisease candidates", "snorkel-ie extract")
    assert counts(extracted_url)["label"] == 0


def test_ops_unknown_lf_module(extracted_url: str, workdir: Path) -> None:
    r = run(("label", "--lfs", "no_such_lfs"), db_url=extracted_url, cwd=workdir)
    assert_one_line_error(r, 1, "cannot import the LF module 'no_such_lfs'")
    assert counts(extracted_url)["annotation_key"] == 0


def test_ops_unknown_gold_annotator(extracted_url: str, workdir: Path) -> None:
    r = run(("label", "--lfs", "ops_lfs", "--gold", "nobody"), db_url=extracted_url, cwd=workdir)
    assert_one_line_error(r, 1, "no gold annotator 'nobody'", "gold load")
    assert counts(extracted_url)["label"] == 0


def test_ops_lf_raising_on_some_candidates_exits_3(extracted_url: str, workdir: Path) -> None:
    (workdir / "flaky_lfs.py").write_text(
        "def LF_flaky(c):\n    if c.id % 2:\n        raise ValueError('odd candidate')\n    return 1\n",
        encoding="utf-8",
    )
    r = run(("label", "--lfs", "flaky_lfs", "--no-progress"), db_url=extracted_url, cwd=workdir)
    assert_one_line_error(r, 3, "LF_flaky", "odd candidate", "fix the LF")
    after = counts(extracted_url)
    assert 0 < after["label"] < after["candidate"]  # the other candidates' votes are stored
    assert after["annotator_run"] == 1


# -- databases -----------------------------------------------------------------------------


def test_ops_db_info_creates_no_database(tmp_path: Path, workdir: Path) -> None:
    path = tmp_path / "absent.db"
    r = run(("db", "info"), db_url=f"sqlite:///{path}", cwd=workdir)
    assert_one_line_error(r, 1, f"no database at sqlite:///{path}", "db upgrade")
    assert not path.exists() and not (workdir / "snorkel.db").exists()


def test_ops_read_only_commands_create_no_database(tmp_path: Path, workdir: Path) -> None:
    path = tmp_path / "absent.db"
    r = run(("evaluate", "--candidate-class", "X"), db_url=f"sqlite:///{path}", cwd=workdir)
    assert_one_line_error(r, 1, "no database at", "db upgrade")
    assert not path.exists()


def test_ops_missing_sqlite_folder_is_not_created(tmp_path: Path, workdir: Path) -> None:
    folder = tmp_path / "no" / "such"
    r = run((*PARSE, str(PUBTATOR)), db_url=f"sqlite:///{folder / 'x.db'}", cwd=workdir)
    assert_one_line_error(r, 1, f"the folder {folder}", "does not exist")
    assert not (tmp_path / "no").exists()


def test_ops_db_upgrade_creates_the_database(tmp_path: Path, workdir: Path) -> None:
    path = tmp_path / "made" / "new.db"
    r = run(("db", "upgrade", "--create-folder"), db_url=f"sqlite:///{path}", cwd=workdir)
    assert r.code == 0, str(r)
    assert path.exists() and counts(f"sqlite:///{path}")["document"] == 0


def _pg(**parts) -> str:
    import os

    from tests.conftest import DEFAULT_PG

    base = make_url(os.environ.get("SNORKELIE_TEST_POSTGRES", DEFAULT_PG)).set(drivername="postgresql")
    query = parts.pop("query", None)
    url = base.set(**parts)
    if query:
        url = url.update_query_dict(query)
    return url.render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        ({"port": 1}, "Connection refused"),
        ({"host": "nohost.invalid"}, "nohost.invalid"),
        ({"username": "no_such_role", "password": "s3cret-pw"}, "no_such_role"),
        ({"database": "no_such_database"}, "no_such_database"),
        ({"query": {"sslmode": "require"}}, "SSL"),
    ],
    ids=["port", "host", "role", "database", "sslmode"],
)
def test_ops_postgres_connection_failure_is_one_line(parts: dict, reason: str, postgres_url: str,
                                                     workdir: Path) -> None:  # fmt: skip
    url = _pg(**parts)
    r = run(("db", "info"), db_url=url, cwd=workdir)
    assert_one_line_error(r, 1, "cannot connect to", reason, "--db or $SNORKELDB")
    assert "s3cret-pw" not in r.stderr + r.stdout
    r = run(("label", "--lfs", "ops_lfs"), db_url=url, cwd=workdir)
    assert_one_line_error(r, 1, "cannot connect to", reason)


def test_ops_connection_failure_in_the_api_is_the_packages_database_error(postgres_url: str) -> None:
    from snorkel_ie.db.session import SnorkelSession
    from snorkel_ie.errors import DatabaseError

    with pytest.raises(DatabaseError, match=r"cannot connect to .*Connection refused"):
        SnorkelSession(_pg(port=1))


def test_ops_unsupported_backend(workdir: Path) -> None:
    r = run(("db", "info"), db_url="mysql://root:pw@localhost/x", cwd=workdir)
    assert_one_line_error(r, 1, "unsupported database backend 'mysql'", "sqlite' and 'postgresql'")
    assert "pw@" not in r.stderr


def test_ops_debug_shows_the_traceback(tmp_path: Path, workdir: Path) -> None:
    r = run(("--debug", "db", "info"), db_url=f"sqlite:///{tmp_path / 'absent.db'}", cwd=workdir)
    assert r.code == 1
    assert "Traceback" in r.stderr and r.message.startswith("error: no database at")
