"""XMLMultiDocPreprocessor: several documents per XML file, found by 0.7's xpath parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from snorkel_ie.errors import ConfigurationError, ParseError
from snorkel_ie.parsing import XMLMultiDocPreprocessor

XML = """<?xml version="1.0"?>
<collection>
  <document><id>d1</id><text>Aspirin induced rash.</text></document>
  <document lang="en"><id>d2</id><text>First part.</text><text>Second part.</text></document>
  <document><text>No id here.</text></document>
</collection>
"""


@pytest.fixture
def xml_file(tmp_path: Path) -> Path:
    path = tmp_path / "docs.xml"
    path.write_text(XML, encoding="utf-8")
    return path


def test_default_paths_read_every_document_with_its_id_and_joined_text(xml_file: Path) -> None:
    records = list(XMLMultiDocPreprocessor(xml_file).records())
    assert [(r.name, r.text) for r in records] == [
        ("d1", "Aspirin induced rash."),
        ("d2", "First part.\nSecond part."),
        ("docs-2", "No id here."),
    ]
    assert records[0].meta == {"file_name": "docs.xml"}


def test_positional_xpaths_attribute_ids_max_docs_and_kept_tree(xml_file: Path) -> None:
    pre = XMLMultiDocPreprocessor(str(xml_file), ".//document[@lang='en']", "./text[2]/text()", "./@lang", True, 5)
    (record,) = pre.records()
    assert (record.name, record.text) == ("en", "Second part.")
    assert record.meta["root"].startswith('<document lang="en">')
    assert len(list(XMLMultiDocPreprocessor(xml_file, max_docs=2).records())) == 2
    doc, text = next(iter(XMLMultiDocPreprocessor(xml_file, id=None)))
    assert (doc.name, text) == ("docs-0", "Aspirin induced rash.")


def test_bad_xml_and_unsupported_xpath_get_package_errors(xml_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<collection>\n<document><id>x</id>\n</collection>\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"bad\.xml.*line 3|line 3.*bad\.xml|bad\.xml"):
        list(XMLMultiDocPreprocessor(bad).records())
    with pytest.raises(ConfigurationError, match="unsupported XPath"):
        list(XMLMultiDocPreprocessor(xml_file, doc="//document[last()-1]").records())
