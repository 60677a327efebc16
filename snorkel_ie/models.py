"""Snorkel 0.7's ``snorkel.models``: every ORM class and ``candidate_subclass``, by their 0.7 names.

Each name is the object of :mod:`snorkel_ie.db.models` itself (``snorkel_ie.models.Span is
snorkel_ie.db.models.Span``). The annotation keys are one table: ``LabelKey``,
``GoldLabelKey`` and ``FeatureKey`` are its rows of kind ``'label'``, ``'gold'`` and ``'feature'``.
"""

from snorkel_ie.db.models import (
    AnnotationKey,
    AnnotatorRun,
    Base,
    Candidate,
    CandidateClass,
    CandidateSpan,
    Context,
    Document,
    Feature,
    FeatureKey,
    GoldLabel,
    GoldLabelKey,
    Label,
    LabelKey,
    Marginal,
    Prediction,
    RawText,
    Sentence,
    Span,
    StableLabel,
    TemporarySpan,
    candidate_subclass,
)
from snorkel_ie.db.session import SnorkelSession

SnorkelBase = Base  # Snorkel 0.7 name of the declarative base

__all__ = [
    "AnnotationKey",
    "AnnotatorRun",
    "Base",
    "Candidate",
    "CandidateClass",
    "CandidateSpan",
    "Context",
    "Document",
    "Feature",
    "FeatureKey",
    "GoldLabel",
    "GoldLabelKey",
    "Label",
    "LabelKey",
    "Marginal",
    "Prediction",
    "RawText",
    "Sentence",
    "SnorkelBase",
    "SnorkelSession",
    "Span",
    "StableLabel",
    "TemporarySpan",
    "candidate_subclass",
]
