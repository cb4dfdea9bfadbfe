"""The demo samples (samples/), through the real `edi-gateway` command run as a subprocess, as `make demo` runs it.

tools/demo.sh imports the sample directory, registers five depositors and copies each sample into the inbox of
the depositor that sends it; the tests then run the gateway over every inbox. One table, EXPECTED, says what the
gateway must decide for every sample (samples/*.xml, *.pdf, *.csv, *.zip): per invoice (by number) or per lot
member (by member name), the decision and the exact set of rule ids of its findings. A flow that cannot be read
at all is "irrecevable", with its IRR_* code. ROUTES says where each accepted invoice is delivered.
The XML, PDF and ZIP samples come from tools/make_samples.py; the two CSV files are written by hand.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from edi_gateway.emitters.cdar import validate_cdar

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DEMO_GLOBS = ("*.xml", "*.pdf", "*.csv", "*.zip")  # the Makefile's `demo` target copies exactly these

ACCEPTED, REJECTED, IRRECEVABLE = "accepted", "rejected", "irrecevable"
LOT = "lot-mairie-belleville-2026-11.zip"
WRONG_TOTAL = "lemoine-facture-IL-2026-0083-total-errone.xml"
SCAN = "scan-sans-facturx.pdf"

# file -> [(invoice number, or member name inside a ZIP lot, or None for an unreadable flow; decision; rule ids)]
EXPECTED: dict[str, list[tuple[str | None, str, set[str]]]] = {
    # valid: every invoice accepted without any finding
    "durand-facture-BD-2026-0142.xml": [("BD-2026-0142", ACCEPTED, set())],
    "lemoine-facture-IL-2026-0071.xml": [("IL-2026-0071", ACCEPTED, set())],
    "lemoine-avoir-IL-2026-0077.xml": [("IL-2026-0077", ACCEPTED, set())],
    "nettoyage-facture-NSO-2026-0121.xml": [("NSO-2026-0121", ACCEPTED, set())],
    "nettoyage-facture-NSO-2026-0118-cii.xml": [("NSO-2026-0118", ACCEPTED, set())],
    "martin-facturx-FBM-2026-0215.pdf": [("FBM-2026-0215", ACCEPTED, set())],
    "cabinet-martin-lignes.csv": [
        ("FBM-2026-0101", ACCEPTED, set()),
        ("FBM-2026-0102", ACCEPTED, set()),
        ("ILM-2026-0017", ACCEPTED, set()),
    ],
    # one typical mistake each
    "durand-facture-BD-2026-0150-sans-date.xml": [("BD-2026-0150", REJECTED, {"XSD", "BR-03"})],
    WRONG_TOTAL: [("IL-2026-0083", REJECTED, {"BR-CO-15"})],
    "durand-facture-BD-2026-0147-siret-invalide-cii.xml": [("BD-2026-0147", REJECTED, {"FR-SUP-02"})],
    SCAN: [(None, IRRECEVABLE, {"IRR_EXTRAC"})],
    # routing: a works frame and a sub-contractor frame, an unknown recipient, a missing service code
    "durand-etat-acompte-BD-2026-0170-travaux.xml": [("BD-2026-0170", ACCEPTED, set())],
    "nettoyage-facture-NSO-2026-0140-sous-traitance.xml": [("NSO-2026-0140", ACCEPTED, set())],
    "lemoine-facture-IL-2026-0101-destinataire-inconnu.xml": [("IL-2026-0101", REJECTED, {"ROUTE-01"})],
    "lemoine-facture-IL-2026-0102-sans-service.xml": [("IL-2026-0102", REJECTED, {"ROUTE-03"})],
    "cabinet-lefevre-factures.csv": [
        ("BDS-2026-0031", ACCEPTED, set()),
        ("NSO-2026-0112", ACCEPTED, set()),
        ("NSO-2026-0113", ACCEPTED, set()),
        ("BDS-2026-ERR-0032", REJECTED, {"BR-CO-15"}),
    ],
    # a lot, members in archive order
    LOT: [
        ("durand-facture-BD-2026-0161.xml", ACCEPTED, set()),
        ("nettoyage-facture-NSO-2026-0130.xml", ACCEPTED, set()),
        # deposited by cabinet-lefevre, which is not attached to Fournitures Bureau Martin
        ("martin-facturx-FBM-2026-0220.pdf", REJECTED, {"DEP-01"}),
        ("durand-facture-BD-2026-0161-doublon.xml", REJECTED, {"FR-DUP-01"}),
        ("bon-de-livraison-BL-2026-3310.txt", REJECTED, {"IRR_TYPE"}),
        ("lemoine-facture-IL-2026-0094-tronquee.xml", REJECTED, {"IRR_SYNTAX"}),
    ],
}
COMMUNE, DEPARTEMENT, SYNDICAT = "21713000400013", "21300785900019", "20069000600016"
# invoice number -> (recipient, service or "_", frame) of every accepted invoice
ROUTES = {
    "BD-2026-0142": (COMMUNE, "SERV-TECH", "A1"),
    "IL-2026-0071": (DEPARTEMENT, "DIR-BATIMENTS", "A1"),
    "IL-2026-0077": (DEPARTEMENT, "DIR-BATIMENTS", "A1"),
    "NSO-2026-0121": (DEPARTEMENT, "DIR-BATIMENTS", "A1"),
    "NSO-2026-0118": (SYNDICAT, "_", "A1"),
    "FBM-2026-0215": (COMMUNE, "FINANCES", "A1"),
    "FBM-2026-0101": (COMMUNE, "SERV-TECH", "A1"),
    "FBM-2026-0102": (DEPARTEMENT, "DIR-BATIMENTS", "A1"),
    "ILM-2026-0017": (COMMUNE, "FINANCES", "A1"),
    "BDS-2026-0031": (DEPARTEMENT, "DIR-BATIMENTS", "A1"),
    "NSO-2026-0112": (COMMUNE, "SERV-TECH", "A1"),
    "NSO-2026-0113": (SYNDICAT, "_", "A1"),
    "BD-2026-0161": (COMMUNE, "SERV-TECH", "A1"),
    "NSO-2026-0130": (COMMUNE, "SERV-TECH", "A1"),
    "BD-2026-0170": (DEPARTEMENT, "DIR-BATIMENTS", "A5"),
    "NSO-2026-0140": (DEPARTEMENT, "DIR-COLLEGES", "A9"),
}
DEPOSITORS = {"durand", "lemoine", "nettoyage", "cabinet-martin", "cabinet-lefevre"}
VALID = [name for name, invoices in EXPECTED.items() if all(decision == ACCEPTED for _, decision, _ in invoices)]
ACCEPTED_TOTAL = sum(decision == ACCEPTED for invoices in EXPECTED.values() for _, decision, _ in invoices)


def sample_files() -> list[Path]:
    return sorted({path for pattern in DEMO_GLOBS for path in SAMPLES.glob(pattern)})


def demo(step: str, base: Path, *args: str) -> subprocess.CompletedProcess:
    """A step of tools/demo.sh (the script `make demo` runs), calling this interpreter's edi-gateway."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "EDI_GATEWAY": f"{sys.executable} -m edi_gateway.cli"}
    done = subprocess.run(["bash", str(ROOT / "tools" / "demo.sh"), step, str(base), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=600)
    assert done.returncode == 0, done.stderr
    return done


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "edi_gateway.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=600)


def key_of(label: str, number: str | None) -> str | None:
    """An invoice's handle in EXPECTED: the member name inside a lot, else the invoice number."""
    if "!" in label:
        return label.split("!", 1)[1].split("#", 1)[0]
    return number


def expected_flow_status(invoices) -> str:
    decisions = {decision for _, decision, _ in invoices}
    if decisions == {ACCEPTED}:
        return "IN_INTEGRE"
    return "IN_INTEGRE_PARTIEL" if ACCEPTED in decisions else "IN_REJETE"


def test_expectations_cover_exactly_the_demo_files():
    assert sorted(p.name for p in sample_files()) == sorted(EXPECTED)


def test_no_sample_is_a_byte_copy_of_another():
    digests = Counter(p.read_bytes() for p in sample_files())
    assert max(digests.values()) == 1


# ----------------------------------------------------------------------------------------------------------------
# (a) one run over every sample; (b) the same samples deposited again
# ----------------------------------------------------------------------------------------------------------------
class Deposit:
    def __init__(self, base: Path):
        self.base = base
        self.inbox = base / "inbox"
        self.outbox = base / "outbox"
        self.db = base / "ledger.sqlite3"

    def setup(self) -> None:
        demo("setup", self.base)

    def fill_inbox(self) -> None:
        demo("deposit", self.base)

    def run(self) -> list[dict]:
        return json.loads(demo("run", self.base, "--json").stdout)

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.db) as connection:
            return connection.execute(sql, params).fetchall()

    def accepted_count(self) -> int:
        return self.query("SELECT COUNT(*) FROM invoices WHERE decision = 'accepted'")[0][0]


