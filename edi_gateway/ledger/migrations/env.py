"""Alembic environment: the ledger runs migrations itself (`edi_gateway.ledger.store.upgrade`)."""

from alembic import context

from edi_gateway.ledger.models import Base

config = context.config
connection = config.attributes.get("connection")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
