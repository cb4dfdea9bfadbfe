"""Mutations for the EN 16931 VAT category rules (BR-S … BR-AG, BR-B) and the VAT breakdown rules (BR-45 … BR-48,
BR-CO-17).

Each VAT category has a base invoice of its own, derived from the Durand invoice (UBL, S 20 % and 10 %): for the
categories without VAT (Z, E, AE, K, G, O) every line in that category at 0 % (none for O) with a single VAT
breakdown; for IGIC (L) and IPSI (M) the same lines taxed at 20 % and 10 %, from a seller in the Canary Islands and
in Ceuta; for split payment (B) an Italian seller and buyer. French VAT refuses L, M and B (FR-TVA-03), so those
sellers are not French; the standard-rated mutations that need an odd rate (S at 0 %, 0.4 %) use a Spanish seller,
which French VAT rules leave to EN 16931 alone.

Rules 03 and 04 of a family (an allowance or a charge in the category requires the seller's VAT identifier) can only
be broken alone on an invoice whose lines need no seller identifier: split payment lines (B) are the only such
lines, so those mutations add the allowance or charge to the split payment base. A zero-amount allowance, charge
or line adds a category without changing any total.

Five rules cannot be broken alone, whatever the edit; their mutations list the rule that fires with them (`also`):

- BR-S-03, BR-S-04: an allowance or charge in S without the seller's identifiers needs lines that do not need them,
  i.e. B lines; but BR-B-02 forbids S beside B. The seller condition is that of BR-S-02, so both fire.
- BR-O-03, BR-O-04: an allowance or charge in O needs an O breakdown (BR-O-01), which needs every line in O
  (BR-O-12); the VAT identifier they forbid is then forbidden by BR-O-02 as well.
- BR-46: a VAT breakdown without a VAT amount (BT-117) also fails BR-CO-17, which reads that amount in each of its
  three cases.
"""

from __future__ import annotations

from lxml import etree

from . import NS, Edit, derive, insert, mutation, remove, remove_all, set_text

INVOICE = "/ubl:Invoice"
SELLER = f"{INVOICE}/cac:AccountingSupplierParty/cac:Party"
BUYER = f"{INVOICE}/cac:AccountingCustomerParty/cac:Party"
SELLER_VAT = f"{SELLER}/cac:PartyTaxScheme"
BUYER_VAT = f"{BUYER}/cac:PartyTaxScheme"
LINE_CATEGORIES = f"{INVOICE}/cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory"
TAX_TOTAL = f"{INVOICE}/cac:TaxTotal"
SUBTOTALS = f"{TAX_TOTAL}/cac:TaxSubtotal"
FIRST, SECOND = f"{SUBTOTALS}[1]", f"{SUBTOTALS}[2]"
FIRST_CATEGORY = f"{FIRST}/cac:TaxCategory"
TOTALS = f"{INVOICE}/cac:LegalMonetaryTotal"
DELIVERY = f"{INVOICE}/cac:Delivery"
VAT_SCHEME = "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>"


def line(number: int) -> str:
    return f"{INVOICE}/cac:InvoiceLine[cbc:ID='{number}']"


def line_category(number: int) -> str:
    return f"{line(number)}/cac:Item/cac:ClassifiedTaxCategory"


# --- Edits beyond the shared ones ----------------------------------------------------------------------------------

def set_all(xpath: str, text: str) -> Edit:
    """Replace the text of every element at `xpath` (at least one)."""
    def edit(root):
        found = root.xpath(xpath, namespaces=NS)
        if not found:
            raise AssertionError(f"mutation XPath {xpath!r} matches nothing")
        for element in found:
            element.text = text
    edit.__doc__ = f"every {xpath} = {text!r}"
    return edit


def duplicate(xpath: str) -> Edit:
    """Insert a copy of the element at `xpath` (which must match exactly one) right after it."""
    def edit(root):
        [element] = root.xpath(xpath, namespaces=NS)
        element.addnext(etree.fromstring(etree.tostring(element)))
    edit.__doc__ = f"duplicate {xpath}"
    return edit


