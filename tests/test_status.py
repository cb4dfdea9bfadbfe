"""Status history and reports rebuilt from the ledger alone (`edi-gateway status`, `edi-gateway report`)."""

from __future__ import annotations

import json
from decimal import Decimal

from edi_gateway import pipeline
from edi_gateway.cli import main
from edi_gateway.config import load_settings
from edi_gateway.ledger import Ledger

from .factories import SUPPLIER_SIRET, french_ubl


def _run(dirs) -> list[pipeline.BatchResult]:
    settings = load_settings(None, inbox=dirs["inbox"], outbox=dirs["outbox"], database=dirs["db"])
    return pipeline.Gateway(settings, Ledger(settings.database)).run_once()


def _cli_json(capsys, *argv) -> list[dict]:
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_an_invoice_rejected_then_deposited_again_corrected_has_both_histories(gateway_dirs, capsys):
    (gateway_dirs["inbox"] / "first.xml").write_bytes(french_ubl("BD-2026-0801", payable_delta=Decimal("10")))
    [first] = _run(gateway_dirs)
    (gateway_dirs["inbox"] / "corrected.xml").write_bytes(french_ubl("BD-2026-0801"))
    [second] = _run(gateway_dirs)

    entries = _cli_json(capsys, "status", "--supplier", SUPPLIER_SIRET, "--number", "BD-2026-0801",
                        "--db", gateway_dirs["db"])

    assert [(e["batch"], e["decision"], e["current_status"]) for e in entries] == [
        (first.batch_id, "rejected", "213"), (second.batch_id, "accepted", "203")]
    assert [(s["code"], s["reason_code"]) for s in entries[0]["history"]] == [("213", "REJ_SEMAN")]
    assert [s["code"] for s in entries[1]["history"]] == ["200", "203"]


def test_status_of_a_batch_lists_each_invoice_once(gateway_dirs, capsys):
    for number in ("BD-2026-0802", "BD-2026-0803"):
        (gateway_dirs["inbox"] / f"{number}.xml").write_bytes(french_ubl(number))
    results = _run(gateway_dirs)
    for result in results:
        [entry] = _cli_json(capsys, "status", "--batch", result.batch_id, "--db", gateway_dirs["db"])
        assert entry["batch"] == result.batch_id and entry["current_status"] == "203"
    assert main(["status", "--batch", "EDG-NO-SUCH-BATCH", "--db", gateway_dirs["db"]]) == 1
    assert main(["status", "--supplier", SUPPLIER_SIRET, "--number", "NONE", "--db", gateway_dirs["db"]]) == 1


def test_reports_rebuilt_from_the_ledger_equal_the_ones_written_at_the_time(gateway_dirs, tmp_path):
    (gateway_dirs["inbox"] / "a.xml").write_bytes(french_ubl("BD-2026-0804", payable_delta=Decimal("1")))
    [result] = _run(gateway_dirs)
    rebuilt = tmp_path / "rebuilt"

    assert main(["report", result.batch_id, "--format", "csv", "--out", str(rebuilt),
                 "--db", gateway_dirs["db"]]) == 0
    assert main(["report", result.batch_id, "--format", "json", "--out", str(rebuilt),
                 "--db", gateway_dirs["db"]]) == 0

    assert main(["report", result.batch_id, "--format", "html", "--out", str(rebuilt),
                 "--db", gateway_dirs["db"]]) == 0

    for name in ("acceptance.csv", "rejection.csv", "acceptance.json", "rejection.json", "report.html"):
        assert (rebuilt / name).read_bytes() == (result.reports / name).read_bytes(), name
    assert main(["report", "EDG-NO-SUCH-BATCH", "--db", gateway_dirs["db"]]) == 1
