"""EN 16931 code-list rules (BR-CL-xx): codes taken from the official CEN artifact's own lists.

Each rule names the coded values it checks (field path, value) and the official list they must belong to; the lists
come from the official stylesheet at run time (see `validators/codes.py`), so nothing here copies a code list. The
test is the official one: the value, spaces trimmed, must be one of the codes (`listed`). A rule checks only
values that are given: a missing mandatory code is the business of the BR-xx rules. The scheme of an identifier
written without a value (`<cbc:ID schemeID="XX"/>`) is checked too, as the official rules do
(`Invoice.bare_schemes`).

BR-CL-08 (a note's subject code) is checked on UBL documents only: UBL carries the subject code inside the note
text (``#AAI#…``), which is what the model's note holds; CII has a separate element the model does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ...model import DocumentFormat, Invoice, Party
from .. import codes
from ..codes import code_list, example, listed
from ..engine import CheckContext, Violation, rule

GROUP = "EN 16931 code lists"

Coded = tuple[str, "str | None"]  # a field path and the code found there (None when not given)


def _unlisted(rule_id: str, coded: Iterable[Coded], position: int = 0) -> Iterator[Violation]:
    """A violation for each given code that is not in the official list of `rule_id`."""
    verdicts: dict[str, bool] = {}  # an invoice repeats its codes (a currency on ~80 amounts, a unit per line)
    for path, value in coded:
        if value is None:
            continue
        is_listed = verdicts.get(value)
        if is_listed is None:
            is_listed = verdicts[value] = listed(value, rule_id, position)
        if not is_listed:
            yield Violation(path, value)


_INDEX = re.compile(r"\[\d+\]$")


def _bare(invoice: Invoice, attribute: str) -> list[Coded]:
    """The schemes of the valueless identifiers held in `attribute` (e.g. ``legal_id``), with their field paths."""
    return [(f"{path}.scheme", scheme) for path, scheme in invoice.bare_schemes
            if _INDEX.sub("", path).rpartition(".")[2] == attribute]


def _parties(invoice: Invoice) -> Iterator[tuple[str, Party]]:
    """Every party of the invoice, with its field path: seller, buyer, payee, seller's tax representative."""
    yield "seller", invoice.seller
    yield "buyer", invoice.buyer
    if invoice.payee is not None:
        yield "payee", invoice.payee
    if invoice.seller_tax_representative is not None:
        yield "seller_tax_representative", invoice.seller_tax_representative


def _allowances_charges(invoice: Invoice):
    """Every allowance or charge, document level then line level, with its field path."""
    for i, ac in enumerate(invoice.allowances_charges):
        yield f"allowances_charges[{i}]", ac
    for i, line in enumerate(invoice.lines):
        for j, ac in enumerate(line.allowances_charges):
            yield f"lines[{i}].allowances_charges[{j}]", ac


_TYPE_CODE_LIST = {DocumentFormat.UBL_INVOICE: 0, DocumentFormat.UBL_CREDIT_NOTE: 1}


@rule("BR-CL-01", group=GROUP, bt=("BT-3",),
      en="The document type code (BT-3) '{value}' is not in the UNTDID 1001 list of {kind} type codes",
      fr="Le code de type de document (BT-3) « {value} » n'est pas dans la liste UNTDID 1001 des codes de type "
         "{kind_fr}",
      hint="Use a UNTDID 1001 {kind} type code, e.g. {example}")
def type_code(invoice: Invoice, context: CheckContext):
    # A UBL Invoice takes the invoice list, a UBL CreditNote the credit note list (the official assertion picks by
    # element); CII and CSV have one type code element for both, so either list is accepted there (the CEN CII
    # binding's list is exactly the union of the two).
    value = invoice.type_code
    if value is None:
        return
    position = _TYPE_CODE_LIST.get(invoice.format)
    if position == 1:
        kind = {"kind": "credit note", "kind_fr": "d'avoir", "example": "381"}
    elif position == 0:
        kind = {"kind": "invoice", "kind_fr": "de facture", "example": "380"}
    else:
        kind = {"kind": "invoice and credit note", "kind_fr": "de facture et d'avoir", "example": "380 or 381"}
    positions = (0, 1) if position is None else (position,)
    if not any(listed(value, "BR-CL-01", p) for p in positions):
        yield Violation("type_code", value, kind)


