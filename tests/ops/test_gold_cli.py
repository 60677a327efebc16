"""``snorkel-ie gold load``: TSV of stable ids, CSV (as ``export`` writes), PubTator relations; bad lines write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from snorkel_ie.db.engine import make_engine
from snorkel_ie.db.models import AnnotationKey, Candidate, CandidateSpan, GoldLabel, Span
from tests.ops.conftest import PUBTATOR, assert_one_line_error, run

CLASS = ("--candidate-class", "ChemicalDisease")


def _stable_pairs(url: str) -> list[tuple[int, str, str]]:
    """(candidate id, argument 0 stable id, argument 1 stable id) of every candidate, by id."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(CandidateSpan.candidate_id, CandidateSpan.position, Span.stable_id)
                .join(Span, Span.id == CandidateSpan.span_id)
                .order_by(CandidateSpan.candidate_id, CandidateSpan.position)
            ).all()
    finally:
        engine.dispose()
    by: dict[int, list[str]] = {}
    for cid, _pos, sid in rows:
        by.setdefault(cid, []).append(sid)
    return [(cid, *ids) for cid, ids in sorted(by.items())]


def _gold(url: str, annotator: str = "gold") -> dict[int, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(GoldLabel.candidate_id, GoldLabel.value)
                .join(AnnotationKey, AnnotationKey.id == GoldLabel.key_id)
                .where(AnnotationKey.name == annotator)
            ).all()
        return dict(rows)
    finally:
        engine.dispose()


def _n_candidates(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Candidate)).scalar_one()
    finally:
        engine.dispose()


def test_ops_gold_load_tsv_of_stable_ids(extracted_url: str, workdir: Path) -> None:
    pairs = _stable_pairs(extracted_url)
    want = {cid: (1 if i % 3 == 0 else -1) for i, (cid, _a, _b) in enumerate(pairs)}
    path = workdir / "gold.tsv"
    path.write_text("".join(f"{a}\t{b}\t{want[cid]}\n" for cid, a, b in pairs), encoding="utf-8")
    r = run(("gold", "load", str(path), *CLASS), db_url=extracted_url, cwd=workdir)
    assert r.code == 0, str(r)
    assert f"{len(pairs)} ChemicalDisease candidates labeled" in r.stdout
    assert _gold(extracted_url) == want


def test_ops_gold_load_csv_as_export_writes_it(extracted_url: str, workdir: Path) -> None:
    pairs = _stable_pairs(extracted_url)
    path = workdir / "gold.csv"
    lines = ["candidate_id,stable_ids,label"] + [f"{cid},{a}~~{b},{1 if cid % 2 else -1}" for cid, a, b in pairs]
    lines.append("999999,nowhere::span:0:1~~nowhere::span:2:3,1")  # matches no candidate
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run(("gold", "load", str(path), *CLASS, "--annotator", "csvgold"), db_url=extracted_url, cwd=workdir)
    assert_one_line_error(r, 3, "1 line(s) match no candidate", "--allow-unmatched")
    assert _gold(extracted_url, "csvgold") == {cid: 1 if cid % 2 else -1 for cid, _a, _b in pairs}
    again = run(("gold", "load", str(path), *CLASS, "--annotator", "csvgold", "--allow-unmatched"),
                db_url=extracted_url, cwd=workdir)  # fmt: skip
    assert again.code == 0, str(again)


def test_ops_gold_load_pubtator_relations(extracted_url: str, workdir: Path) -> None:
    r = run(("gold", "load", str(PUBTATOR), *CLASS), db_url=extracted_url, cwd=workdir)
    assert r.code == 0, str(r)
    gold = _gold(extracted_url)
    assert len(gold) == _n_candidates(extracted_url)  # every candidate of the file's documents
    assert 0 < sum(v == 1 for v in gold.values()) < len(gold)


@pytest.mark.parametrize(
    ("suffix", "body", "needle"),
    [
        (".tsv", "a\tb\t7\n", "gold label '7' is not one of -1, 0, 1"),
        (".csv", "stable_ids,label\nx~~y,yes\n", "gold label 'yes'"),
        (".csv", "who,label\nx,1\n", "the header needs"),
    ],
    ids=["tsv-label", "csv-label", "csv-header"],
)
def test_ops_gold_load_bad_line_writes_nothing(extracted_url: str, workdir: Path, suffix: str, body: str,
                                               needle: str) -> None:  # fmt: skip
    pairs = _stable_pairs(extracted_url)
    path = workdir / f"bad{suffix}"
    good = f"{pairs[0][1]}\t{pairs[0][2]}\t1\n" if suffix == ".tsv" else ""
    path.write_text(good + body if suffix == ".tsv" else body, encoding="utf-8")
    r = run(("gold", "load", str(path), *CLASS), db_url=extracted_url, cwd=workdir)
    assert_one_line_error(r, 1, f"{path}:", needle)
    assert _gold(extracted_url) == {}


def test_ops_gold_load_unknown_class(extracted_url: str, workdir: Path) -> None:
    r = run(("gold", "load", str(PUBTATOR), "--candidate-class", "Nope"), db_url=extracted_url, cwd=workdir)
    assert_one_line_error(r, 1, "no candidates of class 'Nope'", "snorkel-ie extract")
    assert _gold(extracted_url) == {}
