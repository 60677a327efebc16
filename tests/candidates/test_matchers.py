"""Matchers: each predicate, longest-match filtering, combinators and argument validation."""

from __future__ import annotations

import pytest

from snorkel_ie.candidates import (
    Concat,
    DateMatcher,
    DictionaryMatch,
    Intersect,
    Inverse,
    LambdaFunctionMatcher,
    LocationMatcher,
    MiscMatcher,
    Ngrams,
    NumberMatcher,
    OrganizationMatcher,
    PersonMatcher,
    RegexMatchEach,
    RegexMatchSpan,
    Union,
)
from snorkel_ie.errors import CandidateError

TEXT = "Chronic cocaine use causes Acute Kidney Injury in 12 patients"


def _matched(matcher, sentence, n_max=3):
    return [s.get_span() for s in matcher.apply(Ngrams(n_max=n_max).apply(sentence))]


def test_dictionary_match_ignores_case_and_keeps_longest(ws_sentence) -> None:
    s = ws_sentence(TEXT)
    m = DictionaryMatch(d=["cocaine", "acute kidney injury", "kidney injury"])
    assert _matched(m, s) == ["Acute Kidney Injury", "cocaine"]


def test_dictionary_match_all_matches_without_longest_match_only(ws_sentence) -> None:
    s = ws_sentence(TEXT)
    m = DictionaryMatch(d=["acute kidney injury", "kidney injury"], longest_match_only=False)
    assert _matched(m, s) == ["Acute Kidney Injury", "Kidney Injury"]


def test_dictionary_match_case_sensitive(ws_sentence) -> None:
    s = ws_sentence(TEXT)
    assert _matched(DictionaryMatch(d=["acute kidney injury"], ignore_case=False), s) == []
    assert _matched(DictionaryMatch(d=["Acute Kidney Injury"], ignore_case=False), s) == ["Acute Kidney Injury"]


def test_dictionary_match_on_lemmas_and_with_stemmer(ws_sentence) -> None:
    class Suffix:
        def stem(self, w: str) -> str:
            return w[:-1] if w.endswith("s") else w

    s = ws_sentence("She takes statins daily")
    s.lemmas = ["she", "take", "statin", "daily"]
    assert _matched(DictionaryMatch(d=["statin"], attrib="lemmas"), s) == ["statins"]
    assert _matched(DictionaryMatch(d=["statin"]), s) == []
    assert _matched(DictionaryMatch(d=["statin"], stemmer=Suffix()), s) == ["statins"]


def test_dictionary_match_reverse(ws_sentence) -> None:
    s = ws_sentence("aspirin and ibuprofen")
    assert _matched(DictionaryMatch(d=["and"], reverse=True), s, n_max=1) == ["aspirin", "ibuprofen"]


def test_regex_match_span_full_prefix_and_search(ws_sentence) -> None:
    s = ws_sentence(TEXT)
    assert _matched(RegexMatchSpan(rgx=r"\d+"), s) == ["12"]
    assert _matched(RegexMatchSpan(rgx=r"kidney", search=True), s, n_max=1) == ["Kidney"]
    assert _matched(RegexMatchSpan(rgx=r"acute", full_match=False), s) == ["Acute Kidney Injury"]


def test_regex_match_each_needs_every_token(ws_sentence) -> None:
    s = ws_sentence(TEXT)
    assert _matched(RegexMatchEach(rgx=r"[A-Z]\w+", ignore_case=False), s) == ["Acute Kidney Injury", "Chronic"]


def test_lambda_function_matcher(ws_sentence) -> None:
    s = ws_sentence(TEXT)
    assert _matched(
        LambdaFunctionMatcher(func=lambda span: span.get_n() == 1 and span.get_span().endswith("aine")), s
    ) == ["cocaine"]


def test_union_intersect_inverse(ws_sentence) -> None:
    s = ws_sentence(TEXT)
    drugs = DictionaryMatch(d=["cocaine"])
    caps = RegexMatchEach(rgx=r"[A-Z]\w+", ignore_case=False)
    assert _matched(Union(drugs, caps), s) == ["Acute Kidney Injury", "Chronic", "cocaine"]
    assert _matched(Intersect(caps, RegexMatchSpan(rgx=r".*injury")), s) == ["Acute Kidney Injury"]
    assert _matched(Inverse(RegexMatchSpan(rgx=r"[a-z ]+", ignore_case=False)), s, n_max=1) == [
        "Chronic",
        "Acute",
        "Kidney",
        "Injury",
        "12",
    ]


