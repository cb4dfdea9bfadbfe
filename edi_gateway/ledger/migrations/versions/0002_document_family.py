"""document family in the duplicate key: a credit note is not a duplicate of the invoice it corrects

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_ACCEPTED = sa.text("decision = 'accepted'")


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_family', sa.String(length=20), server_default='invoice',
                                      nullable=False))
        batch_op.drop_index('uq_accepted_supplier_number_year', sqlite_where=_ACCEPTED, postgresql_where=_ACCEPTED)
        batch_op.create_index('uq_accepted_supplier_number_year_family',
                              ['supplier_id', 'number', 'issue_year', 'document_family'], unique=True,
                              sqlite_where=_ACCEPTED, postgresql_where=_ACCEPTED)
    op.execute("UPDATE invoices SET document_family = 'credit-note' WHERE format = 'ubl-creditnote' "
               "OR type_code IN ('381', '261', '262', '296', '308', '396', '420', '458', '532')")


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('uq_accepted_supplier_number_year_family', sqlite_where=_ACCEPTED,
                            postgresql_where=_ACCEPTED)
        batch_op.create_index('uq_accepted_supplier_number_year', ['supplier_id', 'number', 'issue_year'],
                              unique=True, sqlite_where=_ACCEPTED, postgresql_where=_ACCEPTED)
        batch_op.drop_column('document_family')
