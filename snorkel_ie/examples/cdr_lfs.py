"""Labeling functions for chemical-induced-disease (CDR) relation extraction.

Three families, as in the Snorkel 0.7 CDR tutorial, adapted to the data shipped here
(there is no CTD knowledge base: distant supervision comes from the CID pairs of the
training documents and the MeSH dictionaries):

- distant supervision: the candidate's (chemical, disease) MeSH pair is a known CID pair;
- textual patterns around and between the arguments ("induced by", "treatment of", ...);
- structure: distance between the arguments, closer competing entities, title sentences.

:func:`make_lfs` returns the full list; the pattern LFs are plain module-level functions
(so they pickle to worker processes), the knowledge-base LFs are built from data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from snorkel_ie.labeling.lf_helpers import (
    get_tagged_text,
    rule_regex_search_before_A,
    rule_regex_search_before_B,
    rule_regex_search_btw_AB,
    rule_regex_search_btw_BA,
    rule_regex_search_tagged_text,
)

LF = Callable[[Any], int]


def ltp(words: Iterable[str]) -> str:
    """A regex alternation group of ``words``: ``(a|b|c)``."""
    return "(" + "|".join(words) + ")"


def _search(pattern: str, c: Any) -> bool:
    return re.search(pattern, get_tagged_text(c), flags=re.I) is not None


CAUSAL_PAST = ["induced", "caused", "due"]
CAUSAL = ["cause[sd]?", "induce[sd]?", "associated with"]
TREAT = ["treat", "effective", "prevent", "resistant", "slow", "promise", "therap"]
PATIENT = ["in a patient with ", "in patients with"]
UNCERTAIN = ["combin", "possible", "unlikely"]
PROCEDURE = ["inject", "administrat"]
WEAK_PHRASES = [
    "none", "although", "was carried out", "was conducted", "seems", "suggests", "risk",
    "implicated", "the aim", "to (investigate|assess|study)",
]  # fmt: skip


# --- textual patterns -------------------------------------------------------------------


def LF_induce(c: Any) -> int:
    return 1 if _search(r"{{A}}.{0,20}induc.{0,20}{{B}}", c) else 0


def LF_d_induced_by_c(c: Any) -> int:
    return rule_regex_search_btw_BA(c, ".{0,50}" + ltp(CAUSAL_PAST) + ".{0,9}(by|to).{0,50}", 1)


def LF_d_induced_by_c_tight(c: Any) -> int:
    return rule_regex_search_btw_BA(c, ".{0,50}" + ltp(CAUSAL_PAST) + " (by|to) ", 1)


def LF_induce_name(c: Any) -> int:
    return 1 if "induc" in c.chemical.get_span().lower() else 0


def LF_c_cause_d(c: Any) -> int:
    causes = _search(r"{{A}}.{0,50} " + ltp(CAUSAL) + r".{0,50}{{B}}", c)
    negated = _search(r"{{A}}.{0,50}(not|no).{0,20}" + ltp(CAUSAL) + r".{0,50}{{B}}", c)
    return 1 if causes and not negated else 0


def LF_d_treat_c(c: Any) -> int:
    return rule_regex_search_btw_BA(c, ".{0,50}" + ltp(TREAT) + ".{0,50}", -1)


def LF_c_treat_d(c: Any) -> int:
    return rule_regex_search_btw_AB(c, ".{0,50}" + ltp(TREAT) + ".{0,50}", -1)


def LF_treat_d(c: Any) -> int:
    return rule_regex_search_before_B(c, ltp(TREAT) + ".{0,50}", -1)


def LF_c_treat_d_wide(c: Any) -> int:
    return rule_regex_search_btw_AB(c, ".{0,200}" + ltp(TREAT) + ".{0,200}", -1)


def LF_c_d(c: Any) -> int:
    return 1 if "{{A}} {{B}}" in get_tagged_text(c) else 0


def LF_c_induced_d(c: Any) -> int:
    chemical = c.chemical.get_span().lower()
    adjacent = "{{A}} {{B}}" in get_tagged_text(c) or "{{A}}-induced {{B}}" in get_tagged_text(c)
    return 1 if adjacent and ("-induc" in chemical or "-assoc" in chemical or "-induced" in get_tagged_text(c)) else 0


def LF_improve_before_disease(c: Any) -> int:
    return rule_regex_search_before_B(c, "improv.*", -1)


def LF_in_patient_with(c: Any) -> int:
    return -1 if _search(ltp(PATIENT) + "{{B}}", c) else 0


def LF_uncertain(c: Any) -> int:
    return rule_regex_search_before_A(c, ltp(UNCERTAIN) + ".*", -1)


def LF_induced_other(c: Any) -> int:
    return rule_regex_search_tagged_text(c, "{{A}}.{20,1000}-induced {{B}}", -1)


def LF_far_c_d(c: Any) -> int:
    return rule_regex_search_btw_AB(c, ".{100,5000}", -1)


def LF_far_d_c(c: Any) -> int:
    return rule_regex_search_btw_BA(c, ".{100,5000}", -1)


def LF_risk_d(c: Any) -> int:
    return rule_regex_search_before_B(c, "risk of ", 1)


def LF_develop_d_following_c(c: Any) -> int:
    return 1 if _search(r"develop.{0,25}{{B}}.{0,25}following.{0,25}{{A}}", c) else 0


def LF_d_following_c(c: Any) -> int:
    return 1 if _search("{{B}}.{0,50}following.{0,20}{{A}}.{0,50}" + ltp(PROCEDURE), c) else 0


def LF_measure(c: Any) -> int:
    return -1 if _search("measur.{0,75}{{A}}", c) else 0


def LF_level(c: Any) -> int:
    return -1 if _search("{{A}}.{0,25} level", c) else 0


def LF_neg_d(c: Any) -> int:
    return -1 if _search("(none|not|no) .{0,25}{{B}}", c) else 0


def LF_weak_assertions(c: Any) -> int:
    return -1 if _search("|".join(WEAK_PHRASES), c) else 0


# --- structure --------------------------------------------------------------------------


def _closer_entity(c: Any, anchor: Any, other: Any, entity_type: str) -> int:
    """-1 when another ``entity_type`` mention lies closer to ``anchor`` than ``other`` does."""
    sent = c.get_parent()
    a_start, a_end = anchor.get_word_start(), anchor.get_word_end()
    o_start, o_end = other.get_word_start(), other.get_word_end()
    dist = o_start - a_end if o_start > a_end else a_start - o_end
    own = sent.entity_cids[o_start]
    lo, hi = max(0, a_start - dist // 2), min(len(sent.words), a_end + 1 + dist // 2)
    for i in range(lo, hi):
        if sent.entity_types[i] == entity_type and sent.entity_cids[i] != own and not o_start <= i <= o_end:
            return -1
    return 0


def LF_closer_chem(c: Any) -> int:
    return _closer_entity(c, c.disease, c.chemical, "Chemical")


def LF_closer_dis(c: Any) -> int:
    return _closer_entity(c, c.chemical, c.disease, "Disease")


def LF_title_induced(c: Any) -> int:
    """A title that states the relation ("Clonidine-induced hypotension", "... induced by X")."""
    if c.get_parent().position != 0:
        return 0
    return 1 if _search(r"{{A}}.{0,3}induced.{0,3}{{B}}|{{B}}.{0,30}induced by.{0,30}{{A}}", c) else 0


PATTERN_LFS: list[LF] = [
    LF_c_cause_d, LF_c_d, LF_c_induced_d, LF_c_treat_d, LF_c_treat_d_wide, LF_closer_chem, LF_closer_dis,
    LF_d_following_c, LF_d_induced_by_c, LF_d_induced_by_c_tight, LF_d_treat_c, LF_develop_d_following_c,
    LF_far_c_d, LF_far_d_c, LF_improve_before_disease, LF_in_patient_with, LF_induce, LF_induce_name,
    LF_induced_other, LF_level, LF_measure, LF_neg_d, LF_risk_d, LF_title_induced, LF_treat_d, LF_uncertain,
    LF_weak_assertions,
]  # fmt: skip


# --- document structure -----------------------------------------------------------------
#
# CDR labels are document-level (a pair is positive when the abstract states the relation
# anywhere), so how the pair's entities are used across the abstract is strong evidence:
# a chemical mentioned once, outside the title, is rarely the abstract's cause of anything.


class DocumentIndex:
    """Chemical and disease ids of each sentence of a document, and mention counts per id."""

    def __init__(self, sentences: Iterable[Any]):
        self.chemicals: list[frozenset[str]] = []
        self.diseases: list[frozenset[str]] = []
        self.counts: dict[tuple[str, str], int] = {}
        for sent in sentences:
            found: dict[str, set[str]] = {"Chemical": set(), "Disease": set()}
            previous = None
            for etype, cid in zip(sent.entity_types, sent.entity_cids, strict=False):
                if etype not in found:
                    previous = None
                    continue
                found[etype] |= entity_ids(cid)
                if (etype, cid) != previous:  # a new mention
                    for x in entity_ids(cid):
                        self.counts[(etype, x)] = self.counts.get((etype, x), 0) + 1
                previous = (etype, cid)
            self.chemicals.append(frozenset(found["Chemical"]))
            self.diseases.append(frozenset(found["Disease"]))
        self.top = {t: max((n for (tt, _), n in self.counts.items() if tt == t), default=0) for t in found}

    def count(self, etype: str, ids: frozenset[str]) -> int:
        """Mentions of the most mentioned id among ``ids``."""
        return max((self.counts.get((etype, x), 0) for x in ids), default=0)

    def co_occurrences(self, chem: frozenset[str], dis: frozenset[str]) -> int:
        """Number of sentences that mention both the chemical and the disease."""
        return sum(1 for c, d in zip(self.chemicals, self.diseases, strict=True) if chem & c and dis & d)

    def in_title(self, chem: frozenset[str], dis: frozenset[str]) -> tuple[bool, bool]:
        return bool(chem & self.chemicals[0]), bool(dis & self.diseases[0])


_DOC_CACHE: dict[str, DocumentIndex] = {}


def entity_ids(cid: Any) -> frozenset[str]:
    """The MeSH ids of a pre-tagged entity id (``'D1|D2'`` -> both; ``'-1'`` -> none)."""
    return frozenset(str(cid).split("|")) - {"-1", "None", ""}


def document_index(c: Any) -> DocumentIndex:
    """The candidate's :class:`DocumentIndex`, built once per document (per process)."""
    doc = c.get_parent().document
    key = doc.stable_id
    index = _DOC_CACHE.get(key)
    if index is None:
        if len(_DOC_CACHE) > 4096:
            _DOC_CACHE.clear()
        index = _DOC_CACHE[key] = DocumentIndex(doc.sentences)
    return index


