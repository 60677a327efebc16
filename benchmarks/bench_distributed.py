"""Benchmark: serial vs 2 local processes vs a 2-worker Dask LocalCluster, on PostgreSQL.

Two workloads, each run in three modes:

* parse: ``CorpusParser.apply`` over the CDR development abstracts
  (``tutorials/cdr/data``), documents/s, with the blank pipeline (the corpus read
  ``--copies`` times under new names, so that there is enough work) and with the trained
  ``en_core_web_sm`` pipeline when installed;
* label: ``LabelAnnotator.apply(clear=True)`` over the chemical-disease candidates of
  those abstracts (all copies) with the CDR pattern LFs plus deliberately CPU-heavy LFs (a fuzzy
  match of cue phrases against the text between the arguments), LF applications/s.

Modes: ``serial`` (parallelism=1, pipeline already loaded here), ``2 processes``
(parallelism=2: the spawned workers' start-up, importing snorkel-ie, spaCy and the torch
that thinc imports, is inside the measured time, as it is for a user), ``dask cold`` (the
first run of the workload on the 2-worker LocalCluster: workers import and load what it
needs inside the measured time; the cluster's own start-up is printed apart) and
``dask warm`` (the same run again, as on a long-lived cluster).
The speed-up is the rate over the serial rate measured in the same run.

    .venv/bin/python benchmarks/bench_distributed.py [--quick] [--pg URL] [--pipelines blank,trained]

The URL's role must be allowed to CREATE DATABASE; the benchmark creates and drops its own.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from snorkel_ie.candidates import PretaggedCandidateExtractor
from snorkel_ie.db.engine import dispose_engines, make_engine
from snorkel_ie.db.migrate import upgrade
from snorkel_ie.db.models import Sentence, candidate_subclass
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.labeling import LabelAnnotator
from snorkel_ie.labeling.lf_helpers import get_text_between, rule_regex_search_btw_AB, rule_regex_search_btw_BA
from snorkel_ie.parsing import CorpusParser, PubTatorDocPreprocessor, Spacy

CDR = Path(__file__).resolve().parents[1] / "tutorials" / "cdr" / "data" / "CDR_DevelopmentSet.PubTator.txt"
DEFAULT_PG = "postgresql://snorkel:snorkel@127.0.0.1:5432/snorkel"
ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])
PATTERNS = {  # CDR-style textual patterns (as in the Snorkel CDR tutorial): (where, regex, vote)
    "induce": ("AB", r".{0,20}induc.{0,20}", 1),
    "d_induced_by_c": ("BA", r".{0,50}(induced|caused|due).{0,15}", 1),
    "d_induced_by_c_tight": ("BA", r".{0,50}(induced|caused|due) (by|to) ", 1),
    "c_cause_d": ("AB", r".*(cause[sd]?|induce[sd]?|associated with).*", 1),
    "d_treat_c": ("BA", r".*(treat|effective|prevent|resistant|slow|promise|therap).*", -1),
    "c_treat_d": ("AB", r".*(treat|effective|prevent|resistant|slow|promise|therap).*", -1),
    "c_treat_d_wide": ("AB", r".*(treat|effective|prevent|resistant|slow|promise|therap).{0,50}", -1),
    "in_patient_with": ("BA", r"(in a patient with |in patients with)", -1),
    "uncertain": ("AB", r".*(combin|possible|unlikely).*", -1),
    "induced_other": ("AB", r".{20,1000}-induced.*", -1),
    "measure": ("AB", r".*(measur|level|concentrat).*", -1),
    "risk_d": ("BA", r".*risk of.*", 1),
}


def _pattern_lf(name: str, where: str, pattern: str, vote: int):
    rule = rule_regex_search_btw_AB if where == "AB" else rule_regex_search_btw_BA

    def lf(c: Any) -> int:
        return rule(c, pattern, vote)

    lf.__name__ = lf.__qualname__ = f"LF_{name}"
    return lf


PATTERN_LFS = [_pattern_lf(name, *spec) for name, spec in PATTERNS.items()]
CUES = ["induced by", "caused by", "associated with", "treatment of", "in patients with", "was used to treat"]


class Copies:
    """A PubTator file read ``copies`` times, documents renamed ``name#k`` (a corpus large enough to time)."""

    def __init__(self, path: Path, copies: int, max_docs: int | None):
        self.path, self.copies, self.max_docs = path, copies, max_docs

    def records(self):
        for k in range(self.copies):
            for r in PubTatorDocPreprocessor(str(self.path), max_docs=self.max_docs).records():
                yield r if k == 0 else replace(r, name=f"{r.name}#{k}")


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _fuzzy_cue(c: Any) -> float:
    between = get_text_between(c).lower()[:80]
    return min((_edit_distance(between, cue) / max(len(cue), 1) for cue in CUES), default=1.0)


def LF_heavy_fuzzy_causal(c: Any) -> int:
    """CPU-heavy on purpose: edit distance of the text between the arguments to causal cues."""
    return 1 if _fuzzy_cue(c) < 0.5 else 0


