"""Declarative LFs and LF generators on real CDR and spouse candidates (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from snorkel_ie.candidates import CandidateExtractor, Ngrams, PersonMatcher, PretaggedCandidateExtractor
from snorkel_ie.db.models import Sentence, candidate_subclass
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling.lf_generators import (
    keywords_between_lf,
    knowledge_base_lf,
    normalize_entity,
    ontology_lfs,
    regex_between_lf,
    regex_tagged_text_lf,
)
from tests.candidates.corpus import cdr_documents, spouse_documents

Spouse = candidate_subclass("Spouse", ["person1", "person2"])
ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])
SPOUSE_DOC = "28fa0915-ec80-4b41-9875-6d2f0a1b4dcc"


@pytest.fixture
def cdr_cands(session, shared_data):
    docs = cdr_documents(shared_data, limit=8)
    session.add_all(docs)
    session.commit()
    PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"]).apply(session.query(Sentence), progress=False)
    cands = session.scalars(select(ChemicalDisease).order_by(ChemicalDisease.id)).all()
    relations = {d.name: {tuple(r) for r in d.meta["relations"]} for d in docs}
    return cands, relations


@pytest.fixture
def spouse_cands(session, shared_data):
    session.add_all(spouse_documents(shared_data, [SPOUSE_DOC], bio=True))
    session.commit()
    CandidateExtractor(Spouse, Ngrams(n_max=4), PersonMatcher()).apply(session.query(Sentence), progress=False)
    return session.scalars(select(Spouse).order_by(Spouse.id)).all()


def _texts(c):
    return tuple(s.get_span() for s in c.get_contexts())


def test_regex_between_lf_labels_and_respects_direction(spouse_cands) -> None:
    lf = regex_between_lf(r"\bmarried\b", 1, name="LF_married")
    fired = [c for c in spouse_cands if lf(c) == 1]
    assert ("Kim Davis", "Joe Davis") in {_texts(c) for c in fired}
    assert all("married" in c.sentence.text[c.person1.char_end : c.person2.char_start] for c in fired)
    assert {lf(c) for c in spouse_cands} == {0, 1}
    ba = regex_between_lf(r"\bmarried\b", 1, direction="BA")
    assert all(ba(c) == 0 for c in spouse_cands if c.person1.char_start < c.person2.char_start)
    assert lf.__name__ == "LF_married"
    assert "married" in lf.__lf_source__


def test_regex_tagged_text_and_keyword_lfs(spouse_cands) -> None:
    tagged = regex_tagged_text_lf(r"{{A}} then married {{B}}", 1, name="LF_then_married")
    keywords = keywords_between_lf(["wife", "married", "husband"], 1, name="LF_spouse_words")
    hits = {_texts(c) for c in spouse_cands if tagged(c)}
    assert hits == {("Kim Davis", "Joe Davis")}
    assert hits <= {_texts(c) for c in spouse_cands if keywords(c)}
    negative = keywords_between_lf(["children"], -1)
    assert {negative(c) for c in spouse_cands} <= {0, -1}


def test_knowledge_base_lf_on_entity_ids_matches_the_cid_relations(cdr_cands) -> None:
    cands, relations = cdr_cands
    pairs = set().union(*relations.values())
    lf = knowledge_base_lf(pairs, 1, name="LF_cid_pairs", cids=True)
    expected = [
        c for c in cands if any((a, b) in pairs for a in c.get_cids()[0].split("|") for b in c.get_cids()[1].split("|"))
    ]
    assert expected
    assert [c for c in cands if lf(c) == 1] == expected
    assert {lf(c) for c in cands} == {0, 1}


def test_knowledge_base_lf_on_normalised_text(cdr_cands) -> None:
    cands, _ = cdr_cands
    lf = knowledge_base_lf({("  Clonidine ", "HYPERTENSIVE")}, -1, name="LF_known_text")
    fired = [c for c in cands if lf(c) == -1]
    assert fired and all(normalize_entity(c.chemical.get_span()) == "clonidine" for c in fired)
    flipped = knowledge_base_lf({("hypertensive", "clonidine")}, 1)
    assert not any(flipped(c) for c in cands)
    assert [c for c in cands if knowledge_base_lf({("hypertensive", "clonidine")}, 1, symmetric=True)(c)] == fired


def test_ontology_lfs_make_one_lf_per_category(cdr_cands) -> None:
    cands, relations = cdr_cands
    causes = set().union(*relations.values())
    treats = {("D009270", "D006973")}  # naloxone / hypertension: labelled as "treats" for the test
    lfs = ontology_lfs(
        {"Causes": causes, "Treats": treats, "Unspecified": set()},
        {"Causes": 1, "Treats": -1, "Unspecified": 0},
        prefix="LF_ctd_",
        cids=True,
    )
    assert [lf.__name__ for lf in lfs] == ["LF_ctd_Causes", "LF_ctd_Treats"]
    by_name = {lf.__name__: lf for lf in lfs}
    assert {by_name["LF_ctd_Causes"](c) for c in cands} == {0, 1}
    assert {by_name["LF_ctd_Treats"](c) for c in cands} == {0, -1}
    assert lfs[0].__lf_source__ != lfs[1].__lf_source__


def test_generated_lf_sources_change_with_their_parameters() -> None:
    a = regex_between_lf("cause", 1, name="LF_x")
    b = regex_between_lf("causes", 1, name="LF_x")
    c = knowledge_base_lf({("a", "b")}, name="LF_y")
    d = knowledge_base_lf({("a", "c")}, name="LF_y")
    assert a.__lf_source__ != b.__lf_source__
    assert c.__lf_source__ != d.__lf_source__
    assert knowledge_base_lf({("A ", "b")}, name="LF_y").__lf_source__ == c.__lf_source__


@pytest.mark.parametrize(
    "build",
    [
        lambda: regex_between_lf("(bad", 1),
        lambda: regex_between_lf("ok", 0),
        lambda: regex_between_lf("ok", True),
        lambda: regex_between_lf("ok", 1, direction="up"),
        lambda: regex_between_lf("ok", 1, name="not an identifier"),
        lambda: keywords_between_lf("married", 1),
        lambda: knowledge_base_lf("aspirin", 1),
        lambda: knowledge_base_lf({("a", "b", "c")}, 1),
        lambda: ontology_lfs({"Causes": set()}, {"Treats": -1}),
    ],
)
def test_generators_validate_arguments(build) -> None:
    with pytest.raises(ConfigurationError):
        build()