def _pair_ids(c: Any) -> tuple[frozenset[str], frozenset[str]]:
    chem, dis = c.get_cids()
    return entity_ids(chem), entity_ids(dis)


def LF_doc_chemical_once(c: Any) -> int:
    """-1: the chemical is mentioned once in the abstract and not in its title."""
    chem, dis = _pair_ids(c)
    index = document_index(c)
    return -1 if index.count("Chemical", chem) <= 1 and not index.in_title(chem, dis)[0] else 0


def LF_doc_minor_chemical(c: Any) -> int:
    """-1: another chemical is mentioned more often, and this one is not in the title."""
    chem, dis = _pair_ids(c)
    index = document_index(c)
    return -1 if index.count("Chemical", chem) < index.top["Chemical"] and not index.in_title(chem, dis)[0] else 0


def LF_doc_minor_disease(c: Any) -> int:
    """-1: another disease is mentioned more often, and this one is not in the title."""
    chem, dis = _pair_ids(c)
    index = document_index(c)
    return -1 if index.count("Disease", dis) < index.top["Disease"] and not index.in_title(chem, dis)[1] else 0


def LF_doc_single_mention_pair(c: Any) -> int:
    """-1: the pair meets in this sentence only, and neither entity is in the title."""
    chem, dis = _pair_ids(c)
    index = document_index(c)
    return -1 if index.co_occurrences(chem, dis) <= 1 and not any(index.in_title(chem, dis)) else 0


