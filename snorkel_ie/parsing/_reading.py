"""Streaming file input for the document readers, with exact 1-based line numbers.

:func:`read_lines` decodes a file in binary chunks and hands out its lines (the line
of an undecodable byte is exact); :class:`_BioCTarget` receives expat's events and
builds one BioC ``<document>`` element at a time, each element carrying its line.
Both read files of any size in constant memory.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from snorkel_ie.errors import ParseError


def read_lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    """``(1-based line number, line without its line end)``; a decoding error is a ParseError.

    Lines end as with ``open(path, newline="")``: at ``\\n``, ``\\r\\n`` or a lone ``\\r``.
    The file is decoded here, in binary chunks, so that the line of an undecodable
    byte is exact (a text-mode file decodes ahead of the line it hands out).
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    done = 0  # lines handed out
    rest: list[str] = []  # decoded text after the last line end; may end with a "\r" whose "\n" is to come
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_CHUNK_BYTES)
            final = not chunk
            state = decoder.getstate()
            try:
                text = decoder.decode(chunk, final)
            except UnicodeDecodeError as err:
                decoder.setstate(state)
                line = done + _count_line_ends("".join(rest) + _decodable_prefix(decoder, chunk)) + 1
                bad = err.object[err.start : err.end]
                raise ParseError(f"cannot decode {bad!r} as {encoding}: {err.reason}", str(path), line) from err
            if not (final or "\n" in text or "\r" in text or (rest and rest[-1].endswith("\r"))):
                rest.append(text)  # still inside one (long) line
                continue
            text = "".join(rest) + text
            held = "\r" if not final and text.endswith("\r") else ""
            text = text[: len(text) - len(held)]
            lines = _split_lines(text)
            rest = [lines.pop() + held]
            for line in lines:
                done += 1
                yield done, line
            if final:
                if rest[0]:
                    yield done + 1, rest[0]
                return


_CHUNK_BYTES = 1 << 16
_LINE_END = re.compile("\r\n|\r|\n")


def _split_lines(text: str) -> list[str]:
    """``text`` split at ``\\n``, ``\\r\\n`` and lone ``\\r``; str.split when one kind is used throughout."""
    if "\r" not in text:
        return text.split("\n")
    if "\n" not in text:
        return text.split("\r")
    crlf = text.count("\r\n")
    if crlf == text.count("\r") == text.count("\n"):
        return text.split("\r\n")
    return _LINE_END.split(text)


def _count_line_ends(text: str) -> int:
    """Line ends in ``text``, counted as :func:`read_lines` splits (``\\r\\n`` is one)."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _decodable_prefix(decoder: codecs.IncrementalDecoder, chunk: bytes) -> str:
    """What ``decoder`` decodes of ``chunk`` before the byte it rejects (byte by byte: error path only)."""
    out = []
    for i in range(len(chunk)):
        try:
            out.append(decoder.decode(chunk[i : i + 1]))
        except UnicodeDecodeError:
            break
    return "".join(out)


class _BioCTarget:
    """Expat target that builds one ``<document>`` element at a time, with line numbers."""

    def __init__(self) -> None:
        self.parser: Any = None
        self.stack: list[ET.Element] = []
        self.done: list[ET.Element] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        el = ET.Element(tag, attrs)
        el.set("_line", str(self.parser.CurrentLineNumber))
        el.text = ""
        if len(self.stack) > 1:  # documents are not attached to <collection>
            self.stack[-1].append(el)
        self.stack.append(el)

    def end(self, tag: str) -> None:
        el = self.stack.pop()
        if tag == "document":
            self.done.append(el)

    def data(self, text: str) -> None:
        if self.stack:
            self.stack[-1].text += text
