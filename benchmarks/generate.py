"""Realistic French B2G UBL invoices for benchmarks: about 20 KB each, valid against the XSD and every rule."""

from __future__ import annotations

import random
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


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_UP))


def ubl_invoice(index: int, lines: int = 20, seed: int = 0) -> bytes:
    """Invoice number BENCH-<index>, deterministic for a given (index, seed)."""
    rng = random.Random(seed * 1_000_003 + index)
    siret, vat, name, city, postcode = SUPPLIERS[index % len(SUPPLIERS)]
    buyer_siret, buyer_name, service = RECIPIENTS[index % len(RECIPIENTS)]
    body, per_rate = [], {}
    for n in range(1, lines + 1):
        quantity = Decimal(rng.randint(1, 40))
        price = Decimal(rng.randint(100, 50000)) / 100
        rate = rng.choice(RATES)
        amount = (quantity * price).quantize(CENT, ROUND_HALF_UP)
        per_rate[rate] = per_rate.get(rate, Decimal(0)) + amount
        body.append(f"""  <cac:InvoiceLine>
    <cbc:ID>{n}</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">{quantity}</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">{_money(amount)}</cbc:LineExtensionAmount>
    <cac:OrderLineReference><cbc:LineID>{n}</cbc:LineID></cac:OrderLineReference>
    <cac:Item>
      <cbc:Description>{escape(rng.choice(ITEMS))}, lot {rng.randint(1000, 9999)}, livraison sur site</cbc:Description>
      <cbc:Name>{escape(rng.choice(ITEMS))}</cbc:Name>
      <cac:SellersItemIdentification><cbc:ID>REF-{rng.randint(10000, 99999)}</cbc:ID></cac:SellersItemIdentification>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>{rate}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">{price}</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>""")
    subtotals, tax_total = [], Decimal(0)
    for rate, taxable in sorted(per_rate.items()):
        tax = (taxable * rate / 100).quantize(CENT, ROUND_HALF_UP)
        tax_total += tax
        subtotals.append(f"""    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">{_money(taxable)}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">{_money(tax)}</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>{rate}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>""")
    net = sum(per_rate.values())
    gross = net + tax_total
    month = 1 + index % 11
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ProfileID>A1</cbc:ProfileID>
  <cbc:ID>BENCH-{seed}-{index:07d}</cbc:ID>
  <cbc:IssueDate>2026-{month:02d}-15</cbc:IssueDate>
  <cbc:DueDate>2026-{month + 1:02d}-15</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:Note>Facture établie conformément au marché n° 2026-{index % 97:03d}. Pénalités de retard : trois fois le taux d'intérêt légal. Indemnité forfaitaire pour frais de recouvrement : 40 euros.</cbc:Note>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>{service}</cbc:BuyerReference>
  <cac:OrderReference><cbc:ID>EJ-2026-{index % 100000:06d}</cbc:ID></cac:OrderReference>
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
    <cac:PayeeFinancialAccount><cbc:ID>FR7630006000011234567890189</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:PaymentTerms><cbc:Note>Paiement à 30 jours par virement</cbc:Note></cac:PaymentTerms>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">{_money(tax_total)}</cbc:TaxAmount>
{chr(10).join(subtotals)}
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">{_money(net)}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">{_money(net)}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">{_money(gross)}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">{_money(gross)}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
{chr(10).join(body)}
</Invoice>
""".encode()
