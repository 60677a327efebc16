"""Document readers: each turns a file (or a folder of files) into document records.

A reader yields :class:`DocRecord` objects from :meth:`DocPreprocessor.records` and, for
code written against Snorkel 0.7, ``(Document, text)`` pairs when iterated. Pre-tagged
entity mentions (PubTator, BioC) travel with the record as :class:`Mention` tuples with
absolute, end-exclusive document offsets; gold relations go to ``meta['relations']``.

Every reader validates its input: a malformed file raises
:class:`~snorkel_ie.errors.ParseError` naming the file and the 1-based line.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from xml.parsers import expat

from snorkel_ie.db.models import Document
from snorkel_ie.errors import ConfigurationError, ParseError
from snorkel_ie.parsing._reading import _BioCTarget, read_lines

__all__ = [
    "BioCXMLDocPreprocessor",
    "DocPreprocessor",
    "DocRecord",
    "JSONLDocPreprocessor",
    "Mention",
    "PubTatorDocPreprocessor",
    "TSVDocPreprocessor",
    "TextDocPreprocessor",
    "XMLMultiDocPreprocessor",
]


class Mention(NamedTuple):
    """A pre-tagged entity mention: ``text[start:end]`` is the mention (document offsets)."""

    start: int
    end: int
    type: str
    cid: str


@dataclass(slots=True)
class DocRecord:
    """One document read from a corpus file: what a parser needs, small and picklable."""

    name: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)
    mentions: list[Mention] = field(default_factory=list)


class DocPreprocessor:
    """Base reader: ``path`` is a file or a folder whose files are read in name order.

    Parameters
    ----------
    path
        A file, or a folder (every regular file in it whose name ends with one of
        ``suffixes``, sorted by name).
    encoding
        Text encoding of the files.
    max_docs
        Stop after this many documents (``None``, or 0.7's ``float('inf')``: all).

    Examples
    --------
    >>> for doc, text in TSVDocPreprocessor("articles.tsv", max_docs=2):  # doctest: +SKIP
    ...     print(doc.name, len(text))
    """

    suffixes: tuple[str, ...] = ()

    def __init__(self, path: str | Path, encoding: str = "utf-8", max_docs: int | float | None = None):
        self.path = Path(path)
        if not self.path.exists():
            raise ConfigurationError(f"{self.path}: no such file or folder")
        if max_docs == float("inf"):  # Snorkel 0.7's "no limit"
            max_docs = None
        if max_docs is not None and (max_docs < 0 or max_docs != int(max_docs)):
            raise ConfigurationError(f"max_docs must be a whole number >= 0 or None; got {max_docs}")
        max_docs = None if max_docs is None else int(max_docs)
        self.encoding = encoding
        self.max_docs = max_docs

    def files(self) -> list[Path]:
        """The files this reader reads, in order."""
        if self.path.is_file():
            return [self.path]
        found = (p for p in self.path.iterdir() if p.is_file() and not p.name.startswith("."))
        return sorted(p for p in found if not self.suffixes or p.name.endswith(self.suffixes))

    def records(self) -> Iterator[DocRecord]:
        """Yield the documents of every file, at most ``max_docs``."""
        if self.max_docs == 0:
            return
        n = 0
        for path in self.files():
            for record in self.parse_file(path):
                yield record
                n += 1
                if self.max_docs is not None and n >= self.max_docs:
                    return

    def parse_file(self, path: Path) -> Iterator[DocRecord]:
        """Yield the documents of one file; subclasses implement this."""
        raise NotImplementedError

    def generate(self) -> Iterator[tuple[Document, str]]:
        """Snorkel 0.7 name for iterating ``(Document, text)`` pairs."""
        for r in self.records():
            meta = dict(r.meta)
            if r.mentions:
                meta["mentions"] = [list(m) for m in r.mentions]
            yield Document(r.name, meta=meta), r.text

    def __iter__(self) -> Iterator[tuple[Document, str]]:
        return self.generate()

    def _lines(self, path: Path) -> Iterator[tuple[int, str]]:
        """``(1-based line number, line without its line end)`` of ``path`` in this reader's encoding.

        See :func:`~snorkel_ie.parsing._reading.read_lines`; a decoding error is a ParseError.
        """
        return read_lines(path, self.encoding)


class TSVDocPreprocessor(DocPreprocessor):
    """``name<TAB>text`` a line; blank lines are skipped; text may contain further tabs."""

    suffixes = (".tsv", ".txt")

    def parse_file(self, path: Path) -> Iterator[DocRecord]:
        for lineno, line in self._lines(path):
            if not line.strip():
                continue
            name, tab, text = line.partition("\t")
            if not tab or not name:
                raise ParseError("expected 'name<TAB>text'", str(path), lineno)
            yield DocRecord(name, text)


class JSONLDocPreprocessor(DocPreprocessor):
    """One JSON object a line; ``id_field`` names the document and ``text_field`` holds its text.

    The object's other fields are kept in the document's ``meta``.
    """

    suffixes = (".jsonl", ".json", ".ndjson")

    def __init__(
        self,
        path: str | Path,
        *,
        id_field: str = "id",
        text_field: str = "text",
        encoding: str = "utf-8",
        max_docs: int | None = None,
    ):
        super().__init__(path, encoding=encoding, max_docs=max_docs)
        self.id_field = id_field
        self.text_field = text_field

    def parse_file(self, path: Path) -> Iterator[DocRecord]:
        for lineno, line in self._lines(path):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise ParseError(f"invalid JSON: {err.msg} (column {err.colno})", str(path), lineno) from err
            if not isinstance(obj, dict):
                raise ParseError(f"expected a JSON object, got {type(obj).__name__}", str(path), lineno)
            missing = [f for f in (self.id_field, self.text_field) if f not in obj]
            if missing:
                raise ParseError(
                    f"missing field(s) {missing}; the object has {sorted(obj)} (set id_field= / text_field= to match)",
                    str(path),
                    lineno,
                )
            text = obj.pop(self.text_field)
            if not isinstance(text, str):
                raise ParseError(f"field {self.text_field!r} must be a string", str(path), lineno)
            name = str(obj.pop(self.id_field))
            yield DocRecord(name, text, meta=obj)


class TextDocPreprocessor(DocPreprocessor):
    """A folder of ``.txt`` files (or one file): one document each, named by the file stem."""

    suffixes = (".txt",)

    def parse_file(self, path: Path) -> Iterator[DocRecord]:
        data = path.read_bytes()
        try:
            text = data.decode(self.encoding)
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            raise ParseError(f"cannot decode as {self.encoding}: {err.reason}", str(path), line) from err
        yield DocRecord(path.stem, text, meta={"file": path.name})


def _check_mention(text: str, m: Mention, expected: str | None, path: Path, lineno: int) -> None:
    if not 0 <= m.start < m.end <= len(text):
        raise ParseError(
            f"mention offsets [{m.start}, {m.end}) outside the document (length {len(text)})", str(path), lineno
        )
    if expected is not None and text[m.start : m.end] != expected:
        raise ParseError(
            f"mention text {expected!r} does not match the document text {text[m.start : m.end]!r} at [{m.start}, {m.end})",
            str(path),
            lineno,
        )


class PubTatorDocPreprocessor(DocPreprocessor):
    """PubTator: ``PMID|t|title``, ``PMID|a|abstract``, mention and relation lines, blank-line separated.

    The text is ``title + " " + abstract``. Mention lines
    ``PMID<TAB>start<TAB>end<TAB>text<TAB>type<TAB>ids[<TAB>parts]`` become
    :class:`Mention` records (their text is checked against the document); relation lines
    ``PMID<TAB>CID<TAB>chemical<TAB>disease`` go to ``meta['relations']`` as
    ``['CID', chemical, disease]``. Offsets are ASCII digits and a relation type starts
    with a letter; any other line of a document is a :class:`~snorkel_ie.errors.ParseError`.
    """

    suffixes = (".txt", ".pubtator", ".PubTator")

    def parse_file(self, path: Path) -> Iterator[DocRecord]:
        current: DocRecord | None = None
        title_line = 0  # of the current document; its abstract line must follow before the block ends
        has_abstract = False
        for lineno, line in self._lines(path):
            if not line.strip():
                if current is not None:
                    _check_complete(current, has_abstract, path, title_line)
                    yield current
                current = None
                continue
            head = line.split("|", 2)
            if len(head) == 3 and head[1] in ("t", "a") and "\t" not in head[0]:
                if head[1] == "t":
                    title_line, has_abstract = lineno, False
                elif current is not None and has_abstract:
                    raise ParseError(f"a second abstract line of document {current.name}", str(path), lineno)
                else:
                    has_abstract = True
                current = self._text_line(current, head, path, lineno)
                continue
            if current is None:
                raise ParseError("expected a 'PMID|t|title' line", str(path), lineno)
            self._annotation_line(current, line.split("\t"), path, lineno)
        if current is not None:
            _check_complete(current, has_abstract, path, title_line)
            yield current

    @staticmethod
    def _text_line(current: DocRecord | None, head: list[str], path: Path, lineno: int) -> DocRecord:
        pmid, kind, text = head
        if kind == "t":
            if current is not None:
                raise ParseError(f"title of {pmid} before the end of document {current.name}", str(path), lineno)
            return DocRecord(pmid, text, meta={"relations": []})
        if current is None or current.name != pmid:
            raise ParseError(f"abstract of {pmid} without its title line", str(path), lineno)
        current.text = f"{current.text} {text}"
        return current

    @staticmethod
    def _annotation_line(current: DocRecord, fields: list[str], path: Path, lineno: int) -> None:
        if fields[0] != current.name:
            raise ParseError(f"line of document {fields[0]} inside document {current.name}", str(path), lineno)
        if len(fields) < 3:
            raise ParseError(
                f"expected a mention or relation line; got {len(fields)} tab-separated field(s)", str(path), lineno
            )
        if _is_offset(fields[1]):
            if len(fields) not in (6, 7) or not _is_offset(fields[2]):
                raise ParseError(
                    "expected 'PMID<TAB>start<TAB>end<TAB>text<TAB>type<TAB>id(s)' with start and end in ASCII digits",
                    str(path),
                    lineno,
                )
            m = Mention(int(fields[1]), int(fields[2]), fields[4], fields[5])
            _check_mention(current.text, m, fields[3], path, lineno)
            current.mentions.append(m)
        elif fields[1][:1].isalpha():
            current.meta["relations"].append(fields[1:])
        else:
            raise ParseError(
                f"second field {fields[1]!r} is neither a mention start (ASCII digits) "
                "nor a relation type (starting with a letter)",
                str(path),
                lineno,
            )


def _check_complete(doc: DocRecord, has_abstract: bool, path: Path, title_line: int) -> None:
    """A PubTator block has a title and an abstract line (possibly empty); a block cut after its title does not."""
    if not has_abstract:
        raise ParseError(
            f"document {doc.name} has a title but no '{doc.name}|a|' abstract line: the block is truncated; "
            "restore the file, or add an empty abstract line when the document has none",
            str(path),
            title_line,
        )


def _is_offset(field: str) -> bool:
    """A PubTator offset: ASCII digits only (no sign, no space, no other Unicode digits)."""
    return field.isascii() and field.isdigit()


class BioCXMLDocPreprocessor(DocPreprocessor):
    """BioC XML in the BioCreative CDR layout.

    Each ``<document>`` becomes one record; its passages are placed at their
    ``<offset>`` (the gap is filled with spaces, so the CDR text is
    ``title + " " + abstract``). Annotations become mentions (``type`` and ``MESH`` or
    ``identifier`` infons; an annotation with several locations gives one mention per
    location); relations go to ``meta['relations']`` as ``[relation, *other infons]``.
    """

    suffixes = (".xml",)

    def parse_file(self, path: Path) -> Iterator[DocRecord]:
        target = _BioCTarget()
        parser = expat.ParserCreate()
        target.parser = parser
        parser.StartElementHandler = target.start
        parser.EndElementHandler = target.end
        parser.CharacterDataHandler = target.data
        with open(path, "rb") as f:
            while True:
                chunk = f.read(1 << 16)
                try:
                    parser.Parse(chunk, not chunk)
                except expat.ExpatError as err:
                    raise ParseError(f"invalid XML: {expat.errors.messages[err.code]}", str(path), err.lineno) from err
                for el in target.done:
                    yield self._document(el, path)
                target.done.clear()
                if not chunk:
                    break

    def _document(self, el: ET.Element, path: Path) -> DocRecord:
        line = int(el.get("_line", 0))
        name = (el.findtext("id") or "").strip()
        if not name:
            raise ParseError("<document> without an <id>", str(path), line)
        text = ""
        pending: list[tuple[ET.Element, int]] = []
        for passage in el.iter("passage"):
            pline = int(passage.get("_line", line))
            try:
                offset = int(passage.findtext("offset") or 0)
            except ValueError as err:
                raise ParseError("passage <offset> is not an integer", str(path), pline) from err
            if offset < len(text):
                raise ParseError(f"passage offset {offset} overlaps the previous passage", str(path), pline)
            text = text.ljust(offset) + (passage.findtext("text") or "")
            pending.extend((a, pline) for a in passage.iter("annotation"))
        mentions = [m for a, pline in pending for m in self._mentions(a, text, path, pline)]
        relations = [self._relation(r) for r in el.iter("relation")]
        return DocRecord(name, text, meta={"relations": relations}, mentions=mentions)

    @staticmethod
    def _mentions(a: ET.Element, text: str, path: Path, default_line: int) -> list[Mention]:
        line = int(a.get("_line", default_line))
        infons = {i.get("key"): (i.text or "") for i in a.iter("infon")}
        locations = a.findall("location")
        if not locations:
            raise ParseError("<annotation> without a <location>", str(path), line)
        out = []
        for loc in locations:
            try:
                start, length = int(loc.get("offset", "")), int(loc.get("length", ""))
            except ValueError as err:
                raise ParseError("<location> needs integer offset and length", str(path), line) from err
            m = Mention(start, start + length, infons.get("type", ""), infons.get("MESH", infons.get("identifier", "")))
            expected = a.findtext("text") if len(locations) == 1 else None
            _check_mention(text, m, expected, path, line)
            out.append(m)
        return out

    @staticmethod
    def _relation(r: ET.Element) -> list[str]:
        infons = [(i.get("key"), i.text or "") for i in r.iter("infon")]
        head = [v for k, v in infons if k == "relation"]
        return head + [v for k, v in infons if k != "relation"]


def _xpath_find(el: ET.Element, path: str) -> list[str]:
    """Strings selected by ``path`` under ``el``: ElementTree's XPath subset, plus a final
    ``/text()`` (the elements' text) or ``/@name`` (an attribute), as lxml's ``xpath`` gives."""
    if path.endswith("text()"):
        found = el.findall(path[: -len("text()")].rstrip("/") or ".")
        return [e.text for e in found if e.text is not None]
    head, sep, attr = path.rpartition("@")
    if sep and "/" not in attr and "]" not in attr:
        return [e.get(attr) for e in el.findall(head.rstrip("/") or ".") if e.get(attr) is not None]
    return ["".join(e.itertext()) for e in el.findall(path)]


class XMLMultiDocPreprocessor(DocPreprocessor):
    """Several documents per XML file, located by XPath (Snorkel 0.7's ``XMLMultiDocPreprocessor``).

    Parameters
    ----------
    path
        A file or a folder of ``.xml`` files.
    doc
        Path of each document element, from the root (default ``.//document``).
    text
        Path of the document's text, from the document element; several matches are
        joined with newlines (default ``./text/text()``).
    id
        Path of the document's name, from the document element (default ``.//id/text()``);
        ``None``, or a document where it matches nothing, names it ``<file stem>-<index>``.
    keep_xml_tree
        Keep the document element's XML in ``meta['root']``.
    max_docs
        Stop after this many documents.

    The paths use ElementTree's XPath subset (``.//a``, ``./a/b``, ``[@k='v']``) with a
    final ``text()`` or ``@attribute``, which covers 0.7's defaults and tutorials.
    """

    suffixes = (".xml",)

    def __init__(
        self,
        path: str | Path,
        doc: str = ".//document",
        text: str = "./text/text()",
        id: str | None = ".//id/text()",
        keep_xml_tree: bool = False,
        max_docs: int | float | None = None,
        *,
        encoding: str = "utf-8",
    ):
        super().__init__(path, encoding=encoding, max_docs=max_docs)
        self.doc, self.text, self.id, self.keep_xml_tree = doc, text, id, bool(keep_xml_tree)

    def parse_file(self, path: Path) -> Iterator[DocRecord]:
        try:
            root = ET.parse(path, parser=ET.XMLParser(encoding=self.encoding)).getroot()
        except ET.ParseError as err:
            raise ParseError(f"invalid XML: {err}", str(path), err.position[0]) from err
        try:
            docs = root.findall(self.doc) if self.doc not in (".", "/") else [root]
            for i, el in enumerate(docs):
                ids = _xpath_find(el, self.id) if self.id else []
                meta: dict[str, Any] = {"file_name": path.name}
                if self.keep_xml_tree:
                    meta["root"] = ET.tostring(el, encoding="unicode")
                name = str(ids[0]).strip() if ids else f"{path.stem}-{i}"
                yield DocRecord(name, "\n".join(_xpath_find(el, self.text)), meta)
        except SyntaxError as err:  # ElementTree's error for a path it cannot read
            raise ConfigurationError(
                f"XMLMultiDocPreprocessor: unsupported XPath in doc={self.doc!r}, text={self.text!r} or id={self.id!r}: "
                f"{err}; use ElementTree's subset (.//a, ./a/b, [@k='v']) ending in text() or @attribute"
            ) from err
