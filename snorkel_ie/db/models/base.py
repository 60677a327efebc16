"""Declarative base and portable column types."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, MetaData
from sqlalchemy.orm import DeclarativeBase

# Deterministic constraint names keep Alembic migrations and the ORM metadata in step.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Token arrays are JSON on both backends. On PostgreSQL the plain ``json`` type keeps the
# text as written, which COPY loads without re-encoding (``jsonb`` costs a parse per row
# and is not needed: nothing queries inside the arrays).
TokenArray = JSON


class Base(DeclarativeBase):
    """Base of every mapped class of snorkel-ie."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}
