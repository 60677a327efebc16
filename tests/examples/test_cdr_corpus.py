"""load_corpus: document scope by default, and a database left by other settings is brought in line."""

from __future__ import annotations

from snorkel_ie.examples.cdr import DEV, TRAIN, load_corpus, split_sizes


def test_load_corpus_replaces_candidates_of_other_settings(session) -> None:
    sentence = load_corpus(session, model="blank:en", max_docs=6, progress=False, scope="sentence")
    sizes_sentence = split_sizes(session)
    document = load_corpus(session, model="blank:en", max_docs=6, progress=False)
    sizes_document = split_sizes(session)
    assert sizes_document == document.candidates and sizes_sentence == sentence.candidates
    assert sizes_document[TRAIN] > sizes_sentence[TRAIN] and sizes_document[DEV] > 0
    again = load_corpus(session, model="blank:en", max_docs=6, progress=False)
    assert split_sizes(session) == sizes_document and again.gold_positive == document.gold_positive
    back = load_corpus(session, model="blank:en", max_docs=6, progress=False, scope="sentence")
    assert split_sizes(session) == sizes_sentence and back.gold_positive == sentence.gold_positive
