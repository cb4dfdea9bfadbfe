"""Routing and authorisation rules: may this depositor deposit this invoice, and can it reach its recipient?

Registered in the same registry as the validation rules (ids, messages in French and English, hints, the
platform reason code of a rejection; graded by the same policy), but they only run when the pipeline gives a
`RoutingContext`: `edi-gateway run` always does (the batch's depositor and the directory in the ledger);
`edi-gateway validate` does not, unless given a ledger. The codes, their reasons and the controls they mirror
are listed in docs/routing.md.

- Depositor (DEP-01, DEP-02): only a registered, active depositor attached to the supplier acts for it, as a user
  attached to a structure on the public portal. Nothing of a refused invoice is routed.
- Recipient (ROUTE-01, ROUTE-02): the buyer's SIRET (BT-46, scheme 0009) names an active structure of the
  directory (an invoice without a recipient SIRET is refused by FR-REC-01, a validation rule).
- Service and engagement (ROUTE-03…08): the recipient's flags (service required, engagement required, either
  one) and its services' own engagement flag, as the platform checks them (facts §4.4).
- Billing frame (ROUTE-09…14): a known frame, deposited in a capacity the depositor holds for the supplier
  (supplier, sub-contractor, co-contractor, project manager, owner); works frames only to a recipient that
  receives works invoices and naming the project manager; a works-only recipient gets works frames only.
"""

from __future__ import annotations

from ..model import Invoice, Severity
from ..validators.engine import CheckContext, Violation, rule
from .frames import DEFAULT_FRAME, FRAMES, MOE, frame_of, is_process_identifier
from .router import SIRET_SCHEME, engagement_of, recipient_id, service_code_of, supplier_ids
from .structures import Structure

DEPOSITOR, ROUTING = "Depositor authorisation", "Routing"
ENGAGEMENT_MAX_LENGTH = 50
_FRAME_LIST = ", ".join(FRAMES)


def _recipient(invoice: Invoice, context: CheckContext) -> Structure | None:
    """The active recipient structure, when routing runs and the directory knows it (else other rules say why)."""
    if context.routing is None:
        return None
    recipient = recipient_id(invoice)
    structure = context.routing.structures.get(recipient) if recipient else None
    return structure if structure is not None and structure.active else None


# -- depositor ----------------------------------------------------------------------------------------------------
@rule("DEP-01", group=DEPOSITOR, bt=("BT-29", "BT-30"), reason_code="REJ_HAB",
      en="Depositor {depositor} is not attached to supplier {value}: it may not deposit invoices for it",
      fr="Le déposant {depositor} n'est pas rattaché au fournisseur {value} : il ne peut pas déposer de factures "
         "pour lui",
      hint="Deposit from an account attached to this supplier, or have the supplier's principal manager attach "
           "{depositor} (edi-gateway depositor attach {depositor} {value})")
def depositor_not_attached(invoice: Invoice, context: CheckContext):
    routing = context.routing
    if routing is None or not routing.depositor.registered or not routing.depositor.active:
        return
    suppliers = supplier_ids(invoice)
    if routing.depositor.attachment_for(suppliers) is None:
        yield Violation("seller.identifiers", suppliers[0] if suppliers else "(none)",
                        {"depositor": routing.depositor.id})


@rule("DEP-02", group=DEPOSITOR, bt=("BT-29",), reason_code="REJ_HAB",
      en="Depositor {value} is not a registered, active depositor: nothing it sends is routed",
      fr="Le déposant {value} n'est pas un déposant enregistré et actif : rien de ce qu'il envoie n'est acheminé",
      hint="Register the account (edi-gateway depositor add {value}) and attach it to its suppliers, or "
           "reactivate it")
def depositor_unknown(invoice: Invoice, context: CheckContext):
    routing = context.routing
    if routing is not None and (not routing.depositor.registered or not routing.depositor.active):
        yield Violation("seller", routing.depositor.id)


