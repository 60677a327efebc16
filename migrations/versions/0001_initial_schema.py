"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('annotation_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=512), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotation_key')),
    sa.UniqueConstraint('kind', 'name', name=op.f('uq_annotation_key_kind'))
    )
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stable_id', sa.String(length=1024), nullable=False),
    sa.Column('name', sa.String(length=512), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('name', name=op.f('uq_document_name')),
    sa.UniqueConstraint('stable_id', name=op.f('uq_document_stable_id'))
    )
    op.create_table('annotator_run',
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('candidate_type', sa.String(length=64), nullable=False),
    sa.Column('split', sa.Integer(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('n_candidates', sa.Integer(), nullable=False),
    sa.Column('n_errors', sa.Integer(), nullable=False),
    sa.Column('first_error', sa.Text(), nullable=True),
    sa.Column('first_error_candidate_id', sa.Integer(), nullable=True),
    sa.Column('applied_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['annotation_key.id'], name=op.f('fk_annotator_run_key_id_annotation_key'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key_id', 'candidate_type', 'split', name=op.f('pk_annotator_run'))
    )
    op.create_table('sentence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stable_id', sa.String(length=1024), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('words', sa.JSON(), nullable=False),
    sa.Column('char_offsets', sa.JSON(), nullable=False),
    sa.Column('abs_char_offsets', sa.JSON(), nullable=False),
    sa.Column('lemmas', sa.JSON(), nullable=False),
    sa.Column('pos_tags', sa.JSON(), nullable=False),
    sa.Column('ner_tags', sa.JSON(), nullable=False),
    sa.Column('dep_parents', sa.JSON(), nullable=False),
    sa.Column('dep_labels', sa.JSON(), nullable=False),
    sa.Column('entity_cids', sa.JSON(), nullable=False),
    sa.Column('entity_types', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_sentence_document_id_document'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sentence')),
    sa.UniqueConstraint('document_id', 'position', name=op.f('uq_sentence_document_id')),
    sa.UniqueConstraint('stable_id', name=op.f('uq_sentence_stable_id'))
    )
    op.create_table('candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('split', sa.Integer(), nullable=False),
    sa.Column('sentence_id', sa.Integer(), nullable=False),
    sa.Column('span_key', sa.String(length=256), nullable=False),
    sa.ForeignKeyConstraint(['sentence_id'], ['sentence.id'], name=op.f('fk_candidate_sentence_id_sentence'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate')),
    sa.UniqueConstraint('sentence_id', 'type', 'span_key', name=op.f('uq_candidate_sentence_id'))
    )
    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.create_index('ix_candidate_type_split', ['type', 'split'], unique=False)

    op.create_table('span',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stable_id', sa.String(length=1024), nullable=False),
    sa.Column('sentence_id', sa.Integer(), nullable=False),
    sa.Column('char_start', sa.Integer(), nullable=False),
    sa.Column('char_end', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sentence_id'], ['sentence.id'], name=op.f('fk_span_sentence_id_sentence'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_span')),
    sa.UniqueConstraint('sentence_id', 'char_start', 'char_end', name=op.f('uq_span_sentence_id')),
    sa.UniqueConstraint('stable_id', name=op.f('uq_span_stable_id'))
    )
    op.create_table('candidate_span',
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('span_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_candidate_span_candidate_id_candidate'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['span_id'], ['span.id'], name=op.f('fk_candidate_span_span_id_span'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('candidate_id', 'position', name=op.f('pk_candidate_span'))
    )
    with op.batch_alter_table('candidate_span', schema=None) as batch_op:
        batch_op.create_index('ix_candidate_span_span_id', ['span_id'], unique=False)

    op.create_table('feature',
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_feature_candidate_id_candidate'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['key_id'], ['annotation_key.id'], name=op.f('fk_feature_key_id_annotation_key'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('candidate_id', 'key_id', name=op.f('pk_feature')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('feature', schema=None) as batch_op:
        batch_op.create_index('ix_feature_key_id', ['key_id'], unique=False)

    op.create_table('gold_label',
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_gold_label_candidate_id_candidate'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['key_id'], ['annotation_key.id'], name=op.f('fk_gold_label_key_id_annotation_key'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('candidate_id', 'key_id', name=op.f('pk_gold_label')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('gold_label', schema=None) as batch_op:
        batch_op.create_index('ix_gold_label_key_id', ['key_id'], unique=False)

    op.create_table('label',
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_label_candidate_id_candidate'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['key_id'], ['annotation_key.id'], name=op.f('fk_label_key_id_annotation_key'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('candidate_id', 'key_id', name=op.f('pk_label')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('label', schema=None) as batch_op:
        batch_op.create_index('ix_label_key_id', ['key_id'], unique=False)

    op.create_table('marginal',
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('training', sa.Boolean(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_marginal_candidate_id_candidate'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('candidate_id', 'training', 'value', name=op.f('pk_marginal'))
    )
    op.create_table('prediction',
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_prediction_candidate_id_candidate'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('candidate_id', 'model', name=op.f('pk_prediction'))
    )


def downgrade() -> None:
    op.drop_table('prediction')
    op.drop_table('marginal')
    with op.batch_alter_table('label', schema=None) as batch_op:
        batch_op.drop_index('ix_label_key_id')

    op.drop_table('label')
    with op.batch_alter_table('gold_label', schema=None) as batch_op:
        batch_op.drop_index('ix_gold_label_key_id')

    op.drop_table('gold_label')
    with op.batch_alter_table('feature', schema=None) as batch_op:
        batch_op.drop_index('ix_feature_key_id')

    op.drop_table('feature')
    with op.batch_alter_table('candidate_span', schema=None) as batch_op:
        batch_op.drop_index('ix_candidate_span_span_id')

    op.drop_table('candidate_span')
    op.drop_table('span')
    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.drop_index('ix_candidate_type_split')

    op.drop_table('candidate')
    op.drop_table('sentence')
    op.drop_table('annotator_run')
    op.drop_table('document')
    op.drop_table('annotation_key')
