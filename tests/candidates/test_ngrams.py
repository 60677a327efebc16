"""Ngrams: every n-gram up to n_max, longest first, with split-token pieces."""

from __future__ import annotations

import pytest

from snorkel_ie.candidates import Ngrams
from snorkel_ie.errors import CandidateError


def _texts(spans):
    return [s.get_span() for s in spans]


def test_ngrams_yields_longest_first(sentence_factory) -> None:
    s = sentence_factory("Aspirin causes bleeding")
    assert _texts(Ngrams(n_max=2).apply(s)) == [
        "Aspirin causes",
        "causes bleeding",
        "Aspirin",
        "causes",
        "bleeding",
    ]


def test_ngrams_caps_at_sentence_length(sentence_factory) -> None:
    s = sentence_factory("Aspirin causes bleeding")
    spans = list(Ngrams(n_max=10).apply(s))
    assert len(spans) == 6
    assert spans[0].get_span() == "Aspirin causes bleeding"


def test_ngrams_splits_tokens_into_pieces(ws_sentence) -> None:
    s = ws_sentence("We saw 5-fluorouracil-induced cardiotoxicity")
    texts = _texts(Ngrams(n_max=1).apply(s))
    token = texts.index("5-fluorouracil-induced")
    assert texts[token + 1 : token + 6] == ["5-fluorouracil", "fluorouracil-induced", "5", "fluorouracil", "induced"]


def test_ngrams_split_off_keeps_whole_tokens(ws_sentence) -> None:
    s = ws_sentence("cocaine-induced seizures")
    assert _texts(Ngrams(n_max=1, split_tokens=None).apply(s)) == ["cocaine-induced", "seizures"]


@pytest.mark.parametrize("tokens", ["spacy", "whitespace"])
def test_ngrams_containing_span_always_precedes_contained(sentence_factory, ws_sentence, tokens) -> None:
    make = sentence_factory if tokens == "spacy" else ws_sentence
    s = make("The alpha/beta blocker labetalol lowered pressure in 3-4 days.")
    seen = []
    for span in Ngrams(n_max=4).apply(s):
        assert not any(
            (a, b) != (span.char_start, span.char_end) and span.char_start <= a and b <= span.char_end for a, b in seen
        ), span
        seen.append((span.char_start, span.char_end))


@pytest.mark.parametrize("kwargs", [{"n_max": 0}, {"n_max": 2.5}, {"split_tokens": ["-", ""]}])
def test_ngrams_rejects_bad_arguments(kwargs) -> None:
    with pytest.raises(CandidateError):
        Ngrams(**kwargs)
