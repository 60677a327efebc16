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
TRAIN, DEV, PREDICT = 0, 1, 2
CLOSEST_PER_ENTITY_PAIR = 3
"""Mention candidates kept per (chemical MeSH, disease MeSH) pair of an abstract: the closest ones."""
PREDICT_PREFIX = "predict-"
"""Documents parsed for ``python -m snorkel_ie.demo --predict`` are stored under this prefix
(so that a file holding train or dev abstracts does not meet their stored copies)."""

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
    scope: str = "document",
    max_sentence_distance: int | None = None,
    closest_per_entity_pair: int | None = CLOSEST_PER_ENTITY_PAIR,
) -> CorpusSummary:
    """Parse both PubTator files, extract candidates of each split and load gold labels.

    Candidates pair every chemical with every disease mention of an abstract
    (``scope="document"``: CDR's relations are stated per abstract, and a third of the
    gold pairs never meet in one sentence); ``scope="sentence"`` gives Snorkel 0.7's
    same-sentence candidates, ``max_sentence_distance`` a band in between.
    Every step is idempotent: a re-run skips stored documents and creates no duplicate
    candidates or labels. A split holding candidates these settings do not make (from a
    run with another scope) is cleared and extracted again.
    """
    folder = data_dir(folder)
    parser = CorpusParser(parser=Spacy(model))
    for name in (TRAINING_FILE, DEVELOPMENT_FILE):
        reader = PubTatorDocPreprocessor(folder / name, max_docs=max_docs)
        parser.apply(reader, parallelism=parallelism, progress=progress, session=session)
    splits = document_splits(folder, max_docs=max_docs)
    extractor = _extractor(scope, max_sentence_distance, closest_per_entity_pair)
    candidates, positives = {}, {}
    for split in (TRAIN, DEV):
        names = [n for n, s in splits.items() if s == split]
        sentences = select(Sentence).join(Document).where(Document.name.in_(names))
        summary = extractor.apply(
            sentences, split=split, clear=False, progress=progress, session=session, parallelism=parallelism
        )
        if split_sizes(session).get(split, 0) != summary.candidates:  # left by other settings (e.g. sentence scope)
            summary = extractor.apply(
                sentences, split=split, clear=True, progress=progress, session=session, parallelism=parallelism
            )
        candidates[split] = summary.candidates
        positives[split], _ = load_gold_labels_from_relations(session, ChemicalDisease, split=split)
    return CorpusSummary(len(splits), candidates, positives)


def _extractor(scope: str, max_sentence_distance: int | None, closest: int | None) -> PretaggedCandidateExtractor:
    return PretaggedCandidateExtractor(
        ChemicalDisease,
        ["Chemical", "Disease"],
        scope=scope,
        max_sentence_distance=max_sentence_distance,
        closest_per_entity_pair=closest if scope == "document" else None,
    )


def split_document_names(folder: str | Path | None, split: int, *, max_docs: int | None = None) -> list[str]:
    """The names of the documents of ``split`` (as :func:`document_splits` assigns them)."""
    return [n for n, s in document_splits(data_dir(folder), max_docs=max_docs).items() if s == split]


def _is_mention(line: str) -> bool:
    fields = line.split("\t")
    return len(fields) >= 6 and fields[1].isdigit() and fields[2].isdigit()


def strip_relations(source: str | Path, target: str | Path, *, prefix: str = PREDICT_PREFIX) -> list[str]:
    """Copy a PubTator file without its relation lines, each PMID prefixed with ``prefix``.

    Keeps title, abstract and mention lines (``PMID<TAB>start<TAB>end<TAB>...``; a
    composite mention has a 7th field) and the blank lines between documents; drops every
    other line (relations: ``PMID<TAB>CID<TAB>...``). Returns the new names.
    """
    names: list[str] = []
    out: list[str] = []
    with open(source, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            head = line.split("|", 2)
            if len(head) == 3 and head[1] in ("t", "a") and "\t" not in head[0]:
                if head[1] == "t":
                    names.append(prefix + head[0])
                out.append(prefix + line)
            elif _is_mention(line):
                out.append(prefix + line)
            elif not line.strip():
                out.append("")
    Path(target).write_text("\n".join(out) + "\n", encoding="utf-8")
    return names


def load_prediction_documents(
    session: Session,
    path: str | Path,
    *,
    model: str = "en_core_web_sm",
    parallelism: int = 1,
    progress: bool = True,
    scope: str = "document",
    max_sentence_distance: int | None = None,
    closest_per_entity_pair: int | None = CLOSEST_PER_ENTITY_PAIR,
) -> list[str]:
    """Parse a PubTator file's documents (never its relation lines) into split ``PREDICT``.

    The documents of an earlier prediction (names with :data:`PREDICT_PREFIX`) are
    deleted first, with their candidates and labels. Returns the stored document names
    (the PMIDs with the prefix).
    """
    import tempfile

    from snorkel_ie.db.candidates import delete_documents_with_prefix
    from snorkel_ie.db.engine import WRITE_LOCK

    with session.get_bind().connect().execution_options(**WRITE_LOCK) as conn, conn.begin():
        delete_documents_with_prefix(conn, PREDICT_PREFIX)
    session.expire_all()

    with tempfile.TemporaryDirectory() as tmp:
        stripped = Path(tmp) / "documents.PubTator.txt"
        names = strip_relations(path, stripped)
        parser = CorpusParser(parser=Spacy(model))
        parser.apply(PubTatorDocPreprocessor(stripped), parallelism=parallelism, progress=progress, session=session)
    sentences = select(Sentence).join(Document).where(Document.name.in_(names))
    _extractor(scope, max_sentence_distance, closest_per_entity_pair).apply(
        sentences, split=PREDICT, clear=True, progress=progress, session=session, parallelism=parallelism
    )
    return names


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
    "PREDICT",
    "PREDICT_PREFIX",
    "TRAIN",
    "ChemicalDisease",
    "CorpusSummary",
    "data_dir",
    "document_splits",
    "load_corpus",
    "load_prediction_documents",
    "split_document_names",
    "split_sizes",
    "strip_relations",
    "training_cid_documents",
    "training_cid_pairs",
]
