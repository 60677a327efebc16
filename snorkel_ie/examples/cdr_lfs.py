"""Labeling functions for chemical-induced-disease (CDR) relation extraction.

The families of the Snorkel 0.7 CDR tutorial, adapted to the data shipped here (there is
no CTD knowledge base: distant supervision comes from the CID pairs of the train split):

- causal patterns over the pair (``LF_pair_*``): CDR labels a (chemical, disease) MeSH
  pair per abstract, so a pattern such as "X-induced Y" in any sentence naming the pair
  labels every candidate of that pair (:class:`PairLF`);
- sentence patterns (treatment, prevention, negation, hedging, measurement) and structure
  (distance, closer competing entities) on the candidate's own sentence (:class:`TextLF`);
- document structure: how often and where the chemical and the disease are mentioned, and
  whether the abstract names another chemical as the disease's inducer;
- distant supervision: the pair is a known CID pair of another train document.

Positive LFs are kept roughly disjoint (no LF implies another): the generative model with
class-conditional propensities otherwise takes a cluster of nested LFs for the class
itself. :func:`make_lfs` returns the list; every LF pickles (to worker processes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from snorkel_ie.labeling.lf_helpers import get_tagged_text, same_sentence

LF = Callable[[Any], int]


def ltp(words: Iterable[str]) -> str:
    """A regex alternation group of ``words``: ``(a|b|c)``."""
    return "(" + "|".join(words) + ")"


# --- structure --------------------------------------------------------------------------


def _closer_entity(c: Any, anchor: Any, other: Any, entity_type: str) -> int:
    """-1 when another ``entity_type`` mention lies closer to ``anchor`` than ``other`` does
    (within one sentence; abstains on a candidate across sentences)."""
    sent = anchor.sentence
    if other.sentence is not sent and other.sentence.id != sent.id:
        return 0
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


# --- text rules over a tagged sentence --------------------------------------------------
#
# A rule reads a sentence's tagged text ({{A}} the chemical, {{B}} the disease) and votes.
# The same rule labels a candidate from its own sentence (TextLF) or from every sentence
# of its abstract that mentions the same chemical and disease (PairLF): CDR labels are
# stated per abstract, so one clear "X-induced Y" anywhere labels every mention of the pair.


class Rule(NamedTuple):
    """A named regular expression over tagged text that votes ``value`` when it matches
    (and ``unless`` does not)."""

    name: str
    pattern: re.Pattern[str]
    value: int
    unless: re.Pattern[str] | None = None

    def __call__(self, tagged: str) -> int:
        if self.pattern.search(tagged) is None:
            return 0
        if self.unless is not None and self.unless.search(tagged) is not None:
            return 0
        return self.value


def rule(name: str, pattern: str, value: int, unless: str | None = None) -> Rule:
    """A :class:`Rule` from case-insensitive regular expressions."""
    return Rule(name, re.compile(pattern, re.I), value, None if unless is None else re.compile(unless, re.I))


_A, _B = r"\{\{A\}\}", r"\{\{B\}\}"
_NEAR = r"[^.;]{0,%d}"
CAUSE_VERBS = ltp([
    "cause[sd]?", "causing", "induce[sd]?", "inducing", "produce[sd]?", "producing", "provoked?", "precipitated?",
    "resulted in", "results in", "leads? to", "led to", "elicit(ed|s)?", "evoked?", "triggered", "aggravated?",
    "exacerbated?", "worsened",
])  # fmt: skip
EFFECT_WORDS = ltp(["induced", "associated", "related", "provoked", "evoked", "mediated", "dependent", "triggered"])
EXPOSURE = ltp([
    "administration", "treatment", "therapy", "use", "intake", "ingestion", "infusion", "injection", "exposure",
    "overdose", "abuse", "withdrawal", "challenge", "dose", "doses", "dosing", "poisoning", "intoxication", "consumption",
])  # fmt: skip
TREAT_WORDS = ltp([
    "treat", "therap", "effective", "efficacy", "prevent", "protect", "resistant", "slow", "promis", "attenuat",
    "ameliorat", "alleviat", "reliev", "revers", "suppress", "inhibit", "antagoni", "benefi", "improv", "manage",
    "control", "counteract", "abolish", "block", "reduc", "decreas",
])  # fmt: skip
NEGATION = r"\b(not|no|nor|neither|without|absence of|lack of|failed to|did not|does not|unlikely)\b"

RULES: dict[str, Rule] = {r.name: r for r in [
    # chemical-induced disease
    rule("c_induced_d", _A + r"\s*-?\s*" + EFFECT_WORDS + r"\s+(\w+[\s-]+){0,3}?" + _B, 1),
    rule("d_induced_by_c", _B + _NEAR % 40 + r"\b(induced|caused|produced|provoked|evoked|precipitated|triggered)"
         r" (by|with)\b" + _NEAR % 40 + _A, 1, unless=NEGATION),
    rule("c_cause_d", _A + _NEAR % 50 + r"\s" + CAUSE_VERBS + r"\b" + _NEAR % 50 + _B, 1, unless=NEGATION),
    rule("d_after_c", _B + _NEAR % 50 + r"\b(after|following|during|upon|with)\b" + _NEAR % 40 + _A
         + r"\s*" + EXPOSURE, 1, unless=NEGATION),
    rule("d_due_to_c", _B + _NEAR % 40 + r"\b(due to|secondary to|attributed to|attributable to|related to|"
         r"associated with|caused by|resulting from|result of|consequence of|complication of)\b" + _NEAR % 40 + _A,
         1, unless=NEGATION),
    rule("c_exposure_d", _A + r"\s*" + EXPOSURE + _NEAR % 40 + r"\b(cause[sd]?|induced?|produced?|resulted in|"
         r"led to|associated with|is a risk factor for|increase[sd]? the (risk|incidence) of)\b" + _NEAR % 40 + _B,
         1, unless=NEGATION),
    rule("d_in_patients_given_c", _B + _NEAR % 60 + r"\b(patients?|subjects?|rats|mice|children|women|men|cases?)"
         r" (receiving|treated with|taking|given|on|exposed to|who received|who took|using)\b" + _NEAR % 30 + _A, 1,
         unless=NEGATION),
    rule("side_effect_of_c", r"\b(side[- ]effects?|adverse (effects?|events?|reactions?)|toxicity|complications?|"
         r"hazards?)\b" + _NEAR % 20 + r"\bof\b" + _NEAR % 20 + _A, 1),
    rule("c_toxicity", _A + r"\s*-?\s*(toxicity|overdose|poisoning|intoxication|abuse|neurotoxicity|"
         r"cardiotoxicity|nephrotoxicity|hepatotoxicity)", 1),
    rule("c_associated_d", _A + _NEAR % 60 + r"\b(associated with|linked to|correlated with|implicated in|"
         r"responsible for|a risk factor for|contributes? to|increase[sd]? the (risk|incidence|frequency) of)\b"
         + _NEAR % 60 + _B, 1, unless=NEGATION),
    rule("develop_d", r"\b(develop\w*|experienc\w*|suffer\w*|manifest\w*|onset of|occurrence of|incidence of|"
         r"episodes? of|cases? of|signs? of)\b" + _NEAR % 30 + _B, 1, unless=NEGATION),
    rule("d_during_c", _B + _NEAR % 60 + r"\b(during|after|following|with|under|on)\s+(\w+\s+){0,3}?"
         r"(treatment|therapy|administration|use|exposure|infusion|injection|doses?)\s+(with|of)\s+"
         + _NEAR % 30 + _A, 1, unless=NEGATION),
    rule("toxicities_include_d", r"\b(toxicit|adverse|side[- ]effect|complication|reaction)\w*" + _NEAR % 60
         + r"\b(includ\w*|consist\w*|such as|were|was)\b" + _NEAR % 80 + _B, 1),
    rule("risk_of_d", r"\b(risk|incidence|frequency|rate) of " + _B, 1, unless=NEGATION),
    rule("opening_c_induced_d", r"^" + _NEAR % 60 + _A + r"\s*(-\s*)?(induced|associated|related)" + _NEAR % 80 + _B, 1),
    # treatment, prevention and other non-causal relations
    rule("c_treat_d", _A + _NEAR % 50 + TREAT_WORDS + _NEAR % 50 + _B, -1),
    rule("d_treat_c", _B + _NEAR % 50 + TREAT_WORDS + _NEAR % 50 + _A, -1),
    rule("treat_d", TREAT_WORDS + r"\w*\s+(of\s+)?(the\s+)?" + _B, -1),
    rule("c_for_d", _A + r"\s+(for|in the (treatment|management|prevention|therapy) of|against|in)\s+(\w+\s+){0,2}"
         + _B, -1),
    rule("d_treated_with_c", _B + _NEAR % 40 + r"\b(treated|managed|controlled|reversed|prevented|responded|"
         r"improved|relieved|resolved)\b" + _NEAR % 20 + r"\b(with|by|to|after)\b" + _NEAR % 30 + _A, -1),
    rule("protect_against_d", r"\b(protect\w*|prevent\w*|attenuat\w*|ameliorat\w*|reduc\w*|inhibit\w*|"
         r"revers\w*|suppress\w*|block\w*)\b" + _NEAR % 40 + _B, -1),
    rule("other_induced_d", _A + r".{20,1000}\w-induced " + _B, -1),
    rule("d_induced_other", _B + r"\s+induced by\s+(?!" + _A + r")\w", -1),
    rule("in_patient_with_d", r"\bin (a )?patients? with " + _B, -1),
    rule("uncertain", r"\b(combin|possible|possibly|unlikely|whether|may|might|hypothes)" + _NEAR % 60 + _A, -1),
    rule("measure_c", r"\b(measur|level|concentration|plasma|serum)\w*" + _NEAR % 20 + _A
         + r"|" + _A + r"\s+(level|concentration)", -1),
    rule("neg_d", NEGATION + _NEAR % 25 + _B, -1),
    rule("weak_assertions", r"\b(none|although|was carried out|was conducted|seems|suggests|risk|implicated|"
         r"the aim|to (investigate|assess|study|evaluate|determine|examine))\b", -1),
    rule("far_apart", _A + r".{100,5000}" + _B + "|" + _B + r".{100,5000}" + _A, -1),
]}  # fmt: skip


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
        self.texts: list[str] = []
        self.mentions: list[list[Mention]] = []
        self._tagged: dict[tuple[frozenset[str], frozenset[str]], list[str]] = {}
        self._hits: dict[str, list[tuple[frozenset[str], frozenset[str]]]] = {}
        for sent in sentences:
            self.texts.append(sent.text)
            self.mentions.append(sentence_mentions(sent))
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

    def rule_hits(self, rule: Rule) -> list[tuple[frozenset[str], frozenset[str]]]:
        """The (chemical ids, disease ids) of every mention pair of the document on which ``rule`` fires."""
        hits = self._hits.get(rule.name)
        if hits is None:
            hits = []
            for text, mentions in zip(self.texts, self.mentions, strict=True):
                for a in mentions:
                    if a.etype != "Chemical" or not a.ids:
                        continue
                    hits += [(a.ids, b.ids) for b in mentions if b.etype == "Disease" and rule(tag_text(text, a, b))]
            self._hits[rule.name] = hits
        return hits

    def tagged_texts(self, chem: frozenset[str], dis: frozenset[str]) -> list[str]:
        """The tagged text (``{{A}}`` chemical, ``{{B}}`` disease) of every co-occurrence of
        the pair in the document: one per (chemical mention, disease mention) of a sentence."""
        key = (chem, dis)
        found = self._tagged.get(key)
        if found is None:
            found = []
            for text, mentions in zip(self.texts, self.mentions, strict=True):
                chems = [m for m in mentions if m.etype == "Chemical" and m.ids & chem]
                dises = [m for m in mentions if m.etype == "Disease" and m.ids & dis]
                found += [tag_text(text, a, b) for a in chems for b in dises]
            self._tagged[key] = found
        return found


_DOC_CACHE: dict[str, DocumentIndex] = {}


class Mention(NamedTuple):
    """A pre-tagged entity mention: its type, MeSH ids and sentence-relative characters."""

    etype: str
    ids: frozenset[str]
    char_start: int
    char_end: int


def sentence_mentions(sent: Any) -> list[Mention]:
    """The Chemical and Disease mentions of a sentence: runs of tokens with the same tag."""
    out: list[Mention] = []
    run: tuple[str, str] | None = None
    for i, (etype, cid) in enumerate(zip(sent.entity_types, sent.entity_cids, strict=False)):
        tag = (etype, cid) if etype in ("Chemical", "Disease") else None
        end = sent.char_offsets[i] + len(sent.words[i])
        if tag is not None and tag == run:
            out[-1] = out[-1]._replace(char_end=end)
        elif tag is not None:
            out.append(Mention(etype, entity_ids(cid), sent.char_offsets[i], end))
        run = tag
    return out


def tag_text(text: str, chemical: Mention, disease: Mention) -> str:
    """``text`` with the chemical replaced by ``{{A}}`` and the disease by ``{{B}}``."""
    for m, tag in sorted(((chemical, "{{A}}"), (disease, "{{B}}")), key=lambda x: -x[0].char_start):
        text = text[: m.char_start] + tag + text[m.char_end :]
    return text


def entity_ids(cid: Any) -> frozenset[str]:
    """The MeSH ids of a pre-tagged entity id (``'D1|D2'`` -> both; ``'-1'`` -> none)."""
    return frozenset(str(cid).split("|")) - {"-1", "None", ""}


def document_index(c: Any) -> DocumentIndex:
    """The candidate's :class:`DocumentIndex`, built once per document (per process)."""
    doc = c.get_contexts()[0].sentence.document
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