@pytest.fixture(scope="module")
def deposit(tmp_path_factory) -> Deposit:
    return Deposit(tmp_path_factory.mktemp("gateway"))


@pytest.fixture(scope="module")
def first_run(deposit: Deposit) -> dict:
    """Run once over a copy of every sample and snapshot what the tests look at (before any second run)."""
    deposit.setup()
    deposit.fill_inbox()
    results = deposit.run()
    reports = {}
    for result in results:
        folder = Path(result["reports"])
        reports[result["file"]] = {name: json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
                                   for name in ("acceptance", "rejection")}
    origins = {batch: [row[0] for row in deposit.query(
        "SELECT origin FROM invoices WHERE batch_id = ? ORDER BY position", batch)]
        for batch in (r["batch"] for r in results)}
    return {
        "results": results,
        "reports": reports,
        "origins": origins,
        "files": sorted(p.relative_to(deposit.base).as_posix() for p in deposit.base.rglob("*") if p.is_file()),
        "batches": [row[0] for row in deposit.query("SELECT file_name FROM batches")],
        "accepted": deposit.accepted_count(),
    }


def decisions_from_reports(result: dict, reports: dict, origins: list[str]) -> list[tuple]:
    """[(key, decision, rule ids)] of one flow, in the order of its invoices, as its reports tell it."""
    acceptance, rejection = reports["acceptance"], reports["rejection"]
    if result["reason_code"]:
        assert not acceptance["invoices"] and not rejection["invoices"]
        return [(None, IRRECEVABLE, {f["rule"] for f in rejection["flow_findings"]})]
    by_origin = {}
    for entry in acceptance["invoices"]:
        by_origin[entry["invoice"]] = (key_of(entry["invoice"], entry["number"]), ACCEPTED,
                                       {f["rule"] for f in entry["warnings"]})
    for entry in rejection["invoices"]:
        by_origin[entry["invoice"]] = (key_of(entry["invoice"], entry["number"]), REJECTED,
                                       {f["rule"] for f in entry["findings"]})
    assert sorted(by_origin) == sorted(origins)
    return [by_origin[origin] for origin in origins]


