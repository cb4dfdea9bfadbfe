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
