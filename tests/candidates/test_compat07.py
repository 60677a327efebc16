"""Snorkel 0.7 compatibility of candidate spaces and matchers: SlotFillMatch, 0.7 options, ``Ngrams(7)``."""

from __future__ import annotations

import pickle
import warnings

import pytest

from snorkel_ie.candidates.matchers import (
    DictionaryMatch,
    LambdaFunctionMatcher,
    LocationMatcher,
    PersonMatcher,
    RegexMatchEach,
    RegexMatchSpan,
    SlotFillMatch,
)
from snorkel_ie.candidates.ngrams import Ngrams
from snorkel_ie.errors import CandidateError

COUPLE = "said Ann Lee and Bo Chen of Ohio today"
COUPLE_TAGS = ["O", "PERSON", "PERSON", "O", "PERSON", "PERSON", "O", "GPE", "O"]


def _matched(matcher, sentence, n_max=5):
    return [s.get_span() for s in matcher.apply(Ngrams(n_max=n_max).apply(sentence))]


# -- Ngrams --------------------------------------------------------------------------------


def test_ngrams_takes_n_max_positionally(ws_sentence) -> None:
    s = ws_sentence("one two three four five six seven eight")
    spans = [x.get_span() for x in Ngrams(7).apply(s)]
    assert Ngrams(7).n_max == 7
    assert spans[:2] == ["one two three four five six seven", "two three four five six seven eight"]
    assert len(spans) == 2 + 3 + 4 + 5 + 6 + 7 + 8  # n = 7 down to 1 over 8 tokens
    assert spans == [x.get_span() for x in Ngrams(n_max=7).apply(s)]


def test_ngrams_takes_split_tokens_positionally(ws_sentence) -> None:
    s = ws_sentence("a 5-fluorouracil/day dose")
    pieces = [x.get_span() for x in Ngrams(1, ["/"]).apply(s)]
    assert "5-fluorouracil" in pieces and "day" in pieces
    assert "fluorouracil" not in pieces  # "-" is not a split token here


@pytest.mark.parametrize("bad", [0, -2, "7", 2.5, True])
def test_ngrams_positional_n_max_is_validated(bad) -> None:
    with pytest.raises(CandidateError, match="n_max must be a positive integer"):
        Ngrams(bad)


# -- SlotFillMatch -------------------------------------------------------------------------


def test_slot_fill_match_tests_each_slot_with_its_child(ws_sentence) -> None:
    s = ws_sentence(COUPLE, ner_tags=COUPLE_TAGS)
    couple = SlotFillMatch(PersonMatcher(), PersonMatcher(), pattern="{0} and {1}")
    assert _matched(couple, s) == ["Ann Lee and Bo Chen"]
    origin = SlotFillMatch(PersonMatcher(), LocationMatcher(), pattern="{0} of {1}")
    assert _matched(origin, s) == ["Bo Chen of Ohio"]
    # "{1} of {0}" swaps the children: a place of a person never occurs
    assert _matched(SlotFillMatch(PersonMatcher(), LocationMatcher(), pattern="{1} of {0}"), s) == []


def test_slot_fill_match_needs_the_whole_span_and_every_slot(ws_sentence) -> None:
    tags = ["O", "B-PERSON", "I-PERSON", "O", "B-PERSON", "I-PERSON", "O", "B-GPE", "O"]
    s = ws_sentence(COUPLE, ner_tags=tags)
    # every span is tested: "said Ann Lee" and "Ann Lee and Bo" fill a slot with a non-person (or half a person)
    m = SlotFillMatch(PersonMatcher(), PersonMatcher(), pattern="{0} and {1}", longest_match_only=False)
    assert _matched(m, s, n_max=6) == ["Ann Lee and Bo Chen"]
    with_place = SlotFillMatch(PersonMatcher(), LocationMatcher(), pattern="{0} and {1}")
    assert _matched(with_place, s) == []


def test_slot_fill_match_repeated_slot_and_regex_text(ws_sentence) -> None:
    s = ws_sentence("Ann Lee , Bo Chen met", ner_tags=["PERSON", "PERSON", "O", "PERSON", "PERSON", "O"])
    both = SlotFillMatch(PersonMatcher(), pattern=r"{0}\s*,\s*{0}")
    assert _matched(both, s) == ["Ann Lee , Bo Chen"]


def test_slot_fill_match_slots_are_character_level_on_words(ws_sentence) -> None:
    s = ws_sentence("after cocaine-induced seizures")
    m = SlotFillMatch(DictionaryMatch(d=["cocaine"]), pattern="{0}-induced")
    assert _matched(m, s, n_max=2) == ["cocaine-induced"]
    assert _matched(SlotFillMatch(DictionaryMatch(d=["heroin"]), pattern="{0}-induced"), s, n_max=2) == []


def test_slot_fill_match_on_another_attrib_needs_whole_tokens(ws_sentence) -> None:
    s = ws_sentence("she takes statins and aspirins")
    s.lemmas = ["she", "take", "statin", "and", "aspirin"]
    pair = SlotFillMatch(
        DictionaryMatch(d=["statin"], attrib="lemmas"),
        DictionaryMatch(d=["aspirin"], attrib="lemmas"),
        pattern="{0} and {1}",
        attrib="lemmas",
    )
    assert _matched(pair, s) == ["statins and aspirins"]
    one_token = LambdaFunctionMatcher(func=lambda span: span.get_n() == 1)
    # on lemmas "sta" would cut the token "statin": no match; on the words a slot may cover part of a token
    assert _matched(SlotFillMatch(one_token, one_token, pattern="{0}tin and {1}", attrib="lemmas"), s) == []
    assert _matched(SlotFillMatch(one_token, one_token, pattern="{0}tins and {1}"), s) == ["statins and aspirins"]