def test_run_decides_every_invoice_as_expected(first_run):
    results = {r["file"]: r for r in first_run["results"]}
    assert sorted(results) == sorted(EXPECTED)
    for name, expected in EXPECTED.items():
        result = results[name]
        got = decisions_from_reports(result, first_run["reports"][name], first_run["origins"][result["batch"]])
        assert got == expected, name
        assert result["flow_status"] == expected_flow_status(expected), name
        for report in first_run["reports"][name].values():
            assert report["flow_status"] == result["flow_status"]
            assert report["file"] == name
        if expected[0][1] == IRRECEVABLE:
            assert result["reason_code"] == sorted(expected[0][2])[0]
            assert result["invoices"] == 0
        else:
            assert result["reason_code"] is None
            assert result["accepted"] == sum(d == ACCEPTED for _, d, _ in expected), name
            assert result["rejected"] == sum(d == REJECTED for _, d, _ in expected), name


def test_run_files_every_sample_away(first_run, deposit):
    files = first_run["files"]
    assert not [f for f in files if f.startswith("inbox/")], "the inboxes are empty afterwards"
    assert not [f for f in files if f.startswith("work/")]
    batch_of = {r["file"]: r["batch"] for r in first_run["results"]}

    quarantined = [f for f in files if f.startswith("quarantine/")]
    assert quarantined == [f"quarantine/{batch_of[SCAN]}__{SCAN}", f"quarantine/{batch_of[SCAN]}__{SCAN}.reason.txt"]
    reason = (deposit.base / quarantined[1]).read_text(encoding="utf-8")
    assert "IRR_EXTRAC" in reason

    archived = [f for f in files if f.startswith("archive/")]
    for name in EXPECTED:
        if name == SCAN:
            continue
        pattern = re.compile(rf"archive/\d{{4}}/\d{{2}}/\d{{2}}/{re.escape(batch_of[name])}__{re.escape(name)}")
        assert [f for f in archived if pattern.fullmatch(f)], name
    assert len(archived) == len(EXPECTED) - 1
    for f in archived:
        original = SAMPLES / f.rsplit("__", 1)[1]
        assert (deposit.base / f).read_bytes() == original.read_bytes()