class TextLF:
    """Rules applied to the candidate's own sentence: votes when any of them fires.

    All ``rules`` must vote the same way. A candidate whose mentions lie in different
    sentences gets no vote unless ``cross_sentence`` (its tagged text then runs from the
    first mention's sentence to the last's). Instances pickle (to worker processes).
    """

    def __init__(self, name: str, *rules: Rule, cross_sentence: bool = False):
        if not rules or len({r.value for r in rules}) != 1:
            raise ValueError(f"{name}: give one or more rules that vote the same way, got {rules!r}")
        self.rules, self.value, self.__name__ = rules, rules[0].value, name
        self.cross_sentence = cross_sentence

    def fires(self, tagged: str) -> bool:
        return any(r(tagged) for r in self.rules)

    def __call__(self, c: Any) -> int:
        if not self.cross_sentence and not same_sentence(c):
            return 0
        return self.value if self.fires(get_tagged_text(c)) else 0

    def __repr__(self) -> str:
        return self.__name__


class PairLF(TextLF):
    """Rules applied to every sentence of the abstract that mentions the candidate's chemical
    and disease (by MeSH id): votes when a rule fires on any of them. Mentions without an
    id (``'-1'``) fall back to the candidate's own sentence."""

    def __call__(self, c: Any) -> int:
        chem, dis = _pair_ids(c)
        texts = document_index(c).tagged_texts(chem, dis) if chem and dis else []
        if not texts and not same_sentence(c):
            return 0
        return self.value if any(self.fires(t) for t in texts or [get_tagged_text(c)]) else 0


