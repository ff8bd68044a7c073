"""approval_requests.handed_over_at: a decision stands once its event reached the workflow

Until then a concurrent approver is told "being decided, try again", never that it stands,
since a failed hand-over reverts it. Decisions made before this migration were handed over.

Revision ID: 0004_approval_handover
Revises: 0003
Create Date: 2026-11-25 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0004_approval_handover'
down_revision = '0003'
branch_labels = None
depends_on = None

Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table('approval_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handed_over_at', Timestamp, nullable=True))
    op.execute("UPDATE approval_requests SET handed_over_at = decided_at WHERE status IN ('approved', 'rejected')")


def downgrade() -> None:
    with op.batch_alter_table('approval_requests', schema=None) as batch_op:
        batch_op.drop_column('handed_over_at')
