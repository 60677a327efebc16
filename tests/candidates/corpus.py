"""Real sentences for candidate and LF tests, tokenized with ``spacy.blank('en')`` (no trained model).

CDR abstracts come with their PubTator mentions as token ``entity_types`` /
``entity_cids``; spouse articles with their PERSON mentions as ``ner_tags``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from snorkel_ie.db.models import Document, Sentence, sentence_stable_id


@dataclass
class RawDocument:
    name: str
    text: str
    mentions: list[tuple[int, int, str, str]] = field(default_factory=list)
    """(start, end exclusive, entity type, entity id) in document characters."""
    relations: list[tuple[str, str]] = field(default_factory=list)


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def build_document(raw: RawDocument, *, ner_label: str | None = None, bio: bool = False) -> Document:
    """A Document with its Sentences; tokens overlapping a mention get its type and id.

    With ``ner_label`` the mentions become NER tags instead (``PERSON``, or
    ``B-PERSON``/``I-PERSON`` with ``bio``) and ``entity_*`` stay empty.
    """
    doc = Document(raw.name, meta={"relations": [list(r) for r in raw.relations]})
    rows = _sentence_rows(raw.name, raw.text, tuple(raw.mentions), ner_label, bio)
    for row in rows:
        doc.sentences.append(Sentence(**{k: list(v) if isinstance(v, list) else v for k, v in row.items()}))
    return doc


@lru_cache(maxsize=64)
def _sentence_rows(name: str, text: str, mentions: tuple, ner_label: str | None, bio: bool) -> list[dict]:
    rows = []
    parsed = _nlp()(text)
    for position, sent in enumerate(s for s in parsed.sents if not all(t.is_space for t in s)):
        tokens = [t for t in sent if not t.is_space]
        start = tokens[0].idx
        end = tokens[-1].idx + len(tokens[-1].text)
        words = [t.text for t in tokens]
        n = len(words)
        types: list[str | None] = [None] * n
        cids: list[str | None] = [None] * n
        ner = ["O"] * n
        for m_start, m_end, m_type, m_cid in mentions:
            inside = [i for i, t in enumerate(tokens) if t.idx < m_end and t.idx + len(t.text) > m_start]
            for k, i in enumerate(inside):
                if ner_label is None:
                    types[i], cids[i] = m_type, m_cid
                else:
                    ner[i] = (("B-" if k == 0 else "I-") if bio else "") + ner_label
        rows.append(
            dict(
                position=position,
                stable_id=sentence_stable_id(name, start, end),
                text=text[start:end],
                words=words,
                char_offsets=[t.idx - start for t in tokens],
                abs_char_offsets=[t.idx for t in tokens],
                lemmas=[w.lower() for w in words],
                pos_tags=["X"] * n,
                ner_tags=ner,
                dep_parents=[0] * n,
                dep_labels=[""] * n,
                entity_cids=cids,
                entity_types=types,
            )
        )
    return rows


@lru_cache(maxsize=8)
def _cdr_raw(shared_data: Path, limit: int) -> list[RawDocument]:
    return read_pubtator(shared_data / "cdr" / "CDR_TrainingSet.PubTator.txt", limit)


def read_pubtator(path: Path, limit: int) -> list[RawDocument]:
    """The first ``limit`` documents of a PubTator file."""
    docs: list[RawDocument] = []
    title = abstract = ""
    current: RawDocument | None = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if current is not None:
                    docs.append(current)
                    current = None
                    if len(docs) >= limit:
                        break
                continue
            if "|t|" in line[:20]:
                pmid, _, title = line.split("|", 2)
                continue
            if "|a|" in line[:20]:
                pmid, _, abstract = line.split("|", 2)
                current = RawDocument(pmid, f"{title} {abstract}")
                continue
            parts = line.split("\t")
            if current is not None and len(parts) == 6:
                current.mentions.append((int(parts[1]), int(parts[2]), parts[4], parts[5]))
            elif current is not None and len(parts) == 4 and parts[1] == "CID":
                current.relations.append((parts[2], parts[3]))
    if current is not None and len(docs) < limit:
        docs.append(current)
    return docs


def cdr_documents(shared_data: Path, limit: int = 5) -> list[Document]:
    raws = _cdr_raw(shared_data, limit)
    return [build_document(r) for r in raws]


def spouse_documents(shared_data: Path, doc_ids: Sequence[str], *, bio: bool = False) -> list[Document]:
    raws = _spouse_raw(shared_data, tuple(doc_ids))
    return [build_document(r, ner_label="PERSON", bio=bio) for r in raws]


@lru_cache(maxsize=8)
def _spouse_raw(shared_data: Path, doc_ids: tuple[str, ...]) -> list[RawDocument]:
    wanted = set(doc_ids)
    texts = {}
    with open(shared_data / "spouse" / "articles.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["doc_id"] in wanted:
                texts[row["doc_id"]] = row["text"]
    mentions: dict[str, list[tuple[int, int, str, str]]] = {d: [] for d in wanted}
    with open(shared_data / "spouse" / "person_mentions.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            doc_id, start, end, _text = line.rstrip("\n").split("\t")
            if doc_id in wanted:
                mentions[doc_id].append((int(start), int(end), "PERSON", ""))
    return [RawDocument(d, texts[d], mentions[d]) for d in doc_ids]
