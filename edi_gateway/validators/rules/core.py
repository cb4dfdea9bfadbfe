"""EN 16931 core rules (BR-01 … BR-65, BR-CO-03/04/19/20/21…26): the business terms an invoice must carry.

Each rule reads the model the way the official CEN schematron reads the XML (release 1.3.16, the reference the
tests compare against): a group's rules apply only when the group is there (BR-09 judges a seller address that
exists, BR-08 its absence), and a value that is present but unreadable (a date "123") is not "missing": the
parser reports it as XML-VALUE and the XSD names the element.

Not implemented, because the official artifact asserts `true()` for them (the correspondence between an
allowance reason and its code cannot be checked mechanically): BR-CO-05, BR-CO-06, BR-CO-07, BR-CO-08.
BR-VAT breakdown rules (BR-45 … BR-48) are with the VAT category rules in `vat_categories.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...model import AllowanceCharge, Invoice, Party
from ..codes import code_list
from ..engine import CheckContext, Violation, rule

GROUP = "EN 16931 core"
CREDIT_TRANSFER_CODES = ("30", "58")  # UNTDID 4461: credit transfer, SEPA credit transfer
SEPA_CREDITOR_SCHEME = "SEPA"  # BT-90 travels as a seller identifier with this scheme in UBL


def _missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _absent(invoice: Invoice, path: str, value) -> bool:
    """Missing, and not merely unreadable: no value and no element recorded for `path`."""
    return _missing(value) and path not in invoice.locations


def _get(holder, dotted: str):
    for part in dotted.split("."):
        holder = getattr(holder, part)
    return holder


def _required(rule_id: str, bt: str, path: str, what_en: str, what_fr: str, hint: str, when=None):
    """Register a rule that fires when the single field `path` is absent (and `when(invoice)`, if given, holds)."""

    def check(invoice: Invoice, context: CheckContext):
        if (when is None or when(invoice)) and _absent(invoice, path, _get(invoice, path)):
            yield Violation(path)

    rule(rule_id, group=GROUP, bt=(bt,), hint=hint,
         en=f"An invoice shall have {what_en} ({bt})", fr=f"Une facture doit comporter {what_fr} ({bt})")(check)


def _has_totals(invoice: Invoice) -> bool:
    return invoice.totals.given


_required("BR-01", "BT-24", "profile", "a specification identifier", "un identifiant de spécification",
          "Give the specification identifier (BT-24), e.g. urn:cen.eu:en16931:2017")
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
          "Give the seller's ISO 3166-1 country code, e.g. FR", when=lambda i: i.seller.address.given)
_required("BR-11", "BT-55", "buyer.address.country", "the buyer's country code", "le code pays de l'acheteur",
          "Give the buyer's ISO 3166-1 country code, e.g. FR", when=lambda i: i.buyer.address.given)
_required("BR-12", "BT-106", "totals.line_net", "the sum of invoice line net amounts",
          "la somme des montants nets des lignes", "Give the sum of the line net amounts", when=_has_totals)
_required("BR-13", "BT-109", "totals.tax_exclusive", "the invoice total amount without VAT",
          "le montant total hors TVA", "Give the total without VAT", when=_has_totals)
_required("BR-14", "BT-112", "totals.tax_inclusive", "the invoice total amount with VAT",
          "le montant total TTC", "Give the total with VAT", when=_has_totals)
_required("BR-15", "BT-115", "totals.payable", "the amount due for payment", "le montant à payer",
          "Give the amount due for payment", when=_has_totals)


@rule("BR-08", group=GROUP, bt=("BG-5",), en="An invoice shall contain the seller's postal address (BG-5)",
      fr="Une facture doit comporter l'adresse postale du vendeur (BG-5)",
      hint="Give the seller's postal address")
def seller_address(invoice: Invoice, context: CheckContext):
    if not invoice.seller.address.given:
        yield Violation("seller.address")


@rule("BR-10", group=GROUP, bt=("BG-8",), en="An invoice shall contain the buyer's postal address (BG-8)",
      fr="Une facture doit comporter l'adresse postale de l'acheteur (BG-8)",
      hint="Give the buyer's postal address")
def buyer_address(invoice: Invoice, context: CheckContext):
    if not invoice.buyer.address.given:
        yield Violation("buyer.address")


@rule("BR-16", group=GROUP, bt=("BG-25",), en="An invoice shall have at least one invoice line (BG-25)",
      fr="Une facture doit comporter au moins une ligne (BG-25)",
      hint="Add the invoice lines: designation, quantity, unit price, VAT rate")
def at_least_one_line(invoice: Invoice, context: CheckContext):
    if not invoice.lines:
        yield Violation("lines")


# -- payee and seller's tax representative -----------------------------------------------------------------
@rule("BR-17", group=GROUP, bt=("BT-59",),
      en="The payee name (BT-59) shall be given when the payee (BG-10) is not the seller, and differ from it",
      fr="Le nom du bénéficiaire (BT-59) doit être indiqué lorsque le bénéficiaire (BG-10) est différent du "
         "vendeur, et en différer",
      hint="Give the payee's name; leave the payee group out when the seller is paid")
def payee_name(invoice: Invoice, context: CheckContext):
    payee, seller = invoice.payee, invoice.seller
    if payee is None:
        return
    seller_ids = {identifier.value for identifier in seller.identifiers}
    same_name = payee.name is not None and payee.name == seller.trading_name
    same_id = any(identifier.value in seller_ids for identifier in payee.identifiers)
    if payee.name is None or same_name or same_id:
        yield Violation("payee.name", payee.name)


def _tax_representative(rule_id: str, bt: str, path: str, what_en: str, what_fr: str, hint: str):
    def check(invoice: Invoice, context: CheckContext):
        representative = invoice.seller_tax_representative
        if representative is not None and _absent(invoice, f"seller_tax_representative.{path}",
                                                  _get(representative, path)):
            yield Violation(f"seller_tax_representative.{path}")

    rule(rule_id, group=GROUP, bt=(bt,), hint=hint,
         en=f"The seller's tax representative (BG-11) shall have {what_en} ({bt})",
         fr=f"Le représentant fiscal du vendeur (BG-11) doit avoir {what_fr} ({bt})")(check)


_tax_representative("BR-18", "BT-62", "name", "a name", "un nom", "Give the tax representative's name")
_tax_representative("BR-56", "BT-63", "vat_id", "a VAT identifier", "un numéro de TVA",
                    "Give the tax representative's VAT identifier")


@rule("BR-19", group=GROUP, bt=("BG-12",),
      en="The seller's tax representative (BG-11) shall have a postal address (BG-12)",
      fr="Le représentant fiscal du vendeur (BG-11) doit avoir une adresse postale (BG-12)",
      hint="Give the tax representative's postal address")
def tax_representative_address(invoice: Invoice, context: CheckContext):
    representative = invoice.seller_tax_representative
    if representative is not None and not representative.address.given:
        yield Violation("seller_tax_representative.address")


@rule("BR-20", group=GROUP, bt=("BT-69",),
      en="The tax representative's postal address (BG-12) shall have a country code (BT-69)",
      fr="L'adresse du représentant fiscal (BG-12) doit comporter un code pays (BT-69)",
      hint="Give the ISO 3166-1 country code of the tax representative's address")
def tax_representative_country(invoice: Invoice, context: CheckContext):
    representative = invoice.seller_tax_representative
    if representative is not None and representative.address.given and _absent(
            invoice, "seller_tax_representative.address.country", representative.address.country):
        yield Violation("seller_tax_representative.address.country")


# -- lines ---------------------------------------------------------------------------------------------------
def _line_rule(rule_id: str, bt: str, attribute: str, what_en: str, what_fr: str, hint: str):
    """Register a rule that fires on every line where `attribute` is absent."""

    def check(invoice: Invoice, context: CheckContext):
        for position, line in enumerate(invoice.lines):
            path = f"lines[{position}].{attribute}"
            if _absent(invoice, path, getattr(line, attribute)):
                yield Violation(path, params={"line": line.id or position + 1})

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
_line_rule("BR-CO-04", "BT-151", "vat_category", "a VAT category code", "un code de catégorie de TVA",
           "Give the VAT category of each line: S standard, Z zero, E exempt, AE reverse charge, K, G, O")


@rule("BR-27", group=GROUP, bt=("BT-146",),
      en="The item net price (BT-146) shall not be negative; line {line} has {value}",
      fr="Le prix net unitaire (BT-146) ne doit pas être négatif ; la ligne {line} a {value}",
      hint="Give a price of zero or more; put a negative amount on the quantity or use a credit note")
def net_price_not_negative(invoice: Invoice, context: CheckContext):
    for position, line in enumerate(invoice.lines):
        path = f"lines[{position}].net_price"
        if (line.net_price is None and path not in invoice.locations) or (
                line.net_price is not None and line.net_price < 0):
            yield Violation(path, line.net_price, {"line": line.id or position + 1})


@rule("BR-28", group=GROUP, bt=("BT-148",),
      en="The item gross price (BT-148) shall not be negative; line {line} has {value}",
      fr="Le prix brut unitaire (BT-148) ne doit pas être négatif ; la ligne {line} a {value}",
      hint="Give a gross price of zero or more")
def gross_price_not_negative(invoice: Invoice, context: CheckContext):
    for position, line in enumerate(invoice.lines):
        if line.gross_price is not None and line.gross_price < 0:
            yield Violation(f"lines[{position}].gross_price", line.gross_price, {"line": line.id or position + 1})


# -- periods -------------------------------------------------------------------------------------------------
@rule("BR-29", group=GROUP, bt=("BT-73", "BT-74"),
      en="The invoicing period end date (BT-74) {value} shall be on or after its start date (BT-73) {start}",
      fr="La date de fin de période de facturation (BT-74) {value} doit être égale ou postérieure à la date de "
         "début (BT-73) {start}",
      hint="Swap or correct the invoicing period dates")
def invoicing_period_order(invoice: Invoice, context: CheckContext):
    period = invoice.invoicing_period
    if period is not None and period.start and period.end and period.end < period.start:
        yield Violation("invoicing_period.end", period.end, {"start": period.start})


@rule("BR-30", group=GROUP, bt=("BT-134", "BT-135"),
      en="The line period end date (BT-135) {value} shall be on or after its start date (BT-134) {start}",
      fr="La date de fin de période de la ligne (BT-135) {value} doit être égale ou postérieure à la date de "
         "début (BT-134) {start}",
      hint="Swap or correct the line period dates")
def line_period_order(invoice: Invoice, context: CheckContext):
    for position, line in enumerate(invoice.lines):
        period = line.period
        if period is not None and period.start and period.end and period.end < period.start:
            yield Violation(f"lines[{position}].period.end", period.end, {"start": period.start})


@rule("BR-CO-19", group=GROUP, bt=("BG-14", "BT-73", "BT-74"),
      en="An invoicing period (BG-14) shall have a start date (BT-73), an end date (BT-74), or both",
      fr="Une période de facturation (BG-14) doit avoir une date de début (BT-73), une date de fin (BT-74), "
         "ou les deux",
      hint="Give the period's start and/or end date, or leave the period out")
def invoicing_period_dated(invoice: Invoice, context: CheckContext):
    period = invoice.invoicing_period
    if period is None or invoice.tax_point_date_code is not None:  # UBL carries BT-8 in the same group
        return
    if not _period_given(invoice, "invoicing_period"):
        yield Violation("invoicing_period")


@rule("BR-CO-20", group=GROUP, bt=("BG-26", "BT-134", "BT-135"),
      en="A line period (BG-26) shall have a start date (BT-134), an end date (BT-135), or both",
      fr="Une période de ligne (BG-26) doit avoir une date de début (BT-134), une date de fin (BT-135), "
         "ou les deux",
      hint="Give the line period's start and/or end date, or leave the period out")
def line_period_dated(invoice: Invoice, context: CheckContext):
    for position, line in enumerate(invoice.lines):
        if line.period is not None and not _period_given(invoice, f"lines[{position}].period"):
            yield Violation(f"lines[{position}].period")


def _period_given(invoice: Invoice, path: str) -> bool:
    return f"{path}.start" in invoice.locations or f"{path}.end" in invoice.locations


@rule("BR-CO-03", group=GROUP, bt=("BT-7", "BT-8"),
      en="The VAT point date (BT-7) and the VAT point date code (BT-8) are mutually exclusive",
      fr="La date d'exigibilité de la TVA (BT-7) et son code (BT-8) sont mutuellement exclusifs",
      hint="Give either the VAT point date or its code, not both")
def tax_point_date_or_code(invoice: Invoice, context: CheckContext):
    if (invoice.tax_point_date is not None or "tax_point_date" in invoice.locations) and (
            invoice.tax_point_date_code is not None):
        yield Violation("tax_point_date_code", invoice.tax_point_date_code)


# -- allowances and charges ------------------------------------------------------------------------------------
def _allowances_charges(invoice: Invoice, is_charge: bool, on_lines: bool
                        ) -> Iterator[tuple[str, AllowanceCharge]]:
    if on_lines:
        for position, line in enumerate(invoice.lines):
            for index, item in enumerate(line.allowances_charges):
                if item.is_charge is is_charge:
                    yield f"lines[{position}].allowances_charges[{index}]", item
    else:
        for index, item in enumerate(invoice.allowances_charges):
            if item.is_charge is is_charge:
                yield f"allowances_charges[{index}]", item


_KIND = {  # (is_charge, on_lines): (English, French, BG)
    (False, False): ("document level allowance", "remise au niveau du document", "BG-20"),
    (True, False): ("document level charge", "frais au niveau du document", "BG-21"),
    (False, True): ("invoice line allowance", "remise sur ligne", "BG-27"),
    (True, True): ("invoice line charge", "frais sur ligne", "BG-28"),
}


def _allowance_charge_rule(rule_id: str, is_charge: bool, on_lines: bool, bt: tuple[str, ...], what_en: str,
                           what_fr: str, hint: str, missing):
    kind_en, kind_fr, group_bt = _KIND[(is_charge, on_lines)]

    def check(invoice: Invoice, context: CheckContext):
        for path, item in _allowances_charges(invoice, is_charge, on_lines):
            field = missing(invoice, path, item)
            if field is not None:
                yield Violation(field)

    rule(rule_id, group=GROUP, bt=(group_bt, *bt), hint=hint,
         en=f"Each {kind_en} ({group_bt}) shall have {what_en}",
         fr=f"Chaque {kind_fr} ({group_bt}) doit comporter {what_fr}")(check)


def _no_amount(invoice: Invoice, path: str, item: AllowanceCharge) -> str | None:
    return f"{path}.amount" if _absent(invoice, f"{path}.amount", item.amount) else None


def _no_vat_category(invoice: Invoice, path: str, item: AllowanceCharge) -> str | None:
    return f"{path}.vat_category" if _absent(invoice, f"{path}.vat_category", item.vat_category) else None


def _no_reason(invoice: Invoice, path: str, item: AllowanceCharge) -> str | None:
    if _absent(invoice, f"{path}.reason", item.reason) and _absent(invoice, f"{path}.reason_code", item.reason_code):
        return f"{path}.reason"
    return None


_AMOUNT = ("an amount", "un montant")
_CATEGORY = ("a VAT category code", "un code de catégorie de TVA")
_REASON = ("a reason or a reason code", "un motif ou un code motif")
for _id, _charge, _lines, _bt, _what, _hint, _test in (
    ("BR-31", False, False, ("BT-92",), _AMOUNT, "Give the allowance amount", _no_amount),
    ("BR-32", False, False, ("BT-95",), _CATEGORY, "Give the VAT category the allowance applies to",
     _no_vat_category),
    ("BR-33", False, False, ("BT-97", "BT-98"), _REASON, "Give the reason (text or UNTDID 5189 code)", _no_reason),
    ("BR-CO-21", False, False, ("BT-97", "BT-98"), _REASON, "Give the reason (text or UNTDID 5189 code)",
     _no_reason),
    ("BR-36", True, False, ("BT-99",), _AMOUNT, "Give the charge amount", _no_amount),
    ("BR-37", True, False, ("BT-102",), _CATEGORY, "Give the VAT category the charge applies to",
     _no_vat_category),
    ("BR-38", True, False, ("BT-104", "BT-105"), _REASON, "Give the reason (text or UNTDID 7161 code)",
     _no_reason),
    ("BR-CO-22", True, False, ("BT-104", "BT-105"), _REASON, "Give the reason (text or UNTDID 7161 code)",
     _no_reason),
    ("BR-41", False, True, ("BT-136",), _AMOUNT, "Give the line allowance amount", _no_amount),
    ("BR-42", False, True, ("BT-139", "BT-140"), _REASON, "Give the reason (text or UNTDID 5189 code)",
     _no_reason),
    ("BR-CO-23", False, True, ("BT-139", "BT-140"), _REASON, "Give the reason (text or UNTDID 5189 code)",
     _no_reason),
    ("BR-43", True, True, ("BT-141",), _AMOUNT, "Give the line charge amount", _no_amount),
    ("BR-44", True, True, ("BT-144", "BT-145"), _REASON, "Give the reason (text or UNTDID 7161 code)",
     _no_reason),
    ("BR-CO-24", True, True, ("BT-144", "BT-145"), _REASON, "Give the reason (text or UNTDID 7161 code)",
     _no_reason),
):
    _allowance_charge_rule(_id, _charge, _lines, _bt, *_what, _hint, _test)


# -- payment ---------------------------------------------------------------------------------------------------
@rule("BR-49", group=GROUP, bt=("BT-81",),
      en="A payment instruction (BG-16) shall specify the payment means type code (BT-81)",
      fr="Une instruction de paiement (BG-16) doit indiquer le code du moyen de paiement (BT-81)",
      hint="Give the UNTDID 4461 code, e.g. 30 credit transfer, 58 SEPA credit transfer")
def payment_means_code(invoice: Invoice, context: CheckContext):
    for position, means in enumerate(invoice.payment.means):
        if _absent(invoice, f"payment.means[{position}].code", means.code):
            yield Violation(f"payment.means[{position}].code")


@rule("BR-50", group=GROUP, bt=("BT-84",),
      en="A payment account identifier (BT-84) shall be present if credit transfer (BG-17) information is given",
      fr="L'identifiant du compte de paiement (BT-84) doit être indiqué si un virement (BG-17) est décrit",
      hint="Give the IBAN (or account number) to transfer to")
def credit_transfer_account(invoice: Invoice, context: CheckContext):
    for position, means in enumerate(invoice.payment.means):
        if means.code not in CREDIT_TRANSFER_CODES:
            continue
        for index, transfer in enumerate(means.transfers):
            path = f"payment.means[{position}].transfers[{index}].account"
            if _absent(invoice, path, transfer.account):
                yield Violation(path)


@rule("BR-51", group=GROUP, bt=("BT-87",), severity="warning",
      en="Only the last 4 to 6 digits of the payment card number (BT-87) should be given, not {value}",
      fr="Seuls les 4 à 6 derniers chiffres du numéro de carte (BT-87) doivent figurer, pas {value}",
      hint="Mask the card number: keep only its last 4 to 6 digits")
def card_number_masked(invoice: Invoice, context: CheckContext):
    for position, means in enumerate(invoice.payment.means):
        if means.card_pan is not None and len(means.card_pan) > 10:
            yield Violation(f"payment.means[{position}].card_pan", means.card_pan[-4:].rjust(len(means.card_pan), "*"))


@rule("BR-61", group=GROUP, bt=("BT-81", "BT-84"),
      en="A credit transfer (payment means code {value}) requires the payment account identifier (BT-84)",
      fr="Un virement (code moyen de paiement {value}) exige l'identifiant du compte de paiement (BT-84)",
      hint="Give the IBAN to transfer to, or another payment means code")
def credit_transfer_needs_account(invoice: Invoice, context: CheckContext):
    for position, means in enumerate(invoice.payment.means):
        if means.code in CREDIT_TRANSFER_CODES and not any(t.account for t in means.transfers):
            yield Violation(f"payment.means[{position}].code", means.code)


# -- references, attachments, item data -----------------------------------------------------------------------
@rule("BR-52", group=GROUP, bt=("BT-122",),
      en="Each additional supporting document (BG-24) shall have a reference (BT-122)",
      fr="Chaque pièce jointe (BG-24) doit avoir une référence (BT-122)",
      hint="Give the reference of each supporting document")
def attachment_reference(invoice: Invoice, context: CheckContext):
    for position, attachment in enumerate(invoice.attachments):
        if _absent(invoice, f"attachments[{position}].id", attachment.id):
            yield Violation(f"attachments[{position}].id")


@rule("BR-53", group=GROUP, bt=("BT-6", "BT-111"),
      en="When a VAT accounting currency (BT-6) {value} is given, the total VAT in that currency (BT-111) "
         "shall be given",
      fr="Lorsqu'une devise de comptabilisation de la TVA (BT-6) {value} est indiquée, le total de TVA dans "
         "cette devise (BT-111) doit être indiqué",
      hint="Give the total VAT amount in {value}, or leave the VAT accounting currency out")
def tax_currency_total(invoice: Invoice, context: CheckContext):
    currency = invoice.tax_currency
    if currency is None:
        return
    totals_currencies = {invoice.amount_currencies.get(path) for path in ("totals.tax", "totals.tax_accounting")}
    if currency not in totals_currencies:
        yield Violation("tax_currency", currency)


@rule("BR-54", group=GROUP, bt=("BT-160", "BT-161"),
      en="Each item attribute (BG-32) shall have a name (BT-160) and a value (BT-161)",
      fr="Chaque attribut d'article (BG-32) doit avoir un nom (BT-160) et une valeur (BT-161)",
      hint="Give both the attribute's name and its value")
def item_attribute_complete(invoice: Invoice, context: CheckContext):
    for position, line in enumerate(invoice.lines):
        for index, attribute in enumerate(line.attributes):
            path = f"lines[{position}].attributes[{index}]"
            if _absent(invoice, f"{path}.name", attribute.name) or _absent(invoice, f"{path}.value", attribute.value):
                yield Violation(path)


@rule("BR-55", group=GROUP, bt=("BT-25",),
      en="Each preceding invoice reference (BG-3) shall contain the preceding invoice number (BT-25)",
      fr="Chaque référence à une facture antérieure (BG-3) doit comporter le numéro de cette facture (BT-25)",
      hint="Give the number of the invoice this document refers to")
def preceding_invoice_number(invoice: Invoice, context: CheckContext):
    for position, reference in enumerate(invoice.preceding_invoices):
        if _absent(invoice, f"preceding_invoices[{position}].number", reference.number):
            yield Violation(f"preceding_invoices[{position}].number")


@rule("BR-57", group=GROUP, bt=("BT-80",),
      en="Each deliver-to address (BG-15) shall contain a country code (BT-80)",
      fr="Chaque adresse de livraison (BG-15) doit comporter un code pays (BT-80)",
      hint="Give the ISO 3166-1 country code of the delivery address")
def delivery_country(invoice: Invoice, context: CheckContext):
    delivery = invoice.delivery
    if delivery is not None and delivery.address is not None and delivery.address.given and _absent(
            invoice, "delivery.address.country", delivery.address.country):
        yield Violation("delivery.address.country")


def _electronic_address_scheme(rule_id: str, role: str, bt: str, who_en: str, who_fr: str):
    def check(invoice: Invoice, context: CheckContext):
        address = getattr(invoice, role).electronic_address
        if address is not None and not address.scheme:
            yield Violation(f"{role}.electronic_address", address.value)

    rule(rule_id, group=GROUP, bt=(bt, f"{bt}-1"),
         en=f"The {who_en} electronic address ({bt}) shall have a scheme identifier",
         fr=f"L'adresse électronique {who_fr} ({bt}) doit avoir un identifiant de schéma",
         hint="Give the EAS scheme of the electronic address, e.g. 0009 for a SIRET, 0225 for a SIREN + suffix"
         )(check)


_electronic_address_scheme("BR-62", "seller", "BT-34", "seller's", "du vendeur")
_electronic_address_scheme("BR-63", "buyer", "BT-49", "buyer's", "de l'acheteur")


@rule("BR-64", group=GROUP, bt=("BT-157", "BT-157-1"),
      en="The item standard identifier (BT-157) {value} shall have a scheme identifier",
      fr="L'identifiant normalisé de l'article (BT-157) {value} doit avoir un identifiant de schéma",
      hint="Give the ISO 6523 scheme of the identifier, e.g. 0160 for a GTIN")
def standard_item_scheme(invoice: Invoice, context: CheckContext):
    for position, line in enumerate(invoice.lines):
        if line.standard_item_id is not None and not line.standard_item_id.scheme:
            yield Violation(f"lines[{position}].standard_item_id", line.standard_item_id.value)


@rule("BR-65", group=GROUP, bt=("BT-158", "BT-158-1"),
      en="The item classification identifier (BT-158) {value} shall have a scheme identifier",
      fr="Le code de classification de l'article (BT-158) {value} doit avoir un identifiant de schéma",
      hint="Give the UNTDID 7143 list identifier of the classification, e.g. STI, CV (CPV)")
def classification_scheme(invoice: Invoice, context: CheckContext):
    for position, line in enumerate(invoice.lines):
        for index, classification in enumerate(line.classifications):
            if not classification.scheme:
                yield Violation(f"lines[{position}].classifications[{index}]", classification.value)


@rule("BR-CO-26", group=GROUP, bt=("BT-29", "BT-30", "BT-31"),
      en="The seller shall be identified by an identifier (BT-29), a legal registration (BT-30) or a VAT number "
         "(BT-31)",
      fr="Le vendeur doit être identifié par un identifiant (BT-29), une immatriculation (BT-30) ou un numéro de "
         "TVA (BT-31)",
      hint="Give the supplier's SIRET with scheme 0009 (or SIREN 0002, or an intra-EU VAT number)")
def seller_identified(invoice: Invoice, context: CheckContext):
    if not is_identified(invoice.seller):
        yield Violation("seller")


def is_identified(party: Party) -> bool:
    """BR-CO-26's reading: a VAT number, a legal registration, or an identifier other than a SEPA creditor id."""
    return bool(party.vat_id or party.legal_id or any(
        identifier.scheme != SEPA_CREDITOR_SCHEME for identifier in party.identifiers))


