"""@labeling_function: names, resources as keyword arguments, hashes that follow edits, LabelAnnotator use."""

from __future__ import annotations

import logging
import pickle
import threading
from collections import Counter

import numpy as np
import pytest

from snorkel_ie import LabelAnnotator, labeling_function
from snorkel_ie.errors import ConfigurationError
from snorkel_ie.labeling import LabelingFunction, lf_hash


class _Calls(Counter):
    """Counts LF calls (not plain data, so not part of any hash)."""


CALLS = _Calls()
SPOUSE_WORDS = {"wife", "husband", "married"}


@labeling_function(name="LF_spouse_word", resources={"words": SPOUSE_WORDS})
def spouse_word(c, words):
    CALLS["LF_spouse_word"] += 1
    between = c.get_parent().text[c.person1.char_end : c.person2.char_start].lower()
    return 1 if any(w in between for w in words) else 0


@labeling_function
def LF_far_apart(c):
    CALLS["LF_far_apart"] += 1
    return -1 if c.person2.char_start - c.person1.char_end > 40 else 0


def _between_has(c, words):
    CALLS["LF_between_has"] += 1
    between = c.get_parent().text[c.person1.char_end : c.person2.char_start].lower()
    return -1 if any(w in between for w in words) else 0


def test_decorated_lf_has_its_name_and_gets_its_resources() -> None:
    assert isinstance(spouse_word, LabelingFunction)
    assert spouse_word.__name__ == "LF_spouse_word" and LF_far_apart.__name__ == "LF_far_apart"
    assert spouse_word.resources == {"words": SPOUSE_WORDS}
    seen = {}

    @labeling_function(resources={"a": 1, "b": [2]})
    def probe(c, a, b):
        seen.update(c=c, a=a, b=b)
        return 1

    assert probe("cand") == 1 and seen == {"c": "cand", "a": 1, "b": [2]}
    assert probe.__name__ == "probe"


def test_hash_follows_source_and_resources_not_the_object() -> None:
    def make(words, source_variant=False):
        if source_variant:

            def f(c, words):
                return -1 if words else 0

        else:

            def f(c, words):
                return 1 if words else 0

        return labeling_function(f, name="LF_x", resources={"words": words})

    base = lf_hash(make({"a", "b"}))
    assert lf_hash(make({"b", "a"})) == base  # same function, same data: same hash
    assert lf_hash(make({"a", "c"})) != base  # edited resource
    assert lf_hash(make({"a", "b"}, source_variant=True)) != base  # edited source
    assert lf_hash(labeling_function(make({"a", "b"}).fn, name="LF_y", resources={"words": {"a", "b"}})) != base
    helper_a = labeling_function(_between_has, name="h", resources={"words": ["x"], "check": make({"a"})})
    helper_b = labeling_function(_between_has, name="h", resources={"words": ["x"], "check": make({"b"})})
    assert lf_hash(helper_a) != lf_hash(helper_b)  # a function resource is hashed by its own LF hash


def test_resource_that_does_not_pickle_is_hashed_by_type_with_a_warning(caplog) -> None:
    lf = labeling_function(_between_has, name="LF_lock", resources={"words": [], "lock": threading.Lock()})
    with caplog.at_level(logging.WARNING, logger="snorkel_ie"):
        first = lf_hash(lf)
    assert "resource 'lock' (lock) cannot be pickled" in caplog.text
    assert (
        lf_hash(labeling_function(_between_has, name="LF_lock", resources={"words": [], "lock": threading.Lock()}))
        == first
    )


def test_module_level_lf_pickles_as_itself_and_local_lf_by_value() -> None:
    assert pickle.loads(pickle.dumps(spouse_word)) is spouse_word
    local = labeling_function(_between_has, name="LF_between", resources={"words": ["and"]})
    back = pickle.loads(pickle.dumps(local))
    assert (back.name, back.fn, back.resources) == ("LF_between", _between_has, {"words": ["and"]})
    assert lf_hash(back) == lf_hash(local)


def test_decorator_rejects_bad_arguments() -> None:
    with pytest.raises(ConfigurationError, match="resources must be a mapping"):
        labeling_function(name="x", resources=[("a", 1)])
    with pytest.raises(ConfigurationError, match="non-empty string"):
        labeling_function(lambda c: 0, name="")


def _expected(cands, lfs) -> np.ndarray:
    return np.array([[lf(c) or 0 for lf in lfs] for c in cands], dtype=np.int64)


def test_label_annotator_applies_decorated_lfs_and_reruns_only_the_edited_one(session, spouse_candidates) -> None:
    train = [c for c in spouse_candidates if c.split == 0]
    between = labeling_function(_between_has, name="LF_between_has", resources={"words": [" and "]})
    lfs = [spouse_word, LF_far_apart, between]
    L = LabelAnnotator(lfs=lfs).apply(split=0, session=session, progress=False)
    assert L.lf_names == ["LF_spouse_word", "LF_far_apart", "LF_between_has"]
    np.testing.assert_array_equal(L.toarray(), _expected(train, lfs))
    assert np.count_nonzero(L.toarray()) > 0

    CALLS.clear()
    L = LabelAnnotator(lfs=lfs).apply(split=0, session=session, progress=False)
    assert sum(CALLS.values()) == 0  # nothing changed: nothing runs

    edited = labeling_function(_between_has, name="LF_between_has", resources={"words": [" and ", ","]})
    L = LabelAnnotator(lfs=[spouse_word, LF_far_apart, edited]).apply(split=0, session=session, progress=False)
    assert set(CALLS) == {"LF_between_has"} and CALLS["LF_between_has"] == len(train)
    np.testing.assert_array_equal(L.toarray(), _expected(train, [spouse_word, LF_far_apart, edited]))
