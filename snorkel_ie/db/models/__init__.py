"""The persistent data model: contexts, candidates and annotations."""

from snorkel_ie.db.models.annotation import (
    KEY_KINDS,
    AnnotationKey,
    AnnotatorRun,
    Feature,
    GoldLabel,
    Label,
    Marginal,
    Prediction,
)
from snorkel_ie.db.models.base import Base
from snorkel_ie.db.models.candidate import Candidate, CandidateSpan, candidate_subclass, get_candidate_class, span_key
from snorkel_ie.db.models.context import (
    TOKEN_ATTRIBUTES,
    Context,
    Document,
    Sentence,
    Span,
    SpanMixin,
    TemporarySpan,
    document_stable_id,
    sentence_stable_id,
    span_stable_id,
    split_stable_id,
)

__all__ = [
    "KEY_KINDS",
    "TOKEN_ATTRIBUTES",
    "AnnotationKey",
    "AnnotatorRun",
    "Base",
    "Candidate",
    "CandidateSpan",
    "Context",
    "Document",
    "Feature",
    "GoldLabel",
    "Label",
    "Marginal",
    "Prediction",
    "Sentence",
    "Span",
    "SpanMixin",
    "TemporarySpan",
    "candidate_subclass",
    "document_stable_id",
    "get_candidate_class",
    "sentence_stable_id",
    "span_key",
    "span_stable_id",
    "split_stable_id",
]
