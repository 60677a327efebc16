"""Features of a CDR entity pair (a document's chemical MeSH id with its disease MeSH id) for the pair end model.

One bag of strings per pair, read from the abstract's
:class:`~snorkel_ie.examples.cdr_lfs.DocumentIndex` (all its sentences, not only the
mention candidates kept), hashed by :class:`~snorkel_ie.learning.discriminative.pair_model.PairModel`:

- document structure: how often each entity is mentioned and its rank among the
  abstract's chemicals / diseases, whether each is in the title, how many sentences
  they share, their smallest distance in sentences, where each first appears;
- text: the words (and bigrams) between the two mentions of every sentence they share,
  two words either side of each, and two words either side of every mention of either
  entity anywhere in the abstract (``"X-induced"``, ``"developed Y"``);
- distant supervision from the train split only, leaving the pair's own document out:
  whether the pair is a known CID pair (:func:`~snorkel_ie.examples.cdr.training_cid_documents`),
  whether either entity is known in another pair, and the entities' CID rates
  (:class:`~snorkel_ie.examples.cdr_kb.EntityRates`), bucketed;
- the LFs' votes on the pair (the sign of the sum of an LF's votes on the pair's mention
  candidates, :meth:`~snorkel_ie.labeling.entities.EntityPairs.votes`), when given.

Which groups to use was chosen on the 250 held-out abstracts of the train split (the
first half of the CDR development set), never on the dev split.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from snorkel_ie.examples.cdr_kb import EntityRates
from snorkel_ie.examples.cdr_lfs import DocumentIndex, document_index

__all__ = ["document_indexes", "pair_feature_bags"]

_TOKEN = re.compile(r"\{\{A\}\}|\{\{B\}\}|[a-z0-9]+(?:[-'][a-z0-9]+)*|[^\sa-z0-9]", re.I)
MAX_BETWEEN = 12
"""Words between the mentions beyond which only ``blen:far`` is said."""
MAX_SENTENCES = 6
"""Shared sentences (tagged texts) read per pair."""


def _tokens(text: str) -> list[str]:
    return ["0" if w.isdigit() else w.lower() for w in _TOKEN.findall(text)]


def _bucket(n: float, cuts: Sequence[float]) -> str:
    for c in cuts:
        if n <= c:
            return str(c)
    return f">{cuts[-1]}"


def document_indexes(views: Sequence[Any]) -> dict[str, DocumentIndex]:
    """Document name -> :class:`DocumentIndex`, from candidates (views or ORM objects) of those documents."""
    out: dict[str, DocumentIndex] = {}
    for c in views:
        name = c.get_contexts()[0].sentence.document.name
        if name not in out:
            out[name] = document_index(c)
    return out


class _KnownPairs:
    def __init__(self, kb: Mapping[tuple[str, str], frozenset[str]]):
        self.pairs = kb
        self.by_chemical: dict[str, list[frozenset[str]]] = {}
        self.by_disease: dict[str, list[frozenset[str]]] = {}
        for (a, b), docs in kb.items():
            self.by_chemical.setdefault(a, []).append(docs)
            self.by_disease.setdefault(b, []).append(docs)

    @staticmethod
    def _other(docs: frozenset[str] | None, own: str) -> bool:
        return docs is not None and (not docs or bool(docs - {own}))

    def features(self, doc: str, chem: str, dis: str) -> list[str]:
        """Knowledge-base features of a pair in document ``doc``, from the other training documents only."""
        pair = self._other(self.pairs.get((chem, dis)), doc)
        n_chem = sum(self._other(d, doc) for d in self.by_chemical.get(chem, ())) - pair
        n_dis = sum(self._other(d, doc) for d in self.by_disease.get(dis, ())) - pair
        return [f"kb_pair={pair}", f"kb_chem_other={n_chem > 0}", f"kb_dis_other={n_dis > 0}",
                f"kb_combo={pair}_{n_chem > 0}_{n_dis > 0}"]  # fmt: skip


def _structure(index: DocumentIndex, chem: str, dis: str) -> list[str]:
    nc, nd = index.counts.get(("Chemical", chem), 0), index.counts.get(("Disease", dis), 0)
    chems = [n for (t, _), n in index.counts.items() if t == "Chemical"]
    dises = [n for (t, _), n in index.counts.items() if t == "Disease"]
    rc, rd = 1 + sum(n > nc for n in chems), 1 + sum(n > nd for n in dises)
    sc = [i for i, s in enumerate(index.chemicals) if chem in s]
    sd = [i for i, s in enumerate(index.diseases) if dis in s]
    f = [
        f"nc={_bucket(nc, [1, 2, 3, 5])}", f"nd={_bucket(nd, [1, 2, 3, 5])}",
        f"ncnd={_bucket(nc, [1, 2, 4])}_{_bucket(nd, [1, 2, 4])}",
        f"rc={_bucket(rc, [1, 2, 3])}", f"rd={_bucket(rd, [1, 2, 3])}", f"rcrd={_bucket(rc, [1, 2])}_{_bucket(rd, [1, 2])}",
        f"nchems={_bucket(len(chems), [1, 2, 3, 5])}", f"ndis={_bucket(len(dises), [1, 2, 3, 5])}",
        f"title={0 in sc}_{0 in sd}", f"co={_bucket(len(set(sc) & set(sd)), [0, 1, 2])}",
    ]  # fmt: skip
    if sc and sd:
        f += [
            f"mindist={_bucket(min(abs(i - j) for i in sc for j in sd), [0, 1, 2, 4])}",
            f"first={_bucket(min(sc), [0, 1, 2, 4])}_{_bucket(min(sd), [0, 1, 2, 4])}",
            f"corder={min(sc) < min(sd)}",
            f"last={_bucket(len(index.texts) - 1 - max(sd), [0, 1, 2])}",
        ]
    return f


def _text(index: DocumentIndex, chem: str, dis: str) -> list[str]:
    f: list[str] = []
    for tagged in index.tagged_texts(frozenset([chem]), frozenset([dis]))[:MAX_SENTENCES]:
        words = _tokens(tagged)
        if "{{a}}" not in words or "{{b}}" not in words:
            continue
        ia, ib = words.index("{{a}}"), words.index("{{b}}")
        lo, hi = sorted((ia, ib))
        order = "AB" if ia < ib else "BA"
        between = words[lo + 1 : hi]
        if len(between) <= MAX_BETWEEN:
            f += [f"bw:{order}:{w}" for w in between]
            f += [f"bb:{order}:{x}_{y}" for x, y in pairwise(between)]
            f.append(f"blen:{_bucket(len(between), [0, 1, 3, 6])}")
        else:
            f.append("blen:far")
        f += [f"ra:{w}" for w in words[ia + 1 : ia + 3]] + [f"la:{w}" for w in words[max(0, ia - 2) : ia]]
        f += [f"rb:{w}" for w in words[ib + 1 : ib + 3]] + [f"lb:{w}" for w in words[max(0, ib - 2) : ib]]
    for text, mentions in zip(index.texts, index.mentions, strict=True):
        for m in mentions:
            if (m.etype == "Chemical" and chem in m.ids) or (m.etype == "Disease" and dis in m.ids):
                tag = "cx" if m.etype == "Chemical" else "dx"
                f += [f"{tag}l:{w}" for w in _tokens(text[: m.char_start])[-2:]]
                f += [f"{tag}r:{w}" for w in _tokens(text[m.char_end :])[:2]]
    return f


def _rates(rates: EntityRates, doc: str, chem: str, dis: str) -> list[str]:
    f = []
    for tag, etype, x in (("crate", "Chemical", chem), ("drate", "Disease", dis)):
        positive, seen = rates.counts(etype, x, doc)
        f.append(f"{tag}={'none' if seen < 2 else _bucket(round(positive / seen, 2), [0.0, 0.1, 0.25, 0.5, 0.75])}")
        f.append(f"{tag}n={_bucket(seen, [0, 2, 5, 10])}")
    return f


def pair_feature_bags(
    keys: Sequence[tuple[str, str, str]],
    indexes: Mapping[str, DocumentIndex],
    *,
    kb: Mapping[tuple[str, str], frozenset[str]],
    rates: EntityRates,
    votes: Any = None,
    lf_names: Sequence[str] | None = None,
) -> list[list[str]]:
    """One bag of feature strings per entity key ``(document name, chemical id, disease id)``.

    ``kb`` and ``rates`` come from the train split (each pair's own document is left out);
    ``votes`` (pairs x LFs, sparse, in ``keys`` order) adds ``lf:<name>=<vote>``.
    """
    known = _KnownPairs(kb)
    rows = None if votes is None else votes.tocsr()
    names = list(lf_names) if lf_names is not None else None
    bags = []
    for i, (doc, chem, dis) in enumerate(keys):
        index = indexes[doc]
        f = known.features(doc, chem, dis) + _rates(rates, doc, chem, dis) + _structure(index, chem, dis)
        f += _text(index, chem, dis)
        if rows is not None:
            lo, hi = rows.indptr[i], rows.indptr[i + 1]
            f += [
                f"lf:{names[j] if names else j}={int(np.sign(v))}"
                for j, v in zip(rows.indices[lo:hi], rows.data[lo:hi], strict=True)
            ]
        bags.append(f)
    return bags
