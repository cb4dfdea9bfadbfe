"""EN 16931 decimal rules (BR-DEC-xx): amounts with at most two decimals.

Every BR-DEC rule is the same official test on a different amount, `string-length(substring-after(amount, '.'))
<= 2`: the number of decimals *as written* (``12.500`` has three, and fails, though it equals 12.5). Amounts are
Decimals as written in the file, so the exponent gives that count. Hence one table: rule id, business term, what
the amount is, and where the model holds it (a document-level amount, or one per VAT breakdown, line, allowance or
charge).

Two exceptions, BR-DEC-13 (BT-110, total VAT) and BR-DEC-15 (BT-111, total VAT in accounting currency), written
below as rules of their own. Their official UBL assertions can never fail: they select
`//cac:TaxTotal/cbc:TaxAmount[@currencyID = cbc:DocumentCurrencyCode]`, a DocumentCurrencyCode *child* of the
TaxAmount, which does not exist. The only live official test is the CII artifact's, numeric: the amount in its
currency must equal itself rounded to two decimals (``. = round(. * 100) div 100``), so ``5027.000`` passes and
``5027.001`` fails. The native rules apply that test, whatever the syntax; on a UBL invoice they therefore report
a third significant decimal the UBL artifact lets through (for BT-110, BR-CO-14 rejects it there anyway).
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


_CENT = Decimal("0.01")


def too_many_decimals(amount: Decimal) -> bool:
    """Whether the amount was written with more than MAX_DECIMALS decimals. Most amounts are written with two:
    `same_quantum` tells so without `as_tuple`, which builds a tuple of every digit (0.2 against 0.9 µs)."""
    return not amount.same_quantum(_CENT) and decimals(amount) > MAX_DECIMALS


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
            if amount is not None and too_many_decimals(amount):
                yield Violation(path, amount, {"decimals": decimals(amount)})

    rule(rule_id, group=GROUP, bt=(bt,),
         en=f"The {what_en} ({bt}) {{value}} has {{decimals}} decimals; at most {MAX_DECIMALS} are allowed",
         fr=f"{what_fr[0].upper()}{what_fr[1:]} ({bt}) {{value}} a {{decimals}} décimales ; {MAX_DECIMALS} au plus sont admises",
         hint=f"Write the {what_en} ({bt}) with at most {MAX_DECIMALS} decimals, e.g. 1234.56 (round it, or drop "
              f"trailing zeros)")(check)


for _row in TABLE:
    _decimal_rule(*_row)


def _significant_decimals(amount: Decimal) -> int:
    """How many decimals the amount's value needs (``12.500`` → 1, ``12.00`` → 0)."""
    return decimals(amount.normalize()) if amount else 0


def _total_vat(invoice: Invoice, attribute: str, currency: str | None):
    """BT-110 / BT-111 when given in `currency` with a third significant decimal (the CII artifact's test)."""
    amount = getattr(invoice.totals, attribute)
    path = f"totals.{attribute}"
    if amount is None or currency is None or invoice.amount_currencies.get(path) != currency:
        return
    if _significant_decimals(amount) > MAX_DECIMALS:
        yield Violation(path, amount, {"decimals": decimals(amount)})


@rule("BR-DEC-13", group=GROUP, bt=("BT-110",),
      en=f"The invoice total VAT amount (BT-110) {{value}} has more than {MAX_DECIMALS} significant decimals",
      fr=f"Le montant total de TVA (BT-110) {{value}} a plus de {MAX_DECIMALS} décimales significatives",
      hint=f"Round the invoice total VAT amount (BT-110) to {MAX_DECIMALS} decimals: it is the sum of the VAT "
           f"category amounts (BT-117), rounded")
def total_vat_decimals(invoice: Invoice, context: CheckContext):
    # Official (CII): only the TaxTotalAmount in the invoice currency is judged.
    yield from _total_vat(invoice, "tax", invoice.currency)


@rule("BR-DEC-15", group=GROUP, bt=("BT-111",),
      en=f"The invoice total VAT amount in accounting currency (BT-111) {{value}} has more than {MAX_DECIMALS} "
         f"significant decimals",
      fr=f"Le montant total de TVA dans la devise de comptabilisation (BT-111) {{value}} a plus de {MAX_DECIMALS} "
         f"décimales significatives",
      hint=f"Round the invoice total VAT amount in accounting currency (BT-111) to {MAX_DECIMALS} decimals")
def total_vat_accounting_decimals(invoice: Invoice, context: CheckContext):
    # Official (CII): only the TaxTotalAmount in the VAT accounting currency (BT-6) is judged.
    yield from _total_vat(invoice, "tax_accounting", invoice.tax_currency)
