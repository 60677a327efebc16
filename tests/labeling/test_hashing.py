"""lf_hash: what makes an LF count as changed."""

from __future__ import annotations

import re

from snorkel_ie.labeling import lf_hash

WORDS = {"wife", "husband"}
PATTERN = re.compile(r"married")


def LF_uses_globals(c) -> int:
    return 1 if c in WORDS and PATTERN.search(c) else 0


def _make(word: str):
    def LF_generated(c) -> int:
        return 1 if word in c else 0

    return LF_generated


def test_lf_hash_is_stable_for_the_same_function() -> None:
    assert lf_hash(LF_uses_globals) == lf_hash(LF_uses_globals)
    assert len(lf_hash(LF_uses_globals)) == 64


def test_lf_hash_sees_captured_values_of_generated_lfs() -> None:
    assert lf_hash(_make("wife")) == lf_hash(_make("wife"))
    assert lf_hash(_make("wife")) != lf_hash(_make("husband"))


def test_lf_hash_distinguishes_lambdas_by_code_and_constants() -> None:
    a, b, c = (lambda x: 1), (lambda x: -1), (lambda x: 1)
    assert lf_hash(a) != lf_hash(b)
    assert lf_hash(a) == lf_hash(c)


def test_lf_hash_follows_data_globals() -> None:
    before = lf_hash(LF_uses_globals)
    WORDS.add("spouse")
    try:
        assert lf_hash(LF_uses_globals) != before
    finally:
        WORDS.discard("spouse")
    assert lf_hash(LF_uses_globals) == before