@rule("BR-CO-18", group=GROUP, bt=("BG-23",), en="An invoice shall have at least one VAT breakdown (BG-23)",
      fr="Une facture doit comporter au moins un récapitulatif de TVA (BG-23)",
      hint="Add one VAT breakdown per VAT category and rate: taxable amount, rate, VAT amount")
def at_least_one_vat_breakdown(invoice: Invoice, context: CheckContext):
    if not invoice.vat_breakdown:
        yield Violation("vat_breakdown")


@rule("BR-CO-09", group=GROUP, bt=("BT-31", "BT-48", "BT-63"),
      en="The VAT identifier {value} shall start with the ISO 3166-1 alpha-2 code of the issuing country "
         "(EL for Greece)",
      fr="Le numéro de TVA {value} doit commencer par le code pays ISO 3166-1 alpha-2 du pays émetteur "
         "(EL pour la Grèce)",
      hint="Write the VAT number with its country prefix, e.g. FR28324567890")
def vat_identifier_prefix(invoice: Invoice, context: CheckContext):
    """The official test: the first two characters are a code of the assertion's own country list."""
    prefixes = code_list("BR-CO-09")
    for role in ("seller", "buyer", "seller_tax_representative"):
        party = getattr(invoice, role)
        if party is not None and party.vat_id is not None and party.vat_id[:2] not in prefixes:
            yield Violation(f"{role}.vat_id", party.vat_id)
