"""The pipeline through its public entry points (Gateway.run_once, the CLI), on real files and a real ledger."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from decimal import Decimal

import pytest

from edi_gateway import pipeline
from edi_gateway.cli import main
from edi_gateway.config import load_settings
from edi_gateway.emitters import outbox, reports, returns, routed
from edi_gateway.ledger import Ledger
from edi_gateway.ledger.store import Ledger as LedgerClass

from .factories import french_ubl, zip_lot


def _run(dirs) -> list[pipeline.BatchResult]:
    settings = load_settings(None, inbox=dirs["inbox"], outbox=dirs["outbox"], database=dirs["db"])
    return pipeline.Gateway(settings, Ledger(settings.database)).run_once()


def _report(dirs, result, kind: str) -> dict:
    return json.loads((dirs["outbox"] / "reports" / result.batch_id / f"{kind}.json").read_text())


def _ledger_rows(dirs, query: str) -> list[tuple]:
    with sqlite3.connect(dirs["db"].removeprefix("sqlite:///")) as connection:
        return connection.execute(query).fetchall()


def test_valid_invoice_is_accepted_recorded_reported_and_archived(gateway_dirs):
    (gateway_dirs["inbox"] / "durand.xml").write_bytes(french_ubl())

    [result] = _run(gateway_dirs)

    assert (result.flow_status, result.accepted, result.rejected) == ("IN_INTEGRE", 1, 0)
    [received_at] = _ledger_rows(gateway_dirs, "select received_at from batches")[0]
    day = received_at[:10].split("-")  # archive/YYYY/MM/DD/<batch>__<name>
    assert result.final_path == gateway_dirs["root"].joinpath("archive", *day, f"{result.batch_id}__durand.xml")
    assert result.final_path.read_bytes() == french_ubl()
    assert list(gateway_dirs["inbox"].iterdir()) == []
    acceptance = _report(gateway_dirs, result, "acceptance")
    assert [i["number"] for i in acceptance["invoices"]] == ["BD-2026-0001"]
    assert acceptance["invoices"][0]["recipient"] == "21713000400013"
    assert acceptance["invoices"][0]["amount_due"] == "31352.00"
    assert _ledger_rows(gateway_dirs, "select state, flow_status from batches") == [("DONE", "IN_INTEGRE")]
    assert _ledger_rows(gateway_dirs, "select number, supplier_id, issue_year, decision, status_code from invoices") \
        == [("BD-2026-0001", "32456789000011", 2026, "accepted", "203")]
    assert _ledger_rows(gateway_dirs, "select code, label from status_events order by id") == [
        ("200", "Déposée"), ("203", "Mise à disposition")]
    [routed] = (gateway_dirs["outbox"] / "routed" / "21713000400013" / "SERV-TECH" / "A1").glob("*.xml")
    assert routed.read_bytes() == french_ubl()


def test_wrong_total_is_rejected_with_located_finding_and_hint(gateway_dirs):
    (gateway_dirs["inbox"] / "wrong-total.xml").write_bytes(french_ubl(payable_delta=Decimal("10.00")))

    [result] = _run(gateway_dirs)

    assert (result.flow_status, result.accepted, result.rejected) == ("IN_REJETE", 0, 1)
    [invoice] = _report(gateway_dirs, result, "rejection")["invoices"]
    [finding] = invoice["findings"]
    assert finding["rule"] == "BR-CO-15" and finding["severity"] == "fatal"
    assert finding["value"] == "31362.00" and "31352.00" in finding["message_en"] and "31352.00" in finding["hint"]
    assert finding["location"].startswith("/Invoice/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount (line ")
    csv_text = (gateway_dirs["outbox"] / "reports" / result.batch_id / "rejection.csv").read_text()
    assert "BR-CO-15" in csv_text and csv_text.splitlines()[0].startswith("invoice;number;supplier")
    assert _ledger_rows(gateway_dirs, "select code, reason_code from status_events") == [("213", "REJ_SEMAN")]


def test_invoice_number_reused_in_a_later_flow_is_rejected_as_duplicate(gateway_dirs):
    (gateway_dirs["inbox"] / "first.xml").write_bytes(french_ubl("BD-2026-0042"))
    _run(gateway_dirs)
    (gateway_dirs["inbox"] / "second.xml").write_bytes(french_ubl("BD-2026-0042", note="second sending"))
    (gateway_dirs["inbox"] / "previous-year.xml").write_bytes(french_ubl("BD-2026-0042", issue_date="2025-01-05"))

    results = {r.file_name: r for r in _run(gateway_dirs)}

    [rejected] = _report(gateway_dirs, results["second.xml"], "rejection")["invoices"]
    assert [f["rule"] for f in rejected["findings"]] == ["FR-DUP-02"]
    assert results["previous-year.xml"].accepted == 1, "the same number in another year is not a duplicate"
    assert _ledger_rows(gateway_dirs, "select reason_code from status_events where code = '213'") == [("DOUBLON",)]


def test_duplicate_inside_a_lot_and_unreadable_members_do_not_stop_the_lot(gateway_dirs):
    lot = zip_lot({
        "a.xml": french_ubl("BD-2026-0100"),
        "b.xml": french_ubl("BD-2026-0100", note="same number again"),
        "c.xml": french_ubl("BD-2026-0101"),
        "notes/readme.xml": b"<not-closed>",
        "../evil.xml": french_ubl("BD-2026-0102"),
        "inner.zip": zip_lot({"d.xml": french_ubl("BD-2026-0103")}),
    })
    (gateway_dirs["inbox"] / "lot.zip").write_bytes(lot)

    [result] = _run(gateway_dirs)

    assert (result.format, result.flow_status, result.invoices, result.accepted) == ("zip", "IN_INTEGRE_PARTIEL", 6, 3)
    rejected = {i["invoice"]: [f["rule"] for f in i["findings"]]
                for i in _report(gateway_dirs, result, "rejection")["invoices"]}
    assert rejected == {"lot.zip!b.xml": ["FR-DUP-01"], "lot.zip!notes/readme.xml": ["IRR_SYNTAX"],
                        "lot.zip!../evil.xml": ["IRR_NOM_F"]}
    accepted = [i["invoice"] for i in _report(gateway_dirs, result, "acceptance")["invoices"]]
    assert accepted == ["lot.zip!a.xml", "lot.zip!c.xml", "lot.zip!inner.zip!d.xml"]


def test_a_duplicate_far_into_a_lot_is_found_once_the_first_is_written(gateway_dirs, monkeypatch):
    """FR-DUP-01 against an invoice the ledger has already written in the batch's own transaction (two invoices a
    page here): the lot's keys are let go of once written, so memory does not grow with the lot."""
    monkeypatch.setattr("edi_gateway.ledger.store._ROWS_PER_FLUSH", 2)
    monkeypatch.setattr(pipeline, "TASK_SIZE", 2)
    held = []

    class Watched(pipeline.UnwrittenKeys):
        def origins(self, keys):
            held.append(len(self))
            return super().origins(keys)

    monkeypatch.setattr(pipeline, "UnwrittenKeys", Watched)
    members = {f"{n:02}.xml": french_ubl(f"BD-2026-07{n:02}") for n in range(1, 10)}
    members["10.xml"] = french_ubl("BD-2026-0701", note="the first one again")
    members["11.xml"] = french_ubl("BD-2026-0709", note="the one before, again")
    (gateway_dirs["inbox"] / "lot.zip").write_bytes(zip_lot(members))

    [result] = _run(gateway_dirs)

    assert (result.invoices, result.accepted) == (11, 9)
    rejected = {i["invoice"]: [(f["rule"], f["message_en"]) for f in i["findings"]]
                for i in _report(gateway_dirs, result, "rejection")["invoices"]}
    assert rejected == {
        "lot.zip!10.xml": [("FR-DUP-01", "Invoice number BD-2026-0701 appears twice in this lot for the same "
                                         "supplier and year (first: lot.zip!01.xml)")],
        "lot.zip!11.xml": [("FR-DUP-01", "Invoice number BD-2026-0709 appears twice in this lot for the same "
                                         "supplier and year (first: lot.zip!09.xml)")]}
    assert max(held) <= 4, f"the keys of the written invoices are let go of: {held}"


