"""Mutations for the French rules: TVA (France) FR-TVA-xx, mandatory mentions FR-MEN-xx, identifiers FR-SUP/FR-REC.

Derived bases (each passes every native rule and the official EN 16931 artefact):

- "fr-ubl-exoneration": the Durand invoice cut to its first line, exempt (E) with the VATEX code and the text;
- "fr-ubl-autoliquidation": the same line reverse charged (AE) with "Autoliquidation" and the VATEX-EU-AE code.
"""

from __future__ import annotations

from . import derive, insert, mutation, remove, remove_all, set_attr, set_text

INV = "/ubl:Invoice"
SELLER = f"{INV}/cac:AccountingSupplierParty/cac:Party"
BUYER = f"{INV}/cac:AccountingCustomerParty/cac:Party"
TOTAL = f"{INV}/cac:LegalMonetaryTotal"
TAX = f"{INV}/cac:TaxTotal"
SUB1, SUB2 = f"{TAX}/cac:TaxSubtotal[1]", f"{TAX}/cac:TaxSubtotal[2]"
LINE = f"{INV}/cac:InvoiceLine"
CII_SETTLEMENT = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
CII_SELLER = ("/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
              "/ram:SellerTradeParty")


def _totals(tax: str, with_vat: str, line_net: str | None = None) -> tuple:
    """Edits setting BT-110 (the TaxTotal amount), BT-112 and BT-115 (and BT-106/BT-109 when given)."""
    edits = [set_text(f"{TAX}/cbc:TaxAmount", tax), set_text(f"{TOTAL}/cbc:TaxInclusiveAmount", with_vat),
             set_text(f"{TOTAL}/cbc:PayableAmount", with_vat)]
    if line_net is not None:
        edits += [set_text(f"{TOTAL}/cbc:LineExtensionAmount", line_net),
                  set_text(f"{TOTAL}/cbc:TaxExclusiveAmount", line_net)]
    return tuple(edits)


def _rate_of_line4_and_group2(rate: str, tax: str, tax_total: str, with_vat: str) -> tuple:
    """Line 4 (the 10 % line, 2380.00) and its VAT breakdown moved to `rate`, every total following."""
    return (set_text(f"{LINE}[4]/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", rate),
            set_text(f"{SUB2}/cac:TaxCategory/cbc:Percent", rate), set_text(f"{SUB2}/cbc:TaxAmount", tax),
            *_totals(tax_total, with_vat))


def _single_line(category: str, code: str, text: str) -> tuple:
    """The first line only (18450.00), at `category` and 0 %, with a VAT exemption code and text."""
    return (
        remove_all(f"{LINE}[position() > 1]"),
        set_text(f"{LINE}[1]/cac:Item/cac:ClassifiedTaxCategory/cbc:ID", category),
        set_text(f"{LINE}[1]/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", "0"),
        remove(SUB2),
        set_text(f"{SUB1}/cbc:TaxableAmount", "18450.00"), set_text(f"{SUB1}/cbc:TaxAmount", "0.00"),
        set_text(f"{SUB1}/cac:TaxCategory/cbc:ID", category), set_text(f"{SUB1}/cac:TaxCategory/cbc:Percent", "0"),
        insert(f"{SUB1}/cac:TaxCategory",
               f"<cbc:TaxExemptionReasonCode>{code}</cbc:TaxExemptionReasonCode>"
               f"<cbc:TaxExemptionReason>{text}</cbc:TaxExemptionReason>", after="cbc:Percent"),
        *_totals("0.00", "18450.00", line_net="18450.00"),
    )


EXEMPT = derive("fr-ubl-exoneration", "fr-ubl", *_single_line(
    "E", "VATEX-FR-CGI261-4", "Exonération de TVA, article 261-4-4° du CGI"))
REVERSE = derive("fr-ubl-autoliquidation", "fr-ubl", *_single_line("AE", "VATEX-EU-AE", "Autoliquidation"))
EXEMPTION = f"{SUB1}/cac:TaxCategory"

