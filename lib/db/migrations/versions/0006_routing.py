"""Routing: each conversation's route and why; the agent's category and confidence on actions and drafts;
what Front does with an app's `no_reply` conversations.

Revision ID: 0006_routing
Revises: 0005_drop_executor_tables
Create Date: 2026-11-25 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_routing'
down_revision = '0005_drop_executor_tables'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('route', sa.String(16), nullable=True))
        batch_op.add_column(sa.Column('route_reason', sa.String(500), nullable=True))
    for table in ('actions', 'drafts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('category', sa.String(32), nullable=True))
            batch_op.add_column(sa.Column('confidence', sa.Float(), nullable=True))
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_reply_action', sa.String(16), nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('no_reply_tag_id', sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.drop_column('no_reply_tag_id')
        batch_op.drop_column('no_reply_action')
    for table in ('drafts', 'actions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('confidence')
            batch_op.drop_column('category')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('route_reason')
        batch_op.drop_column('route')
