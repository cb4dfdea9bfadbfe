"""The CEN EN 16931 unit tests (../shared/corpus/en16931/unit-tests/): the rule in scope fires exactly when expected.

Each case is checked twice: the native rule against the CEN expectation, and the official artifact against the
same expectation (which proves the cases are read right). Syntax-binding rules (UBL-SR, UBL-DT) are the XSD's
and the official artifact's business, not the native rules' (see docs/rules.md).
"""

from __future__ import annotations

import pytest

from edi_gateway.model import Origin
from edi_gateway.parsers import read_xml_invoice
from edi_gateway.validators import all_rules
from edi_gateway.validators.official import artifacts_for, official_validator

from .cen_units import load_cases, native_fires

CASES = load_cases()
BUSINESS_CASES = [case for case in CASES if not case.is_syntax_rule]


def test_the_unit_tests_are_there_and_cover_every_family():
    assert len(BUSINESS_CASES) > 850
    families = {case.rule.rsplit("-", 1)[0] for case in BUSINESS_CASES}
    assert {"BR", "BR-CO", "BR-CL", "BR-S", "BR-Z", "BR-E", "BR-AE", "BR-IC", "BR-G", "BR-O", "BR-AF",
            "BR-AG"} <= families


def test_every_business_rule_of_the_unit_tests_is_native():
    native = {rule.id for rule in all_rules()}
    assert sorted({case.rule for case in BUSINESS_CASES} - native) == []


@pytest.mark.parametrize("case", BUSINESS_CASES, ids=lambda case: f"{case.id}-{case.rule}")
def test_native_rule_fires_exactly_when_the_cen_test_expects(case):
    assert native_fires(case) is case.expect_fired


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.id}-{case.rule}")
def test_the_official_artifact_agrees_with_the_cen_test(case):
    document = read_xml_invoice(case.fragment, Origin(file_name=case.id))
    [artifact] = artifacts_for(document.format)
    fired = {finding.rule for finding in official_validator().findings(artifact, case.fragment)}
    assert (case.rule in fired) is case.expect_fired