MUTATIONS = [
    # --- rates and categories -------------------------------------------------------------------------------
    mutation("FR-TVA-01", *_rate_of_line4_and_group2("12", "285.60", "5074.60", "31399.60"), why="rate-12"),
    mutation("FR-TVA-01", set_text(f"{CII_SETTLEMENT}/ram:ApplicableTradeTax/ram:RateApplicablePercent", "21"),
             set_text(f"{CII_SETTLEMENT}/ram:ApplicableTradeTax/ram:CalculatedAmount", "444.15"),
             set_text(f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount",
                      "444.15"),
             set_text(f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount",
                      "2559.15"),
             set_text(f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount",
                      "2559.15"),
             *[set_text(f"/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"
                        f"/ram:IncludedSupplyChainTradeLineItem[{i}]/ram:SpecifiedLineTradeSettlement"
                        f"/ram:ApplicableTradeTax/ram:RateApplicablePercent", "21") for i in (1, 2, 3)],
             base="fr-cii", why="belgian-21"),
    mutation("FR-TVA-02", *_rate_of_line4_and_group2("19.6", "466.48", "5255.48", "31580.48"),
             why="historic-19.6"),
    mutation("FR-TVA-02", set_text(f"{SELLER}/cac:PostalAddress/cbc:PostalZone", "97400"),
             set_text(f"{SELLER}/cac:PostalAddress/cbc:CityName", "Saint-Denis"),
             set_text(f"{BUYER}/cac:PostalAddress/cbc:PostalZone", "97400"),
             set_text(f"{BUYER}/cac:PostalAddress/cbc:CityName", "Saint-Denis"), why="mainland-rates-in-reunion"),
    mutation("FR-TVA-03", set_text(f"{LINE}[4]/cac:Item/cac:ClassifiedTaxCategory/cbc:ID", "L"),
             set_text(f"{SUB2}/cac:TaxCategory/cbc:ID", "L"), why="igic"),
    # --- exemption and reverse charge -----------------------------------------------------------------------
    mutation("FR-TVA-04", remove(f"{EXEMPTION}/cbc:TaxExemptionReasonCode"), base=EXEMPT, why="no-vatex-code"),
    mutation("FR-TVA-04", remove(f"{EXEMPTION}/cbc:TaxExemptionReason"), base=EXEMPT, why="no-text"),
    mutation("FR-TVA-05", remove(f"{EXEMPTION}/cbc:TaxExemptionReason"), base=REVERSE, why="code-only"),
    mutation("FR-TVA-05", set_text(f"{EXEMPTION}/cbc:TaxExemptionReason", "Reverse charge"), base=REVERSE,
             why="english-text"),
    # --- arithmetic -----------------------------------------------------------------------------------------
    mutation("FR-TVA-06", set_text(f"{LINE}[2]/cac:Price/cbc:PriceAmount", "42.60"), why="price-42.60"),
    mutation("FR-TVA-06", insert(f"{LINE}[3]/cac:Price", '<cbc:BaseQuantity unitCode="DAY">2</cbc:BaseQuantity>',
                                 after="cbc:PriceAmount"), why="base-quantity-ignored"),
    mutation("FR-TVA-07", insert(
        f"{LINE}[2]/cac:Price",
        '<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator>'
        '<cbc:Amount currencyID="EUR">7.00</cbc:Amount><cbc:BaseAmount currencyID="EUR">50.00</cbc:BaseAmount>'
        '</cac:AllowanceCharge>'), why="gross-50-discount-7"),
    mutation("FR-TVA-08", set_text(f"{SUB1}/cbc:TaxAmount", "4789.50"), *_totals("5027.50", "31352.50"),
             why="vat-50-cents-off"),
    # --- currency -------------------------------------------------------------------------------------------
    mutation("FR-TVA-09", set_text(f"{CII_SETTLEMENT}/ram:InvoiceCurrencyCode", "USD"),
             set_attr(f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount",
                      "currencyID", "USD"), base="fr-cii", why="usd-without-eur-vat"),
    # --- VAT identifiers ------------------------------------------------------------------------------------
    mutation("FR-TVA-10", set_text(f"{SELLER}/cac:PartyTaxScheme/cbc:CompanyID", "FR29324567890"),
             why="seller-key"),
    mutation("FR-TVA-10", set_text(f"{CII_SELLER}/ram:SpecifiedTaxRegistration/ram:ID", "FR89440123785"),
             base="fr-cii", why="seller-siren-digit"),
    mutation("FR-TVA-10", insert(BUYER, "<cac:PartyTaxScheme><cbc:CompanyID>DE123456789</cbc:CompanyID>"
                                        "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>",
                                 after="cac:PostalAddress"), why="buyer-german-key"),
    mutation("FR-TVA-11", set_text(f"{SELLER}/cac:PartyTaxScheme/cbc:CompanyID", "FR37781904560"),
             why="another-company"),
    mutation("FR-TVA-12", set_text(f"{SELLER}/cac:PartyTaxScheme/cbc:CompanyID", "RCS Lyon B 324 567 890"),
             set_text(f"{SELLER}/cac:PartyTaxScheme/cac:TaxScheme/cbc:ID", "FC"), why="tax-registration-only"),
    mutation("FR-TVA-12", set_text(f"{SELLER}/cac:PartyTaxScheme/cbc:CompanyID", "RCS Lyon B 324 567 890"),
             set_text(f"{SELLER}/cac:PartyTaxScheme/cac:TaxScheme/cbc:ID", "FC"), base=EXEMPT,
             why="exempt-tax-registration-only"),
    # --- mandatory mentions ---------------------------------------------------------------------------------
    mutation("FR-MEN-01", remove(f"{INV}/cbc:DueDate"), why="no-due-date"),
    mutation("FR-MEN-02", set_text(f"{INV}/cac:PaymentTerms/cbc:Note", "Paiement par virement à 30 jours."),
             why="no-penalties-no-indemnity"),
    mutation("FR-MEN-02", set_text(f"{CII_SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:Description",
                                   "Paiement à 30 jours. Intérêts moratoires : taux BCE + 8 points."),
             base="fr-cii", why="no-indemnity"),
    mutation("FR-MEN-03", set_text(f"{INV}/cbc:ID", "BD-2026-0142#A"), why="hash-sign"),
    mutation("FR-MEN-03", set_text(f"{INV}/cbc:ID", "BD-2026-0142-DURAND-BATIMENTS-LYON-3"), why="36-chars"),
    mutation("FR-MEN-04", set_text(f"{INV}/cbc:IssueDate", "2026-11-23"), set_text(f"{INV}/cbc:DueDate", "2026-12-23"),
             why="tomorrow"),
    mutation("FR-MEN-05", remove("/cn:CreditNote/cac:BillingReference"), base="fr-ubl-credit",
             why="credit-note-without-invoice"),
    mutation("FR-MEN-05", set_text(f"{INV}/cbc:InvoiceTypeCode", "384"), why="corrective-without-invoice"),
    # --- identifiers ----------------------------------------------------------------------------------------
    mutation("FR-SUP-01", remove(f"{SELLER}/cac:PartyIdentification"),
             remove(f"{SELLER}/cac:PartyLegalEntity/cbc:CompanyID"), why="french-vat-number-only"),
    mutation("FR-SUP-01", set_attr(f"{SELLER}/cac:PartyIdentification/cbc:ID", "schemeID", "0088"),
             set_attr(f"{SELLER}/cac:PartyLegalEntity/cbc:CompanyID", "schemeID", None), why="unknown-schemes"),
    mutation("FR-SUP-02", set_text(f"{SELLER}/cac:PartyIdentification/cbc:ID", "32456789000012"), why="siret-key"),
    mutation("FR-SUP-02", set_text(f"{SELLER}/cac:PartyLegalEntity/cbc:CompanyID", "32456789"),
             why="siren-8-digits"),
    mutation("FR-SUP-03", set_attr(f"{SELLER}/cac:PartyIdentification/cbc:ID", "schemeID", "0228"),
             why="siret-given-as-ridet"),
    mutation("FR-SUP-03", set_attr(f"{SELLER}/cac:PartyIdentification/cbc:ID", "schemeID", "0223"),
             set_text(f"{SELLER}/cac:PartyIdentification/cbc:ID", "FR28324567890"), why="french-vat-as-0223"),
    mutation("FR-SUP-03", set_attr(f"{SELLER}/cac:PartyIdentification/cbc:ID", "schemeID", "0229"),
             set_text(f"{SELLER}/cac:PartyIdentification/cbc:ID", "G3397200"), why="tahiti-8"),
    mutation("FR-SUP-03", set_attr(f"{SELLER}/cac:PartyIdentification/cbc:ID", "schemeID", "0226"),
             set_text(f"{SELLER}/cac:PartyIdentification/cbc:ID", "3850569123"), why="private-person-sex-3"),
    mutation("FR-SUP-03", set_attr(f"{SELLER}/cac:PartyIdentification/cbc:ID", "schemeID", "0227"),
             set_text(f"{SELLER}/cac:PartyIdentification/cbc:ID", "DEBatimentsDurand"), why="non-eu-in-germany"),
    mutation("FR-SUP-04", set_attr(f"{SELLER}/cac:PartyIdentification/cbc:ID", "schemeID", "0227"),
             set_text(f"{SELLER}/cac:PartyIdentification/cbc:ID", "USAcmeWidgetsInter"), why="other-name"),
    mutation("FR-REC-01", remove(f"{BUYER}/cac:PartyIdentification"), why="siren-only"),
    mutation("FR-REC-02", set_text(f"{BUYER}/cac:PartyIdentification/cbc:ID", "21713000400014"), why="siret-key"),
]
