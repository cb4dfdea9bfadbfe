"""intake: the process working on a batch, SFTP bookkeeping, and job locks for the schedule

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('remote_path', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('remote_done_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('returns_pushed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_batches_source', ['source'], unique=False)
    op.create_table('job_locks',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('job_locks')
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_index('ix_batches_source')
        batch_op.drop_column('returns_pushed_at')
        batch_op.drop_column('remote_done_at')
        batch_op.drop_column('remote_path')
        batch_op.drop_column('owner')
