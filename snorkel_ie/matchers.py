"""Snorkel 0.7's ``snorkel.matchers``: the matchers and their combinators, re-exported.

Each name is the object of :mod:`snorkel_ie.candidates.matchers` or
:mod:`snorkel_ie.candidates.combinators` itself.
"""

from snorkel_ie.candidates import combinators as _combinators
from snorkel_ie.candidates import matchers as _matchers
from snorkel_ie.candidates.combinators import *  # noqa: F403 - the same objects, by their 0.7 module path
from snorkel_ie.candidates.matchers import *  # noqa: F403

__all__ = sorted({*_matchers.__all__, *_combinators.__all__})
