"""EN 16931 decimal rules (BR-DEC-xx): amounts with at most two decimals.

Every BR-DEC rule is the same official test on a different amount, `string-length(substring-after(amount, '.'))
<= 2`: the number of decimals *as written* (``12.500`` has three, and fails, though it equals 12.5). Amounts are
Decimals as written in the file, so the exponent gives that count. Hence one table: rule id, business term, what
the amount is, and where the model holds it (a document-level amount, or one per VAT breakdown, line, allowance or
charge).

Not registered: BR-DEC-13 (BT-110, total VAT amount, at most 2 decimals). The official UBL assertion can never
fail: it selects `//cac:TaxTotal/cbc:TaxAmount[@currencyID = cbc:DocumentCurrencyCode]`, a DocumentCurrencyCode
*child* of the TaxAmount, which does not exist. The CII artifact compares numerically (``. = round(. * 100) div
100``), so it fails only on a third significant decimal, and then BR-CO-14 (BT-110 = the rounded sum of BT-117)
fails too and already rejects the invoice. A native BR-DEC-13 would therefore either never fire or only repeat
BR-CO-14; leaving it out keeps the native verdicts equal to the official ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

from ...model import Invoice
from ..engine import CheckContext, Violation, rule

GROUP = "EN 16931 decimals"
MAX_DECIMALS = 2

Amounts = Callable[[Invoice], Iterator[tuple[str, "Decimal | None"]]]  # field path and amount, for each amount


def decimals(amount: Decimal) -> int:
    """How many decimals the amount was written with (``12.50`` → 2, ``12`` → 0)."""
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _total(attribute: str) -> Amounts:
    def amounts(invoice: Invoice):
        yield f"totals.{attribute}", getattr(invoice.totals, attribute)
    return amounts


def _vat_breakdown(attribute: str) -> Amounts:
    def amounts(invoice: Invoice):
        for i, vat in enumerate(invoice.vat_breakdown):
            yield f"vat_breakdown[{i}].{attribute}", getattr(vat, attribute)
    return amounts


def _line(attribute: str) -> Amounts:
    def amounts(invoice: Invoice):
        for i, line in enumerate(invoice.lines):
            yield f"lines[{i}].{attribute}", getattr(line, attribute)
    return amounts


def _document_allowance_charge(is_charge: bool, attribute: str) -> Amounts:
    def amounts(invoice: Invoice):
        for i, ac in enumerate(invoice.allowances_charges):
            if ac.is_charge is is_charge:
                yield f"allowances_charges[{i}].{attribute}", getattr(ac, attribute)
    return amounts


def _line_allowance_charge(is_charge: bool, attribute: str) -> Amounts:
    def amounts(invoice: Invoice):
        for i, line in enumerate(invoice.lines):
            for j, ac in enumerate(line.allowances_charges):
                if ac.is_charge is is_charge:
                    yield f"lines[{i}].allowances_charges[{j}].{attribute}", getattr(ac, attribute)
    return amounts


ALLOWANCE, CHARGE = False, True

# (rule id, business term, the amount in English, in French with its article, where the model holds it)
TABLE: list[tuple[str, str, str, str, Amounts]] = [
    ("BR-DEC-01", "BT-92", "document level allowance amount", "le montant de la remise au niveau du document",
     _document_allowance_charge(ALLOWANCE, "amount")),
    ("BR-DEC-02", "BT-93", "document level allowance base amount",
     "le montant de base de la remise au niveau du document", _document_allowance_charge(ALLOWANCE, "base_amount")),
    ("BR-DEC-05", "BT-99", "document level charge amount", "le montant des frais au niveau du document",
     _document_allowance_charge(CHARGE, "amount")),
    ("BR-DEC-06", "BT-100", "document level charge base amount",
     "le montant de base des frais au niveau du document", _document_allowance_charge(CHARGE, "base_amount")),
    ("BR-DEC-09", "BT-106", "sum of invoice line net amounts", "la somme des montants nets des lignes",
     _total("line_net")),
    ("BR-DEC-10", "BT-107", "sum of allowances on document level", "la somme des remises au niveau du document",
     _total("allowances")),
    ("BR-DEC-11", "BT-108", "sum of charges on document level", "la somme des frais au niveau du document",
     _total("charges")),
    ("BR-DEC-12", "BT-109", "invoice total amount without VAT", "le montant total hors TVA",
     _total("tax_exclusive")),
    ("BR-DEC-14", "BT-112", "invoice total amount with VAT", "le montant total TTC", _total("tax_inclusive")),
    ("BR-DEC-15", "BT-111", "invoice total VAT amount in accounting currency",
     "le montant total de TVA dans la devise de comptabilisation", _total("tax_accounting")),
    ("BR-DEC-16", "BT-113", "paid amount", "le montant déjà payé", _total("prepaid")),
    ("BR-DEC-17", "BT-114", "rounding amount", "le montant de l'arrondi", _total("rounding")),
    ("BR-DEC-18", "BT-115", "amount due for payment", "le montant à payer", _total("payable")),
    ("BR-DEC-19", "BT-116", "VAT category taxable amount", "la base d'imposition de la catégorie de TVA",
     _vat_breakdown("taxable_amount")),
    ("BR-DEC-20", "BT-117", "VAT category tax amount", "le montant de TVA de la catégorie", _vat_breakdown("tax_amount")),
    ("BR-DEC-23", "BT-131", "invoice line net amount", "le montant net de la ligne", _line("net_amount")),
    ("BR-DEC-24", "BT-136", "invoice line allowance amount", "le montant de la remise de ligne",
     _line_allowance_charge(ALLOWANCE, "amount")),
    ("BR-DEC-25", "BT-137", "invoice line allowance base amount", "le montant de base de la remise de ligne",
     _line_allowance_charge(ALLOWANCE, "base_amount")),
    ("BR-DEC-27", "BT-141", "invoice line charge amount", "le montant des frais de ligne",
     _line_allowance_charge(CHARGE, "amount")),
    ("BR-DEC-28", "BT-142", "invoice line charge base amount", "le montant de base des frais de ligne",
     _line_allowance_charge(CHARGE, "base_amount")),
]


def _decimal_rule(rule_id: str, bt: str, what_en: str, what_fr: str, amounts: Amounts) -> None:
    """Register `rule_id`: each of the amounts `amounts` finds has at most two decimals as written."""

    def check(invoice: Invoice, context: CheckContext):
        for path, amount in amounts(invoice):
            if amount is not None and decimals(amount) > MAX_DECIMALS:
                yield Violation(path, amount, {"decimals": decimals(amount)})

    rule(rule_id, group=GROUP, bt=(bt,),
         en=f"The {what_en} ({bt}) {{value}} has {{decimals}} decimals; at most {MAX_DECIMALS} are allowed",
         fr=f"{what_fr[0].upper()}{what_fr[1:]} ({bt}) {{value}} a {{decimals}} décimales ; {MAX_DECIMALS} au plus sont admises",
         hint=f"Write the {what_en} ({bt}) with at most {MAX_DECIMALS} decimals, e.g. 1234.56 (round it, or drop "
              f"trailing zeros)")(check)


for _row in TABLE:
    _decimal_rule(*_row)