def test_same_bytes_deposited_twice_is_a_duplicate_flow_and_never_accepted_twice(gateway_dirs):
    invoice = french_ubl("BD-2026-0200")
    (gateway_dirs["inbox"] / "once.xml").write_bytes(invoice)
    _run(gateway_dirs)
    (gateway_dirs["inbox"] / "once-again.xml").write_bytes(invoice)

    [result] = _run(gateway_dirs)

    assert (result.flow_status, result.reason_code, result.invoices) == ("IN_REJETE", "IRR_UNICITE", 0)
    assert result.final_path.parent == gateway_dirs["root"] / "quarantine"
    assert "IRR_UNICITE" in result.final_path.with_name(result.final_path.name + ".reason.txt").read_text()
    assert _ledger_rows(gateway_dirs, "select count(*) from invoices where decision = 'accepted'") == [(1,)]
    assert _ledger_rows(gateway_dirs, "select count(*) from batches where duplicate_of is not null") == [(1,)]


def test_unreadable_file_is_quarantined_with_reason_and_the_rest_is_processed(gateway_dirs):
    (gateway_dirs["inbox"] / "a-empty.xml").write_bytes(b"")
    (gateway_dirs["inbox"] / "b-junk.xml").write_bytes(b"\x00\x01binary junk")
    (gateway_dirs["inbox"] / "c-order.xml").write_bytes(b"<Order xmlns='urn:x'><ID>1</ID></Order>")
    (gateway_dirs["inbox"] / "d-xxe.xml").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]><Invoice>&x;</Invoice>')
    (gateway_dirs["inbox"] / "e-good.xml").write_bytes(french_ubl())

    results = {r.file_name: r for r in _run(gateway_dirs)}

    assert {name: r.reason_code for name, r in results.items()} == {
        "a-empty.xml": "IRR_VIDE", "b-junk.xml": "IRR_TYPE", "c-order.xml": "IRR_TYPE",
        "d-xxe.xml": "IRR_SYNTAX", "e-good.xml": None}
    assert results["e-good.xml"].accepted == 1
    quarantined = sorted(p.name.split("__")[1] for p in (gateway_dirs["root"] / "quarantine").iterdir())
    assert quarantined == ["a-empty.xml", "a-empty.xml.reason.txt", "b-junk.xml", "b-junk.xml.reason.txt",
                           "c-order.xml", "c-order.xml.reason.txt", "d-xxe.xml", "d-xxe.xml.reason.txt"]
    reason = next((gateway_dirs["root"] / "quarantine").glob("*d-xxe.xml.reason.txt")).read_text()
    assert reason.startswith("IRR_SYNTAX") and "DOCTYPE" in reason
    rejection = _report(gateway_dirs, results["c-order.xml"], "rejection")
    assert rejection["flow_findings"][0]["rule"] == "IRR_TYPE" and "Order" in rejection["flow_findings"][0]["message_en"]