def LF_doc_main_pair(c: Any) -> int:
    """+1: both are the abstract's most mentioned chemical and disease, and meet in several sentences."""
    chem, dis = _pair_ids(c)
    index = document_index(c)
    main = (
        index.count("Chemical", chem) == index.top["Chemical"] and index.count("Disease", dis) == index.top["Disease"]
    )
    return 1 if main and index.co_occurrences(chem, dis) >= 2 else 0


def LF_doc_title_pair(c: Any) -> int:
    """+1: the title names both the chemical and the disease, and they meet in the body too."""
    chem, dis = _pair_ids(c)
    index = document_index(c)
    return 1 if all(index.in_title(chem, dis)) and index.co_occurrences(chem, dis) >= 3 else 0


DOCUMENT_LFS: list[LF] = [
    LF_doc_chemical_once, LF_doc_main_pair, LF_doc_minor_chemical, LF_doc_minor_disease,
    LF_doc_single_mention_pair, LF_doc_title_pair,
]  # fmt: skip


# --- distant supervision ---------------------------------------------------------------


def knowledge_base_lfs(cid_pairs: Iterable[tuple[str, str]] | Mapping[tuple[str, str], Iterable[str]]) -> list[LF]:
    """Distant-supervision LFs from known (chemical MeSH, disease MeSH) CID pairs.

    ``LF_kb_cid`` votes +1 on a known pair. ``LF_kb_other_effect`` votes -1 when the
    chemical is a known cause of other diseases but not of this one (as the original
    used CTD's "therapeutic"/"unspecified" relations), and ``LF_kb_other_cause`` when the
    disease has other known causes.

    Given a mapping pair -> names of the documents that state it (as
    :func:`snorkel_ie.examples.cdr.training_cid_documents` returns), a candidate's own
    document is left out of the knowledge base: a train candidate then sees the knowledge
    base a dev candidate sees (the other train documents' pairs), instead of its own gold.
    """
    if isinstance(cid_pairs, Mapping):
        known = {(str(a), str(b)): frozenset(map(str, docs)) for (a, b), docs in cid_pairs.items()}
    else:
        known = {(str(a), str(b)): frozenset() for a, b in cid_pairs}
    return [
        KnowledgeBaseLF(known, "pair", 1, "LF_kb_cid"),
        KnowledgeBaseLF(known, "chemical", -1, "LF_kb_other_effect"),
        KnowledgeBaseLF(known, "disease", -1, "LF_kb_other_cause"),
    ]


