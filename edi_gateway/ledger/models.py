"""Ledger tables. The ledger is the source of truth: files on disk follow what it records.

Batch states (the exactly-once protocol, see docs/operations.md):
CLAIMED (file moved into work/, row inserted) → DECIDED (invoices and findings committed) → DONE (reports written,
original archived or quarantined). A batch found in a state before DONE at start-up is resumed from that state.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class BatchRow(Base):
    """One deposited file (a flow)."""

    __tablename__ = "batches"
    __table_args__ = (
        # The same bytes from the same depositor are one flow; a second copy is recorded as a duplicate of it.
        Index("uq_batch_depositor_sha256", "depositor", "sha256", unique=True,
              sqlite_where=text("duplicate_of IS NULL"), postgresql_where=text("duplicate_of IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    depositor: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(200))  # e.g. "folder:/srv/inbox"
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    format: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))  # CLAIMED, DECIDED, DONE
    flow_status: Mapped[str | None] = mapped_column(String(40))  # IN_INTEGRE, IN_INTEGRE_PARTIEL, IN_REJETE
    reason_code: Mapped[str | None] = mapped_column(String(40))  # IRR_* when the flow is irrecevable
    reason: Mapped[str | None] = mapped_column(Text)  # in English
    reason_fr: Mapped[str | None] = mapped_column(Text)  # the same in French
    work_path: Mapped[str | None] = mapped_column(Text)
    duplicate_of: Mapped[str | None] = mapped_column(String(40))  # id of the batch that had the same bytes
    invoice_count: Mapped[int] = mapped_column(Integer, default=0)
    accepted_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    invoices: Mapped[list["InvoiceRow"]] = relationship(back_populates="batch", order_by="InvoiceRow.position")


class InvoiceRow(Base):
    """One invoice of a batch, with its decision. Accepted ones are unique per supplier, number and year."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("batch_id", "position", name="uq_invoice_batch_position"),
        Index("uq_accepted_supplier_number_year_family", "supplier_id", "number", "issue_year", "document_family",
              unique=True,
              sqlite_where=text("decision = 'accepted'"), postgresql_where=text("decision = 'accepted'")),
        Index("ix_invoice_supplier_number", "supplier_id", "number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # 1-based order in the batch
    origin: Mapped[str] = mapped_column(Text)  # file!member#index
    format: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str | None] = mapped_column(String(64))
    supplier_id: Mapped[str | None] = mapped_column(String(100))
    number: Mapped[str | None] = mapped_column(String(200))
    issue_year: Mapped[int | None] = mapped_column(Integer)
    document_family: Mapped[str] = mapped_column(String(20), server_default="invoice")  # or "credit-note"
    issue_date: Mapped[str | None] = mapped_column(String(10))
    type_code: Mapped[str | None] = mapped_column(String(10))
    recipient_id: Mapped[str | None] = mapped_column(String(100))
    service_code: Mapped[str | None] = mapped_column(String(100))
    billing_frame: Mapped[str | None] = mapped_column(String(100))
    currency: Mapped[str | None] = mapped_column(String(3))
    amount_due: Mapped[Decimal | None] = mapped_column(Numeric(21, 6))
    decision: Mapped[str] = mapped_column(String(10))  # accepted, rejected
    status_code: Mapped[str] = mapped_column(String(10))  # lifecycle code: 200 deposited, 213 rejected...

    batch: Mapped[BatchRow] = relationship(back_populates="invoices")
    findings: Mapped[list["FindingRow"]] = relationship(back_populates="invoice", order_by="FindingRow.id")
    status_events: Mapped[list["StatusEventRow"]] = relationship(back_populates="invoice",
                                                                 order_by="StatusEventRow.id")


class FindingRow(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    bt: Mapped[str | None] = mapped_column(String(100))
    field: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    message_fr: Mapped[str] = mapped_column(Text)
    hint: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(40))

    invoice: Mapped[InvoiceRow] = relationship(back_populates="findings")


class StatusEventRow(Base):
    """A lifecycle event of a batch or of one of its invoices (200 deposited, 213 rejected, …)."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(60))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    invoice: Mapped[InvoiceRow | None] = relationship(back_populates="status_events")