class Crash(Exception):
    """Stands for the process dying at that point."""


@pytest.mark.parametrize("crash_point", ["record_decisions", "deliver", "second_delivery", "mark_routed",
                                         "write_reports", "mark_done"])
def test_a_crash_at_any_step_is_finished_exactly_once_on_restart(gateway_dirs, monkeypatch, crash_point):
    (gateway_dirs["inbox"] / "lot.zip").write_bytes(zip_lot({
        "a.xml": french_ubl("BD-2026-0300"), "b.xml": french_ubl("BD-2026-0301")}))
    targets = {"record_decisions": (LedgerClass, "record_decisions"), "deliver": (routed, "deliver"),
               "second_delivery": (routed, "deliver"), "mark_routed": (LedgerClass, "mark_routed"),
               "write_reports": (pipeline, "write_reports"), "mark_done": (LedgerClass, "mark_done")}
    owner, name = targets[crash_point]
    original, calls = getattr(owner, name), []

    def crash(*args, **kwargs):
        calls.append(name)
        if crash_point == "second_delivery" and len(calls) == 1:  # the first invoice delivered, not the second
            return original(*args, **kwargs)
        raise Crash(crash_point)

    with monkeypatch.context() as patch:
        patch.setattr(owner, name, crash)
        with pytest.raises(Crash):
            _run(gateway_dirs)

    [result] = _run(gateway_dirs)  # the restart

    assert (result.file_name, result.accepted, result.rejected) == ("lot.zip", 2, 0)
    assert _ledger_rows(gateway_dirs, "select count(*), sum(state = 'DONE') from batches") == [(1, 1)]
    assert _ledger_rows(gateway_dirs, "select count(*) from invoices") == [(2,)]
    assert _ledger_rows(gateway_dirs, "select code, count(*) from status_events group by code") == [
        ("200", 2), ("203", 2)]
    assert [p for p in (gateway_dirs["root"] / "work").rglob("*") if p.is_file()] == []
    assert len(list((gateway_dirs["root"] / "archive").rglob("*lot.zip"))) == 1
    delivered = sorted(p.name for p in (gateway_dirs["outbox"] / "routed").rglob("*") if p.is_file())
    assert [name.split("-", 1)[1] for name in delivered] == [
        "00001-BD-2026-0300.json", "00001-BD-2026-0300.xml", "00002-BD-2026-0301.json", "00002-BD-2026-0301.xml"]
    assert len({name.split("-", 1)[0] for name in delivered}) == 1, "delivered under one batch, exactly once"
    assert _run(gateway_dirs) == [], "nothing is left to do after the restart"


