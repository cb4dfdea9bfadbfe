"""a batch's source as text: a folder path may be longer than 200 characters (PostgreSQL refused it)

SQLite stores text of any length in a VARCHAR(200) column, and changing a column's type there means rebuilding
the table (whose drop would cascade to the invoices): it is left as it is on SQLite.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.alter_column('source', existing_type=sa.String(length=200), type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.alter_column('source', existing_type=sa.Text(), type_=sa.String(length=200), existing_nullable=False)
