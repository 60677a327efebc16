"""Snorkel 0.7's ``snorkel.contrib.models.text``: ``RawText``, a whole text as a context.

``RawText`` is the object of :mod:`snorkel_ie.db.models` itself (see
:mod:`snorkel_ie.db.models.raw_text` for how it is stored).
"""

from snorkel_ie.db.models import RawText, candidate_subclass

__all__ = ["RawText", "candidate_subclass"]
