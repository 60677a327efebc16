"""Snorkel 0.7's ``snorkel.parser.spacy_parser``: the spaCy parser (the object of :mod:`snorkel_ie.parsing`)."""

from snorkel_ie.parsing.spacy_parser import Spacy

__all__ = ["Spacy"]
