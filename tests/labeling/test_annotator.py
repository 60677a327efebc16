"""LabelAnnotator on both backends: sparse rows, incremental re-runs, raising LFs, validation."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from sqlalchemy import select

from snorkel_ie.db.models import AnnotatorRun, Label
from snorkel_ie.errors import ConfigurationError, LabelingError
from snorkel_ie.labeling import LabelAnnotator
from tests.labeling.conftest import Spouse, build_spouse_candidates


class _Calls(Counter):
    """Counts LF calls; not plain data, so it is not part of the LFs' hashes (a dict would be)."""


CALLS = _Calls()


def LF_same_last_name(c) -> int:
    CALLS["LF_same_last_name"] += 1
    return 1 if c.person1.get_span().split()[-1] == c.person2.get_span().split()[-1] else 0


def LF_far_apart(c) -> int:
    CALLS["LF_far_apart"] += 1
    return -1 if c.person2.char_start - c.person1.char_end > 40 else 0


def LF_and_between(c) -> int:
    CALLS["LF_and_between"] += 1
    between = c.get_parent().text[c.person1.char_end : c.person2.char_start]
    return 1 if " and " in between else None


def LF_and_between_v2(c) -> int:
    CALLS["LF_and_between"] += 1
    between = c.get_parent().text[c.person1.char_end : c.person2.char_start]
    return -1 if " and " in between else None


LF_and_between_v2.__name__ = "LF_and_between"


def LF_even_raises(c) -> int:
    if c.id % 2 == 0:
        raise KeyError(f"even {c.id}")
    return 1


def LF_bad_value(c):
    return 7 if c.id % 3 == 0 else ("yes" if c.id % 3 == 1 else True)


LFS = [LF_same_last_name, LF_far_apart, LF_and_between]


def expected(cands, lfs) -> np.ndarray:
    out = np.zeros((len(cands), len(lfs)), dtype=np.int64)
    for i, c in enumerate(cands):
        for j, lf in enumerate(lfs):
            v = lf(c)
            out[i, j] = 0 if v is None else int(v)
    return out


def test_label_annotator_writes_what_the_lfs_return(session, spouse_candidates) -> None:
    train = [c for c in spouse_candidates if c.split == 0]
    L = LabelAnnotator(lfs=LFS).apply(split=0, session=session, progress=False)
    assert L.shape == (len(train), 3)
    assert L.lf_names == ["LF_same_last_name", "LF_far_apart", "LF_and_between"]
    assert L.candidate_ids.tolist() == [c.id for c in train]
    np.testing.assert_array_equal(L.toarray(), expected(train, LFS))
    assert session.scalar(select(Label.key_id).limit(1)) is not None
    assert L.nnz == session.query(Label).count()  # zeros are not stored


def test_label_annotator_reruns_only_the_changed_lf(session, spouse_candidates) -> None:
    n_train = sum(c.split == 0 for c in spouse_candidates)
    labeler = LabelAnnotator(lfs=LFS)
    labeler.apply(split=0, session=session, progress=False)
    CALLS.clear()
    labeler.apply(split=0, session=session, progress=False)
    assert sum(CALLS.values()) == 0
    changed = LabelAnnotator(lfs=[LF_same_last_name, LF_far_apart, LF_and_between_v2])
    L = changed.apply(split=0, session=session, progress=False)
    assert CALLS == Counter({"LF_and_between": n_train})
    assert changed.last_summary.ran == ["LF_and_between"]
    train = [c for c in spouse_candidates if c.split == 0]
    np.testing.assert_array_equal(L.toarray(), expected(train, [LF_same_last_name, LF_far_apart, LF_and_between_v2]))


def test_label_annotator_runs_added_lf_and_drops_removed_column(session, spouse_candidates) -> None:
    LabelAnnotator(lfs=LFS[:2]).apply(split=0, session=session, progress=False)
    CALLS.clear()
    L = LabelAnnotator(lfs=[LF_far_apart, LF_and_between]).apply(split=0, session=session, progress=False)
    assert CALLS == Counter({"LF_and_between": L.shape[0]})
    assert L.lf_names == ["LF_far_apart", "LF_and_between"]


