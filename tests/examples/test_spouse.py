"""The spouse task module: document splits, the reader with PERSON mentions, LFs on a tiny corpus."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from snorkel_ie.errors import ConfigurationError, ParseError
from snorkel_ie.examples import spouse
from snorkel_ie.examples.spouse_lfs import last_name, last_name_pairs, make_lfs

TEXT = "Barack Obama and his wife Michelle Obama met John Smith. Mary Jones praised her son Tom Jones."


def _write(folder: Path, *, mention_text: str = "Barack Obama") -> Path:
    (folder / "articles.jsonl").write_text(json.dumps({"doc_id": "d1", "text": TEXT}) + "\n")
    spans = [(0, 12), (26, 40), (45, 55), (57, 67), (84, 93)]
    lines = ["doc_id\tchar_start\tchar_end\ttext"]
    for i, (a, b) in enumerate(spans):
        lines.append(f"d1\t{a}\t{b}\t{mention_text if i == 0 else TEXT[a:b]}")
    (folder / "person_mentions.tsv").write_text("\n".join(lines) + "\n")
    gold = ["doc_id\tperson1_start\tperson1_end\tperson2_start\tperson2_end\tlabel", "d1\t26\t40\t0\t12\t1"]
    gold.append("d1\t57\t67\t84\t93\t-1")
    (folder / "gold_labels.tsv").write_text("\n".join(gold) + "\n")
    (folder / "dbpedia_spouses.tsv").write_text("Michelle Obama\tBarack Obama\nJane Doe\tJohn Roe\n")
    return folder


def _documented_split(doc_id: str) -> int:
    """The split by the rule spouse.py documents, in exact arithmetic.

    The first 8 bytes of the SHA-1 of the UTF-8 id, as a big-endian fraction of 2**64, cut
    at 0.8 (train | dev) and 0.9 (dev | test).
    """
    u = Fraction(int(hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:16], 16), 2**64)
    return 0 if u < Fraction(8, 10) else 1 if u < Fraction(9, 10) else 2


def test_split_of_follows_the_documented_rule_and_fractions():
    ids = [f"doc-{i}" for i in range(20_000)] + ["d1", "Ünïcode–id", ""]
    splits = np.array([spouse.split_of(d) for d in ids])
    assert splits.tolist() == [_documented_split(d) for d in ids]
    assert (spouse.TRAIN, spouse.DEV, spouse.TEST) == (0, 1, 2) and spouse.SPLIT_FRACTIONS == (0.8, 0.1, 0.1)
    shares = np.bincount(splits, minlength=3) / len(ids)
    assert np.allclose(shares, spouse.SPLIT_FRACTIONS, atol=0.01)


@pytest.mark.slow  # starts interpreters that import snorkel_ie
@pytest.mark.parametrize("hash_seed", ["0", "1", "random"])
def test_split_of_is_the_same_in_another_process(hash_seed: str):
    ids = [f"doc-{i}" for i in range(2_000)] + ["Ünïcode–id"]
    code = (
        "import json, sys\n"
        "from snorkel_ie.examples.spouse import split_of\n"
        "print(json.dumps([split_of(d) for d in json.load(sys.stdin)]))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    run = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(ids), env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(run.stdout) == [spouse.split_of(d) for d in ids]


def test_max_docs_from_env_reads_and_validates(monkeypatch):
    monkeypatch.delenv("SNORKEL_TUTORIAL_MAX_DOCS", raising=False)
    assert spouse.max_docs_from_env() is None
    monkeypatch.setenv("SNORKEL_TUTORIAL_MAX_DOCS", "25")
    assert spouse.max_docs_from_env() == 25
    monkeypatch.setenv("SNORKEL_TUTORIAL_MAX_DOCS", "many")
    with pytest.raises(ConfigurationError, match="SNORKEL_TUTORIAL_MAX_DOCS"):
        spouse.max_docs_from_env()


def test_reader_attaches_person_mentions(tmp_path: Path):
    (record,) = spouse.SpouseDocPreprocessor(_write(tmp_path)).records()
    assert record.name == "d1" and record.meta["split"] == spouse.split_of("d1")
    assert [(m.start, m.end, m.type) for m in record.mentions][:2] == [(0, 12, "PERSON"), (26, 40, "PERSON")]
    assert record.mentions[1].cid == "michelle obama"


def test_reader_rejects_mismatched_mention(tmp_path: Path):
    reader = spouse.SpouseDocPreprocessor(_write(tmp_path, mention_text="Barack Osama"))
    with pytest.raises(ParseError, match=r"person_mentions\.tsv:2"):
        list(reader.records())


def test_data_dir_names_missing_files(tmp_path: Path):
    with pytest.raises(ConfigurationError, match=r"articles\.jsonl"):
        spouse.data_dir(tmp_path)


def test_shipped_data_complete():
    folder = spouse.data_dir()
    assert len(spouse.load_known_spouses(folder)) > 6000


def test_last_name_helpers():
    assert last_name("Barack  Obama") == "obama" and last_name("Madonna") is None
    assert last_name_pairs([("michelle obama", "barack obama"), ("jane doe", "john roe")]) == {("doe", "roe")}


@pytest.mark.slow
def test_load_corpus_candidates_gold_and_lfs(tmp_path: Path, session):
    folder = _write(tmp_path)
    summary = spouse.load_corpus(session, folder, model="blank:en", progress=False)
    split = spouse.split_of("d1")
    assert summary.candidates == {**{s: 0 for s in (0, 1, 2)}, split: 4}
    assert summary.gold_positive == {split: 1} and summary.gold_negative == {split: 1}
    assert summary.gold_unmatched == 0
    lfs = {lf.__name__: lf for lf in make_lfs(spouse.load_known_spouses(folder))}
    by_names = {(c.person1.get_span(), c.person2.get_span()): c for c in session.scalars(select(spouse.Spouse))}
    obamas = by_names[("Barack Obama", "Michelle Obama")]
    assert lfs["LF_husband_wife"](obamas) == 1
    assert lfs["LF_distant_supervision"](obamas) == 1
    assert lfs["LF_same_last_name"](obamas) == 1
    joneses = by_names[("Mary Jones", "Tom Jones")]
    assert lfs["LF_familial_relationship"](joneses) == -1
    assert lfs["LF_husband_wife"](joneses) == 0
