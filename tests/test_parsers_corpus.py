"""Every valid CEN example invoice is parsed without error, and the model's totals equal the file's totals.

The expected totals are read straight from the file with plain XPath (local names), independently of the parsers.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from edi_gateway.model import DocumentFormat, Origin
from edi_gateway.parsers import read_flow

from .conftest import corpus_examples

UBL_TOTALS = {
    "line_net": "LineExtensionAmount", "allowances": "AllowanceTotalAmount", "charges": "ChargeTotalAmount",
    "tax_exclusive": "TaxExclusiveAmount", "tax_inclusive": "TaxInclusiveAmount", "prepaid": "PrepaidAmount",
    "rounding": "PayableRoundingAmount", "payable": "PayableAmount",
}
CII_TOTALS = {
    "line_net": "LineTotalAmount", "allowances": "AllowanceTotalAmount", "charges": "ChargeTotalAmount",
    "tax_exclusive": "TaxBasisTotalAmount", "tax_inclusive": "GrandTotalAmount", "prepaid": "TotalPrepaidAmount",
    "rounding": "RoundingAmount", "payable": "DuePayableAmount",
}


def _file_totals(path: Path) -> dict[str, Decimal | None]:
    root = etree.parse(str(path)).getroot()
    is_cii = etree.QName(root).localname == "CrossIndustryInvoice"
    group = "SpecifiedTradeSettlementHeaderMonetarySummation" if is_cii else "LegalMonetaryTotal"
    names = CII_TOTALS if is_cii else UBL_TOTALS
    totals = {}
    for field, name in names.items():
        found = root.xpath(f"//*[local-name()='{group}']/*[local-name()='{name}']/text()")
        totals[field] = Decimal(found[0]) if found else None
    if is_cii:
        currency = root.xpath("//*[local-name()='InvoiceCurrencyCode']/text()")[0]
        tax = root.xpath(f"//*[local-name()='{group}']/*[local-name()='TaxTotalAmount'][@currencyID='{currency}']"
                         "/text()")
    else:
        currency = root.xpath("/*/*[local-name()='DocumentCurrencyCode']/text()")[0]
        tax = root.xpath(f"/*/*[local-name()='TaxTotal']/*[local-name()='TaxAmount'][@currencyID='{currency}']"
                         "/text()")
    totals["tax"] = Decimal(tax[0]) if tax else None
    return totals


@pytest.mark.parametrize("path", corpus_examples(), ids=lambda p: p.name)
def test_corpus_example_parses_with_file_totals(path: Path):
    documents = list(read_flow(path.read_bytes(), Origin(file_name=path.name)))

    assert len(documents) == 1
    document = documents[0]
    assert document.findings == [], [f.message_en for f in document.findings]
    invoice = document.invoice
    assert invoice.number and invoice.issue_date and invoice.currency
    assert invoice.lines, "every example has lines"
    expected = _file_totals(path)
    actual = {field: getattr(invoice.totals, field) for field in expected}
    assert actual == expected
    assert sum(line.net_amount for line in invoice.lines) .quantize(Decimal("0.01")) == expected["line_net"]


def test_ubl_fields_and_locations():
    path = next(p for p in corpus_examples() if p.name == "ubl-tc434-example1.xml")
    invoice = next(read_flow(path.read_bytes(), Origin(file_name=path.name))).invoice

    assert invoice.format is DocumentFormat.UBL_INVOICE
    assert (invoice.number, str(invoice.issue_date), invoice.type_code) == ("12115118", "2015-01-09", "380")
    assert invoice.seller.name == "De Koksmaat" and invoice.seller.vat_id == "NL8200.98.395.B.01"
    assert invoice.buyer.identifiers[0].value == "10202"
    assert len(invoice.lines) == 20 and invoice.lines[0].name
    assert {(v.category, v.rate) for v in invoice.vat_breakdown} == {("S", Decimal("6")), ("S", Decimal("21"))}
    assert invoice.where("totals.payable").startswith("/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount (line ")
    assert invoice.where("lines[1].net_amount").startswith("/Invoice/cac:InvoiceLine[2]/cbc:LineExtensionAmount")
    # an unknown deeper path falls back to the closest enclosing one that has a location
    assert invoice.where("lines[1].net_amount.extra") == invoice.where("lines[1].net_amount")


def test_credit_note_and_cii_specifics():
    examples = {p.name: p for p in corpus_examples()}
    credit = next(read_flow(examples["ubl-tc434-creditnote1.xml"].read_bytes(), Origin(file_name="cn"))).invoice
    assert credit.format is DocumentFormat.UBL_CREDIT_NOTE and credit.type_code == "381"

    cii = next(read_flow(examples["CII_example2.xml"].read_bytes(), Origin(file_name="cii"))).invoice
    assert cii.format is DocumentFormat.CII and cii.currency == "NOK"
    assert cii.totals.prepaid == Decimal("1000.00") and cii.totals.payable == Decimal("801.78")
    assert cii.where("number").startswith("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID (line ")


def test_a_reader_finds_what_xpath_finds_first():
    """XmlReader answers element-name paths from an index of the subtree: the same element as the XPath's first
    match, in document order, across repeated parents, comments, foreign elements and the lines it skips."""
    from edi_gateway.parsers.ubl import NS
    from edi_gateway.parsers.xml import XmlReader

    root = etree.fromstring(f"""
      <Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="{NS['cac']}"
               xmlns:cbc="{NS['cbc']}" xmlns:x="urn:example:other">
        <!-- a comment --><x:Extra><cbc:ID>foreign</cbc:ID></x:Extra>
        <cac:Item><cbc:Description>first item, no name</cbc:Description></cac:Item>
        <cac:Item><cbc:Name>second item's name</cbc:Name><cbc:Name>another</cbc:Name></cac:Item>
        <cac:Item><cbc:Name>third item's name</cbc:Name></cac:Item>
        <cbc:Note> </cbc:Note><cbc:Note>second note</cbc:Note>
        <cac:InvoiceLine><cbc:ID>7</cbc:ID></cac:InvoiceLine>
      </Invoice>""".encode())
    reader = XmlReader(root, NS, {}, [], "/Invoice")
    for path in ("cac:Item/cbc:Name", "cac:Item/cbc:Description", "cbc:Note", "cbc:ID", "cac:Item/cbc:ID",
                 "cac:InvoiceLine/cbc:ID", "cac:InvoiceLine", "cac:Item[cbc:Name]/cbc:Name"):
        expected = root.xpath(path, namespaces=NS)
        assert reader.node(path) is (expected[0] if expected else None), path
    assert reader.text("cac:Item/cbc:Name", "name") == "second item's name"
    assert reader.text("cbc:Note", "note") is None, "the first match is blank: no value, as with XPath"
    assert reader.node("cbc:ID") is None, "an element in another namespace is not one of ours"
    for path in ("cac:Item/cbc:Name", "cbc:Note", "cac:Item[cbc:Name]/cbc:Name", "cac:Item[2]/cbc:Name/text()",
                 "cac:Missing[cbc:Name]/cbc:Name", "cac:Missing/cbc:Name/@x", "cbc:ID", "cac:Item//cbc:Name",
                 "cac:InvoiceLine/cbc:ID", "cac:Missing/cbc:Name | cac:Item/cbc:Description"):
        assert reader.all(path) == root.xpath(path, namespaces=NS), path  # what the index rules out, XPath finds not
