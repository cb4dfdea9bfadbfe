"""Mutations for the EN 16931 decimal rules (BR-DEC-xx): one amount written with three decimals.

The amounts keep their value (``26325.000`` for ``26325.00``), so every calculation rule still holds: only the
number of decimals as written is wrong. Allowances and charges are inserted at 0.00 (UBL element order kept).
BR-DEC-13 and BR-DEC-15 are judged on the CII base, the only official artifact whose assertions for them can fail
(see edi_gateway/validators/rules/decimals.py); they compare values, so their amounts get a third significant
decimal.
"""

from __future__ import annotations

from . import insert, mutation, set_text

INVOICE = "/ubl:Invoice"
TOTALS = f"{INVOICE}/cac:LegalMonetaryTotal"
SUBTOTAL = f"{INVOICE}/cac:TaxTotal/cac:TaxSubtotal[1]"
LINE = f"{INVOICE}/cac:InvoiceLine[1]"
VAT_S20 = ("<cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent>"
           "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>")

CII_SETTLEMENT = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
CII_SUMMATION = f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"


def document_level(is_charge: bool, amount: str = "0.00", base: str | None = None, total: str = "0.00"):
    """A document-level allowance or charge at VAT S 20 % (reason code 95 / FC) and its total."""
    word, code, total_tag = ("true", "FC", "ChargeTotalAmount") if is_charge else \
        ("false", "95", "AllowanceTotalAmount")
    base_amount = f'<cbc:BaseAmount currencyID="EUR">{base}</cbc:BaseAmount>' if base is not None else ""
    return (
        insert(INVOICE, f"<cac:AllowanceCharge><cbc:ChargeIndicator>{word}</cbc:ChargeIndicator>"
                        f"<cbc:AllowanceChargeReasonCode>{code}</cbc:AllowanceChargeReasonCode>"
                        f'<cbc:Amount currencyID="EUR">{amount}</cbc:Amount>{base_amount}{VAT_S20}'
                        "</cac:AllowanceCharge>", after="cac:PaymentTerms"),
        insert(TOTALS, f'<cbc:{total_tag} currencyID="EUR">{total}</cbc:{total_tag}>',
               after="cbc:TaxInclusiveAmount"),
    )


def line_level(is_charge: bool, amount: str = "0.00", base: str | None = None):
    """A line-level allowance or charge on the first line (reason code 95 / FC)."""
    word, code = ("true", "FC") if is_charge else ("false", "95")
    base_amount = f'<cbc:BaseAmount currencyID="EUR">{base}</cbc:BaseAmount>' if base is not None else ""
    return insert(LINE, f"<cac:AllowanceCharge><cbc:ChargeIndicator>{word}</cbc:ChargeIndicator>"
                        f"<cbc:AllowanceChargeReasonCode>{code}</cbc:AllowanceChargeReasonCode>"
                        f'<cbc:Amount currencyID="EUR">{amount}</cbc:Amount>{base_amount}</cac:AllowanceCharge>',
                  after="cbc:LineExtensionAmount")


ALLOWANCE, CHARGE = False, True

MUTATIONS = [
    mutation("BR-DEC-01", *document_level(ALLOWANCE, amount="0.000")),
    mutation("BR-DEC-02", *document_level(ALLOWANCE, base="0.000")),
    mutation("BR-DEC-05", *document_level(CHARGE, amount="0.000")),
    mutation("BR-DEC-06", *document_level(CHARGE, base="0.000")),
    mutation("BR-DEC-09", set_text(f"{TOTALS}/cbc:LineExtensionAmount", "26325.000")),
    mutation("BR-DEC-10", *document_level(ALLOWANCE, total="0.000")),
    mutation("BR-DEC-11", *document_level(CHARGE, total="0.000")),
    mutation("BR-DEC-12", set_text(f"{TOTALS}/cbc:TaxExclusiveAmount", "26325.000")),
    # A third significant decimal on BT-110 cannot equal the rounded sum of BT-117: BR-CO-14 fails with it.
    mutation("BR-DEC-13", set_text(f"{CII_SUMMATION}/ram:TaxTotalAmount", "423.001"), base="fr-cii",
             also=("BR-CO-14",)),
    mutation("BR-DEC-14", set_text(f"{TOTALS}/cbc:TaxInclusiveAmount", "31352.000")),
    mutation("BR-DEC-15",
             insert(CII_SETTLEMENT, "<ram:TaxCurrencyCode>USD</ram:TaxCurrencyCode>", after="ram:PaymentReference"),
             insert(CII_SUMMATION, '<ram:TaxTotalAmount currencyID="USD">493.001</ram:TaxTotalAmount>',
                    after="ram:TaxTotalAmount"),
             base="fr-cii"),
    mutation("BR-DEC-16", insert(TOTALS, '<cbc:PrepaidAmount currencyID="EUR">0.000</cbc:PrepaidAmount>',
                                 after="cbc:TaxInclusiveAmount")),
    mutation("BR-DEC-17", insert(TOTALS, '<cbc:PayableRoundingAmount currencyID="EUR">0.000'
                                         "</cbc:PayableRoundingAmount>", after="cbc:TaxInclusiveAmount")),
    mutation("BR-DEC-18", set_text(f"{TOTALS}/cbc:PayableAmount", "31352.000")),
    mutation("BR-DEC-19", set_text(f"{SUBTOTAL}/cbc:TaxableAmount", "23945.000")),
    mutation("BR-DEC-20", set_text(f"{SUBTOTAL}/cbc:TaxAmount", "4789.000")),
    mutation("BR-DEC-23", set_text(f"{LINE}/cbc:LineExtensionAmount", "18450.000")),
    mutation("BR-DEC-24", line_level(ALLOWANCE, amount="0.000")),
    mutation("BR-DEC-25", line_level(ALLOWANCE, base="0.000")),
    mutation("BR-DEC-27", line_level(CHARGE, amount="0.000")),
    mutation("BR-DEC-28", line_level(CHARGE, base="0.000")),
]
