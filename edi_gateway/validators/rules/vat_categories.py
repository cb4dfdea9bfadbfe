"""EN 16931 VAT category rules (BR-S, BR-Z, BR-E, BR-AE, BR-IC, BR-G, BR-O, BR-AF, BR-AG, BR-B) and the VAT breakdown.

Every VAT category (UNTDID 5305 code) has the same ten rules, numbered alike in each family:

- 01: the VAT breakdown (BG-23) has the category: exactly once, or, for the categories taxed at a rate (S, L, M),
  at least once, and only if a line, allowance or charge uses it;
- 02 / 03 / 04: an invoice line / document allowance / document charge in the category requires (for O, forbids)
  some VAT identifiers of the seller and the buyer;
- 05 / 06 / 07: the VAT rate of a line / allowance / charge in the category (> 0, = 0, >= 0, or absent for O);
- 08: the breakdown's taxable amount is the line net amounts plus charges minus allowances in the category;
- 09: the breakdown's tax amount (zero, or taxable amount × rate);
- 10: the breakdown's exemption reason (required, or forbidden).

So each category is one row of `CATEGORIES`, and the rules are registered from it. BR-IC (K) and BR-O add rules of
their own, BR-B (split payment) has two; BR-45 … BR-48 and BR-CO-17 check each VAT breakdown.

The semantics are those of the CEN UBL schematron 1.3.16 (`EN16931-UBL-validation.xslt`), to the letter: its
tolerances (±1 on the amounts of the rated categories, none on the others), what an absent value counts as, and
which allowances and charges it looks at. Its `//cac:AllowanceCharge` reaches line-level ones too, and so do the
rules here (`_every_allowance_charge`), except where the schematron takes the document level only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import NamedTuple

from ...model import AllowanceCharge, DocumentFormat, Invoice, VatBreakdown
from ..engine import CheckContext, Violation, rule
from .calculation import round2

GROUP = "EN 16931 VAT categories"
_ZERO = Decimal(0)
_ONE = Decimal(1)
_HALF = Decimal("0.5")
_HUNDRED = Decimal(100)


# --- Where categories are used -----------------------------------------------------------------------------------

class Placed(NamedTuple):
    """An allowance or charge, with its field path and how messages name it (its number, and its line's)."""

    path: str
    ac: AllowanceCharge
    name_en: str
    name_fr: str

    def params(self) -> dict[str, str]:
        return {"position_en": self.name_en, "position_fr": self.name_fr}


def _document_allowances_charges(invoice: Invoice) -> Iterator[Placed]:
    for position, ac in enumerate(invoice.allowances_charges):
        yield Placed(f"allowances_charges[{position}]", ac, str(position + 1), str(position + 1))


def _every_allowance_charge(invoice: Invoice) -> Iterator[Placed]:
    """Document-level allowances and charges, then line-level ones: what `//cac:AllowanceCharge` reaches."""
    yield from _document_allowances_charges(invoice)
    for line_position, line in enumerate(invoice.lines):
        line_name = line.id or str(line_position + 1)
        for position, ac in enumerate(line.allowances_charges):
            yield Placed(f"lines[{line_position}].allowances_charges[{position}]", ac,
                         f"{position + 1} of line {line_name}", f"{position + 1} de la ligne {line_name}")


def _bare_allowances_charges(invoice: Invoice) -> Iterator[AllowanceCharge]:
    """What `_every_allowance_charge` reaches, in the same order, without the names a violation needs: for the
    tests that look for one (a Placed per allowance or charge costs four strings)."""
    yield from invoice.allowances_charges
    for line in invoice.lines:
        yield from line.allowances_charges


def _breakdowns_in(invoice: Invoice, code: str) -> Iterator[tuple[str, VatBreakdown]]:
    for position, vat in enumerate(invoice.vat_breakdown):
        if vat.category == code:
            yield f"vat_breakdown[{position}]", vat


def _uses(invoice: Invoice, code: str) -> int:
    """How many lines, allowances and charges (at any level) are in VAT category `code`."""
    lines = sum(1 for line in invoice.lines if line.vat_category == code)
    return lines + sum(1 for ac in _bare_allowances_charges(invoice) if ac.vat_category == code)


def _xpath_round(value: Decimal) -> Decimal:
    """XPath `round()`: to the nearest integer, half-way values towards positive infinity."""
    return (value + _HALF).to_integral_value(rounding=ROUND_FLOOR)


def _within_one(declared: Decimal, expected: Decimal) -> bool:
    """The schematron's tolerance on the rated categories: `declared - 1 < expected and declared + 1 > expected`."""
    return abs(declared - expected) < _ONE


def _tax_at_rate(vat: VatBreakdown) -> Decimal:
    """round(|BT-116| × BT-119 / 100) to two decimals, as the schematron computes the expected BT-117."""
    return round2(abs(vat.taxable_amount) * (vat.rate / _HUNDRED))


# --- What a category requires ------------------------------------------------------------------------------------

def _seller_vat_id(invoice: Invoice) -> bool:
    """BT-31 or BT-63: the seller's or its tax representative's VAT identifier."""
    representative = invoice.seller_tax_representative
    return bool(invoice.seller.vat_id or (representative is not None and representative.vat_id))


def _seller_any_tax_id(invoice: Invoice) -> bool:
    """BT-31, BT-32 or BT-63 (any tax scheme for the seller's own, VAT for its representative's)."""
    return bool(invoice.seller.tax_registration_id) or _seller_vat_id(invoice)


@dataclass(frozen=True)
class Identifiers:
    """What rules 02 to 04 ask of the parties' identifiers, and what a failure points at."""

    bt: tuple[str, ...]
    en: str  # a verb phrase: "shall contain ..." / "shall not contain ..."
    fr: str
    hint: str
    faults: Callable[[Invoice], list[tuple[str, str | None]]]  # (field path, value) of each fault


def _missing_seller_id(invoice: Invoice) -> list[tuple[str, str | None]]:
    return [] if _seller_any_tax_id(invoice) else [("seller.vat_id", None)]


def _missing_seller_vat_id(invoice: Invoice) -> list[tuple[str, str | None]]:
    return [] if _seller_vat_id(invoice) else [("seller.vat_id", None)]


def _missing_ids_for_reverse_charge(invoice: Invoice) -> list[tuple[str, str | None]]:
    buyer = invoice.buyer
    return _missing_seller_id(invoice) + ([] if buyer.vat_id or buyer.legal_id else [("buyer.vat_id", None)])


def _missing_ids_for_intra_community(invoice: Invoice) -> list[tuple[str, str | None]]:
    return _missing_seller_vat_id(invoice) + ([] if invoice.buyer.vat_id else [("buyer.vat_id", None)])


def _present_vat_ids(invoice: Invoice) -> list[tuple[str, str | None]]:
    representative = invoice.seller_tax_representative
    present = [("seller.vat_id", invoice.seller.vat_id), ("buyer.vat_id", invoice.buyer.vat_id),
               ("seller_tax_representative.vat_id", representative.vat_id if representative else None)]
    return [(path, value) for path, value in present if value]


_SELLER_EN = ("the seller VAT identifier (BT-31), the seller tax registration identifier (BT-32) or the seller "
              "tax representative VAT identifier (BT-63)")
_SELLER_FR = ("le numéro de TVA du vendeur (BT-31), son identifiant d'enregistrement fiscal (BT-32) ou le numéro "
              "de TVA de son représentant fiscal (BT-63)")
SELLER_IDENTIFIED = Identifiers(
    ("BT-31", "BT-32", "BT-63"), f"shall contain {_SELLER_EN}", f"doit comporter {_SELLER_FR}",
    "Give the seller's VAT identifier (or tax registration identifier)", _missing_seller_id)
SELLER_VAT_IDENTIFIED = Identifiers(
    ("BT-31", "BT-63"),
    "shall contain the seller VAT identifier (BT-31) or the seller tax representative VAT identifier (BT-63)",
    "doit comporter le numéro de TVA du vendeur (BT-31) ou celui de son représentant fiscal (BT-63)",
    "Give the seller's VAT identifier", _missing_seller_vat_id)
REVERSE_CHARGE_PARTIES = Identifiers(
    ("BT-31", "BT-32", "BT-63", "BT-48", "BT-47"),
    f"shall contain {_SELLER_EN}, and the buyer VAT identifier (BT-48) or legal registration identifier (BT-47)",
    f"doit comporter {_SELLER_FR}, et le numéro de TVA de l'acheteur (BT-48) ou son immatriculation (BT-47)",
    "Give the seller's VAT identifier and the buyer's VAT identifier (or legal registration identifier)",
    _missing_ids_for_reverse_charge)
INTRA_COMMUNITY_PARTIES = Identifiers(
    ("BT-31", "BT-63", "BT-48"),
    "shall contain the seller VAT identifier (BT-31) or the seller tax representative VAT identifier (BT-63), and "
    "the buyer VAT identifier (BT-48)",
    "doit comporter le numéro de TVA du vendeur (BT-31) ou celui de son représentant fiscal (BT-63), et le numéro "
    "de TVA de l'acheteur (BT-48)",
    "Give the seller's and the buyer's intra-community VAT identifiers", _missing_ids_for_intra_community)
NO_VAT_IDS = Identifiers(
    ("BT-31", "BT-63", "BT-48"),
    "shall not contain the seller VAT identifier (BT-31), the seller tax representative VAT identifier (BT-63) "
    "or the buyer VAT identifier (BT-48); it has {value}",
    "ne doit comporter ni numéro de TVA du vendeur (BT-31), ni celui de son représentant fiscal (BT-63), ni celui "
    "de l'acheteur (BT-48) ; elle comporte {value}",
    "Remove the VAT identifiers, or use the VAT category that applies if the supply is subject to VAT",
    _present_vat_ids)


@dataclass(frozen=True)
class Rate:
    """What rules 05 to 07 ask of the VAT rate of a line, allowance or charge in the category."""

    holds: Callable[[Decimal | None], bool]
    en: str
    fr: str
    hint: str


POSITIVE = Rate(lambda rate: rate is not None and rate > 0, "shall be greater than zero",
                "doit être supérieur à zéro", "Give the VAT rate that applies, e.g. 20")
ZERO = Rate(lambda rate: rate is not None and rate == 0, "shall be 0", "doit être 0", "Set the VAT rate to 0")
NOT_NEGATIVE = Rate(lambda rate: rate is not None and rate >= 0, "shall be 0 or greater",
                    "doit être 0 ou plus", "Give the VAT rate that applies (0 or more)")
ABSENT = Rate(lambda rate: rate is None, "shall not be given", "ne doit pas être indiqué",
              "Remove the VAT rate: a supply not subject to VAT has none")


# --- The categories ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Category:
    """One VAT category and what its family of rules asks."""

    code: str  # UNTDID 5305
    prefix: str  # rule id prefix, e.g. "BR-AE"
    en: str
    fr: str
    identifiers: Identifiers  # rules 02 to 04
    rate: Rate  # rules 05 to 07
    rated: bool  # taxed at a rate (S, L, M): one breakdown per rate, tax = taxable × rate; else exactly one, no tax
    exempt: bool  # the breakdown shall give an exemption reason (True) or shall not (False)

    @property
    def label_en(self) -> str:
        return f'"{self.en}" ({self.code})'

    @property
    def label_fr(self) -> str:
        return f"« {self.fr} » ({self.code})"


STANDARD = Category("S", "BR-S", "Standard rated", "taux normal", SELLER_IDENTIFIED, POSITIVE, True, False)
CATEGORIES = (
    STANDARD,
    Category("Z", "BR-Z", "Zero rated", "taux zéro", SELLER_IDENTIFIED, ZERO, False, False),
    Category("E", "BR-E", "Exempt from VAT", "exonéré de TVA", SELLER_IDENTIFIED, ZERO, False, True),
    Category("AE", "BR-AE", "Reverse charge", "autoliquidation", REVERSE_CHARGE_PARTIES, ZERO, False, True),
    Category("K", "BR-IC", "Intra-community supply", "livraison intracommunautaire", INTRA_COMMUNITY_PARTIES, ZERO,
             False, True),
    Category("G", "BR-G", "Export outside the EU", "exportation hors UE", SELLER_VAT_IDENTIFIED, ZERO, False, True),
    Category("O", "BR-O", "Not subject to VAT", "non soumis à la TVA", NO_VAT_IDS, ABSENT, False, True),
    Category("L", "BR-AF", "IGIC (Canary Islands)", "IGIC (îles Canaries)", SELLER_IDENTIFIED, NOT_NEGATIVE, True,
             False),
    Category("M", "BR-AG", "IPSI (Ceuta and Melilla)", "IPSI (Ceuta et Melilla)", SELLER_IDENTIFIED, NOT_NEGATIVE,
             True, False),
)


def _register(category: Category, number: int, bt: tuple[str, ...], en: str, fr: str, hint: str):
    """`rule(...)` for rule `number` of the category's family, its messages naming the category.

    Every rule of a family is about lines, allowances, charges or breakdowns in that category, so it is skipped
    outright when the invoice uses the category nowhere (most invoices use one or two of the ten).
    """
    names = {"category_en": category.label_en, "category_fr": category.label_fr, "code": category.code}
    register = rule(f"{category.prefix}-{number:02d}", group=GROUP, bt=bt, en=en.format_map(_Keep(names)),
                    fr=fr.format_map(_Keep(names)), hint=hint.format_map(_Keep(names)))

    def decorate(check):
        def only_when_used(invoice: Invoice, context: CheckContext):
            if category.code in categories_used(invoice):
                yield from check(invoice, context)

        only_when_used.__name__, only_when_used.__doc__ = check.__name__, check.__doc__
        register(only_when_used)
        return check

    return decorate


_LAST_USED: tuple[object, frozenset[str]] = (None, frozenset())


def categories_used(invoice: Invoice) -> frozenset[str]:
    """Every VAT category code of the invoice's lines, allowances, charges (any level) and breakdown.

    Computed once per invoice: the engine runs the rules of one invoice one after the other, so the last answer
    is kept, keyed by the invoice object itself.
    """
    global _LAST_USED
    last_invoice, used = _LAST_USED
    if last_invoice is not invoice:
        used = frozenset(
            [line.vat_category for line in invoice.lines]
            + [vat.category for vat in invoice.vat_breakdown]
            + [ac.vat_category for ac in _bare_allowances_charges(invoice)])
        _LAST_USED = (invoice, used)
    return used


class _Keep(dict):
    """For `str.format_map`: fills the category's names, keeps the other placeholders for the finding."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# --- Rule 01: the category in the VAT breakdown -------------------------------------------------------------------

def _register_breakdown_presence(category: Category) -> None:
    if category.rated:
        _register(category, 1, ("BT-118", "BT-151", "BT-95", "BT-102"),
                  "An invoice with lines, allowances or charges in VAT category {category_en} (BT-151, BT-95, BT-102) "
                  "shall have at least one VAT breakdown (BG-23) in that category, and only such an invoice: it "
                  "has {uses} line(s), allowance(s) or charge(s) and {value} breakdown(s) in it",
                  "Une facture avec des lignes, remises ou frais de la catégorie de TVA {category_fr} (BT-151, "
                  "BT-95, BT-102) doit comporter au moins un récapitulatif de TVA (BG-23) de cette catégorie, et "
                  "seulement elle : elle comporte {uses} ligne(s), remise(s) ou frais et {value} récapitulatif(s) "
                  "de cette catégorie",
                  "Give one VAT breakdown per rate of category {code} used on the lines, allowances and charges, "
                  "and none for a category they do not use")(_at_least_one_breakdown(category.code))
    else:
        _register(category, 1, ("BT-118", "BT-151", "BT-95", "BT-102"),
                  "An invoice using VAT category {category_en} (BT-151, BT-95, BT-102, BT-118) shall have exactly "
                  "one VAT breakdown (BG-23) in that category; it has {value}",
                  "Une facture qui utilise la catégorie de TVA {category_fr} (BT-151, BT-95, BT-102, BT-118) doit "
                  "comporter exactement un récapitulatif de TVA (BG-23) de cette catégorie ; elle en a {value}",
                  "Give a single VAT breakdown for category {code}, totalling every line, allowance and charge in "
                  "that category")(_exactly_one_breakdown(category.code))


def _at_least_one_breakdown(code: str):
    def check(invoice: Invoice, context: CheckContext):
        uses, breakdowns = _uses(invoice, code), sum(1 for _ in _breakdowns_in(invoice, code))
        if (uses > 0) != (breakdowns > 0):
            yield Violation("vat_breakdown", breakdowns, {"uses": uses})
    return check


def _exactly_one_breakdown(code: str):
    def check(invoice: Invoice, context: CheckContext):
        breakdowns = [path for path, _ in _breakdowns_in(invoice, code)]
        if len(breakdowns) > 1:
            yield Violation(f"{breakdowns[1]}.category", len(breakdowns))
        elif not breakdowns and _uses(invoice, code):
            yield Violation("vat_breakdown", 0)
    return check


# --- Rules 02 to 04: the parties' VAT identifiers ------------------------------------------------------------------

_SUBJECTS = (  # rule number, BT of the category, what holds it (English, French), charge indicator (None: a line)
    (2, "BT-151", "an invoice line (BG-25)", "une ligne (BG-25)", None),
    (3, "BT-95", "a document level allowance (BG-20)", "une remise au niveau du document (BG-20)", False),
    (4, "BT-102", "a document level charge (BG-21)", "des frais au niveau du document (BG-21)", True),
)


def _register_identifier_rules(category: Category) -> None:
    needs = category.identifiers
    for number, bt, subject_en, subject_fr, is_charge in _SUBJECTS:
        _register(category, number, (bt, *needs.bt),
                  f"An invoice with {subject_en} in VAT category {{category_en}} {needs.en}",
                  f"Une facture avec {subject_fr} de la catégorie de TVA {{category_fr}} {needs.fr}",
                  needs.hint)(_identifier_check(category, is_charge))


def _identifier_check(category: Category, is_charge: bool | None):
    def check(invoice: Invoice, context: CheckContext):
        if _has_subject(invoice, category, is_charge):
            for path, value in category.identifiers.faults(invoice):
                yield Violation(path, value)
    return check


def _has_subject(invoice: Invoice, category: Category, is_charge: bool | None) -> bool:
    """Whether a line (is_charge None), an allowance or a charge is in the category.

    BR-O-03 and BR-O-04 look at the document level only; the other families at every `cac:AllowanceCharge`.
    """
    code = category.code
    if is_charge is None:
        return any(line.vat_category == code for line in invoice.lines)
    candidates = invoice.allowances_charges if code == "O" else _bare_allowances_charges(invoice)
    return any(ac.is_charge is is_charge and ac.vat_category == code for ac in candidates)


# --- Rules 05 to 07: the VAT rate of lines, allowances and charges -------------------------------------------------

def _register_rate_rules(category: Category) -> None:
    rate = category.rate
    _register(category, 5, ("BT-151", "BT-152"),
              f"The VAT rate (BT-152) of invoice line {{line}} in VAT category {{category_en}} {rate.en}; "
              "given: {given_en}",
              f"Le taux de TVA (BT-152) de la ligne {{line}}, de la catégorie {{category_fr}}, {rate.fr} ; "
              "indiqué : {given_fr}",
              rate.hint)(_line_rate_check(category))
    for number, bt, kind_en, kind_fr, is_charge in ((6, ("BT-95", "BT-96"), "allowance", "de la remise", False),
                                                    (7, ("BT-102", "BT-103"), "charge", "des frais", True)):
        _register(category, number, bt,
                  f"The VAT rate ({bt[1]}) of {kind_en} {{position_en}} in VAT category {{category_en}} {rate.en}; "
                  "given: {given_en}",
                  f"Le taux de TVA ({bt[1]}) {kind_fr} {{position_fr}}, de la catégorie {{category_fr}}, "
                  f"{rate.fr} ; indiqué : {{given_fr}}",
                  rate.hint)(_allowance_charge_rate_check(category, is_charge))


def _given(rate: Decimal | None) -> dict[str, str]:
    return {"given_en": "none", "given_fr": "aucun"} if rate is None else {"given_en": rate, "given_fr": rate}


def _line_rate_check(category: Category):
    def check(invoice: Invoice, context: CheckContext):
        for position, line in enumerate(invoice.lines):
            if line.vat_category == category.code and not category.rate.holds(line.vat_rate):
                yield Violation(f"lines[{position}].vat_rate", line.vat_rate,
                                {"line": line.id or position + 1, **_given(line.vat_rate)})
    return check


def _allowance_charge_rate_check(category: Category, is_charge: bool):
    def wrong(ac: AllowanceCharge) -> bool:
        return ac.is_charge is is_charge and ac.vat_category == category.code and not category.rate.holds(ac.vat_rate)

    def check(invoice: Invoice, context: CheckContext):
        if not any(wrong(ac) for ac in _bare_allowances_charges(invoice)):
            return  # the usual case, told without naming every allowance and charge
        for placed in _every_allowance_charge(invoice):
            ac = placed.ac
            if wrong(ac):
                yield Violation(f"{placed.path}.vat_rate", ac.vat_rate, {**placed.params(), **_given(ac.vat_rate)})
    return check


# --- Rule 08: the taxable amount of the category's breakdown -------------------------------------------------------

_ANY_RATE = object()


def _category_sums(invoice: Invoice, code: str, rate=_ANY_RATE) -> tuple[Decimal, Decimal]:
    """(line net amounts, document charges − allowances) in the category, at `rate` when one is given."""
    def at_rate(value: Decimal | None) -> bool:
        return rate is _ANY_RATE or value == rate

    lines = sum((line.net_amount for line in invoice.lines
                 if line.vat_category == code and line.net_amount is not None and at_rate(line.vat_rate)), _ZERO)
    adjustments = sum((ac.amount if ac.is_charge else -ac.amount for ac in invoice.allowances_charges
                       if ac.vat_category == code and ac.amount is not None and at_rate(ac.vat_rate)), _ZERO)
    return lines, adjustments


def _register_taxable_amount(category: Category) -> None:
    if category.rated:
        _register(category, 8, ("BT-116", "BT-119", "BT-131", "BT-92", "BT-99"),
                  "The taxable amount (BT-116) of the VAT breakdown in category {category_en} at rate {rate} % = "
                  "{value} shall equal, within 1.00, the sum of the line net amounts plus charges minus allowances "
                  "in that category at that rate (BT-131 + BT-99 − BT-92) = {expected}",
                  "La base imposable (BT-116) du récapitulatif de TVA de la catégorie {category_fr} au taux de "
                  "{rate} % = {value} doit être égale, à 1,00 près, à la somme des montants nets des lignes plus les "
                  "frais moins les remises de cette catégorie à ce taux (BT-131 + BT-99 − BT-92) = {expected}",
                  "Set the taxable amount to {expected}, or correct the lines, allowances or charges at {rate} %"
                  )(_taxable_per_rate_check(category))
    else:
        _register(category, 8, ("BT-116", "BT-131", "BT-92", "BT-99"),
                  "The taxable amount (BT-116) of the VAT breakdown in category {category_en} = {value} shall equal "
                  "the sum of the line net amounts plus charges minus allowances in that category "
                  "(BT-131 + BT-99 − BT-92) = {expected}",
                  "La base imposable (BT-116) du récapitulatif de TVA de la catégorie {category_fr} = {value} doit "
                  "être égale à la somme des montants nets des lignes plus les frais moins les remises de cette "
                  "catégorie (BT-131 + BT-99 − BT-92) = {expected}",
                  "Set the taxable amount to {expected}, or correct the lines, allowances or charges in category "
                  "{code}")(_taxable_exact_check(category))


def _taxable_exact_check(category: Category):
    """Exact equality; and an invoice without lines never satisfies it (`exists(//cac:InvoiceLine) and ...`)."""
    def check(invoice: Invoice, context: CheckContext):
        lines, adjustments = _category_sums(invoice, category.code)
        expected = lines + adjustments
        for path, vat in _breakdowns_in(invoice, category.code):
            if not invoice.lines or vat.taxable_amount is None or vat.taxable_amount != expected:
                yield Violation(f"{path}.taxable_amount", vat.taxable_amount, {"expected": expected})
    return check


def _taxable_per_rate_check(category: Category):
    holds = _standard_taxable_holds if category is STANDARD else _rated_taxable_holds

    def check(invoice: Invoice, context: CheckContext):
        for path, vat in _breakdowns_in(invoice, category.code):
            if vat.rate is None:  # `every $rate in xs:decimal(cbc:Percent)`: nothing to check
                continue
            lines, adjustments = _category_sums(invoice, category.code, vat.rate)
            if vat.taxable_amount is None or not holds(invoice, vat, lines, adjustments):
                yield Violation(f"{path}.taxable_amount", vat.taxable_amount,
                                {"rate": vat.rate, "expected": lines + adjustments})
    return check


def _rated_taxable_holds(invoice: Invoice, vat: VatBreakdown, lines: Decimal, adjustments: Decimal) -> bool:
    """BR-AF-08, BR-AG-08: the invoice has lines, and the taxable amount is within 1 of the sum."""
    return bool(invoice.lines) and _within_one(vat.taxable_amount, lines + adjustments)


def _standard_taxable_holds(invoice: Invoice, vat: VatBreakdown, lines: Decimal, adjustments: Decimal) -> bool:
    """BR-S-08: a line or an allowance or charge (any level) is at the rate, and the amount is within 1 of the sum.

    The schematron writes it once for invoice lines and once for credit note lines, each branch accepting an
    allowance or charge at the rate; so an invoice whose taxable amount matches the allowances and charges alone
    (the other kind of line summing to zero) passes as well. Reproduced as is.
    """
    code = STANDARD.code
    line_at_rate = any(line.vat_category == code and line.vat_rate == vat.rate for line in invoice.lines)
    ac_at_rate = any(ac.vat_category == code and ac.vat_rate == vat.rate for ac in _bare_allowances_charges(invoice))
    return ((line_at_rate or ac_at_rate) and _within_one(vat.taxable_amount, lines + adjustments)
            or ac_at_rate and _within_one(vat.taxable_amount, adjustments))


# --- Rule 09: the tax amount of the category's breakdown -----------------------------------------------------------

def _register_tax_amount(category: Category) -> None:
    if category.rated:
        _register(category, 9, ("BT-117", "BT-116", "BT-119"),
                  "The VAT amount (BT-117) of the VAT breakdown in category {category_en} at rate {rate} % = {value} "
                  "shall equal, within 1.00, its taxable amount × rate (BT-116 × BT-119 / 100) = {expected}",
                  "Le montant de TVA (BT-117) du récapitulatif de TVA de la catégorie {category_fr} au taux de "
                  "{rate} % = {value} doit être égal, à 1,00 près, à sa base imposable × taux "
                  "(BT-116 × BT-119 / 100) = {expected}",
                  "Set the VAT amount to {expected}, or correct the taxable amount or the rate"
                  )(_tax_at_rate_check(category))
    else:
        _register(category, 9, ("BT-117",),
                  "The VAT amount (BT-117) of the VAT breakdown in category {category_en} shall be 0; it is {value}",
                  "Le montant de TVA (BT-117) du récapitulatif de TVA de la catégorie {category_fr} doit être 0 ; "
                  "il vaut {value}",
                  "Set the VAT amount of category {code} to 0: no VAT is charged in it")(_no_tax_check(category))


def _no_tax_check(category: Category):
    def check(invoice: Invoice, context: CheckContext):
        for path, vat in _breakdowns_in(invoice, category.code):
            if vat.tax_amount is None or vat.tax_amount != 0:
                yield Violation(f"{path}.tax_amount", vat.tax_amount)
    return check


def _tax_at_rate_check(category: Category):
    def check(invoice: Invoice, context: CheckContext):
        for path, vat in _breakdowns_in(invoice, category.code):
            if vat.tax_amount is None or vat.taxable_amount is None or vat.rate is None:
                yield Violation(f"{path}.tax_amount", vat.tax_amount, {"rate": vat.rate, "expected": "?"})
                continue
            expected = _tax_at_rate(vat)
            if not _within_one(abs(vat.tax_amount), expected):
                yield Violation(f"{path}.tax_amount", vat.tax_amount, {"rate": vat.rate, "expected": expected})
    return check


# --- Rule 10: the exemption reason of the category's breakdown -----------------------------------------------------

def _register_exemption(category: Category) -> None:
    if category.exempt:
        _register(category, 10, ("BT-120", "BT-121"),
                  "A VAT breakdown in category {category_en} shall give a VAT exemption reason (BT-120) or a VAT "
                  "exemption reason code (BT-121)",
                  "Un récapitulatif de TVA de la catégorie {category_fr} doit indiquer un motif d'exonération de TVA "
                  "(BT-120) ou un code de motif d'exonération (BT-121)",
                  "Give the exemption reason text (e.g. the legal reference) or its VATEX code"
                  )(_exemption_check(category, required=True))
    else:
        _register(category, 10, ("BT-120", "BT-121"),
                  "A VAT breakdown in category {category_en} shall not have a VAT exemption reason (BT-120) or "
                  "reason code (BT-121); it has {value}",
                  "Un récapitulatif de TVA de la catégorie {category_fr} ne doit comporter ni motif d'exonération "
                  "(BT-120) ni code de motif d'exonération (BT-121) ; il comporte {value}",
                  "Remove the exemption reason, or use the VAT category of the exemption (E, AE, K, G, O)"
                  )(_exemption_check(category, required=False))


def _exemption_check(category: Category, required: bool):
    def check(invoice: Invoice, context: CheckContext):
        for path, vat in _breakdowns_in(invoice, category.code):
            given = [(f"{path}.{name}", value) for name, value in (("exemption_reason", vat.exemption_reason),
                                                                    ("exemption_code", vat.exemption_code)) if value]
            if required and not given:
                yield Violation(f"{path}.exemption_reason")
            elif not required and given:
                yield Violation(*given[0])
    return check


# --- BR-45 … BR-48, BR-CO-17: each VAT breakdown ---------------------------------------------------------------------

def _breakdown_required(rule_id: str, bt: str, attribute: str, what_en: str, what_fr: str, hint: str,
                        unless_category: str | None = None) -> None:
    """Register a rule that fires on every VAT breakdown where `attribute` is missing."""
    def check(invoice: Invoice, context: CheckContext):
        for position, vat in enumerate(invoice.vat_breakdown):
            if getattr(vat, attribute) is None and (unless_category is None or vat.category != unless_category):
                yield Violation(f"vat_breakdown[{position}].{attribute}", params={"number": position + 1})

    rule(rule_id, group=GROUP, bt=(bt,), hint=hint,
         en=f"Each VAT breakdown (BG-23) shall have {what_en} ({bt}); breakdown {{number}} has none",
         fr=f"Chaque récapitulatif de TVA (BG-23) doit comporter {what_fr} ({bt}) ; le récapitulatif {{number}} "
            "n'en a pas")(check)


_breakdown_required("BR-45", "BT-116", "taxable_amount", "a VAT category taxable amount", "une base imposable",
                    "Give the taxable amount of each VAT breakdown")
_breakdown_required("BR-46", "BT-117", "tax_amount", "a VAT category tax amount", "un montant de TVA",
                    "Give the VAT amount of each VAT breakdown")
_breakdown_required("BR-47", "BT-118", "category", "a VAT category code", "un code de catégorie de TVA",
                    "Give the VAT category code of each VAT breakdown: S, Z, E, AE, K, G, O, L or M")
_breakdown_required("BR-48", "BT-119", "rate", "a VAT category rate, unless not subject to VAT (O)",
                    "un taux de TVA, sauf hors champ de la TVA (O)",
                    "Give the VAT rate of each VAT breakdown (0 for zero-rated or exempt categories)",
                    unless_category="O")


@rule("BR-CO-17", group=GROUP, bt=("BT-117", "BT-116", "BT-119"),
      en="The VAT amount (BT-117) of VAT breakdown {number} = {value} shall equal its taxable amount × rate "
         "(BT-116 × BT-119 / 100), rounded to two decimals, within 1.00 = {expected}",
      fr="Le montant de TVA (BT-117) du récapitulatif de TVA {number} = {value} doit être égal à sa base imposable "
         "× taux (BT-116 × BT-119 / 100), arrondi à deux décimales, à 1,00 près = {expected}",
      hint="Set the VAT amount to {expected}, or correct the taxable amount or the rate")
def vat_breakdown_amount(invoice: Invoice, context: CheckContext):
    within = _within_one_inclusive if invoice.format in _CII_FORMATS else _within_one
    for position, vat in enumerate(invoice.vat_breakdown):
        if not _breakdown_tax_holds(vat, within):
            yield Violation(f"vat_breakdown[{position}].tax_amount", vat.tax_amount,
                            {"number": position + 1, "expected": _expected_breakdown_tax(vat)})


def _expected_breakdown_tax(vat: VatBreakdown) -> Decimal:
    if vat.rate is None or _xpath_round(vat.rate) == 0 or vat.taxable_amount is None:
        return _ZERO
    return _tax_at_rate(vat)


def _breakdown_tax_holds(vat: VatBreakdown, within: Callable[[Decimal, Decimal], bool]) -> bool:
    """The schematron's three cases: a rate rounding to 0 or no rate wants a VAT amount rounding to 0; any other rate
    wants |BT-117| within 1 of round(|BT-116| × BT-119 / 100, 2). An absent amount never holds."""
    if vat.tax_amount is None:
        return False
    if vat.rate is None or _xpath_round(vat.rate) == 0:
        return _xpath_round(vat.tax_amount) == 0
    return vat.taxable_amount is not None and within(abs(vat.tax_amount), _tax_at_rate(vat))


# BR-CO-17's bound differs between the two CEN bindings (1.3.16), and each binding's unit tests hold it to its own:
# the UBL one wants the VAT amount strictly within 1.00 (`- 1 <`, `+ 1 >`), the CII one within 1.00 inclusive
# (`<=`, `>=`). Each syntax gets its own artifact's bound: the one place where the rules here follow the CII artifact
# rather than the UBL one.
_CII_FORMATS = (DocumentFormat.CII, DocumentFormat.FACTURX_PDF)


def _within_one_inclusive(declared: Decimal, expected: Decimal) -> bool:
    return abs(declared - expected) <= _ONE


# --- The category families -----------------------------------------------------------------------------------------

for _category in CATEGORIES:
    _register_breakdown_presence(_category)
    _register_identifier_rules(_category)
    _register_rate_rules(_category)
    _register_taxable_amount(_category)
    _register_tax_amount(_category)
    _register_exemption(_category)


# --- BR-IC-11, BR-IC-12: an intra-community supply says when and where it was delivered ----------------------------

def _has_k_breakdown(invoice: Invoice) -> bool:
    return any(_breakdowns_in(invoice, "K"))


@rule("BR-IC-11", group=GROUP, bt=("BT-72", "BG-14", "BT-118"),
      en='An invoice with a VAT breakdown in category "Intra-community supply" (K) shall give the actual delivery '
         "date (BT-72) or the invoicing period (BG-14)",
      fr="Une facture avec un récapitulatif de TVA de la catégorie « livraison intracommunautaire » (K) doit "
         "indiquer la date de livraison effective (BT-72) ou la période de facturation (BG-14)",
      hint="Give the actual delivery date, or the invoicing period start and end dates")
def intra_community_delivery_date(invoice: Invoice, context: CheckContext):
    if _has_k_breakdown(invoice) and not (_has_delivery_date(invoice) or _has_invoicing_period(invoice)):
        yield Violation("delivery.date")


def _has_delivery_date(invoice: Invoice) -> bool:
    return invoice.delivery is not None and invoice.delivery.date is not None


def _has_invoicing_period(invoice: Invoice) -> bool:
    """`cac:InvoicePeriod/*`: a period with a start date, an end date or a description code (BT-8)."""
    period = invoice.invoicing_period
    return period is not None and bool(period.start or period.end or invoice.tax_point_date_code)


@rule("BR-IC-12", group=GROUP, bt=("BT-80", "BT-118"),
      en='An invoice with a VAT breakdown in category "Intra-community supply" (K) shall give the deliver-to '
         "country code (BT-80)",
      fr="Une facture avec un récapitulatif de TVA de la catégorie « livraison intracommunautaire » (K) doit "
         "indiquer le code pays de livraison (BT-80)",
      hint="Give the ISO 3166-1 code of the country the goods were delivered to, in the delivery address")
def intra_community_delivery_country(invoice: Invoice, context: CheckContext):
    if not _has_k_breakdown(invoice):
        return
    address = invoice.delivery.address if invoice.delivery is not None else None
    if address is None or len(address.country or "") < 2:
        yield Violation("delivery.address.country", address.country if address is not None else None)


# --- BR-O-11 … BR-O-14: an invoice not subject to VAT has nothing else ---------------------------------------------

def _has_o_breakdown(invoice: Invoice) -> bool:
    return any(_breakdowns_in(invoice, "O"))


@rule("BR-O-11", group=GROUP, bt=("BT-118",),
      en='An invoice with a VAT breakdown in category "Not subject to VAT" (O) shall have no other VAT breakdown; '
         "breakdown {number} is in category {value}",
      fr="Une facture avec un récapitulatif de TVA de la catégorie « non soumis à la TVA » (O) ne doit comporter "
         "aucun autre récapitulatif de TVA ; le récapitulatif {number} est de la catégorie {value}",
      hint="Invoice the supplies not subject to VAT separately from the others")
def not_subject_breakdown_alone(invoice: Invoice, context: CheckContext):
    if _has_o_breakdown(invoice):
        for position, vat in enumerate(invoice.vat_breakdown):
            if vat.category != "O":
                yield Violation(f"vat_breakdown[{position}].category", vat.category, {"number": position + 1})


@rule("BR-O-12", group=GROUP, bt=("BT-118", "BT-151"),
      en='An invoice with a VAT breakdown in category "Not subject to VAT" (O) shall have no line in another VAT '
         "category (BT-151); line {line} is in category {value}",
      fr="Une facture avec un récapitulatif de TVA de la catégorie « non soumis à la TVA » (O) ne doit comporter "
         "aucune ligne d'une autre catégorie de TVA (BT-151) ; la ligne {line} est de la catégorie {value}",
      hint="Invoice the supplies not subject to VAT separately from the others")
def not_subject_lines_only(invoice: Invoice, context: CheckContext):
    if _has_o_breakdown(invoice):
        for position, line in enumerate(invoice.lines):
            if line.vat_category is not None and line.vat_category != "O":
                yield Violation(f"lines[{position}].vat_category", line.vat_category,
                                {"line": line.id or position + 1})


def _other_category_allowances_charges(invoice: Invoice, is_charge: bool):
    if _has_o_breakdown(invoice):
        for placed in _every_allowance_charge(invoice):
            ac = placed.ac
            if ac.is_charge is is_charge and ac.vat_category is not None and ac.vat_category != "O":
                yield Violation(f"{placed.path}.vat_category", ac.vat_category, placed.params())


@rule("BR-O-13", group=GROUP, bt=("BT-118", "BT-95"),
      en='An invoice with a VAT breakdown in category "Not subject to VAT" (O) shall have no document level '
         "allowance in another VAT category (BT-95); allowance {position_en} is in category {value}",
      fr="Une facture avec un récapitulatif de TVA de la catégorie « non soumis à la TVA » (O) ne doit comporter "
         "aucune remise d'une autre catégorie de TVA (BT-95) ; la remise {position_fr} est de la catégorie {value}",
      hint="Put the allowance in category O, or invoice the supplies subject to VAT separately")
def not_subject_allowances_only(invoice: Invoice, context: CheckContext):
    yield from _other_category_allowances_charges(invoice, is_charge=False)


@rule("BR-O-14", group=GROUP, bt=("BT-118", "BT-102"),
      en='An invoice with a VAT breakdown in category "Not subject to VAT" (O) shall have no document level '
         "charge in another VAT category (BT-102); charge {position_en} is in category {value}",
      fr="Une facture avec un récapitulatif de TVA de la catégorie « non soumis à la TVA » (O) ne doit comporter "
         "aucuns frais d'une autre catégorie de TVA (BT-102) ; les frais {position_fr} sont de la catégorie {value}",
      hint="Put the charge in category O, or invoice the supplies subject to VAT separately")
def not_subject_charges_only(invoice: Invoice, context: CheckContext):
    yield from _other_category_allowances_charges(invoice, is_charge=True)


# --- BR-B-01, BR-B-02: split payment (Italy) ------------------------------------------------------------------------

SPLIT_PAYMENT = "B"


def _split_payment_anywhere(invoice: Invoice) -> bool:
    """`//cac:TaxCategory/cbc:ID = 'B' or //cac:ClassifiedTaxCategory/cbc:ID = 'B'`."""
    return (_uses(invoice, SPLIT_PAYMENT) > 0) or any(_breakdowns_in(invoice, SPLIT_PAYMENT))


def _country_codes(invoice: Invoice) -> Iterator[tuple[str, str]]:
    """Every country code of the invoice (`//cbc:IdentificationCode`), with its field path."""
    parties = (("seller", invoice.seller), ("buyer", invoice.buyer), ("payee", invoice.payee),
               ("seller_tax_representative", invoice.seller_tax_representative))
    for name, party in parties:
        if party is not None and party.address.country:
            yield f"{name}.address.country", party.address.country
    if invoice.delivery is not None and invoice.delivery.address is not None and invoice.delivery.address.country:
        yield "delivery.address.country", invoice.delivery.address.country
    for position, line in enumerate(invoice.lines):
        if line.origin_country:
            yield f"lines[{position}].origin_country", line.origin_country


@rule("BR-B-01", group=GROUP, bt=("BT-151", "BT-95", "BT-102", "BT-40", "BT-55"),
      en='An invoice in VAT category "Split payment" (B) shall be a domestic Italian invoice; it has the country '
         "code {value}",
      fr="Une facture de la catégorie de TVA « paiement scindé » (B) doit être une facture domestique italienne ; "
         "elle comporte le code pays {value}",
      hint="Use category B only between Italian parties, with every country code IT")
def split_payment_domestic(invoice: Invoice, context: CheckContext):
    if _split_payment_anywhere(invoice):
        for path, country in _country_codes(invoice):
            if country != "IT":
                yield Violation(path, country)


def _in_breakdown_line_or_document(invoice: Invoice, code: str) -> bool:
    """Category `code` in the breakdown, on a document level allowance or charge, or on a line."""
    return (any(vat.category == code for vat in invoice.vat_breakdown)
            or any(line.vat_category == code for line in invoice.lines)
            or any(ac.vat_category == code for ac in invoice.allowances_charges))


@rule("BR-B-02", group=GROUP, bt=("BT-151", "BT-95", "BT-102", "BT-118"),
      en='An invoice in VAT category "Split payment" (B) shall have no line, allowance, charge or VAT breakdown in '
         'category "Standard rated" (S)',
      fr="Une facture de la catégorie de TVA « paiement scindé » (B) ne doit comporter aucune ligne, remise, frais "
         "ni récapitulatif de TVA de la catégorie « taux normal » (S)",
      hint="Use category B in place of S throughout a split payment invoice")
def split_payment_not_standard(invoice: Invoice, context: CheckContext):
    if _in_breakdown_line_or_document(invoice, SPLIT_PAYMENT) and _in_breakdown_line_or_document(invoice, STANDARD.code):
        yield Violation("vat_breakdown")
