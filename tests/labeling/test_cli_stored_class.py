"""``snorkel-ie label`` in a process that never defined the candidate class (as after ``snorkel-ie extract``)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from snorkel_ie.candidates.cli import extract
from snorkel_ie.db.models import AnnotationKey, Candidate, Label, candidate_subclass
from snorkel_ie.examples.cdr_lfs import SENTENCE_LFS
from tests.candidates.corpus import cdr_documents

ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])
LFS = "snorkel_ie.examples.cdr_lfs:SENTENCE_LFS"


def _snorkel_ie(*args: str) -> subprocess.CompletedProcess:
    """Run the command in a new Python process: nothing defined here is known there."""
    return subprocess.run(
        [sys.executable, "-m", "snorkel_ie.cli", *args], capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.slow
def test_label_command_in_a_new_process_uses_the_extracted_argument_names(session, db_url, shared_data) -> None:
    session.add_all(cdr_documents(shared_data, limit=6))
    session.commit()
    result = CliRunner().invoke(
        extract, ["ChemicalDisease", "--args", "chemical,disease", "--entity-types", "Chemical,Disease", "--db", db_url]
    )
    assert result.exit_code == 0, result.output

    proc = _snorkel_ie("label", "--db", db_url, "--lfs", LFS, "--candidate-class", "ChemicalDisease")

    assert proc.returncode == 0, proc.stderr
    assert "has no attribute" not in proc.stdout + proc.stderr
    session.rollback()
    cands = session.scalars(select(ChemicalDisease).order_by(Candidate.id)).all()
    expected = {(c.id, lf.__name__, int(lf(c))) for c in cands for lf in SENTENCE_LFS}
    expected = {e for e in expected if e[2] != 0}
    rows = session.execute(select(Label.candidate_id, AnnotationKey.name, Label.value).join(AnnotationKey))
    assert len(expected) > len(cands) // 2  # the LFs vote: not a comparison of empty sets
    assert set(rows) == expected
