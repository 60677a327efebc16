"""Small subsets of the shipped tutorial data, written into a notebook's ``data/`` folder in 0.7's layouts.

Snorkel 0.7's notebooks read files of their own shapes (``articles.tsv``, a gold file of
stable ids, a pickled knowledge base...). These functions make those files from the data
the repository ships (``tutorials/*/data``, see the ``PROVENANCE.md`` there), on a subset
small enough for a test: the data of a 0.7 notebook, not its code.
"""

from __future__ import annotations

import csv
import json
import pickle
from collections import Counter
from pathlib import Path

from tests.compat07.conftest import TUTORIALS

INTRO = TUTORIALS / "intro" / "data"


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def spouse_documents(n_docs: int, max_chars: int = 3000) -> list[str]:
    """The first ``n_docs`` article ids (sorted) with a positive gold pair and at most ``max_chars`` characters."""
    positive = {r["doc_id"] for r in _tsv(INTRO / "gold_labels.tsv") if r["label"] == "1"}
    short = set()
    with (INTRO / "articles.jsonl").open(encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            if len(obj["text"]) <= max_chars:
                short.add(obj["doc_id"])
    return sorted(positive & short)[:n_docs]


def write_spouse_data(data: Path, n_docs: int = 30) -> dict[str, int]:
    """0.7's spouse files for ``n_docs`` articles; returns counts of what was written.

    * ``articles.tsv``: ``doc_id<TAB>text`` (tabs and newlines in the text become spaces,
      one for one, so character offsets are kept);
    * ``person_mentions.tsv``: the PERSON mentions of those articles (the tagger's input);
    * ``gold_labels.tsv``: 0.7's gold layout, ``person1, person2, label`` with span stable ids;
    * ``dbpedia.pkl``: the set of known spouse-name pairs, pickled as 0.7 shipped it.
    """
    docs = spouse_documents(n_docs)
    wanted = set(docs)
    texts: dict[str, str] = {}
    with (INTRO / "articles.jsonl").open(encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            if obj["doc_id"] in wanted:
                texts[obj["doc_id"]] = obj["text"].replace("\t", " ").replace("\n", " ").replace("\r", " ")
    with (data / "articles.tsv").open("w", encoding="utf-8") as f:
        for d in docs:
            f.write(f"{d}\t{texts[d]}\n")
    mentions = [r for r in _tsv(INTRO / "person_mentions.tsv") if r["doc_id"] in wanted]
    with (data / "person_mentions.tsv").open("w", encoding="utf-8") as f:
        f.write("doc_id\tchar_start\tchar_end\ttext\n")
        for r in mentions:
            f.write(f"{r['doc_id']}\t{r['char_start']}\t{r['char_end']}\t{r['text']}\n")
    gold = [r for r in _tsv(INTRO / "gold_labels.tsv") if r["doc_id"] in wanted]
    with (data / "gold_labels.tsv").open("w", encoding="utf-8") as f:
        f.write("person1\tperson2\tlabel\n")
        for r in gold:
            p1 = f"{r['doc_id']}::span:{r['person1_start']}:{r['person1_end']}"
            p2 = f"{r['doc_id']}::span:{r['person2_start']}:{r['person2_end']}"
            f.write(f"{p1}\t{p2}\t{r['label']}\n")
    with (INTRO / "dbpedia_spouses.tsv").open(encoding="utf-8") as f:
        known = {tuple(line.rstrip("\n").split("\t")[:2]) for line in f if "\t" in line}
    with (data / "dbpedia.pkl").open("wb") as f:
        pickle.dump(known, f)
    labels = Counter(r["label"] for r in gold)
    return {"docs": len(docs), "mentions": len(mentions), "gold": len(gold), "gold_positive": labels["1"]}
