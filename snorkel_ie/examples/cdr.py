"""The chemical-induced-disease (CDR) task: corpus, splits, candidates and gold labels.

Used by ``make demo`` (:mod:`snorkel_ie.demo`) and the ``tutorials/cdr`` notebooks.
Splits, as in the data's PROVENANCE: train (split 0) = the CDR training set plus the
first half of the development set; dev (split 1) = the second half of the development
set. The official test set is not shipped and never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from snorkel_ie.candidates import PretaggedCandidateExtractor
from snorkel_ie.db.models import Document, Sentence, candidate_subclass
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling.gold import load_gold_labels_from_relations, relation_pairs
from snorkel_ie.parsing import CorpusParser, PubTatorDocPreprocessor, Spacy

TRAINING_FILE = "CDR_TrainingSet.PubTator.txt"
DEVELOPMENT_FILE = "CDR_DevelopmentSet.PubTator.txt"
TRAIN, DEV = 0, 1

ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])


def data_dir(path: str | Path | None = None) -> Path:
    """The CDR data folder: ``path``, else ``tutorials/cdr/data`` of this checkout."""
    folder = Path(path) if path is not None else Path(__file__).resolve().parents[2] / "tutorials" / "cdr" / "data"
    missing = [f for f in (TRAINING_FILE, DEVELOPMENT_FILE) if not (folder / f).exists()]
    if missing:
        raise ConfigurationError(f"{folder}: missing {missing}; pass the folder that holds the CDR PubTator files")
    return folder


def _names(path: Path, max_docs: int | None) -> list[str]:
    return [record.name for record in PubTatorDocPreprocessor(path, max_docs=max_docs).records()]


def document_splits(folder: Path, *, max_docs: int | None = None) -> dict[str, int]:
    """Document name -> split. ``max_docs`` limits each file (for quick runs)."""
    train = _names(folder / TRAINING_FILE, max_docs)
    dev = _names(folder / DEVELOPMENT_FILE, max_docs)
    half = len(dev) // 2
    return {**{n: TRAIN for n in train}, **{n: TRAIN for n in dev[:half]}, **{n: DEV for n in dev[half:]}}


@dataclass
class CorpusSummary:
    documents: int
    candidates: dict[int, int]
    gold_positive: dict[int, int]

    def __str__(self) -> str:
        parts = [f"{self.documents} documents"]
        for split, n in sorted(self.candidates.items()):
            parts.append(f"split {split}: {n} candidates ({self.gold_positive[split]} gold positive)")
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
    """Parse both PubTator files, extract candidates of each split and load gold labels.

    Every step is idempotent: a re-run skips stored documents and creates no duplicate
    candidates or labels.
    """
    folder = data_dir(folder)
    parser = CorpusParser(parser=Spacy(model))
    for name in (TRAINING_FILE, DEVELOPMENT_FILE):
        reader = PubTatorDocPreprocessor(folder / name, max_docs=max_docs)
        parser.apply(reader, parallelism=parallelism, progress=progress, session=session)
    splits = document_splits(folder, max_docs=max_docs)
    extractor = PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"])
    candidates, positives = {}, {}
    for split in (TRAIN, DEV):
        names = [n for n, s in splits.items() if s == split]
        sentences = select(Sentence).join(Document).where(Document.name.in_(names))
        summary = extractor.apply(sentences, split=split, clear=False, progress=progress, session=session)
        candidates[split] = summary.candidates
        positives[split], _ = load_gold_labels_from_relations(session, ChemicalDisease, split=split)
    return CorpusSummary(len(splits), candidates, positives)


def training_cid_pairs(session: Session) -> set[tuple[str, str]]:
    """The (chemical MeSH, disease MeSH) CID pairs of the train split's documents: the
    knowledge base for distant supervision, never built from documents of the dev split.

    A document belongs to the train split when its candidates do (candidates never
    cross documents, and :func:`load_corpus` assigns whole documents to a split).
    """
    train_docs = (
        select(Sentence.document_id)
        .join(ChemicalDisease, ChemicalDisease.sentence_id == Sentence.id)
        .where(ChemicalDisease.split == TRAIN)
    )
    pairs: set[tuple[str, str]] = set()
    for meta in session.scalars(select(Document.meta).where(Document.id.in_(train_docs))):
        pairs |= {(a, b) for a, b in relation_pairs(meta, "CID")}
    return pairs


def training_cid_documents(session: Session) -> dict[tuple[str, str], frozenset[str]]:
    """Each CID pair of the train split's documents -> the names of the documents stating it.

    With it, the knowledge-base LFs can leave a train candidate's own document out
    (:func:`snorkel_ie.examples.cdr_lfs.knowledge_base_lfs`): otherwise the knowledge base
    holds the very gold relations of the train documents, its LFs look near perfect on
    train but not on dev, and a model fit on train trusts them far too much.
    """
    train_docs = (
        select(Sentence.document_id)
        .join(ChemicalDisease, ChemicalDisease.sentence_id == Sentence.id)
        .where(ChemicalDisease.split == TRAIN)
    )
    found: dict[tuple[str, str], set[str]] = {}
    for name, meta in session.execute(select(Document.name, Document.meta).where(Document.id.in_(train_docs))):
        for a, b in relation_pairs(meta, "CID"):
            found.setdefault((a, b), set()).add(name)
    return {pair: frozenset(names) for pair, names in found.items()}


def split_sizes(session: Session) -> dict[int, int]:
    """Number of ChemicalDisease candidates per split."""
    from sqlalchemy import func

    rows = session.execute(
        select(ChemicalDisease.split, func.count()).group_by(ChemicalDisease.split).order_by(ChemicalDisease.split)
    )
    return {split: n for split, n in rows}


__all__: list[Any] = [
    "DEV",
    "TRAIN",
    "ChemicalDisease",
    "CorpusSummary",
    "data_dir",
    "document_splits",
    "load_corpus",
    "split_sizes",
    "training_cid_documents",
    "training_cid_pairs",
]
