"""Supplier and recipient identifiers: of a type the platform knows, and valid for that type.

The supplier's identifier (BT-29, or BT-30, with its ISO 6523 scheme) names the structure that issues the invoice
on the platform. Chorus Pro knows these types (facts §5.1; the checks live in `edi_gateway.identifiers`, one
python-stdnum-style module per type):

| ICD  | platform type       | checked |
|------|---------------------|---------|
| 0009 | SIRET               | 14 digits, Luhn (La Poste: digit sum) — FR-SUP-02 |
| 0002 | SIREN               | 9 digits, Luhn — FR-SUP-02 |
| 0223 | UE_HORS_FRANCE      | EU VAT number, country format and check key; not a French one — FR-SUP-03 |
| 0227 | HORS_UE             | non-EU country code + company name (≤ 18) — FR-SUP-03; matches the seller — FR-SUP-04 |
| 0228 | RIDET               | 9 or 10 digits — FR-SUP-03 |
| 0229 | TAHITI              | 9 characters — FR-SUP-03 |
| 0226 | PARTICULIER         | sex, year and month of birth, place of birth — FR-SUP-03 |

Rule split, and why:

* FR-SUP-01: the supplier has identifiers, but none of a type the platform knows (BR-CO-26, the EN rule, already
  reports a supplier with no identifier at all; FR-SUP-01 never fires with it). A non-French EU VAT number in BT-31
  counts as the UE_HORS_FRANCE identifier, since that type *is* the VAT number.
* FR-SUP-02: a SIRET or SIREN that is not valid. Kept apart from the other types: it is by far the most frequent
  error, its fix is always the same (the INSEE number and its Luhn key), and it is the rule the recipient side
  (FR-REC-02) mirrors.
* FR-SUP-03: an identifier of one of the other types that is not valid for its type, one rule with the type and
  the reason in the message: a depositor reads which type and what is wrong, and the configuration can grade
  the foreign and overseas types as a whole (e.g. as a warning while they are phased in).
* FR-SUP-04 (warning): a non-EU identifier that is not the seller's country code and name. A coherence check
  between two terms, not a format check; a warning, because the platform builds this identifier from the name
  registered with it, which may be written differently in BT-27 (legal form, accents, abbreviations).

All supplier rules carry the reason code SIRET_ERR (supplier identifier wrong); the recipient rules DEST_INC.
"""

from __future__ import annotations

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from ... import identifiers as platform
from ...model import Identifier, Invoice, Party, Severity
from ..engine import CheckContext, Violation, rule
from .core import SEPA_CREDITOR_SCHEME, is_identified

GROUP = "Identifiers"
SCHEME_SIRET = "0009"
SCHEME_SIREN = "0002"
SCHEME_EU_VAT = platform.eu_vat.SCHEME
SCHEME_NON_EU = platform.non_eu.SCHEME
FRENCH_SCHEMES = {SCHEME_SIRET: ("SIRET", 14), SCHEME_SIREN: ("SIREN", 9)}

#: Other types: (name in French, what to give).
OTHER_TYPES = {
    platform.eu_vat.SCHEME: (
        "numéro de TVA intracommunautaire",
        ("the intra-EU VAT number with its country prefix (EL for Greece), as VIES knows it; a supplier "
         "established in France is identified by its SIRET (scheme 0009)")),
    platform.non_eu.SCHEME: (
        "identifiant hors UE",
        ("the ISO country code followed by the first 16 characters of the company name without spaces "
         "(18 characters at most); an EU supplier gives its VAT number (scheme 0223)")),
    platform.ridet.SCHEME: (
        "RIDET",
        "the RIDET: the 6- or 7-digit RID number and the 3-digit establishment rank (9 or 10 digits)"),
    platform.tahiti.SCHEME: (
        "numéro TAHITI",
        "the TAHITI number: 9 characters, a digit or a letter followed by 8 digits"),
    platform.private_person.SCHEME: (
        "identifiant de particulier",
        "the 10-character identifier: sex (1 or 2), year and month of birth, INSEE code of the place of birth"),
}
_REASONS_FR = ((InvalidChecksum, "clé de contrôle erronée"), (InvalidLength, "longueur erronée"),
               (InvalidComponent, "composant non valide (pays, mois, lieu…)"), (InvalidFormat, "format erroné"))


