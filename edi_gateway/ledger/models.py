"""Ledger tables. The ledger is the source of truth: files on disk follow what it records.

Batch states (the exactly-once protocol, see docs/operations.md):
CLAIMED (file moved into work/, row inserted) → DECIDED (invoices and findings committed) → DONE (reports written,
original archived or quarantined). A batch found in a state before DONE at start-up is resumed from that state.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text,
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
        Index("ix_batches_source", "source"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    depositor: Mapped[str] = mapped_column(String(100))
    # e.g. "folder:/srv/inbox", "sftp:martin"; any length (SQLite ignores the declared length, see migration 0005)
    source: Mapped[str] = mapped_column(Text().with_variant(String(200), "sqlite"))
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
    owner: Mapped[str | None] = mapped_column(String(200))  # host/pid/start of the process working on it
    # Collected over SFTP: the remote file, when it was archived (or deleted) there, when the returns were pushed.
    remote_path: Mapped[str | None] = mapped_column(Text)
    remote_done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    returns_pushed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

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
    service_code: Mapped[str | None] = mapped_column(String(100))  # the service routed to (None: the structure)
    billing_frame: Mapped[str | None] = mapped_column(String(100))  # the frame routed under (A1 by default)
    engagement_number: Mapped[str | None] = mapped_column(String(100))  # BT-13, as routed
    routed_path: Mapped[str | None] = mapped_column(Text)  # where the accepted invoice was written in the outbox
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


class JobLockRow(Base):
    """A named job (a scheduled sweep): who holds its lease now, and when it last ran.

    One holder at a time, across processes and machines. A holder renews its lease while it runs; a lease past
    `expires_at` belongs to a holder that died and may be taken over. `last_started_at` tells a restarted gateway
    whether it missed a run (see scheduling/)."""

    __tablename__ = "job_locks"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))  # None: free
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# -- the directory of public structures (annuaire des structures publiques) -------------------------------------
class StructureRow(Base):
    """A public structure of the directory, with the flags that govern routing to it.

    Re-importing an export updates rows in place; a structure absent from a new export is made inactive, never
    deleted (invoices in the ledger keep pointing at it).
    """

    __tablename__ = "structures"
    __table_args__ = (UniqueConstraint("identifier", "identifier_type", name="uq_structure_identifier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identifier_type: Mapped[str] = mapped_column(String(40))  # TypeIdentifiant: SIRET, UE_HORS_FRANCE, RIDET...
    identifier: Mapped[str] = mapped_column(String(100))  # Identifiant
    name: Mapped[str] = mapped_column(String(300))  # RaisonSociale
    active: Mapped[bool] = mapped_column(Boolean)  # StructureActive
    service_required: Mapped[bool] = mapped_column(Boolean, default=False)  # GestionService
    engagement_required: Mapped[bool] = mapped_column(Boolean, default=False)  # GestionEngagement
    service_or_engagement: Mapped[bool] = mapped_column(Boolean, default=False)  # GestionServiceEngagement
    payment_status_managed: Mapped[bool] = mapped_column(Boolean, default=False)  # GestionStatutMiseEnPaiement
    edi_sender: Mapped[bool] = mapped_column(Boolean, default=False)  # EmetteurEdi
    edi_receiver: Mapped[bool] = mapped_column(Boolean, default=False)  # RecepteurEdi
    works_space_open: Mapped[bool] = mapped_column(Boolean, default=False)  # EstMOA: receives works invoices
    works_only: Mapped[bool] = mapped_column(Boolean, default=False)  # EstMOAUniquement
    address: Mapped[str | None] = mapped_column(Text)  # Adresse, ComplementAdresse1/2, joined by newlines
    postcode: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(200))
    country_code: Mapped[str | None] = mapped_column(String(3))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("directory_imports.id"))  # last import that listed it

    services: Mapped[list["ServiceRow"]] = relationship(back_populates="structure", order_by="ServiceRow.code")


class ServiceRow(Base):
    """A service of a structure (code service), with its own engagement flag."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("structure_id", "code", name="uq_service_structure_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(100))  # Code
    name: Mapped[str] = mapped_column(String(300))  # Nom
    active: Mapped[bool] = mapped_column(Boolean)  # ServiceActif
    engagement_required: Mapped[bool] = mapped_column(Boolean, default=False)  # GestionEGMT
    external_id: Mapped[str | None] = mapped_column(String(40))  # idService in the export
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("directory_imports.id"))

    structure: Mapped[StructureRow] = relationship(back_populates="services")


class DirectoryImportRow(Base):
    """One import of a directory export file: what it changed."""

    __tablename__ = "directory_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # structures, services
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deactivated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # rows that could not be read (reported, not fatal)


# -- depositors: who may deposit, and for which suppliers ------------------------------------------------------
class DepositorRow(Base):
    """An account that deposits files: a supplier's own system or an accounting firm working for many suppliers."""

    __tablename__ = "depositors"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # a short name, also its inbox folder's name
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))  # supplier, accounting-firm, other
    inbox: Mapped[str | None] = mapped_column(Text)  # its own folder; None: <inbox root>/<id>
    sftp_login: Mapped[str | None] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    attachments: Mapped[list["AttachmentRow"]] = relationship(back_populates="depositor",
                                                              order_by="AttachmentRow.supplier_id")


class AttachmentRow(Base):
    """A depositor attached to a supplier structure, as on the public portal, with what it may deposit for it."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("depositor_id", "supplier_id", name="uq_attachment_depositor_supplier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    depositor_id: Mapped[str] = mapped_column(ForeignKey("depositors.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[str] = mapped_column(String(100))  # the supplier's identifier (SIRET, or its type's id)
    role: Mapped[str] = mapped_column(String(20))  # principal (gestionnaire principal) or secondary
    capacities: Mapped[str] = mapped_column(String(200))  # comma-separated: supplier, subcontractor, moe...
    attached_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    depositor: Mapped[DepositorRow] = relationship(back_populates="attachments")


# -- the web console (`edi-gateway web`): who signs in, and what the flows list reads -----------------------------
class WebUserRow(Base):
    """A person signing in to the web console (`edi-gateway user add`). An operator sees every flow; a depositor's
    user sees only the flows of the depositor it belongs to."""

    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # what the person types to sign in
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id, in its PHC string (parameters and salt)
    role: Mapped[str] = mapped_column(String(20))  # operator, depositor
    depositor_id: Mapped[str | None] = mapped_column(ForeignKey("depositors.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# The console's flows list: newest first, for everyone or for one depositor (keyset pagination on these).
Index("ix_batches_received_at_id", BatchRow.received_at, BatchRow.id)
Index("ix_batches_depositor_received_at_id", BatchRow.depositor, BatchRow.received_at, BatchRow.id)