INDUCED = (RULES["c_induced_d"], RULES["d_induced_by_c"])


def LF_doc_other_inducer(c: Any) -> int:
    """-1: the abstract says the disease is induced by another chemical ("X-induced Y",
    "Y induced by X"), never by this one (as in an animal model with a protective agent)."""
    chem, dis = _pair_ids(c)
    index = document_index(c)
    hits = [(a, b) for r in INDUCED for a, b in index.rule_hits(r)]
    if any(a & chem and b & dis for a, b in hits):
        return 0
    return -1 if any(b & dis and not a & chem for a, b in hits) else 0


PAIR_LFS: list[LF] = [
    PairLF("LF_pair_induced", *INDUCED),
    PairLF("LF_pair_c_cause_d", RULES["c_cause_d"]),
    PairLF("LF_pair_d_due_to_c", RULES["d_due_to_c"]),
    PairLF("LF_pair_d_after_c", RULES["d_after_c"], RULES["d_during_c"]),
    PairLF("LF_pair_c_associated_d", RULES["c_associated_d"]),
    PairLF("LF_pair_develop_d", RULES["develop_d"]),
    PairLF("LF_pair_risk_of_d", RULES["risk_of_d"]),
    PairLF("LF_pair_d_in_patients_given_c", RULES["d_in_patients_given_c"]),
    PairLF("LF_pair_toxicities_include_d", RULES["toxicities_include_d"]),
    PairLF("LF_pair_c_exposure_d", RULES["c_exposure_d"]),
    PairLF("LF_pair_side_effect_of_c", RULES["side_effect_of_c"]),
    PairLF("LF_pair_c_toxicity", RULES["c_toxicity"]),
]
SENTENCE_LFS: list[LF] = [
    TextLF("LF_opening_c_induced_d", RULES["opening_c_induced_d"]),
    TextLF("LF_treat", *(RULES[n] for n in ("c_treat_d", "d_treat_c", "treat_d", "c_for_d", "d_treated_with_c"))),
    *(TextLF(f"LF_{n}", RULES[n]) for n in (
        "protect_against_d", "other_induced_d", "d_induced_other", "in_patient_with_d", "uncertain", "measure_c",
        "neg_d", "weak_assertions",
    )),
    TextLF("LF_far_apart", RULES["far_apart"], cross_sentence=True),
    LF_closer_chem,
    LF_closer_dis,
]  # fmt: skip