# -- recipient ----------------------------------------------------------------------------------------------------
@rule("ROUTE-01", group=ROUTING, bt=("BT-46",), reason_code="DEST_INC",
      en="Recipient {value} is not a structure of the directory of public structures{empty}",
      fr="Le destinataire {value} n'est pas une structure de l'annuaire des structures publiques{empty_fr}",
      hint="Check the recipient's SIRET with the public buyer (it must be the SIRET of a public structure "
           "listed in the directory)")
def recipient_unknown(invoice: Invoice, context: CheckContext):
    routing = context.routing
    recipient = recipient_id(invoice) if routing is not None else None
    if recipient is not None and recipient not in routing.structures:
        empty = routing.directory_size == 0
        yield Violation("buyer.identifiers", recipient, {
            "empty": " (the directory is empty: import it with `edi-gateway directory import`)" if empty else "",
            "empty_fr": " (l'annuaire est vide : l'importer avec `edi-gateway directory import`)" if empty else ""})


@rule("ROUTE-02", group=ROUTING, bt=("BT-46",), reason_code="DEST_ERR",
      en="Recipient {value} ({name}) is no longer an active structure: it cannot receive invoices",
      fr="Le destinataire {value} ({name}) n'est plus une structure active : il ne peut plus recevoir de factures",
      hint="Ask the public buyer which structure now receives its invoices, and address the invoice to it")
def recipient_inactive(invoice: Invoice, context: CheckContext):
    routing = context.routing
    recipient = recipient_id(invoice) if routing is not None else None
    structure = routing.structures.get(recipient) if recipient is not None else None
    if structure is not None and not structure.active:
        yield Violation("buyer.identifiers", recipient, {"name": structure.name})


# -- service and engagement -------------------------------------------------------------------------------------
@rule("ROUTE-03", group=ROUTING, bt=("BT-10",), reason_code="SE_ERR",
      en="Recipient {recipient} requires a service code (BT-10) and the invoice gives none",
      fr="Le destinataire {recipient} exige un code service (BT-10) et la facture n'en donne pas",
      hint="Put the code of the service that ordered (one of: {services}) in the buyer reference (BT-10)")
def service_missing(invoice: Invoice, context: CheckContext):
    structure = _recipient(invoice, context)
    if structure is not None and structure.service_required and service_code_of(invoice) is None:
        yield Violation("buyer_reference", None, _service_params(structure))


@rule("ROUTE-04", group=ROUTING, bt=("BT-10",), reason_code="SE_ERR",
      en="Service code {value} is not a service of recipient {recipient}",
      fr="Le code service {value} n'est pas un service du destinataire {recipient}",
      hint="Use one of the recipient's service codes: {services}")
def service_unknown(invoice: Invoice, context: CheckContext):
    structure = _recipient(invoice, context)
    code = service_code_of(invoice)
    if structure is None or code is None or structure.service(code) is not None:
        return
    if structure.service_required or structure.services:
        yield Violation("buyer_reference", code, _service_params(structure))


@rule("ROUTE-05", group=ROUTING, bt=("BT-10",), reason_code="SE_ERR",
      en="Service {value} of recipient {recipient} is no longer active",
      fr="Le service {value} du destinataire {recipient} n'est plus actif",
      hint="Ask the public buyer which service now handles the order; active services: {services}")
def service_inactive(invoice: Invoice, context: CheckContext):
    structure = _recipient(invoice, context)
    service = structure.service(service_code_of(invoice)) if structure is not None else None
    if service is not None and not service.active:
        yield Violation("buyer_reference", service.code, _service_params(structure))


@rule("ROUTE-06", group=ROUTING, bt=("BT-13",), reason_code="CMD_EJ_ERR",
      en="{who} requires an engagement number (BT-13) and the invoice gives none",
      fr="{who_fr} exige un numéro d'engagement (BT-13) et la facture n'en donne pas",
      hint="Put the engagement number (legal commitment, order) the buyer gave you in the purchase order "
           "reference (BT-13)")