def LF_heavy_fuzzy_far(c: Any) -> int:
    """CPU-heavy on purpose: the same distance, voting negative when nothing between looks like a cue."""
    return -1 if _fuzzy_cue(c) > 0.9 else 0


HEAVY_LFS = [LF_heavy_fuzzy_causal, LF_heavy_fuzzy_far]


def create_database(admin_url: str) -> tuple[str, Any, str]:
    admin = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT")
    name = f"snorkel_bench_dist_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url, admin, name


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_parse(url: str, client: Any, pipeline: str, corpus: Copies, n_docs: int, batch: int) -> list[tuple]:
    serial_parser = Spacy(pipeline)
    serial_parser.nlp  # loaded before timing: the serial baseline pays no start-up  # noqa: B018

    def run(parser: Spacy, **how: Any) -> float:
        cp = CorpusParser(parser=parser)
        t = timed(lambda: cp.apply(corpus, db=url, clear=True, batch_size=batch, progress=False, **how))
        assert cp.summary.documents == n_docs, cp.summary
        return t

    rows = [("serial", run(serial_parser))]
    rows.append(("2 processes", run(Spacy(pipeline), parallelism=2)))
    rows.append(("dask cold", run(Spacy(pipeline), client=client)))
    rows.append(("dask warm", run(Spacy(pipeline), client=client)))
    return [(f"parse {pipeline}", mode, t, n_docs / t, "doc/s") for mode, t in rows]


def bench_label(url: str, client: Any, lfs: list, partitions: int) -> list[tuple]:
    with make_engine(url).connect() as conn:
        sentence_ids = list(conn.execute(select(Sentence.id).order_by(Sentence.id)).scalars())
    PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"]).apply(
        sentence_ids, split=0, db=url, progress=False
    )
    session = SnorkelSession(url)
    rows = []
    try:
        modes = [("serial", {}), ("2 processes", {"parallelism": 2}), ("dask cold", {"client": client})]
        for mode, how in [*modes, ("dask warm", {"client": client})]:
            n = len(LabelAnnotator._ids(session, 0, ChemicalDisease.__mapper__.polymorphic_identity, None))
            labeler = LabelAnnotator(lfs=lfs, partition_size=max(1, math.ceil(n / partitions)))
            t = timed(
                lambda how=how, labeler=labeler: labeler.apply(0, session=session, clear=True, progress=False, **how)
            )
            assert labeler.last_summary.n_candidates == n and not labeler.last_summary.errors
            rows.append(("label", mode, t, n * len(lfs) / t, "LF applications/s"))
    finally:
        session.close()
    return rows


def print_table(rows: list[tuple]) -> None:
    base: dict[str, float] = {}
    print(f"\n{'workload':<22} {'mode':<12} {'seconds':>8} {'rate':>12}  {'unit':<18} {'speed-up':>8}")
    for workload, mode, t, rate, unit in rows:
        base.setdefault(workload, rate)
        print(f"{workload:<22} {mode:<12} {t:8.2f} {rate:12,.1f}  {unit:<18} {rate / base[workload]:7.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100 abstracts, fewer copies")
    ap.add_argument("--pg", default=os.environ.get("SNORKELIE_TEST_POSTGRES", DEFAULT_PG))
    ap.add_argument("--pipelines", default="blank,trained", help="blank, trained, or both")
    ap.add_argument("--copies", type=int, default=None, help="times the blank pipeline reads the corpus")
    args = ap.parse_args()
    from dask.distributed import Client, LocalCluster

    max_docs = 100 if args.quick else None
    n_base = sum(1 for _ in PubTatorDocPreprocessor(str(CDR), max_docs=max_docs).records())
    copies = args.copies or (2 if args.quick else 4)
    url, admin, name = create_database(args.pg)
    rows: list[tuple] = []
    try:
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        print(f"LocalCluster (2 worker processes, 1 thread each) started in {time.perf_counter() - t0:.1f} s")
        try:
            wanted = args.pipelines.split(",")
            if "trained" in wanted and Spacy("en_core_web_sm").resolve().startswith("blank"):
                print("en_core_web_sm is not installed: the trained pipeline is skipped")
                wanted.remove("trained")
            if "trained" in wanted:
                corpus = Copies(CDR, 1, max_docs)
                rows += bench_parse(url, client, "en_core_web_sm", corpus, n_base, 20 if args.quick else 25)
                print_table(rows)
            # blank last: its stored documents are the candidates' sentences for the label workload
            rows += bench_parse(url, client, "blank:en", Copies(CDR, copies, max_docs), n_base * copies, 50)
            print_table(rows)
            lfs = PATTERN_LFS + HEAVY_LFS
            rows += bench_label(url, client, lfs, partitions=16)
        finally:
            client.close()
            cluster.close()
        print(
            f"\n{n_base} CDR abstracts; blank pipeline: {copies} copies; {len(PATTERN_LFS)} pattern LFs + "
            f"{len(HEAVY_LFS)} CPU-heavy LFs; PostgreSQL; os.cpu_count()={os.cpu_count()}, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print_table(rows)
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
