"""directory of structures, depositors and routing

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('depositors',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('inbox', sa.Text(), nullable=True),
    sa.Column('sftp_login', sa.String(length=100), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sftp_login')
    )
    op.create_table('directory_imports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('deactivated', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('depositor_id', sa.String(length=100), nullable=False),
    sa.Column('supplier_id', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('capacities', sa.String(length=200), nullable=False),
    sa.Column('attached_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['depositor_id'], ['depositors.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('depositor_id', 'supplier_id', name='uq_attachment_depositor_supplier')
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_depositor_id'), ['depositor_id'], unique=False)

    op.create_table('structures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('identifier_type', sa.String(length=40), nullable=False),
    sa.Column('identifier', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('service_required', sa.Boolean(), nullable=False),
    sa.Column('engagement_required', sa.Boolean(), nullable=False),
    sa.Column('service_or_engagement', sa.Boolean(), nullable=False),
    sa.Column('payment_status_managed', sa.Boolean(), nullable=False),
    sa.Column('edi_sender', sa.Boolean(), nullable=False),
    sa.Column('edi_receiver', sa.Boolean(), nullable=False),
    sa.Column('works_space_open', sa.Boolean(), nullable=False),
    sa.Column('works_only', sa.Boolean(), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('postcode', sa.String(length=20), nullable=True),
    sa.Column('city', sa.String(length=200), nullable=True),
    sa.Column('country_code', sa.String(length=3), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['directory_imports.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('identifier', 'identifier_type', name='uq_structure_identifier')
    )
    op.create_table('services',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('engagement_required', sa.Boolean(), nullable=False),
    sa.Column('external_id', sa.String(length=40), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['directory_imports.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structures.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('structure_id', 'code', name='uq_service_structure_code')
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_structure_id'), ['structure_id'], unique=False)

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('engagement_number', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('routed_path', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('routed_path')
        batch_op.drop_column('engagement_number')

    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_structure_id'))

    op.drop_table('services')
    op.drop_table('structures')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_depositor_id'))

    op.drop_table('attachments')
    op.drop_table('directory_imports')
    op.drop_table('depositors')