FLOW_FORMATS = {"ubl-invoice": ["durand-facture-BD-2026-0142.xml", "lemoine-facture-IL-2026-0071.xml",
                                "nettoyage-facture-NSO-2026-0121.xml", "durand-facture-BD-2026-0150-sans-date.xml",
                                WRONG_TOTAL],
                "ubl-creditnote": ["lemoine-avoir-IL-2026-0077.xml"],
                "cii": ["nettoyage-facture-NSO-2026-0118-cii.xml",
                        "durand-facture-BD-2026-0147-siret-invalide-cii.xml"],
                "csv": ["cabinet-martin-lignes.csv", "cabinet-lefevre-factures.csv"],
                "zip": [LOT],
                None: [SCAN]}
FACTURX_PDF = "martin-facturx-FBM-2026-0215.pdf"


def test_run_tells_the_format_of_each_flow(first_run):
    formats = {r["file"]: r["format"] for r in first_run["results"]}
    for expected, names in FLOW_FORMATS.items():
        for name in names:
            assert formats[name] == expected, name


def test_run_records_a_facturx_pdf_as_facturx_pdf(first_run, deposit):
    formats = {r["file"]: r["format"] for r in first_run["results"]}
    assert formats[FACTURX_PDF] == "facturx-pdf"
    rows = deposit.query("SELECT format FROM invoices WHERE origin IN (?, ?)", FACTURX_PDF,
                         f"{LOT}!martin-facturx-FBM-2026-0220.pdf")
    assert [row[0] for row in rows] == ["facturx-pdf", "facturx-pdf"]


def test_ledger_has_one_batch_per_file(first_run):
    assert Counter(first_run["batches"]) == Counter(p.name for p in sample_files())
    assert first_run["accepted"] == ACCEPTED_TOTAL


def test_second_deposit_of_the_same_files_is_a_duplicate_flow(first_run, deposit):
    deposit.fill_inbox()
    results = deposit.run()
    assert sorted(r["file"] for r in results) == sorted(EXPECTED)
    for result in results:
        assert result["reason_code"] == "IRR_UNICITE", result["file"]
        assert result["flow_status"] == "IN_REJETE", result["file"]
        assert (result["invoices"], result["accepted"]) == (0, 0), result["file"]
    assert deposit.accepted_count() == first_run["accepted"]
    assert not [p for p in deposit.inbox.rglob("*") if p.is_file()], "every inbox is empty again"


# ----------------------------------------------------------------------------------------------------------------
# (c) validate: the dry run agrees with the table, and prints the documented JSON shape
# ----------------------------------------------------------------------------------------------------------------
@functools.cache
def validate_json(name: str, *options: str) -> tuple[int, list[dict]]:
    done = cli("validate", "--json", str(SAMPLES / name), *options, cwd=ROOT)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def directory_only(tmp_path_factory) -> Path:
    """A ledger with the sample directory and the demo's depositors, and no invoice yet (tools/demo.sh setup)."""
    base = tmp_path_factory.mktemp("directory")
    demo("setup", base)
    return base / "ledger.sqlite3"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_agrees_with_the_table(name, first_run, directory_only):
    """The dry run against the ledger's directory, as the depositor that sent the file, decides as `run` did."""
    depositor = next(r["depositor"] for r in first_run["results"] if r["file"] == name)
    code, objects = validate_json(name, "--db", f"sqlite:///{directory_only}", "--depositor", depositor)
    expected = EXPECTED[name]
    got = [(key_of(o["file"], o["invoice"]), o["decision"], {f["rule"] for f in o["findings"]}) for o in objects]
    dry = [(key, REJECTED if decision == IRRECEVABLE else decision, rules) for key, decision, rules in expected]
    assert got == dry
    assert code == (0 if name in VALID else 1)


@pytest.mark.parametrize("name", VALID)
def test_validate_json_of_a_valid_sample(name):
    code, objects = validate_json(name)
    assert code == 0
    assert len(objects) == len(EXPECTED[name])
    for obj in objects:
        assert set(obj) == {"file", "invoice", "decision", "findings"}
        assert obj["decision"] == ACCEPTED
        assert obj["findings"] == []
        assert obj["file"].startswith(name)