@rule("BR-CL-03", group=GROUP, bt=("BT-5", "BT-6"),
      en="The currency '{value}' of an amount is not an ISO 4217 alpha-3 currency code",
      fr="La devise « {value} » d'un montant n'est pas un code devise ISO 4217 alpha-3",
      hint=f"Give each amount's currencyID as an ISO 4217 alpha-3 code, e.g. {example('BR-CL-03', 'EUR')}")
def amount_currencies(invoice: Invoice, context: CheckContext):
    yield from _unlisted("BR-CL-03", invoice.amount_currencies.items())


@rule("BR-CL-04", group=GROUP, bt=("BT-5",),
      en="The invoice currency code (BT-5) '{value}' is not an ISO 4217 alpha-3 currency code",
      fr="Le code devise de la facture (BT-5) « {value} » n'est pas un code devise ISO 4217 alpha-3",
      hint=f"Use an ISO 4217 alpha-3 currency code, e.g. {example(codes.ISO_4217, 'EUR')}")
def invoice_currency(invoice: Invoice, context: CheckContext):
    yield from _unlisted("BR-CL-04", [("currency", invoice.currency)])


@rule("BR-CL-05", group=GROUP, bt=("BT-6",),
      en="The VAT accounting currency code (BT-6) '{value}' is not an ISO 4217 alpha-3 currency code",
      fr="Le code devise de comptabilisation de la TVA (BT-6) « {value} » n'est pas un code devise ISO 4217 "
         "alpha-3",
      hint=f"Use an ISO 4217 alpha-3 currency code, e.g. {example('BR-CL-05', 'EUR')}")
def tax_currency(invoice: Invoice, context: CheckContext):
    yield from _unlisted("BR-CL-05", [("tax_currency", invoice.tax_currency)])


_CII_FORMATS = (DocumentFormat.CII, DocumentFormat.FACTURX_PDF)


@rule("BR-CL-06", group=GROUP, bt=("BT-8",),
      en="The value added tax point date code (BT-8) '{value}' is not one of the codes allowed ({codes})",
      fr="Le code de date d'exigibilité de la TVA (BT-8) « {value} » n'est pas un des codes admis ({codes})",
      hint="Use {codes}: the tax point is, in that order, the invoice date, the actual delivery date, the date of "
           "payment")
def tax_point_date_code(invoice: Invoice, context: CheckContext):
    # The list is the syntax's: UNTDID 2005 in UBL, UNTDID 2475 in CII (see validators/codes.py).
    value = invoice.tax_point_date_code
    syntax = "cii" if invoice.format in _CII_FORMATS else "ubl"
    if value is not None and not listed(value, "BR-CL-06", syntax=syntax):
        allowed = ", ".join(sorted(code_list("BR-CL-06", syntax=syntax), key=lambda code: (len(code), code)))
        yield Violation("tax_point_date_code", value, {"codes": allowed})


@rule("BR-CL-07", group=GROUP, bt=("BT-18-1", "BT-128-1"),
      en="The scheme '{value}' of an invoiced object identifier (BT-18, BT-128) is not a UNTDID 1153 code",
      fr="Le schéma « {value} » d'un identifiant d'objet facturé (BT-18, BT-128) n'est pas un code UNTDID 1153",
      hint=f"Give the identifier's schemeID as a UNTDID 1153 reference code, e.g. {example('BR-CL-07', 'AUN')}")
def object_identifier_scheme(invoice: Invoice, context: CheckContext):
    coded = []
    if invoice.invoiced_object is not None:
        coded.append(("invoiced_object.scheme", invoice.invoiced_object.scheme))
    for i, line in enumerate(invoice.lines):
        if line.object_id is not None:
            coded.append((f"lines[{i}].object_id.scheme", line.object_id.scheme))
    coded += _bare(invoice, "invoiced_object") + _bare(invoice, "object_id")
    yield from _unlisted("BR-CL-07", coded)


_UBL_FORMATS = (DocumentFormat.UBL_INVOICE, DocumentFormat.UBL_CREDIT_NOTE)


@rule("BR-CL-08", group=GROUP, bt=("BT-21",),
      en="The invoice note subject code (BT-21) '{value}' is not a UNTDID 4451 code",
      fr="Le code du sujet de la note (BT-21) « {value} » n'est pas un code UNTDID 4451",
      hint=f"Write the subject code between # at the start of the note as a UNTDID 4451 code, e.g. "
           f"#{example('BR-CL-08', 'AAI')}#, or remove the # marks")
