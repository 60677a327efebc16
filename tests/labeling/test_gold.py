"""Gold labels: TSV and relation loaders, and alignment with the label matrix (both backends)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from snorkel_ie.db.models import Document, Sentence, Span, candidate_subclass, split_stable_id
from snorkel_ie.errors import ParseError
from snorkel_ie.labeling import (
    LabelAnnotator,
    load_gold_labels,
    load_gold_labels_from_relations,
    load_gold_labels_from_tsv,
    save_gold_labels,
)
from tests.labeling.conftest import SPOUSE, Spouse
from tests.labeling.test_annotator import LFS

ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])


def _gold_from_file() -> dict[tuple, int]:
    out = {}
    with (SPOUSE / "gold_labels.tsv").open() as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            a = (int(r["person1_start"]), int(r["person1_end"]))
            b = (int(r["person2_start"]), int(r["person2_end"]))
            out[(r["doc_id"], a, b)] = out[(r["doc_id"], b, a)] = int(r["label"])
    return out


def test_gold_from_tsv_is_aligned_with_the_label_matrix(session, spouse_candidates) -> None:
    matched, unmatched = load_gold_labels_from_tsv(session, SPOUSE / "gold_labels.tsv", Spouse, split=1, symmetric=True)
    truth = _gold_from_file()
    dev = [c for c in spouse_candidates if c.split == 1]
    want = []
    for c in dev:
        (doc, _, a1, b1), (_, _, a2, b2) = (split_stable_id(s.stable_id) for s in c.get_contexts())
        want.append(truth.get((doc, (a1, b1), (a2, b2)), 0))
    assert matched == sum(v != 0 for v in want) > 0
    assert unmatched > 0  # lines of the other documents
    L_dev = LabelAnnotator(lfs=LFS).apply(split=1, session=session, progress=False)
    L_gold = load_gold_labels(session, split=1)
    assert L_gold.shape == (L_dev.shape[0], 1)
    np.testing.assert_array_equal(L_gold.candidate_ids, L_dev.candidate_ids)
    np.testing.assert_array_equal(L_gold.toarray().ravel(), want)
    L_dev.lf_stats(session, L_gold)  # aligned: no error


def test_gold_from_tsv_names_the_bad_line(session, spouse_candidates, tmp_path) -> None:
    bad = tmp_path / "gold.tsv"
    bad.write_text("doc\ta\tb\tc\td\tlabel\ndoc\t1\t2\t3\tx\t1\n")
    with pytest.raises(ParseError, match=r"gold.tsv:2"):
        load_gold_labels_from_tsv(session, bad, Spouse)


def test_save_gold_labels_replaces_per_annotator(session, spouse_candidates) -> None:
    ids = [c.id for c in spouse_candidates if c.split == 0]
    save_gold_labels(session, ids, [1] * len(ids), annotator_name="alice")
    save_gold_labels(session, ids[:2], [-1, 0], annotator_name="alice")
    save_gold_labels(session, ids, [-1] * len(ids), annotator_name="bob")
    alice = load_gold_labels(session, "alice", split=0).toarray().ravel()
    assert alice.tolist() == [-1, 0] + [1] * (len(ids) - 2)
    assert (load_gold_labels(session, "bob", split=0).toarray() == -1).all()


def _cdr_document(session) -> list:
    words = ["Cocaine", "induced", "seizures", "and", "X", "caused", "rash", "."]
    cids = ["D001|D002", "O", "D010", "O", "-1", "O", "D011", "O"]
    offsets, pos = [], 0
    for w in words:
        offsets.append(pos)
        pos += len(w) + 1
    text = " ".join(words)
    doc = Document("pmid-1", meta={"relations": [["CID", "D002", "D010"], ["CID", "D999", "D011"]]})
    n = len(words)
    sent = Sentence(
        document=doc,
        position=0,
        stable_id="pmid-1::sentence:0:40",
        text=text,
        words=words,
        char_offsets=offsets,
        abs_char_offsets=offsets,
        lemmas=words,
        pos_tags=["X"] * n,
        ner_tags=["O"] * n,
        dep_parents=[0] * n,
        dep_labels=[""] * n,
        entity_cids=cids,
        entity_types=["Chemical"] + ["O"] * (n - 1),
    )

    def span(i: int) -> Span:
        return Span(
            sentence=sent,
            char_start=offsets[i],
            char_end=offsets[i] + len(words[i]),
            stable_id=f"pmid-1::span:{offsets[i]}:{offsets[i] + len(words[i])}",
        )

    chem, chem2, dis1, dis2 = span(0), span(4), span(2), span(6)
    cands = [ChemicalDisease(chemical=c, disease=d, split=1) for c in (chem, chem2) for d in (dis1, dis2)]
    session.add_all(cands)
    session.commit()
    return cands


def test_gold_from_document_relations(session) -> None:
    cands = _cdr_document(session)
    pos, neg = load_gold_labels_from_relations(session, ChemicalDisease, split=1)
    assert (pos, neg) == (1, 3)
    gold = load_gold_labels(session, split=1, candidate_class=ChemicalDisease)
    by_id = dict(zip(gold.candidate_ids.tolist(), gold.toarray().ravel().tolist(), strict=True))
    # Cocaine (D001|D002) -> seizures (D010) is a CID pair; '-1' never matches.
    assert [by_id[c.id] for c in cands] == [1, -1, -1, -1]