def test_validate_json_of_the_wrong_total(name=WRONG_TOTAL):
    code, objects = validate_json(name)
    assert code == 1
    assert len(objects) == 1
    obj = objects[0]
    assert set(obj) == {"file", "invoice", "decision", "findings"}
    assert (obj["file"], obj["invoice"], obj["decision"]) == (name, "IL-2026-0083", REJECTED)
    [finding] = obj["findings"]
    assert finding["rule"] == "BR-CO-15"
    assert finding["severity"] == "fatal"
    assert "BT-112" in finding["bt"]
    assert "TaxInclusiveAmount" in finding["location"]
    assert finding["value"] == "2708.80"  # 2698.80 + 10.00
    for key in ("message_fr", "message_en", "hint"):
        assert finding[key].strip(), key
    assert "2708.80" in finding["message_en"] and "2708.80" in finding["message_fr"]
    assert "= 2698.80" in finding["message_en"] and "Set BT-112 to 2698.80" in finding["hint"]


# ----------------------------------------------------------------------------------------------------------------
# depositors and routing
# ----------------------------------------------------------------------------------------------------------------
def test_each_flow_belongs_to_the_depositor_whose_inbox_it_came_from(first_run, deposit):
    rows = deposit.query("SELECT depositor, source FROM batches")
    assert {depositor for depositor, _ in rows} == DEPOSITORS
    for depositor, source in rows:
        assert Path(source.removeprefix("folder:")).name == depositor


def test_accepted_invoices_are_delivered_unchanged_to_their_recipient_service_and_frame(first_run, deposit):
    rows = deposit.query("SELECT number, recipient_id, service_code, billing_frame, routed_path, sha256, origin, "
                         "batch_id, position FROM invoices WHERE decision = 'accepted'")
    assert {number: (recipient, service or "_", frame) for number, recipient, service, frame, *_ in rows} == ROUTES
    for number, recipient, service, frame, routed_path, sha256, origin, batch, position in rows:
        path = deposit.outbox / routed_path
        assert path.parent == deposit.outbox / "routed" / recipient / (service or "_") / frame, number
        assert path.name.startswith(f"{batch}-{position:05d}-{number}"), number
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha256, number
        if "!" not in origin and not origin.endswith(".csv") and "#" not in origin:
            assert data == (SAMPLES / origin).read_bytes(), f"{number} is written unchanged"
        envelope = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert envelope["sha256"] == sha256 and envelope["invoice"] == number
        assert envelope["route"] == {"recipient": recipient, "service": service, "frame": frame,
                                     "engagement": envelope["route"]["engagement"]}
        assert envelope["batch"]["id"] == batch and envelope["batch"]["position"] == position


def test_nothing_else_is_routed(first_run, deposit):
    invoices = [p for p in (deposit.outbox / "routed").rglob("*") if p.is_file() and p.suffix != ".json"]
    envelopes = [p for p in (deposit.outbox / "routed").rglob("*.json")]
    assert len(invoices) == len(envelopes) == len(ROUTES)
    assert not [p for p in deposit.outbox.rglob("*") if p.name.startswith(".")], "no temporary file is left"


def test_each_batch_has_a_routing_manifest_saying_where_each_invoice_went(first_run, deposit):
    for result in first_run["results"]:
        if result["reason_code"]:
            continue
        manifest = json.loads((deposit.outbox / "manifests" / f"{result['batch']}.json").read_text("utf-8"))
        assert manifest["depositor"] == result["depositor"] and manifest["file"] == result["file"]
        assert len(manifest["invoices"]) == result["invoices"]
        assert manifest["routed"] == result["accepted"] == len(result["routed"])
        for entry in manifest["invoices"]:
            if entry["decision"] == "accepted":
                assert (deposit.outbox / entry["routed_to"]).is_file()
            else:
                assert "routed_to" not in entry and entry["not_routed_because"]


def test_delivered_invoices_are_made_available_to_their_recipient(first_run, deposit):
    statuses = deposit.query("SELECT i.number, i.status_code, group_concat(e.code, ' ') FROM invoices i "
                             "JOIN status_events e ON e.invoice_id = i.id WHERE i.decision = 'accepted' "
                             "GROUP BY i.id ORDER BY i.id")
    assert len(statuses) == len(ROUTES)
    assert all(code == "203" and history == "200 203" for _, code, history in statuses)


def test_the_summary_shows_where_invoices_were_routed(first_run):
    routed = Counter((r["recipient"], r["service"], r["frame"]) for result in first_run["results"]
                     for r in result["routed"])
    assert routed == Counter(ROUTES.values())
    assert len({recipient for recipient, _, _ in routed}) == 3 and len({frame for _, _, frame in routed}) == 3


