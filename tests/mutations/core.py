"""Mutations for the EN 16931 core rules (BR-01 … BR-65) and the calculation rules (BR-CO-xx).

Base "fr-ubl": samples/durand-facture-BD-2026-0142.xml (four lines, VAT S 20 % and 10 %, totals 26 325.00 HT,
5 027.00 VAT, 31 352.00 TTC). Inserted fragments follow the UBL 2.1 element order, so they stay XSD-valid
unless the rule is about a term the XSD itself makes mandatory.
"""

from __future__ import annotations

from . import insert, mutation, remove, remove_all, set_attr, set_text

INVOICE = "/ubl:Invoice"
SELLER = f"{INVOICE}/cac:AccountingSupplierParty/cac:Party"
BUYER = f"{INVOICE}/cac:AccountingCustomerParty/cac:Party"
TOTALS = f"{INVOICE}/cac:LegalMonetaryTotal"
LINE = f"{INVOICE}/cac:InvoiceLine[1]"
ITEM = f"{LINE}/cac:Item"
MEANS = f"{INVOICE}/cac:PaymentMeans"

VAT_S20 = "<cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent>" \
          "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>"
REPRESENTATIVE_NAME = "<cac:PartyName><cbc:Name>Représentation fiscale Dupont</cbc:Name></cac:PartyName>"
REPRESENTATIVE_ADDRESS = "<cac:PostalAddress><cbc:CityName>Paris</cbc:CityName>" \
                         "<cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country>" \
                         "</cac:PostalAddress>"
REPRESENTATIVE_VAT = "<cac:PartyTaxScheme><cbc:CompanyID>FR40303265045</cbc:CompanyID>" \
                     "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>"


def representative(*parts: str):
    """A seller's tax representative (BG-11) made of the given parts, where UBL puts it."""
    return insert(INVOICE, f"<cac:TaxRepresentativeParty>{''.join(parts)}</cac:TaxRepresentativeParty>",
                  after="cac:AccountingCustomerParty")


def document_allowance_charge(is_charge: bool, *, amount: bool = True, category: bool = True, reason: bool = True):
    """A document-level allowance or charge of 0.00 (so every total still adds up), missing what is asked."""
    word = "true" if is_charge else "false"
    total = "ChargeTotalAmount" if is_charge else "AllowanceTotalAmount"
    fragment = (f"<cac:AllowanceCharge><cbc:ChargeIndicator>{word}</cbc:ChargeIndicator>"
                + ("<cbc:AllowanceChargeReason>Remise commerciale</cbc:AllowanceChargeReason>" if reason else "")
                + ('<cbc:Amount currencyID="EUR">0.00</cbc:Amount>' if amount else "")
                + (VAT_S20 if category else "") + "</cac:AllowanceCharge>")
    return (insert(INVOICE, fragment, after="cac:PaymentTerms"),
            insert(TOTALS, f'<cbc:{total} currencyID="EUR">0.00</cbc:{total}>', after="cbc:TaxInclusiveAmount"))


def line_allowance_charge(is_charge: bool, *, amount: bool = True, reason: bool = True):
    word = "true" if is_charge else "false"
    fragment = (f"<cac:AllowanceCharge><cbc:ChargeIndicator>{word}</cbc:ChargeIndicator>"
                + ("<cbc:AllowanceChargeReason>Remise fidélité</cbc:AllowanceChargeReason>" if reason else "")
                + ('<cbc:Amount currencyID="EUR">0.00</cbc:Amount>' if amount else "") + "</cac:AllowanceCharge>")
    return insert(LINE, fragment, after="cbc:LineExtensionAmount")


def set_totals(tax_exclusive=None, tax=None, tax_inclusive=None, payable=None):
    edits = []
    for xpath, value in ((f"{TOTALS}/cbc:TaxExclusiveAmount", tax_exclusive), (f"{INVOICE}/cac:TaxTotal/cbc:TaxAmount", tax),
                         (f"{TOTALS}/cbc:TaxInclusiveAmount", tax_inclusive), (f"{TOTALS}/cbc:PayableAmount", payable)):
        if value is not None:
            edits.append(set_text(xpath, value))
    return edits


