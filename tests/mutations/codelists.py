"""Mutations for the EN 16931 code-list rules (BR-CL-xx): one coded value, or one scheme, off its official list.

Base "fr-ubl": samples/durand-facture-BD-2026-0142.xml (four lines, VAT S 20 % and 10 %). Inserted groups follow the
UBL 2.1 element order and amount to 0.00 where they carry amounts, so every other rule still holds; codes are
changed on elements the French rules do not look at (an extra identifier, a delivery, an extra zero line...).
"""

from __future__ import annotations

from . import insert, mutation, set_attr, set_text

INVOICE = "/ubl:Invoice"
SELLER = f"{INVOICE}/cac:AccountingSupplierParty/cac:Party"
BUYER = f"{INVOICE}/cac:AccountingCustomerParty/cac:Party"
TOTALS = f"{INVOICE}/cac:LegalMonetaryTotal"
LINE = f"{INVOICE}/cac:InvoiceLine[1]"
ITEM = f"{LINE}/cac:Item"

NOTE = ("Travaux réalisés du 24/08/2026 au 11/09/2026, procès-verbal de réception du 11/09/2026.")


def vat(category: str, percent: str) -> str:
    return (f"<cbc:ID>{category}</cbc:ID><cbc:Percent>{percent}</cbc:Percent>"
            "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>")


def item(insert_fragment: str):
    """Insert into the first line's item, where UBL puts the identifiers, origin and classification."""
    return insert(ITEM, insert_fragment, after="cac:SellersItemIdentification")


def document_level(is_charge: bool, reason_code: str):
    """A document-level allowance or charge of 0.00 at VAT S 20 %, with a reason code, and its 0.00 total."""
    word, total = ("true", "ChargeTotalAmount") if is_charge else ("false", "AllowanceTotalAmount")
    return (
        insert(INVOICE, f"<cac:AllowanceCharge><cbc:ChargeIndicator>{word}</cbc:ChargeIndicator>"
                        f"<cbc:AllowanceChargeReasonCode>{reason_code}</cbc:AllowanceChargeReasonCode>"
                        f'<cbc:Amount currencyID="EUR">0.00</cbc:Amount>'
                        f"<cac:TaxCategory>{vat('S', '20')}</cac:TaxCategory></cac:AllowanceCharge>",
               after="cac:PaymentTerms"),
        insert(TOTALS, f'<cbc:{total} currencyID="EUR">0.00</cbc:{total}>', after="cbc:TaxInclusiveAmount"),
    )


def zero_line(category: str, percent: str):
    """A fifth line of 0.00 in the given VAT category (so no breakdown or total moves)."""
    return insert(INVOICE, '<cac:InvoiceLine><cbc:ID>5</cbc:ID><cbc:InvoicedQuantity unitCode="C62">0'
                           '</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">0.00'
                           "</cbc:LineExtensionAmount><cac:Item><cbc:Name>Déplacement offert</cbc:Name>"
                           f"<cac:ClassifiedTaxCategory>{vat(category, percent)}</cac:ClassifiedTaxCategory>"
                           '</cac:Item><cac:Price><cbc:PriceAmount currencyID="EUR">0.00</cbc:PriceAmount>'
                           "</cac:Price></cac:InvoiceLine>")


def exempt_breakdown(code: str):
    """A 0.00 line exempt from VAT (E), and its 0.00 breakdown with the exemption reason code `code` (and the
    text French invoices give with it)."""
    subtotal = ('<cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">0.00</cbc:TaxableAmount>'
                '<cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount><cac:TaxCategory><cbc:ID>E</cbc:ID>'
                f"<cbc:Percent>0</cbc:Percent><cbc:TaxExemptionReasonCode>{code}</cbc:TaxExemptionReasonCode>"
                "<cbc:TaxExemptionReason>Exonération de TVA, article 261-4-4° du CGI</cbc:TaxExemptionReason>"
                "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>")
    return zero_line("E", "0"), insert(f"{INVOICE}/cac:TaxTotal", subtotal)


def delivery(location: str):
    """A delivery (BG-13) made of `location` (a cac:DeliveryLocation's content), where UBL puts it."""
    return insert(INVOICE, "<cac:Delivery><cbc:ActualDeliveryDate>2026-09-11</cbc:ActualDeliveryDate>"
                           f"<cac:DeliveryLocation>{location}</cac:DeliveryLocation></cac:Delivery>",
                  after="cac:AccountingCustomerParty")


def document_reference(content: str):
    """An additional document reference (BG-24, or BT-18 with type 130), after the contract reference."""
    return insert(INVOICE, f"<cac:AdditionalDocumentReference>{content}</cac:AdditionalDocumentReference>",
                  after="cac:ContractDocumentReference")


