"""Parsing: read corpora, run spaCy, store documents, sentences and mention spans."""

from snorkel_ie.parsing.corpus_parser import CorpusParser, ParseSummary, clear_documents
from snorkel_ie.parsing.mentions import MentionSpan, document_relations, mention_spans
from snorkel_ie.parsing.preprocessors import (
    BioCXMLDocPreprocessor,
    DocPreprocessor,
    DocRecord,
    JSONLDocPreprocessor,
    Mention,
    PubTatorDocPreprocessor,
    TextDocPreprocessor,
    TSVDocPreprocessor,
    XMLMultiDocPreprocessor,
)
from snorkel_ie.parsing.spacy_parser import ParsedText, Spacy
from snorkel_ie.parsing.tabular import CSVDocPreprocessor, DataFrameDocPreprocessor, ParquetDocPreprocessor

__all__ = [
    "BioCXMLDocPreprocessor",
    "CSVDocPreprocessor",
    "CorpusParser",
    "DataFrameDocPreprocessor",
    "DocPreprocessor",
    "DocRecord",
    "JSONLDocPreprocessor",
    "Mention",
    "MentionSpan",
    "ParquetDocPreprocessor",
    "ParseSummary",
    "ParsedText",
    "PubTatorDocPreprocessor",
    "Spacy",
    "TSVDocPreprocessor",
    "TextDocPreprocessor",
    "XMLMultiDocPreprocessor",
    "clear_documents",
    "document_relations",
    "mention_spans",
]
