"""Candidate extraction: candidate spaces, matchers and extractors."""

from snorkel_ie.candidates.combinators import Concat, Intersect, Inverse, SlotFillMatch, Union
from snorkel_ie.candidates.extractor import (
    CandidateExtractor,
    ExtractionSummary,
    PretaggedCandidateExtractor,
    pair_arguments,
)
from snorkel_ie.candidates.matchers import (
    DateMatcher,
    DictionaryMatch,
    LambdaFunctionMatcher,
    LocationMatcher,
    Matcher,
    MiscMatcher,
    NERTagMatcher,
    NumberMatcher,
    OrganizationMatcher,
    PersonMatcher,
    RegexMatchEach,
    RegexMatchSpan,
)
from snorkel_ie.candidates.ngrams import CandidateSpace, Ngrams
from snorkel_ie.candidates.texts import TextCandidateSummary, add_text_candidates

__all__ = [
    "CandidateExtractor",
    "CandidateSpace",
    "Concat",
    "DateMatcher",
    "DictionaryMatch",
    "ExtractionSummary",
    "Intersect",
    "Inverse",
    "LambdaFunctionMatcher",
    "LocationMatcher",
    "Matcher",
    "MiscMatcher",
    "NERTagMatcher",
    "Ngrams",
    "NumberMatcher",
    "OrganizationMatcher",
    "PersonMatcher",
    "PretaggedCandidateExtractor",
    "RegexMatchEach",
    "RegexMatchSpan",
    "SlotFillMatch",
    "TextCandidateSummary",
    "Union",
    "add_text_candidates",
    "pair_arguments",
]
