"""Benchmark: parse-and-persist against spaCy alone on the 1,000 CDR abstracts.

For each spaCy pipeline (the blank one, and en_core_web_sm where installed), each
backend (SQLite, PostgreSQL) and parallelism 1 and 2 it prints

* spaCy alone: reading the PubTator files and running ``nlp.pipe`` over the texts
  (in as many processes as the parallelism), tokens/s;
* parse and persist: ``CorpusParser.apply`` into an empty database, tokens/s;
* their ratio (goal: >= 0.85, i.e. storing costs at most 15% over spaCy alone).

Tokens/s are both computed from spaCy's token count, so the ratio is a ratio of times.
Usage: ``python benchmarks/bench_parse.py [--quick] [--pg URL] [--pipelines blank,trained]``.
PostgreSQL: the URL's role must be allowed to CREATE DATABASE; the benchmark creates
and drops its own database.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from snorkel_ie.db.engine import dispose_engines, make_engine
from snorkel_ie.db.migrate import upgrade
from snorkel_ie.parsing import CorpusParser, PubTatorDocPreprocessor, Spacy
from snorkel_ie.runner import chunk

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cdr"
FILES = [DATA / "CDR_TrainingSet.PubTator.txt", DATA / "CDR_DevelopmentSet.PubTator.txt"]
DEFAULT_PG = "postgresql://snorkel:snorkel@127.0.0.1:5432/snorkel"
BATCH = 100


class Corpus:
    """The two PubTator files as one reader (max_docs over both)."""

    def __init__(self, max_docs: int):
        self.max_docs = max_docs

    def records(self):
        n = 0
        for path in FILES:
            for r in PubTatorDocPreprocessor(path).records():
                if n >= self.max_docs:
                    return
                yield r
                n += 1


_nlp = {}


def _spacy_batch(texts: list[str], model: str) -> int:
    parser = _nlp.get(model)
    if parser is None:
        parser = _nlp[model] = Spacy(model)
    return sum(len(doc) for doc in parser.nlp.pipe(texts, batch_size=parser.batch_size))


def spacy_alone(corpus: Corpus, model: str, parallelism: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    texts = [r.text for r in corpus.records()]
    if parallelism == 1:
        tokens = _spacy_batch(texts, model)
    else:
        with ProcessPoolExecutor(parallelism, mp_context=get_context("spawn")) as pool:
            tokens = sum(pool.map(_spacy_batch, chunk(texts, BATCH), [model] * ((len(texts) + BATCH - 1) // BATCH)))
    return tokens, time.perf_counter() - t0


def persist(corpus: Corpus, parser: Spacy, url: str, parallelism: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    summary = CorpusParser(parser=parser).apply(corpus, db=url, parallelism=parallelism, progress=False, batch_size=BATCH)
    seconds = time.perf_counter() - t0
    assert not summary.failures, summary.failures[:3]
    return seconds, summary.documents


def reset(url: str) -> None:
    """Empty the database: SQLite gets a fresh copy of the migrated template file."""
    dispose_engines()
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        engine.dispose()
        path = Path(make_url(url).database)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(f"{path}.template", path)
        return
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM document"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def make_databases(pg_admin: str | None, tmp: Path) -> tuple[dict[str, str], str | None]:
    urls = {"sqlite": f"sqlite:///{tmp / 'bench.db'}"}
    pg_name = None
    if pg_admin:
        admin = create_engine(make_url(pg_admin).set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT")
        pg_name = f"snorkel_ie_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
            urls["postgresql"] = make_url(pg_admin).set(database=pg_name).render_as_string(hide_password=False)
        except Exception as err:
            print(f"PostgreSQL skipped: {type(err).__name__}")
            pg_name = None
        admin.dispose()
    for url in urls.values():
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
    shutil.copyfile(tmp / "bench.db", tmp / "bench.db.template")
    return urls, pg_name


def drop_database(pg_admin: str, name: str) -> None:
    dispose_engines()
    admin = create_engine(make_url(pg_admin).set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="150 abstracts, one repetition")
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--pg", default=os.environ.get("SNORKELIE_TEST_POSTGRES", DEFAULT_PG), help="admin URL ('' = skip)")
    ap.add_argument("--pipelines", default="blank,trained")
    ap.add_argument("--parallelism", default="1,2")
    ap.add_argument("--repeat", type=int, default=2, help="best of N (the blank pipeline; trained runs once)")
    args = ap.parse_args()
    docs, repeat = (150, 1) if args.quick else (args.docs, args.repeat)
    corpus = Corpus(docs)
    models = {"blank": "blank:en", "trained": "en_core_web_sm"}
    pipelines = [p for p in args.pipelines.split(",") if p]
    with tempfile.TemporaryDirectory() as tmp:
        urls, pg_name = make_databases(args.pg or None, Path(tmp))
        rows = []
        try:
            for pipeline in pipelines:
                parser = Spacy(models[pipeline])
                parser.parse("Warm up the pipeline.")
                _spacy_batch(["Warm up the pipeline."], parser.model)
                if pipeline == "trained" and parser.loaded_name.startswith("blank"):
                    print("trained pipeline not installed: pip install 'snorkel-ie[models]'; skipped")
                    continue
                reps = repeat if pipeline == "blank" else 1
                for par in (int(p) for p in args.parallelism.split(",")):
                    alone = [spacy_alone(corpus, parser.model, par) for _ in range(reps)]
                    tokens, base = alone[0][0], min(t for _, t in alone)
                    for backend, url in urls.items():
                        times = []
                        for _ in range(reps):
                            reset(url)
                            seconds, n = persist(corpus, parser, url, par)
                            times.append(seconds)
                        best = min(times)
                        rows.append((parser.loaded_name, backend, par, n, tokens, tokens / base, tokens / best, base / best))
                        print_row(rows[-1], header=len(rows) == 1)
        finally:
            if pg_name:
                drop_database(args.pg, pg_name)


def print_row(row, *, header: bool) -> None:
    if header:
        print(f"{'pipeline':<24} {'backend':<10} {'par':>3} {'docs':>5} {'tokens':>7} {'spaCy tok/s':>12} "
              f"{'persist tok/s':>13} {'ratio':>6}")
    name, backend, par, n, tokens, base, persisted, ratio = row
    print(f"{name:<24} {backend:<10} {par:>3} {n:>5} {tokens:>7} {base:>12,.0f} {persisted:>13,.0f} {ratio:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
