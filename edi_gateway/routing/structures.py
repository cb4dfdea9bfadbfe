"""What routing knows of a public structure and of a depositor: plain, frozen values read from the ledger.

The router and the routing rules only see these; the ledger rows they come from stay in `ledger/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Service:
    """A service of a recipient structure (its "code service")."""

    code: str
    name: str
    active: bool = True
    engagement_required: bool = False  # GestionEGMT: invoices to this service need an engagement number


@dataclass(frozen=True, slots=True)
class Structure:
    """A public structure of the directory, with the flags that govern routing to it."""

    identifier: str  # SIRET for a French public structure
    name: str
    identifier_type: str = "SIRET"
    active: bool = True
    service_required: bool = False  # GestionService: invoices must name one of its services
    engagement_required: bool = False  # GestionEngagement: invoices must carry an engagement number
    service_or_engagement: bool = False  # GestionServiceEngagement: a service code or an engagement number
    works_space_open: bool = False  # EstMOA: it receives works invoices (its works-invoice space is open)
    works_only: bool = False  # EstMOAUniquement: it receives works invoices only
    services: dict[str, Service] = field(default_factory=dict)  # by code

    def service(self, code: str | None) -> Service | None:
        """The service with this code (codes compare without surrounding blanks, case-sensitively)."""
        return self.services.get(code.strip()) if code else None


CAPACITIES = ("supplier", "subcontractor", "cocontractor", "moe", "moa")  # in which a depositor acts
ROLES = ("principal", "secondary")  # gestionnaire principal, utilisateur secondaire


@dataclass(frozen=True, slots=True)
class Attachment:
    """A depositor attached to a supplier: its role on the portal and the capacities it deposits in."""

    supplier_id: str
    role: str = "principal"
    capacities: frozenset[str] = frozenset({"supplier"})


@dataclass(frozen=True, slots=True)
class Depositor:
    """Who deposited a batch, and for which suppliers it may act. `registered` is False for an unknown account."""

    id: str
    name: str = ""
    kind: str = "supplier"
    active: bool = True
    registered: bool = True
    attachments: dict[str, Attachment] = field(default_factory=dict)  # by supplier identifier

    def attachment_for(self, supplier_ids: list[str]) -> Attachment | None:
        """The attachment covering one of a supplier's identifiers (SIRET, then SIREN…), if any."""
        for supplier_id in supplier_ids:
            found = self.attachments.get(supplier_id)
            if found is not None:
                return found
        return None
