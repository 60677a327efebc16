"""candidate class definitions

The extractors store each candidate class's name, argument names, cardinality and values
here, so that a process that never defined the class rebuilds it with its argument names.
Databases migrated from 0001 start with no definitions (argument names were not kept):
their classes are defined again by the next extraction.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "candidate_class",
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("class_name", sa.String(length=64), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("cardinality", sa.Integer(), nullable=False),
        sa.Column("label_values", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("type", name=op.f("pk_candidate_class")),
    )


def downgrade() -> None:
    op.drop_table("candidate_class")
