"""LF helpers over persisted candidates from real spouse and CDR sentences (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from snorkel_ie.candidates import CandidateExtractor, Ngrams, PersonMatcher, PretaggedCandidateExtractor
from snorkel_ie.db.models import Sentence, candidate_subclass
from snorkel_ie.labeling.lf_helpers import (
    contains_token,
    get_between_tokens,
    get_doc_candidate_spans,
    get_left_tokens,
    get_matches,
    get_right_tokens,
    get_sent_candidate_spans,
    get_tagged_text,
    get_text_between,
    is_inverted,
    rule_regex_search_before_A,
    rule_regex_search_before_B,
    rule_regex_search_btw_AB,
    rule_regex_search_btw_BA,
    rule_regex_search_tagged_text,
    rule_text_btw,
    rule_text_in_span,
    tokens_to_ngrams,
)
from tests.candidates.corpus import cdr_documents, spouse_documents

Spouse = candidate_subclass("Spouse", ["person1", "person2"])
ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])
SPOUSE_DOC = "28fa0915-ec80-4b41-9875-6d2f0a1b4dcc"


@pytest.fixture
def real(session, shared_data):
    """Persisted candidates: spouse pairs of one news article, chemical-disease pairs of two CDR abstracts."""
    session.add_all(spouse_documents(shared_data, [SPOUSE_DOC], bio=True) + cdr_documents(shared_data, limit=2))
    session.commit()
    CandidateExtractor(Spouse, Ngrams(n_max=4), PersonMatcher()).apply(session.query(Sentence), progress=False)
    PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"]).apply(session.query(Sentence), progress=False)

    def find(cls, a, b, sentence_start):
        for c in session.scalars(select(cls)):
            args = tuple(s.get_span() for s in c.get_contexts())
            if args == (a, b) and c.sentence.text.startswith(sentence_start):
                return c
        raise AssertionError(f"no candidate {a!r}, {b!r}")

    return {
        "married": find(Spouse, "Kim Davis", "Joe Davis", "Kim Davis then married Joe Davis"),
        "clonidine": find(ChemicalDisease, "clonidine", "hypertensive", "In unanesthetized"),
    }


def test_get_text_between(real) -> None:
    assert get_text_between(real["married"]) == " then married "
    assert get_text_between(real["clonidine"]).startswith(" rats the decrease in blood pressure")
    assert get_text_between(real["clonidine"]).endswith("produced by intravenous ")


def test_get_between_tokens_with_ngrams_and_attribs(real) -> None:
    c = real["married"]
    assert get_between_tokens(c) == ["then", "married"]
    assert get_between_tokens(c, n_max=2) == ["then", "then married", "married"]
    assert get_between_tokens(c, attrib="ner_tags", case_sensitive=True) == ["O", "O"]


def test_get_left_and_right_tokens_of_candidate_and_span(real) -> None:
    c = real["clonidine"]  # chemical (argument A) comes after the disease in the sentence
    assert get_left_tokens(c, window=3) == ["produced", "by", "intravenous"]
    assert get_right_tokens(c, window=2) == ["rats", "the"]
    assert get_left_tokens(c.disease, window=5) == ["in", "unanesthetized", ",", "spontaneously"]
    assert get_left_tokens(c.disease, window=5, case_sensitive=True)[0] == "In"
    assert get_left_tokens(c.chemical, window=2, n_max=2) == ["by", "by intravenous", "intravenous"]
    assert get_right_tokens(real["married"].person1, window=1) == ["then"]
    assert get_right_tokens(real["married"], window=0) == []


def test_get_tagged_text_and_is_inverted(real) -> None:
    assert get_tagged_text(real["married"]).startswith("{{A}} then married {{B}}, a delivery driver")
    tagged = get_tagged_text(real["clonidine"])
    assert tagged.index("{{B}}") < tagged.index("{{A}}")
    assert "clonidine" not in tagged.split("{{A}}")[0][-30:]
    assert is_inverted(real["clonidine"]) and not is_inverted(real["married"])


def test_contains_token(real) -> None:
    c = real["married"]
    assert contains_token(c, "davis") and contains_token(c, "KIM")
    assert not contains_token(c, "davis", case_sensitive=True)
    assert not contains_token(c, "married")
    assert contains_token(c.person2, "joe")


def test_rule_regex_helpers(real) -> None:
    m, inv = real["married"], real["clonidine"]
    assert rule_regex_search_btw_AB(m, r"\s+then married\s+", 1) == 1
    assert rule_regex_search_btw_BA(m, r".*married.*", 1) == 0
    assert rule_regex_search_btw_BA(inv, r".*produced by.*", -1) == -1
    assert rule_regex_search_tagged_text(m, r"married {{B}}", 1) == 1
    assert rule_regex_search_before_A(m, r"^", 1) == 1
    assert rule_regex_search_before_B(inv, r"spontaneously ", 1) == 1
    assert rule_regex_search_before_B(m, r"spontaneously ", 1) == 0
    assert rule_text_btw(m, "married", 1) == 1 and rule_text_btw(m, "divorced", 1) == 0
    assert rule_text_in_span(m, "joe", 1, 1) == 1 and rule_text_in_span(m, "joe", 0, 1) == 0


def test_sentence_and_document_candidate_spans(real) -> None:
    c = real["married"]
    in_sentence = {s.get_span() for s in get_sent_candidate_spans(c)}
    assert in_sentence == {"Joe Davis", "H.G. Pratt"}
    in_doc = get_doc_candidate_spans(c)
    assert {s.get_span() for s in in_doc} >= in_sentence | {"Dwain Allen Wallace", "Thomas McIntyre"}
    assert c.person1.id not in {s.id for s in in_doc}
    assert all(s.sentence.document_id == c.sentence.document_id for s in in_doc)
    assert {s.get_span() for s in get_sent_candidate_spans(real["clonidine"])} == {"hypertensive", "nalozone"}


def test_get_matches_counts(real, capsys) -> None:
    cands = list(real.values())
    assert get_matches(lambda c: 1 if is_inverted(c) else 0, cands) == [real["clonidine"]]
    assert capsys.readouterr().out.strip() == "1 matches"


def test_tokens_to_ngrams_and_binary_check(real) -> None:
    assert list(tokens_to_ngrams(["a", "b", "c"], n_max=2)) == ["a", "a b", "b", "b c", "c"]
    with pytest.raises(ValueError, match="binary"):
        get_text_between(real["married"].person1)
