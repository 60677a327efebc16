"""majority_vote_score against hand-computed numbers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from snorkel_ie.labeling import majority_vote, majority_vote_score


def test_majority_vote_score_prints_and_returns_prf(capsys) -> None:
    L = sp.csr_matrix(np.array([[1, 1, -1], [1, 0, 0], [-1, -1, 0], [1, -1, 0], [0, 0, 0], [1, 0, 0]]))
    gold = np.array([1, -1, -1, 1, 1, 0])
    assert majority_vote(L).tolist() == [1, 1, -1, -1, -1, 1]
    p, r, f1 = majority_vote_score(L, gold)
    # known gold rows 0..4: TP row 0, FP row 1, FN rows 3 and 4
    assert (p, r) == pytest.approx((0.5, 1 / 3))
    assert f1 == pytest.approx(0.4)
    out = capsys.readouterr().out
    assert "pos/neg    3:2 60.0%/40.0%" in out
    assert "f1         40.00" in out
