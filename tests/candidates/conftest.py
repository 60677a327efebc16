"""Fixtures: hand-made and real sentences for candidate tests."""

from __future__ import annotations

import pytest

from snorkel_ie.db.models import Sentence
from tests.candidates.corpus import RawDocument, build_document


def make_sentence(text: str, mentions=(), *, ner_label: str | None = None, bio: bool = False, sid: int = 1) -> Sentence:
    """One unsaved sentence of ``text`` (with id ``sid`` so spans compare by offsets)."""
    doc = build_document(RawDocument("handmade", text, list(mentions)), ner_label=ner_label, bio=bio)
    sentence = doc.sentences[0]
    sentence.id = sid
    return sentence


def whitespace_sentence(text: str, *, ner_tags=None, sid: int = 1) -> Sentence:
    """A sentence whose tokens are ``text`` split on single spaces (keeps "a-b" one token)."""
    words = text.split(" ")
    offsets = [sum(len(w) + 1 for w in words[:i]) for i in range(len(words))]
    n = len(words)
    return Sentence(
        id=sid,
        position=0,
        stable_id=f"handmade::sentence:0:{len(text)}",
        text=text,
        words=words,
        char_offsets=offsets,
        abs_char_offsets=offsets,
        lemmas=[w.lower() for w in words],
        pos_tags=["X"] * n,
        ner_tags=list(ner_tags) if ner_tags is not None else ["O"] * n,
        dep_parents=[0] * n,
        dep_labels=[""] * n,
        entity_cids=[None] * n,
        entity_types=[None] * n,
    )


@pytest.fixture
def sentence_factory():
    return make_sentence


@pytest.fixture
def ws_sentence():
    return whitespace_sentence