def test_label_annotator_clear_reruns_everything(session, spouse_candidates) -> None:
    labeler = LabelAnnotator(lfs=LFS)
    labeler.apply(split=0, session=session, progress=False)
    CALLS.clear()
    L = labeler.apply(split=0, session=session, clear=True, progress=False)
    assert CALLS == Counter({name: L.shape[0] for name in labeler.lf_names})


def test_label_annotator_reruns_when_candidates_are_added(session) -> None:
    build_spouse_candidates(session, n_docs=2, splits=(0,))
    labeler = LabelAnnotator(lfs=LFS)
    first = labeler.apply(split=0, session=session, progress=False)
    extra = add_one_candidate(session)
    CALLS.clear()
    second = labeler.apply(split=0, session=session, progress=False)
    assert second.shape[0] == first.shape[0] + extra
    assert CALLS["LF_far_apart"] == second.shape[0]


def add_one_candidate(session) -> int:
    from snorkel_ie.db.models import Document, Sentence, Span

    doc = Document("extra-doc")
    text = "Ann Lee and Bob Lee married."
    sent = Sentence(
        document=doc,
        position=0,
        stable_id="extra-doc::sentence:0:27",
        text=text,
        words=text.split(),
        char_offsets=[0, 4, 8, 12, 16, 20],
        abs_char_offsets=[0, 4, 8, 12, 16, 20],
        lemmas=text.lower().split(),
        pos_tags=["X"] * 6,
        ner_tags=["O"] * 6,
        dep_parents=[0] * 6,
        dep_labels=[""] * 6,
        entity_cids=[None] * 6,
        entity_types=[None] * 6,
    )
    a = Span(sentence=sent, char_start=0, char_end=7, stable_id="extra-doc::span:0:7")
    b = Span(sentence=sent, char_start=12, char_end=19, stable_id="extra-doc::span:12:19")
    session.add(Spouse(person1=a, person2=b, split=0))
    session.commit()
    return 1


def test_label_annotator_counts_a_raising_lf_and_goes_on(session, spouse_candidates) -> None:
    train = [c for c in spouse_candidates if c.split == 0]
    labeler = LabelAnnotator(lfs=[LF_far_apart, LF_even_raises])
    L = labeler.apply(split=0, session=session, progress=False)
    evens = [c.id for c in train if c.id % 2 == 0]
    np.testing.assert_array_equal(L[:, 0].toarray().ravel(), expected(train, [LF_far_apart]).ravel())
    np.testing.assert_array_equal(L[:, 1].toarray().ravel(), [0 if c.id % 2 == 0 else 1 for c in train])
    rec = labeler.last_summary.errors["LF_even_raises"]
    assert (rec.n, rec.candidate_id) == (len(evens), min(evens))
    assert rec.message.startswith("KeyError: 'even")
    run = session.scalars(select(AnnotatorRun).where(AnnotatorRun.n_errors > 0)).one()
    assert (run.n_errors, run.first_error_candidate_id) == (len(evens), min(evens))
    stats = L.lf_stats(session)
    assert stats.loc["LF_even_raises", "Errors"] == len(evens)
    assert stats.loc["LF_far_apart", "Errors"] == 0
    assert f"candidate {min(evens)}: KeyError" in stats.loc["LF_even_raises", "First error"]
    labeler.apply(split=0, session=session, progress=False)
    assert labeler.last_summary.ran == ["LF_even_raises"]  # the raising LF runs again, the clean one does not


def test_label_annotator_fail_fast_raises_labeling_error(session, spouse_candidates) -> None:
    labeler = LabelAnnotator(lfs=[LF_even_raises])
    with pytest.raises(LabelingError, match="LF_even_raises") as info:
        labeler.apply(split=0, session=session, fail_fast=True, progress=False)
    assert isinstance(info.value.__cause__, KeyError)
    assert session.query(AnnotatorRun).count() == 0  # nothing recorded: the next apply re-runs it


def test_label_annotator_counts_invalid_outputs(session, spouse_candidates) -> None:
    train = [c for c in spouse_candidates if c.split == 0]
    labeler = LabelAnnotator(lfs=[LF_bad_value])
    L = labeler.apply(split=0, session=session, progress=False)
    rec = labeler.last_summary.errors["LF_bad_value"]
    assert rec.n == sum(c.id % 3 != 2 for c in train)
    assert "outside the allowed values" in rec.message or "expected an int" in rec.message
    np.testing.assert_array_equal(L.toarray().ravel(), [1 if c.id % 3 == 2 else 0 for c in train])