def test_slot_fill_match_survives_pickling(ws_sentence) -> None:
    s = ws_sentence(COUPLE, ner_tags=COUPLE_TAGS)
    m = pickle.loads(pickle.dumps(SlotFillMatch(PersonMatcher(), PersonMatcher(), pattern="{0} and {1}")))
    assert _matched(m, s) == ["Ann Lee and Bo Chen"]


@pytest.mark.parametrize(
    ("children", "pattern", "message"),
    [
        (2, "{0}{1}", "adjacent slots"),
        (1, "{0} and {1}", r"slots \[0, 1\] but 1 child"),
        (2, "{0} and {2}", r"slots \[0, 2\] but 2 child"),
        (1, "no slot here", "has no slot"),
        (2, "{0} ( {1}", "not a valid regular expression"),
        (1, 42, "pattern must be a string"),
    ],
)
def test_slot_fill_match_validates_pattern(children, pattern, message) -> None:
    with pytest.raises(CandidateError, match=message) as info:
        SlotFillMatch(*[PersonMatcher()] * children, pattern=pattern)
    assert isinstance(info.value, ValueError)  # 0.7 raised ValueError


def test_slot_fill_match_requires_matcher_children() -> None:
    with pytest.raises(CandidateError, match="children must be matchers"):
        SlotFillMatch("PERSON", pattern="{0}")


# -- NER matchers: 0.7 options -------------------------------------------------------------


def test_ner_matcher_ignores_case_by_default_as_0_7(ws_sentence) -> None:
    s = ws_sentence("met Ann Lee Bo Chen", ner_tags=["o", "b-person", "i-person", "b-person", "i-person"])
    assert _matched(PersonMatcher(), s) == ["Ann Lee", "Bo Chen"]  # lower-case BIO boundaries still hold
    assert _matched(PersonMatcher(ignore_case=False), s) == []
    upper = ws_sentence("met Ann Lee", ner_tags=["O", "PERSON", "PERSON"])
    assert _matched(PersonMatcher(ignore_case=False), upper) == ["Ann Lee"]


def test_ner_matcher_rgx_replaces_its_labels(ws_sentence) -> None:
    s = ws_sentence("the French and Ann Lee", ner_tags=["O", "B-NORP", "O", "B-PERSON", "I-PERSON"])
    assert _matched(PersonMatcher(rgx="NORP"), s) == ["French"]
    assert _matched(PersonMatcher(rgx="NORP|PERSON"), s) == ["Ann Lee", "French"]
    assert _matched(PersonMatcher(rgx="PERS"), s) == []  # a tag must match in full
    with pytest.raises(CandidateError, match="labels or rgx, not both"):
        PersonMatcher(labels=["PERSON"], rgx="PERSON")
    with pytest.raises(CandidateError, match="invalid regular expression"):
        PersonMatcher(rgx="PER(SON")


def test_ner_matcher_attrib_picks_the_tag_column(ws_sentence) -> None:
    s = ws_sentence("met Ann Lee Bo Chen")
    s.entity_types = [None, "B-PERSON", "I-PERSON", "B-PERSON", "I-PERSON"]
    assert _matched(PersonMatcher(), s) == []  # ner_tags are all "O"
    assert _matched(PersonMatcher(attrib="entity_types"), s) == ["Ann Lee", "Bo Chen"]


def test_per_token_sep_warns_instead_of_being_dropped(ws_sentence) -> None:
    with pytest.warns(UserWarning, match="PersonMatcher: sep has no effect") as record:
        m = PersonMatcher(sep="_")
    assert record[0].filename == __file__  # points at the caller
    s = ws_sentence("met Ann Lee", ner_tags=["O", "PERSON", "PERSON"])
    assert _matched(m, s) == ["Ann Lee"]
    with pytest.warns(UserWarning, match="RegexMatchEach: sep has no effect"):
        RegexMatchEach(rgx="x", sep="-")


def test_regex_match_span_sep_joins_attrib_tokens(ws_sentence) -> None:
    s = ws_sentence("Blood Pressure rose")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = RegexMatchSpan(rgx="blood_pressure", attrib="lemmas", sep="_")
    assert _matched(m, s) == ["Blood Pressure"]
    assert _matched(RegexMatchSpan(rgx="blood_pressure", attrib="lemmas"), s) == []


# -- LambdaFunctionMatcher: 0.7 options ----------------------------------------------------


def test_lambda_function_matcher_accepts_0_7_options_with_a_warning(ws_sentence) -> None:
    s = ws_sentence("Aspirin and cocaine")
    with pytest.warns(UserWarning, match="ignore_case and attrib have no effect") as record:
        m = LambdaFunctionMatcher(
            func=lambda span: span.get_span().endswith("aine"), ignore_case=False, attrib="lemmas"
        )
    assert record[0].filename == __file__
    assert (m.ignore_case, m.attrib) == (False, "lemmas")
    assert _matched(m, s, n_max=1) == ["cocaine"]


def test_lambda_function_matcher_warns_for_one_option() -> None:
    with pytest.warns(UserWarning, match="LambdaFunctionMatcher: attrib has no effect"):
        LambdaFunctionMatcher(func=len, attrib="words")


def test_lambda_function_matcher_without_0_7_options_is_silent() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = LambdaFunctionMatcher(func=len)
    assert (m.ignore_case, m.attrib) == (True, "words")


def test_unknown_matcher_option_is_refused() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'case'"):
        PersonMatcher(case=True)
