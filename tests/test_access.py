"""Who may see what: a depositor's status returns and work files stay in its own folders, reports and quarantined
files name only its own flows, and secrets (SFTP passwords, database passwords) never reach a log, a console or a
report. SFTP host keys are verified: tests/test_sftp.py (test_unknown_or_changed_host_key_is_refused_and_nothing
_is_downloaded, test_trust_first_use_records_the_first_key_then_refuses_a_changed_one) covers it on a real server.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from edi_gateway.config import load_settings
from edi_gateway.ledger import Ledger
from edi_gateway.ledger.depositors import add_depositor, attach
from edi_gateway.pipeline import Gateway

from .conftest import SAMPLES, prepare_ledger
from .factories import french_ubl, zip_lot

CLI = [sys.executable, "-m", "edi_gateway.cli"]
DB_PASSWORD = "s3cretPW-db"
SFTP_PASSWORD = "S3cret-sftp-Pass"
PASSWORD_ENV = "EDI_TEST_ACCESS_SFTP_PASSWORD"
SECRET_URL = f"postgresql+psycopg://u:{DB_PASSWORD}@127.0.0.1:1/x"  # nothing listens on port 1
DEPOSITORS = {"durand": "32456789000011", "lemoine": "78190456000021"}


# -- a depositor's files go to its own folders --------------------------------------------------------------------
@pytest.fixture
def two_depositors(tmp_path: Path) -> dict:
    """Two registered depositors, each attached to its own supplier, each with its inbox `<inbox>/<id>/`."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    prepare_ledger(url, depositor=None)
    ledger = Ledger(url)
    for depositor, supplier in DEPOSITORS.items():
        add_depositor(ledger, depositor, name=f"Depositor {depositor}")
        attach(ledger, depositor, supplier)
        (inbox / depositor).mkdir()
    ledger.engine.dispose()
    return {"root": tmp_path, "inbox": inbox, "outbox": tmp_path / "outbox", "db": url}


def deposit_both(dirs) -> None:
    """Each depositor drops a valid invoice, a lot, a file that cannot be read, and an invoice of the other's
    supplier; both deposit byte-identical junk too (which is a duplicate flow for neither: not the same sender)."""
    durand, lemoine = dirs["inbox"] / "durand", dirs["inbox"] / "lemoine"
    (durand / "facture.xml").write_bytes(french_ubl("BD-2026-3000"))
    (durand / "lot.zip").write_bytes(zip_lot({"a.xml": french_ubl("BD-2026-3001"), "b.xml": b"<broken"}))
    (durand / "junk.xml").write_bytes(b"\x00same junk")
    (lemoine / "facture.xml").write_bytes((SAMPLES / "lemoine-facture-IL-2026-0071.xml").read_bytes())
    (lemoine / "pour-durand.xml").write_bytes(french_ubl("BD-2026-3002"))  # not attached to Durand: DEP-01
    (lemoine / "junk.xml").write_bytes(b"\x00same junk")


def batches_by_id(dirs) -> dict[str, str]:
    with sqlite3.connect(dirs["db"].removeprefix("sqlite:///")) as connection:
        return dict(connection.execute("select id, depositor from batches").fetchall())


def run(dirs) -> list:
    settings = load_settings(None, inbox=dirs["inbox"], outbox=dirs["outbox"], database=dirs["db"])
    return Gateway(settings, Ledger(settings.database)).run_once()


def test_status_returns_of_each_depositor_are_written_only_under_its_own_folder(two_depositors):
    deposit_both(two_depositors)

    results = run(two_depositors)

    owners = batches_by_id(two_depositors)
    assert sorted(owners.values()) == ["durand"] * 3 + ["lemoine"] * 3
    assert {r.batch_id: r.depositor for r in results} == owners
    returns = two_depositors["outbox"] / "returns"
    written = [path.relative_to(returns).parts for path in returns.rglob("*") if path.is_file()]
    assert written, "status returns were written"
    for depositor, batch_id, *_rest in written:
        assert owners[batch_id] == depositor, f"batch {batch_id} of {owners[batch_id]} written under {depositor}"
    assert {(depositor, batch) for depositor, batch, *_ in written} == {(d, b) for b, d in owners.items()}


def test_returns_and_reports_of_a_depositor_name_only_its_own_flows(two_depositors):
    deposit_both(two_depositors)

    run(two_depositors)

    owners = batches_by_id(two_depositors)
    outbox = two_depositors["outbox"]
    for batch_id, depositor in owners.items():
        integration = json.loads((outbox / "returns" / depositor / batch_id / "integration.json").read_text())
        assert (integration["flow_id"], integration["depositor"]) == (batch_id, depositor)
        for kind in ("acceptance", "rejection"):
            report = json.loads((outbox / "reports" / batch_id / f"{kind}.json").read_text())
            assert (report["batch"], report["depositor"]) == (batch_id, depositor)
            assert all(entry["invoice"].startswith(report["file"]) for entry in report["invoices"])
        other = next(d for d in DEPOSITORS if d != depositor)
        own_text = "".join(p.read_text(errors="replace") for p in (outbox / "returns" / depositor / batch_id)
                           .rglob("*") if p.is_file())
        assert f">{other}<" not in own_text and f'"{other}"' not in own_text, "the other depositor is named"


