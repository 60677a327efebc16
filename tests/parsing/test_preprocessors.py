"""Document readers on slices of the real corpora, and their errors on malformed input."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize(
    ("field", "value"),
    [("start", "²"), ("start", " 0"), ("start", "-1"), ("start", "٠"), ("end", "⁷"), ("end", "+7"), ("start", "")],
)
def test_pubtator_mention_offsets_must_be_ascii_digits(tmp_path: Path, field: str, value: str) -> None:
    line = "1\t0\t7\tAspirin\tChemical\tD001241"
    bad = line.replace("\t0\t", f"\t{value}\t") if field == "start" else line.replace("\t7\t", f"\t{value}\t")
    path = tmp_path / "input.PubTator.txt"
    path.write_text(GOOD_PUBTATOR.replace(line, bad), encoding="utf-8")
    with pytest.raises(ParseError) as info:
        list(PubTatorDocPreprocessor(path).records())
    assert (info.value.path, info.value.line) == (str(path), 3)


def test_pubtator_keeps_relation_lines_of_any_type(tmp_path: Path) -> None:
    path = tmp_path / "input.PubTator.txt"
    path.write_text(GOOD_PUBTATOR + "1\tAssociation\tD001241\tD000001\tNovel\n1\tCPR:3\tT1\tT2\n", encoding="utf-8")
    (record,) = PubTatorDocPreprocessor(path).records()
    assert record.meta["relations"] == [
        ["CID", "D001241", "D000001"],
        ["Association", "D001241", "D000001", "Novel"],
        ["CPR:3", "T1", "T2"],
    ]
    assert record.mentions == [Mention(0, 7, "Chemical", "D001241")]


def corpus_lines(kind: str, n: int) -> list[str]:
    """``n`` valid lines of a TSV, JSONL or PubTator file, with non-ASCII text on every line."""
    if kind == "tsv":
        return [f"doc{i}\tText number {i} of the café corpus, with a few more words." for i in range(1, n + 1)]
    if kind == "jsonl":
        return [
            json.dumps({"id": f"doc{i}", "text": f"Text {i} of the café corpus."}, ensure_ascii=False)
            for i in range(1, n + 1)
        ]
    lines: list[str] = []
    for pmid in range(1, n):
        lines += [
            f"{pmid}|t|Aspirin café {pmid}.",
            f"{pmid}|a|Abstract of {pmid}.",
            f"{pmid}\t0\t7\tAspirin\tChemical\tD1",
            "",
        ]
    return lines[:n]


READERS = {"tsv": TSVDocPreprocessor, "jsonl": JSONLDocPreprocessor, "pubtator": PubTatorDocPreprocessor}


@pytest.mark.parametrize("kind", sorted(READERS))
@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bad_line", [1, 4, 1501, 3000])
def test_reader_names_the_exact_line_of_an_undecodable_byte(
    tmp_path: Path, kind: str, line_end: str, bad_line: int
) -> None:
    lines = [line.encode("utf-8") for line in corpus_lines(kind, 3000)]  # ~150 KB: several read chunks
    middle = len(lines[bad_line - 1]) // 2
    lines[bad_line - 1] = lines[bad_line - 1][:middle] + b"\xff" + lines[bad_line - 1][middle:]
    path = tmp_path / "input.txt"
    path.write_bytes(line_end.encode().join(lines) + line_end.encode())
    with pytest.raises(ParseError) as info:
        list(READERS[kind](path).records())
    assert (info.value.path, info.value.line) == (str(path), bad_line)
    assert "cannot decode b'\\xff' as utf-8" in str(info.value)


@pytest.mark.parametrize(
    ("content", "encoding", "line"),
    [
        (b"a\t" + b"x" * 200_000 + b"\nb\tfine\nc\tbad \xe9 byte\n", "utf-8", 3),  # after a line longer than a chunk
        (b"a\tb\r\nc\td\xc3", "utf-8", 2),  # a truncated character at the end of the file
        (b"a\tb\r\r\nc\td\xc3(\n", "utf-8", 3),  # a lone \r ends a line, \r\n ends one
        (("a\tb\n" * 1500 + "c\td").encode("utf-16-le") + b"\x00\xdc" + "e\n".encode("utf-16-le"), "utf-16-le", 1501),
    ],
)
def test_reader_undecodable_line_in_long_lines_other_line_ends_and_encodings(
    tmp_path: Path, content: bytes, encoding: str, line: int
) -> None:
    path = tmp_path / "input.tsv"
    path.write_bytes(content)
    with pytest.raises(ParseError) as info:
        list(TSVDocPreprocessor(path, encoding=encoding).records())
    assert info.value.line == line


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "gb18030"])
def test_reader_splits_lines_as_text_mode_does(tmp_path: Path, encoding: str) -> None:
    """Line ends \\n, \\r\\n and a lone \\r, other Unicode breaks kept, multi-byte characters across read chunks."""
    pieces = ["d1\tcafé\u2028x\x0by", "d2\t€ 𝄞 " * 20_000, "", "d3\t\x1cz", "d4\tlast"]
    text = "\r\n".join(pieces[:2]) + "\r" + pieces[2] + "\n" + "\r\r\n".join(pieces[3:])
    path = tmp_path / "input.tsv"
    path.write_bytes(text.encode(encoding))
    with open(path, encoding=encoding, newline="") as f:  # the reading the reader replaced
        expected = [line.rstrip("\r\n") for line in f if line.rstrip("\r\n")]
    records = list(TSVDocPreprocessor(path, encoding=encoding).records())
    assert [f"{r.name}\t{r.text}" for r in records] == expected
    assert [r.name for r in records] == ["d1", "d2", "d3", "d4"]
