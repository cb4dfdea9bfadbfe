"""Mandatory content of a French invoice to a public buyer, beyond what EN 16931 already enforces.

Sources: Code de commerce L441-9 and D441-5 (invoices between professionals); CGI art. 289 and CGI ann. II art.
242 nonies A (VAT invoices); Code de la commande publique D2192-2 (electronic invoices to public buyers, "without
prejudice to the mentions other texts require"), R2192-31 and D2192-35 (late-payment interest and the 40 EUR
indemnity owed by public buyers); the reform's rules (ANX7 G1.05, G1.07, G1.31).

Most mandatory mentions are EN 16931 business terms that EN already requires; no gateway rule repeats them:

| French mandatory mention | source | rule |
|---|---|---|
| unique invoice number | CGI 242 nonies A I 7°; CCP D2192-2 3° | BR-02 (format: FR-MEN-03; uniqueness: FR-DUP-01/02) |
| issue date | CGI 242 nonies A I 6°; CCP D2192-2 1° | BR-03 (not in the future: FR-MEN-04) |
| invoice type | – | BR-04 |
| seller's name and address | CGI 242 nonies A I 1°; CCP D2192-2 2° | BR-06, BR-08, BR-09 |
| buyer's name and address | CGI 242 nonies A I 1°; CCP D2192-2 2° | BR-07, BR-10, BR-11 |
| seller's identification number (SIREN/SIRET) | CGI 242 nonies A I 1°; CCP D2192-2 | BR-CO-26 (type and validity: FR-SUP-01 … FR-SUP-04) |
| recipient's establishment number (SIRET) | CCP D2192-2, last paragraph | FR-REC-01, FR-REC-02 |
| seller's VAT number | CGI 242 nonies A I 2° | BR-S-02, BR-E-02, … (FR-TVA-12) |
| designation of goods or services | CGI 242 nonies A I 9°; CCP D2192-2 7° | BR-25 |
| quantity | CGI 242 nonies A I 9°; CCP D2192-2 7° | BR-22, BR-23 |
| unit price before tax | CGI 242 nonies A I 10°; CCP D2192-2 8° | BR-26, BR-27 |
| VAT category and rate of each line | CGI 242 nonies A I 10° | BR-CO-04, BR-S-05, BR-E-05, … (French rates: FR-TVA-01/02) |
| discounts, rebates | CGI 242 nonies A I 10°; L441-9 | BR-31 … BR-48 (allowances and charges need an amount and a reason) |
| total before tax, VAT per rate, total to pay | CGI 242 nonies A I 11°; CCP D2192-2 9° | BR-12 … BR-15, BR-CO-18, BR-CO-10 … BR-CO-17 |
| exemption: reference to the provision | CGI 242 nonies A I 13° | BR-E-10 (code and text: FR-TVA-04) |
| reverse charge: "Autoliquidation" | CGI 242 nonies A I 13° | BR-AE-10 (French wording: FR-TVA-05) |
| tax representative's identity | CGI 242 nonies A I 5°; CCP D2192-2 10° | BR-18 … BR-20, BR-56 |
| payment terms | L441-9; CCP D2192-2 11° | BR-CO-25 (BT-9 or BT-20 when an amount is due) |
| payment account for a credit transfer | – | BR-61 |

Gateway rules (this module):

* FR-MEN-01 (warning): an invoice with an amount due gives its due date (BT-9), not only payment terms
  (L441-9: "la date à laquelle le règlement doit intervenir"). A warning, not fatal: for a public buyer the
  payment period runs from the receipt of the invoice (CCP R2192-10 ff.), so "30 days from receipt" in BT-20
  is a legitimate way to state it, and BR-CO-25 (BT-9 or BT-20) is the platform's hard requirement.
* FR-MEN-02 (warning): the rate of late-payment penalties and the 40 EUR fixed indemnity for recovery costs
  (L441-9, D441-5) are stated (BT-20, BT-22 or BT-33). A warning: a public buyer owes interest at the ECB rate + 8
  points and the 40 EUR indemnity by law, whatever the invoice says (CCP L2192-13, R2192-31, D2192-35); the missing
  mention exposes the seller to an administrative fine, it does not make the invoice unpayable.
* FR-MEN-03 (fatal): the invoice number follows the reform's format (G1.05): at most 35 characters, letters,
  digits, space, "-", "+", "_", "/"; no leading, trailing or double space.
* FR-MEN-04 (fatal): the issue date is not after the day the invoice is deposited (G1.07).
* FR-MEN-05 (fatal): a credit note or a corrective invoice names the invoice it corrects (BT-25) (CGI 289 I-1-c:
  a document that modifies an invoice refers to it specifically and unequivocally; G1.31; the platform asks for
  the "numéro de facture d'origine" of a credit note).

Official counterparts: the French CTC artefact (XP Z12-012, run by `--strict`, graded as warnings) has close
equivalents under its own ids: BR-FR-01/02 for FR-MEN-03, BR-FR-05 for FR-MEN-02 (stricter: coded notes PMT, PMD and
AAB), BR-FR-CO-04/05 for FR-MEN-05 (stricter: BT-26 too). The native rules read the model, so they hold for CSV
deposits and legacy (non-reform) invoices as well.

Scope: FR-MEN-01 and FR-MEN-02 apply the Code de commerce, i.e. to sellers established in France (BT-40 FR or a
French overseas territory) or identified for VAT in France; the others are platform rules and apply to every
invoice.

Not enforced, on purpose:

* the date of delivery or of completion of the service (CGI 242 nonies A I 8°, CCP D2192-2 6°): required only
  "when it differs from the issue date", which the invoice cannot tell (and often states it in a free note);
* the order, contract or commitment number (CCP D2192-2 4°): whether the recipient requires an engagement number
  is a routing fact of the recipient's directory entry, checked by the routing stage, not by a rule on the invoice;
* the early-payment discount conditions (L441-9 "conditions d'escompte"): only when a discount is granted, which
  nothing in EN 16931 states;
* the option for VAT on debits (CGI 242 nonies A I 15°): whether the option was taken is not in the invoice;
* the seller's full postal address (street, postcode, city): EN asks only for the country code (BR-09), and the
  platform takes the supplier's address from its structure record; a CSV deposit carries none;
* the legal form, share capital and RCS registration (Code de commerce R123-237): BT-33 is free text.
"""

