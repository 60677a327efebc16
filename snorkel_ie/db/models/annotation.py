"""Annotations of candidates: sparse ``(candidate_id, key_id, value)`` tables.

Keys name a column of a matrix: a labeling function (``kind='label'``), a gold
annotator (``kind='gold'``) or a feature (``kind='feature'``). Rows are sparse: a
missing row is an abstention (labels) or a zero (features). Every row table has the
composite primary key ``(candidate_id, key_id)`` and an index on ``key_id``;
loading one split joins ``candidate`` on ``(type, split)``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from snorkel_ie.db.models.base import Base

if TYPE_CHECKING:
    from snorkel_ie.db.models.candidate import Candidate

KEY_KINDS = ("label", "gold", "feature")

CLUSTERED = {"sqlite_with_rowid": False}
"""On SQLite, sparse row tables are stored in primary-key order (``WITHOUT ROWID``), so
loading a split's matrix reads its candidates' rows sequentially."""


class AnnotationKey(Base):
    """The name of one column of an annotation matrix."""

    __tablename__ = "annotation_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(512))

    __table_args__ = (UniqueConstraint("kind", "name"),)
    __mapper_args__ = {"polymorphic_on": "kind"}

    def __repr__(self) -> str:
        return f"AnnotationKey({self.kind!r}, {self.name!r})"


class LabelKey(AnnotationKey):
    """The key of a labeling function (Snorkel 0.7's ``LabelKey``): an ``AnnotationKey`` of kind ``'label'``."""

    __mapper_args__ = {"polymorphic_identity": "label"}


class GoldLabelKey(AnnotationKey):
    """The key of a gold annotator (Snorkel 0.7's ``GoldLabelKey``): kind ``'gold'``."""

    __mapper_args__ = {"polymorphic_identity": "gold"}


class FeatureKey(AnnotationKey):
    """The key of a feature (Snorkel 0.7's ``FeatureKey``): kind ``'feature'``."""

    __mapper_args__ = {"polymorphic_identity": "feature"}


def _candidate_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"), primary_key=True)


def _key_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("annotation_key.id", ondelete="CASCADE"), primary_key=True)


def _bulk_checked_references() -> tuple[ForeignKeyConstraint, ForeignKeyConstraint]:
    """The foreign keys of a bulk-written row table: declared on SQLite only.

    On PostgreSQL a foreign key costs one trigger call per inserted row, 4x the COPY of
    the rows itself; there migration 0004 replaces them by statement-level triggers that
    check (and lock ``FOR KEY SHARE``) the referenced candidates and keys once per
    statement and cascade deletes of candidates and keys; migration 0005 makes TRUNCATE
    and id changes of those parents refuse to orphan rows, as the foreign keys did. The
    cascade sees the rows committed before it runs, which is exact at PostgreSQL's default
    READ COMMITTED (the level snorkel-ie's jobs run at). ``migrate.include_for_dialect``
    keeps Alembic's autogenerate from proposing the SQLite-only keys on PostgreSQL. The ORM
    relationships read the join from these declarations on both backends.
    """
    return (
        ForeignKeyConstraint(["candidate_id"], ["candidate.id"], ondelete="CASCADE").ddl_if(dialect="sqlite"),
        ForeignKeyConstraint(["key_id"], ["annotation_key.id"], ondelete="CASCADE").ddl_if(dialect="sqlite"),
    )


class Label(Base):
    """The vote of labeling function ``key_id`` on a candidate (binary: +1/-1; categorical: 1..k)."""

    __tablename__ = "label"

    candidate_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)

    candidate: Mapped[Candidate] = relationship(lazy="select")
    key: Mapped[AnnotationKey] = relationship(lazy="select")

    __table_args__ = (*_bulk_checked_references(), Index("ix_label_key_id", "key_id"), CLUSTERED)


class GoldLabel(Base):
    """A ground-truth label given by annotator ``key_id`` (the key's name is the annotator name)."""

    __tablename__ = "gold_label"

    candidate_id: Mapped[int] = _candidate_fk()
    key_id: Mapped[int] = _key_fk()
    value: Mapped[int] = mapped_column(Integer)

    candidate: Mapped[Candidate] = relationship(lazy="select")
    key: Mapped[AnnotationKey] = relationship(lazy="select")

    __table_args__ = (Index("ix_gold_label_key_id", "key_id"), CLUSTERED)


class Feature(Base):
    """A real-valued feature of a candidate."""

    __tablename__ = "feature"

    candidate_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[float] = mapped_column(Float)

    candidate: Mapped[Candidate] = relationship(lazy="select")
    key: Mapped[AnnotationKey] = relationship(lazy="select")

    __table_args__ = (*_bulk_checked_references(), Index("ix_feature_key_id", "key_id"), CLUSTERED)


class Marginal(Base):
    """P(label = ``value``) for a candidate; binary models store ``value=1`` only.

    ``training`` marks marginals meant as training labels (from the generative model),
    as opposed to a discriminative model's predictions on a split.
    """

    __tablename__ = "marginal"

    candidate_id: Mapped[int] = _candidate_fk()
    training: Mapped[bool] = mapped_column(Boolean, primary_key=True, default=True)
    value: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    probability: Mapped[float] = mapped_column(Float)


class Prediction(Base):
    """A model's hard prediction for a candidate."""

    __tablename__ = "prediction"

    candidate_id: Mapped[int] = _candidate_fk()
    model: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class AnnotatorRun(Base):
    """The last application of one key (an LF) to one split of one candidate class.

    ``source_hash`` is a hash of the LF (see :func:`~snorkel_ie.labeling.lf_hash`), of the
    candidates it ran on (ids and argument spans) and of whether it has label rows on the
    split: the LabelAnnotator re-runs only the LFs whose hash changed. ``n_errors`` counts candidates on which the LF raised and
    the first error is kept with its candidate.
    """

    __tablename__ = "annotator_run"

    key_id: Mapped[int] = mapped_column(ForeignKey("annotation_key.id", ondelete="CASCADE"), primary_key=True)
    candidate_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    split: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_hash: Mapped[str] = mapped_column(String(64))
    n_candidates: Mapped[int] = mapped_column(Integer, default=0)
    n_errors: Mapped[int] = mapped_column(Integer, default=0)
    first_error: Mapped[str | None] = mapped_column(Text, default=None)
    first_error_candidate_id: Mapped[int | None] = mapped_column(Integer, default=None)
    applied_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
