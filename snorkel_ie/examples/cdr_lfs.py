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

from snorkel_ie.labeling.lf_generators import ontology_lfs
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


# --- distant supervision ---------------------------------------------------------------


def knowledge_base_lfs(cid_pairs: Iterable[tuple[str, str]]) -> list[LF]:
    """Distant-supervision LFs from known (chemical MeSH, disease MeSH) CID pairs.

    ``LF_kb_cid`` votes +1 on a known pair. ``LF_kb_other_effect`` votes -1 when the
    chemical is a known cause of other diseases but not of this one (as the original
    used CTD's "therapeutic"/"unspecified" relations), and ``LF_kb_other_cause`` when the
    disease has other known causes.
    """
    pairs = {(a, b) for a, b in cid_pairs}
    chemicals = {a for a, _ in pairs}
    diseases = {b for _, b in pairs}
    ontology: Mapping[str, set[tuple[str, str]]] = {"cid": pairs}
    kb = ontology_lfs(ontology, {"cid": 1}, prefix="LF_kb_", cids=True)
    return [*kb, OtherKnownLF(chemicals, pairs, 0, "LF_kb_other_effect"), OtherKnownLF(diseases, pairs, 1, "LF_kb_other_cause")]


class OtherKnownLF:
    """-1 when argument ``position``'s entity is in ``known`` but the pair is not a known pair."""

    def __init__(self, known: set[str], pairs: set[tuple[str, str]], position: int, name: str):
        self.known, self.pairs, self.position, self.__name__ = frozenset(known), frozenset(pairs), position, name

    def __call__(self, c: Any) -> int:
        ids = [set(str(x).split("|")) - {"-1", "None"} for x in c.get_cids()]
        if not ids[self.position] & self.known:
            return 0
        return 0 if any((a, b) in self.pairs for a in ids[0] for b in ids[1]) else -1

    def __repr__(self) -> str:
        return f"{self.__name__}(known={len(self.known)}, pairs={len(self.pairs)})"


def make_lfs(cid_pairs: Iterable[tuple[str, str]]) -> list[LF]:
    """Every CDR labeling function: patterns, structure, and distant supervision from ``cid_pairs``."""
    return [*PATTERN_LFS, *knowledge_base_lfs(cid_pairs)]
