"""Every rule, on a valid invoice and on a minimal mutation of it (tables in tests/mutations/).

- every base invoice passes every native rule, and the official CEN artifact finds no EN 16931 rule broken;
- each mutation fails with exactly its rule id (and the rules the standard makes fail with it, named);
- every registered rule has at least one mutation;
- on every mutation, the EN 16931 rule ids the gateway reports equal those the official artifact reports.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from edi_gateway.model import Origin
from edi_gateway.parsers import read_xml_invoice
from edi_gateway.pipeline import check_document
from edi_gateway.policy import Policy
from edi_gateway.validators import CheckContext, all_rules
from edi_gateway.validators.official import artifacts_for, official_validator

from .mutations import Mutation, all_bases, all_mutations, base_bytes

MUTATIONS = all_mutations()
EN16931_RULE = re.compile(r"^BR-(?!FR)")  # EN 16931 business rules; syntax bindings (UBL-*, CII-*) left aside
TODAY = date(2026, 11, 22)


def native_rule_ids(data: bytes, **context) -> set[str]:
    document = read_xml_invoice(data, Origin(file_name="mutation.xml"))
    verdict = check_document(document, CheckContext(today=TODAY, **context), Policy())
    return {finding.rule for finding in verdict.findings if finding.rule != "XSD"}


def official_en16931_ids(data: bytes) -> set[str]:
    document = read_xml_invoice(data, Origin(file_name="mutation.xml"))
    [artifact] = artifacts_for(document.format)
    return {f.rule for f in official_validator().findings(artifact, data) if EN16931_RULE.match(f.rule)}


@pytest.mark.parametrize("base", all_bases())
def test_base_invoice_passes(base):
    data = base_bytes(base)
    assert native_rule_ids(data) == set()
    assert official_en16931_ids(data) == set()


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.id)
def test_mutation_fails_with_exactly_its_rule(mutation: Mutation):
    assert native_rule_ids(mutation.document(), **mutation.context) == mutation.expected


def test_every_rule_has_a_mutation():
    covered = {m.rule for m in MUTATIONS}
    assert sorted(r.id for r in all_rules() if r.id not in covered) == []


@pytest.mark.parametrize("mutation", [m for m in MUTATIONS if EN16931_RULE.match(m.rule)], ids=lambda m: m.id)
def test_official_artifact_reports_the_same_en16931_rules(mutation: Mutation):
    data = mutation.document()
    native = {rule for rule in native_rule_ids(data, **mutation.context) if EN16931_RULE.match(rule)}
    assert native == official_en16931_ids(data)