class KnowledgeBaseLF:
    """A distant-supervision LF over known pairs, leaving the candidate's own document out.

    ``mode`` ``'pair'``: vote ``value`` when the pair is known; ``'chemical'`` /
    ``'disease'``: vote ``value`` when that argument is in a known pair but the pair is not.
    """

    def __init__(self, known: Mapping[tuple[str, str], frozenset[str]], mode: str, value: int, name: str):
        self.pairs = dict(known)
        self.chemicals: dict[str, frozenset[str]] = {}
        self.diseases: dict[str, frozenset[str]] = {}
        for (a, b), docs in self.pairs.items():
            self.chemicals[a] = self.chemicals.get(a, frozenset()) | docs
            self.diseases[b] = self.diseases.get(b, frozenset()) | docs
        self.mode, self.value, self.__name__ = mode, value, name

    @staticmethod
    def _known(docs: frozenset[str] | None, own: str) -> bool:
        if docs is None:
            return False
        return not docs or bool(docs - {own})

    def _pair_known(self, chem: frozenset[str], dis: frozenset[str], own: str) -> bool:
        return any(self._known(self.pairs.get((a, b)), own) for a in chem for b in dis)

    def _entity_known(self, table: dict[str, frozenset[str]], ids: frozenset[str], own: str) -> bool:
        """Some pair of this entity is stated by a document other than the candidate's own."""
        return any(self._known(table.get(x), own) for x in ids)

    def __call__(self, c: Any) -> int:
        chem, dis = _pair_ids(c)
        own = c.get_parent().document.name if any(self.pairs.values()) else ""
        pair = self._pair_known(chem, dis, own)
        if self.mode == "pair":
            return self.value if pair else 0
        table, ids = (self.chemicals, chem) if self.mode == "chemical" else (self.diseases, dis)
        return self.value if not pair and self._entity_known(table, ids, own) else 0

    def __repr__(self) -> str:
        return f"{self.__name__}(pairs={len(self.pairs)})"


def make_lfs(cid_pairs: Iterable[tuple[str, str]] | Mapping[tuple[str, str], Iterable[str]]) -> list[LF]:
    """Every CDR labeling function: patterns, structure, document structure and distant
    supervision from ``cid_pairs`` (a set of pairs, or pair -> document names to leave a
    candidate's own document out; see :func:`knowledge_base_lfs`)."""
    return [*PATTERN_LFS, *DOCUMENT_LFS, *knowledge_base_lfs(cid_pairs)]
