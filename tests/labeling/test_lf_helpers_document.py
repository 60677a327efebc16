"""LF helpers on document-scope candidates (arguments in different sentences), ORM and views, both backends."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from snorkel_ie.candidates import PretaggedCandidateExtractor
from snorkel_ie.db.models import Sentence, candidate_subclass
from snorkel_ie.db.views import load_views, view_class
from snorkel_ie.labeling import lf_helpers as h
from tests.candidates.corpus import RawDocument, build_document

ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])

TEXT = "Cocaine toxicity in rats. Rats were given cocaine daily. Some developed seizures and died. Seizures stopped."
S1, S2 = TEXT.index("cocaine"), TEXT.index("seizures")
S3 = TEXT.index("Seizures")
MENTIONS = [
    (0, 7, "Chemical", "D003042"),
    (S1, S1 + 7, "Chemical", "D003042"),
    (S2, S2 + 8, "Disease", "D012640"),
    (S3, S3 + 8, "Disease", "D012640"),
]


@pytest.fixture
def candidates(session, db_url):
    doc = build_document(RawDocument("9999", TEXT, MENTIONS, [("CID", "D003042", "D012640")]))
    session.add(doc)
    session.commit()
    PretaggedCandidateExtractor(ChemicalDisease, ["Chemical", "Disease"], scope="document").apply(
        session.query(Sentence), split=0, progress=False
    )
    orm = {(c.chemical.abs_char_start, c.disease.abs_char_start): c for c in session.scalars(select(ChemicalDisease))}
    ids = np.array(sorted(c.id for c in orm.values()))
    with session.get_bind().connect() as conn:
        views = load_views(
            conn,
            ids,
            candidate_type="chemicaldisease",
            split=0,
            view_cls=view_class("chemicaldisease", ["chemical", "disease"]),
        )
    by_id = {v.id: v for v in views}
    return {k: (c, by_id[c.id]) for k, c in orm.items()}


@pytest.mark.parametrize("kind", [0, 1], ids=["orm", "view"])
def test_between_helpers_cross_sentences(candidates, kind) -> None:
    assert set(candidates) == {(0, S2), (0, S3), (S1, S2), (S1, S3)}
    far = candidates[(0, S3)][kind]  # title chemical, disease in the last sentence
    assert h.sentence_distance(far) == 3 and not h.same_sentence(far)
    assert h.get_between_tokens(far) == [
        "toxicity",
        "in",
        "rats",
        ".",
        "rats",
        "were",
        "given",
        "cocaine",
        "daily",
        ".",
        "some",
        "developed",
        "seizures",
        "and",
        "died",
        ".",
    ]
    assert (
        h.get_text_between(far)
        == " toxicity in rats. Rats were given cocaine daily. Some developed seizures and died. "
    )
    assert h.get_tagged_text(far) == TEXT.replace("Cocaine", "{{A}}", 1).replace("Seizures", "{{B}}")
    assert not h.is_inverted(far)
    near = candidates[(S1, S2)][kind]  # adjacent sentences
    assert h.sentence_distance(near) == 1
    assert h.get_between_tokens(near, n_max=2)[:3] == ["daily", "daily .", "."]
    assert h.get_text_between(near) == " daily. Some developed "
    assert h.get_left_tokens(near.disease, window=2) == ["some", "developed"]  # windows stay in the sentence
    assert h.get_right_tokens(near.chemical, window=5) == ["daily", "."]
    assert h.rule_regex_search_btw_AB(near, r".{0,40}developed ", 1) == 1


@pytest.mark.parametrize("kind", [0, 1], ids=["orm", "view"])
def test_document_structure_helpers(candidates, kind) -> None:
    c = candidates[(0, S2)][kind]
    assert h.in_title(c.chemical) and not h.in_title(c.disease)
    assert h.entity_mention_count(c.chemical) == 2 and h.entity_mention_count(c.disease) == 2
    assert [s.position for s in h.get_sentences_between(c.chemical, c.disease)] == [1]
    assert len(h.document_sentences(c.disease)) == 4


def test_same_sentence_helpers_unchanged(candidates) -> None:
    # a document with both mentions in one sentence keeps the sentence-scope answers
    c, v = candidates[(S1, S2)]
    assert h.get_text_between(c) == h.get_text_between(v)
    assert h.get_between_tokens(c, attrib="lemmas") == h.get_between_tokens(v, attrib="lemmas")


def test_default_features_of_a_cross_sentence_candidate(candidates) -> None:
    from snorkel_ie.labeling.featurizers import get_span_feats

    for c in candidates[(0, S3)]:
        feats = set(get_span_feats(c))
        assert {"ARG0_WORD[cocaine]", "ARG1_WORD[seizures]", "SENT_DIST[3]", "XSENT_BETWEEN_WORD[died]"} <= feats
        assert not any(f.startswith(("DEP_PATH", "BETWEEN_SEQ")) for f in feats)
