"""The official artifacts through Saxon: the reference for the native rules, and the --strict second opinion."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from edi_gateway import pipeline
from edi_gateway.cli import main
from edi_gateway.config import load_settings
from edi_gateway.errors import ConfigError
from edi_gateway.ledger import Ledger
from edi_gateway.model import DocumentFormat, Origin
from edi_gateway.parsers import read_flow
from edi_gateway.policy import Policy
from edi_gateway.validators import CheckContext, all_rules
from edi_gateway.validators.official import (
    EN16931_UBL, artifacts_for, official_rule_ids, official_validator, readable_location,
)

from .conftest import corpus_examples
from .factories import french_ubl

EN16931_RULE = re.compile(r"^BR-(?!FR)")


def test_the_official_artifact_finds_a_wrong_total_and_says_where():
    findings = official_validator().check(DocumentFormat.UBL_INVOICE, french_ubl(payable_delta=Decimal(1)))
    assert {f.rule for f in findings if EN16931_RULE.match(f.rule)} == {"BR-CO-15"}
    [finding] = [f for f in findings if f.rule == "BR-CO-15"]
    assert finding.source == "EN16931-UBL" and finding.location == "/Invoice[1]"
    assert "BT-112" in finding.message_en


def test_every_artifact_compiles_and_names_its_rules():
    assert {"BR-01", "BR-CO-15", "BR-S-08", "BR-CL-14", "BR-DEC-23"} <= official_rule_ids(EN16931_UBL)
    for document_format in (DocumentFormat.UBL_INVOICE, DocumentFormat.CII):
        for artifact in artifacts_for(document_format, french=True):
            assert official_rule_ids(artifact), artifact.name
    assert artifacts_for(DocumentFormat.CSV, french=True) == []


def test_svrl_locations_are_made_readable():
    raw = ("/*:Invoice[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'][1]"
           "/*:LegalMonetaryTotal[namespace-uri()='urn:x'][1]")
    assert readable_location(raw) == "/Invoice[1]/LegalMonetaryTotal[1]"


@pytest.mark.parametrize("path", corpus_examples(), ids=lambda p: p.name)
def test_native_and_official_agree_on_every_corpus_example(path):
    """The CEN examples: the EN 16931 rule ids the gateway reports equal those the official artifact reports."""
    [document] = read_flow(path.read_bytes(), Origin(file_name=path.name))
    verdict = pipeline.check_document(document, CheckContext(), Policy())
    native = {f.rule for f in verdict.findings if EN16931_RULE.match(f.rule)}
    official = {f.rule for f in official_validator().check(document.format, document.content)
                if EN16931_RULE.match(f.rule)}
    assert native == official


def _validate_json(capsys, *args) -> list[dict]:
    main(["validate", "--json", *args])
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_strict_adds_the_official_findings_marked_with_their_source(tmp_path, capsys):
    invoice = tmp_path / "total.xml"
    invoice.write_bytes(french_ubl(payable_delta=Decimal(1)))

    [plain] = _validate_json(capsys, str(invoice))
    [strict] = _validate_json(capsys, "--strict", str(invoice))

    assert {(f["rule"], f["source"]) for f in plain["findings"]} == {("BR-CO-15", "native")}
    sources = {(f["rule"], f["source"]) for f in strict["findings"] if EN16931_RULE.match(f["rule"])}
    assert sources == {("BR-CO-15", "native"), ("BR-CO-15", "EN16931-UBL")}
    french = [f for f in strict["findings"] if f["source"] == "BR-FR-Flux2-UBL"]
    assert french and {f["severity"] for f in french} == {"warning"}, "the 2026 CTC rules only warn by default"


def test_the_configuration_may_make_the_french_ctc_rules_fatal(tmp_path, capsys):
    config = tmp_path / "gateway.toml"
    config.write_text('[validation]\nstrict = true\nfrench_ctc = "fatal"\n')
    invoice = tmp_path / "ok.xml"
    invoice.write_bytes(french_ubl())

    [verdict] = _validate_json(capsys, "--config", str(config), str(invoice))

    assert verdict["decision"] == "rejected"
    assert {f["source"] for f in verdict["findings"]} == {"BR-FR-Flux2-UBL"}
    # BR-FR-08: Chorus Pro's billing frames (A1…) are not the 2026 reform's (B1, S1, M1…)
    assert any(f["rule"] == "BR-FR-08_BT-23" for f in verdict["findings"])


@pytest.mark.parametrize("text, message", [
    ('[validation]\nstrict = "yes"\n', "expected true or false"),
    ('[validation]\nfrench_ctc = "loud"\n', "french_ctc = 'loud'"),
    ('[validation]\nstrictness = true\n', "unknown key"),
])
def test_validation_settings_are_checked(tmp_path, text, message):
    config = tmp_path / "gateway.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(config)


def test_a_strict_run_reports_the_source_of_each_finding(gateway_dirs):
    (gateway_dirs["inbox"] / "total.xml").write_bytes(french_ubl("BD-2026-0900", payable_delta=Decimal(1)))
    settings = load_settings(None, inbox=gateway_dirs["inbox"], outbox=gateway_dirs["outbox"],
                             database=gateway_dirs["db"], strict=True)

    [result] = pipeline.Gateway(settings, Ledger(settings.database)).run_once()

    rejection = json.loads((gateway_dirs["outbox"] / "reports" / result.batch_id / "rejection.json").read_text())
    [entry] = rejection["invoices"]
    assert {("BR-CO-15", "native"), ("BR-CO-15", "EN16931-UBL")} <= {(f["rule"], f["source"])
                                                                       for f in entry["findings"]}
    csv_header = (gateway_dirs["outbox"] / "reports" / result.batch_id / "rejection.csv").read_text().splitlines()[0]
    assert csv_header.endswith(";source")


EN16931_ONLY = Policy({rule.id: "off" for rule in all_rules() if not EN16931_RULE.match(rule.id)})


@pytest.mark.parametrize("path", corpus_examples(), ids=lambda p: p.name)
def test_every_corpus_example_passes_en16931_with_no_fatal_finding(path):
    """The CEN examples are valid EN 16931 invoices. They are not French B2G ones (no SIRET recipient, made-up
    VAT numbers): the gateway's FR- rules reject them, which the configuration can switch off as it is here."""
    [document] = read_flow(path.read_bytes(), Origin(file_name=path.name))
    verdict = pipeline.check_document(document, CheckContext(), EN16931_ONLY)
    assert [f.rule for f in verdict.findings if f.severity.value == "fatal"] == []
    assert verdict.decision.value == "accepted"