MUTATIONS = [
    mutation("BR-CL-01", set_text(f"{INVOICE}/cbc:InvoiceTypeCode", "999")),
    mutation("BR-CL-01", set_text("/cn:CreditNote/cbc:CreditNoteTypeCode", "380"), base="fr-ubl-credit",
             why="invoice-code-on-a-credit-note"),
    mutation("BR-CL-03", set_attr(f"{LINE}/cbc:LineExtensionAmount", "currencyID", "ZZZ")),
    # The invoice currency must also be that of the total VAT amount (BR-CO-15 counts the TaxAmount in BT-5): an
    # unlisted BT-5 breaks BR-CO-15 too, or BR-CL-03 if the TaxAmount follows it. The standard makes both fail.
    mutation("BR-CL-04", set_text(f"{INVOICE}/cbc:DocumentCurrencyCode", "ZZZ"), also=("BR-CO-15",)),
    # Likewise BT-6 requires a TaxAmount in that currency (BR-53), which BR-CL-03 would then reject.
    mutation("BR-CL-05", insert(INVOICE, "<cbc:TaxCurrencyCode>ZZZ</cbc:TaxCurrencyCode>",
                                after="cbc:DocumentCurrencyCode"), also=("BR-53",)),
    mutation("BR-CL-06", insert(INVOICE, "<cac:InvoicePeriod><cbc:StartDate>2026-08-24</cbc:StartDate>"
                                         "<cbc:EndDate>2026-09-11</cbc:EndDate>"
                                         "<cbc:DescriptionCode>31</cbc:DescriptionCode></cac:InvoicePeriod>",
                                after="cbc:BuyerReference")),
    mutation("BR-CL-07", document_reference('<cbc:ID schemeID="XXA">TOIT-320M2</cbc:ID>'
                                            "<cbc:DocumentTypeCode>130</cbc:DocumentTypeCode>")),
    mutation("BR-CL-08", set_text(f"{INVOICE}/cbc:Note", f"#QQQ#{NOTE}")),
    mutation("BR-CL-10", insert(BUYER, '<cac:PartyIdentification><cbc:ID schemeID="SEPA">FR12ZZZ123456</cbc:ID>'
                                       "</cac:PartyIdentification>", after="cac:PartyIdentification"),
             why="SEPA-only-for-seller-or-payee"),
    mutation("BR-CL-10", insert(SELLER, '<cac:PartyIdentification><cbc:ID schemeID="9901">ABC</cbc:ID>'
                                        "</cac:PartyIdentification>", after="cac:PartyIdentification")),
    mutation("BR-CL-11", set_attr(f"{BUYER}/cac:PartyLegalEntity/cbc:CompanyID", "schemeID", "9901")),
    mutation("BR-CL-13", item('<cac:CommodityClassification><cbc:ItemClassificationCode listID="XXX">45261210'
                              "</cbc:ItemClassificationCode></cac:CommodityClassification>")),
    mutation("BR-CL-14", delivery("<cac:Address><cbc:CityName>Belleville-sur-Saône</cbc:CityName><cac:Country>"
                                  "<cbc:IdentificationCode>ZZ</cbc:IdentificationCode></cac:Country></cac:Address>")),
    mutation("BR-CL-15", item("<cac:OriginCountry><cbc:IdentificationCode>HC</cbc:IdentificationCode>"
                              "</cac:OriginCountry>")),
    mutation("BR-CL-16", set_text(f"{INVOICE}/cac:PaymentMeans/cbc:PaymentMeansCode", "99")),
    mutation("BR-CL-17", *document_level(False, "95"),
             set_text(f"{INVOICE}/cac:AllowanceCharge/cac:TaxCategory/cbc:ID", "X")),
    mutation("BR-CL-18", zero_line("AA", "20")),
    mutation("BR-CL-19", *document_level(False, "143")),
    mutation("BR-CL-20", *document_level(True, "SB")),
    mutation("BR-CL-21", item('<cac:StandardItemIdentification><cbc:ID schemeID="9901">3012345678901</cbc:ID>'
                              "</cac:StandardItemIdentification>")),
    mutation("BR-CL-22", *exempt_breakdown("VATEX-EU-999")),
    mutation("BR-CL-23", set_attr(f"{LINE}/cbc:InvoicedQuantity", "unitCode", "ZZZ")),
    mutation("BR-CL-24", document_reference(
        "<cbc:ID>PV-RECEPTION</cbc:ID><cac:Attachment>"
        '<cbc:EmbeddedDocumentBinaryObject mimeCode="application/zip" filename="pv.zip">UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=='
        "</cbc:EmbeddedDocumentBinaryObject></cac:Attachment>")),
    mutation("BR-CL-25", set_attr(f"{SELLER}/cbc:EndpointID", "schemeID", "ZZZ")),
    mutation("BR-CL-26", delivery('<cbc:ID schemeID="9901">QUAI-3</cbc:ID>')),
]
