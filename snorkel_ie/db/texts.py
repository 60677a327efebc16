"""Database reads for :mod:`snorkel_ie.candidates.texts`: which texts are stored already."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from snorkel_ie.db.models import RawText
from snorkel_ie.db.views import chunks

__all__ = ["stored_text_ids"]


def stored_text_ids(session: Session, stable_ids: Sequence[str]) -> set[str]:
    """The ones of ``stable_ids`` that name a stored :class:`~snorkel_ie.db.models.RawText`."""
    t = RawText.__table__
    found: set[str] = set()
    for part in chunks(list(stable_ids)):
        found.update(session.execute(select(t.c.stable_id).where(t.c.stable_id.in_(part))).scalars())
    return found
