"""Depositors and their attachments to suppliers, in the ledger (`edi-gateway depositor add|attach|detach|list`).

A depositor is an account that drops files: a supplier's own system or an accounting firm. Like a user on the
public portal, it acts only for the supplier structures it is attached to, as principal manager or secondary
user, and in the capacities the attachment lists (supplier, subcontractor, cocontractor, moe, moa), which decide
the billing frames it may use (routing/frames.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import ConfigError
from ..identifiers import siret
from ..routing.frames import SUPPLIER
from ..routing.structures import CAPACITIES, ROLES, Attachment, Depositor
from .models import AttachmentRow, DepositorRow
from .store import Ledger, now

KINDS = ("supplier", "accounting-firm", "other")
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")  # also the name of its inbox folder: no path characters


@dataclass(frozen=True, slots=True)
class DepositorInbox:
    """A depositor's local inbox folder, as the gateway scans it."""

    depositor: str
    folder: Path


def add_depositor(ledger: Ledger, depositor_id: str, *, name: str, kind: str = "supplier",
                  inbox: Path | None = None, sftp_login: str | None = None) -> DepositorRow:
    """Register a depositor. Its id is a short lowercase name, also the name of its default inbox folder."""
    if not _ID.fullmatch(depositor_id):
        raise ConfigError(f"depositor id {depositor_id!r}: use 1 to 100 lowercase letters, digits, '.', '-' or '_', "
                          "starting with a letter or digit (it names the depositor's inbox folder)")
    if kind not in KINDS:
        raise ConfigError(f"depositor kind {kind!r}: expected one of {', '.join(KINDS)}")
    row = DepositorRow(id=depositor_id, name=name, kind=kind, inbox=str(inbox.resolve()) if inbox else None,
                       sftp_login=sftp_login, active=True, created_at=now())
    with ledger.session() as session:
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            raise ConfigError(f"depositor {depositor_id!r} (or SFTP login {sftp_login!r}) is already registered"
                              ) from None
    return row


def attach(ledger: Ledger, depositor_id: str, supplier_id: str, *, role: str = "principal",
           capacities: frozenset[str] = frozenset({SUPPLIER})) -> AttachmentRow:
    """Attach a depositor to a supplier (or update the attachment's role and capacities)."""
    supplier_id = supplier_id.strip()
    _check_attachment(supplier_id, role, capacities)
    with ledger.session() as session, session.begin():
        if session.get(DepositorRow, depositor_id) is None:
            raise ConfigError(f"no depositor {depositor_id!r}: register it first (edi-gateway depositor add)")
        row = session.scalars(select(AttachmentRow).where(AttachmentRow.depositor_id == depositor_id,
                                                          AttachmentRow.supplier_id == supplier_id)).first()
        if row is None:
            row = AttachmentRow(depositor_id=depositor_id, supplier_id=supplier_id, attached_at=now())
            session.add(row)
        row.role, row.capacities = role, ",".join(sorted(capacities))
    return row


def detach(ledger: Ledger, depositor_id: str, supplier_id: str) -> bool:
    """Remove an attachment; False when there was none."""
    with ledger.session() as session, session.begin():
        row = session.scalars(select(AttachmentRow).where(AttachmentRow.depositor_id == depositor_id,
                                                          AttachmentRow.supplier_id == supplier_id.strip())).first()
        if row is None:
            return False
        session.delete(row)
        return True


def set_active(ledger: Ledger, depositor_id: str, active: bool) -> None:
    with ledger.session() as session, session.begin():
        row = session.get(DepositorRow, depositor_id)
        if row is None:
            raise ConfigError(f"no depositor {depositor_id!r}")
        row.active = active


def list_depositors(ledger: Ledger) -> list[DepositorRow]:
    """Every depositor with its attachments, by id."""
    with ledger.session() as session:
        rows = list(session.scalars(select(DepositorRow).order_by(DepositorRow.id)))
        for row in rows:
            _ = row.attachments  # load while the session is open
        return rows


def load_depositor(ledger: Ledger, depositor_id: str) -> Depositor:
    """What routing knows of a depositor; an unknown id gives an unregistered depositor (its invoices are refused)."""
    with ledger.session() as session:
        row = session.get(DepositorRow, depositor_id)
        if row is None:
            return Depositor(id=depositor_id, registered=False)
        attachments = {a.supplier_id: Attachment(a.supplier_id, a.role, frozenset(a.capacities.split(",")))
                       for a in row.attachments}
        return Depositor(id=row.id, name=row.name, kind=row.kind, active=row.active, attachments=attachments)


def depositor_inboxes(ledger: Ledger, inbox_root: Path) -> list[DepositorInbox]:
    """The inbox folder of every active depositor: its own, or `<inbox root>/<id>`."""
    with ledger.session() as session:
        rows = session.scalars(select(DepositorRow).where(DepositorRow.active.is_(True)).order_by(DepositorRow.id))
        return [DepositorInbox(row.id, Path(row.inbox) if row.inbox else inbox_root / row.id) for row in rows]


def _check_attachment(supplier_id: str, role: str, capacities: frozenset[str]) -> None:
    if not supplier_id:
        raise ConfigError("the supplier identifier is empty")
    if supplier_id.isdigit() and len(supplier_id) == 14 and not siret.is_valid(supplier_id):
        raise ConfigError(f"supplier {supplier_id}: not a valid SIRET (check digit)")
    if role not in ROLES:
        raise ConfigError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    unknown = set(capacities) - set(CAPACITIES)
    if not capacities or unknown:
        raise ConfigError(f"capacities {sorted(unknown) or '(none)'}: expected some of {', '.join(CAPACITIES)}")