def totals(tax: str, with_tax: str) -> tuple[Edit, ...]:
    """Set the VAT total (BT-110), the total with VAT (BT-112) and the amount due (BT-115)."""
    return (set_text(f"{TAX_TOTAL}/cbc:TaxAmount", tax), set_text(f"{TOTALS}/cbc:TaxInclusiveAmount", with_tax),
            set_text(f"{TOTALS}/cbc:PayableAmount", with_tax))


def tax_category(code: str, percent: str | None = "0", exemption: tuple[str, str] | None = None,
                 tag: str = "cac:TaxCategory") -> str:
    rate = f"<cbc:Percent>{percent}</cbc:Percent>" if percent is not None else ""
    reason = exemption_xml(exemption) if exemption else ""
    return f"<{tag}><cbc:ID>{code}</cbc:ID>{rate}{reason}{VAT_SCHEME}</{tag}>"


def exemption_xml(exemption: tuple[str, str]) -> str:
    code, text = exemption
    return (f"<cbc:TaxExemptionReasonCode>{code}</cbc:TaxExemptionReasonCode>"
            f"<cbc:TaxExemptionReason>{text}</cbc:TaxExemptionReason>")


def add_subtotal(code: str, percent: str | None = "0", exemption: tuple[str, str] | None = None) -> Edit:
    """A VAT breakdown with zero amounts in category `code`, at the end of the VAT total."""
    return insert(TAX_TOTAL, '<cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">0.00</cbc:TaxableAmount>'
                             '<cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount>'
                             f"{tax_category(code, percent, exemption)}</cac:TaxSubtotal>")


def free_allowance_charge(code: str, percent: str | None = "0", charge: bool = False) -> tuple[Edit, ...]:
    """A zero-amount document level allowance (or charge) in category `code`, with its total (BT-107 / BT-108)."""
    kind, reason = ("Charge", "Frais de dossier offerts") if charge else ("Allowance", "Remise commerciale")
    fragment = (f"<cac:AllowanceCharge><cbc:ChargeIndicator>{str(charge).lower()}</cbc:ChargeIndicator>"
                f"<cbc:AllowanceChargeReason>{reason}</cbc:AllowanceChargeReason>"
                f'<cbc:Amount currencyID="EUR">0.00</cbc:Amount>{tax_category(code, percent)}</cac:AllowanceCharge>')
    return (insert(INVOICE, fragment, after="cac:PaymentTerms"),
            insert(TOTALS, f'<cbc:{kind}TotalAmount currencyID="EUR">0.00</cbc:{kind}TotalAmount>',
                   after="cbc:TaxInclusiveAmount"))


def free_line(code: str, percent: str | None) -> Edit:
    """A fifth line, of zero amount, in category `code`."""
    category = tax_category(code, percent, tag="cac:ClassifiedTaxCategory")
    return insert(INVOICE, '<cac:InvoiceLine><cbc:ID>5</cbc:ID><cbc:InvoicedQuantity unitCode="C62">1'
                           '</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">0.00'
                           f"</cbc:LineExtensionAmount><cac:Item><cbc:Name>Diagnostic offert</cbc:Name>{category}"
                           '</cac:Item><cac:Price><cbc:PriceAmount currencyID="EUR">0.00</cbc:PriceAmount></cac:Price>'
                           "</cac:InvoiceLine>")


def seller_in(country: str, city: str, postcode: str, vat_id: str) -> tuple[Edit, ...]:
    address = f"{SELLER}/cac:PostalAddress"
    return (set_text(f"{address}/cbc:CityName", city), set_text(f"{address}/cbc:PostalZone", postcode),
            set_text(f"{address}/cac:Country/cbc:IdentificationCode", country),
            set_text(f"{SELLER_VAT}/cbc:CompanyID", vat_id))


