"""Trust loop: draft-vs-sent signals, their daily counts, trust scores per app and category,
each app's auto-send gate and retention, and on drafts the app, the webhook time and the gate's reason.

Revision ID: 0007_trust
Revises: 0006_routing
Create Date: 2026-11-26 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0007_trust'
down_revision = '0006_routing'
branch_labels = None
depends_on = None

Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trust_threshold', sa.Float(), nullable=False, server_default='0.85'))
        batch_op.add_column(sa.Column('trust_min_samples', sa.Integer(), nullable=False, server_default='50'))
        batch_op.add_column(sa.Column('confidence_floor', sa.Float(), nullable=False, server_default='0.9'))
        batch_op.add_column(sa.Column('never_auto_send', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('retention_days', sa.Integer(), nullable=False, server_default='30'))
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('app_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('received_at', Timestamp, nullable=True))
        batch_op.add_column(sa.Column('auto_send_reason', sa.String(500), nullable=True))
        batch_op.create_index('ix_drafts_app_id', ['app_id'])
    op.create_table(
        'reply_signals',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('message_id', sa.String(64), nullable=False, unique=True),
        sa.Column('app_id', sa.Integer(), nullable=True),
        sa.Column('conversation_id', sa.String(64), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=True),
        sa.Column('category', sa.String(32), nullable=True),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('similarity', sa.Float(), nullable=True),
        sa.Column('draft_text', sa.Text(), nullable=True),
        sa.Column('sent_text', sa.Text(), nullable=True),
        sa.Column('author', sa.String(320), nullable=True),
        sa.Column('sent_at', Timestamp, nullable=False),
        sa.Column('created_at', Timestamp, nullable=False),
    )
    op.create_index('ix_reply_signals_conversation_id', 'reply_signals', ['conversation_id'])
    op.create_index('ix_reply_signals_app_created', 'reply_signals', ['app_id', 'created_at'])
    op.create_table(
        'reply_signal_days',
        sa.Column('app_id', sa.Integer(), primary_key=True),
        sa.Column('category', sa.String(32), primary_key=True),
        sa.Column('day', sa.Date(), primary_key=True),
        sa.Column('kind', sa.String(16), primary_key=True),
        sa.Column('count', sa.Integer(), nullable=False),
    )
    op.create_table(
        'trust_scores',
        sa.Column('app_id', sa.Integer(), primary_key=True),
        sa.Column('category', sa.String(32), primary_key=True),
        sa.Column('accepted', sa.Float(), nullable=False),
        sa.Column('total', sa.Float(), nullable=False),
        sa.Column('samples', sa.Integer(), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('decayed_to', Timestamp, nullable=False),
        sa.Column('updated_at', Timestamp, nullable=False),
    )


def downgrade() -> None:
    op.drop_table('trust_scores')
    op.drop_table('reply_signal_days')
    op.drop_index('ix_reply_signals_app_created', table_name='reply_signals')
    op.drop_index('ix_reply_signals_conversation_id', table_name='reply_signals')
    op.drop_table('reply_signals')
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_index('ix_drafts_app_id')
        batch_op.drop_column('auto_send_reason')
        batch_op.drop_column('received_at')
        batch_op.drop_column('app_id')
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.drop_column('retention_days')
        batch_op.drop_column('never_auto_send')
        batch_op.drop_column('confidence_floor')
        batch_op.drop_column('trust_min_samples')
        batch_op.drop_column('trust_threshold')
