"""The spouse task (Snorkel's intro tutorial): are two people mentioned in a sentence married?

Used by the ``tutorials/intro`` notebooks. The data (``tutorials/intro/data``, see its
PROVENANCE.md) are news articles, the PERSON mentions an NER model tagged in them, crowd
gold labels for same-sentence person pairs and a list of spouse pairs from DBpedia.

* Documents are split, never candidates: train / dev / test by a hash of ``doc_id``
  (:func:`split_of`), so the split of a document does not depend on which other
  documents are loaded.
* The shipped mentions are attached to each document as pre-tagged entities of type
  ``PERSON`` (:class:`SpouseDocPreprocessor`); the parser splits tokens at their
  boundaries and never splits a sentence inside one.
* Candidates are pairs of PERSON mentions of one sentence, each unordered pair once
  (the first argument is the one that comes first in the sentence).
* Gold labels are pairs of absolute document offsets; a pair matches a candidate with
  those arguments in either order. Candidates without a gold line keep label 0
  (unknown), which scoring ignores.

Examples
--------
>>> session = SnorkelSession()                                      # doctest: +SKIP
>>> summary = load_corpus(session, max_docs=200)                     # doctest: +SKIP
>>> print(summary)                                                   # doctest: +SKIP
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from snorkel_ie.candidates import PretaggedCandidateExtractor
from snorkel_ie.db.models import AnnotationKey, Candidate, Document, GoldLabel, Sentence, candidate_subclass
from snorkel_ie.errors import ConfigurationError, ParseError
from snorkel_ie.labeling.gold import load_gold_labels_from_tsv
from snorkel_ie.labeling.lf_generators import normalize_entity
from snorkel_ie.parsing import CorpusParser, Spacy
from snorkel_ie.parsing.preprocessors import DocPreprocessor, DocRecord, JSONLDocPreprocessor, Mention

__all__ = [
    "DEV",
    "ENTITY_TYPE",
    "FILES",
    "SPLIT_FRACTIONS",
    "TEST",
    "TRAIN",
    "CorpusSummary",
    "Spouse",
    "SpouseDocPreprocessor",
    "data_dir",
    "load_corpus",
    "load_known_spouses",
    "max_docs_from_env",
    "split_of",
    "split_sizes",
]

ARTICLES, MENTIONS, GOLD, KNOWN_SPOUSES = (
    "articles.jsonl",
    "person_mentions.tsv",
    "gold_labels.tsv",
    "dbpedia_spouses.tsv",
)
FILES = (ARTICLES, MENTIONS, GOLD, KNOWN_SPOUSES)
TRAIN, DEV, TEST = 0, 1, 2
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
"""Share of the documents in train, dev and test."""
ENTITY_TYPE = "PERSON"

Spouse = candidate_subclass("Spouse", ["person1", "person2"])


def data_dir(path: str | Path | None = None) -> Path:
    """The spouse data folder: ``path``, else ``tutorials/intro/data`` of this checkout."""
    folder = Path(path) if path is not None else Path(__file__).resolve().parents[2] / "tutorials" / "intro" / "data"
    missing = [f for f in FILES if not (folder / f).exists()]
    if missing:
        raise ConfigurationError(f"{folder}: missing {missing}; pass the folder that holds the spouse data files")
    return folder


def max_docs_from_env(name: str = "SNORKEL_TUTORIAL_MAX_DOCS") -> int | None:
    """The document limit of a tutorial run from ``$name`` (unset or empty: ``None``, the full data)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        n = int(value)
    except ValueError as err:
        raise ConfigurationError(f"${name} must be a positive integer or empty; got {value!r}") from err
    if n < 1:
        raise ConfigurationError(f"${name} must be a positive integer or empty; got {value!r}")
    return n


def split_of(doc_id: str) -> int:
    """TRAIN, DEV or TEST for a document, from the first 8 bytes of the SHA-1 of its id."""
    u = int.from_bytes(hashlib.sha1(doc_id.encode("utf-8")).digest()[:8], "big") / 2.0**64
    train, dev, _ = SPLIT_FRACTIONS
    return TRAIN if u < train else DEV if u < train + dev else TEST


