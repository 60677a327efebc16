"""stable labels and raw texts (Snorkel 0.7's StableLabel and RawText)

``stable_label`` keeps labels by their candidates' context stable ids (joined with
``~~``), annotator name and split, so gold labels can be stored before the candidates
exist and attached with ``reload_annotator_labels``. ``raw_text`` keeps a whole text to
classify, backed by the span over its one-sentence document.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stable_label",
        sa.Column("context_stable_ids", sa.String(length=2048), nullable=False),
        sa.Column("annotator_name", sa.String(length=512), nullable=False),
        sa.Column("split", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("context_stable_ids", "annotator_name", name=op.f("pk_stable_label")),
    )
    op.create_table(
        "raw_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stable_id", sa.String(length=1024), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.Column("span_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["span_id"], ["span.id"], name=op.f("fk_raw_text_span_id_span"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_text")),
        sa.UniqueConstraint("span_id", name=op.f("uq_raw_text_span_id")),
        sa.UniqueConstraint("stable_id", name=op.f("uq_raw_text_stable_id")),
    )


def downgrade() -> None:
    op.drop_table("raw_text")
    op.drop_table("stable_label")
