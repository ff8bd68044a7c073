"""drop the offline executor's tables: the executor (devkit.executor, never deployed) now creates its own

0002 put the executor's tables into the service's history; they are local-only state
(runs, steps, jobs of the offline executor), so they leave it: production databases
lose six empty tables, and a local database's executor recreates them on its next
start (its pending runs are dropped once, here). Downgrading recreates them as 0002
did, unless an executor already has.

Revision ID: 0005_drop_executor_tables
Revises: 0004_approval_handover
Create Date: 2026-11-25 22:20:00
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0005_drop_executor_tables'
down_revision = '0004_approval_handover'
branch_labels = None
depends_on = None

TABLES = ('executor_waiters', 'executor_steps', 'executor_runs', 'executor_jobs', 'executor_functions', 'executor_events')


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for table in TABLES:
        if table in existing:
            op.drop_table(table)  # its indexes go with it


def downgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if existing & set(TABLES):
        return  # an executor has created its own tables since: they are what 0002 made
    path = Path(__file__).with_name('0002_executor.py')
    spec = importlib.util.spec_from_file_location('migration_0002_executor', path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.upgrade()