def seller_vat_id(vat_id: str) -> Edit:
    return insert(SELLER, f"<cac:PartyTaxScheme><cbc:CompanyID>{vat_id}</cbc:CompanyID>{VAT_SCHEME}"
                          "</cac:PartyTaxScheme>", after="cac:PostalAddress")


def renamed(code: str) -> tuple[Edit, ...]:
    """Every line and VAT breakdown in category `code` instead of S, rates and amounts unchanged."""
    return (set_all(f"{LINE_CATEGORIES}/cbc:ID", code), set_all(f"{SUBTOTALS}/cac:TaxCategory/cbc:ID", code))


def all_untaxed(code: str, exemption: tuple[str, str] | None, with_rate: bool = True) -> tuple[Edit, ...]:
    """Every line in category `code` at 0 % (without a rate: not `with_rate`), one VAT breakdown without VAT, and
    the totals that follow."""
    if with_rate:
        rates = (set_all(f"{LINE_CATEGORIES}/cbc:Percent", "0"), set_text(f"{FIRST_CATEGORY}/cbc:Percent", "0"))
    else:
        rates = (remove_all(f"{LINE_CATEGORIES}/cbc:Percent"), remove(f"{FIRST_CATEGORY}/cbc:Percent"))
    edits = (set_all(f"{LINE_CATEGORIES}/cbc:ID", code), remove(SECOND), *rates,
             set_text(f"{FIRST}/cbc:TaxableAmount", "26325.00"), set_text(f"{FIRST}/cbc:TaxAmount", "0.00"),
             set_text(f"{FIRST_CATEGORY}/cbc:ID", code), *totals("0.00", "26325.00"))
    if exemption:
        edits += (insert(FIRST_CATEGORY, exemption_xml(exemption), after="cbc:Percent" if with_rate else "cbc:ID"),)
    return edits


# --- The bases -----------------------------------------------------------------------------------------------------

EXEMPT_REASON = ("VATEX-EU-132", "Exonération de TVA, article 261 du CGI")
REVERSE_CHARGE_REASON = ("VATEX-EU-AE", "Autoliquidation")
INTRA_COMMUNITY_REASON = ("VATEX-EU-IC", "Exonération de TVA, article 262 ter I du CGI")
EXPORT_REASON = ("VATEX-EU-G", "Exonération de TVA, article 262 I du CGI")
NOT_SUBJECT_REASON = ("VATEX-EU-O", "Non soumis à la TVA")
DELIVERY_XML = ("<cac:Delivery><cbc:ActualDeliveryDate>2026-09-11</cbc:ActualDeliveryDate><cac:DeliveryLocation>"
                "<cac:Address><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>"
                "</cac:Address></cac:DeliveryLocation></cac:Delivery>")

SPANISH = derive("ubl-seller-es", "fr-ubl", *seller_in("ES", "Madrid", "28001", "ESB58378431"))
ZERO_RATED = derive("ubl-zero-rated", "fr-ubl", *all_untaxed("Z", None))
EXEMPT = derive("ubl-exempt", "fr-ubl", *all_untaxed("E", EXEMPT_REASON))
REVERSE_CHARGE = derive(  # "Autoliquidation" in a note too, as FR-TVA-05 asks, so that BR-AE-10 can fail alone
    "ubl-reverse-charge", "fr-ubl", *all_untaxed("AE", REVERSE_CHARGE_REASON),
    insert(INVOICE, "<cbc:Note>Autoliquidation</cbc:Note>", after="cbc:Note"))
INTRA_COMMUNITY = derive(
    "ubl-intra-community", "fr-ubl", *all_untaxed("K", INTRA_COMMUNITY_REASON),
    insert(BUYER, f"<cac:PartyTaxScheme><cbc:CompanyID>FR07217130004</cbc:CompanyID>{VAT_SCHEME}"
                  "</cac:PartyTaxScheme>", after="cac:PostalAddress"),
    insert(INVOICE, DELIVERY_XML, after="cac:AccountingCustomerParty"))
