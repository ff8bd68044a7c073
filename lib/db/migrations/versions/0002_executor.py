"""offline executor tables (lib.executor): functions, events, runs, steps, jobs, waiters

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 01:26:20.973112
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('executor_events',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', Timestamp, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('executor_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_executor_events_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_executor_events_received_at'), ['received_at'], unique=False)

    op.create_table('executor_functions',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('app_id', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('updated_at', Timestamp, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('executor_jobs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=True),
    sa.Column('due_at', Timestamp, nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('created_at', Timestamp, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('executor_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_executor_jobs_due', ['done', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_executor_jobs_run_id'), ['run_id'], unique=False)

    op.create_table('executor_runs',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('function_id', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('event', sa.JSON(), nullable=False),
    sa.Column('output', sa.JSON(), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('disable_immediate', sa.Boolean(), nullable=False),
    sa.Column('throttle_key', sa.String(length=300), nullable=True),
    sa.Column('concurrency_key', sa.String(length=300), nullable=True),
    sa.Column('idempotency_key', sa.String(length=300), nullable=True),
    sa.Column('parent_run_id', sa.String(length=64), nullable=True),
    sa.Column('parent_step_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', Timestamp, nullable=False),
    sa.Column('started_at', Timestamp, nullable=True),
    sa.Column('ended_at', Timestamp, nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('executor_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_executor_runs_function_id'), ['function_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_executor_runs_status'), ['status'], unique=False)

    op.create_table('executor_steps',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('op', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('output', sa.JSON(), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('created_at', Timestamp, nullable=False),
    sa.Column('updated_at', Timestamp, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('executor_steps', schema=None) as batch_op:
        batch_op.create_index('ix_executor_steps_run_step', ['run_id', 'step_id'], unique=True)

    op.create_table('executor_waiters',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=False),
    sa.Column('event_name', sa.String(length=200), nullable=False),
    sa.Column('expression', sa.Text(), nullable=True),
    sa.Column('created_at', Timestamp, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('executor_waiters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_executor_waiters_event_name'), ['event_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_executor_waiters_run_id'), ['run_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('executor_waiters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_executor_waiters_run_id'))
        batch_op.drop_index(batch_op.f('ix_executor_waiters_event_name'))

    op.drop_table('executor_waiters')
    with op.batch_alter_table('executor_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_executor_steps_run_step')

    op.drop_table('executor_steps')
    with op.batch_alter_table('executor_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_executor_runs_status'))
        batch_op.drop_index(batch_op.f('ix_executor_runs_function_id'))

    op.drop_table('executor_runs')
    with op.batch_alter_table('executor_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_executor_jobs_run_id'))
        batch_op.drop_index('ix_executor_jobs_due')

    op.drop_table('executor_jobs')
    op.drop_table('executor_functions')
    with op.batch_alter_table('executor_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_executor_events_received_at'))
        batch_op.drop_index(batch_op.f('ix_executor_events_name'))

    op.drop_table('executor_events')
