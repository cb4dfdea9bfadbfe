"""French TVA controls: rates in force, categories, exemption and reverse-charge mentions, arithmetic, VAT numbers.

Only what French law or the platform asks beyond EN 16931. Where EN 16931 already enforces a French requirement, the
EN rule (implemented in `core`, `calculation`, `vat_categories`, `codelists`, `decimals`) is the control and no
gateway rule repeats it:

| French requirement | source | rule |
|---|---|---|
| HT + TVA = TTC; totals add up | CGI ann. II 242 nonies A I 11°; G1.53 | BR-CO-10 … BR-CO-16 |
| VAT total = sum of the VAT per rate | G1.53 | BR-CO-14 |
| net total = sum of the VAT bases | G1.53 | BR-CO-13 with BR-S-08, BR-Z-08, BR-E-08, BR-AE-08, BR-IC-08, BR-G-08, BR-O-08 |
| VAT per rate = base × rate (EN tolerance ±1.00) | CGI 242 nonies A I 11° | BR-S-09, BR-CO-17 (±0.01: FR-TVA-08) |
| one VAT breakdown per category and rate | CGI 242 nonies A I 11° | BR-CO-18, BR-S-01, BR-E-01, BR-AE-01 … |
| every line has a VAT category / a rate | CGI 242 nonies A I 10° | BR-CO-04, BR-S-05, BR-E-05, BR-AE-05 … |
| standard rate > 0; exempt, reverse charge, intra-EU, export at 0 | CGI 278 ff. | BR-S-05 … BR-S-07, BR-E-05 … BR-E-07, BR-AE-05 … |
| "exonéré" makes the VAT amount zero | platform guide | BR-E-09 (and BR-AE-09, BR-IC-09, BR-G-09, BR-Z-09, BR-O-09) |
| exemption: a reason (text or code) | CGI 242 nonies A I 13° | BR-E-10 (both text and code: FR-TVA-04) |
| reverse charge: seller and buyer VAT ids | CGI 242 nonies A I 4° | BR-AE-02 … BR-AE-04 |
| reverse charge: "Reverse charge" text or code | Directive 2006/112 art. 226 (11a) | BR-AE-10 ("Autoliquidation": FR-TVA-05) |
| seller VAT id, or tax registration id, or tax representative VAT id, for S/Z/E lines | CGI 242 nonies A I 2° | BR-S-02 … BR-S-04, BR-Z-02, BR-E-02 (VAT id itself: FR-TVA-12) |
| VAT ids start with an ISO 3166 country code | – | BR-CO-09 (check keys: FR-TVA-10) |
| VAT category codes from UNCL 5305 | G2.31 | BR-CL-18 (S/E/AE/K/G/O/Z only: FR-TVA-03) |
| currency code ISO 4217 | G1.10 | BR-CL-04, BR-CL-05 |
| BT-6 present ⇒ BT-111 present | G1.12 | BR-53 (non-EUR ⇒ BT-6 = EUR: FR-TVA-09) |
| BT-7 and BT-8 mutually exclusive | G1.43 | BR-CO-03 |
| amounts 2 decimals | G1.14 | BR-DEC-xx |
| item net price / gross price not negative | G1.16 | BR-27, BR-28 |

Gateway rules (this module), and why each goes beyond EN 16931:

* FR-TVA-01 (fatal): a standard-rated rate that is no French rate at all (G1.24 list). EN only asks S > 0.
* FR-TVA-02 (warning): a rate of the G1.24 list that is not in force where the operation takes place (mainland,
  Corsica, overseas departments), or a historic rate (7, 9.2, 9.6, 19.6, 20.6: none is in force since 2014).
  A warning: where an operation is taxed can only be approximated from addresses, and a historic rate is right
  on a credit note correcting an old invoice.
* FR-TVA-03 (fatal): categories L (IGIC), M (IPSI) and B (split payment) are valid UNCL 5305 codes but no French
  VAT category (G2.31 accepts S, E, AE, K, G, O, Z).
* FR-TVA-04 (fatal): exempt (E) needs both the VATEX code (BT-121) and the text (BT-120) (G1.41; the text is
  the legal reference CGI 242 nonies A I 13° asks for). EN is satisfied with either.
* FR-TVA-05 (warning): reverse charge (AE) carries the French mention "Autoliquidation" (CGI 283-2,
  CGI ann. II 242 nonies A I 13°), in BT-120, a note (BT-22) or a line note (BT-127).
* FR-TVA-06 (fatal): line net amount (BT-131) = quantity (BT-129) × net price (BT-146) ÷ base quantity (BT-149)
  + line charges (BT-141) − line allowances (BT-136), within 0.01. EN 16931 defines BT-131 so but checks nothing.
* FR-TVA-07 (fatal): net price (BT-146) = gross price (BT-148) − discount (BT-147), within 0.01 (G1.55).
* FR-TVA-08 (warning): VAT per standard-rated rate (BT-117) = base (BT-116) × rate (BT-119), within 0.01, where EN
  (BR-S-09) tolerates up to 1.00. Fires only when BR-S-09 is satisfied (never both). A warning: some systems
  round per line, which may shift a few cents legitimately.
* FR-TVA-09 (fatal): an invoice not in EUR gives the VAT in euros: BT-6 = EUR, and BT-111 with it (G1.12;
  Directive 2006/112 art. 230). EN's BR-53 then asks for BT-111.
* FR-TVA-10 (fatal): a VAT identifier (BT-31, BT-48, BT-63) with an EU prefix has a valid check key
  (python-stdnum: `stdnum.fr.tva` for FR, `stdnum.eu.vat` for the other member states). Non-EU prefixes are not
  checked (no public check for most).
* FR-TVA-11 (warning): a French seller VAT number is FR + key + the seller's SIREN (BT-30, or the first 9 digits
  of the SIRET). A warning: a member of a single VAT group ("assujetti unique", G1.76) uses the group's number.
* FR-TVA-12 (fatal): the seller's VAT number (BT-31, or the tax representative's BT-63) is required when French
  VAT is charged at the standard rate on more than 150 EUR before tax (CGI ann. II 242 nonies A, platform guide:
  "required for operations over 150 EUR"), and on exempt operations (G1.47). It fires only where EN's
  BR-S-02/BR-E-02 are satisfied by a tax registration identifier (BT-32) alone, so never together with them.
  The threshold is read on BT-109 (absolute value, for credit notes), in the invoice currency.

Official counterparts: the French CTC artefact (XP Z12-012, run by `--strict`, graded as warnings) checks the same
G1.24 list (BR-FR-16, for FR-TVA-01), the categories (BR-FR-15, for FR-TVA-03) and the non-EUR case (BR-FR-CO-12, for
FR-TVA-09) under its own ids; it has no territory, arithmetic, mention or check-key rule.

Scope. French invoicing rules apply to operations taxed in France (Directive 2006/112 art. 219a): every rule here
but FR-TVA-10 checks only invoices under French VAT, i.e. whose seller is established in France (BT-40 FR, GP, MQ,
RE, or MC, which applies French VAT) or is identified for VAT in France (BT-31 or BT-63 starting with FR). A foreign
supplier may rightly charge its own country's VAT to a French public buyer (services to a non-taxable person are
taxed where the supplier is established): its invoice is checked by EN 16931 only. The same gate keeps the reform's
arithmetic rules (G1.55) to the reform's scope, taxable persons established in France.

Territory (FR-TVA-02). Rates in force (DGFiP, "Guide de la TVA à l'usage des collectivités locales", annexe 2,
2016; CGI 278 ff., 296 for the overseas departments, 297 for Corsica):

* mainland France (and Monaco): 20, 10, 5.5, 2.1;
* Corsica: 20, 13, 10, 5.5, 2.1, 0.9 (CGI 297 adds 13, 10, 2.1 and 0.9 to the mainland rates; the 5.5 % reduced
  rate applies there too);
* Guadeloupe, Martinique, Réunion: 8.5, 2.1, 1.75, 1.05 (CGI 296, 296 ter).

An address tells its territory by its country (GP, MQ, RE; MC = mainland) or, in France, by its postcode: 20xxx
Corsica; 971xx, 972xx, 974xx overseas departments (but 97133 Saint-Barthélemy and 97150 Saint-Martin, outside
French VAT); 973xx Guyane and 976xx Mayotte, where VAT does not apply yet (CGI 294), and 975xx, 977xx, 978xx, 984xx
to 988xx: outside French VAT; 980xx Monaco; any other 5-digit postcode mainland. Where an operation is taxed
depends on what is sold (goods: where they are delivered; works: where the building is; services to a taxable
buyer: where the buyer is established; to a non-taxable one: where the seller is). The gateway does not know
which, so it takes every territory the delivery address (BG-15), the seller (BG-5) and the buyer (BG-8) lie in,
and accepts a rate in force in any of them. When one of these addresses is French with no readable postcode (a CSV
deposit carries no address), the territory is unknown and any rate in force somewhere in France is accepted.
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.fr import tva

from ...model import Address, Invoice, Severity
from ...text import fold
from ..codes import ISO_4217, listed
from ..engine import CheckContext, Violation, rule

GROUP = "TVA (France)"
TOLERANCE = Decimal("0.01")
_ZERO, _ONE = Decimal(0), Decimal(1)
SIMPLIFIED_INVOICE_LIMIT = Decimal(150)  # EUR before tax


def _rates(text: str) -> frozenset[Decimal]:
    return frozenset(Decimal(rate) for rate in text.split())


#: Every rate the reform's F1 list accepts (ANX7 G1.24), historic ones included.
FRENCH_RATES = _rates("0 0.9 1.05 1.75 2.1 5.5 7 8.5 9.2 9.6 10 13 19.6 20 20.6")
MAINLAND, CORSICA, OVERSEAS = "mainland", "corsica", "overseas"
RATES_IN_FORCE: dict[str, frozenset[Decimal]] = {
    MAINLAND: _rates("20 10 5.5 2.1"),
    CORSICA: _rates("20 13 10 5.5 2.1 0.9"),
    OVERSEAS: _rates("8.5 2.1 1.75 1.05"),
}
ALL_RATES_IN_FORCE = frozenset().union(*RATES_IN_FORCE.values())
TERRITORY_NAMES = {
    MAINLAND: ("mainland France", "la France continentale"),
    CORSICA: ("Corsica", "la Corse"),
    OVERSEAS: ("Guadeloupe, Martinique and Réunion", "la Guadeloupe, la Martinique et La Réunion"),
}
_UNKNOWN, _OUTSIDE = "unknown", "outside"  # a French address without a postcode; French but outside French VAT

#: VAT categories of UNCL 5305 (BR-CL-18) that French VAT knows (ANX7 G2.31); L, M and B are refused.
FRENCH_CATEGORIES = frozenset({"S", "E", "AE", "K", "G", "O", "Z"})
REFUSED_CATEGORIES = {"L": ("IGIC, Canary Islands", "IGIC, îles Canaries"),
                      "M": ("IPSI, Ceuta and Melilla", "IPSI, Ceuta et Melilla"),
                      "B": ("split payment, Italy", "paiement scindé, Italie")}

#: Countries whose sellers charge French VAT: France, its overseas departments where VAT applies, and Monaco.
FRENCH_VAT_COUNTRIES = frozenset({"FR", "GP", "MQ", "RE", "MC"})
_COUNTRY_TERRITORY = {"GP": OVERSEAS, "MQ": OVERSEAS, "RE": OVERSEAS, "MC": MAINLAND,
                      "GF": _OUTSIDE, "YT": _OUTSIDE, "PM": _OUTSIDE, "BL": _OUTSIDE, "MF": _OUTSIDE,
                      "WF": _OUTSIDE, "PF": _OUTSIDE, "NC": _OUTSIDE, "TF": _OUTSIDE}


# ------------------------------------------------------------------------------------------------------------------
# Shared helpers (`mentions` uses some)
# ------------------------------------------------------------------------------------------------------------------
def country(address: Address | None) -> str:
    """The ISO country code of an address, upper case ('' when none)."""
    return (address.country or "").strip().upper() if address is not None else ""


def _is_french_vat_id(vat_id: str | None) -> bool:
    return bool(vat_id) and vat_id.strip().upper().startswith("FR")


def under_french_vat(invoice: Invoice) -> bool:
    """Whether the invoice falls under French VAT: its seller is established in France (BT-40 FR, GP, MQ, RE, or
    MC) or identified for VAT in France (BT-31, or the tax representative's BT-63, starting with FR)."""
    representative = invoice.seller_tax_representative
    return (_is_french_vat_id(invoice.seller.vat_id)
            or (representative is not None and _is_french_vat_id(representative.vat_id))
            or country(invoice.seller.address) in FRENCH_VAT_COUNTRIES)


def territory(address: Address | None) -> str | None:
    """The VAT territory of an address: MAINLAND, CORSICA or OVERSEAS; "outside" (French, but outside French VAT);
    "unknown" (in France, postcode missing or unreadable); None (not in France, or no address)."""
    code = country(address)
    if code in _COUNTRY_TERRITORY:
        return _COUNTRY_TERRITORY[code]
    if code != "FR":
        return None
    postcode = re.sub(r"\s", "", address.postcode or "")
    if not re.fullmatch(r"[0-9]{5}", postcode):
        return _UNKNOWN
    if postcode.startswith("20"):
        return CORSICA
    if postcode.startswith(("971", "972", "974")):
        return _OUTSIDE if postcode in ("97133", "97150") else OVERSEAS
    if postcode.startswith("980"):
        return MAINLAND  # Monaco
    if postcode.startswith(("97", "98")):
        return _OUTSIDE
    return MAINLAND


def operation_territories(invoice: Invoice) -> set[str] | None:
    """The territories the operation may be taxed in, after the delivery, seller and buyer addresses; None when
    one of them is French without a readable postcode, or none is in French VAT territory (unknown)."""
    addresses = (invoice.delivery.address if invoice.delivery else None, invoice.seller.address,
                 invoice.buyer.address)
    found = {territory(address) for address in addresses} - {None, _OUTSIDE}
    if not found or _UNKNOWN in found:
        return None
    return found


def rates_in_force(territories: set[str] | None) -> frozenset[Decimal]:
    """The standard-category rates in force in any of `territories` (in any French territory when None)."""
    if territories is None:
        return ALL_RATES_IN_FORCE
    return frozenset().union(*(RATES_IN_FORCE[name] for name in territories))


def show_rate(rate: Decimal) -> str:
    """20.00 -> '20', 5.50 -> '5.5'."""
    return f"{rate.normalize():f}"


def _show_rates(rates) -> str:
    return ", ".join(show_rate(rate) for rate in sorted(rates, reverse=True))


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _vat_places(invoice: Invoice) -> Iterator[tuple[str, int, object, str, Decimal | None]]:
    """(kind, position, item, category, rate) of every VAT breakdown, line and document-level allowance or charge;
    `_place_names` says where one is, for a violation only (building the names of every place cost more than
    the checks)."""
    for i, group in enumerate(invoice.vat_breakdown):
        yield "vat_breakdown", i, group, _category(group.category), group.rate
    for i, line in enumerate(invoice.lines):
        yield "lines", i, line, _category(line.vat_category), line.vat_rate
    for i, ac in enumerate(invoice.allowances_charges):
        yield "allowances_charges", i, ac, _category(ac.vat_category), ac.vat_rate


def _place_names(kind: str, i: int, item) -> tuple[str, str, str, str]:
    """(field path of the rate, field path of the category, where in English, where in French) of a place."""
    if kind == "vat_breakdown":
        return (f"vat_breakdown[{i}].rate", f"vat_breakdown[{i}].category", f"VAT breakdown {i + 1}",
                f"récapitulatif de TVA {i + 1}")
    if kind == "lines":
        label = item.id or i + 1
        return f"lines[{i}].vat_rate", f"lines[{i}].vat_category", f"line {label}", f"ligne {label}"
    what, what_fr = ("charge", "frais") if item.is_charge else ("allowance", "remise")
    return (f"allowances_charges[{i}].vat_rate", f"allowances_charges[{i}].vat_category",
            f"document-level {what} {i + 1}", f"{what_fr} au niveau du document {i + 1}")


def _category(code: str | None) -> str:
    return (code or "").strip().upper()


def _standard_rates(invoice: Invoice):
    """(kind, position, item, rate) of every positive standard-rated (S) rate: S at 0 is BR-S-05's."""
    for kind, i, item, category, rate in _vat_places(invoice):
        if category == "S" and rate is not None and rate > 0:
            yield kind, i, item, rate


# ------------------------------------------------------------------------------------------------------------------
# Rates and categories
# ------------------------------------------------------------------------------------------------------------------
@rule("FR-TVA-01", group=GROUP, bt=("BT-119", "BT-152", "BT-96", "BT-103"), reason_code="TX_TVA_ERR",
      en="The VAT rate {value} % of {where} (category S, standard rate) is not a French VAT rate",
      fr="Le taux de TVA {value} % ({where_fr}, catégorie S, taux normal) n'est pas un taux de TVA français",
      hint="Use a French VAT rate: 20, 10, 5.5 or 2.1 in mainland France; 20, 13, 10, 5.5, 2.1 or 0.9 in "
           "Corsica; 8.5, 2.1, 1.75 or 1.05 in Guadeloupe, Martinique and Réunion")
def french_rate(invoice: Invoice, context: CheckContext):
    if not under_french_vat(invoice):
        return
    for kind, i, item, rate in _standard_rates(invoice):
        if rate not in FRENCH_RATES:
            path, _, where, where_fr = _place_names(kind, i, item)
            yield Violation(path, show_rate(rate), {"where": where, "where_fr": where_fr})


@rule("FR-TVA-02", group=GROUP, bt=("BT-119", "BT-152", "BT-96", "BT-103"), severity=Severity.WARNING,
      reason_code="TX_TVA_ERR",
      en="The VAT rate {value} % of {where} is not in force in {territory} (rates in force there: {rates})",
      fr="Le taux de TVA {value} % ({where_fr}) n'est pas en vigueur pour {territory_fr} (taux en vigueur : "
         "{rates})",
      hint="Check the rate against the place of the operation ({territory}: {rates}); a historic rate (19.6, 7, "
           "9.2, 9.6, 20.6) only fits an operation taxed before 2014")
def rate_in_force(invoice: Invoice, context: CheckContext):
    if not under_french_vat(invoice):
        return
    territories = operation_territories(invoice)
    allowed = rates_in_force(territories)
    if territories is None:
        place, place_fr = "France", "la France"
    else:
        ordered = [name for name in TERRITORY_NAMES if name in territories]
        place = " or ".join(TERRITORY_NAMES[name][0] for name in ordered)
        place_fr = " ou ".join(TERRITORY_NAMES[name][1] for name in ordered)
    for kind, i, item, rate in _standard_rates(invoice):
        if rate in FRENCH_RATES and rate not in allowed:
            path, _, where, where_fr = _place_names(kind, i, item)
            yield Violation(path, show_rate(rate), {
                "where": where, "where_fr": where_fr, "territory": place, "territory_fr": place_fr,
                "rates": _show_rates(allowed)})


@rule("FR-TVA-03", group=GROUP, bt=("BT-118", "BT-151", "BT-95", "BT-102"),
      en="The VAT category {value} ({meaning}; {where}) is not a French VAT category",
      fr="La catégorie de TVA {value} ({meaning_fr} ; {where_fr}) n'est pas une catégorie de TVA française",
      hint="Use a French VAT category: S (standard), Z (zero rated), E (exempt), AE (reverse charge), K "
           "(intra-EU supply), G (export), O (outside the scope of VAT)")
def french_category(invoice: Invoice, context: CheckContext):
    if not under_french_vat(invoice):
        return
    for kind, i, item, category, _rate in _vat_places(invoice):
        if category in REFUSED_CATEGORIES:
            _, field, where, where_fr = _place_names(kind, i, item)
            meaning, meaning_fr = REFUSED_CATEGORIES[category]
            yield Violation(field, category, {"meaning": meaning, "meaning_fr": meaning_fr, "where": where,
                                              "where_fr": where_fr})


# ------------------------------------------------------------------------------------------------------------------
# Exemption and reverse charge mentions
# ------------------------------------------------------------------------------------------------------------------
@rule("FR-TVA-04", group=GROUP, bt=("BT-120", "BT-121"),
      en="The exempt VAT breakdown {group} (category E) has no {missing}: French invoices give both the VATEX "
         "code and the text of the exemption",
      fr="Le récapitulatif de TVA exonéré {group} (catégorie E) n'a pas de {missing_fr} : une facture française "
         "porte à la fois le code VATEX et le libellé de l'exonération",
      hint="Give both the exemption reason code (BT-121, e.g. VATEX-FR-CGI261-4) and the text naming the legal "
           "provision (BT-120, e.g. \"Exonération de TVA, article 261-4-4° du CGI\")")
def exemption_code_and_text(invoice: Invoice, context: CheckContext):
    if not under_french_vat(invoice):
        return
    for i, group in enumerate(invoice.vat_breakdown):
        if _category(group.category) != "E":
            continue
        has_code, has_text = bool((group.exemption_code or "").strip()), bool((group.exemption_reason or "").strip())
        if has_text and not has_code:
            yield Violation(f"vat_breakdown[{i}].exemption_code", group.exemption_reason, {
                "group": i + 1, "missing": "exemption reason code (BT-121)",
                "missing_fr": "code de motif d'exonération (BT-121)"})
        elif has_code and not has_text:
            yield Violation(f"vat_breakdown[{i}].exemption_reason", group.exemption_code, {
                "group": i + 1, "missing": "exemption reason text (BT-120)",
                "missing_fr": "libellé du motif d'exonération (BT-120)"})
        # neither: BR-E-10


_AUTOLIQUIDATION = re.compile(r"auto[\s-]?liquid")


@rule("FR-TVA-05", group=GROUP, bt=("BT-120", "BT-22"), severity=Severity.WARNING,
      en="The invoice is reverse charged (category AE) but does not carry the mention \"Autoliquidation\"",
      fr="La facture est en autoliquidation (catégorie AE) mais ne porte pas la mention « Autoliquidation »",
      hint="Write \"Autoliquidation\" in the exemption reason text of the AE VAT breakdown (BT-120) or in an "
           "invoice note (BT-22)")
def autoliquidation_mention(invoice: Invoice, context: CheckContext):
    if not under_french_vat(invoice):
        return
    groups = [i for i, group in enumerate(invoice.vat_breakdown) if _category(group.category) == "AE"]
    if not groups:
        return
    texts = [group.exemption_reason for group in invoice.vat_breakdown] + list(invoice.notes)
    texts += [line.note for line in invoice.lines]
    if not any(text and _AUTOLIQUIDATION.search(fold(text)) for text in texts):
        group = invoice.vat_breakdown[groups[0]]
        yield Violation(f"vat_breakdown[{groups[0]}].exemption_reason",
                        group.exemption_reason or group.exemption_code)


# ------------------------------------------------------------------------------------------------------------------
# Arithmetic with a stated tolerance
# ------------------------------------------------------------------------------------------------------------------
def expected_line_net(line) -> Decimal | None:
    """BT-129 × BT-146 ÷ BT-149 + Σ BT-141 − Σ BT-136, exact (None when an operand is missing or unusable)."""
    if line.quantity is None or line.net_price is None or line.net_price < 0:
        return None  # a negative net price is BR-27's
    base = line.price_base_quantity if line.price_base_quantity is not None else _ONE
    if base <= 0:
        return None
    if not line.allowances_charges:  # most lines: no generator to set up
        return line.quantity * line.net_price / base
    if any(ac.amount is None for ac in line.allowances_charges):
        return None
    adjustments = sum((ac.amount if ac.is_charge else -ac.amount for ac in line.allowances_charges), _ZERO)
    return line.quantity * line.net_price / base + adjustments


@rule("FR-TVA-06", group=GROUP, bt=("BT-131", "BT-129", "BT-146", "BT-149", "BT-136", "BT-141"),
      reason_code="CALCUL_ERR",
      en="The net amount of line {line} (BT-131) = {value} does not match quantity × net price ÷ base quantity "
         "+ charges − allowances = {expected} (tolerance 0.01)",
      fr="Le montant net de la ligne {line} (BT-131) = {value} ne correspond pas à quantité × prix net ÷ quantité "
         "de base + frais − remises = {expected} (tolérance 0,01)",
      hint="Set the line net amount to {expected}, or correct the quantity, the unit price or its base quantity")
def line_net_amount(invoice: Invoice, context: CheckContext):
    if not under_french_vat(invoice):
        return
    for i, line in enumerate(invoice.lines):
        expected = expected_line_net(line)
        if expected is None or line.net_amount is None:
            continue
        if abs(line.net_amount - expected) > TOLERANCE:
            yield Violation(f"lines[{i}].net_amount", line.net_amount,
                            {"line": line.id or i + 1, "expected": cents(expected)})


@rule("FR-TVA-07", group=GROUP, bt=("BT-146", "BT-147", "BT-148"), reason_code="CALCUL_ERR",
      en="The net price of line {line} (BT-146) = {value} does not equal the gross price minus the price discount "
         "(BT-148 − BT-147) = {expected} (tolerance 0.01)",
      fr="Le prix net de la ligne {line} (BT-146) = {value} n'est pas égal au prix brut moins la remise sur prix "
         "(BT-148 − BT-147) = {expected} (tolérance 0,01)",
      hint="Set the net price to {expected}, or correct the gross price or the discount")
def net_price(invoice: Invoice, context: CheckContext):
    if not under_french_vat(invoice):
        return
    for i, line in enumerate(invoice.lines):
        if line.gross_price is None or line.net_price is None or line.gross_price < 0 or line.net_price < 0:
            continue  # negative prices are BR-27's and BR-28's
        expected = line.gross_price - (line.price_discount or Decimal(0))
        if abs(line.net_price - expected) > TOLERANCE:
            yield Violation(f"lines[{i}].net_price", line.net_price, {"line": line.id or i + 1, "expected": expected})


@rule("FR-TVA-08", group=GROUP, bt=("BT-117", "BT-116", "BT-119"), severity=Severity.WARNING,
      reason_code="CALCUL_ERR",
      en="The VAT amount of VAT breakdown {group} (BT-117) = {value} differs by more than 0.01 from its taxable "
         "amount × rate (BT-116 × BT-119) = {expected}",
      fr="Le montant de TVA du récapitulatif {group} (BT-117) = {value} s'écarte de plus de 0,01 de la base × le "
         "taux (BT-116 × BT-119) = {expected}",
      hint="Compute the VAT on the taxable amount of each rate and round it to the cent: {expected}")
def vat_amount_to_the_cent(invoice: Invoice, context: CheckContext):
    if not under_french_vat(invoice):
        return
    for i, group in enumerate(invoice.vat_breakdown):
        if (_category(group.category) != "S" or group.rate is None or group.taxable_amount is None
                or group.tax_amount is None):
            continue
        expected = cents(abs(group.taxable_amount) * group.rate / 100)
        gap = abs(abs(group.tax_amount) - expected)
        if TOLERANCE < gap < 1:  # from 1.00 on, BR-S-09 and BR-CO-17 report it
            signed = expected if group.taxable_amount >= 0 else -expected
            yield Violation(f"vat_breakdown[{i}].tax_amount", group.tax_amount, {"group": i + 1, "expected": signed})


# ------------------------------------------------------------------------------------------------------------------
# Currency
# ------------------------------------------------------------------------------------------------------------------
@rule("FR-TVA-09", group=GROUP, bt=("BT-5", "BT-6", "BT-111"),
      en="The invoice is in {currency}: the VAT accounting currency (BT-6) must be EUR, with the VAT total in "
         "euros (BT-111); BT-6 is {found}",
      fr="La facture est en {currency} : la devise de comptabilisation de la TVA (BT-6) doit être EUR, avec le "
         "total de TVA en euros (BT-111) ; BT-6 : {found_fr}",
      hint="Give BT-6 = EUR and the invoice total VAT amount in euros (BT-111)")
def vat_in_euros(invoice: Invoice, context: CheckContext):
    if not under_french_vat(invoice):
        return
    currency = (invoice.currency or "").strip().upper()
    if not currency or currency == "EUR" or not listed(currency, ISO_4217):
        return  # missing or not an ISO 4217 code: BR-05, BR-CL-04
    tax_currency = (invoice.tax_currency or "").strip().upper()
    if tax_currency != "EUR":
        yield Violation("tax_currency", invoice.tax_currency, {
            "currency": currency, "found": tax_currency or "missing", "found_fr": tax_currency or "absente"})


# ------------------------------------------------------------------------------------------------------------------
# VAT identifiers
# ------------------------------------------------------------------------------------------------------------------
_VAT_SEPARATORS = re.compile(r"[\s.\-/]")
_VAT_PREFIXES = frozenset(code.upper() for code in eu_vat.MEMBER_STATES) | {"EL"}


@lru_cache(maxsize=8192)  # a lot names the same few suppliers again and again
def vat_number_problem(number: str) -> tuple[str, str] | None:
    """None when `number` is a valid VAT number of an EU member state or has a non-EU prefix (not checked);
    otherwise why not, in English and French."""
    compact = _VAT_SEPARATORS.sub("", number).upper()
    prefix = compact[:2]
    if prefix not in _VAT_PREFIXES:
        return None  # not an EU VAT number; BR-CO-09 checks the prefix is a country code
    try:
        if prefix == "FR":
            tva.validate(compact)
        else:
            eu_vat.validate(compact)
    except InvalidChecksum:
        return "wrong check key", "clé de contrôle erronée"
    except InvalidLength:
        return "wrong length", "longueur erronée"
    except (InvalidFormat, InvalidComponent):
        return "wrong format", "format erroné"
    except ValidationError:
        return "not valid", "non valide"
    return None


_VAT_PARTIES = (
    ("seller.vat_id", "seller", "BT-31", "seller", "du vendeur"),
    ("buyer.vat_id", "buyer", "BT-48", "buyer", "de l'acheteur"),
    ("seller_tax_representative.vat_id", "seller_tax_representative", "BT-63", "seller's tax representative",
     "du représentant fiscal du vendeur"),
)


@rule("FR-TVA-10", group=GROUP, bt=("BT-31", "BT-48", "BT-63"),
      en="The {party} VAT identifier ({bt}) {value} is not a valid VAT number: {reason}",
      fr="Le numéro de TVA {party_fr} ({bt}) {value} n'est pas valide : {reason_fr}",
      hint="Copy the {party} VAT number exactly as registered (country prefix, key and number; VIES shows EU "
           "numbers); a French one is FR, a 2-character key and the SIREN")
def vat_number_valid(invoice: Invoice, context: CheckContext):
    for path, role, bt, party, party_fr in _VAT_PARTIES:
        holder = getattr(invoice, role)
        number = holder.vat_id if holder is not None else None
        if not number or not number.strip():
            continue
        problem = vat_number_problem(number)
        if problem is not None:
            yield Violation(path, number, {"party": party, "party_fr": party_fr, "bt": bt, "reason": problem[0],
                                           "reason_fr": problem[1]})


def seller_siren(invoice: Invoice) -> str | None:
    """The seller's SIREN: BT-30 with scheme 0002, else the first 9 digits of a SIRET (scheme 0009)."""
    legal = invoice.seller.legal_id
    if legal is not None and legal.scheme == "0002" and re.fullmatch(r"[0-9]{9}", re.sub(r"\s", "", legal.value)):
        return re.sub(r"\s", "", legal.value)
    siret = invoice.seller.identifier("0009")
    if siret is not None:
        digits = re.sub(r"\s", "", siret.value)
        if re.fullmatch(r"[0-9]{14}", digits):
            return digits[:9]
    return None


@rule("FR-TVA-11", group=GROUP, bt=("BT-31", "BT-30", "BT-29"), severity=Severity.WARNING,
      en="The seller's French VAT number {value} is not built on the seller's SIREN {siren}",
      fr="Le numéro de TVA français du vendeur {value} n'est pas construit sur le SIREN du vendeur {siren}",
      hint="A French VAT number is FR, a 2-character key and the company's SIREN ({siren}): check both numbers "
           "(a member of a single VAT group uses the group's number)")
def vat_number_matches_siren(invoice: Invoice, context: CheckContext):
    number = invoice.seller.vat_id
    if not _is_french_vat_id(number) or vat_number_problem(number) is not None:
        return
    siren = seller_siren(invoice)
    compact = _VAT_SEPARATORS.sub("", number).upper()
    if siren is not None and compact[4:] != siren:
        yield Violation("seller.vat_id", number, {"siren": siren})


def _categories(invoice: Invoice) -> set[str]:
    return {category for _, _, _, category, _ in _vat_places(invoice)}


@rule("FR-TVA-12", group=GROUP, bt=("BT-31", "BT-63", "BT-32"),
      en="The seller's VAT identifier (BT-31) is required ({why}); the tax registration identifier (BT-32) "
         "{value} does not replace it",
      fr="Le numéro de TVA intracommunautaire du vendeur (BT-31) est obligatoire ({why_fr}) ; l'identifiant "
         "fiscal (BT-32) {value} ne le remplace pas",
      hint="Give the seller's intra-community VAT number (FR, key, SIREN) in BT-31, or that of its tax "
           "representative in BT-63")
def seller_vat_number_required(invoice: Invoice, context: CheckContext):
    seller, representative = invoice.seller, invoice.seller_tax_representative
    if (seller.vat_id or "").strip() or (representative is not None and (representative.vat_id or "").strip()):
        return
    if not (seller.tax_registration_id or "").strip() or not under_french_vat(invoice):
        return  # no identifier at all: BR-S-02 / BR-E-02 report it
    categories = _categories(invoice)
    total = invoice.totals.tax_exclusive
    if "S" in categories and total is not None and abs(total) > SIMPLIFIED_INVOICE_LIMIT:
        why = (f"standard-rated French VAT on {total} before tax, over 150 EUR",
               f"TVA française au taux normal sur {total} HT, plus de 150 EUR")
    elif "E" in categories:
        why = ("exempt operation", "opération exonérée")
    else:
        return
    yield Violation("seller.vat_id", seller.tax_registration_id, {"why": why[0], "why_fr": why[1]})
