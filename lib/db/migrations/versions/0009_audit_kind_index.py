"""The audit log indexed by kind and time: the dashboard counts a window of one kind
(`conversation.routed`) per app, which would otherwise scan the whole log.

Revision ID: 0009_audit_kind_index
Revises: 0008_auto_sent_message
Create Date: 2026-11-26 01:30:00
"""

from __future__ import annotations

from alembic import op

revision = '0009_audit_kind_index'
down_revision = '0008_auto_sent_message'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_audit_log_kind_at', 'audit_log', ['kind', 'at'])


def downgrade() -> None:
    op.drop_index('ix_audit_log_kind_at', table_name='audit_log')
