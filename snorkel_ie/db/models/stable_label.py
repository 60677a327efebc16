"""Labels kept by the stable ids of their contexts, so they outlive a re-parse.

A :class:`StableLabel` names its candidate by its arguments' context stable ids joined
with ``"~~"`` (Snorkel 0.7's layout), not by a candidate id: it can be stored before the
candidates exist and is attached to them by
:func:`~snorkel_ie.labeling.stable_labels.reload_annotator_labels`.
"""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from snorkel_ie.db.models.base import Base

STABLE_ID_SEPARATOR = "~~"
"""Joins the arguments' stable ids in ``StableLabel.context_stable_ids``."""


class StableLabel(Base):
    """Annotator ``annotator_name``'s label ``value`` of the candidate whose arguments have these stable ids."""

    __tablename__ = "stable_label"

    context_stable_ids: Mapped[str] = mapped_column(String(2048), primary_key=True)
    annotator_name: Mapped[str] = mapped_column(String(512), primary_key=True)
    split: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[int] = mapped_column(Integer)

    def __init__(self, context_stable_ids: str, annotator_name: str, value: int, split: int = 0):
        super().__init__(
            context_stable_ids=context_stable_ids, annotator_name=annotator_name, value=int(value), split=int(split)
        )

    def stable_ids(self) -> list[str]:
        """The arguments' stable ids, in argument order."""
        return self.context_stable_ids.split(STABLE_ID_SEPARATOR)

    def __repr__(self) -> str:
        return (
            f"StableLabel({self.context_stable_ids!r}, {self.annotator_name!r}, value={self.value}, split={self.split})"
        )
