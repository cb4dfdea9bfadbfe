"""initial ledger

Revision ID: 0001
Revises:
Create Date: 2026-11-22 18:14:26.824582
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('batches',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('depositor', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('format', sa.String(length=40), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('flow_status', sa.String(length=40), nullable=True),
    sa.Column('reason_code', sa.String(length=40), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('reason_fr', sa.Text(), nullable=True),
    sa.Column('work_path', sa.Text(), nullable=True),
    sa.Column('duplicate_of', sa.String(length=40), nullable=True),
    sa.Column('invoice_count', sa.Integer(), nullable=False),
    sa.Column('accepted_count', sa.Integer(), nullable=False),
    sa.Column('rejected_count', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.create_index('uq_batch_depositor_sha256', ['depositor', 'sha256'], unique=True, sqlite_where=sa.text('duplicate_of IS NULL'), postgresql_where=sa.text('duplicate_of IS NULL'))

    op.create_table('invoices',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('origin', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=40), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('supplier_id', sa.String(length=100), nullable=True),
    sa.Column('number', sa.String(length=200), nullable=True),
    sa.Column('issue_year', sa.Integer(), nullable=True),
    sa.Column('issue_date', sa.String(length=10), nullable=True),
    sa.Column('type_code', sa.String(length=10), nullable=True),
    sa.Column('recipient_id', sa.String(length=100), nullable=True),
    sa.Column('service_code', sa.String(length=100), nullable=True),
    sa.Column('billing_frame', sa.String(length=100), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('amount_due', sa.Numeric(precision=21, scale=6), nullable=True),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('status_code', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('batch_id', 'position', name='uq_invoice_batch_position')
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_supplier_number', ['supplier_id', 'number'], unique=False)
        batch_op.create_index('uq_accepted_supplier_number_year', ['supplier_id', 'number', 'issue_year'], unique=True, sqlite_where=sa.text("decision = 'accepted'"), postgresql_where=sa.text("decision = 'accepted'"))

    op.create_table('findings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('bt', sa.String(length=100), nullable=True),
    sa.Column('field', sa.String(length=200), nullable=True),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('message_en', sa.Text(), nullable=False),
    sa.Column('message_fr', sa.Text(), nullable=False),
    sa.Column('hint', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('status_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.String(length=40), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_events_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_events_invoice_id'), ['invoice_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_events_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_status_events_batch_id'))

    op.drop_table('status_events')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_invoice_id'))

    op.drop_table('findings')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('uq_accepted_supplier_number_year', sqlite_where=sa.text("decision = 'accepted'"), postgresql_where=sa.text("decision = 'accepted'"))
        batch_op.drop_index('ix_invoice_supplier_number')

    op.drop_table('invoices')
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_index('uq_batch_depositor_sha256', sqlite_where=sa.text('duplicate_of IS NULL'), postgresql_where=sa.text('duplicate_of IS NULL'))

    op.drop_table('batches')