MUTATIONS = [
    mutation("BR-01", remove(f"{INVOICE}/cbc:CustomizationID")),
    mutation("BR-02", remove(f"{INVOICE}/cbc:ID")),
    mutation("BR-03", remove(f"{INVOICE}/cbc:IssueDate")),
    mutation("BR-04", remove(f"{INVOICE}/cbc:InvoiceTypeCode")),
    mutation("BR-05", remove(f"{INVOICE}/cbc:DocumentCurrencyCode")),
    mutation("BR-06", remove(f"{SELLER}/cac:PartyLegalEntity/cbc:RegistrationName")),
    mutation("BR-07", remove(f"{BUYER}/cac:PartyLegalEntity/cbc:RegistrationName")),
    mutation("BR-08", remove(f"{SELLER}/cac:PostalAddress")),
    mutation("BR-09", remove(f"{SELLER}/cac:PostalAddress/cac:Country")),
    mutation("BR-10", remove(f"{BUYER}/cac:PostalAddress")),
    mutation("BR-11", remove(f"{BUYER}/cac:PostalAddress/cac:Country")),
    # a missing total leaves the calculation rules that use it unable to hold, in the official artifact too
    mutation("BR-12", remove(f"{TOTALS}/cbc:LineExtensionAmount"), also=("BR-CO-10", "BR-CO-13")),
    mutation("BR-13", remove(f"{TOTALS}/cbc:TaxExclusiveAmount"), also=("BR-CO-13", "BR-CO-15")),
    mutation("BR-14", remove(f"{TOTALS}/cbc:TaxInclusiveAmount"), also=("BR-CO-15", "BR-CO-16")),
    mutation("BR-15", remove(f"{TOTALS}/cbc:PayableAmount"), also=("BR-CO-16",)),
    # no line at all: the sums of lines per VAT rate no longer match the breakdown either
    mutation("BR-16", remove_all(f"{INVOICE}/cac:InvoiceLine"), also=("BR-CO-10", "BR-S-01", "BR-S-08")),
    mutation("BR-17", insert(INVOICE, "<cac:PayeeParty><cac:PartyIdentification><cbc:ID>AFFACT-77</cbc:ID>"
                                      "</cac:PartyIdentification></cac:PayeeParty>",
                             after="cac:AccountingCustomerParty")),
    mutation("BR-18", representative(REPRESENTATIVE_ADDRESS, REPRESENTATIVE_VAT)),
    mutation("BR-19", representative(REPRESENTATIVE_NAME, REPRESENTATIVE_VAT)),
    mutation("BR-20", representative(REPRESENTATIVE_NAME, "<cac:PostalAddress><cbc:CityName>Paris</cbc:CityName>"
                                                          "</cac:PostalAddress>", REPRESENTATIVE_VAT)),
    mutation("BR-56", representative(REPRESENTATIVE_NAME, REPRESENTATIVE_ADDRESS)),
    mutation("BR-21", remove(f"{LINE}/cbc:ID")),
    mutation("BR-22", remove(f"{LINE}/cbc:InvoicedQuantity"), also=("BR-23",)),  # the unit is an attribute of it
    mutation("BR-23", set_attr(f"{LINE}/cbc:InvoicedQuantity", "unitCode", None)),
    mutation("BR-24", remove(f"{LINE}/cbc:LineExtensionAmount"), also=("BR-CO-10", "BR-S-08")),
    mutation("BR-25", remove(f"{ITEM}/cbc:Name")),
    mutation("BR-26", remove(f"{LINE}/cac:Price/cbc:PriceAmount"), also=("BR-27",)),  # () >= 0 is false
    mutation("BR-27", set_text(f"{LINE}/cac:Price/cbc:PriceAmount", "-18450.00")),
    mutation("BR-28", insert(f"{LINE}/cac:Price",
                             '<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator>'
                             '<cbc:Amount currencyID="EUR">0.00</cbc:Amount>'
                             '<cbc:BaseAmount currencyID="EUR">-18450.00</cbc:BaseAmount></cac:AllowanceCharge>')),
    mutation("BR-29", insert(INVOICE, "<cac:InvoicePeriod><cbc:StartDate>2026-09-11</cbc:StartDate>"
                                      "<cbc:EndDate>2026-08-24</cbc:EndDate></cac:InvoicePeriod>",
                             after="cbc:BuyerReference")),
    mutation("BR-30", insert(LINE, "<cac:InvoicePeriod><cbc:StartDate>2026-09-11</cbc:StartDate>"
                                   "<cbc:EndDate>2026-08-24</cbc:EndDate></cac:InvoicePeriod>",
                             after="cbc:LineExtensionAmount")),
    mutation("BR-CO-19", insert(INVOICE, "<cac:InvoicePeriod/>", after="cbc:BuyerReference")),
    mutation("BR-CO-20", insert(LINE, "<cac:InvoicePeriod/>", after="cbc:LineExtensionAmount")),
    mutation("BR-CO-03", insert(INVOICE, "<cbc:TaxPointDate>2026-09-11</cbc:TaxPointDate>", after="cbc:Note"),
             insert(INVOICE, "<cac:InvoicePeriod><cbc:StartDate>2026-08-24</cbc:StartDate>"
                             "<cbc:DescriptionCode>3</cbc:DescriptionCode></cac:InvoicePeriod>",
                    after="cbc:BuyerReference")),
    mutation("BR-31", *document_allowance_charge(False, amount=False)),
    mutation("BR-32", *document_allowance_charge(False, category=False)),
    mutation("BR-33", *document_allowance_charge(False, reason=False), also=("BR-CO-21",)),  # the same test
    mutation("BR-36", *document_allowance_charge(True, amount=False)),
    mutation("BR-37", *document_allowance_charge(True, category=False)),
    mutation("BR-38", *document_allowance_charge(True, reason=False), also=("BR-CO-22",)),
    mutation("BR-41", line_allowance_charge(False, amount=False)),
    mutation("BR-42", line_allowance_charge(False, reason=False), also=("BR-CO-23",)),
    mutation("BR-43", line_allowance_charge(True, amount=False)),
    mutation("BR-44", line_allowance_charge(True, reason=False), also=("BR-CO-24",)),
    mutation("BR-CO-21", *document_allowance_charge(False, reason=False), also=("BR-33",)),
    mutation("BR-CO-22", *document_allowance_charge(True, reason=False), also=("BR-38",)),
    mutation("BR-CO-23", line_allowance_charge(False, reason=False), also=("BR-42",)),
    mutation("BR-CO-24", line_allowance_charge(True, reason=False), also=("BR-44",)),
    mutation("BR-49", remove(f"{MEANS}/cbc:PaymentMeansCode")),
    mutation("BR-50", remove(f"{MEANS}/cac:PayeeFinancialAccount/cbc:ID"), also=("BR-61",)),
    mutation("BR-61", remove(f"{MEANS}/cac:PayeeFinancialAccount")),
    mutation("BR-51", insert(MEANS, "<cac:CardAccount><cbc:PrimaryAccountNumberID>4970101234567890"
                                    "</cbc:PrimaryAccountNumberID><cbc:NetworkID>VISA</cbc:NetworkID></cac:CardAccount>",
                             after="cbc:PaymentID")),
    mutation("BR-52", insert(INVOICE, "<cac:AdditionalDocumentReference><cbc:ID></cbc:ID>"
                                      "<cbc:DocumentDescription>Procès-verbal de réception</cbc:DocumentDescription>"
                                      "</cac:AdditionalDocumentReference>", after="cac:ContractDocumentReference")),
    mutation("BR-53", insert(INVOICE, "<cbc:TaxCurrencyCode>USD</cbc:TaxCurrencyCode>",
                             after="cbc:DocumentCurrencyCode")),
    mutation("BR-54", insert(ITEM, "<cac:AdditionalItemProperty><cbc:Name>Surface</cbc:Name>"
                                   "</cac:AdditionalItemProperty>", after="cac:ClassifiedTaxCategory")),
    mutation("BR-55", insert(INVOICE, "<cac:BillingReference><cac:InvoiceDocumentReference>"
                                      "<cbc:IssueDate>2026-06-30</cbc:IssueDate></cac:InvoiceDocumentReference>"
                                      "</cac:BillingReference>", after="cac:OrderReference")),
    mutation("BR-57", insert(INVOICE, "<cac:Delivery><cac:DeliveryLocation><cac:Address>"
                                      "<cbc:CityName>Belleville-sur-Saône</cbc:CityName></cac:Address>"
                                      "</cac:DeliveryLocation></cac:Delivery>", after="cac:AccountingCustomerParty")),
    mutation("BR-62", set_attr(f"{SELLER}/cbc:EndpointID", "schemeID", None)),
    mutation("BR-63", set_attr(f"{BUYER}/cbc:EndpointID", "schemeID", None)),
    mutation("BR-64", insert(ITEM, "<cac:StandardItemIdentification><cbc:ID>3560070048977</cbc:ID>"
                                   "</cac:StandardItemIdentification>", after="cac:SellersItemIdentification")),
    mutation("BR-65", insert(ITEM, "<cac:CommodityClassification><cbc:ItemClassificationCode>45261210"
                                   "</cbc:ItemClassificationCode></cac:CommodityClassification>",
                             after="cac:SellersItemIdentification")),
    mutation("BR-CO-09", set_text(f"{SELLER}/cac:PartyTaxScheme/cbc:CompanyID", "ZZ28324567890")),
    # a line without category no longer counts in the S 20 % taxable amount
    mutation("BR-CO-04", remove(f"{ITEM}/cac:ClassifiedTaxCategory/cbc:ID"), also=("BR-S-08",)),
    mutation("BR-CO-10", set_text(f"{TOTALS}/cbc:LineExtensionAmount", "26326.00"), also=("BR-CO-13",)),
    mutation("BR-CO-11", insert(TOTALS, '<cbc:AllowanceTotalAmount currencyID="EUR">1.00</cbc:AllowanceTotalAmount>',
                                after="cbc:TaxInclusiveAmount"), also=("BR-CO-13",)),
    mutation("BR-CO-12", insert(TOTALS, '<cbc:ChargeTotalAmount currencyID="EUR">1.00</cbc:ChargeTotalAmount>',
                                after="cbc:TaxInclusiveAmount"), also=("BR-CO-13",)),
    mutation("BR-CO-13", *set_totals(tax_exclusive="26324.00", tax_inclusive="31351.00", payable="31351.00")),
    mutation("BR-CO-14", *set_totals(tax="5028.00", tax_inclusive="31353.00", payable="31353.00")),
    mutation("BR-CO-15", *set_totals(tax_inclusive="31353.00", payable="31353.00")),
    mutation("BR-CO-16", *set_totals(payable="31353.00")),
    mutation("BR-CO-18", remove_all(f"{INVOICE}/cac:TaxTotal/cac:TaxSubtotal"), also=("BR-S-01",)),
    # an unidentified seller has no VAT number either, which standard-rated sales require
    mutation("BR-CO-26", remove(f"{SELLER}/cac:PartyIdentification"), remove(f"{SELLER}/cac:PartyTaxScheme"),
             remove(f"{SELLER}/cac:PartyLegalEntity/cbc:CompanyID"), also=("BR-S-02",)),
]
