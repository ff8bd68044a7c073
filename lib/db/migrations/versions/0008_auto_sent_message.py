"""Drafts remember the Front message our auto-send became, so its outbound webhook is not taken for a teammate's reply.

Front answers a sent reply with 202 and a `message_uid` only (the message is created
asynchronously); the message id is resolved later through `GET /messages/alt:uid:{uid}`.

Revision ID: 0008_auto_sent_message
Revises: 0007_trust
Create Date: 2026-11-26 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_auto_sent_message'
down_revision = '0007_trust'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_message_uid', sa.String(64), nullable=True))
        batch_op.add_column(sa.Column('sent_message_id', sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_column('sent_message_id')
        batch_op.drop_column('sent_message_uid')
