"""Where an invoice goes: recipient structure, service, billing frame and engagement number.

Read from the invoice (BT-46 with scheme 0009, BT-10, BT-23, BT-13) and resolved against the directory. The
routing rules (`routing/rules.py`) say what is wrong with a route; `route` only says where the invoice would go,
so that the ledger records it for rejected invoices too, and the outbox places accepted ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..identifiers import siret
from ..model import Invoice
from .frames import frame_code
from .structures import Depositor, Structure

SIRET_SCHEME = siret.SCHEME  # 0009


@dataclass(frozen=True, slots=True)
class Route:
    """The destination of one invoice."""

    recipient: str  # the recipient structure's identifier (SIRET)
    recipient_name: str | None  # from the directory (None when the structure is unknown)
    service: str | None  # a service code of the recipient, or None: the structure itself
    frame: str  # the billing frame code (A1 by default)
    engagement: str | None  # the engagement number (BT-13)

    def as_dict(self) -> dict[str, str | None]:
        return {"recipient": self.recipient, "recipient_name": self.recipient_name, "service": self.service,
                "frame": self.frame, "engagement": self.engagement}


@dataclass(slots=True)
class RoutingContext:
    """What the routing rules need besides the invoice: the batch's depositor and the directory entries.

    `structures` holds the directory entries of the recipients of the invoices being checked (looked up in bulk
    by the pipeline, a chunk at a time); `directory_size` tells an empty directory from an unknown recipient.
    """

    depositor: Depositor
    structures: dict[str, Structure] = field(default_factory=dict)
    directory_size: int = 0


def recipient_id(invoice: Invoice) -> str | None:
    """The recipient structure's SIRET: the buyer identifier (BT-46, or BT-47) with scheme 0009."""
    found = invoice.buyer.identifier(SIRET_SCHEME)
    return found.value.strip() if found is not None and found.value else None


def supplier_ids(invoice: Invoice) -> list[str]:
    """Every identifier naming the supplier, best first: SIRET, SIREN, any other, then the VAT number."""
    seller = invoice.seller
    ordered = [seller.identifier("0009"), seller.identifier("0002"), *seller.identifiers, seller.legal_id]
    values = [i.value.strip() for i in ordered if i is not None and i.value]
    if seller.vat_id:
        values.append(seller.vat_id.strip())
    return list(dict.fromkeys(v for v in values if v))


def engagement_of(invoice: Invoice) -> str | None:
    return invoice.purchase_order.strip() if invoice.purchase_order and invoice.purchase_order.strip() else None


def service_code_of(invoice: Invoice) -> str | None:
    return invoice.buyer_reference.strip() if invoice.buyer_reference and invoice.buyer_reference.strip() else None


def route(invoice: Invoice, structures: dict[str, Structure]) -> Route | None:
    """Where the invoice goes, or None when it names no recipient SIRET.

    The service is the one of BT-10 when the recipient has it; a BT-10 that names none of its services is a plain
    buyer reference, and the invoice goes to the structure itself (the rules reject it when that is not allowed).
    """
    recipient = recipient_id(invoice)
    if recipient is None:
        return None
    structure = structures.get(recipient)
    service = structure.service(service_code_of(invoice)) if structure is not None else None
    return Route(recipient=recipient, recipient_name=structure.name if structure is not None else None,
                 service=service.code if service is not None else None,
                 frame=frame_code(invoice.business_process), engagement=engagement_of(invoice))