EXPORT = derive("ubl-export", "fr-ubl", *all_untaxed("G", EXPORT_REASON))
NOT_SUBJECT = derive("ubl-not-subject", "fr-ubl", *all_untaxed("O", NOT_SUBJECT_REASON, with_rate=False),
                     remove(SELLER_VAT))
IGIC = derive("ubl-igic", "fr-ubl", *seller_in("ES", "Las Palmas de Gran Canaria", "35001", "ESB58378431"),
              *renamed("L"))
IPSI = derive("ubl-ipsi", "fr-ubl", *seller_in("ES", "Ceuta", "51001", "ESB58378431"), *renamed("M"))
SPLIT_PAYMENT = derive("ubl-split-payment", "fr-ubl", *seller_in("IT", "Milano", "20121", "IT00743110157"),
                       set_text(f"{BUYER}/cac:PostalAddress/cac:Country/cbc:IdentificationCode", "IT"),
                       *renamed("B"))
TO_ITALY = (set_text(f"{SELLER}/cac:PostalAddress/cac:Country/cbc:IdentificationCode", "IT"),
            set_text(f"{BUYER}/cac:PostalAddress/cac:Country/cbc:IdentificationCode", "IT"))


# --- The families --------------------------------------------------------------------------------------------------

def untaxed_family(prefix: str, code: str, base: str, exemption: tuple[str, str] | None, identifiers: Edit) -> list:
    """Rules 01 to 10 of a category without VAT (Z, E, AE, K, G), on its base; `identifiers` breaks rule 02.

    `exemption` is the reason the category's breakdown gives, None when it shall give none (Z).
    """
    if exemption:
        reason = (remove(f"{FIRST_CATEGORY}/cbc:TaxExemptionReasonCode"),
                  remove(f"{FIRST_CATEGORY}/cbc:TaxExemptionReason"))
    else:
        reason = (insert(FIRST_CATEGORY, exemption_xml(EXEMPT_REASON), after="cbc:Percent"),)
    return [
        mutation(f"{prefix}-01", duplicate(FIRST), base=base, why="two-breakdowns"),
        mutation(f"{prefix}-02", identifiers, base=base),
        *allowance_charge_identifiers(prefix, code, exemption=exemption),
        mutation(f"{prefix}-05", set_text(f"{line_category(1)}/cbc:Percent", "5"), base=base),
        mutation(f"{prefix}-06", *free_allowance_charge(code, "5"), base=base),
        mutation(f"{prefix}-07", *free_allowance_charge(code, "5", charge=True), base=base),
        mutation(f"{prefix}-08", set_text(f"{FIRST}/cbc:TaxableAmount", "26000.00"), base=base),
        mutation(f"{prefix}-09", set_text(f"{FIRST}/cbc:TaxAmount", "0.40"), *totals("0.40", "26325.40"), base=base),
        mutation(f"{prefix}-10", *reason, base=base),
    ]


def allowance_charge_identifiers(prefix: str, code: str, percent: str = "0",
                                 exemption: tuple[str, str] | None = None) -> list:
    """Rules 03 and 04: an allowance / a charge in the category on the split payment invoice, seller unidentified."""
    extra = (insert(INVOICE, DELIVERY_XML.replace(">DE<", ">IT<"), after="cac:AccountingCustomerParty"),) \
        if code == "K" else ()  # BR-IC-11, BR-IC-12 want them with a K breakdown
    return [
        mutation(f"{prefix}-{number:02d}", *free_allowance_charge(code, percent, charge=charge),
                 add_subtotal(code, percent, exemption), remove(SELLER_VAT), *extra, base=SPLIT_PAYMENT)
        for number, charge in ((3, False), (4, True))
    ]