def test_files_are_synced_before_the_ledger_says_they_exist(gateway_dirs, monkeypatch):
    """Routed copies, CDAR messages and certificates are written without an fsync each: the filesystem is synced
    after the last of them and before the ledger marks them routed, or the batch done."""
    (gateway_dirs["inbox"] / "lot.zip").write_bytes(zip_lot({
        "a.xml": french_ubl("BD-2026-0310"), "b.xml": french_ubl("BD-2026-0311")}))
    events = []

    def recording(event, function):
        def record(*args, **kwargs):
            events.append(event)
            return function(*args, **kwargs)
        return record

    monkeypatch.setattr(routed, "deliver", recording("write", routed.deliver))
    monkeypatch.setattr(returns, "write_files", recording("write", returns.write_files))
    monkeypatch.setattr(pipeline, "sync_filesystem", recording("sync", pipeline.sync_filesystem))
    monkeypatch.setattr(LedgerClass, "mark_routed", recording("mark_routed", LedgerClass.mark_routed))
    monkeypatch.setattr(LedgerClass, "mark_done", recording("mark_done", LedgerClass.mark_done))

    [result] = _run(gateway_dirs)

    assert result.accepted == 2
    assert [e for e in events if e != "write"] == ["sync", "mark_routed", "sync", "mark_done"]
    assert events.count("write") >= 4  # two routed copies, the flow's files, the invoices' returns
    for marked in ("mark_routed", "mark_done"):
        before = events[:events.index(marked)]
        assert before[-1] == "sync", f"{marked} after an unsynced write: {events}"


def test_a_small_file_is_replaced_whole_or_not_at_all(tmp_path):
    """`write_bytes`, which writes every routed copy, envelope, CDAR message and certificate: the new bytes
    replace the old ones whole, folders are made as needed (again when removed since), and a write that fails
    leaves the old file and no temporary file behind."""
    target = tmp_path / "routed" / "a" / "invoice.xml"
    folders: set[str] = set()
    outbox.write_bytes(target, b"<old/>", folders=folders)
    outbox.write_bytes(target, b"<new/>" * 100_000, folders=folders)
    assert target.read_bytes() == b"<new/>" * 100_000
    assert folders == {str(target.parent)}
    shutil.rmtree(target.parent)  # removed behind the series' back: made again
    outbox.write_bytes(target, b"<again/>", folders=folders)
    assert target.read_bytes() == b"<again/>"

    blocked = target.parent / "blocked.xml"
    blocked.mkdir()  # a folder where the file should go: the final rename fails
    with pytest.raises(OSError):
        outbox.write_bytes(blocked, b"<lost/>", folders=folders)
    assert sorted(p.name for p in target.parent.iterdir()) == ["blocked.xml", "invoice.xml"]
    assert blocked.is_dir() and target.read_bytes() == b"<again/>"


def test_a_file_claimed_but_never_recorded_is_adopted_on_restart(gateway_dirs, monkeypatch):
    (gateway_dirs["inbox"] / "orphan.xml").write_bytes(french_ubl("BD-2026-0400"))
    with monkeypatch.context() as patch:
        patch.setattr(LedgerClass, "claim_batch", lambda self, row: (_ for _ in ()).throw(Crash("claim")))
        with pytest.raises(Crash):
            _run(gateway_dirs)
    assert len([p for p in (gateway_dirs["root"] / "work").rglob("*") if p.is_file()]) == 1

    [result] = _run(gateway_dirs)

    assert (result.file_name, result.accepted) == ("orphan.xml", 1)