def engagement_missing(invoice: Invoice, context: CheckContext):
    structure = _recipient(invoice, context)
    if structure is None or engagement_of(invoice) is not None:
        return
    service = structure.service(service_code_of(invoice))
    if structure.engagement_required:
        yield Violation("purchase_order", None, {"who": f"Recipient {structure.identifier}",
                                                 "who_fr": f"Le destinataire {structure.identifier}"})
    elif service is not None and service.engagement_required:
        yield Violation("purchase_order", None, {
            "who": f"Service {service.code} of recipient {structure.identifier}",
            "who_fr": f"Le service {service.code} du destinataire {structure.identifier}"})


@rule("ROUTE-07", group=ROUTING, bt=("BT-10", "BT-13"), reason_code="CMD_EJ_ERR",
      en="Recipient {recipient} requires a service code (BT-10) or an engagement number (BT-13); the invoice "
         "gives neither",
      fr="Le destinataire {recipient} exige un code service (BT-10) ou un numéro d'engagement (BT-13) ; la "
         "facture ne donne ni l'un ni l'autre",
      hint="Give at least one of them: the ordering service's code in BT-10, or the engagement number in BT-13")
def service_or_engagement_missing(invoice: Invoice, context: CheckContext):
    structure = _recipient(invoice, context)
    if (structure is not None and structure.service_or_engagement and service_code_of(invoice) is None
            and engagement_of(invoice) is None):
        yield Violation("buyer_reference", None, {"recipient": structure.identifier})


@rule("ROUTE-08", group=ROUTING, bt=("BT-13",), reason_code="CMD_EJ_ERR",
      en="The engagement number has {length} characters; the platform takes at most 50",
      fr="Le numéro d'engagement compte {length} caractères ; la plateforme en accepte 50 au plus",
      hint="Give the engagement number exactly as the buyer issued it (50 characters at most)")
def engagement_too_long(invoice: Invoice, context: CheckContext):
    engagement = engagement_of(invoice) if context.routing is not None else None
    if engagement is not None and len(engagement) > ENGAGEMENT_MAX_LENGTH:
        yield Violation("purchase_order", engagement, {"length": len(engagement)})


# -- billing frame ------------------------------------------------------------------------------------------------
@rule("ROUTE-09", group=ROUTING, bt=("BT-23",), reason_code="REJ_SEMAN",
      en="Billing frame {value} is not a billing frame of the platform",
      fr="Le cadre de facturation {value} n'est pas un cadre de facturation de la plateforme",
      hint=f"Put one of {_FRAME_LIST} in BT-23 (or leave it out for A1, an ordinary supplier invoice)")
def frame_unknown(invoice: Invoice, context: CheckContext):
    if context.routing is not None and frame_of(invoice.business_process) is None:
        yield Violation("business_process", invoice.business_process)


@rule("ROUTE-10", group=ROUTING, bt=("BT-23", "BT-29"), reason_code="REJ_HAB",
      en="Billing frame {value} is deposited by a {capacity}; depositor {depositor} does not act as {capacity} "
         "for supplier {supplier} (it acts as: {held})",
      fr="Le cadre de facturation {value} est déposé par un {capacity_fr} ; le déposant {depositor} n'agit pas "
         "en tant que {capacity_fr} pour le fournisseur {supplier} (il agit en tant que : {held})",
      hint="Use the frame of your role on the contract (A1 supplier, A9 sub-contractor, A12 co-contractor…), or "
           "have the attachment extended (edi-gateway depositor attach {depositor} {supplier} --acts-as …)")
def frame_not_allowed(invoice: Invoice, context: CheckContext):
    routing = context.routing
    frame = frame_of(invoice.business_process) if routing is not None else None
    if frame is None:
        return
    attachment = routing.depositor.attachment_for(supplier_ids(invoice))
    if attachment is not None and frame.capacity not in attachment.capacities:
        yield Violation("business_process", frame.code, {
            "capacity": frame.capacity, "capacity_fr": _CAPACITY_FR[frame.capacity],
            "depositor": routing.depositor.id, "supplier": attachment.supplier_id,
            "held": ", ".join(sorted(attachment.capacities))})


