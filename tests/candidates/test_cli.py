"""The ``extract`` command on both backends."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from snorkel_ie.candidates.cli import extract
from snorkel_ie.db.models import Candidate, candidate_subclass
from snorkel_ie.errors import CandidateError
from tests.candidates.corpus import cdr_documents

ChemicalDisease = candidate_subclass("ChemicalDisease", ["chemical", "disease"])


def _load(session, shared_data):
    docs = cdr_documents(shared_data, limit=4)
    session.add_all(docs)
    session.commit()
    return docs


def test_extract_command_pretagged_and_documents_file(session, db_url, shared_data, tmp_path) -> None:
    docs = _load(session, shared_data)
    names = tmp_path / "train.txt"
    names.write_text(f"{docs[0].name}\n{docs[1].name}\n")
    args = ["ChemicalDisease", "--args", "chemical,disease", "--entity-types", "Chemical,Disease", "--db", db_url]
    result = CliRunner().invoke(extract, [*args, "--documents", str(names)])
    assert result.exit_code == 0, result.output
    train = session.scalar(select(func.count()).select_from(Candidate).where(Candidate.split == 0))
    assert f"{train} candidates" in result.output and train > 0
    dev = tmp_path / "dev.txt"
    dev.write_text(f"{docs[2].name}\n{docs[3].name}\n")
    result = CliRunner().invoke(extract, [*args, "--split", "1", "--documents", str(dev)])
    assert result.exit_code == 0, result.output
    session.rollback()  # end the read transaction: on SQLite it would keep seeing the old snapshot
    assert session.scalar(select(func.count()).select_from(Candidate).where(Candidate.split == 1)) > 0


def test_extract_command_dictionary_mode_and_bad_usage(session, db_url, shared_data, tmp_path) -> None:
    _load(session, shared_data)
    chem = tmp_path / "chem.tsv"
    chem.write_text("clonidine\tD003000\nnaloxone\tD009270\n")
    dis = tmp_path / "dis.tsv"
    dis.write_text("hypertensive\tD006973\n")
    base = ["DrugDisease", "--args", "drug,disease", "--db", db_url]
    result = CliRunner().invoke(extract, [*base, "--dictionary", str(chem), "--dictionary", str(dis)])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(Candidate).where(Candidate.type == "drugdisease")) > 0
    both = CliRunner().invoke(extract, [*base, "--ner", "PERSON", "--entity-types", "Chemical,Disease"])
    assert isinstance(both.exception, CandidateError)


def _count(session, type_name: str) -> int:
    session.rollback()  # a fresh snapshot
    return session.scalar(select(func.count()).select_from(Candidate).where(Candidate.type == type_name))


def test_extract_command_document_scope(session, db_url, shared_data) -> None:
    _load(session, shared_data)
    tail = ["--args", "chemical,disease", "--entity-types", "Chemical,Disease", "--db", db_url]
    for name, extra in (
        ("ChemicalDisease", []),
        ("CDInDocument", ["--scope", "document"]),
        ("CDClosest", ["--scope", "document", "--closest-per-entity-pair", "1"]),
    ):
        result = CliRunner().invoke(extract, [name, *tail, *extra])
        assert result.exit_code == 0, result.output
    in_sentences, in_documents = _count(session, "chemicaldisease"), _count(session, "cdindocument")
    assert in_documents > in_sentences > 0  # cross-sentence pairs too
    assert 0 < _count(session, "cdclosest") < in_documents
