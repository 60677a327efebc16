"""Distant supervision from how often an entity is a CID argument in the train split's documents.

The training split's gold CID pairs say more than which pairs are known: a chemical that
appears in many train abstracts but is almost never a stated cause (a comparison drug, a
solvent, a marker) is rarely the cause in a new abstract either, and a disease that is
mentioned often but almost never induced (the condition being treated) rarely is the
effect. :class:`EntityRates` counts, per MeSH id, the train documents that mention it and
those where it is an argument of a gold CID pair; as :class:`~snorkel_ie.examples.cdr_lfs.KnowledgeBaseLF`
does, a candidate's own document is left out of the counts, so a train candidate sees
the statistics a dev candidate sees. Nothing is read from documents of the dev split.

The LFs (:func:`entity_rate_lfs`), with thresholds chosen on the first half of the CDR
development set (the 250 abstracts of the train split held out, against their gold
pairs; never on the dev split that is reported):

- ``LF_kb_rare_cause`` (-1): the chemical was a CID argument in under 10% of the (at
  least 2) other train abstracts naming it; 96% of such pairs are negative there;
- ``LF_kb_rare_effect`` (-1): the same for the disease;
- ``LF_kb_frequent_pair`` (+1): the pair shares a sentence and both entities were CID
  arguments in at least half of the other train abstracts naming them (precision 0.62).

Adding the three raised the generative model's document-level F1 on that held-out half
from 0.530 to 0.575 (majority vote from 0.492 to 0.518).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from snorkel_ie.examples.cdr_lfs import LF, _pair_ids, document_index, entity_ids

__all__ = ["EntityRateLF", "EntityRates", "entity_rate_lfs", "training_entity_rates"]

MIN_DOCUMENTS = 2
"""An entity seen in fewer other train abstracts has no rate (the LFs abstain)."""
RARE = 0.1
FREQUENT = 0.5


class EntityRates:
    """Per (entity type, MeSH id): the train documents naming it and those where it is a CID argument."""

    def __init__(self, documents: Iterable[tuple[str, Iterable[tuple[str, str]], Iterable[tuple[str, str]]]]):
        """``documents``: (name, mentions as (type, MeSH id field), CID pairs as (chemical, disease))."""
        self.seen: dict[tuple[str, str], set[str]] = {}
        self.positive: dict[tuple[str, str], set[str]] = {}
        for name, mentions, pairs in documents:
            for etype, cid in mentions:
                for x in entity_ids(cid):
                    self.seen.setdefault((etype, x), set()).add(name)
            for chem, dis in pairs:
                self.positive.setdefault(("Chemical", chem), set()).add(name)
                self.positive.setdefault(("Disease", dis), set()).add(name)

    def counts(self, etype: str, mesh_id: str, own: str) -> tuple[int, int]:
        """(other documents where the entity is a CID argument, other documents naming it)."""
        seen = self.seen.get((etype, mesh_id), set()) - {own}
        return len(self.positive.get((etype, mesh_id), set()) & seen), len(seen)

    def rate(self, etype: str, mesh_id: str, own: str) -> float | None:
        """Share of the other documents naming the entity where it is a CID argument (None: too few)."""
        positive, seen = self.counts(etype, mesh_id, own)
        return positive / seen if seen >= MIN_DOCUMENTS else None

    def best(self, etype: str, ids: Iterable[str], own: str) -> float | None:
        """The highest rate among ``ids`` (None when none has one)."""
        rates = [r for r in (self.rate(etype, x, own) for x in ids) if r is not None]
        return max(rates) if rates else None


def training_entity_rates(session: Any) -> EntityRates:
    """:class:`EntityRates` of the train split's documents (as ``training_cid_documents`` selects them)."""
    from snorkel_ie.db.models import Document, Sentence
    from snorkel_ie.examples.cdr import TRAIN, ChemicalDisease
    from snorkel_ie.labeling.gold import relation_pairs

    train_docs = (
        select(Sentence.document_id)
        .join(ChemicalDisease, ChemicalDisease.sentence_id == Sentence.id)
        .where(ChemicalDisease.split == TRAIN)
    )
    rows = session.execute(select(Document.name, Document.meta).where(Document.id.in_(train_docs)))
    return EntityRates((str(name), _mentions(meta), relation_pairs(meta, "CID")) for name, meta in rows)


def _mentions(meta: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(type, MeSH id field) of the ``[start, end, type, cid]`` mentions the reader stored in ``meta``."""
    return [(str(etype), str(cid)) for _start, _end, etype, cid in (meta or {}).get("mentions", [])]


class EntityRateLF:
    """One LF over :class:`EntityRates` (see the module docstring); ``mode`` is
    ``'rare_cause'``, ``'rare_effect'`` or ``'frequent_pair'``."""

    def __init__(self, rates: EntityRates, mode: str, name: str):
        self.rates, self.mode, self.__name__ = rates, mode, name

    def __call__(self, c: Any) -> int:
        chem, dis = _pair_ids(c)
        own = c.get_contexts()[0].sentence.document.name
        if self.mode == "rare_cause":
            r = self.rates.best("Chemical", chem, own)
            return -1 if r is not None and r < RARE else 0
        if self.mode == "rare_effect":
            r = self.rates.best("Disease", dis, own)
            return -1 if r is not None and r < RARE else 0
        rc, rd = self.rates.best("Chemical", chem, own), self.rates.best("Disease", dis, own)
        if rc is None or rd is None or rc < FREQUENT or rd < FREQUENT:
            return 0
        return 1 if document_index(c).co_occurrences(chem, dis) > 0 else 0

    def __repr__(self) -> str:
        return f"{self.__name__}(entities={len(self.rates.seen)})"


def entity_rate_lfs(rates: EntityRates) -> list[LF]:
    """The three entity-rate LFs."""
    return [
        EntityRateLF(rates, "rare_cause", "LF_kb_rare_cause"),
        EntityRateLF(rates, "rare_effect", "LF_kb_rare_effect"),
        EntityRateLF(rates, "frequent_pair", "LF_kb_frequent_pair"),
    ]