def rated_family(prefix: str, code: str, base: str) -> list:
    """Rules 01, 02 and 05 to 10 of IGIC (L) and IPSI (M), on its base."""
    return [
        mutation(f"{prefix}-01", *free_allowance_charge(code, "0"), base=SPANISH, why="no-breakdown"),
        mutation(f"{prefix}-02", remove(SELLER_VAT), base=base),
        *allowance_charge_identifiers(prefix, code),
        mutation(f"{prefix}-05", free_line(code, "-1"), base=base),
        mutation(f"{prefix}-06", *free_allowance_charge(code, "-1"), base=base),
        mutation(f"{prefix}-07", *free_allowance_charge(code, "-1", charge=True), base=base),
        mutation(f"{prefix}-08", set_text(f"{FIRST}/cbc:TaxableAmount", "23949.00"), base=base, why="off-by-4"),
        rate_rounding_to_zero(prefix, base),
        mutation(f"{prefix}-10", insert(FIRST_CATEGORY, "<cbc:TaxExemptionReason>Exonération</cbc:TaxExemptionReason>",
                                        after="cbc:Percent"), base=base),
    ]


def rate_rounding_to_zero(prefix: str, base: str):
    """Rule 09 of a rated category: at 0.4 % BR-CO-17 wants a VAT amount rounding to 0, rule 09 wants 2380 × 0.4 %."""
    return mutation(f"{prefix}-09", set_text(f"{line_category(4)}/cbc:Percent", "0.4"),
                    set_text(f"{SECOND}/cac:TaxCategory/cbc:Percent", "0.4"),
                    set_text(f"{SECOND}/cbc:TaxAmount", "0.00"), *totals("4789.00", "31114.00"),
                    base=base, why="rate-0.4")


STANDARD = [
    mutation("BR-S-01", *free_allowance_charge("S", "20"), base=ZERO_RATED, why="no-breakdown"),
    mutation("BR-S-02", remove(SELLER_VAT)),
    mutation("BR-S-03", *free_allowance_charge("S", "20"), remove(SELLER_VAT), also=("BR-S-02",)),
    mutation("BR-S-04", *free_allowance_charge("S", "20", charge=True), remove(SELLER_VAT),
             also=("BR-S-02",)),
    mutation("BR-S-05", free_line("S", "0"), base=SPANISH),
    mutation("BR-S-06", *free_allowance_charge("S", "0"), base=SPANISH),
    mutation("BR-S-07", *free_allowance_charge("S", "0", charge=True), base=SPANISH),
    mutation("BR-S-08", set_text(f"{FIRST}/cbc:TaxableAmount", "23949.00"), base=SPANISH, why="off-by-4"),
    rate_rounding_to_zero("BR-S", SPANISH),
    mutation("BR-S-10", insert(FIRST_CATEGORY, "<cbc:TaxExemptionReason>Exonération</cbc:TaxExemptionReason>",
                               after="cbc:Percent")),
]

NOT_SUBJECT_FAMILY = [
    mutation("BR-O-01", duplicate(FIRST), base=NOT_SUBJECT, why="two-breakdowns"),
    mutation("BR-O-02", seller_vat_id("FR28324567890"), base=NOT_SUBJECT),
    mutation("BR-O-03", *free_allowance_charge("O", None), seller_vat_id("FR28324567890"), base=NOT_SUBJECT,
             also=("BR-O-02",)),
    mutation("BR-O-04", *free_allowance_charge("O", None, charge=True), seller_vat_id("FR28324567890"),
             base=NOT_SUBJECT, also=("BR-O-02",)),
    mutation("BR-O-05", insert(line_category(1), "<cbc:Percent>0</cbc:Percent>", after="cbc:ID"), base=NOT_SUBJECT),
    mutation("BR-O-06", *free_allowance_charge("O", "0"), base=NOT_SUBJECT),
    mutation("BR-O-07", *free_allowance_charge("O", "0", charge=True), base=NOT_SUBJECT),
    mutation("BR-O-08", set_text(f"{FIRST}/cbc:TaxableAmount", "26000.00"), base=NOT_SUBJECT),
    mutation("BR-O-09", set_text(f"{FIRST}/cbc:TaxAmount", "0.40"), *totals("0.40", "26325.40"), base=NOT_SUBJECT),
    mutation("BR-O-10", remove(f"{FIRST_CATEGORY}/cbc:TaxExemptionReasonCode"),
             remove(f"{FIRST_CATEGORY}/cbc:TaxExemptionReason"), base=NOT_SUBJECT),
    mutation("BR-O-11", add_subtotal("Z"), base=NOT_SUBJECT),
    # Any category but O on a line, allowance or charge needs its own VAT breakdown (BR-O-11), except split payment
    # (B), which needs the parties in Italy (BR-B-01).
    mutation("BR-O-12", *TO_ITALY, free_line("B", "0"), base=NOT_SUBJECT),
    mutation("BR-O-13", *TO_ITALY, *free_allowance_charge("B", "0"), base=NOT_SUBJECT),
    mutation("BR-O-14", *TO_ITALY, *free_allowance_charge("B", "0", charge=True), base=NOT_SUBJECT),
]