def note_subject_code(invoice: Invoice, context: CheckContext):
    # The official test: when the note holds '#', and the text between the first two '#' is 3 characters long,
    # those 3 characters must occur in the list as written (a substring test, not a whole-code test).
    if invoice.format not in _UBL_FORMATS:
        return
    for i, note in enumerate(invoice.notes):
        subject = note.partition("#")[2]
        if "#" not in subject:
            continue
        subject = subject.partition("#")[0]
        if len(subject) == 3 and subject not in codes.list_literal("BR-CL-08"):
            yield Violation(f"notes[{i}]", subject)


@rule("BR-CL-10", group=GROUP, bt=("BT-29-1", "BT-46-1", "BT-60-1"),
      en="The scheme '{value}' of a party identifier is not an ISO 6523 ICD code",
      fr="Le schéma « {value} » d'un identifiant de partie n'est pas un code ISO 6523 ICD",
      hint=f"Give the identifier's schemeID as an ISO 6523 ICD code, e.g. {example(codes.ISO_6523, '0009')} "
           f"(SIRET); SEPA is allowed for the seller's and the payee's creditor identifier only")
def party_identifier_scheme(invoice: Invoice, context: CheckContext):
    coded = [(f"{role}.identifiers[{i}].scheme", identifier.scheme)
             for role, party in _parties(invoice) for i, identifier in enumerate(party.identifiers)]
    for path, scheme in coded + _bare(invoice, "identifiers"):
        sepa_allowed = path.startswith(("seller.", "payee."))  # official: in AccountingSupplierParty or PayeeParty
        if scheme is None or listed(scheme, "BR-CL-10") or (sepa_allowed and listed(scheme, "BR-CL-10", 1)):
            continue
        yield Violation(path, scheme)


@rule("BR-CL-11", group=GROUP, bt=("BT-30-1", "BT-47-1", "BT-61-1"),
      en="The scheme '{value}' of a legal registration identifier is not an ISO 6523 ICD code",
      fr="Le schéma « {value} » d'un identifiant d'immatriculation n'est pas un code ISO 6523 ICD",
      hint=f"Give the registration identifier's schemeID as an ISO 6523 ICD code, e.g. "
           f"{example(codes.ISO_6523, '0002')} (SIREN)")
def legal_identifier_scheme(invoice: Invoice, context: CheckContext):
    yield from _unlisted("BR-CL-11", [
        (f"{role}.legal_id.scheme", party.legal_id.scheme)
        for role, party in _parties(invoice) if party.legal_id is not None
    ] + _bare(invoice, "legal_id"))


@rule("BR-CL-13", group=GROUP, bt=("BT-158-1",),
      en="The scheme '{value}' of an item classification identifier (BT-158) is not a UNTDID 7143 code",
      fr="Le schéma « {value} » d'un code de classification d'article (BT-158) n'est pas un code UNTDID 7143",
      hint=f"Give the classification's listID as a UNTDID 7143 code, e.g. {example('BR-CL-13', 'STI')}")
def item_classification_scheme(invoice: Invoice, context: CheckContext):
    yield from _unlisted("BR-CL-13", [
        (f"lines[{i}].classifications[{j}].scheme", classification.scheme)
        for i, line in enumerate(invoice.lines) for j, classification in enumerate(line.classifications)
    ] + _bare(invoice, "classifications"))


@rule("BR-CL-14", group=GROUP, bt=("BT-40", "BT-55", "BT-69", "BT-80"),
      en="The country code '{value}' of an address is not an ISO 3166-1 alpha-2 code",
      fr="Le code pays « {value} » d'une adresse n'est pas un code ISO 3166-1 alpha-2",
      hint=f"Use an ISO 3166-1 alpha-2 country code, e.g. {example(codes.ISO_3166, 'FR')}")
def address_country(invoice: Invoice, context: CheckContext):
    coded = [(f"{role}.address.country", party.address.country) for role, party in _parties(invoice)]
    if invoice.delivery is not None and invoice.delivery.address is not None:
        coded.append(("delivery.address.country", invoice.delivery.address.country))
    yield from _unlisted("BR-CL-14", coded)


@rule("BR-CL-15", group=GROUP, bt=("BT-159",),
      en="The item country of origin (BT-159) '{value}' is not an ISO 3166-1 alpha-2 code",
      fr="Le pays d'origine de l'article (BT-159) « {value} » n'est pas un code ISO 3166-1 alpha-2",
      hint=f"Use an ISO 3166-1 alpha-2 country code, e.g. {example('BR-CL-15', 'FR')}")
def origin_country(invoice: Invoice, context: CheckContext):
    yield from _unlisted("BR-CL-15", [
        (f"lines[{i}].origin_country", line.origin_country) for i, line in enumerate(invoice.lines)
    ])


