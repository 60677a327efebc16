"""Snorkel 0.7's ``snorkel.features``: the span featurizer used with ``FeatureAnnotator(f=get_span_feats)``."""

from snorkel_ie.labeling.featurizers import get_span_feats

__all__ = ["get_span_feats"]