from __future__ import annotations

import re

from ...model import CREDIT_NOTE, Invoice, Severity
from ...text import fold
from ..engine import CheckContext, Violation, rule
from .french_vat import country

GROUP = "Mentions obligatoires"

#: UNTDID 1001 corrective invoices (BR-FR-CO-04 of the French CTC): corrected, self-billed corrective, factored.
CORRECTIVE_INVOICE_TYPES = frozenset({"384", "471", "472", "473"})
#: Countries where the Code de commerce applies: France and its overseas departments and collectivities.
FRENCH_COUNTRIES = frozenset({"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF"})


def french_seller(invoice: Invoice) -> bool:
    """The seller is established in France (BT-40) or identified for VAT in France (BT-31 starting with FR)."""
    vat_id = (invoice.seller.vat_id or "").strip().upper()
    return vat_id.startswith("FR") or country(invoice.seller.address) in FRENCH_COUNTRIES


def is_credit_note(invoice: Invoice) -> bool:
    """A UBL CreditNote or a credit-note type code (the model's document family)."""
    return invoice.document_family == CREDIT_NOTE


def _payment_expected(invoice: Invoice) -> bool:
    """An invoice (not a credit note) with a positive amount due."""
    payable = invoice.totals.payable
    return not is_credit_note(invoice) and payable is not None and payable > 0


@rule("FR-MEN-01", group=GROUP, bt=("BT-9", "BT-20"), severity=Severity.WARNING,
      en="The invoice gives payment terms but no payment due date (BT-9)",
      fr="La facture indique des conditions de paiement mais pas de date d'échéance (BT-9)",
      hint="Give the date by which payment is due (BT-9), as the Code de commerce (L441-9) asks")
def due_date(invoice: Invoice, context: CheckContext):
    if not french_seller(invoice) or not _payment_expected(invoice) or invoice.payment.due_date is not None:
        return
    if (invoice.payment.note or "").strip():  # without BT-20 either, BR-CO-25 reports it
        yield Violation("payment.due_date", None)


_PENALTY = re.compile(r"penalit|interets? (?:moratoires?|de retard)|taux (?:de la )?bce|late[- ]payment"
                      r"|penalt|default interest|moratory interest")