# BR-45 and BR-46 on a split payment breakdown at 0 %: split payment has no rule 08 or 09 reading its amounts,
# and at a rate rounding to 0, BR-CO-17 reads the VAT amount only.
SPLIT_AT_ZERO = (set_text(f"{SECOND}/cac:TaxCategory/cbc:Percent", "0"), set_text(f"{SECOND}/cbc:TaxAmount", "0.00"),
                 *totals("4789.00", "31114.00"))

BREAKDOWN = [
    mutation("BR-45", *SPLIT_AT_ZERO, remove(f"{SECOND}/cbc:TaxableAmount"), base=SPLIT_PAYMENT),
    mutation("BR-46", *SPLIT_AT_ZERO, remove(f"{SECOND}/cbc:TaxAmount"), base=SPLIT_PAYMENT,
             also=("BR-CO-17",)),
    mutation("BR-47", remove(f"{FIRST_CATEGORY}/cbc:ID")),
    mutation("BR-48", remove(f"{FIRST_CATEGORY}/cbc:Percent"), base=ZERO_RATED),
    mutation("BR-CO-17", set_text(f"{FIRST}/cbc:TaxAmount", "4700.00"), *totals("4938.00", "31263.00"),
             base=SPLIT_PAYMENT),
]

MUTATIONS = [
    *BREAKDOWN,
    *STANDARD,
    *untaxed_family("BR-Z", "Z", ZERO_RATED, None, remove(SELLER_VAT)),
    *untaxed_family("BR-E", "E", EXEMPT, EXEMPT_REASON, remove(SELLER_VAT)),
    *untaxed_family("BR-AE", "AE", REVERSE_CHARGE, REVERSE_CHARGE_REASON, remove(SELLER_VAT)),
    *untaxed_family("BR-IC", "K", INTRA_COMMUNITY, INTRA_COMMUNITY_REASON, remove(BUYER_VAT)),
    mutation("BR-IC-11", remove(f"{DELIVERY}/cbc:ActualDeliveryDate"), base=INTRA_COMMUNITY),
    mutation("BR-IC-12", remove(f"{DELIVERY}/cac:DeliveryLocation"), base=INTRA_COMMUNITY),
    *untaxed_family("BR-G", "G", EXPORT, EXPORT_REASON, remove(SELLER_VAT)),
    *NOT_SUBJECT_FAMILY,
    *rated_family("BR-AF", "L", IGIC),
    *rated_family("BR-AG", "M", IPSI),
    mutation("BR-B-01", set_text(f"{BUYER}/cac:PostalAddress/cac:Country/cbc:IdentificationCode", "FR"),
             base=SPLIT_PAYMENT),
    mutation("BR-B-02", set_text(f"{line_category(4)}/cbc:ID", "S"), set_text(f"{SECOND}/cac:TaxCategory/cbc:ID", "S"),
             base=SPLIT_PAYMENT),
]