@rule("BR-CL-16", group=GROUP, bt=("BT-81",),
      en="The payment means type code (BT-81) '{value}' is not a UNTDID 4461 code",
      fr="Le code du moyen de paiement (BT-81) « {value} » n'est pas un code UNTDID 4461",
      hint="Use a UNTDID 4461 code, e.g. 30 (credit transfer), 58 (SEPA credit transfer), 59 (SEPA direct debit)")
def payment_means_code(invoice: Invoice, context: CheckContext):
    yield from _unlisted("BR-CL-16", [
        (f"payment.means[{i}].code", means.code) for i, means in enumerate(invoice.payment.means)
    ])


@rule("BR-CL-17", group=GROUP, bt=("BT-95", "BT-102", "BT-118"),
      en="The VAT category code '{value}' is not a UNTDID 5305 code allowed by EN 16931",
      fr="Le code de catégorie de TVA « {value} » n'est pas un code UNTDID 5305 admis par l'EN 16931",
      hint=f"Use one of the VAT category codes {' '.join(sorted(code_list(codes.UNCL_5305)))}, e.g. S (standard "
           f"rate)")
def vat_category(invoice: Invoice, context: CheckContext):
    # Official context: every cac:TaxCategory/cbc:ID (VAT breakdown, document and line allowances and charges).
    coded = [(f"vat_breakdown[{i}].category", vat.category) for i, vat in enumerate(invoice.vat_breakdown)]
    coded += [(f"{path}.vat_category", ac.vat_category) for path, ac in _allowances_charges(invoice)]
    yield from _unlisted("BR-CL-17", coded)


@rule("BR-CL-18", group=GROUP, bt=("BT-151",),
      en="The invoiced item VAT category code (BT-151) '{value}' is not a UNTDID 5305 code allowed by EN 16931",
      fr="Le code de catégorie de TVA de la ligne (BT-151) « {value} » n'est pas un code UNTDID 5305 admis par "
         "l'EN 16931",
      hint=f"Use one of the VAT category codes {' '.join(sorted(code_list('BR-CL-18')))}, e.g. S (standard rate)")
def line_vat_category(invoice: Invoice, context: CheckContext):
    yield from _unlisted("BR-CL-18", [
        (f"lines[{i}].vat_category", line.vat_category) for i, line in enumerate(invoice.lines)
    ])


@rule("BR-CL-19", group=GROUP, bt=("BT-98", "BT-140"),
      en="The allowance reason code '{value}' is not a UNTDID 5189 code",
      fr="Le code de motif de remise « {value} » n'est pas un code UNTDID 5189",
      hint=f"Use a UNTDID 5189 allowance reason code, e.g. {example('BR-CL-19', '95')} (discount), or give the "
           f"reason as text only")
def allowance_reason_code(invoice: Invoice, context: CheckContext):
    yield from _unlisted("BR-CL-19", [
        (f"{path}.reason_code", ac.reason_code) for path, ac in _allowances_charges(invoice) if not ac.is_charge
    ])


@rule("BR-CL-20", group=GROUP, bt=("BT-105", "BT-145"),
      en="The charge reason code '{value}' is not a UNTDID 7161 code",
      fr="Le code de motif de frais « {value} » n'est pas un code UNTDID 7161",
      hint=f"Use a UNTDID 7161 charge reason code, e.g. {example('BR-CL-20', 'FC')} (freight service), or give "
           f"the reason as text only")
def charge_reason_code(invoice: Invoice, context: CheckContext):
    yield from _unlisted("BR-CL-20", [
        (f"{path}.reason_code", ac.reason_code) for path, ac in _allowances_charges(invoice) if ac.is_charge
    ])


@rule("BR-CL-21", group=GROUP, bt=("BT-157-1",),
      en="The scheme '{value}' of an item standard identifier (BT-157) is not an ISO 6523 ICD code",
      fr="Le schéma « {value} » d'un identifiant standard d'article (BT-157) n'est pas un code ISO 6523 ICD",
      hint=f"Give the identifier's schemeID as an ISO 6523 ICD code, e.g. {example('BR-CL-21', '0160')} (GTIN)")
def standard_item_scheme(invoice: Invoice, context: CheckContext):
    yield from _unlisted("BR-CL-21", [
        (f"lines[{i}].standard_item_id.scheme", line.standard_item_id.scheme)
        for i, line in enumerate(invoice.lines) if line.standard_item_id is not None
    ] + _bare(invoice, "standard_item_id"))