def _read_mentions(path: Path) -> dict[str, list[tuple[int, int, str, int]]]:
    """doc_id -> [(start, end, text, line)] from ``person_mentions.tsv``."""
    out: dict[str, list[tuple[int, int, str, int]]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for lineno, row in enumerate(csv.reader(fh, delimiter="\t"), start=1):
            if lineno == 1 and row[:3] == ["doc_id", "char_start", "char_end"]:
                continue
            try:
                doc, start, end, text = row
                out.setdefault(doc, []).append((int(start), int(end), text, lineno))
            except ValueError as err:
                raise ParseError("expected 'doc_id<TAB>char_start<TAB>char_end<TAB>text'", str(path), lineno) from err
    return out


class SpouseDocPreprocessor(DocPreprocessor):
    """The articles (``articles.jsonl``) with their PERSON mentions (``person_mentions.tsv``).

    Each mention becomes a :class:`~snorkel_ie.parsing.preprocessors.Mention` of type
    ``PERSON`` whose id is the normalised mention text; its text is checked against the
    article.

    Parameters
    ----------
    folder
        The spouse data folder (see :func:`data_dir`).
    max_docs
        Read only the first ``max_docs`` articles.
    """

    def __init__(self, folder: str | Path | None = None, *, max_docs: int | None = None):
        folder = data_dir(folder)
        super().__init__(folder / ARTICLES, max_docs=max_docs)
        self.mentions_path = folder / MENTIONS
        self._mentions: dict[str, list[tuple[int, int, str, int]]] | None = None

    def parse_file(self, path: Path) -> Iterator[DocRecord]:
        if self._mentions is None:
            self._mentions = _read_mentions(self.mentions_path)
        reader = JSONLDocPreprocessor(path, id_field="doc_id", encoding=self.encoding)
        for record in reader.parse_file(path):
            for start, end, text, lineno in self._mentions.get(record.name, ()):
                if record.text[start:end] != text:
                    raise ParseError(
                        f"mention {text!r} does not match the text {record.text[start:end]!r} of {record.name} "
                        f"at [{start}, {end})",
                        str(self.mentions_path),
                        lineno,
                    )
                record.mentions.append(Mention(start, end, ENTITY_TYPE, normalize_entity(text)))
            record.meta["split"] = split_of(record.name)
            yield record


@dataclass
class CorpusSummary:
    """What :func:`load_corpus` stored: documents, and per split candidates and gold labels."""

    documents: int
    candidates: dict[int, int] = field(default_factory=dict)
    gold_positive: dict[int, int] = field(default_factory=dict)
    gold_negative: dict[int, int] = field(default_factory=dict)
    gold_unmatched: int = 0

    def __str__(self) -> str:
        names = {TRAIN: "train", DEV: "dev", TEST: "test"}
        parts = [f"{self.documents} documents"]
        for split, n in sorted(self.candidates.items()):
            parts.append(
                f"{names[split]}: {n} candidates (gold {self.gold_positive.get(split, 0)} positive, "
                f"{self.gold_negative.get(split, 0)} negative)"
            )
        parts.append(f"{self.gold_unmatched} gold pairs of loaded documents without a candidate")
        return "; ".join(parts)


def load_corpus(
    session: Session,
    folder: str | Path | None = None,
    *,
    model: str = "en_core_web_sm",
    parallelism: int = 1,
    max_docs: int | None = None,
    progress: bool = True,
) -> CorpusSummary:
    """Parse the articles with their PERSON mentions, extract Spouse candidates per split, load gold.

    Idempotent: a re-run skips stored documents and creates no duplicate candidates.
    ``max_docs`` keeps only the first articles of the file (a quick run).
    """
    folder = data_dir(folder)
    reader = SpouseDocPreprocessor(folder, max_docs=max_docs)
    parser = Spacy(model, disable=("ner",))  # the mentions are given
    CorpusParser(parser=parser).apply(reader, parallelism=parallelism, progress=progress, session=session)
    extractor = PretaggedCandidateExtractor(Spouse, [ENTITY_TYPE, ENTITY_TYPE])
    names = [r.name for r in JSONLDocPreprocessor(folder / ARTICLES, id_field="doc_id", max_docs=max_docs).records()]
    summary = CorpusSummary(len(names))
    for split in (TRAIN, DEV, TEST):
        in_split = [n for n in names if split_of(n) == split]
        sentences = select(Sentence).join(Document).where(Document.name.in_(in_split))
        found = extractor.apply(sentences, split=split, clear=False, progress=progress, session=session)
        summary.candidates[split] = found.candidates
    matched, _ = load_gold_labels_from_tsv(session, folder / GOLD, Spouse, symmetric=True)
    summary.gold_unmatched = _gold_lines(folder / GOLD, set(names)) - matched
    summary.gold_positive, summary.gold_negative = _gold_counts(session)
    return summary


def _gold_lines(path: Path, documents: set[str]) -> int:
    """Gold lines of ``documents`` (lines of documents not loaded cannot match a candidate)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return sum(1 for row in csv.reader(fh, delimiter="\t") if row and row[0] in documents)


def _gold_counts(session: Session) -> tuple[dict[int, int], dict[int, int]]:
    q = (
        select(Candidate.split, GoldLabel.value, func.count())
        .join(GoldLabel, GoldLabel.candidate_id == Candidate.id)
        .join(AnnotationKey, AnnotationKey.id == GoldLabel.key_id)
        .where(
            Candidate.type == Spouse.__mapper__.polymorphic_identity,
            AnnotationKey.kind == "gold",
            AnnotationKey.name == "gold",
        )
        .group_by(Candidate.split, GoldLabel.value)
    )
    pos: dict[int, int] = {}
    neg: dict[int, int] = {}
    for split, value, n in session.execute(q):
        (pos if value == 1 else neg)[split] = n
    return pos, neg


def split_sizes(session: Session) -> dict[int, int]:
    """Number of Spouse candidates per split."""
    rows = session.execute(select(Spouse.split, func.count()).group_by(Spouse.split).order_by(Spouse.split))
    return {split: n for split, n in rows}


def load_known_spouses(folder: str | Path | None = None) -> set[tuple[str, str]]:
    """The DBpedia spouse pairs (``dbpedia_spouses.tsv``), names normalised, in file order."""
    path = data_dir(folder) / KNOWN_SPOUSES
    pairs = set()
    with path.open(newline="", encoding="utf-8") as fh:
        for lineno, row in enumerate(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if len(row) != 2:
                raise ParseError(f"expected two names separated by a tab; got {len(row)} field(s)", str(path), lineno)
            pairs.add((normalize_entity(row[0]), normalize_entity(row[1])))
    return pairs