@rule("ROUTE-11", group=ROUTING, bt=("BT-23", "BT-46"), reason_code="DEST_ERR",
      en="Billing frame {value} is a works frame and recipient {recipient} does not receive works invoices "
         "(its works-invoice space is not open)",
      fr="Le cadre de facturation {value} est un cadre de travaux et le destinataire {recipient} ne reçoit pas "
         "de factures de travaux (son espace factures de travaux n'est pas ouvert)",
      hint="Ask the contracting authority to open its works-invoice space, or check the recipient and the frame")
def works_space_closed(invoice: Invoice, context: CheckContext):
    structure = _recipient(invoice, context)
    frame = frame_of(invoice.business_process)
    if structure is not None and frame is not None and frame.works and not structure.works_space_open:
        yield Violation("business_process", frame.code, {"recipient": structure.identifier})


@rule("ROUTE-12", group=ROUTING, bt=("BT-23",), reason_code="REJ_SEMAN",
      en="Billing frame {value} is a works frame: the invoice must name the project manager (maître d'œuvre) "
         "with its SIRET",
      fr="Le cadre de facturation {value} est un cadre de travaux : la facture doit désigner le maître d'œuvre "
         "avec son SIRET",
      hint="Add the project manager as UBL BuyerCustomerParty (CII BuyerAgentTradeParty; CSV column "
           "project_manager_siret) with its SIRET, scheme 0009")
def works_project_manager_missing(invoice: Invoice, context: CheckContext):
    frame = frame_of(invoice.business_process) if context.routing is not None else None
    if frame is None or not frame.works or frame.capacity == MOE:
        return  # a statement the project manager issues names it as the seller
    manager = invoice.project_manager
    if manager is None or manager.identifier(SIRET_SCHEME) is None:
        yield Violation("project_manager", None)


@rule("ROUTE-13", group=ROUTING, bt=("BT-23", "BT-46"), reason_code="DEST_ERR",
      en="Recipient {recipient} receives works invoices only, and billing frame {value} is not a works frame",
      fr="Le destinataire {recipient} ne reçoit que des factures de travaux, et le cadre de facturation {value} "
         "n'est pas un cadre de travaux",
      hint="Check the recipient: ordinary invoices go to the structure that ordered, not to the works owner")
def works_only_recipient(invoice: Invoice, context: CheckContext):
    structure = _recipient(invoice, context)
    frame = frame_of(invoice.business_process)
    if structure is not None and frame is not None and structure.works_only and not frame.works:
        yield Violation("business_process", frame.code, {"recipient": structure.identifier})


@rule("ROUTE-14", group=ROUTING, bt=("BT-23",), reason_code="REJ_SEMAN", severity=Severity.WARNING,
      en="BT-23 holds a business process identifier ({value}), not a billing frame: the invoice is routed as "
         f"{DEFAULT_FRAME}, an ordinary supplier invoice",
      fr="Le BT-23 contient un identifiant de processus ({value}), pas un cadre de facturation : la facture est "
         f"acheminée en {DEFAULT_FRAME}, facture ordinaire de fournisseur",
      hint="Put the billing frame code in BT-23 (A1, A2, A9…) when the invoice follows another circuit")
def frame_is_process_identifier(invoice: Invoice, context: CheckContext):
    if context.routing is not None and is_process_identifier(invoice.business_process):
        yield Violation("business_process", invoice.business_process)


_CAPACITY_FR = {"supplier": "fournisseur", "subcontractor": "sous-traitant", "cocontractor": "cotraitant",
                "moe": "maître d'œuvre", "moa": "maître d'ouvrage"}


def _service_params(structure: Structure) -> dict[str, str]:
    """The placeholders of the service rules' messages: the recipient and the services it has."""
    return {"recipient": structure.identifier, "services": _active_codes(structure)}


def _active_codes(structure: Structure) -> str:
    codes = [code for code, service in structure.services.items() if service.active]
    return ", ".join(codes) if codes else "(none listed in the directory)"