@rule("BR-CL-22", group=GROUP, bt=("BT-121",),
      en="The VAT exemption reason code (BT-121) '{value}' is not a CEF VATEX code",
      fr="Le code de motif d'exonération de TVA (BT-121) « {value} » n'est pas un code CEF VATEX",
      hint=f"Use a CEF VATEX code, e.g. {example(codes.CEF_VATEX, 'VATEX-EU-AE')} (reverse charge)")
def exemption_reason_code(invoice: Invoice, context: CheckContext):
    # Official test: upper case accepted (the value is upper-cased before the lookup).
    for i, vat in enumerate(invoice.vat_breakdown):
        if vat.exemption_code is not None and not listed(vat.exemption_code.upper(), "BR-CL-22"):
            yield Violation(f"vat_breakdown[{i}].exemption_code", vat.exemption_code)


@rule("BR-CL-23", group=GROUP, bt=("BT-130", "BT-150"),
      en="The unit of measure code '{value}' is not a UN/ECE Recommendation 20 (with Rec. 21) code",
      fr="Le code d'unité de mesure « {value} » n'est pas un code de la recommandation UN/ECE 20 (avec la "
         "recommandation 21)",
      hint=f"Use a UN/ECE Rec. 20 unit code, e.g. {example(codes.UNECE_REC20, 'C62')} (one, unit), HUR (hour), "
           f"KGM (kilogram)")
def unit_code(invoice: Invoice, context: CheckContext):
    allowed = code_list("BR-CL-23")
    if all(_plainly_in(line.unit_code, allowed) and _plainly_in(line.price_base_unit_code, allowed)
           for line in invoice.lines):
        return  # the usual case, told without a field path per line
    coded = []
    for i, line in enumerate(invoice.lines):
        coded += [(f"lines[{i}].unit_code", line.unit_code),
                  (f"lines[{i}].price_base_unit_code", line.price_base_unit_code)]
    yield from _unlisted("BR-CL-23", coded)


def _plainly_in(value: str | None, allowed) -> bool:
    """Absent, or exactly one of the codes (which `listed` would accept too, trimming spaces)."""
    return value is None or value in allowed


@rule("BR-CL-24", group=GROUP, bt=("BT-125-1",),
      en="The MIME code '{value}' of an attached document (BT-125) is not one of those EN 16931 allows",
      fr="Le code MIME « {value} » d'un document joint (BT-125) n'est pas un de ceux que l'EN 16931 admet",
      hint="Use one of the MIME codes " + ", ".join(sorted(code_list("BR-CL-24"))))
def attachment_mime_code(invoice: Invoice, context: CheckContext):
    # Official test: exact equality with one of the values (no trimming).
    allowed = code_list("BR-CL-24")
    for i, attachment in enumerate(invoice.attachments):
        if attachment.mime_code is not None and attachment.mime_code not in allowed:
            yield Violation(f"attachments[{i}].mime_code", attachment.mime_code)


@rule("BR-CL-25", group=GROUP, bt=("BT-34-1", "BT-49-1"),
      en="The scheme '{value}' of an electronic address is not a CEF EAS code",
      fr="Le schéma « {value} » d'une adresse électronique n'est pas un code CEF EAS",
      hint=f"Give the electronic address's schemeID as a CEF EAS code, e.g. {example(codes.CEF_EAS, '0009')} "
           f"(SIRET) or EM (e-mail)")
def electronic_address_scheme(invoice: Invoice, context: CheckContext):
    yield from _unlisted("BR-CL-25", [
        (f"{role}.electronic_address.scheme", party.electronic_address.scheme)
        for role, party in _parties(invoice) if party.electronic_address is not None
    ] + _bare(invoice, "electronic_address"))


@rule("BR-CL-26", group=GROUP, bt=("BT-71-1",),
      en="The scheme '{value}' of the delivery location identifier (BT-71) is not an ISO 6523 ICD code",
      fr="Le schéma « {value} » de l'identifiant du lieu de livraison (BT-71) n'est pas un code ISO 6523 ICD",
      hint=f"Give the location identifier's schemeID as an ISO 6523 ICD code, e.g. {example('BR-CL-26', '0088')} "
           f"(GLN)")
def delivery_location_scheme(invoice: Invoice, context: CheckContext):
    location = invoice.delivery.location_id if invoice.delivery is not None else None
    coded = [("delivery.location_id.scheme", location.scheme)] if location is not None else []
    yield from _unlisted("BR-CL-26", coded + _bare(invoice, "location_id"))
