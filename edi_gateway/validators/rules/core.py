"""EN 16931 core rules: the business terms an invoice must carry (BR-01 … BR-65 family, first part)."""

from __future__ import annotations

from ...model import Address, Invoice
from ..engine import CheckContext, Violation, rule

GROUP = "EN 16931 core"


def _missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _required(rule_id: str, bt: str, path: str, what_en: str, what_fr: str, hint: str):
    """Register a rule that fires when the single field `path` is missing."""
    head, _, attribute = path.rpartition(".")

    def check(invoice: Invoice, context: CheckContext):
        holder = invoice
        for part in filter(None, head.split(".")):
            holder = getattr(holder, part)
        if _missing(getattr(holder, attribute)):
            yield Violation(path)

    rule(rule_id, group=GROUP, bt=(bt,), hint=hint,
         en=f"An invoice shall have {what_en} ({bt})", fr=f"Une facture doit comporter {what_fr} ({bt})")(check)


_required("BR-02", "BT-1", "number", "an invoice number", "un numéro de facture", "Give the invoice number")
_required("BR-03", "BT-2", "issue_date", "an issue date", "une date d'émission", "Give the issue date")
_required("BR-04", "BT-3", "type_code", "an invoice type code", "un code de type de facture",
          "Give the type code: 380 invoice, 381 credit note, 384 corrective invoice, 389 self-billed invoice")
_required("BR-05", "BT-5", "currency", "an invoice currency code", "un code de devise",
          "Give the ISO 4217 currency code, e.g. EUR")
_required("BR-06", "BT-27", "seller.name", "the seller's name", "le nom du vendeur",
          "Give the seller's registered name")
_required("BR-07", "BT-44", "buyer.name", "the buyer's name", "le nom de l'acheteur",
          "Give the buyer's (public structure's) name")
_required("BR-09", "BT-40", "seller.address.country", "the seller's country code", "le code pays du vendeur",
          "Give the seller's ISO 3166-1 country code, e.g. FR")
_required("BR-11", "BT-55", "buyer.address.country", "the buyer's country code", "le code pays de l'acheteur",
          "Give the buyer's ISO 3166-1 country code, e.g. FR")
_required("BR-12", "BT-106", "totals.line_net", "the sum of invoice line net amounts",
          "la somme des montants nets des lignes", "Give the sum of the line net amounts")
_required("BR-13", "BT-109", "totals.tax_exclusive", "the invoice total amount without VAT",
          "le montant total hors TVA", "Give the total without VAT")
_required("BR-14", "BT-112", "totals.tax_inclusive", "the invoice total amount with VAT",
          "le montant total TTC", "Give the total with VAT")
_required("BR-15", "BT-115", "totals.payable", "the amount due for payment", "le montant à payer",
          "Give the amount due for payment")


def _has_address(address: Address) -> bool:
    return any((address.line1, address.city, address.postcode, address.country))


@rule("BR-08", group=GROUP, bt=("BG-5",), en="An invoice shall contain the seller's postal address (BG-5)",
      fr="Une facture doit comporter l'adresse postale du vendeur (BG-5)",
      hint="Give the seller's postal address")
def seller_address(invoice: Invoice, context: CheckContext):
    if not _has_address(invoice.seller.address):
        yield Violation("seller.address")


@rule("BR-10", group=GROUP, bt=("BG-8",), en="An invoice shall contain the buyer's postal address (BG-8)",
      fr="Une facture doit comporter l'adresse postale de l'acheteur (BG-8)",
      hint="Give the buyer's postal address")
def buyer_address(invoice: Invoice, context: CheckContext):
    if not _has_address(invoice.buyer.address):
        yield Violation("buyer.address")


@rule("BR-16", group=GROUP, bt=("BG-25",), en="An invoice shall have at least one invoice line (BG-25)",
      fr="Une facture doit comporter au moins une ligne (BG-25)",
      hint="Add the invoice lines: designation, quantity, unit price, VAT rate")
def at_least_one_line(invoice: Invoice, context: CheckContext):
    if not invoice.lines:
        yield Violation("lines")


def _line_rule(rule_id: str, bt: str, attribute: str, what_en: str, what_fr: str, hint: str):
    """Register a rule that fires on every line where `attribute` is missing."""

    def check(invoice: Invoice, context: CheckContext):
        for position, line in enumerate(invoice.lines):
            if _missing(getattr(line, attribute)):
                yield Violation(f"lines[{position}].{attribute}", params={"line": line.id or position + 1})

    rule(rule_id, group=GROUP, bt=(bt,), hint=hint,
         en=f"Each invoice line shall have {what_en} ({bt}); line {{line}} has none",
         fr=f"Chaque ligne de facture doit comporter {what_fr} ({bt}) ; la ligne {{line}} n'en a pas")(check)


_line_rule("BR-21", "BT-126", "id", "an identifier", "un identifiant", "Number the invoice lines")
_line_rule("BR-22", "BT-129", "quantity", "an invoiced quantity", "une quantité facturée",
           "Give the quantity of each line")
_line_rule("BR-23", "BT-130", "unit_code", "a unit of measure code", "un code d'unité de mesure",
           "Give the UN/ECE Rec. 20 unit code of each line, e.g. C62 (unit), HUR (hour)")
_line_rule("BR-24", "BT-131", "net_amount", "a net amount", "un montant net", "Give the net amount of each line")
_line_rule("BR-25", "BT-153", "name", "an item name (designation)", "une désignation",
           "Give the designation of the goods or services of each line")
_line_rule("BR-26", "BT-146", "net_price", "a net unit price", "un prix unitaire net",
           "Give the net unit price of each line")


@rule("BR-CO-18", group=GROUP, bt=("BG-23",), en="An invoice shall have at least one VAT breakdown (BG-23)",
      fr="Une facture doit comporter au moins un récapitulatif de TVA (BG-23)",
      hint="Add one VAT breakdown per VAT category and rate: taxable amount, rate, VAT amount")
def at_least_one_vat_breakdown(invoice: Invoice, context: CheckContext):
    if not invoice.vat_breakdown:
        yield Violation("vat_breakdown")
