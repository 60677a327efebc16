"""The BiLSTM on ORM candidates: sequences from real spans, predictions saved to the database."""

from __future__ import annotations

import numpy as np
import pytest

from snorkel_ie.labeling import load_marginals
from snorkel_ie.learning.discriminative.bilstm import BiLSTM
from snorkel_ie.learning.discriminative.inputs import MARKERS, candidate_to_sequence
from tests.labeling.conftest import build_spouse_candidates


@pytest.mark.slow
def test_bilstm_on_orm_candidates_saves_prediction_marginals(session):
    cands = build_spouse_candidates(session, n_docs=2, splits=(0,))
    seq = candidate_to_sequence(cands[0])
    assert all(m in seq for m in MARKERS)
    assert seq[seq.index("~~[[1") + 1 : seq.index("1]]~~")] == [w.lower() for w in cands[0].person1.get_attrib_tokens()]
    marg = np.linspace(0.1, 0.9, len(cands))
    model = BiLSTM(seed=1).train(cands, marg, n_epochs=1, dim=4, batch_size=16, verbose=False)
    assert model.save_marginals(session, cands) == len(cands)
    np.testing.assert_allclose(load_marginals(session, cands, training=False), model.marginals(cands), atol=1e-6)
    gold = np.where(marg > 0.5, 1, -1)
    tp, fp, tn, fn = model.error_analysis(session, cands, gold, display=False)
    assert len(tp) + len(fp) + len(tn) + len(fn) == len(cands)
    assert tp <= set(cands)


def test_document_scope_candidates_read_both_sentences_marked(session, shared_data):
    """Cross-sentence CDR candidates, as the ORM and the labeling views give them, on both backends."""
    from sqlalchemy import select

    from snorkel_ie.candidates import PretaggedCandidateExtractor
    from snorkel_ie.db.models import Sentence, candidate_subclass
    from snorkel_ie.db.views import load_views, view_class
    from snorkel_ie.learning.discriminative.inputs import GAP, truncate_around_markers
    from tests.candidates.corpus import cdr_documents

    pair = candidate_subclass("ChemicalDisease", ["chemical", "disease"])
    session.add_all(cdr_documents(shared_data, limit=3))
    session.commit()
    PretaggedCandidateExtractor(pair, ["Chemical", "Disease"], scope="document").apply(
        session.query(Sentence), split=0, progress=False
    )
    cands = session.scalars(select(pair).order_by(pair.id)).all()
    with session.get_bind().connect() as conn:
        views = load_views(
            conn,
            np.array([c.id for c in cands]),
            candidate_type="chemicaldisease",
            split=0,
            view_cls=view_class("chemicaldisease", ["chemical", "disease"]),
        )
        assert [candidate_to_sequence(v) for v in views] == [candidate_to_sequence(c) for c in cands]
    near = far = 0
    for c in cands:
        seq = candidate_to_sequence(c)
        chem, dis = c.chemical, c.disease
        assert seq[seq.index("~~[[1") + 1 : seq.index("1]]~~")] == [w.lower() for w in chem.get_attrib_tokens()]
        assert seq[seq.index("~~[[2") + 1 : seq.index("2]]~~")] == [w.lower() for w in dis.get_attrib_tokens()]
        gap = abs(chem.sentence.position - dis.sentence.position) - 1
        if gap < 0:
            assert seq == candidate_to_sequence(c, max_gap=0) and GAP not in seq
        elif gap <= 2:  # the sentences between are read
            near += 1
            lo, hi = sorted((chem.sentence.position, dis.sentence.position))
            n_words = sum(len(s.words) for s in c.get_parent().sentences if lo <= s.position <= hi)
            assert len(seq) == n_words + 4 and GAP not in seq
        else:  # only the two sentences, joined by the gap token
            far += 1
            assert len(seq) == len(chem.sentence.words) + len(dis.sentence.words) + 5 and seq.count(GAP) == 1
        cut = truncate_around_markers(seq, 30)
        assert len(cut) <= 30 and all(m in cut for m in MARKERS)
    assert near > 0 and far > 0
