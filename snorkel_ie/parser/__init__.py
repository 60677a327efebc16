"""Snorkel 0.7's ``snorkel.parser``: the corpus parser, the document preprocessors and spaCy.

Each name is the object of :mod:`snorkel_ie.parsing` itself.
"""

from snorkel_ie.parsing import (
    BioCXMLDocPreprocessor,
    CorpusParser,
    DocPreprocessor,
    JSONLDocPreprocessor,
    PubTatorDocPreprocessor,
    Spacy,
    TextDocPreprocessor,
    TSVDocPreprocessor,
    XMLMultiDocPreprocessor,
)

__all__ = [
    "BioCXMLDocPreprocessor",
    "CorpusParser",
    "DocPreprocessor",
    "JSONLDocPreprocessor",
    "PubTatorDocPreprocessor",
    "Spacy",
    "TSVDocPreprocessor",
    "TextDocPreprocessor",
    "XMLMultiDocPreprocessor",
]