def test_work_and_quarantine_keep_depositors_apart(two_depositors):
    deposit_both(two_depositors)

    results = run(two_depositors)

    work = two_depositors["root"] / "work"
    assert [p for p in work.rglob("*") if p.is_file() and ".staging" not in p.parts] == []
    quarantined = {r.batch_id: r for r in results if r.reason_code}
    assert sorted(r.depositor for r in quarantined.values()) == ["durand", "lemoine"], "each its own junk"
    for batch_id, result in quarantined.items():
        assert result.final_path.name.startswith(f"{batch_id}__"), "quarantined under its own batch id"
    rejected = {r.file_name: r for r in results if r.depositor == "lemoine"}["pour-durand.xml"]
    report = json.loads((two_depositors["outbox"] / "reports" / rejected.batch_id / "rejection.json").read_text())
    assert [f["rule"] for f in report["invoices"][0]["findings"]] == ["DEP-01"], \
        "a depositor may not deposit for a supplier it is not attached to"


# -- secrets ------------------------------------------------------------------------------------------------------
def write_config(folder: Path, database: str, sftp_port: int = 1) -> Path:
    (folder / "known_hosts").write_text("")
    config = folder / "gateway.toml"
    config.write_text(f"""
[gateway]
inbox = "inbox"
outbox = "outbox"
database = "{database}"

[sources.martin-sftp]
type = "sftp"
depositor = "default"
host = "127.0.0.1"
port = {sftp_port}
user = "chorus"
password_env = "{PASSWORD_ENV}"
known_hosts = "known_hosts"
timeout_seconds = 1
retries = 1
backoff_seconds = 0.05
""", encoding="utf-8")
    (folder / "inbox").mkdir(exist_ok=True)
    return config


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, PASSWORD_ENV: SFTP_PASSWORD}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert DB_PASSWORD not in text and SFTP_PASSWORD not in text, text


def test_config_check_never_prints_the_sftp_password(tmp_path):
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite3'}")

    done = cli("config", "check", "--config", str(config), cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "martin-sftp" in done.stdout and PASSWORD_ENV not in done.stderr  # the variable is set: no problem
    assert_no_secret(done.stdout, done.stderr)


def test_config_check_never_prints_the_database_password(tmp_path):
    config = write_config(tmp_path, SECRET_URL)

    done = cli("config", "check", "--config", str(config), cwd=tmp_path)

    assert "127.0.0.1:1/x" in done.stdout + done.stderr, "the database is shown, without its password"
    assert_no_secret(done.stdout, done.stderr)


def test_config_check_connect_to_an_unreachable_database_hides_its_password(tmp_path):
    config = write_config(tmp_path, SECRET_URL)

    done = cli("config", "check", "--connect", "--config", str(config), cwd=tmp_path)

    problems = [line for line in done.stderr.splitlines() if "database" in line]
    assert done.returncode == 2 and problems, done.stderr
    assert_no_secret(done.stderr, *problems)


def test_run_against_an_unreachable_database_fails_without_printing_its_password(tmp_path):
    config = write_config(tmp_path, SECRET_URL)

    done = cli("run", "--config", str(config), cwd=tmp_path)

    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "cannot open the ledger" in done.stderr and "***" in done.stderr
    assert_no_secret(done.stdout, done.stderr)


def test_an_unreachable_sftp_account_logs_and_reports_without_its_password(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(PASSWORD_ENV, SFTP_PASSWORD)
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    prepare_ledger(url)
    config = write_config(tmp_path, url)
    (tmp_path / "inbox" / "facture.xml").write_bytes(french_ubl("BD-2026-3100"))
    settings = load_settings(config)
    gateway = Gateway(settings, Ledger(settings.database))

    with caplog.at_level(logging.DEBUG):
        results = gateway.run_once()

    assert [r.accepted for r in results] == [1], "the local inbox is processed"
    assert gateway.source_errors and gateway.source_errors[0].startswith("martin-sftp"), "the account failed"
    assert "martin-sftp" in caplog.text
    assert_no_secret(caplog.text, *gateway.source_errors)
    written = "".join(p.read_bytes().decode("utf-8", "replace") for p in tmp_path.rglob("*")
                      if p.is_file() and p.name != "gateway.toml")
    assert_no_secret(written)