# ----------------------------------------------------------------------------------------------------------------
# what depositors read back: integration reports, status returns, deposit certificates
# ----------------------------------------------------------------------------------------------------------------
def returns_of(deposit: Deposit, result: dict) -> Path:
    return deposit.outbox / "returns" / result["depositor"] / result["batch"]


def test_status_returns_give_each_invoice_exactly_one_current_status_as_in_the_ledger(first_run, deposit):
    for result in first_run["results"]:
        with (returns_of(deposit, result) / "status.csv").open(newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream, delimiter=";"))
        ledger = deposit.query("SELECT position, number, decision, status_code FROM invoices WHERE batch_id = ? "
                               "ORDER BY position", result["batch"])
        assert [(int(r["position"]), r["invoice"] or None, r["decision"], r["status_code"]) for r in rows] == ledger
        assert len({r["position"] for r in rows}) == len(rows) == result["invoices"], "one current status each"
        for row in rows:
            expected = ("203", "MISE_A_DISPOSITION") if row["decision"] == ACCEPTED else ("213", "REJETEE")
            assert (row["status_code"], row["legacy_status"]) == expected, row
            assert bool(row["reason_code"]) == (row["decision"] == REJECTED), row


def test_every_flow_has_an_integration_report_in_json_and_xml(first_run, deposit):
    for result in first_run["results"]:
        folder = returns_of(deposit, result)
        report = json.loads((folder / "integration.json").read_text(encoding="utf-8"))
        assert (report["flow_id"], report["file"], report["flow_status"]) == (
            result["batch"], result["file"], result["flow_status"])
        assert (report["invoices"], report["accepted"], report["rejected"]) == (
            result["invoices"], result["accepted"], result["rejected"])
        assert (report["reason"] or {}).get("code") == result["reason_code"]
        xml = etree.parse(str(folder / "integration.xml"))
        ns = {"r": "urn:edi-gateway:integration-report:1"}
        assert xml.findtext("r:Flow/r:FlowStatus", namespaces=ns) == result["flow_status"]
        assert xml.find("r:Flow/r:Invoices", ns).get("accepted") == str(result["accepted"])


def test_each_accepted_invoice_has_a_deposit_certificate(first_run, deposit):
    accepted = deposit.query("SELECT batch_id, position, number, sha256 FROM invoices WHERE decision = 'accepted'")
    depositor_of = {r["batch"]: r["depositor"] for r in first_run["results"]}
    certificates = list((deposit.outbox / "returns").rglob("certificates/*.json"))
    assert len(certificates) == len(accepted)
    for batch, position, number, sha256 in accepted:
        folder = deposit.outbox / "returns" / depositor_of[batch] / batch / "certificates"
        [path] = folder.glob(f"{position:05d}-*.json")
        certificate = json.loads(path.read_text(encoding="utf-8"))
        assert (certificate["flow_id"], certificate["invoice"], certificate["invoice_sha256"]) == (
            batch, number, sha256)
        assert [s["code"] for s in certificate["statuses"]] == ["200", "203"]


def test_every_cdar_message_of_the_samples_passes_the_official_xsd_and_schematron(first_run, deposit):
    ns = {"rsm": "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100",
          "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    for result in first_run["results"]:
        folder = returns_of(deposit, result) / "cdar"
        statuses: dict[str, list[str]] = {}
        for path in sorted(folder.glob("*.xml")):
            data = path.read_bytes()
            assert validate_cdar(data) == [], path.name
            referenced = etree.fromstring(data).find(".//ram:ReferenceReferencedDocument", ns)
            code = referenced.findtext("ram:ProcessConditionCode", namespaces=ns)
            statuses.setdefault(referenced.findtext("ram:IssuerAssignedID", namespaces=ns), []).append(code)
        flow_code = "501" if result["reason_code"] else "500"
        assert statuses.pop(result["batch"]) == [flow_code]
        history = deposit.query("SELECT i.number, i.origin, group_concat(e.code, ' ') FROM invoices i JOIN "
                                "status_events e ON e.invoice_id = i.id WHERE i.batch_id = ? GROUP BY i.id",
                                result["batch"])
        expected: dict[str, list[str]] = {}
        for number, origin, codes in history:
            expected.setdefault(number or origin, []).extend(codes.split())
        assert {key: sorted(codes) for key, codes in statuses.items()} == {
            key: sorted(codes) for key, codes in expected.items()}, result["file"]
