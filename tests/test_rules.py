"""The rule registry and a few rules on realistic invoices (the full rule set and its CEN equivalence: issue 4)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from edi_gateway.model import Origin
from edi_gateway.parsers import read_flow
from edi_gateway.validators import CheckContext, all_rules, run_rules
from edi_gateway.validators.catalogue import rules_markdown
from edi_gateway.validators.rules.calculation import round2

from .conftest import REPO
from .factories import french_ubl
from .mutations import apply, remove


def _invoice(data: bytes):
    return next(read_flow(data, Origin(file_name="t.xml"))).invoice


def test_every_rule_has_id_bt_messages_and_hint():
    rules = all_rules()
    assert len({r.id for r in rules}) == len(rules) >= 30
    for r in rules:
        assert r.bt and r.en and r.fr and r.hint and r.reason_code, r.id
        assert r.en != r.fr, f"{r.id}: the French message is not a translation"


def test_docs_rules_md_is_generated_from_the_registry():
    assert (REPO / "docs" / "rules.md").read_text() == rules_markdown(), \
        "docs/rules.md is stale: run `make rules-doc`"


def test_valid_french_invoice_has_no_finding():
    assert run_rules(_invoice(french_ubl()), CheckContext()) == []


@pytest.mark.parametrize("value, expected", [
    ("2.345", "2.35"), ("2.344", "2.34"), ("-2.345", "-2.34"), ("-2.346", "-2.35"), ("10", "10.00")])
def test_round2_follows_xpath_round_half_towards_positive_infinity(value, expected):
    assert round2(Decimal(value)) == Decimal(expected)


def test_code_lists_trim_spaces_as_the_official_test_does_and_name_each_bad_code():
    invoice = _invoice(french_ubl())
    line = invoice.lines[0]
    line.unit_code = " C62 "  # normalize-space: accepted
    assert [f.rule for f in run_rules(invoice, CheckContext())] == []
    line.unit_code, invoice.lines[-1].price_base_unit_code = "ZZZ", "C 62"
    found = [(f.rule, f.field, f.value) for f in run_rules(invoice, CheckContext()) if f.rule == "BR-CL-23"]
    assert found == [("BR-CL-23", "lines[0].unit_code", "ZZZ"),
                     ("BR-CL-23", f"lines[{len(invoice.lines) - 1}].price_base_unit_code", "C 62")]
    invoice.amount_currencies["totals.payable"] = "EUR "  # trimmed: accepted; each unlisted one on its amount
    invoice.amount_currencies["totals.prepaid"] = "ZZZ"
    assert [(f.field, f.value) for f in run_rules(invoice, CheckContext()) if f.rule == "BR-CL-03"] == [
        ("totals.prepaid", "ZZZ")]


def test_identifier_rules_name_the_bad_siret_and_its_location():
    invoice = _invoice(french_ubl(supplier_siret="32456789000012", recipient_siret="2171300040001"))
    findings = {f.rule: f for f in run_rules(invoice, CheckContext())}
    assert set(findings) == {"FR-SUP-02", "FR-REC-02"}
    assert findings["FR-SUP-02"].value == "32456789000012" and "SIRET" in findings["FR-SUP-02"].message_en
    assert findings["FR-SUP-02"].location.startswith("/Invoice/cac:AccountingSupplierParty/cac:Party/"
                                                     "cac:PartyIdentification/cbc:ID[1] (line ")
    assert "14 digits" in findings["FR-REC-02"].hint


def test_la_poste_siret_follows_its_own_check():
    # La Poste establishments (SIREN 356000000) use "sum of digits divisible by 5" instead of Luhn
    assert run_rules(_invoice(french_ubl(supplier_siret="35600000000048")), CheckContext()) == []
    assert [f.rule for f in run_rules(_invoice(french_ubl(supplier_siret="35600000012345")), CheckContext())] \
        == ["FR-SUP-02"]


def test_a_missing_mandatory_term_is_reported_with_its_bt():
    data = apply(french_ubl(), [remove("/ubl:Invoice/cbc:ID"), remove("/ubl:Invoice/cac:InvoiceLine[4]/cac:Item/cbc:Name")])
    invoice = _invoice(data)
    findings = {f.rule: f for f in run_rules(invoice, CheckContext())}
    assert set(findings) == {"BR-02", "BR-25"}
    assert findings["BR-25"].field == "lines[3].name" and findings["BR-25"].bt == "BT-153"
    assert "line 4" in findings["BR-25"].message_en


def test_duplicate_rules_read_the_context():
    invoice = _invoice(french_ubl("BD-2026-0001"))
    key = ("32456789000011", "BD-2026-0001", 2026, "invoice")
    assert [f.rule for f in run_rules(invoice, CheckContext(accepted_in_lot={key: "lot.zip!a.xml"}))] \
        == ["FR-DUP-01"]
    assert [f.rule for f in run_rules(invoice, CheckContext(accepted_in_ledger={key}))] == ["FR-DUP-02"]