def _candidates(party: Party, role: str) -> list[tuple[str, Identifier]]:
    """(field path, identifier) of the party identifiers (BT-29 / BT-46) and the legal registration (BT-30)."""
    found = [(f"{role}.identifiers[{i}]", ident) for i, ident in enumerate(party.identifiers)]
    if party.legal_id is not None:
        found.append((f"{role}.legal_id", party.legal_id))
    return found


def _scheme(identifier: Identifier) -> str:
    return (identifier.scheme or "").strip()


def _foreign_eu_vat(vat_id: str | None) -> bool:
    """A VAT number of an EU member state other than France (it is the UE_HORS_FRANCE identifier)."""
    prefix = platform.eu_vat.compact(vat_id or "")[:2]
    return prefix in platform.eu_vat.PREFIXES and prefix != "FR"


@rule("FR-SUP-01", group=GROUP, bt=("BT-29", "BT-30", "BT-31"), reason_code="SIRET_ERR",
      en="The supplier has no identifier of a type the platform knows (found: {value})",
      fr="Le fournisseur n'a pas d'identifiant d'un type connu de la plateforme (trouvé : {found_fr})",
      hint="Give the supplier's SIRET with scheme 0009 (or its SIREN, 0002); a supplier established outside "
           "France gives its EU VAT number (0223) or its non-EU identifier (0227), in New Caledonia its RIDET "
           "(0228), in French Polynesia its TAHITI number (0229), a private person the identifier of scheme 0226")
def supplier_identified(invoice: Invoice, context: CheckContext):
    seller = invoice.seller
    if not is_identified(seller):
        return  # BR-CO-26
    if any(_scheme(ident) in platform.BY_SCHEME for _, ident in _candidates(seller, "seller")):
        return
    if _foreign_eu_vat(seller.vat_id):
        return
    shown = [ident for _, ident in _candidates(seller, "seller") if _scheme(ident) != SEPA_CREDITOR_SCHEME]
    found = [f"{ident.value} (scheme {ident.scheme or 'none'})" for ident in shown]
    found_fr = [f"{ident.value} (schéma {ident.scheme or 'aucun'})" for ident in shown]
    if (seller.vat_id or "").strip():
        found.append(f"VAT number {seller.vat_id}")
        found_fr.append(f"numéro de TVA {seller.vat_id}")
    yield Violation("seller.identifiers", ", ".join(found), {"found_fr": ", ".join(found_fr)})


@rule("FR-SUP-02", group=GROUP, bt=("BT-29", "BT-30"), reason_code="SIRET_ERR",
      en="The supplier's {kind} {value} is not valid: {reason}",
      fr="Le {kind} du fournisseur {value} n'est pas valide : {reason_fr}",
      hint="Check the supplier's {kind}: {digits} digits, with a valid Luhn check digit")
def supplier_identifier_valid(invoice: Invoice, context: CheckContext):
    yield from _invalid_french_ids(invoice, "seller")


@rule("FR-SUP-03", group=GROUP, bt=("BT-29", "BT-30"), reason_code="SIRET_ERR",
      en="The supplier's {kind} (scheme {scheme}) {value} is not valid: {reason}",
      fr="L'identifiant du fournisseur {value} ({kind_fr}, schéma {scheme}) n'est pas valide : {reason_fr}",
      hint="Give {what}")