# --- distant supervision ---------------------------------------------------------------


def knowledge_base_lfs(
    cid_pairs: Iterable[tuple[str, str]] | Mapping[tuple[str, str], Iterable[str]], *, negatives: bool = True
) -> list[LF]:
    """Distant-supervision LFs from known (chemical MeSH, disease MeSH) CID pairs.

    ``LF_kb_cid`` votes +1 on a known pair. With ``negatives``, ``LF_kb_other_effect``
    votes -1 when the chemical is a known cause of other diseases but not of this one (as
    the original used CTD's "therapeutic"/"unspecified" relations), and
    ``LF_kb_other_cause`` when the disease has other known causes. :func:`make_lfs` leaves
    those two out: with the training pairs as the only knowledge base they are noisy
    (accuracy about 0.62 at 50% coverage on train) and add nothing to the model.

    Given a mapping pair -> names of the documents that state it (as
    :func:`snorkel_ie.examples.cdr.training_cid_documents` returns), a candidate's own
    document is left out of the knowledge base: a train candidate then sees the knowledge
    base a dev candidate sees (the other train documents' pairs), instead of its own gold.
    """
    if isinstance(cid_pairs, Mapping):
        known = {(str(a), str(b)): frozenset(map(str, docs)) for (a, b), docs in cid_pairs.items()}
    else:
        known = {(str(a), str(b)): frozenset() for a, b in cid_pairs}
    if not negatives:
        return [KnowledgeBaseLF(known, "pair", 1, "LF_kb_cid")]
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
        own = c.get_contexts()[0].sentence.document.name if any(self.pairs.values()) else ""
        pair = self._pair_known(chem, dis, own)
        if self.mode == "pair":
            return self.value if pair else 0
        table, ids = (self.chemicals, chem) if self.mode == "chemical" else (self.diseases, dis)
        return self.value if not pair and self._entity_known(table, ids, own) else 0

    def __repr__(self) -> str:
        return f"{self.__name__}(pairs={len(self.pairs)})"


def make_lfs(
    cid_pairs: Iterable[tuple[str, str]] | Mapping[tuple[str, str], Iterable[str]], rates: Any = None
) -> list[LF]:
    """Every CDR labeling function: causal patterns over the pair's sentences, sentence
    patterns and structure, document structure, and the known-pair LF from ``cid_pairs``
    (a set of pairs, or pair -> document names to leave a candidate's own document out;
    see :func:`knowledge_base_lfs`). Given ``rates``
    (:func:`snorkel_ie.examples.cdr_kb.training_entity_rates`), also the entity-rate LFs
    of :mod:`snorkel_ie.examples.cdr_kb`."""
    from snorkel_ie.examples.cdr_doc_lfs import DOCUMENT_LFS
    from snorkel_ie.examples.cdr_kb import entity_rate_lfs

    document = [LF_doc_chemical_once, LF_doc_single_mention_pair, LF_doc_minor_chemical, LF_doc_minor_disease]
    return [
        *PAIR_LFS,
        *knowledge_base_lfs(cid_pairs, negatives=False),
        *SENTENCE_LFS,
        *document,
        LF_doc_other_inducer,
        *DOCUMENT_LFS,
        *(entity_rate_lfs(rates) if rates is not None else []),
    ]
