"""Supplier and recipient identifiers: present, and well-formed for their scheme (SIRET 0009, SIREN 0002).

Check digits come from python-stdnum (Luhn, with La Poste's exception for SIRETs of SIREN 356000000).
"""

from __future__ import annotations

from stdnum.fr import siren, siret

from ...model import Invoice
from ..engine import CheckContext, Violation, rule

GROUP = "Identifiers"
SCHEME_SIRET = "0009"
SCHEME_SIREN = "0002"
_CHECKERS = {SCHEME_SIRET: ("SIRET", siret.is_valid), SCHEME_SIREN: ("SIREN", siren.is_valid)}


@rule("FR-SUP-01", group=GROUP, bt=("BT-29", "BT-30", "BT-31"), reason_code="SIRET_ERR",
      en="The supplier is not identified: no identifier (BT-29), legal registration (BT-30) or VAT number (BT-31)",
      fr="Le fournisseur n'est pas identifié : ni identifiant (BT-29), ni immatriculation (BT-30), "
         "ni numéro de TVA (BT-31)",
      hint="Give the supplier's SIRET with scheme 0009 (or SIREN 0002, or an intra-EU VAT number)")
def supplier_identified(invoice: Invoice, context: CheckContext):
    if invoice.seller.identifier() is None and not invoice.seller.vat_id:
        yield Violation("seller")


@rule("FR-SUP-02", group=GROUP, bt=("BT-29", "BT-30"), reason_code="SIRET_ERR",
      en="The supplier's {kind} {value} is not valid (wrong length or check digit)",
      fr="Le {kind} du fournisseur {value} n'est pas valide (longueur ou clé de contrôle erronée)",
      hint="Check the supplier's {kind}: {digits} digits, with a valid Luhn check digit")
def supplier_identifier_valid(invoice: Invoice, context: CheckContext):
    yield from _invalid_french_ids(invoice, "seller")


@rule("FR-REC-01", group=GROUP, bt=("BT-46",), reason_code="DEST_INC",
      en="The recipient public structure is not identified by a SIRET (BT-46 buyer identifier, scheme 0009)",
      fr="La structure publique destinataire n'est pas identifiée par un SIRET (BT-46, identifiant acheteur, "
         "schéma 0009)",
      hint="Give the SIRET of the recipient public structure, with scheme 0009")
def recipient_identified(invoice: Invoice, context: CheckContext):
    if invoice.buyer.identifier(SCHEME_SIRET) is None:
        found = invoice.buyer.identifier()
        yield Violation("buyer.identifiers", None if found is None else f"{found.value} (scheme {found.scheme})")


@rule("FR-REC-02", group=GROUP, bt=("BT-46",), reason_code="DEST_INC",
      en="The recipient's {kind} {value} is not valid (wrong length or check digit)",
      fr="Le {kind} du destinataire {value} n'est pas valide (longueur ou clé de contrôle erronée)",
      hint="Check the recipient's {kind}: {digits} digits, with a valid Luhn check digit")
def recipient_identifier_valid(invoice: Invoice, context: CheckContext):
    yield from _invalid_french_ids(invoice, "buyer")


def _invalid_french_ids(invoice: Invoice, role: str):
    party = getattr(invoice, role)
    candidates = [(f"{role}.identifiers[{i}]", ident) for i, ident in enumerate(party.identifiers)]
    if party.legal_id is not None:
        candidates.append((f"{role}.legal_id", party.legal_id))
    for path, ident in candidates:
        kind_and_check = _CHECKERS.get(ident.scheme or "")
        if kind_and_check is None:
            continue
        kind, is_valid = kind_and_check
        if not is_valid(ident.value):
            yield Violation(path, ident.value, {"kind": kind, "digits": 14 if kind == "SIRET" else 9})
