"""Duplicate invoice numbers: an invoice number is unique per supplier and per year of issue.

The key is (supplier identifier, BT-1, year of BT-2), as on the platform, within a document family: a credit note
is not a duplicate of the invoice it corrects, even under the same number. Only accepted invoices count: a
rejected invoice may be deposited again once corrected. Inside a lot, the first accepted occurrence wins; across
the lots of a run and against earlier runs, the ledger answers (looked up in bulk). The ledger's unique index on
accepted (supplier, number, year, family) backs the rule when two workers race on the same invoice.
"""

from __future__ import annotations

from ...model import Invoice
from ..engine import CheckContext, Violation, rule

GROUP = "Duplicates"


DuplicateKey = tuple[str, str, int, str]  # supplier, number, year of issue, document family
DUPLICATE_RULES = frozenset({"FR-DUP-01", "FR-DUP-02"})  # settled in document order, after the other rules


def duplicate_key(invoice: Invoice) -> DuplicateKey | None:
    """(supplier, number, year, family), or None when one of them is missing (other rules report that)."""
    supplier, number, year = invoice.supplier_key, invoice.number, invoice.issue_year
    if not supplier or not number or year is None:
        return None
    return supplier, number.strip(), year, invoice.document_family


@rule("FR-DUP-01", group=GROUP, bt=("BT-1", "BT-2", "BT-29"), reason_code="DOUBLON",
      en="Invoice number {value} appears twice in this lot for the same supplier and year (first: {first})",
      fr="Le numéro de facture {value} figure deux fois dans ce lot pour le même fournisseur et la même année "
         "(première occurrence : {first})",
      hint="Give each invoice its own number, or remove the duplicate from the lot")
def duplicate_in_lot(invoice: Invoice, context: CheckContext):
    key = duplicate_key(invoice)
    if key is not None and key in context.accepted_in_lot:
        yield Violation("number", invoice.number, {"first": context.accepted_in_lot[key]})


@rule("FR-DUP-02", group=GROUP, bt=("BT-1", "BT-2", "BT-29"), reason_code="DOUBLON",
      en="Invoice number {value} was already deposited and accepted for this supplier in {year}",
      fr="Le numéro de facture {value} a déjà été déposé et accepté pour ce fournisseur en {year}",
      hint="Do not deposit an invoice twice; a corrected invoice needs a new number (or a credit note)")
def duplicate_in_ledger(invoice: Invoice, context: CheckContext):
    key = duplicate_key(invoice)
    if key is not None and key not in context.accepted_in_lot and key in context.accepted_in_ledger:
        yield Violation("number", invoice.number, {"year": key[2]})
