"""Tests of the marked-sequence conversion and the vocabulary."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import spacy

from snorkel_ie.db.models.context import TemporarySpan
from snorkel_ie.errors import ModelError
from snorkel_ie.learning.discriminative.inputs import (
    GAP,
    MARKERS,
    UNK_ID,
    Vocabulary,
    candidate_to_sequence,
    candidates_to_sequences,
    mark_sentences,
    mark_sequence,
    pad_batch,
    truncate_around_markers,
)

SPOUSE = Path(__file__).resolve().parents[4] / "shared" / "data" / "spouse" / "articles.jsonl"


@dataclass
class Sent:
    """The sentence fields a span reads (text, words, char_offsets)."""

    text: str
    words: list[str]
    char_offsets: list[int]
    id: int = 1


@dataclass
class Cand:
    """A two-argument candidate: what the adapter reads."""

    id: int
    spans: tuple = field(default_factory=tuple)

    def get_contexts(self) -> tuple:
        return self.spans


def test_mark_sequence_marks_both_arguments_and_lowercases():
    out = mark_sequence(["Barack", "Obama", "married", "Michelle", "Robinson", "."], (0, 1), (3, 4))
    assert out == ["~~[[1", "barack", "obama", "1]]~~", "married", "~~[[2", "michelle", "robinson", "2]]~~", "."]


def test_mark_sequence_second_argument_first_and_at_sentence_end():
    out = mark_sequence(["she", "met", "him"], (2, 2), (0, 0), lower=False)
    assert out == ["~~[[2", "she", "2]]~~", "met", "~~[[1", "him", "1]]~~"]


def test_mark_sequence_adjacent_arguments_close_before_open():
    out = mark_sequence(["a", "b"], (0, 0), (1, 1))
    assert out == ["~~[[1", "a", "1]]~~", "~~[[2", "b", "2]]~~"]


@pytest.mark.parametrize("span", [(-1, 0), (2, 1), (0, 3)])
def test_mark_sequence_rejects_bad_ranges(span):
    with pytest.raises(ModelError, match="token range"):
        mark_sequence(["a", "b", "c"], span, (0, 0))


def test_truncate_around_markers_keeps_arguments_and_length():
    tokens = [f"x{i}" for i in range(20)]
    marked = mark_sequence(tokens, (10, 10), (12, 12))
    out = truncate_around_markers(marked, 9)
    assert len(out) == 9
    assert all(m in out for m in MARKERS)
    assert out[out.index("~~[[1") + 1] == "x10"


def test_truncate_around_markers_at_sentence_start_uses_right_context():
    marked = mark_sequence([f"x{i}" for i in range(20)], (0, 0), (1, 1))
    assert truncate_around_markers(marked, 8) == marked[:8]


def test_vocabulary_build_is_frequency_ranked_and_capped():
    vocab = Vocabulary.build([["b", "a", "b"], ["c", "b", "a"]], max_vocab=len(MARKERS) + 3 + 2)
    assert vocab.words[2 : 2 + len(MARKERS)] == list(MARKERS)
    assert vocab.words[3 + len(MARKERS) :] == ["b", "a"]
    ids = vocab.encode([["b", "c", "~~[[1"]])[0]
    np.testing.assert_array_equal(ids, [vocab.lookup("b"), UNK_ID, vocab.lookup("~~[[1")])


def test_pad_batch_right_pads_with_zero():
    enc = [np.array([5, 6, 7], dtype=np.int32), np.array([8], dtype=np.int32)]
    np.testing.assert_array_equal(pad_batch(enc, np.array([1, 0])), [[8, 0, 0], [5, 6, 7]])
    assert pad_batch(enc, np.array([1]), length=4).shape == (1, 4)


def _spouse_sentence() -> tuple[Sent, tuple[int, int], tuple[int, int]]:
    """The sentence of the first gold pair of the spouse corpus, tokenized by spaCy.

    Returns the sentence and the two persons' sentence-relative character ranges.
    """
    doc_id, p1s, p1e, p2s, p2e = "2328dfa5-e2b7-485a-8f37-da141aa111b3", 809, 813, 773, 776
    with SPOUSE.open(encoding="utf-8") as fh:
        text = next(json.loads(line)["text"] for line in fh if doc_id in line)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    sent = next(s for s in nlp(text).sents if s.start_char <= p2s and p1e <= s.end_char)
    off = sent.start_char
    return Sent(sent.text, [t.text for t in sent], [t.idx - off for t in sent]), (p1s - off, p1e - off), (p2s - off, p2e - off)


def test_candidate_to_sequence_over_real_spans():
    sent, (a1, b1), (a2, b2) = _spouse_sentence()
    out = candidate_to_sequence(Cand(7, (TemporarySpan(sent, a1, b1), TemporarySpan(sent, a2, b2))))
    assert out[out.index("~~[[1") + 1 : out.index("1]]~~")] == ["andy"]
    assert out[out.index("~~[[2") + 1 : out.index("2]]~~")] == ["kim"]
    assert out.index("~~[[2") < out.index("~~[[1")
    assert len(out) == len(sent.words) + 4


def test_candidates_to_sequences_passes_token_lists_through():
    assert candidates_to_sequences([["~~[[1", "a", "1]]~~"]]) == [["~~[[1", "a", "1]]~~"]]


def test_candidate_to_sequence_rejects_unary_candidates():
    sent = Sent("Ann left", ["Ann", "left"], [0, 4])
    with pytest.raises(ModelError, match="1 arguments"):
        candidate_to_sequence(Cand(1, (TemporarySpan(sent, 0, 3),)))


def test_truncate_far_apart_arguments_keeps_a_window_around_each():
    words = [f"w{i}" for i in range(60)]
    seq = mark_sequence(words, (5, 6), (50, 50))
    cut = truncate_around_markers(seq, 21)
    assert len(cut) == 21 and cut.count(GAP) == 1
    left, right = cut[: cut.index(GAP)], cut[cut.index(GAP) + 1 :]
    assert left[left.index("~~[[1") : left.index("1]]~~") + 1] == ["~~[[1", "w5", "w6", "1]]~~"]
    assert right[right.index("~~[[2") : right.index("2]]~~") + 1] == ["~~[[2", "w50", "2]]~~"]
    assert left.index("~~[[1") > 0 and right.index("2]]~~") < len(right) - 1  # context on both sides
    assert truncate_around_markers(seq, 80) == seq


def test_mark_sentences_indexes_each_sentence():
    out = mark_sentences([["A", "b"], ["c"], ["D", "e"]], (2, 0, 0), (0, 1, 1))
    assert out == ["a", "~~[[2", "b", "2]]~~", "c", "~~[[1", "d", "1]]~~", "e"]
    with pytest.raises(ModelError, match="sentence 1"):
        mark_sentences([["a"], ["b"]], (0, 0, 0), (1, 0, 3))


def test_vocabulary_always_has_markers_and_gap():
    vocab = Vocabulary.build([["x", "y", "x"]], max_vocab=8)
    assert vocab.words[:7] == ["<pad>", "<unk>", *MARKERS, GAP] and vocab.words[7] == "x" and len(vocab) == 8