_INDEMNITY = re.compile(r"indemnite forfaitaire|frais de recouvrement|\b40(?:[.,]00)?\s*(?:€|eur\b|euros?\b)"
                        r"|recovery (?:cost|fee|compensation|indemnity)|fixed (?:sum|compensation|indemnity)")


@rule("FR-MEN-02", group=GROUP, bt=("BT-20", "BT-22"), severity=Severity.WARNING,
      en="The invoice does not state {missing}",
      fr="La facture n'indique pas {missing_fr}",
      hint="State in the payment terms (BT-20) the late-payment penalty rate (e.g. \"Intérêts moratoires : "
           "taux BCE + 8 points\") and the fixed indemnity for recovery costs (\"indemnité forfaitaire pour frais "
           "de recouvrement : 40 EUR\"), as the Code de commerce (L441-9, D441-5) asks")
def late_payment_mentions(invoice: Invoice, context: CheckContext):
    if not french_seller(invoice) or not _payment_expected(invoice):
        return
    text = fold(" ".join(filter(None, [invoice.payment.note, *invoice.notes, invoice.seller.legal_info])))
    missing = []
    if not _PENALTY.search(text):
        missing.append(("the late-payment penalty rate", "le taux des pénalités de retard"))
    if not _INDEMNITY.search(text):
        missing.append(("the 40 EUR fixed indemnity for recovery costs",
                        "l'indemnité forfaitaire de 40 EUR pour frais de recouvrement"))
    if missing:
        yield Violation("payment.note", invoice.payment.note, {
            "missing": " nor ".join(en for en, _ in missing), "missing_fr": " ni ".join(fr for _, fr in missing)})


_NUMBER = re.compile(r"[A-Za-z0-9 +_/-]{1,35}")


@rule("FR-MEN-03", group=GROUP, bt=("BT-1",),
      en="The invoice number {value!r} does not follow the platform's format: {reason}",
      fr="Le numéro de facture « {value} » ne respecte pas le format de la plateforme : {reason_fr}",
      hint="Number invoices with at most 35 characters: letters, digits, space, - + _ /, with no leading, "
           "trailing or double space (e.g. FA-2026-0042)")
def number_format(invoice: Invoice, context: CheckContext):
    number = invoice.number
    if number is None or not number.strip():
        return  # BR-02
    if len(number) > 35:
        reason = (f"{len(number)} characters, at most 35", f"{len(number)} caractères, 35 au plus")
    elif not _NUMBER.fullmatch(number):
        bad = "".join(sorted({char for char in number if not _NUMBER.fullmatch(char)}))
        reason = (f"characters not allowed: {bad}", f"caractères non admis : {bad}")
    elif number != number.strip() or "  " in number:
        reason = ("leading, trailing or double space", "espace en début, en fin ou double")
    else:
        return
    yield Violation("number", number, {"reason": reason[0], "reason_fr": reason[1]})


@rule("FR-MEN-04", group=GROUP, bt=("BT-2",),
      en="The issue date {value} is later than the day of deposit ({today})",
      fr="La date d'émission {value} est postérieure au jour du dépôt ({today})",
      hint="Give the date the invoice was actually issued; an invoice cannot be deposited before it is issued")
def issue_date_not_in_future(invoice: Invoice, context: CheckContext):
    if invoice.issue_date is not None and invoice.issue_date > context.today:
        yield Violation("issue_date", invoice.issue_date.isoformat(), {"today": context.today.isoformat()})


@rule("FR-MEN-05", group=GROUP, bt=("BT-25", "BT-3"),
      en="{document} (type {value}) must name the invoice it corrects (preceding invoice reference, BT-25)",
      fr="{document_fr} (type {value}) doit mentionner la facture d'origine (référence à la facture antérieure, "
         "BT-25)",
      hint="Give the number of the original invoice (BT-25) and its issue date (BT-26)")
def corrected_invoice_referenced(invoice: Invoice, context: CheckContext):
    type_code = (invoice.type_code or "").strip()
    if is_credit_note(invoice):
        document = ("A credit note", "Un avoir")
    elif type_code in CORRECTIVE_INVOICE_TYPES:
        document = ("A corrective invoice", "Une facture rectificative")
    else:
        return
    referenced = (invoice.preceding_invoice or "").strip() or any(
        (ref.number or "").strip() for ref in invoice.preceding_invoices)
    if not referenced:
        yield Violation("preceding_invoice", type_code or None, {"document": document[0], "document_fr": document[1]})