def supplier_other_identifier_valid(invoice: Invoice, context: CheckContext):
    for path, ident in _candidates(invoice.seller, "seller"):
        scheme = _scheme(ident)
        if scheme not in OTHER_TYPES:
            continue
        kind_fr, what = OTHER_TYPES[scheme]
        params = {"kind": platform.kind(scheme), "kind_fr": kind_fr, "scheme": scheme, "what": what}
        if scheme == SCHEME_EU_VAT and platform.eu_vat.compact(ident.value).startswith("FR"):
            yield Violation(path, ident.value, {
                **params, "reason": "a supplier established in France is identified by its SIRET (scheme 0009), "
                                    "not by its VAT number",
                "reason_fr": "un fournisseur établi en France est identifié par son SIRET (schéma 0009), pas par "
                             "son numéro de TVA"})
            continue
        error = platform.validation_error(scheme, ident.value)
        if error is not None:
            yield Violation(path, ident.value, {**params, "reason": str(error) or "not valid",
                                                "reason_fr": _reason_fr(error)})


def _reason_fr(error: ValidationError) -> str:
    for kind, text in _REASONS_FR:
        if isinstance(error, kind):
            return text
    return "non valide"


@rule("FR-SUP-04", group=GROUP, bt=("BT-29", "BT-27", "BT-40"), severity=Severity.WARNING, reason_code="SIRET_ERR",
      en="The supplier's non-EU identifier {value} is not its country code and name ({expected})",
      fr="L'identifiant hors UE du fournisseur {value} ne correspond pas à son code pays et à son nom ({expected})",
      hint="The platform builds this identifier from the country code (BT-40) and the first 16 characters of the "
           "company name (BT-27) without spaces: {expected}")
def non_eu_identifier_matches_seller(invoice: Invoice, context: CheckContext):
    seller = invoice.seller
    name = (seller.name or "").strip()
    seller_country = (seller.address.country or "").strip().upper()
    for path, ident in _candidates(seller, "seller"):
        if _scheme(ident) != SCHEME_NON_EU or not platform.non_eu.is_valid(ident.value) or not name:
            continue
        compact = platform.non_eu.compact(ident.value)
        if platform.non_eu.matches_name(compact, name) and (not seller_country or compact[:2] == seller_country):
            continue
        expected = (seller_country or compact[:2]) + "".join(name.split())[:platform.non_eu.NAME_LENGTH]
        yield Violation(path, ident.value, {"expected": expected})


@rule("FR-REC-01", group=GROUP, bt=("BT-46",), reason_code="DEST_INC",
      en="The recipient public structure is not identified by a SIRET (BT-46 buyer identifier, scheme 0009)",
      fr="La structure publique destinataire n'est pas identifiée par un SIRET (BT-46, identifiant acheteur, "
         "schéma 0009)",
      hint="Give the SIRET of the recipient public structure, with scheme 0009")
def recipient_identified(invoice: Invoice, context: CheckContext):
    if invoice.buyer.identifier(SCHEME_SIRET) is None:
        found = invoice.buyer.identifier()
        yield Violation("buyer.identifiers", None if found is None else f"{found.value} (scheme {found.scheme})")


@rule("FR-REC-02", group=GROUP, bt=("BT-46",), reason_code="DEST_INC",
      en="The recipient's {kind} {value} is not valid: {reason}",
      fr="Le {kind} du destinataire {value} n'est pas valide : {reason_fr}",
      hint="Check the recipient's {kind}: {digits} digits, with a valid Luhn check digit")
def recipient_identifier_valid(invoice: Invoice, context: CheckContext):
    yield from _invalid_french_ids(invoice, "buyer")


def _invalid_french_ids(invoice: Invoice, role: str):
    for path, ident in _candidates(getattr(invoice, role), role):
        scheme = _scheme(ident)
        if scheme not in FRENCH_SCHEMES:
            continue
        kind, digits = FRENCH_SCHEMES[scheme]
        error = platform.validation_error(scheme, ident.value)
        if error is not None:
            yield Violation(path, ident.value, {"kind": kind, "digits": digits, "reason": str(error),
                                               "reason_fr": _reason_fr(error)})
