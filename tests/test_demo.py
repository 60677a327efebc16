"""The demo's prediction path: ``python -m snorkel_ie.demo --predict FILE --out TSV``.

The slow test trains on a small corpus, predicts the relations of the CDR development
file with its relation lines removed, and scores the output against the gold relations
read from the original file, over the documents whose relations the run never saw.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from snorkel_ie.examples.cdr import PREDICT_PREFIX, strip_relations

REPO = Path(__file__).resolve().parents[1]
DEV_FILE = REPO / "tutorials" / "cdr" / "data" / "CDR_DevelopmentSet.PubTator.txt"
MAX_DOCS = 100  # per file: train = 100 train + 50 dev documents, dev split = the next 50


def _documents_and_gold(path: Path) -> tuple[list[str], set[tuple[str, str, str]]]:
    pmids, gold = [], set()
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) == 1 and "|t|" in line:
            pmids.append(line.split("|", 1)[0])
        elif len(fields) == 4 and fields[1] == "CID":
            gold.add((fields[0], fields[2], fields[3]))
    return pmids, gold


def test_strip_relations_keeps_text_and_every_mention(tmp_path) -> None:
    src = tmp_path / "in.txt"
    src.write_text(
        "1|t|Cocaine and seizures.\n1|a|Rats.\n1\t0\t7\tCocaine\tChemical\tD003042\n"
        "1\t12\t20\tseizures\tDisease\tD1|D2\tseizure\tfits\n1\tCID\tD003042\tD1\n\n"
        "2|t|T.\n2|a|A.\n",
        encoding="utf-8",
    )
    names = strip_relations(src, tmp_path / "out.txt")
    out = (tmp_path / "out.txt").read_text(encoding="utf-8").splitlines()
    assert names == [PREDICT_PREFIX + "1", PREDICT_PREFIX + "2"]
    assert not any("\tCID\t" in line for line in out)
    assert sum(1 for line in out if line.count("\t") >= 5) == 2  # the composite mention stays
    assert out[0] == PREDICT_PREFIX + "1|t|Cocaine and seizures."


@pytest.mark.slow
def test_predict_on_the_dev_file_without_relations(tmp_path) -> None:
    stripped = tmp_path / "dev_documents.PubTator.txt"
    stripped.write_text(
        "".join(line for line in DEV_FILE.open(encoding="utf-8") if "\tCID\t" not in line), encoding="utf-8"
    )
    out = tmp_path / "relations.tsv"
    cmd = [
        sys.executable, "-m", "snorkel_ie.demo", "--db", f"sqlite:///{tmp_path / 'demo.db'}",
        "--model", "blank:en", "--max-docs", str(MAX_DOCS), "--report-dir", str(tmp_path / "report"),
        "--predict", str(stripped), "--out", str(out),
    ]  # fmt: skip
    run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]

    # from here on: only the output and the gold
    pmids, gold = _documents_and_gold(DEV_FILE)
    lines = out.read_text(encoding="utf-8").splitlines()
    predicted = set()
    for line in lines:
        pmid, kind, chem, dis, score = line.split("\t")
        assert kind == "CID" and pmid in pmids and 0.5 < float(score) <= 1.0
        predicted.add((pmid, chem, dis))
    assert len(predicted) == len(lines)
    unseen = set(pmids[MAX_DOCS // 2 :])  # the first half of the limited dev file trained the run
    gold = {g for g in gold if g[0] in unseen}
    predicted = {p for p in predicted if p[0] in unseen}
    tp = len(gold & predicted)
    precision, recall = tp / len(predicted), tp / len(gold)
    f1 = 2 * precision * recall / (precision + recall)
    # predicting every co-mentioned pair scores about 0.33 on these abstracts
    assert f1 > 0.45, (precision, recall, f1)
    assert len({p[0] for p in predicted}) > 0.5 * len(unseen)
