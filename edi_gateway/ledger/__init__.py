"""The ledger: batches, invoices, findings and status events (SQLAlchemy 2, Alembic migrations)."""

from .store import Ledger, DuplicateRace, default_url

__all__ = ["Ledger", "DuplicateRace", "default_url"]
