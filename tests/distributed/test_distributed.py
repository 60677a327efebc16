"""Parsing, extraction, labeling and featurizing on a Dask cluster of worker processes.

The cluster's rows must equal a serial run's, also when a worker process is killed while
it runs a partition (the scheduler runs the partition again elsewhere), and a partition
that runs twice must not duplicate rows. Rows are compared by content (stable ids and
names), since surrogate ids depend on the order in which partitions finish.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from snorkel_ie.db.engine import dispose_engines, get_engine
from snorkel_ie.db.models import TOKEN_ATTRIBUTES, Sentence, candidate_subclass
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling import FeatureAnnotator, LabelAnnotator
from snorkel_ie.parsing import CorpusParser, PubTatorDocPreprocessor, Spacy
from tests.conftest import DATA, _truncate_postgres
from tests.distributed.jobs import ARMED, LFS, KillingExtractor, parse_hook

pytestmark = pytest.mark.slow

CDR = DATA / "parsing" / "cdr_train_5.PubTator.txt"
ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])

_CANDIDATE = "JOIN candidate c ON c.id = x.candidate_id JOIN sentence s ON s.id = c.sentence_id"
SNAPSHOT = {
    "document": "SELECT name, CAST(meta AS TEXT) FROM document",
    "sentence": (
        "SELECT s.stable_id, d.name, s.position, s.text, "
        + ", ".join(f"CAST(s.{a} AS TEXT)" for a in TOKEN_ATTRIBUTES)
        + " FROM sentence s JOIN document d ON d.id = s.document_id"
    ),
    "span": "SELECT x.stable_id, s.stable_id, x.char_start, x.char_end FROM span x JOIN sentence s ON s.id = x.sentence_id",
    "candidate": "SELECT x.type, x.split, s.stable_id, x.span_key FROM candidate x JOIN sentence s ON s.id = x.sentence_id",
    "candidate_span": (
        f"SELECT s.stable_id, c.span_key, x.position, p.stable_id FROM candidate_span x {_CANDIDATE} "
        "JOIN span p ON p.id = x.span_id"
    ),
    "label": f"SELECT s.stable_id, c.span_key, k.name, x.value FROM label x {_CANDIDATE} JOIN annotation_key k ON k.id = x.key_id",
    "feature": f"SELECT s.stable_id, c.span_key, k.name, x.value FROM feature x {_CANDIDATE} JOIN annotation_key k ON k.id = x.key_id",
}


def snapshot(url: str) -> dict[str, Counter]:
    """Every table's rows by content, as multisets (a duplicate row counts twice)."""
    with get_engine(url).connect() as conn:
        return {table: Counter(tuple(r) for r in conn.execute(text(q))) for table, q in SNAPSHOT.items()}


def run_pipeline(url: str, client: Any) -> None:
    """Parse the CDR sample, extract chemical-disease pairs, label and featurize them, many partitions each."""
    CorpusParser(parser=Spacy("blank:en"), fn=parse_hook).apply(
        PubTatorDocPreprocessor(str(CDR)), db=url, batch_size=1, progress=False, client=client
    )
    with get_engine(url).connect() as conn:
        ids = list(conn.execute(select(Sentence.id).order_by(Sentence.id)).scalars())
    extractor = KillingExtractor(ChemicalDisease, ["Chemical", "Disease"])
    extractor.apply(ids, split=0, db=url, client=client, partition_size=10, progress=False)
    session = SnorkelSession(url)
    try:
        LabelAnnotator(lfs=LFS, partition_size=20).apply(0, session=session, client=client, progress=False)
        FeatureAnnotator(partition_size=40).apply(0, session=session, client=client, progress=False)
    finally:
        session.close()


@pytest.fixture(scope="module")
def serial_rows(postgres_url: str) -> dict[str, Counter]:
    _truncate_postgres(postgres_url)
    run_pipeline(postgres_url, None)
    rows = snapshot(postgres_url)
    assert all(rows[t] for t in ("document", "candidate", "label", "feature")), {t: len(r) for t, r in rows.items()}
    return rows


@pytest.fixture
def empty_pg(postgres_url: str) -> str:
    _truncate_postgres(postgres_url)
    dispose_engines()
    return postgres_url


def _assert_same(got: dict[str, Counter], want: dict[str, Counter]) -> None:
    assert got.keys() == want.keys()
    for table in want:
        assert got[table] == want[table], f"{table}: {len(got[table])} rows, serial {len(want[table])}"


def test_cluster_pipeline_rows_equal_serial(client, empty_pg, serial_rows) -> None:
    run_pipeline(empty_pg, client)
    _assert_same(snapshot(empty_pg), serial_rows)


def test_cluster_worker_killed_mid_partition_rows_equal_serial(client, kill_dir: Path, empty_pg, serial_rows) -> None:
    workers_before = set(client.scheduler_info()["workers"])
    (kill_dir / ARMED).touch()
    try:
        run_pipeline(empty_pg, client)
    finally:
        (kill_dir / ARMED).unlink()
    killed = sorted(p.name for p in kill_dir.iterdir())
    assert killed == ["extract", "label", "parse"]  # one worker died in each phase
    client.wait_for_workers(2, timeout=60)
    assert set(client.scheduler_info()["workers"]) != workers_before  # they really were replaced
    _assert_same(snapshot(empty_pg), serial_rows)


@pytest.mark.parametrize("phase", ["parse", "extract", "label", "feature"])
def test_cluster_sqlite_refused(client, tmp_path: Path, sqlite_template: Path, phase: str) -> None:
    url = f"sqlite:///{tmp_path / 'snorkel.db'}"
    Path(tmp_path / "snorkel.db").write_bytes(sqlite_template.read_bytes())
    session = SnorkelSession(url)
    try:
        with pytest.raises(ConfigurationError, match=r"SQLite.*PostgreSQL.*SNORKELDB"):
            if phase == "parse":
                CorpusParser(parser=Spacy("blank:en")).apply(
                    PubTatorDocPreprocessor(str(CDR)), session=session, client=client, progress=False
                )
            elif phase == "extract":
                KillingExtractor(ChemicalDisease, ["Chemical", "Disease"]).apply([1], db=url, client=client)
            elif phase == "label":
                LabelAnnotator(lfs=LFS).apply(0, session=session, client=client, progress=False, clear=True)
            else:
                FeatureAnnotator().apply(0, session=session, client=client, progress=False)
    finally:
        session.close()


def test_cli_scheduler_option_rows_equal_serial(client, empty_pg: str, serial_rows) -> None:
    from click.testing import CliRunner

    from snorkel_ie.candidates.cli import extract
    from snorkel_ie.labeling.cli import label
    from snorkel_ie.parsing.cli import parse

    where = ["--db", empty_pg, "--scheduler", client.scheduler.address]
    runs = [
        (parse, [str(CDR), "--format", "pubtator", "--model", "blank:en", "--batch-size", "1", "--no-progress"]),
        (extract, ["ChemicalDisease", "--args", "chemical,disease", "--entity-types", "Chemical,Disease"]),
        (label, ["--lfs", "tests.distributed.jobs:LFS"]),
    ]
    for command, args in runs:
        result = CliRunner().invoke(command, [*args, *where])
        assert result.exit_code == 0, result.output
        assert "snorkel:snorkel@" not in result.output  # the password is never printed
    got = snapshot(empty_pg)
    _assert_same(
        {t: r for t, r in got.items() if t != "feature"}, {t: r for t, r in serial_rows.items() if t != "feature"}
    )
    assert not got["feature"]
