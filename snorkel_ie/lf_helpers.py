"""Snorkel 0.7's ``snorkel.lf_helpers``: the helpers of :mod:`snorkel_ie.labeling.lf_helpers`, re-exported."""

from snorkel_ie.labeling import lf_helpers as _impl
from snorkel_ie.labeling.lf_helpers import *  # noqa: F403 - the same objects, by their 0.7 module path

__all__ = list(_impl.__all__)
