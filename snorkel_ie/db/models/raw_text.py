"""A whole text as one context, for classifying texts (tweets, comments, reviews).

A :class:`RawText` is stored in ``raw_text`` (its stable id, name, text and meta) and is
backed by a one-sentence :class:`~snorkel_ie.db.models.Document` named by its stable id,
whose one :class:`~snorkel_ie.db.models.Span` covers the whole text. A candidate built
over a RawText (``Tweet(tweet=raw_text)``) has that span as its argument, so labeling,
gold labels, marginals and the end models treat text candidates like any other:
``c.tweet.text`` is the text, ``c.tweet.get_parent()`` its sentence (tokens split at
word boundaries and punctuation), ``c.tweet.sentence.document.meta`` the RawText's meta.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from snorkel_ie.db.models.base import Base
from snorkel_ie.db.models.context import Document, Sentence, Span, sentence_stable_id, span_stable_id
from snorkel_ie.errors import CandidateError

_TOKEN = re.compile(r"\w+|[^\w\s]")
_OUTSIDE = "O"


def text_token_arrays(text: str) -> dict[str, list[Any]]:
    """Token arrays of a one-sentence text: words (word runs and single punctuation marks) and blank tags."""
    tokens = list(_TOKEN.finditer(text))
    n = len(tokens)
    offsets = [t.start() for t in tokens]
    return {
        "words": [t.group() for t in tokens],
        "char_offsets": offsets,
        "abs_char_offsets": list(offsets),
        "lemmas": [t.group().lower() for t in tokens],
        "pos_tags": [""] * n,
        "ner_tags": [""] * n,
        "dep_parents": [0] * n,
        "dep_labels": [""] * n,
        "entity_cids": [_OUTSIDE] * n,
        "entity_types": [_OUTSIDE] * n,
    }


class RawText(Base):
    """A text to classify as a whole (Snorkel 0.7's ``snorkel.contrib.models.text.RawText``).

    Parameters
    ----------
    stable_id
        The text's identity (e.g. a tweet id); also the name of its backing document, so
        it must not be the name of a parsed document. Defaults to ``name``.
    name
        A display name (need not be unique); defaults to ``stable_id``.
    text
        The text.
    meta
        JSON-serialisable metadata, also stored on the backing document.

    Examples
    --------
    >>> from snorkel_ie.db.models import candidate_subclass
    >>> Tweet = candidate_subclass("Tweet", ["tweet"], cardinality=5)
    >>> t = Tweet(tweet=RawText(stable_id="t1", text="sunny and warm"), split=0)
    >>> t.tweet.text
    'sunny and warm'
    """

    __tablename__ = "raw_text"

    id: Mapped[int] = mapped_column(primary_key=True)
    stable_id: Mapped[str] = mapped_column(String(1024), unique=True)
    name: Mapped[str | None] = mapped_column(String(512), default=None)
    text: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    span_id: Mapped[int] = mapped_column(ForeignKey("span.id", ondelete="CASCADE"), unique=True)

    span: Mapped[Span] = relationship(
        lazy="joined", backref=backref("raw_text", uselist=False, cascade="all, delete-orphan", passive_deletes=True)
    )
    """The span over the whole text; ``span.raw_text`` leads back, so adding a candidate adds its RawText."""

    def __init__(
        self,
        stable_id: str | None = None,
        name: str | None = None,
        text: str = "",
        meta: dict[str, Any] | None = None,
    ):
        stable_id = stable_id if stable_id is not None else name
        if not stable_id:
            raise CandidateError(
                "RawText needs a stable_id (or a name to use as one), e.g. RawText(stable_id='t1', text=...)"
            )
        if not isinstance(text, str):
            raise CandidateError(f"RawText {stable_id!r}: text must be a string; got {type(text).__name__}")
        document = Document(name=str(stable_id), meta=meta)
        sentence = Sentence(
            stable_id=sentence_stable_id(str(stable_id), 0, len(text)), position=0, text=text, **text_token_arrays(text)
        )
        sentence.document = document
        span = Span(stable_id=span_stable_id(str(stable_id), 0, len(text)), char_start=0, char_end=len(text))
        span.sentence = sentence
        name = name if name is not None else str(stable_id)
        super().__init__(stable_id=str(stable_id), name=name, text=text, meta=meta)
        self.span = span

    def get_stable_id(self) -> str:
        return self.stable_id

    def get_parent(self) -> Sentence:
        """The backing sentence (the whole text)."""
        return self.span.sentence

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return f"RawText({self.stable_id!r}, {text!r})"
