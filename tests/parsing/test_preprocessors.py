"""Document readers on slices of the real corpora, and their errors on malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest

from snorkel_ie.db.models import Document
from snorkel_ie.errors import ParseError
from snorkel_ie.parsing.preprocessors import (
    BioCXMLDocPreprocessor,
    JSONLDocPreprocessor,
    Mention,
    PubTatorDocPreprocessor,
    TextDocPreprocessor,
    TSVDocPreprocessor,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parsing"


def test_pubtator_reads_text_mentions_and_relations() -> None:
    records = list(PubTatorDocPreprocessor(FIXTURES / "cdr_train_5.PubTator.txt").records())
    assert [r.name for r in records] == ["227508", "354896", "435349", "603022", "1378968"]
    assert sum(len(r.mentions) for r in records) == 75  # mention lines in the file
    assert sum(len(r.meta["relations"]) for r in records) == 7  # CID lines in the file
    first = records[0]
    assert first.text.startswith("Naloxone reverses the antihypertensive effect of clonidine. In unanesthetized")
    assert first.mentions[0] == Mention(0, 8, "Chemical", "D009270")
    assert first.meta["relations"] == [["CID", "D008750", "D007022"]]


def test_pubtator_matches_bioc_on_the_same_documents(shared_data: Path) -> None:
    bioc = list(BioCXMLDocPreprocessor(shared_data / "cdr" / "CDR_DevelopmentSet.small.BioC.xml").records())
    pubtator = list(
        PubTatorDocPreprocessor(shared_data / "cdr" / "CDR_DevelopmentSet.PubTator.txt", max_docs=12).records()
    )
    assert [r.name for r in bioc] == [r.name for r in pubtator]
    assert [r.text for r in bioc] == [r.text for r in pubtator]
    assert [r.meta["relations"] for r in bioc] == [r.meta["relations"] for r in pubtator]


def test_bioc_splits_discontinuous_annotations_into_locations() -> None:
    records = list(BioCXMLDocPreprocessor(FIXTURES / "cdr_dev_3.BioC.xml").records())
    assert len(records) == 3
    composite = records[2]
    texts = [composite.text[m.start : m.end] for m in composite.mentions]
    assert "cardiovascular, and respiratory depression" in texts
    assert "cardiovascular" in texts and "depression" in texts  # the two locations of one annotation
    assert composite.meta["relations"][0][0] == "CID"


def test_jsonl_uses_configured_fields_and_keeps_the_rest() -> None:
    records = list(JSONLDocPreprocessor(FIXTURES / "spouse_3.jsonl", id_field="doc_id").records())
    assert len(records) == 3
    assert all(len(r.text) > 300 and r.meta == {} for r in records)


def test_tsv_and_text_readers_and_max_docs() -> None:
    tsv = list(TSVDocPreprocessor(FIXTURES / "youtube_6.tsv", max_docs=4).records())
    assert len(tsv) == 4 and tsv[0].text.startswith("Huh, anyway")
    texts = list(TextDocPreprocessor(FIXTURES / "spouse_text").records())
    jsonl = {r.name: r.text for r in JSONLDocPreprocessor(FIXTURES / "spouse_3.jsonl", id_field="doc_id").records()}
    assert len(texts) == 2 and all(jsonl[r.name] == r.text for r in texts)


def test_docpreprocessor_iterates_document_text_pairs() -> None:
    pairs = list(PubTatorDocPreprocessor(FIXTURES / "cdr_train_5.PubTator.txt", max_docs=2))
    doc, text = pairs[0]
    assert isinstance(doc, Document) and doc.name == "227508" and doc.stable_id == "227508::document:0:0"
    assert doc.meta["mentions"][0] == [0, 8, "Chemical", "D009270"] and text.startswith("Naloxone")


GOOD_PUBTATOR = "1|t|Aspirin hurts.\n1|a|It does.\n1\t0\t7\tAspirin\tChemical\tD001241\n1\tCID\tD001241\tD000001\n"


@pytest.mark.parametrize(
    ("reader", "content", "line"),
    [
        (PubTatorDocPreprocessor, GOOD_PUBTATOR + "\n2|t|Two.\n2\t0\t9\tTwo.\tChemical\tD1\n", 7),
        (PubTatorDocPreprocessor, GOOD_PUBTATOR.replace("0\t7\tAspirin", "0\t7\tAspirim"), 3),
        (PubTatorDocPreprocessor, GOOD_PUBTATOR.replace("\t0\t7\t", "\t0\tseven\t"), 3),
        (PubTatorDocPreprocessor, "1\t0\t7\tAspirin\tChemical\tD1\n", 1),
        (TSVDocPreprocessor, "a\tfine\nno tab here\n", 2),
        (JSONLDocPreprocessor, '{"id": "a", "text": "x"}\n{"id": "b", "text": \n', 2),
        (JSONLDocPreprocessor, '{"id": "a", "text": "x"}\n\n{"name": "b", "text": "y"}\n', 3),
        (BioCXMLDocPreprocessor, "<collection>\n<document><id>1</id>\n<passage></document>\n</collection>\n", 3),
    ],
)
def test_reader_malformed_input_names_file_and_line(tmp_path: Path, reader, content: str, line: int) -> None:
    path = tmp_path / "input.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ParseError) as info:
        list(reader(path).records())
    assert info.value.path == str(path) and info.value.line == line
    assert f"{path}:{line}:" in str(info.value)


def test_text_reader_reports_undecodable_line(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"fine\nstill fine\n" + b"\xff broken\n")
    with pytest.raises(ParseError) as info:
        list(TextDocPreprocessor(tmp_path).records())
    assert info.value.line == 3
