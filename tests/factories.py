"""Realistic French B2G invoices for tests, made by editing a CEN example with lxml (never from scratch)."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

from lxml import etree

from .conftest import CORPUS

NS = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
      "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
SUPPLIER_SIRET = "32456789000011"  # Bâtiments Durand SAS (Luhn-valid)
RECIPIENT_SIRET = "21713000400013"  # Commune de Belleville-sur-Saône (Luhn-valid)


def _cbc(parent, name: str, text: str, **attributes) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS['cbc']}}}{name}", **attributes)
    element.text = text
    return element


def french_ubl(number: str = "BD-2026-0001", *, supplier_siret: str = SUPPLIER_SIRET,
               recipient_siret: str = RECIPIENT_SIRET, issue_date: str = "2026-03-15",
               payable_delta: Decimal = Decimal(0), note: str | None = None) -> bytes:
    """ubl-tc434-example1 turned into a French B2G invoice: SIRETs with scheme 0009, service code, frame A1.

    `payable_delta` is added to BT-112 and BT-115 alike, so that exactly BR-CO-15 breaks.
    """
    tree = etree.parse(str(CORPUS / "ubl" / "examples" / "ubl-tc434-example1.xml"))
    root = tree.getroot()
    root.find("cbc:ID", NS).text = number
    root.find("cbc:IssueDate", NS).text = issue_date
    root.find("cbc:DueDate", NS).text = issue_date
    if note is not None:
        root.find("cbc:Note", NS).text = note
    profile = root.find("cbc:CustomizationID", NS)
    profile.addnext(etree.Element(f"{{{NS['cbc']}}}ProfileID"))
    profile.getnext().text = "A1"
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    identification = etree.Element(f"{{{NS['cac']}}}PartyIdentification")
    _cbc(identification, "ID", supplier_siret, schemeID="0009")
    seller.insert(0, identification)
    buyer_id = root.find("cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID", NS)
    buyer_id.text, buyer_id.attrib["schemeID"] = recipient_siret, "0009"
    for name in ("TaxInclusiveAmount", "PayableAmount"):
        amount = root.find(f"cac:LegalMonetaryTotal/cbc:{name}", NS)
        amount.text = str(Decimal(amount.text) + payable_delta)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def zip_lot(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()
