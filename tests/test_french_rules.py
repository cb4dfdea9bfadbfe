"""The French rules on the canonical model (no XML): territory rates, tolerance edges, the 150 EUR threshold, the
VAT numbers, the mentions, every supplier identifier type, and the same rules on CSV deposits.

Each test builds a small French invoice in the model, changes one thing, and runs only the rule under test, so a
table row fails if that rule's logic changes. The mutation table (tests/mutations/french.py) checks the same rules
end to end on real XML invoices.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import date
from decimal import Decimal

import pytest

from edi_gateway import text as text_folding
from edi_gateway.model import (
    Address,
    AllowanceCharge,
    Delivery,
    DocumentFormat,
    Identifier,
    Invoice,
    Line,
    Origin,
    Party,
    PaymentTerms,
    Totals,
    VatBreakdown,
)
from edi_gateway.parsers.csv import parse_csv
from edi_gateway.validators import CheckContext, all_rules
from edi_gateway.validators.engine import REGISTRY
from edi_gateway.validators.rules import french_vat

D = Decimal
TODAY = date(2026, 11, 22)
MENTION = ("Virement à 30 jours. Intérêts moratoires : taux BCE + 8 points ; indemnité forfaitaire pour frais de "
           "recouvrement : 40 EUR.")
FRENCH_RULES = {r.id for r in all_rules() if r.id.startswith(("FR-TVA", "FR-MEN", "FR-SUP", "FR-REC"))}


def french_invoice(*lines: tuple[str, str, str, str], seller_postcode: str | None = "69003",
                   buyer_postcode: str | None = "69220") -> Invoice:
    """A valid French invoice: Lyon supplier, public buyer; each line (quantity, net price, category, rate)."""
    lines = lines or (("2", "50.00", "S", "20"),)
    invoice = Invoice(format=DocumentFormat.CSV, number="FA-2026-0001", issue_date=date(2026, 3, 2),
                      type_code="380", currency="EUR")
    invoice.seller = Party(
        name="Bâtiments Durand SAS", identifiers=[Identifier("32456789000011", "0009")],
        legal_id=Identifier("324567890", "0002"), vat_id="FR28324567890",
        address=Address(city="Lyon", postcode=seller_postcode, country="FR"))
    invoice.buyer = Party(name="Commune de Belleville-sur-Saône", identifiers=[Identifier("21713000400013", "0009")],
                          address=Address(city="Belleville", postcode=buyer_postcode, country="FR"))
    groups: dict[tuple[str, D], D] = {}
    for i, (quantity, price, category, rate) in enumerate(lines):
        amount = D(quantity) * D(price)
        invoice.lines.append(Line(id=str(i + 1), name=f"article {i + 1}", quantity=D(quantity), unit_code="C62",
                                  net_price=D(price), net_amount=amount, vat_category=category, vat_rate=D(rate)))
        groups[category, D(rate)] = groups.get((category, D(rate)), D(0)) + amount
    for (category, rate), base in groups.items():
        invoice.vat_breakdown.append(VatBreakdown(category, rate, base, french_vat.cents(base * rate / 100)))
    net = sum(groups.values(), D(0))
    tax = sum((group.tax_amount for group in invoice.vat_breakdown), D(0))
    invoice.totals = Totals(line_net=net, tax_exclusive=net, tax=tax, tax_inclusive=net + tax, payable=net + tax)
    invoice.payment = PaymentTerms(note=MENTION, due_date=date(2026, 4, 1))
    return invoice


def fired(rule_id: str, invoice: Invoice) -> list:
    """The violations of one rule."""
    return list(REGISTRY[rule_id].check(invoice, CheckContext(today=TODAY)))


def french_findings(invoice: Invoice) -> set[str]:
    context = CheckContext(today=TODAY)
    return {r.id for r in all_rules() if r.id in FRENCH_RULES and any(True for _ in r.check(invoice, context))}


def test_the_model_invoice_passes_every_french_rule():
    assert french_findings(french_invoice(("2", "50.00", "S", "20"), ("3", "10.00", "S", "5.5"))) == set()


# ---------------------------------------------------------------------------------------------------------------
# Rates: the G1.24 list, and the rates in force by territory
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("postcode, country, expected", [
    ("69003", "FR", "mainland"), ("75001", "FR", "mainland"), ("20000", "FR", "corsica"), ("20290", "FR", "corsica"),
    ("97100", "FR", "overseas"), ("97200", "FR", "overseas"), ("97400", "FR", "overseas"),
    ("97133", "FR", "outside"), ("97150", "FR", "outside"),  # Saint-Barthélemy, Saint-Martin
    ("97300", "FR", "outside"), ("97600", "FR", "outside"), ("98800", "FR", "outside"),  # Guyane, Mayotte, NC
    ("98000", "FR", "mainland"),  # Monaco, French VAT
    (None, "FR", "unknown"), ("6900", "FR", "unknown"), ("97400", "RE", "overseas"), (None, "MQ", "overseas"),
    (None, "GF", "outside"), ("98000", "MC", "mainland"), ("10115", "DE", None), (None, None, None),
])
def test_territory_of_an_address(postcode, country, expected):
    assert french_vat.territory(Address(postcode=postcode, country=country)) == expected


@pytest.mark.parametrize("seller, buyer, rate, rule", [
    # mainland France: 20, 10, 5.5, 2.1
    ("69003", "69220", "20", None), ("69003", "69220", "5.5", None), ("69003", "69220", "2.1", None),
    ("69003", "69220", "8.5", "FR-TVA-02"), ("69003", "69220", "13", "FR-TVA-02"),
    ("69003", "69220", "0.9", "FR-TVA-02"),
    # Corsica: 20, 13, 10, 5.5, 2.1, 0.9
    ("20000", "20200", "13", None), ("20000", "20200", "0.9", None), ("20000", "20200", "20", None),
    ("20000", "20200", "8.5", "FR-TVA-02"),
    # Guadeloupe, Martinique, Réunion: 8.5, 2.1, 1.75, 1.05
    ("97400", "97400", "8.5", None), ("97200", "97100", "1.05", None), ("97400", "97400", "1.75", None),
    ("97400", "97400", "20", "FR-TVA-02"), ("97400", "97400", "10", "FR-TVA-02"),
    # two territories: a rate of either is accepted
    ("97400", "69220", "20", None), ("97400", "69220", "8.5", None), ("20000", "69220", "13", None),
    ("97400", "69220", "13", "FR-TVA-02"), ("97400", "20000", "5.5", None),
    # unknown place (a French address with no postcode): any rate in force somewhere in France
    (None, "97400", "13", None), (None, None, "1.75", None),
    # historic rates: in the G1.24 list, in force nowhere since 2014
    ("69003", "69220", "19.6", "FR-TVA-02"), (None, None, "7", "FR-TVA-02"), (None, None, "20.6", "FR-TVA-02"),
    # no French rate at all
    ("69003", "69220", "21", "FR-TVA-01"), (None, None, "6", "FR-TVA-01"), ("97400", "97400", "8", "FR-TVA-01"),
    # S at 0 is BR-S-05's business, not a French rate question
    ("69003", "69220", "0", None),
])
def test_standard_rate_by_territory(seller, buyer, rate, rule):
    invoice = french_invoice(("1", "100.00", "S", rate), seller_postcode=seller, buyer_postcode=buyer)
    assert {r for r in ("FR-TVA-01", "FR-TVA-02") if fired(r, invoice)} == ({rule} if rule else set())


def test_rate_20_00_is_rate_20():
    assert french_findings(french_invoice(("1", "100.00", "S", "20.00"))) == set()


def test_the_delivery_address_adds_its_territory():
    invoice = french_invoice(("1", "100.00", "S", "13"))
    assert fired("FR-TVA-02", invoice)
    invoice.delivery = Delivery(address=Address(postcode="20090", country="FR"))
    assert not fired("FR-TVA-02", invoice)


def test_each_place_with_a_wrong_rate_is_reported():
    invoice = french_invoice(("1", "100.00", "S", "19.6"))
    invoice.allowances_charges.append(AllowanceCharge(is_charge=True, amount=D("10.00"), vat_category="S",
                                                      vat_rate=D("19.6"), reason="Transport"))
    assert [v.field for v in fired("FR-TVA-02", invoice)] == [
        "vat_breakdown[0].rate", "lines[0].vat_rate", "allowances_charges[0].vat_rate"]


@pytest.mark.parametrize("seller_country, seller_vat, checked", [
    ("FR", "FR28324567890", True), ("FR", None, True), ("RE", None, True), ("MC", None, True),
    ("DE", "FR28324567890", True),  # a foreign seller identified for VAT in France
    ("DE", "DE136695976", False), ("BE", None, False),  # foreign VAT, e.g. services to a non-taxable buyer
])
def test_french_vat_rules_apply_to_invoices_under_french_vat(seller_country, seller_vat, checked):
    invoice = french_invoice(("1", "100.00", "S", "21"))
    invoice.seller.address.country, invoice.seller.vat_id = seller_country, seller_vat
    assert bool(fired("FR-TVA-01", invoice)) is checked


@pytest.mark.parametrize("category, rule", [("L", "FR-TVA-03"), ("M", "FR-TVA-03"), ("B", "FR-TVA-03"),
                                            ("S", None), ("Z", None), ("K", None), ("XX", None)])
def test_only_french_vat_categories(category, rule):
    invoice = french_invoice()
    invoice.lines[0].vat_category = invoice.vat_breakdown[0].category = category
    assert bool(fired("FR-TVA-03", invoice)) is (rule is not None)


def test_a_refused_category_is_reported_on_each_place_it_is_written():
    invoice = french_invoice(("1", "100.00", "S", "20"), ("2", "10.00", "L", "20"))
    invoice.lines[1].id = "L2"  # (french_invoice gives each category and rate its VAT breakdown)
    invoice.allowances_charges.append(AllowanceCharge(is_charge=False, amount=D("5.00"), vat_category="M",
                                                      vat_rate=D("20"), reason="Remise"))
    found = fired("FR-TVA-03", invoice)
    assert [(v.field, v.value, v.params["where"], v.params["where_fr"]) for v in found] == [
        ("vat_breakdown[1].category", "L", "VAT breakdown 2", "récapitulatif de TVA 2"),
        ("lines[1].vat_category", "L", "line L2", "ligne L2"),
        ("allowances_charges[0].vat_category", "M", "document-level allowance 1",
         "remise au niveau du document 1"),
    ]


# ---------------------------------------------------------------------------------------------------------------
# Exemption and reverse charge
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("code, text, missing", [
    ("VATEX-FR-CGI261-4", "Exonération de TVA, art. 261-4-4° du CGI", None),
    (None, "Exonération de TVA, art. 261-4-4° du CGI", "exemption_code"),
    ("VATEX-FR-CGI261-4", None, "exemption_reason"),
    ("VATEX-FR-CGI261-4", "  ", "exemption_reason"),
    (None, None, None),  # neither: BR-E-10
])
def test_exemption_needs_code_and_text(code, text, missing):
    invoice = french_invoice(("1", "100.00", "E", "0"))
    invoice.vat_breakdown[0].exemption_code, invoice.vat_breakdown[0].exemption_reason = code, text
    assert [v.field for v in fired("FR-TVA-04", invoice)] == ([f"vat_breakdown[0].{missing}"] if missing else [])


@pytest.mark.parametrize("reason, note, warned", [
    ("Autoliquidation", None, False), ("AUTO-LIQUIDATION", None, False), ("Auto liquidation", None, False),
    (None, "Autoliquidation, article 283-2 nonies du CGI", False), ("TVA autoliquidée par le preneur", None, False),
    ("Reverse charge", None, True), (None, None, True),
])
def test_reverse_charge_carries_the_french_mention(reason, note, warned):
    invoice = french_invoice(("1", "100.00", "AE", "0"))
    invoice.vat_breakdown[0].exemption_reason, invoice.vat_breakdown[0].exemption_code = reason, "VATEX-EU-AE"
    invoice.notes = [note] if note else []
    assert bool(fired("FR-TVA-05", invoice)) is warned


# ---------------------------------------------------------------------------------------------------------------
# Arithmetic: stated tolerance 0.01
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("quantity, price, base, net, fires", [
    ("3", "33.333", None, "100.00", False),  # 99.999: gap 0.001
    ("3", "33.333", None, "100.01", True),  # gap 0.011
    ("3", "33.33", None, "100.00", False),  # 99.99: gap 0.01 exactly
    ("3", "33.33", None, "100.01", True),  # gap 0.02
    ("100", "12.50", "100", "12.50", False),  # price per 100 units
    ("100", "12.50", "100", "1250.00", True),  # base quantity ignored
    ("-2", "50.00", None, "-100.00", False),  # returned goods: negative quantity
    ("2", "50.00", None, "-100.00", True),  # negative amount with a positive quantity
])
def test_line_net_amount_tolerance(quantity, price, base, net, fires):
    invoice = french_invoice()
    line = invoice.lines[0]
    line.quantity, line.net_price, line.net_amount = D(quantity), D(price), D(net)
    line.price_base_quantity = D(base) if base else None
    assert bool(fired("FR-TVA-06", invoice)) is fires


def test_line_net_amount_counts_line_allowances_and_charges():
    invoice = french_invoice(("10", "20.00", "S", "20"))
    line = invoice.lines[0]
    line.allowances_charges = [AllowanceCharge(is_charge=False, amount=D("15.00")),
                               AllowanceCharge(is_charge=True, amount=D("5.00"))]
    line.net_amount = D("190.00")
    assert not fired("FR-TVA-06", invoice)
    line.net_amount = D("200.00")
    [violation] = fired("FR-TVA-06", invoice)
    assert violation.params["expected"] == D("190.00")


@pytest.mark.parametrize("gross, discount, net, fires", [
    ("50.00", "7.50", "42.50", False), ("50.00", "7.50", "42.49", False), ("50.00", "7.50", "42.51", False),
    ("50.00", "7.50", "42.48", True), ("50.00", None, "50.00", False), ("50.00", None, "42.50", True),
    (None, "7.50", "42.50", False),  # no gross price: nothing to compare
])
def test_net_price_is_gross_minus_discount(gross, discount, net, fires):
    invoice = french_invoice(("1", net, "S", "20"))
    line = invoice.lines[0]
    line.gross_price, line.price_discount = (D(gross) if gross else None), (D(discount) if discount else None)
    assert bool(fired("FR-TVA-07", invoice)) is fires


@pytest.mark.parametrize("tax, warned", [
    ("20.00", False), ("20.01", False), ("19.99", False), ("20.02", True), ("19.50", True), ("20.99", True),
    ("21.00", False),  # a gap of 1.00 is BR-S-09's, not a warning on top
])
def test_vat_amount_to_the_cent(tax, warned):
    invoice = french_invoice(("1", "100.00", "S", "20"))
    invoice.vat_breakdown[0].tax_amount = D(tax)
    assert bool(fired("FR-TVA-08", invoice)) is warned


# ---------------------------------------------------------------------------------------------------------------
# Currency, VAT numbers, the 150 EUR threshold
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("currency, tax_currency, fires", [
    ("EUR", None, False), ("USD", "EUR", False), ("USD", None, True), ("USD", "USD", True), ("GBP", "CHF", True),
    ("ZZZ", None, False),  # not an ISO 4217 code: BR-CL-04
])
def test_a_foreign_currency_invoice_gives_its_vat_in_euros(currency, tax_currency, fires):
    invoice = french_invoice()
    invoice.currency, invoice.tax_currency = currency, tax_currency
    assert bool(fired("FR-TVA-09", invoice)) is fires


@pytest.mark.parametrize("number, problem", [
    ("FR28324567890", None), ("FR 28 324 567 890", None), ("FR29324567890", "wrong check key"),
    ("FR2832456789", "wrong length"), ("DE136695976", None), ("DE136695977", "wrong check key"),
    ("EL094259216", None), ("BE0403019261", None), ("NL004495445B01", None),
    ("GB123456789", None), ("CHE123456789", None), ("NO999999999", None),  # outside the EU: not checked
])
def test_vat_number_check_keys(number, problem):
    assert (french_vat.vat_number_problem(number) or (None,))[0] == problem


@pytest.mark.parametrize("role", ["seller", "buyer", "seller_tax_representative"])
def test_every_vat_identifier_is_checked(role):
    invoice = french_invoice()
    if role == "seller_tax_representative":
        invoice.seller_tax_representative = Party(name="Représentant", vat_id="FR29324567890")
    else:
        getattr(invoice, role).vat_id = "FR29324567890"
    [violation] = fired("FR-TVA-10", invoice)
    assert violation.field == f"{role}.vat_id"


@pytest.mark.parametrize("vat_id, legal, siret, warned", [
    ("FR28324567890", "324567890", "32456789000011", False),
    ("FR37781904560", "324567890", "32456789000011", True),
    ("FR37781904560", None, "32456789000011", True),  # SIREN taken from the SIRET
    ("FR37781904560", None, None, False),  # no SIREN to compare with
    ("FR29324567890", "999999999", None, False),  # invalid number: FR-TVA-10's
])
def test_french_vat_number_is_built_on_the_siren(vat_id, legal, siret, warned):
    invoice = french_invoice()
    invoice.seller.vat_id = vat_id
    invoice.seller.legal_id = Identifier(legal, "0002") if legal else None
    invoice.seller.identifiers = [Identifier(siret, "0009")] if siret else []
    assert bool(fired("FR-TVA-11", invoice)) is warned


@pytest.mark.parametrize("category, amount, vat_id, registration, fires", [
    ("S", "150.00", None, "RCS Lyon B 324 567 890", False),  # simplified invoice: up to 150 EUR
    ("S", "150.01", None, "RCS Lyon B 324 567 890", True),
    ("S", "-200.00", None, "RCS Lyon B 324 567 890", True),  # a credit note counts by its size
    ("S", "1000.00", "FR28324567890", None, False),
    ("S", "1000.00", None, None, False),  # no identifier at all: BR-S-02's
    ("E", "10.00", None, "RCS Lyon B 324 567 890", True),  # exempt: always (G1.47)
    ("Z", "1000.00", None, "RCS Lyon B 324 567 890", False),
])
def test_seller_vat_number_threshold(category, amount, vat_id, registration, fires):
    invoice = french_invoice(("1", amount, category, "20" if category == "S" else "0"))
    invoice.seller.vat_id, invoice.seller.tax_registration_id = vat_id, registration
    assert bool(fired("FR-TVA-12", invoice)) is fires


def test_a_tax_representative_vat_number_is_enough():
    invoice = french_invoice(("1", "1000.00", "S", "20"))
    invoice.seller.vat_id, invoice.seller.tax_registration_id = None, "RCS Lyon B 324 567 890"
    invoice.seller_tax_representative = Party(name="Représentant fiscal", vat_id="FR28324567890")
    assert not fired("FR-TVA-12", invoice)


# ---------------------------------------------------------------------------------------------------------------
# Mandatory mentions
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, missing", [
    (MENTION, None),
    ("Pénalités de retard : 3 fois le taux d'intérêt légal. Indemnité forfaitaire de recouvrement : 40 €.", None),
    ("Late payment interest: ECB rate + 8 points; fixed compensation for recovery costs: EUR 40", None),
    ("Virement à 30 jours", "penalty rate nor the 40 EUR"),
    ("Intérêts de retard au taux BCE + 8 points", "40 EUR fixed indemnity"),
    ("Indemnité forfaitaire pour frais de recouvrement : 40 EUR", "penalty rate"),
    ("Paiement de 40 000 € à 30 jours", "penalty rate nor the 40 EUR"),  # 40 000 € is not the indemnity
])
def test_late_payment_mentions(text, missing):
    invoice = french_invoice()
    invoice.payment.note = text
    found = fired("FR-MEN-02", invoice)
    assert bool(found) is (missing is not None)
    if missing:
        assert missing in found[0].params["missing"]


@pytest.mark.parametrize("text", [
    "Pénalités de retard", "ÉCHÉANCE À 30 JOURS – ﬁn de mois", "Straße", "", "e\u0301te\u0301 \U0001d400",
    "Intérêts " * 600,  # longer than the texts kept folded
])
def test_mentions_are_matched_without_case_nor_accents(text):
    decomposed = unicodedata.normalize("NFKD", text)
    expected = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    assert text_folding.fold(text) == expected
    assert text_folding.fold(text) == expected  # again: kept folded, unless longer than FOLDED_LENGTH


def test_late_payment_mentions_found_at_the_end_of_a_long_note():
    invoice = french_invoice()
    invoice.payment.note = "Conditions générales de vente. " * 200 + MENTION  # over 6,000 characters
    assert len(invoice.payment.note) > text_folding.FOLDED_LENGTH
    assert not fired("FR-MEN-02", invoice)
    invoice.payment.note = "Conditions générales de vente. " * 200
    assert fired("FR-MEN-02", invoice)


def test_late_payment_mentions_may_sit_in_a_note():
    invoice = french_invoice()
    invoice.payment.note = "Virement à 30 jours"
    invoice.notes = ["Pénalités de retard : taux BCE + 10 points ; indemnité forfaitaire 40 euros"]
    assert not fired("FR-MEN-02", invoice)


@pytest.mark.parametrize("type_code, payable, seller_country, vat_id, checked", [
    ("380", "120.00", "FR", "FR28324567890", True), ("381", "120.00", "FR", "FR28324567890", False),
    ("380", "0.00", "FR", "FR28324567890", False),  # already paid
    ("380", "120.00", "DE", "DE136695976", False),  # not a French seller: no Code de commerce
    ("380", "120.00", "GF", None, True),  # Guyane: French seller, even without VAT
])
def test_late_payment_mentions_scope(type_code, payable, seller_country, vat_id, checked):
    invoice = french_invoice()
    invoice.type_code, invoice.totals.payable = type_code, D(payable)
    invoice.seller.address.country, invoice.seller.vat_id = seller_country, vat_id
    invoice.payment.note = "Virement à 30 jours"
    assert bool(fired("FR-MEN-02", invoice)) is checked


@pytest.mark.parametrize("due, note, warned", [
    (date(2026, 4, 1), "Virement à 30 jours", False), (None, "Virement à 30 jours", True),
    (None, None, False),  # neither BT-9 nor BT-20: BR-CO-25
])
def test_due_date(due, note, warned):
    invoice = french_invoice()
    invoice.payment.due_date, invoice.payment.note = due, note
    assert bool(fired("FR-MEN-01", invoice)) is warned


@pytest.mark.parametrize("number, valid", [
    ("FA-2026-0001", True), ("FA 2026/0001+A_1", True), ("A" * 35, True), ("A" * 36, False), ("FA#1", False),
    ("FA-2026-é1", False), (" FA1", False), ("FA1 ", False), ("FA  1", False), ("FA.2026.1", False),
])
def test_invoice_number_format(number, valid):
    invoice = french_invoice()
    invoice.number = number
    assert (not fired("FR-MEN-03", invoice)) is valid


@pytest.mark.parametrize("issued, fires", [(date(2026, 11, 22), False), (date(2026, 11, 23), True),
                                           (date(2025, 1, 5), False)])
def test_issue_date_not_after_the_deposit(issued, fires):
    invoice = french_invoice()
    invoice.issue_date = issued
    assert bool(fired("FR-MEN-04", invoice)) is fires


@pytest.mark.parametrize("type_code, preceding, fires", [
    ("381", None, True), ("381", "FA-2026-0001", False), ("384", None, True), ("384", "FA-2026-0001", False),
    ("380", None, False), ("396", None, True), ("471", None, True),
])
def test_a_credit_note_names_the_invoice_it_corrects(type_code, preceding, fires):
    invoice = french_invoice()
    invoice.type_code, invoice.preceding_invoice = type_code, preceding
    assert bool(fired("FR-MEN-05", invoice)) is fires


# ---------------------------------------------------------------------------------------------------------------
# Supplier identifiers, every type
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme, value, rule", [
    ("0009", "32456789000011", None), ("0009", "32456789000012", "FR-SUP-02"), ("0009", "3245678900001", "FR-SUP-02"),
    ("0009", "35600000049837", None),  # La Poste: digit sum
    ("0002", "324567890", None), ("0002", "324567891", "FR-SUP-02"),
    ("0223", "DE136695976", None), ("0223", "DE136695977", "FR-SUP-03"), ("0223", "EL094259216", None),
    ("0223", "GR094259216", "FR-SUP-03"), ("0223", "FR28324567890", "FR-SUP-03"),  # French: SIRET
    ("0227", "USBatimentsDurandSA", "FR-SUP-03"),  # 19 characters
    ("0227", "DEBatimentsDurand", "FR-SUP-03"),  # an EU country
    ("0228", "1234567.001", None), ("0228", "123456.001", None), ("0228", "12345.001", "FR-SUP-03"),
    ("0229", "G33972001", None), ("0229", "003970-001", None), ("0229", "GG3397200", "FR-SUP-03"),
    ("0226", "185052A004", None), ("0226", "1850597101", None), ("0226", "3850569123", "FR-SUP-03"),
    ("0226", "1851369123", "FR-SUP-03"),  # month 13
    ("0088", "3012345678901", None),  # a GLN: not a platform type, not checked (FR-SUP-01 looks at the set)
])
def test_supplier_identifier_valid_for_its_type(scheme, value, rule):
    invoice = french_invoice()
    invoice.seller.identifiers = [Identifier(value, scheme)]
    found = {r for r in ("FR-SUP-02", "FR-SUP-03") if fired(r, invoice)}
    assert found == ({rule} if rule else set())


def test_supplier_identifier_message_names_type_and_reason():
    invoice = french_invoice()
    invoice.seller.identifiers = [Identifier("GG3397200", "0229")]
    [finding] = [REGISTRY["FR-SUP-03"].finding(invoice, v) for v in fired("FR-SUP-03", invoice)]
    assert "TAHITI number" in finding.message_en and "numéro TAHITI" in finding.message_fr
    assert "digit or a letter followed by 8 digits" in finding.hint


@pytest.mark.parametrize("identifiers, legal, vat_id, fires", [
    ([Identifier("32456789000011", "0009")], None, None, False),
    ([], Identifier("324567890", "0002"), None, False),
    ([], None, "FR28324567890", True),  # a French supplier is identified by its SIRET
    ([], None, "DE136695976", False),  # the EU VAT number is the UE_HORS_FRANCE identifier
    ([Identifier("3012345678901", "0088")], None, "FR28324567890", True),
    ([Identifier("32456789000011", None)], None, None, True),
    ([Identifier("G33972001", "0229")], None, None, False),
    ([], None, None, False),  # nothing at all: BR-CO-26
    ([Identifier("DE98ZZZ09999999999", "SEPA")], None, None, False),  # a SEPA creditor id only: BR-CO-26
])
def test_supplier_has_an_identifier_of_a_platform_type(identifiers, legal, vat_id, fires):
    invoice = french_invoice()
    invoice.seller.identifiers, invoice.seller.legal_id, invoice.seller.vat_id = identifiers, legal, vat_id
    assert bool(fired("FR-SUP-01", invoice)) is fires


@pytest.mark.parametrize("value, name, country, warned", [
    ("USAcmeWidgetsInter", "Acme Widgets International Inc", "US", False),
    ("usacmewidgets", "Acme Widgets", "US", False),
    ("USAcmeWidgetsInter", "Acme Widgets International Inc", "CA", True),  # another country
    ("USAcmeWidgetsInter", "Bâtiments Durand SAS", "US", True),
    ("CHNestléS.A.", "Nestlé S.A.", None, False),
])
def test_non_eu_identifier_is_the_country_and_name(value, name, country, warned):
    invoice = french_invoice()
    invoice.seller = dataclasses.replace(invoice.seller, name=name, identifiers=[Identifier(value, "0227")],
                                         legal_id=None, vat_id=None, address=Address(country=country))
    assert bool(fired("FR-SUP-04", invoice)) is warned


# ---------------------------------------------------------------------------------------------------------------
# The same rules on CSV deposits (the model, not XPath)
# ---------------------------------------------------------------------------------------------------------------
CSV_HEADER = ("invoice_number;issue_date;supplier_siret;supplier_name;supplier_vat;buyer_siret;buyer_name;"
              "payment_terms;due_date;line_id;item_name;quantity;unit_price;line_net_amount;vat_rate\n")
CSV_TERMS = "Virement à 30 jours, pénalités taux BCE + 8 points, indemnité forfaitaire 40 EUR"


def _csv_rules(*rows: str) -> set[str]:
    data = (CSV_HEADER + "".join(rows)).encode()
    [document] = list(parse_csv(data, Origin(file_name="f.csv")))
    return french_findings(document.invoice)


@pytest.mark.parametrize("quantity, price, amount, rate, terms, expected", [
    ("12", "24,90", "298,80", "20", CSV_TERMS, set()),
    ("12", "24,90", "300,00", "20", CSV_TERMS, {"FR-TVA-06"}),
    ("12", "24,90", "298,80", "19,6", CSV_TERMS, {"FR-TVA-02"}),
    ("12", "24,90", "298,80", "21", CSV_TERMS, {"FR-TVA-01"}),
    ("12", "24,90", "298,80", "20", "Virement à 30 jours", {"FR-MEN-02"}),
])
def test_csv_invoices_get_the_same_french_rules(quantity, price, amount, rate, terms, expected):
    row = (f"FA-2026-0001;02/03/2026;32456789000011;Bâtiments Durand SAS;FR28324567890;21713000400013;Commune;"
           f"{terms};01/04/2026;1;Ramettes;{quantity};{price};{amount};{rate}\n")
    assert _csv_rules(row) == expected
