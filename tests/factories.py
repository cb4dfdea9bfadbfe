"""Realistic French B2G invoices for tests, made by editing a sample invoice with lxml (never from scratch)."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

from lxml import etree

from .conftest import SAMPLES

NS = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
      "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
SUPPLIER_SIRET = "32456789000011"  # Bâtiments Durand SAS (Luhn-valid)
RECIPIENT_SIRET = "21713000400013"  # Commune de Belleville-sur-Saône (Luhn-valid)


def french_ubl(number: str = "BD-2026-0001", *, supplier_siret: str = SUPPLIER_SIRET,
               recipient_siret: str = RECIPIENT_SIRET, issue_date: str = "2026-03-15",
               payable_delta: Decimal = Decimal(0), note: str | None = None) -> bytes:
    """The Durand sample invoice (samples/, French B2G, VAT 20 % and 10 %) with another number, date and parties.

    The SIRETs go everywhere the sample has them (party identifier and electronic address, scheme 0009), the
    SIRENs (scheme 0002) are their first nine digits. `payable_delta` is added to BT-112 and BT-115 alike, so
    that exactly BR-CO-15 breaks.
    """
    tree = etree.parse(str(SAMPLES / "durand-facture-BD-2026-0142.xml"))
    root = tree.getroot()
    root.find("cbc:ID", NS).text = number
    root.find("cac:PaymentMeans/cbc:PaymentID", NS).text = number
    root.find("cbc:IssueDate", NS).text = issue_date
    root.find("cbc:DueDate", NS).text = issue_date
    if note is not None:
        root.find("cbc:Note", NS).text = note
    for role, siret in (("AccountingSupplierParty", supplier_siret), ("AccountingCustomerParty", recipient_siret)):
        party = root.find(f"cac:{role}/cac:Party", NS)
        party.find("cbc:EndpointID", NS).text = siret
        party.find("cac:PartyIdentification/cbc:ID", NS).text = siret
        party.find("cac:PartyLegalEntity/cbc:CompanyID", NS).text = siret[:9]
    root.find("cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID", NS).text = \
        french_vat_number(supplier_siret[:9])
    for name in ("TaxInclusiveAmount", "PayableAmount"):
        amount = root.find(f"cac:LegalMonetaryTotal/cbc:{name}", NS)
        amount.text = str(Decimal(amount.text) + payable_delta)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def french_vat_number(siren: str) -> str:
    """The French VAT number of a SIREN: FR, the key (12 + 3 × (SIREN mod 97)) mod 97 on two digits, the SIREN."""
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def zip_lot(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()
