"""EN 16931 calculation rules (BR-CO-10 … BR-CO-16): the totals must add up.

Sums are rounded to two decimals the way the official CEN schematron does it (XPath `round(x * 100) div 100`:
half-way values go towards positive infinity), so that the native rules and the official artifacts agree.
A rule says nothing when one of its operands is missing: the mandatory-field rules report that.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from ...model import DocumentFormat, Invoice
from ..engine import CheckContext, Violation, rule

GROUP = "EN 16931 calculation"
_HUNDRED = Decimal(100)
_HALF = Decimal("0.5")


def round2(value: Decimal) -> Decimal:
    """XPath 2 `round(value * 100) div 100`, as an amount with two decimals."""
    return (value * _HUNDRED + _HALF).to_integral_value(rounding=ROUND_FLOOR).scaleb(-2)


def _zero_if_none(value: Decimal | None) -> Decimal:
    return value if value is not None else Decimal(0)


def _mismatch(declared: Decimal | None, expected: Decimal | None, field: str) -> Violation:
    """A total that does not add up; `expected` is None when an operand is missing (nothing can be computed)."""
    return Violation(field, declared, {"expected": "(not computable)" if expected is None else expected})


@rule("BR-CO-10", group=GROUP, bt=("BT-106", "BT-131"),
      en="Sum of line net amounts (BT-106) = {value} must equal the sum of the line net amounts (BT-131) = {expected}",
      fr="La somme des montants nets des lignes (BT-106) = {value} doit être égale à la somme des montants "
         "nets des lignes (BT-131) = {expected}",
      hint="Set BT-106 to {expected}, or correct the line amounts")
def line_net_total(invoice: Invoice, context: CheckContext):
    declared = invoice.totals.line_net
    if not invoice.totals.given or _unreadable(invoice, "totals.line_net", declared):
        return
    expected = round2(sum((line.net_amount for line in invoice.lines if line.net_amount is not None), Decimal(0)))
    if declared != expected:
        yield _mismatch(declared, expected, "totals.line_net")


def _is_cii(invoice: Invoice) -> bool:
    """Whether the invoice came in the CII syntax, whose official binding differs on an absent BT-110.

    The UBL artifact requires the total VAT amount in the invoice currency (BR-CO-14, BR-CO-15); the CII one
    accepts its absence when the total with VAT equals the total without. The native rules follow each binding,
    so that they agree with the official artifact of the syntax the invoice came in (see docs/rules.md).
    """
    return invoice.format in (DocumentFormat.CII, DocumentFormat.FACTURX_PDF)


def _unreadable(invoice: Invoice, path: str, value) -> bool:
    """Present in the source but not a number: XML-VALUE reports it; the calculation rules say nothing."""
    return value is None and path in invoice.locations


@rule("BR-CO-11", group=GROUP, bt=("BT-107", "BT-92"),
      en="Sum of allowances on document level (BT-107) = {value} must equal the sum of the document "
         "allowances (BT-92) = {expected}",
      fr="La somme des remises au niveau du document (BT-107) = {value} doit être égale à la somme des "
         "remises (BT-92) = {expected}",
      hint="Set BT-107 to {expected}")
def allowance_total(invoice: Invoice, context: CheckContext):
    yield from _sum_of_document_level(invoice, is_charge=False, declared=invoice.totals.allowances,
                                      field="totals.allowances")


@rule("BR-CO-12", group=GROUP, bt=("BT-108", "BT-99"),
      en="Sum of charges on document level (BT-108) = {value} must equal the sum of the document "
         "charges (BT-99) = {expected}",
      fr="La somme des frais au niveau du document (BT-108) = {value} doit être égale à la somme des "
         "frais (BT-99) = {expected}",
      hint="Set BT-108 to {expected}")
def charge_total(invoice: Invoice, context: CheckContext):
    yield from _sum_of_document_level(invoice, is_charge=True, declared=invoice.totals.charges,
                                      field="totals.charges")


def _sum_of_document_level(invoice: Invoice, is_charge: bool, declared: Decimal | None, field: str):
    """The declared total must equal the rounded sum; no total is right only when there is nothing to sum."""
    items = [ac for ac in invoice.allowances_charges if ac.is_charge is is_charge]
    if not invoice.totals.given or _unreadable(invoice, field, declared) or (declared is None and not items):
        return
    expected = round2(sum((ac.amount for ac in items if ac.amount is not None), Decimal(0)))
    if declared != expected:
        yield _mismatch(declared, expected, field)


@rule("BR-CO-13", group=GROUP, bt=("BT-109", "BT-106", "BT-107", "BT-108"),
      en="Total without VAT (BT-109) = {value} must equal the sum of line net amounts minus allowances plus "
         "charges (BT-106 − BT-107 + BT-108) = {expected}",
      fr="Le total HT (BT-109) = {value} doit être égal à la somme des lignes moins les remises plus les frais "
         "(BT-106 − BT-107 + BT-108) = {expected}",
      hint="Set BT-109 to {expected}, or correct the line total, allowances or charges")
def total_without_vat(invoice: Invoice, context: CheckContext):
    t = invoice.totals
    if not t.given or any(_unreadable(invoice, f"totals.{name}", getattr(t, name))
                          for name in ("tax_exclusive", "line_net", "allowances", "charges")):
        return
    if t.line_net is None:
        expected = None
    elif t.allowances is None and t.charges is None:
        expected = t.line_net  # compared as written, unrounded, like the official artifact
    else:
        expected = round2(t.line_net - _zero_if_none(t.allowances) + _zero_if_none(t.charges))
    if t.tax_exclusive is None or expected is None or t.tax_exclusive != expected:
        yield _mismatch(t.tax_exclusive, expected, "totals.tax_exclusive")


@rule("BR-CO-14", group=GROUP, bt=("BT-110", "BT-117"),
      en="Invoice total VAT amount (BT-110) = {value} must equal the sum of the VAT category amounts "
         "(BT-117) = {expected}",
      fr="Le montant total de TVA (BT-110) = {value} doit être égal à la somme des montants de TVA par "
         "catégorie (BT-117) = {expected}",
      hint="Set BT-110 to {expected}, or correct the VAT breakdown")
def total_vat(invoice: Invoice, context: CheckContext):
    declared = invoice.totals.tax
    if not invoice.vat_breakdown or _unreadable(invoice, "totals.tax", declared):
        return
    if declared is None and _is_cii(invoice):  # the CII binding judges BT-110 only when it is there
        return
    expected = round2(sum((vat.tax_amount for vat in invoice.vat_breakdown if vat.tax_amount is not None),
                          Decimal(0)))
    if declared != expected:
        yield _mismatch(declared, expected, "totals.tax")


@rule("BR-CO-15", group=GROUP, bt=("BT-112", "BT-109", "BT-110"),
      en="Invoice total with VAT (BT-112) = {value} must equal the total without VAT plus the total VAT "
         "(BT-109 + BT-110) = {expected}",
      fr="Le total TTC (BT-112) = {value} doit être égal au total HT plus le total de TVA "
         "(BT-109 + BT-110) = {expected}",
      hint="Set BT-112 to {expected}, or correct BT-109 / BT-110")
def total_with_vat(invoice: Invoice, context: CheckContext):
    """As the official artifact: judged once the invoice currency is known, and the total VAT must be given in it."""
    t = invoice.totals
    if invoice.currency is None or any(_unreadable(invoice, f"totals.{name}", getattr(t, name))
                                       for name in ("tax_inclusive", "tax_exclusive", "tax")):
        return
    vat_in_currency = t.tax if invoice.amount_currencies.get("totals.tax", invoice.currency) == invoice.currency \
        else None
    if vat_in_currency is None and _is_cii(invoice) and "totals.tax" not in invoice.amount_currencies:
        vat_in_currency = Decimal(0)  # the CII binding reads an absent BT-110 as no VAT at all
    if vat_in_currency is None or t.tax_exclusive is None:
        yield _mismatch(t.tax_inclusive, None, "totals.tax_inclusive")
        return
    expected = round2(t.tax_exclusive + vat_in_currency)
    if t.tax_inclusive != expected:
        yield _mismatch(t.tax_inclusive, expected, "totals.tax_inclusive")


@rule("BR-CO-16", group=GROUP, bt=("BT-115", "BT-112", "BT-113", "BT-114"),
      en="Amount due for payment (BT-115) = {value} must equal the total with VAT minus the paid amount plus "
         "the rounding amount (BT-112 − BT-113 + BT-114) = {expected}",
      fr="Le montant à payer (BT-115) = {value} doit être égal au total TTC moins le montant déjà payé plus "
         "l'arrondi (BT-112 − BT-113 + BT-114) = {expected}",
      hint="Set BT-115 to {expected}, or correct the paid or rounding amounts")
def amount_due(invoice: Invoice, context: CheckContext):
    """BT-115 − BT-114 = BT-112 − BT-113, each side rounded as the official artifact rounds it."""
    t = invoice.totals
    if not t.given or any(_unreadable(invoice, f"totals.{name}", getattr(t, name))
                          for name in ("payable", "tax_inclusive", "prepaid", "rounding")):
        return
    if t.payable is None or t.tax_inclusive is None:
        yield _mismatch(t.payable, None, "totals.payable")
        return
    due = t.tax_inclusive if t.prepaid is None else round2(t.tax_inclusive - t.prepaid)
    paid = t.payable if t.rounding is None else round2(t.payable - t.rounding)
    if paid != due:
        yield _mismatch(t.payable, due + _zero_if_none(t.rounding), "totals.payable")
