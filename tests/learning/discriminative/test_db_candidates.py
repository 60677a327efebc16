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
