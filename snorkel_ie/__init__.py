"""snorkel-ie: training-data creation by weak supervision (data programming).

The public API mirrors Snorkel 0.7, so a notebook written for it runs after changing
its imports. Importing this package has no side effects: it reads no environment
variable, opens no database and does not import TensorFlow.
"""

from snorkel_ie.db.engine import make_engine
from snorkel_ie.db.models import (
    Candidate,
    Context,
    Document,
    Sentence,
    Span,
    TemporarySpan,
    candidate_subclass,
)
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.errors import SnorkelIEError

__version__ = "0.1.0"

__all__ = [
    "Candidate",
    "Context",
    "Document",
    "Sentence",
    "SnorkelIEError",
    "SnorkelSession",
    "Span",
    "TemporarySpan",
    "candidate_subclass",
    "make_engine",
]
