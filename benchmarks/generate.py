"""Realistic French B2G invoices for benchmarks: about 20 KB each, valid against the XSD and every rule.

One content per (index, seed), written out in three formats that the gateway reads into the same model:
- `ubl_invoice`: UBL 2.1 Invoice (~20 KB);
- `cii_invoice`: UN/CEFACT CII D22B, EN 16931 profile (valid against the Factur-X EN 16931 XSD, which the gateway
  uses for this profile, and against the CII D22B XSD; ~27 KB, CII is wordier);
- `csv_lot`: one CSV file of many invoices, one row per invoice line (docs/csv-format.md, layout a; ~8 KB per
  invoice of 20 lines).
Suppliers are `SUPPLIERS` (attach them to the depositor), recipients come from samples/annuaire.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import random
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

SUPPLIERS = [("32456789000011", "FR28324567890", "Bâtiments Durand SAS", "Lyon", "69003"),
             ("78190456000021", "FR37781904560", "Informatique Lemoine SARL", "Nantes", "44000"),
             ("51234987900019", "FR65512349879", "Fournitures Bureau Martin", "Lille", "59000")]
RECIPIENTS = [("21713000400013", "Commune de Belleville-sur-Saône", "SERV-TECH"),
              ("21300785900019", "Département du Val-Exemple", "DIR-BATIMENTS")]
ITEMS = ["Ramette papier A4 80 g", "Maintenance poste de travail", "Réfection peinture salle de classe",
         "Cartouche d'encre noire", "Intervention plomberie gymnase", "Nettoyage vitres mairie annexe"]
RATES = [Decimal("20"), Decimal("10"), Decimal("5.5")]
CENT = Decimal("0.01")
IBAN = "FR7630006000011234567890189"
PAYMENT_TERMS = "Paiement à 30 jours par virement"


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_UP))


@dataclasses.dataclass(slots=True)
class Line:
    id: int
    quantity: Decimal
    price: Decimal
    rate: Decimal
    amount: Decimal
    description: str
    name: str
    seller_ref: str


@dataclasses.dataclass(slots=True)
class Content:
    """What an invoice says, whatever the format."""

    index: int
    number: str
    issue_date: str  # YYYY-MM-DD
    due_date: str
    note: str
    service: str
    engagement: str
    supplier: tuple[str, str, str, str, str]  # siret, VAT number, name, city, postcode
    buyer: tuple[str, str]  # siret, name
    lines: list[Line]
    subtotals: list[tuple[Decimal, Decimal, Decimal]]  # rate, taxable, tax
    net: Decimal
    tax_total: Decimal
    gross: Decimal


def invoice_content(index: int, lines: int = 20, seed: int = 0) -> Content:
    """Invoice number BENCH-<seed>-<index>, deterministic for a given (index, seed, lines)."""
    rng = random.Random(seed * 1_000_003 + index)
    buyer_siret, buyer_name, service = RECIPIENTS[index % len(RECIPIENTS)]
    body, per_rate = [], {}
    for n in range(1, lines + 1):
        quantity = Decimal(rng.randint(1, 40))
        price = Decimal(rng.randint(100, 50000)) / 100
        rate = rng.choice(RATES)
        amount = (quantity * price).quantize(CENT, ROUND_HALF_UP)
        per_rate[rate] = per_rate.get(rate, Decimal(0)) + amount
        description = f"{rng.choice(ITEMS)}, lot {rng.randint(1000, 9999)}, livraison sur site"
        name = rng.choice(ITEMS)
        body.append(Line(n, quantity, price, rate, amount, description, name, f"REF-{rng.randint(10000, 99999)}"))
    subtotals, tax_total = [], Decimal(0)
    for rate, taxable in sorted(per_rate.items()):
        tax = (taxable * rate / 100).quantize(CENT, ROUND_HALF_UP)
        tax_total += tax
        subtotals.append((rate, taxable, tax))
    net = sum(per_rate.values())
    month = 1 + index % 11
    return Content(
        index=index, number=f"BENCH-{seed}-{index:07d}", issue_date=f"2026-{month:02d}-15",
        due_date=f"2026-{month + 1:02d}-15",
        note=(f"Facture établie conformément au marché n° 2026-{index % 97:03d}. Pénalités de retard : trois fois "
              "le taux d'intérêt légal. Indemnité forfaitaire pour frais de recouvrement : 40 euros."),
        service=service, engagement=f"EJ-2026-{index % 100000:06d}", supplier=SUPPLIERS[index % len(SUPPLIERS)],
        buyer=(buyer_siret, buyer_name), lines=body, subtotals=subtotals, net=net, tax_total=tax_total,
        gross=net + tax_total)


def ubl_invoice(index: int, lines: int = 20, seed: int = 0) -> bytes:
    """Invoice number BENCH-<seed>-<index> as UBL 2.1, deterministic for a given (index, seed)."""
    c = invoice_content(index, lines, seed)
    siret, vat, name, city, postcode = c.supplier
    buyer_siret, buyer_name = c.buyer
    body = [f"""  <cac:InvoiceLine>
    <cbc:ID>{line.id}</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">{line.quantity}</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">{_money(line.amount)}</cbc:LineExtensionAmount>
    <cac:OrderLineReference><cbc:LineID>{line.id}</cbc:LineID></cac:OrderLineReference>
    <cac:Item>
      <cbc:Description>{escape(line.description)}</cbc:Description>
      <cbc:Name>{escape(line.name)}</cbc:Name>
      <cac:SellersItemIdentification><cbc:ID>{line.seller_ref}</cbc:ID></cac:SellersItemIdentification>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>{line.rate}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">{line.price}</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>""" for line in c.lines]
    subtotals = [f"""    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">{_money(taxable)}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">{_money(tax)}</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>{rate}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>""" for rate, taxable, tax in c.subtotals]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ProfileID>A1</cbc:ProfileID>
  <cbc:ID>{c.number}</cbc:ID>
  <cbc:IssueDate>{c.issue_date}</cbc:IssueDate>
  <cbc:DueDate>{c.due_date}</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:Note>{c.note}</cbc:Note>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>{c.service}</cbc:BuyerReference>
  <cac:OrderReference><cbc:ID>{c.engagement}</cbc:ID></cac:OrderReference>
  <cac:AccountingSupplierParty>
    <cac:Party>
      <cac:PartyIdentification><cbc:ID schemeID="0009">{siret}</cbc:ID></cac:PartyIdentification>
      <cac:PartyName><cbc:Name>{escape(name)}</cbc:Name></cac:PartyName>
      <cac:PostalAddress>
        <cbc:StreetName>12 rue des Artisans</cbc:StreetName><cbc:CityName>{city}</cbc:CityName>
        <cbc:PostalZone>{postcode}</cbc:PostalZone><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyTaxScheme><cbc:CompanyID>{vat}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
      <cac:PartyLegalEntity><cbc:RegistrationName>{escape(name)}</cbc:RegistrationName><cbc:CompanyID schemeID="0002">{siret[:9]}</cbc:CompanyID></cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cac:PartyIdentification><cbc:ID schemeID="0009">{buyer_siret}</cbc:ID></cac:PartyIdentification>
      <cac:PostalAddress>
        <cbc:StreetName>Place de la Mairie</cbc:StreetName><cbc:CityName>Belleville</cbc:CityName>
        <cbc:PostalZone>69220</cbc:PostalZone><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyLegalEntity><cbc:RegistrationName>{escape(buyer_name)}</cbc:RegistrationName></cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>{IBAN}</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:PaymentTerms><cbc:Note>{PAYMENT_TERMS}</cbc:Note></cac:PaymentTerms>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">{_money(c.tax_total)}</cbc:TaxAmount>
{chr(10).join(subtotals)}
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">{_money(c.net)}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">{_money(c.net)}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">{_money(c.gross)}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">{_money(c.gross)}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
{chr(10).join(body)}
</Invoice>
""".encode()


def _compact_date(iso: str) -> str:
    return iso.replace("-", "")


def cii_invoice(index: int, lines: int = 20, seed: int = 0) -> bytes:
    """The same invoice as `ubl_invoice(index, lines, seed)`, as UN/CEFACT CII D22B (EN 16931 profile)."""
    c = invoice_content(index, lines, seed)
    siret, vat, name, city, postcode = c.supplier
    buyer_siret, buyer_name = c.buyer
    body = [f"""    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>{line.id}</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct>
        <ram:SellerAssignedID>{line.seller_ref}</ram:SellerAssignedID>
        <ram:Name>{escape(line.name)}</ram:Name>
        <ram:Description>{escape(line.description)}</ram:Description>
      </ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:BuyerOrderReferencedDocument><ram:LineID>{line.id}</ram:LineID></ram:BuyerOrderReferencedDocument>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>{line.price}</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery>
        <ram:BilledQuantity unitCode="C62">{line.quantity}</ram:BilledQuantity>
      </ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax>
          <ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>{line.rate}</ram:RateApplicablePercent>
        </ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation>
          <ram:LineTotalAmount>{_money(line.amount)}</ram:LineTotalAmount>
        </ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>""" for line in c.lines]
    taxes = [f"""      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount>{_money(tax)}</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount>{_money(taxable)}</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode>
        <ram:RateApplicablePercent>{rate}</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax>""" for rate, taxable, tax in c.subtotals]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>A1</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{c.number}</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">{_compact_date(c.issue_date)}</udt:DateTimeString></ram:IssueDateTime>
    <ram:IncludedNote><ram:Content>{c.note}</ram:Content></ram:IncludedNote>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
{chr(10).join(body)}
    <ram:ApplicableHeaderTradeAgreement>
      <ram:BuyerReference>{c.service}</ram:BuyerReference>
      <ram:SellerTradeParty>
        <ram:GlobalID schemeID="0009">{siret}</ram:GlobalID>
        <ram:Name>{escape(name)}</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{siret[:9]}</ram:ID></ram:SpecifiedLegalOrganization>
        <ram:PostalTradeAddress>
          <ram:PostcodeCode>{postcode}</ram:PostcodeCode><ram:LineOne>12 rue des Artisans</ram:LineOne>
          <ram:CityName>{city}</ram:CityName><ram:CountryID>FR</ram:CountryID>
        </ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{vat}</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:GlobalID schemeID="0009">{buyer_siret}</ram:GlobalID>
        <ram:Name>{escape(buyer_name)}</ram:Name>
        <ram:PostalTradeAddress>
          <ram:PostcodeCode>69220</ram:PostcodeCode><ram:LineOne>Place de la Mairie</ram:LineOne>
          <ram:CityName>Belleville</ram:CityName><ram:CountryID>FR</ram:CountryID>
        </ram:PostalTradeAddress>
      </ram:BuyerTradeParty>
      <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>{c.engagement}</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>30</ram:TypeCode>
        <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{IBAN}</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>
      </ram:SpecifiedTradeSettlementPaymentMeans>
{chr(10).join(taxes)}
      <ram:SpecifiedTradePaymentTerms>
        <ram:Description>{PAYMENT_TERMS}</ram:Description>
        <ram:DueDateDateTime><udt:DateTimeString format="102">{_compact_date(c.due_date)}</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>{_money(c.net)}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>{_money(c.net)}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">{_money(c.tax_total)}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{_money(c.gross)}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{_money(c.gross)}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


CSV_HEADER = ["invoice_number", "issue_date", "type_code", "currency", "supplier_siret", "supplier_name",
              "supplier_vat", "buyer_siret", "buyer_name", "service_code", "purchase_order", "billing_frame",
              "payment_terms", "due_date", "iban", "line_id", "item_name", "quantity", "unit_code", "unit_price",
              "line_net_amount", "vat_category", "vat_rate", "total_net", "total_vat", "total_with_vat",
              "amount_due"]


def csv_rows(index: int, lines: int = 20, seed: int = 0) -> list[list[str]]:
    """The rows of the same invoice as `ubl_invoice(index, lines, seed)` in the CSV layout of one row per line.
    (The item description, BT-154, has no CSV column: the CSV invoice has the item name only.)"""
    c = invoice_content(index, lines, seed)
    siret, vat, name, _city, _postcode = c.supplier
    buyer_siret, buyer_name = c.buyer
    head = [c.number, c.issue_date, "380", "EUR", siret, name, vat, buyer_siret, buyer_name, c.service,
            c.engagement, "A1", PAYMENT_TERMS, c.due_date, IBAN]
    totals = [_money(c.net), _money(c.tax_total), _money(c.gross), _money(c.gross)]
    return [head + [str(line.id), line.name, str(line.quantity), "C62", str(line.price), _money(line.amount), "S",
                    str(line.rate)] + totals
            for line in c.lines]


def csv_lot(indexes: Iterable[int], lines: int = 20, seed: int = 0) -> bytes:
    """One CSV file (UTF-8, ',' separated, English headers) holding the invoices of these indexes, in order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for index in indexes:
        writer.writerows(csv_rows(index, lines, seed))
    return buffer.getvalue().encode()
