"""Candidate extraction: candidate spaces, matchers and extractors."""

from snorkel_ie.candidates.extractor import (
    CandidateExtractor,
    ExtractionSummary,
    PretaggedCandidateExtractor,
    pair_arguments,
)
from snorkel_ie.candidates.matchers import (
    Concat,
    DateMatcher,
    DictionaryMatch,
    Intersect,
    Inverse,
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
    Union,
)
from snorkel_ie.candidates.ngrams import CandidateSpace, Ngrams

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
    "Union",
    "pair_arguments",
]