def test_label_annotator_categorical_values(session) -> None:
    from snorkel_ie.db.models import candidate_subclass

    Triple = candidate_subclass("SpouseKind", ["person1", "person2"], cardinality=3)
    base = build_spouse_candidates(session, n_docs=2, splits=(0,))
    for c in base:
        session.add(Triple(person1=c.person1, person2=c.person2, split=0))
    session.commit()

    def LF_kind(c):
        return 1 + c.id % 4  # 4 is outside 1..3

    L = LabelAnnotator(lfs=[LF_kind]).apply(split=0, session=session, candidate_class=Triple, progress=False)
    ids = L.candidate_ids
    np.testing.assert_array_equal(L.toarray().ravel(), np.where(ids % 4 == 3, 0, 1 + ids % 4))
    assert L.cardinality == 3


def test_label_annotator_needs_unique_names() -> None:
    with pytest.raises(ConfigurationError, match="unique"):
        LabelAnnotator(lfs=[lambda c: 1, lambda c: -1])


def test_label_annotator_cids_query_labels_a_subset(session, spouse_candidates) -> None:
    train = [c for c in spouse_candidates if c.split == 0]
    subset = [c.id for c in train[:2]]
    L = LabelAnnotator(lfs=LFS).apply(split=0, session=session, cids_query=subset, progress=False)
    assert L.candidate_ids.tolist() == subset
    np.testing.assert_array_equal(L.toarray(), expected(train[:2], LFS))


@pytest.mark.slow
def test_label_annotator_parallel_matches_serial(session, spouse_candidates) -> None:
    serial = LabelAnnotator(lfs=LFS).apply(split=0, session=session, progress=False)
    parallel = LabelAnnotator(lfs=[*LFS, lambda c: 1], partition_size=3)
    parallel.lfs[-1].__name__ = "LF_lambda_one"
    L = parallel.apply(split=0, session=session, parallelism=2, clear=True, progress=False)
    np.testing.assert_array_equal(L[:, :3].toarray(), serial.toarray())
    assert (L[:, 3].toarray() == 1).all()


def LF_other_sentence_mentions_name(c) -> int:
    """Document-level: +1 when another sentence of the document repeats the first person's name."""
    name = c.person1.get_span()
    sentences = c.get_parent().document.sentences
    others = [s for s in sentences if s.position != c.get_parent().position]
    return 1 if any(name in s.text for s in others) else -1


def test_label_annotator_views_load_document_sentences(session, spouse_candidates) -> None:
    train = [c for c in spouse_candidates if c.split == 0]
    lfs = [LF_other_sentence_mentions_name]
    L = LabelAnnotator(lfs=lfs).apply(split=0, session=session, progress=False)
    assert L.shape == (len(train), 1)
    np.testing.assert_array_equal(L.toarray(), expected(train, lfs))
    assert set(np.unique(L.data)) <= {-1, 1}


def test_label_annotator_matrix_of_a_pipelined_run_equals_the_stored_rows(session, spouse_candidates) -> None:
    """Small partitions: the rows are written by the writer thread while later partitions are labeled.

    The matrix ``apply`` returns is built from the rows it wrote (in memory) plus the stored
    columns of the LFs it skipped; it must equal the matrix read back from the database.
    """
    train = sorted((c for c in spouse_candidates if c.split == 0), key=lambda c: c.id)
    labeler = LabelAnnotator(lfs=LFS, partition_size=2)
    L = labeler.apply(split=0, session=session, progress=False)
    np.testing.assert_array_equal(L.toarray(), expected(train, LFS))
    labeler.lfs = [LF_same_last_name, LF_far_apart, LF_and_between_v2]  # one LF changed: two columns are read back
    L2 = labeler.apply(split=0, session=session, progress=False)
    assert labeler.last_summary.ran == ["LF_and_between"]
    stored = LabelAnnotator(lfs=labeler.lfs).load_matrix(session, split=0)
    np.testing.assert_array_equal(L2.toarray(), stored.toarray())
    np.testing.assert_array_equal(L2.toarray(), expected(train, labeler.lfs))
    assert labeler.last_summary.n_rows == int((expected(train, [LF_and_between_v2]) != 0).sum())
