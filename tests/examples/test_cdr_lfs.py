"""CDR labeling functions on real sentences of CDR training abstracts (plain objects, no database)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from snorkel_ie.db.models.context import TemporarySpan
from snorkel_ie.examples import cdr_lfs
from snorkel_ie.examples.cdr_lfs import RULES, TextLF, make_lfs

# (surface text, entity type, MeSH id) of the tagged mentions, as in the PubTator files
SULPIRIDE = ("sulpiride", "Chemical", "D013469")
LITHIUM = ("lithium", "Chemical", "D008094")
AMILORIDE = ("amiloride", "Chemical", "D000584")


@dataclass
class Doc:
    name: str
    sentences: list[Any] = field(default_factory=list)

    @property
    def stable_id(self) -> str:
        return f"test-cdr-lfs::{self.name}"


@dataclass
class Sent:
    text: str
    position: int
    document: Doc
    words: list[str]
    char_offsets: list[int]
    entity_types: list[str]
    entity_cids: list[str]


def _sentence(doc: Doc, text: str, mentions: list[tuple[str, str, str]]) -> Sent:
    tokens = list(re.finditer(r"\w+|[^\w\s]", text))
    types, cids = ["O"] * len(tokens), ["O"] * len(tokens)
    for surface, etype, cid in mentions:
        for found in re.finditer(re.escape(surface), text, flags=re.I):
            for i, t in enumerate(tokens):
                if found.start() <= t.start() < found.end():
                    types[i], cids[i] = etype, cid
    sent = Sent(text, len(doc.sentences), doc, [t.group() for t in tokens], [t.start() for t in tokens], types, cids)
    doc.sentences.append(sent)
    return sent


@dataclass
class Cand:
    chemical: TemporarySpan
    disease: TemporarySpan

    def get_contexts(self) -> tuple[TemporarySpan, TemporarySpan]:
        return self.chemical, self.disease

    def get_parent(self) -> Sent:
        return self.chemical.sentence

    def get_cids(self) -> tuple[str, str]:
        return tuple(s.get_attrib_tokens("entity_cids")[0] for s in self.get_contexts())


def _candidate(sent: Sent, chemical: str, disease: str) -> Cand:
    def span(surface: str) -> TemporarySpan:
        start = sent.text.lower().index(surface.lower())
        return TemporarySpan(sent, start, start + len(surface))

    return Cand(span(chemical), span(disease))


@pytest.fixture
def sulpiride_doc() -> Doc:
    """PubMed 1967484: the CID pair (sulpiride, tardive dystonia) is stated in the title only."""
    cdr_lfs._DOC_CACHE.clear()
    doc = Doc("1967484")
    dystonia = [("tardive dystonia", "Disease", "D004421"), ("dystonia", "Disease", "D004421")]
    _sentence(doc, "Sulpiride-induced tardive dystonia.", [SULPIRIDE, *dystonia])
    _sentence(
        doc,
        "Although initially thought to be free of extrapyramidal side effects, sulpiride-induced tardive "
        "dyskinesia and parkinsonism have been reported occasionally.",
        [SULPIRIDE, ("tardive dyskinesia", "Disease", "D004409"), ("parkinsonism", "Disease", "D010302")],
    )
    _sentence(
        doc,
        "We studied a 37-year-old man who developed persistent segmental dystonia within 2 months after "
        "starting sulpiride therapy.",
        [SULPIRIDE, *dystonia],
    )
    return doc


@pytest.fixture
def lithium_doc() -> Doc:
    """PubMed 7453952: lithium induces polydipsia in rats; amiloride attenuates it."""
    cdr_lfs._DOC_CACHE.clear()
    doc = Doc("7453952")
    _sentence(
        doc,
        "The effect of amiloride on lithium-induced polydipsia and polyuria and on the lithium concentration "
        "in the plasma, brain, kidney, thyroid and red blood cells was investigated in rats, chronically "
        "treated with LiCl.",
        [AMILORIDE, LITHIUM, ("polydipsia", "Disease", "D059606"), ("polyuria", "Disease", "D011141")],
    )
    return doc


def _lf(name: str) -> Any:
    (lf,) = [f for f in make_lfs(set()) if f.__name__ == name]
    return lf


def test_pair_lf_votes_from_the_title_on_a_body_sentence(sulpiride_doc: Doc):
    body = _candidate(sulpiride_doc.sentences[2], "sulpiride", "dystonia")
    assert TextLF("own sentence only", *cdr_lfs.INDUCED)(body) == 0
    assert _lf("LF_pair_induced")(body) == 1
    assert _lf("LF_pair_d_after_c")(body) == 1  # "dystonia ... after starting sulpiride therapy"


def test_pair_lf_keeps_pairs_apart(sulpiride_doc: Doc):
    other = _candidate(sulpiride_doc.sentences[1], "sulpiride", "parkinsonism")
    assert _lf("LF_pair_d_after_c")(other) == 0  # the "after" sentence names dystonia, not parkinsonism


def test_doc_other_inducer_votes_against_the_attenuating_chemical(lithium_doc: Doc):
    sent = lithium_doc.sentences[0]
    assert cdr_lfs.LF_doc_other_inducer(_candidate(sent, "amiloride", "polydipsia")) == -1
    assert cdr_lfs.LF_doc_other_inducer(_candidate(sent, "lithium", "polydipsia")) == 0
    assert _lf("LF_pair_induced")(_candidate(sent, "lithium", "polydipsia")) == 1
    assert _lf("LF_pair_induced")(_candidate(sent, "amiloride", "polydipsia")) == 0


@pytest.mark.parametrize(
    ("rule", "tagged", "vote"),
    [
        ("d_induced_by_c", "A patient with {{B}} and atrioventricular block, induced by {{A}}, prompted a review.", 1),
        ("d_induced_by_c", "{{B}} was not induced by {{A}} in these rats.", 0),
        ("c_cause_d", "Intravenous {{A}} in a 67-year-old man resulted in profound {{B}} of the nodes.", 1),
        ("protect_against_d", "Attenuation of the lithium-induced {{B}} by {{A}} in rats.", -1),
        ("c_for_d", "{{A}} in the treatment of {{B}}.", -1),
    ],
)
def test_rules_on_cdr_sentences(rule: str, tagged: str, vote: int):
    assert RULES[rule](tagged) == vote


def test_text_lf_rejects_rules_of_both_signs():
    with pytest.raises(ValueError, match="vote the same way"):
        TextLF("LF_mixed", RULES["c_cause_d"], RULES["c_treat_d"])


def test_kb_cid_leaves_the_candidates_own_document_out(lithium_doc: Doc):
    cand = _candidate(lithium_doc.sentences[0], "lithium", "polydipsia")
    pair = ("D008094", "D059606")
    (own_only,) = cdr_lfs.knowledge_base_lfs({pair: ["7453952"]}, negatives=False)
    (elsewhere,) = cdr_lfs.knowledge_base_lfs({pair: ["7453952", "1000000"]}, negatives=False)
    assert own_only(cand) == 0 and elsewhere(cand) == 1


def test_make_lfs_names_are_unique():
    names = [f.__name__ for f in make_lfs(set())]
    assert len(names) >= 30 and len(set(names)) == len(names)