def test_children_are_anded(ws_sentence) -> None:
    s = ws_sentence(TEXT)
    m = DictionaryMatch(RegexMatchSpan(rgx=r"kidney.*", ignore_case=True), d=["acute kidney injury", "kidney injury"])
    assert _matched(m, s) == ["Kidney Injury"]


def test_concat_splits_at_token_boundaries(ws_sentence) -> None:
    s = ws_sentence(TEXT)
    adj = DictionaryMatch(d=["acute", "chronic"])
    disease = DictionaryMatch(d=["kidney injury"])
    assert _matched(Concat(adj, disease), s) == ["Acute Kidney Injury"]
    assert _matched(Concat(disease, adj), s) == []
    assert _matched(Concat(disease, adj, permutations=True), s) == ["Acute Kidney Injury"]
    assert _matched(Concat(adj, disease, right_required=False), s) == ["Acute Kidney Injury", "Chronic"]


def test_concat_with_separator(ws_sentence) -> None:
    s = ws_sentence("blood - pressure rose")
    parts = Concat(DictionaryMatch(d=["blood"]), DictionaryMatch(d=["- pressure", "pressure"]), ignore_sep=False)
    assert _matched(parts, s) == ["blood - pressure"]


@pytest.mark.parametrize(
    ("matcher", "tag", "expected"),
    [
        (PersonMatcher, "PERSON", True),
        (PersonMatcher, "PER", True),
        (PersonMatcher, "ORG", False),
        (OrganizationMatcher, "ORG", True),
        (LocationMatcher, "GPE", True),
        (LocationMatcher, "LOC", True),
        (DateMatcher, "DATE", True),
        (NumberMatcher, "CARDINAL", True),
        (NumberMatcher, "DATE", False),
        (MiscMatcher, "NORP", True),
    ],
)
@pytest.mark.parametrize("bio", [False, True])
def test_ner_matchers_accept_their_labels(ws_sentence, matcher, tag, expected, bio) -> None:
    tags = ["O", f"B-{tag}" if bio else tag, f"I-{tag}" if bio else tag, "O"]
    s = ws_sentence("said Ann Lee today", ner_tags=tags)
    assert _matched(matcher(), s) == (["Ann Lee"] if expected else [])


def test_ner_matcher_respects_bio_boundaries(ws_sentence) -> None:
    s = ws_sentence("met Ann Lee Bo Chen there", ner_tags=["O", "B-PERSON", "I-PERSON", "B-PERSON", "I-PERSON", "O"])
    assert _matched(PersonMatcher(), s) == ["Ann Lee", "Bo Chen"]
    plain = ws_sentence("met Ann Lee Bo Chen there", ner_tags=["O", "PERSON", "PERSON", "PERSON", "PERSON", "O"])
    assert _matched(PersonMatcher(), plain, n_max=4) == ["Ann Lee Bo Chen"]


def test_person_matcher_on_real_spouse_text(shared_data) -> None:
    from tests.candidates.corpus import spouse_documents

    doc = spouse_documents(shared_data, ["28fa0915-ec80-4b41-9875-6d2f0a1b4dcc"], bio=True)[0]
    names = set()
    for i, s in enumerate(doc.sentences):
        s.id = i
        names.update(span.get_span() for span in PersonMatcher().apply(Ngrams(n_max=4).apply(s)))
    assert {"Kim Davis", "Joe Davis", "Dwain Allen Wallace"} <= names
    assert "Kim Davis Joe" not in names


@pytest.mark.parametrize(
    "build",
    [
        lambda: RegexMatchSpan(rgx="(unclosed"),
        lambda: RegexMatchEach(rgx=3),
        lambda: DictionaryMatch(d="aspirin"),
        lambda: DictionaryMatch(d=["ok", 3]),
        lambda: DictionaryMatch(d=["x"], stemmer=42),
        lambda: LambdaFunctionMatcher(func="not callable"),
        lambda: Inverse(),
        lambda: Inverse(PersonMatcher(), PersonMatcher()),
        lambda: Concat(PersonMatcher()),
        lambda: Union("PERSON"),
        lambda: PersonMatcher(labels=["PER SON"]),
    ],
)
def test_matchers_validate_arguments(build) -> None:
    with pytest.raises(CandidateError):
        build()


def test_bad_regex_error_names_the_pattern() -> None:
    with pytest.raises(CandidateError, match=r"invalid regular expression '\(unclosed'"):
        RegexMatchSpan(rgx="(unclosed")