def test_reports_neutralise_spreadsheet_formulas(gateway_dirs):
    (gateway_dirs["inbox"] / "formula.xml").write_bytes(french_ubl("=HYPERLINK(\"http://x\")",
                                                                   payable_delta=Decimal(1)))
    [result] = _run(gateway_dirs)
    report = gateway_dirs["outbox"] / "reports" / result.batch_id / "rejection.csv"
    rows = list(csv.reader(report.open(newline=""), delimiter=";"))
    assert rows[1][1] == "'=HYPERLINK(\"http://x\")"
    assert reports.neutralise("-12.50") == "-12.50" and reports.neutralise("@SUM(A1)") == "'@SUM(A1)"


def test_cli_run_prints_summary_and_exits_zero_with_rejections(gateway_dirs, capsys):
    (gateway_dirs["inbox"] / "ok.xml").write_bytes(french_ubl("BD-2026-0500"))
    (gateway_dirs["inbox"] / "ko.xml").write_bytes(french_ubl("BD-2026-0501", payable_delta=Decimal(3)))

    code = main(["run", "--inbox", str(gateway_dirs["inbox"]), "--outbox", str(gateway_dirs["outbox"]),
                 "--db", gateway_dirs["db"]])

    out = capsys.readouterr().out
    assert code == 0
    assert "ok.xml" in out and "ko.xml" in out and "IN_INTEGRE" in out and "IN_REJETE" in out


def test_cli_validate_is_a_dry_run(tmp_path, capsys):
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_bytes(french_ubl("BD-2026-0600"))
    bad.write_bytes(french_ubl("BD-2026-0601", recipient_siret="21713000400014"))

    code = main(["validate", "--json", str(good), str(bad)])

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [(o["file"], o["invoice"], o["decision"]) for o in lines] == [
        ("good.xml", "BD-2026-0600", "accepted"), ("bad.xml", "BD-2026-0601", "rejected")]
    assert [f["rule"] for f in lines[1]["findings"]] == ["FR-REC-02"]
    assert set(lines[1]["findings"][0]) == {"rule", "severity", "bt", "field", "location", "value", "message_fr",
                                            "message_en", "hint", "source"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xml", "good.xml"], "nothing recorded or moved"


def test_the_policy_may_downgrade_a_rule_to_a_warning(gateway_dirs, tmp_path):
    config = tmp_path / "gateway.toml"
    config.write_text('[gateway]\ninbox = "inbox"\noutbox = "outbox"\n[rules]\n"BR-CO-15" = "warning"\n')
    (gateway_dirs["inbox"] / "x.xml").write_bytes(french_ubl("BD-2026-0700", payable_delta=Decimal(1)))
    settings = load_settings(config, database=gateway_dirs["db"])

    [result] = pipeline.Gateway(settings, Ledger(settings.database)).run_once()

    assert result.accepted == 1
    [accepted] = _report({"outbox": tmp_path / "outbox"}, result, "acceptance")["invoices"]
    assert [(w["rule"], w["severity"]) for w in accepted["warnings"]] == [("BR-CO-15", "warning")]


def test_the_sample_configuration_is_valid():
    from .conftest import SAMPLES

    settings = load_settings(SAMPLES / "gateway.toml")
    assert settings.depositor == "cabinet-martin" and settings.limits.zip_max_depth == 2


@pytest.mark.parametrize("text, message", [
    ("[gatway]\n", "unknown section"),
    ("[gateway]\ninbx = 'x'\n", "unknown key"),
    ("[rules]\n'BR-99' = 'warning'\n", "unknown rule 'BR-99'"),
    ("[rules]\n'BR-02' = 'maybe'\n", "expected one of"),
    ("[limits]\nzip_max_members = -1\n", "positive"),
    ("[gateway\n", "not valid TOML"),
])
def test_configuration_errors_say_what_is_wrong(tmp_path, text, message):
    from edi_gateway.errors import ConfigError

    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(config)
