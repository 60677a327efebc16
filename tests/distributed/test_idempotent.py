"""A partition run twice (as a Dask cluster may do after losing a worker) leaves its rows once.

Each partition function of the parse -> extract -> label -> featurize chain is called
twice on the same partition, on SQLite and on PostgreSQL; the second call must leave
every table as the first left it.
"""

from __future__ import annotations

import cloudpickle
import numpy as np
import pytest
from sqlalchemy import select

from snorkel_ie.candidates.extractor import _extract_partition
from snorkel_ie.db.bulk import get_or_create_keys
from snorkel_ie.db.engine import get_engine, is_sqlite
from snorkel_ie.db.models import Candidate, Sentence
from snorkel_ie.labeling._apply import Job, feature_partition, label_partition
from snorkel_ie.labeling.featurizers import get_span_feats
from snorkel_ie.parsing import PubTatorDocPreprocessor, Spacy
from snorkel_ie.parsing.corpus_parser import _encode_and_write, _encode_batch, _write_transaction
from tests.distributed.jobs import LFS, KillingExtractor
from tests.distributed.test_distributed import CDR, ChemicalDisease, snapshot

pytestmark = pytest.mark.slow


def _twice(url: str, run) -> tuple[object, object]:
    first = run()
    after_first = snapshot(url)
    second = run()
    assert snapshot(url) == after_first
    return first, second


def _parse(url: str, records: list) -> object:
    parser = Spacy("blank:en")
    if is_sqlite(url):  # SQLite: the parent is the single writer of the parsed batches
        return _write_transaction(get_engine(url), _encode_batch(records, parser=parser, fn=None).docs)
    return _encode_and_write(records, parser=parser, fn=None, db_url=url, in_worker=False)


def _job(url: str, kind: str, fns: list, key_ids: tuple[int, ...]) -> Job:
    return Job(
        url,
        ChemicalDisease.__mapper__.polymorphic_identity,
        None,
        0,
        cloudpickle.dumps(fns),
        key_ids,
        2,
        False,
        False,
        kind,
    )


def test_partitions_run_twice_store_rows_once(db_url: str) -> None:
    records = list(PubTatorDocPreprocessor(str(CDR)).records())
    first, second = _twice(db_url, lambda: _parse(db_url, records))
    assert (first.documents, second.documents, second.skipped) == (len(records), 0, len(records))

    engine = get_engine(db_url)
    with engine.connect() as conn:
        sentence_ids = list(conn.execute(select(Sentence.id).order_by(Sentence.id)).scalars())
    extractor = KillingExtractor(ChemicalDisease, ["Chemical", "Disease"])
    first, second = _twice(
        db_url, lambda: _extract_partition(sentence_ids, extractor=extractor, split=0, db_url=db_url)
    )
    assert first[1] > 0 and second[1] == 0  # created, then nothing new

    with engine.connect() as conn:
        ids = np.array(sorted(conn.execute(select(Candidate.id)).scalars()), dtype=np.int64)
    with engine.begin() as conn:
        key_of = get_or_create_keys(conn, "label", [lf.__name__ for lf in LFS])
    job = _job(db_url, "label", [(lf.__name__, lf) for lf in LFS], tuple(key_of[lf.__name__] for lf in LFS))
    first, second = _twice(db_url, lambda: label_partition(ids, job=job))
    assert first.n_rows == second.n_rows > 0

    job = _job(db_url, "feature", [("featurizer", get_span_feats)], ())
    first, second = _twice(db_url, lambda: feature_partition(ids, job=job))
    assert first.n_rows == second.n_rows > 0
