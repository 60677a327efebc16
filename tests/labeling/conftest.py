"""Candidates for labeling tests, built by ORM from real spouse news sentences.

Documents come from ``../shared/data/spouse`` (articles and their NER person mentions);
sentences are cut at line breaks and sentence-final punctuation, tokens at whitespace, and
every pair of person mentions inside one sentence becomes a ``Spouse`` candidate.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pytest

from snorkel_ie.db.models import Document, Sentence, Span, candidate_subclass, sentence_stable_id, span_stable_id

Spouse = candidate_subclass("Spouse", ["person1", "person2"])
SPOUSE = Path(__file__).resolve().parents[3] / "shared" / "data" / "spouse"
_SENT = re.compile(r"[^\n.!?]+[.!?]*")
_TOKEN = re.compile(r"\S+")


@lru_cache(maxsize=1)
def _spouse_docs(n_docs: int) -> list[tuple[str, str, list[tuple[int, int]]]]:
    """The first ``n_docs`` articles (by id) that have gold pairs: (doc id, text, person mention offsets)."""
    gold_docs = set()
    with (SPOUSE / "gold_labels.tsv").open() as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            gold_docs.add(row["doc_id"])
    mentions: dict[str, list[tuple[int, int]]] = defaultdict(list)
    with (SPOUSE / "person_mentions.tsv").open() as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            mentions[row["doc_id"]].append((int(row["char_start"]), int(row["char_end"])))
    wanted = sorted(gold_docs)[: n_docs * 3]
    texts = {}
    with (SPOUSE / "articles.jsonl").open() as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["doc_id"] in wanted:
                texts[rec["doc_id"]] = rec["text"]
    docs = [(d, texts[d], sorted(set(mentions[d]))) for d in wanted if d in texts]
    return [d for d in docs if _pairs_in(d[1], d[2])][:n_docs]


def _pairs_in(text: str, mentions: list[tuple[int, int]]) -> int:
    return sum(len(ms) * (len(ms) - 1) // 2 for _, ms in _sentences(text, mentions))


def _sentences(text: str, mentions: list[tuple[int, int]]):
    for m in _SENT.finditer(text):
        start, end = m.start(), m.end()
        inside = [(a, b) for a, b in mentions if start <= a and b <= end]
        yield (start, end), inside


def _sentence(doc: Document, position: int, text: str, start: int, end: int) -> Sentence:
    stext = text[start:end]
    toks = list(_TOKEN.finditer(stext))
    words = [t.group() for t in toks]
    offsets = [t.start() for t in toks]
    n = len(words)
    return Sentence(
        document=doc,
        position=position,
        stable_id=sentence_stable_id(doc.name, start, end),
        text=stext,
        words=words,
        char_offsets=offsets,
        abs_char_offsets=[start + o for o in offsets],
        lemmas=[w.lower() for w in words],
        pos_tags=["X"] * n,
        ner_tags=["O"] * n,
        dep_parents=[0] * n,
        dep_labels=[""] * n,
        entity_cids=[None] * n,
        entity_types=[None] * n,
    )


def build_spouse_candidates(session, *, n_docs: int = 4, splits: tuple[int, ...] = (0, 1)) -> list:
    """Add ``n_docs`` spouse articles with their candidates (document i goes to ``splits[i % len]``)."""
    if not SPOUSE.exists():
        pytest.skip(f"spouse data not found at {SPOUSE}")
    cands = []
    for i, (doc_id, text, mentions) in enumerate(_spouse_docs(n_docs)):
        doc = Document(doc_id)
        position = 0
        for (start, end), inside in _sentences(text, mentions):
            if len(inside) < 2:
                continue
            sent = _sentence(doc, position, text, start, end)
            position += 1
            spans = [
                Span(sentence=sent, char_start=a - start, char_end=b - start, stable_id=span_stable_id(doc_id, a, b))
                for a, b in inside
            ]
            for x in range(len(spans)):
                for y in range(x + 1, len(spans)):
                    cands.append(Spouse(person1=spans[x], person2=spans[y], split=splits[i % len(splits)]))
        session.add(doc)
    session.add_all(cands)
    session.commit()
    return sorted(cands, key=lambda c: c.id)


@pytest.fixture
def spouse_candidates(session):
    """Spouse candidates of 4 real articles, in splits 0 and 1, sorted by id."""
    return build_spouse_candidates(session)
