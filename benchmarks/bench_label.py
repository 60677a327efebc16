"""Benchmark of the LabelAnnotator: LF application, persistence, load_matrix, incremental re-runs.

Two workloads, on SQLite and (when reachable) PostgreSQL:

(a) CDR: chemical-disease candidates from the real CDR training + development abstracts
    (PubTator mentions, sentences cut at punctuation, no spaCy needed), 30 LFs: patterns
    between the arguments, distant supervision from the training set's CID pairs, MeSH
    dictionary lookups. lf_stats against gold from the documents' CID relations on dev.
(b) Synthetic: N candidates (default 1,000,000; --quick 100,000) inserted in bulk, 50 cheap LFs.

For each: a cold full run (loads the candidates), a warm full re-run (``clear=True``), an
incremental re-run after one LF changed, and ``load_matrix``. The baseline of the ratio
is the full run measured in the same process.

    .venv/bin/python benchmarks/bench_label.py [--quick] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from snorkel_ie.db.bulk import allocate_ids, insert_columns, insert_rows
from snorkel_ie.db.engine import WRITE_LOCK, dispose_engines
from snorkel_ie.db.models import TOKEN_ATTRIBUTES, candidate_subclass
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.labeling import LabelAnnotator, load_gold_labels, load_gold_labels_from_relations

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])
Pair = candidate_subclass("Pair", ["arg1", "arg2"])
_SENT = re.compile(r"[^.!?]+[.!?]*")
_TOK = re.compile(r"\w+|[^\w\s]")


# -- bulk corpus building ------------------------------------------------------------------
def bulk_corpus(session, docs, ctype: str) -> int:
    """Insert docs = [(name, meta, split, [(text, abs_start, words, offsets, cids, spans, pairs)])] in bulk."""
    n_cands = 0
    with session.get_bind().connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        doc_ids = allocate_ids(conn, "document", len(docs))
        insert_rows(
            conn,
            "document",
            ["id", "stable_id", "name", "meta"],
            [(i, f"{d[0]}::document:0:0", d[0], d[1]) for i, d in zip(doc_ids, docs, strict=True)],
        )
        sents = [(did, pos, d[2], s) for did, d in zip(doc_ids, docs, strict=True) for pos, s in enumerate(d[3])]
        sent_ids = allocate_ids(conn, "sentence", len(sents))
        rows = []
        name_of = {i: d[0] for i, d in zip(doc_ids, docs, strict=True)}
        for sid, (did, pos, _split, (text, a, words, offs, cids, _sp, _pr)) in zip(sent_ids, sents, strict=True):
            n = len(words)
            rows.append(
                (
                    sid,
                    f"{name_of[did]}::sentence:{a}:{a + len(text)}:{sid}",
                    did,
                    pos,
                    text,
                    words,
                    offs,
                    [a + o for o in offs],
                    [w.lower() for w in words],
                    ["X"] * n,
                    ["O"] * n,
                    [0] * n,
                    [""] * n,
                    cids,
                    ["O"] * n,
                )
            )
        insert_rows(
            conn,
            "sentence",
            ["id", "stable_id", "document_id", "position", "text", *TOKEN_ATTRIBUTES],
            rows,
        )
        n_spans = sum(len(s[3][5]) for s in sents)
        span_ids = iter(allocate_ids(conn, "span", n_spans))
        span_rows, cand_rows, cs = [], [], []
        per_sent_spans = []
        for sid, (_did, _pos, _split, (_t, _a, _w, _o, _c, spans, _p)) in zip(sent_ids, sents, strict=True):
            ids = []
            for b, e in spans:
                i = next(span_ids)
                ids.append(i)
                span_rows.append((i, f"s{i}", sid, b, e))
            per_sent_spans.append(ids)
        insert_rows(conn, "span", ["id", "stable_id", "sentence_id", "char_start", "char_end"], span_rows)
        n_cands = sum(len(s[3][6]) for s in sents)
        cand_ids = iter(allocate_ids(conn, "candidate", n_cands))
        for sid, ids, (_d, _p, split, (_t, _a, _w, _o, _c, spans, pairs)) in zip(
            sent_ids, per_sent_spans, sents, strict=True
        ):
            for x, y in pairs:
                cid = next(cand_ids)
                key = f"{spans[x][0]}:{spans[x][1]},{spans[y][0]}:{spans[y][1]}"
                cand_rows.append((cid, ctype, split, sid, key))
                cs.append((cid, 0, ids[x]))
                cs.append((cid, 1, ids[y]))
        insert_rows(conn, "candidate", ["id", "type", "split", "sentence_id", "span_key"], cand_rows)
        cs_arr = np.array(cs, dtype=np.int64)
        insert_columns(conn, "candidate_span", ["candidate_id", "position", "span_id"], ["i4"] * 3, cs_arr.T)
    session.commit()
    return n_cands


def read_pubtator(path: Path):
    doc = None
    for line in path.open(encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            if doc:
                yield doc
            doc = None
            continue
        if "|t|" in line[:20] and doc is None:
            pmid, _, title = line.split("|", 2)
            doc = {"pmid": pmid, "text": title, "mentions": [], "rel": []}
        elif "|a|" in line[:20]:
            doc["text"] += " " + line.split("|", 2)[2]
        else:
            f = line.split("\t")
            if len(f) >= 6 and f[1].isdigit():
                doc["mentions"].append((int(f[1]), int(f[2]), f[4], f[5]))
            elif len(f) >= 4 and f[1] == "CID":
                doc["rel"].append(["CID", f[2], f[3]])
    if doc:
        yield doc


def cdr_docs():
    docs, train_pairs = [], set()
    for split, fname in ((0, "CDR_TrainingSet.PubTator.txt"), (1, "CDR_DevelopmentSet.PubTator.txt")):
        for d in read_pubtator(DATA / "cdr" / fname):
            if split == 0:
                train_pairs.update((r[1], r[2]) for r in d["rel"])
            sents = []
            for m in _SENT.finditer(d["text"]):
                a, text = m.start(), m.group()
                toks = list(_TOK.finditer(text))
                words, offs = [t.group() for t in toks], [t.start() for t in toks]
                cids = ["O"] * len(words)
                spans, kinds = [], []
                for s, e, kind, mesh in d["mentions"]:
                    if a <= s and e <= a + len(text):
                        spans.append((s - a, e - a))
                        kinds.append(kind)
                        for k, o in enumerate(offs):
                            if s - a <= o < e - a:
                                cids[k] = mesh
                spans_u = sorted(set(spans))
                kind_of = dict(zip(spans, kinds, strict=True))
                pairs = [
                    (x, y)
                    for x, sx in enumerate(spans_u)
                    for y, sy in enumerate(spans_u)
                    if kind_of[sx] == "Chemical" and kind_of[sy] == "Disease"
                ]
                if pairs:
                    sents.append((text, a, words, offs, cids, spans_u, pairs))
            docs.append((d["pmid"], {"relations": d["rel"]}, split, sents))
    return docs, train_pairs


def synthetic_docs(n_candidates: int):
    """Sentences of real spouse news text (cycled), 5 single-token spans each -> 10 candidates a sentence."""
    import json

    texts = []
    with (DATA / "spouse" / "articles.jsonl").open() as fh:
        for line in fh:
            for m in _SENT.finditer(json.loads(line)["text"]):
                if 12 <= len(_TOK.findall(m.group())) <= 60:
                    texts.append(m.group())
            if len(texts) > 20000:
                break
    pairs = [(x, y) for x in range(5) for y in range(x + 1, 5)]
    n_sent = n_candidates // len(pairs)
    docs, per_doc = [], 20
    tok_cache = {}
    for s in range(n_sent):
        text = texts[s % len(texts)]
        if text not in tok_cache:
            toks = list(_TOK.finditer(text))
            tok_cache[text] = ([t.group() for t in toks], [t.start() for t in toks], toks)
        words, offs, toks = tok_cache[text]
        step = max(1, len(toks) // 5)
        spans = [(toks[k * step].start(), toks[k * step].end()) for k in range(5)]
        if s % per_doc == 0:
            docs.append((f"syn{s // per_doc}", None, 0, []))
        docs[-1][3].append((text, 0, words, offs, ["O"] * len(words), spans, pairs))
    return docs


# -- labeling functions ----------------------------------------------------------------------
def _between(c):
    a, b = c[0], c[1]
    lo, hi = (a, b) if a.char_start < b.char_start else (b, a)
    return c.get_parent().text[lo.char_end : hi.char_start]


def make_pattern_lf(name: str, pattern: str, value: int):
    rx = re.compile(pattern, re.I)

    def lf(c):
        return value if rx.search(_between(c)) else 0

    lf.__name__ = name
    return lf


def make_cdr_lfs(train_pairs):
    pats = [
        (r"induc", 1),
        (r"caus", 1),
        (r"associated with", 1),
        (r"after", 1),
        (r"following", 1),
        (r"due to", 1),
        (r"produc", 1),
        (r"develop", 1),
        (r"related", 1),
        (r"toxicity", 1),
        (r"treat", -1),
        (r"prevent", -1),
        (r"reduc", -1),
        (r"protect", -1),
        (r"attenuat", -1),
        (r"improv", -1),
        (r"not", -1),
        (r"no ", -1),
        (r"patients? with", -1),
        (r";", -1),
        (r"\bor\b", -1),
        (r"\band\b", -1),
        (r"compar", -1),
        (r"versus|vs", -1),
    ]
    lfs = [make_pattern_lf(f"LF_between_{k}", p, v) for k, (p, v) in enumerate(pats)]

    def LF_distant_supervision(c):
        a = c[0].get_attrib_tokens("entity_cids")
        b = c[1].get_attrib_tokens("entity_cids")
        return 1 if a and b and (a[0], b[0]) in train_pairs else 0

    def LF_far_apart(c):
        return -1 if len(_between(c)) > 80 else 0

    def LF_close(c):
        return 1 if len(_between(c)) < 15 else 0

    def LF_chemical_after(c):
        return -1 if c[0].char_start > c[1].char_start else 0

    def LF_unnormalised(c):
        return -1 if "-1" in c[0].get_attrib_tokens("entity_cids") + c[1].get_attrib_tokens("entity_cids") else 0

    def LF_in_title_like(c):
        return 1 if c.get_parent().text.count(" ") < 12 else 0

    return [*lfs, LF_distant_supervision, LF_far_apart, LF_close, LF_chemical_after, LF_unnormalised, LF_in_title_like]


def make_cheap_lf(k: int, salt: int = 0, *, name: str | None = None):
    mod = 7 + (k % 13)

    def lf(c):
        v = (len(c[0].get_span()) * 31 + c.id * (k + 1) + salt) % mod
        return 1 if v == 0 else (-1 if v == 1 else 0)

    lf.__name__ = name or f"LF_cheap_{k}"
    return lf


def labeling_overhead(session, cls, split: int, n_lfs: int = 30, reps: int = 3) -> dict:
    """Labeling against the bare LF calls on the same in-memory candidates, ``reps`` times; the worst run shown.

    The annotator first runs once (it keeps the candidate views in memory); then, ``reps``
    times: a new set of ``n_lfs`` LFs (new names: every one runs and writes its rows,
    nothing is deleted) is applied by that annotator (warm: candidates in memory), the
    same LFs are called bare on the kept views (``[lf(c) for c in part]``, the floor of any
    annotator), and another new set is applied by a new annotator (cold: loading the
    candidates is part of its run). ``total`` and ``cold`` are the whole ``apply()``
    (fingerprint, keys, stale check, load, calls, writes, run records, the matrix).
    Each ratio is over the bare calls of the same repetition; the worst repetition is shown.
    """
    LabelAnnotator(lfs=[make_cheap_lf(0)]).apply(split, session=session, candidate_class=cls, progress=False)
    labeler = LabelAnnotator(lfs=[make_cheap_lf(k, name=f"LF_warm_{k}") for k in range(n_lfs)])
    labeler.apply(split, session=session, candidate_class=cls, progress=False)
    runs = []
    for rep in range(reps):
        labeler.lfs = [make_cheap_lf(k, salt=rep + 3, name=f"LF_over{rep}_{k}") for k in range(n_lfs)]
        t = time.perf_counter()
        L = labeler.apply(split, session=session, candidate_class=cls, progress=False)
        total = time.perf_counter() - t
        phases = labeler.last_summary.phase_seconds
        parts = list(labeler._cache["parts"].values())  # the views the run used
        t = time.perf_counter()
        for cands in parts:
            for lf in labeler.lfs:
                [lf(c) for c in cands]  # the bare calls are what is measured
        bare = time.perf_counter() - t
        fresh = LabelAnnotator(lfs=[make_cheap_lf(k, salt=rep + 50, name=f"LF_cold{rep}_{k}") for k in range(n_lfs)])
        t = time.perf_counter()
        fresh.apply(split, session=session, candidate_class=cls, progress=False)
        cold = time.perf_counter() - t
        load = fresh.last_summary.phase_seconds.get("load", 0.0)
        runs.append({"total": total, "apply": phases.get("apply", 0.0), "write": phases.get("write", 0.0),
                     "bare": bare, "cold": cold, "load": load})  # fmt: skip
    worst = max(runs, key=lambda r: r["total"] / r["bare"])
    worst_cold = max(r["cold"] / r["bare"] for r in runs)
    return {"n": L.shape[0], "m": n_lfs, "nnz": L.nnz, **worst, "cold_x": worst_cold,
            "all_x": [r["total"] / r["bare"] for r in runs]}  # fmt: skip


OVERHEAD_HEADER = (
    f"{'backend':<10} {'cands x LFs':>15} {'nnz':>9} {'bare s':>7} {'apply s':>7} {'write s':>7} {'total s':>7} "
    f"{'load s':>7} {'cold s':>7} {'apply x':>7} {'total x':>7} {'cold x':>7}  total x of each run"
)
OVERHEAD_NOTE = (
    "bare = the LF calls alone on the in-memory candidate views; apply / write = the annotator's call and write\n"
    "phases (summed; the writes run on a writer thread beside the calls); total = the whole apply() with the\n"
    "candidates in memory; load = loading the candidates, cold = the whole apply() of a new annotator (loads them);\n"
    "x = / bare of the same repetition; the worst repetition is shown."
)


def fmt_overhead(backend: str, r: dict) -> str:
    each = " ".join(f"{x:.2f}" for x in r["all_x"])
    return (
        f"{backend:<10} {r['n']:>9,} x {r['m']:<3} {r['nnz']:>9,} {r['bare']:>7.2f} {r['apply']:>7.2f} "
        f"{r['write']:>7.2f} {r['total']:>7.2f} {r['load']:>7.2f} {r['cold']:>7.2f} {r['apply'] / r['bare']:>7.2f} "
        f"{r['total'] / r['bare']:>7.2f} {r['cold_x']:>7.2f}  {each}"
    )


# -- measurement -----------------------------------------------------------------------------
def run_workload(session, lfs, changed_lf, split, cls, *, gold=None):
    labeler = LabelAnnotator(lfs=lfs)
    t = time.perf_counter()
    L = labeler.apply(split, session=session, candidate_class=cls, progress=False, clear=True)
    cold = time.perf_counter() - t
    s1 = labeler.last_summary
    t = time.perf_counter()
    labeler.apply(split, session=session, candidate_class=cls, progress=False, clear=True)
    warm = time.perf_counter() - t
    s2 = labeler.last_summary
    labeler.lfs = [changed_lf if lf.__name__ == changed_lf.__name__ else lf for lf in lfs]
    t = time.perf_counter()
    labeler.apply(split, session=session, candidate_class=cls, progress=False)
    inc = time.perf_counter() - t
    ran = labeler.last_summary.ran
    t = time.perf_counter()
    L2 = labeler.load_matrix(session, split, candidate_class=cls)
    load = time.perf_counter() - t
    n, m = L.shape
    return {
        "n": n,
        "m": m,
        "nnz": L2.nnz,
        "cold": cold,
        "warm": warm,
        "inc": inc,
        "ran": ran,
        "load": load,
        "apply_rate": n * m / max(s2.phase_seconds.get("apply", 1e-9), 1e-9),
        "load_cands": s1.phase_seconds.get("load", 0.0),
        "persist_rate": s2.n_rows / max(s2.phase_seconds.get("write", 1e-9), 1e-9),
        "L": L2,
    }


def fmt_row(backend, name, r):
    return (
        f"{backend:<10} {name:<22} {r['n']:>9,} {r['m']:>3} {r['nnz']:>10,} {r['cold']:>8.2f} {r['warm']:>8.2f} "
        f"{r['inc']:>7.2f} {r['inc'] / r['cold']:>7.3f} {r['inc'] / r['warm']:>7.3f} "
        f"{r['apply_rate'] / 1e6:>8.2f} {r['persist_rate'] / 1e3:>9.0f} {r['nnz'] / r['load'] / 1e6:>8.2f}"
    )


def backend_url(name: str, tmp: Path) -> str | None:
    if name == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}"
    from sqlalchemy import create_engine, text

    admin = os.environ.get("SNORKELIE_TEST_POSTGRES", "postgresql://snorkel:snorkel@127.0.0.1:5432/snorkel")
    engine = create_engine(admin.replace("postgresql://", "postgresql+psycopg2://"), isolation_level="AUTOCOMMIT")
    db = f"snorkel_bench_label_{os.getpid()}"
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}"'))
            conn.execute(text(f'CREATE DATABASE "{db}"'))
    except Exception as err:  # no server: skip the backend, say so
        print(f"postgresql skipped: {type(err).__name__}")
        return None
    finally:
        engine.dispose()
    return admin.rsplit("/", 1)[0] + "/" + db


def drop_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    dispose_engines()
    admin = url.rsplit("/", 1)[0] + "/postgres"
    engine = create_engine(admin.replace("postgresql://", "postgresql+psycopg2://"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    engine.dispose()


def overhead_only(backends: list[str], n: int) -> None:
    docs = synthetic_docs(n)
    rows = []
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            url = backend_url(backend, Path(tmp))
            if url is None:
                continue
            session = SnorkelSession(url)
            bulk_corpus(session, docs, "pair")
            rows.append(fmt_overhead(backend, labeling_overhead(session, Pair, 0)))
            session.close()
            dispose_engines()
            if backend == "postgresql":
                drop_pg(url)
    print(OVERHEAD_HEADER)
    print("\n".join(rows))
    print(OVERHEAD_NOTE)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100k synthetic candidates instead of 1M")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--overhead-only", action="store_true", help="only the labeling-overhead table (100k candidates)")
    args = ap.parse_args()
    if args.overhead_only:
        overhead_only(args.backends.split(","), args.n or 100_000)
        return
    n_syn = args.n or (100_000 if args.quick else 1_000_000)
    cdr, train_pairs = cdr_docs()
    cdr_lfs = make_cdr_lfs(train_pairs)
    changed_cdr = make_pattern_lf("LF_between_3", r"after|later", 1)
    syn_docs = synthetic_docs(n_syn)
    cheap = [make_cheap_lf(k) for k in range(50)]
    header = (
        f"{'backend':<10} {'workload':<22} {'cands':>9} {'LFs':>3} {'nnz':>10} {'cold s':>8} {'full s':>8} "
        f"{'incr s':>7} {'inc/cold':>7} {'inc/full':>7} {'MLF/s':>8} {'krows/s':>9} {'Mnnz/s':>8}"
    )
    lines, notes, overhead = [], [], []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            url = backend_url(backend, Path(tmp))
            if url is None:
                continue
            session = SnorkelSession(url)
            t = time.perf_counter()
            n_cdr = bulk_corpus(session, cdr, "chemicaldisease")
            notes.append(f"{backend}: built {n_cdr:,} CDR candidates in {time.perf_counter() - t:.1f} s")
            for split in (0, 1):
                r = run_workload(session, cdr_lfs, changed_cdr, split, ChemicalDisease)
                lines.append(fmt_row(backend, f"CDR split {split} x30", r))
                notes.append(f"{backend}: CDR split {split} incremental run executed {r['ran']}")
            if backend == "sqlite":
                load_gold_labels_from_relations(session, ChemicalDisease, split=1)
                gold = load_gold_labels(session, split=1, candidate_class=ChemicalDisease)
                stats = r["L"].lf_stats(session, gold)
                print(stats.round(3).to_string())
            t = time.perf_counter()
            n_made = bulk_corpus(session, syn_docs, "pair")
            notes.append(f"{backend}: built {n_made:,} synthetic candidates in {time.perf_counter() - t:.1f} s")
            r = run_workload(session, cheap, make_cheap_lf(7, salt=1), 0, Pair)
            lines.append(fmt_row(backend, "synthetic x50", r))
            overhead.append(fmt_overhead(backend, labeling_overhead(session, Pair, 0)))
            r30 = None
            if not args.quick:
                notes.append(f"{backend}: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")
            else:
                r30 = run_workload(session, cheap[:30], make_cheap_lf(7, salt=2), 0, Pair)
                lines.append(fmt_row(backend, "synthetic x30", r30))
            session.close()
            dispose_engines()
            if backend == "postgresql":
                drop_pg(url)
    print()
    print(header)
    print("-" * len(header))
    print("\n".join(lines))
    print()
    print("cold = first full run (loads candidates); full = warm full re-run (clear=True), the baseline;")
    print("incr = re-run after one LF changed; MLF/s = LF calls per second (apply phase of the full run);")
    print("krows/s = label rows persisted per second (write phase); Mnnz/s = load_matrix rate.")
    print("\n".join(notes))
    print("\nlabeling overhead: 30 LFs on the synthetic candidates (3 repetitions, the worst shown)")
    print(OVERHEAD_HEADER)
    print("\n".join(overhead))
    print(OVERHEAD_NOTE)


if __name__ == "__main__":
    main()
