"""The ledger on PostgreSQL, the production database, on a real server (tests/postgres.py): its migrations, a whole
run of the samples deciding exactly as on SQLite, and the duplicate rule under concurrent writers, which the
database's partial unique index on accepted (supplier, number, year, family) enforces.

The tests of tests/test_ledger.py run on PostgreSQL too (`ledger_url`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import event, select, text

from edi_gateway.config import load_settings
from edi_gateway.ledger import Ledger
from edi_gateway.ledger.depositors import add_depositor, attach, list_depositors
from edi_gateway.ledger.directory import import_directory
from edi_gateway.ledger.models import BatchRow, FindingRow, InvoiceRow
from edi_gateway.ledger.store import DONE, DuplicateRace, alembic_config, now
from edi_gateway.model import Decision, Origin, Verdict
from edi_gateway.parsers import read_flow
from edi_gateway.pipeline import Gateway

from .conftest import SAMPLES, prepare_ledger
from .factories import SUPPLIER_SIRET, french_ubl
from .test_samples import ACCEPTED, EXPECTED, IRRECEVABLE, ROUTES, key_of

DUPLICATE_RULE = "FR-DUP-02"  # validators/rules/duplicates.py: already accepted in the ledger
TIMEOUT = 180.0  # seconds any wait of these tests may last before it fails (a loaded CI machine is slow)


def _head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


# -- migrations ---------------------------------------------------------------------------------------------------
def test_opening_a_postgresql_ledger_runs_every_migration(postgres_url):
    ledger = Ledger(postgres_url)

    with ledger.engine.connect() as connection:
        version = connection.scalar(text("select version_num from alembic_version"))
        tables = set(connection.scalars(text("select tablename from pg_tables where schemaname = 'public'")))
        index = connection.scalar(text("select indexdef from pg_indexes where indexname = :name"),
                                  {"name": "uq_accepted_supplier_number_year_family"})
    assert version == _head() == "0006"
    assert {"batches", "invoices", "findings", "status_events", "structures", "services", "directory_imports",
            "depositors", "attachments", "job_locks", "web_users"} <= tables  # 0001, 0003, 0004 and 0006
    # 0002: the duplicate key covers the document family, for accepted invoices only
    assert index.startswith("CREATE UNIQUE INDEX uq_accepted_supplier_number_year_family ON public.invoices")
    assert "(supplier_id, number, issue_year, document_family)" in index
    assert "WHERE ((decision)::text = 'accepted'::text)" in index
    Ledger(postgres_url).engine.dispose()  # opening it again finds nothing to do
    ledger.engine.dispose()


# -- the samples, on PostgreSQL and on SQLite -----------------------------------------------------------------------
DEPOSITS = {  # as tools/demo.sh deposits them: depositor -> its files
    "durand": ["durand-facture-BD-2026-0142.xml", "durand-facture-BD-2026-0150-sans-date.xml",
               "durand-facture-BD-2026-0147-siret-invalide-cii.xml", "durand-etat-acompte-BD-2026-0170-travaux.xml"],
    "lemoine": ["lemoine-facture-IL-2026-0071.xml", "lemoine-avoir-IL-2026-0077.xml",
                "lemoine-facture-IL-2026-0083-total-errone.xml",
                "lemoine-facture-IL-2026-0101-destinataire-inconnu.xml",
                "lemoine-facture-IL-2026-0102-sans-service.xml"],
    "nettoyage": ["nettoyage-facture-NSO-2026-0121.xml", "nettoyage-facture-NSO-2026-0118-cii.xml",
                  "nettoyage-facture-NSO-2026-0140-sous-traitance.xml", "scan-sans-facturx.pdf"],
    "cabinet-martin": ["cabinet-martin-lignes.csv", "martin-facturx-FBM-2026-0215.pdf"],
    "cabinet-lefevre": ["cabinet-lefevre-factures.csv", "lot-mairie-belleville-2026-11.zip"],
}
ATTACHMENTS = [  # tools/demo.sh setup: (depositor, kind, supplier, role, capacities)
    ("durand", "supplier", "324567890", "principal", {"supplier"}),
    ("lemoine", "supplier", "78190456000021", "principal", {"supplier"}),
    ("nettoyage", "supplier", "44012378400033", "principal", {"supplier", "subcontractor"}),
    ("cabinet-martin", "accounting-firm", "51234987900019", "secondary", {"supplier"}),
    ("cabinet-martin", "accounting-firm", "78190456000021", "secondary", {"supplier"}),
    ("cabinet-lefevre", "accounting-firm", "32456789000011", "secondary", {"supplier"}),
    ("cabinet-lefevre", "accounting-firm", "44012378400033", "secondary", {"supplier"}),
]


def _demo_run(root: Path, url: str) -> dict:
    """tools/demo.sh on `url`: the sample directory, the five depositors, every sample in its depositor's inbox, one
    run. What the ledger then holds: per deposited file, its flow and every invoice's decision and rule ids."""
    ledger = Ledger(url)
    for name in ("structures.csv", "services.csv"):
        import_directory(ledger, SAMPLES / "annuaire" / name)
    for depositor, kind, supplier, role, capacities in ATTACHMENTS:
        if depositor not in {row.id for row in list_depositors(ledger)}:
            add_depositor(ledger, depositor, name=depositor, kind=kind)
        attach(ledger, depositor, supplier, role=role, capacities=frozenset(capacities))
    for depositor, names in DEPOSITS.items():
        (root / "inbox" / depositor).mkdir(parents=True)
        for name in names:
            shutil.copy(SAMPLES / name, root / "inbox" / depositor / name)

    settings = load_settings(None, inbox=root / "inbox", outbox=root / "outbox", database=url)
    results = Gateway(settings, ledger).run_once()

    assert len(results) == sum(len(names) for names in DEPOSITS.values())
    decided: dict[str, dict] = {}
    with ledger.session() as session:
        for batch in session.scalars(select(BatchRow)):
            invoices = session.scalars(select(InvoiceRow).where(InvoiceRow.batch_id == batch.id)
                                       .order_by(InvoiceRow.position)).all()
            decided[batch.file_name] = {
                "depositor": batch.depositor, "state": batch.state, "flow": (batch.flow_status, batch.reason_code),
                "counts": (batch.invoice_count, batch.accepted_count, batch.rejected_count),
                "invoices": [(row.origin, row.number, row.decision, row.status_code,
                              (row.recipient_id, row.service_code or "_", row.billing_frame),
                              row.routed_path is not None, sorted(finding.rule for finding in row.findings))
                             for row in invoices]}
    ledger.engine.dispose()
    return decided


def test_the_samples_are_decided_on_postgresql_exactly_as_on_sqlite(tmp_path, postgres_url):
    on_postgresql = _demo_run(tmp_path / "postgresql", postgres_url)
    on_sqlite = _demo_run(tmp_path / "sqlite", f"sqlite:///{tmp_path / 'ledger.sqlite3'}")

    assert on_postgresql == on_sqlite
    # and as the reference tables of tests/test_samples.py say (samples/README.md)
    assert sorted(on_postgresql) == sorted(EXPECTED)
    assert {entry["state"] for entry in on_postgresql.values()} == {DONE}
    for name, expected in EXPECTED.items():
        entry = on_postgresql[name]
        if expected[0][1] == IRRECEVABLE:
            assert (entry["invoices"], entry["flow"]) == ([], ("IN_REJETE", sorted(expected[0][2])[0])), name
            continue
        got = [(key_of(origin, number), decision, set(rules)) for origin, number, decision, *_, rules in
               entry["invoices"]]
        assert got == expected, name
        for _, number, decision, status, route, routed, _ in entry["invoices"]:
            assert (status, routed) == (("203", True) if decision == ACCEPTED else ("213", False)), number
            if decision == ACCEPTED:
                assert route == ROUTES[number], number


# -- concurrent writers: record_decisions -------------------------------------------------------------------------
def _accepted_verdict(data: bytes) -> Verdict:
    [document] = read_flow(data, Origin(file_name="x.xml"))
    return Verdict(document.origin, Decision.ACCEPTED, [], document.invoice, document.sha256)


def _claimed_workers(url: str, count: int) -> list[tuple[str, Ledger]]:
    """`count` workers on the ledger, each with its own engine (connections) and a claimed batch."""
    workers = []
    for index in range(1, count + 1):
        batch_id, ledger = f"B{index}", Ledger(url)
        ledger.claim_batch(BatchRow(id=batch_id, depositor="d", source="s", file_name=f"{batch_id}.xml",
                                    sha256=batch_id, size=1, received_at=now()))
        workers.append((batch_id, ledger))
    return workers


def _accepted_numbered(url: str, number: str) -> list[str]:
    ledger = Ledger(url)
    with ledger.session() as session:
        batches = session.scalars(select(InvoiceRow.batch_id).where(
            InvoiceRow.number == number, InvoiceRow.decision == "accepted")).all()
    ledger.engine.dispose()
    return list(batches)


def test_a_writer_waiting_on_an_uncommitted_acceptance_gets_a_duplicate_race_when_it_commits(postgres_url):
    """A inserts the invoice and has not committed yet; B inserts the same one and waits on the unique index; A
    commits: B's insert fails, and record_decisions says DuplicateRace (the pipeline then decides B's batch again)."""
    (batch_a, ledger_a), (batch_b, ledger_b) = _claimed_workers(postgres_url, 2)
    a_inserted, outcomes = threading.Event(), {}

    def _inserts_invoices(statement: str) -> bool:
        return statement.lstrip().upper().startswith("INSERT INTO INVOICES")

    def a_waits_for_b_to_block(_connection, _cursor, statement, *_args):
        if not _inserts_invoices(statement):
            return
        a_inserted.set()
        deadline = time.monotonic() + TIMEOUT
        with ledger_a.engine.connect() as watcher:
            while time.monotonic() < deadline:
                if watcher.scalar(text("select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                                       "and datname = current_database()")):
                    return  # B waits on A's uncommitted row in the unique index
                time.sleep(0.02)
        raise AssertionError("B never waited on A's uncommitted invoice")

    def b_starts_after_a(_connection, _cursor, statement, *_args):
        if _inserts_invoices(statement):
            assert a_inserted.wait(TIMEOUT)

    # At the statements themselves (the decisions are written with multi-row INSERTs, not through the ORM's flush)
    event.listen(ledger_a.engine, "after_cursor_execute", a_waits_for_b_to_block)
    event.listen(ledger_b.engine, "before_cursor_execute", b_starts_after_a)

    def record(name: str, batch_id: str, ledger: Ledger, note: str) -> None:
        try:
            ledger.record_decisions(batch_id, [_accepted_verdict(french_ubl("BD-2026-0530", note=note))],
                                    "ubl-invoice")
            outcomes[name] = "recorded"
        except DuplicateRace:
            outcomes[name] = "DuplicateRace"
        except Exception as exc:  # noqa: BLE001 (reported below)
            outcomes[name] = repr(exc)

    threads = [threading.Thread(target=record, args=("A", batch_a, ledger_a, "dépôt A")),
               threading.Thread(target=record, args=("B", batch_b, ledger_b, "dépôt B"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)

    assert outcomes == {"A": "recorded", "B": "DuplicateRace"}
    assert _accepted_numbered(postgres_url, "BD-2026-0530") == [batch_a]
    assert ledger_b.get_batch(batch_b).state == "CLAIMED"  # B's transaction was rolled back whole
    ledger_a.engine.dispose()
    ledger_b.engine.dispose()


def test_of_writers_recording_the_same_invoice_at_once_exactly_one_succeeds(ledger_url):
    workers = _claimed_workers(ledger_url, 6)
    start, outcomes = threading.Barrier(len(workers)), {}

    def record(batch_id: str, ledger: Ledger) -> None:
        verdict = _accepted_verdict(french_ubl("BD-2026-0540", note=f"dépôt {batch_id}"))
        start.wait(TIMEOUT)
        try:
            ledger.record_decisions(batch_id, [verdict], "ubl-invoice")
            outcomes[batch_id] = "recorded"
        except DuplicateRace:
            outcomes[batch_id] = "DuplicateRace"
        except Exception as exc:  # noqa: BLE001 (reported below)
            outcomes[batch_id] = repr(exc)

    threads = [threading.Thread(target=record, args=worker) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)

    assert sorted(outcomes.values()) == ["DuplicateRace"] * 5 + ["recorded"], outcomes
    [winner] = [batch_id for batch_id, outcome in outcomes.items() if outcome == "recorded"]
    assert _accepted_numbered(ledger_url, "BD-2026-0540") == [winner]
    for _, ledger in workers:
        ledger.engine.dispose()


# -- concurrent writers: gateway processes ------------------------------------------------------------------------
SHARED_NUMBER = "BD-2026-0600"  # the invoice every process is given
PROCESSES = 4
RACE_WARNING = "another writer accepted one of its numbers meanwhile; deciding again"  # pipeline.Gateway._decide

# `python -c WRITING_AT_ONCE BARRIER_DIR PARTIES NUMBER run ...`: `edi-gateway run ...`, except that right before
# recording the batch that holds invoice NUMBER (the first time only), the process waits until PARTIES processes
# got there (each drops a file in BARRIER_DIR): they all validated it against a ledger without it, and now write it
# at once. Nothing else changes: the real ledger, pipeline and command line.
WRITING_AT_ONCE = """
import os, sys, time
from pathlib import Path
from edi_gateway.cli import main
from edi_gateway.ledger.store import Ledger

barrier, parties, number, argv = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
record, waited = Ledger.record_decisions, []

def record_decisions(self, batch_id, verdicts, document_format, **options):
    verdicts = list(verdicts)
    if not waited and any(v.invoice is not None and v.invoice.number == number for v in verdicts):
        waited.append(True)
        (barrier / str(os.getpid())).touch()
        deadline = time.monotonic() + 170
        while len(list(barrier.iterdir())) < parties:
            if time.monotonic() > deadline:
                sys.exit("the other processes never came to record the shared invoice")
            time.sleep(0.005)
    return record(self, batch_id, verdicts, document_format, **options)

Ledger.record_decisions = record_decisions
sys.exit(main(argv))
"""


@pytest.mark.parametrize(("ledger_url", "at_once"), [("sqlite", "writing"), ("postgresql", "writing"),
                                                     ("postgresql", "started")],
                         ids=["sqlite-writing-at-once", "postgresql-writing-at-once", "postgresql-started-at-once"],
                         indirect=["ledger_url"])
def test_concurrent_gateway_processes_accept_an_invoice_number_once(tmp_path, ledger_url, at_once):
    """PROCESSES `edi-gateway run` processes, each with its own depositor and folders, on one ledger, each given the
    same invoice of the same supplier (its own copy: other bytes, so not a duplicate flow) and an invoice of its own.

    "started": the commands are started at once, as they are. "writing": they also wait for each other right before
    recording the shared invoice, so that every one of them validated it as new: the database's unique index must
    refuse all but one, and the pipeline decide the others again (then rejected as duplicates)."""
    prepare_ledger(ledger_url, depositor=None)
    ledger = Ledger(ledger_url)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    commands = []
    for index in range(1, PROCESSES + 1):
        depositor, root = f"depot-{index}", tmp_path / f"gateway-{index}"
        add_depositor(ledger, depositor, name=f"Depositor {index}")
        attach(ledger, depositor, SUPPLIER_SIRET)
        inbox = root / "inbox" / depositor
        inbox.mkdir(parents=True)
        (inbox / "shared.xml").write_bytes(french_ubl(SHARED_NUMBER, note=f"Dépôt du processus {index}"))
        (inbox / "own.xml").write_bytes(french_ubl(f"BD-2026-06{index:02d}"))
        run = ["run", "--json", "--inbox", str(root / "inbox"), "--outbox", str(root / "outbox"), "--db", ledger_url]
        commands.append([sys.executable, "-m", "edi_gateway.cli", *run] if at_once == "started" else
                        [sys.executable, "-c", WRITING_AT_ONCE, str(barrier), str(PROCESSES), SHARED_NUMBER, *run])
    ledger.engine.dispose()

    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for command in commands]
    outputs = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=TIMEOUT))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    assert [process.returncode for process in processes] == [0] * PROCESSES, [err for _, err in outputs]
    results = [json.loads(out) for out, _ in outputs]
    assert [len(result) for result in results] == [2] * PROCESSES
    shared_results = [entry for result in results for entry in result if entry["file"] == "shared.xml"]
    assert sorted((entry["accepted"], entry["rejected"]) for entry in shared_results) == \
        [(0, 1)] * (PROCESSES - 1) + [(1, 0)]
    races = sum(err.count(RACE_WARNING) for _, err in outputs)
    if at_once == "writing":  # every process validated the shared invoice before any recorded it
        assert races == PROCESSES - 1, [err for _, err in outputs]

    ledger = Ledger(ledger_url)
    with ledger.session() as session:
        shared = session.scalars(select(InvoiceRow).where(InvoiceRow.number == SHARED_NUMBER)).all()
        assert Counter(row.decision for row in shared) == {"accepted": 1, "rejected": PROCESSES - 1}
        for row in shared:
            rules = session.scalars(select(FindingRow.rule).where(FindingRow.invoice_id == row.id)).all()
            assert rules == ([] if row.decision == "accepted" else [DUPLICATE_RULE])
            assert (row.routed_path is not None) == (row.decision == "accepted")  # delivered once
        own = session.scalars(select(InvoiceRow).where(InvoiceRow.number != SHARED_NUMBER)).all()
        assert sorted((row.number, row.decision) for row in own) == [
            (f"BD-2026-06{index:02d}", "accepted") for index in range(1, PROCESSES + 1)]
        batches = session.scalars(select(BatchRow)).all()
        assert len(batches) == 2 * PROCESSES and {batch.state for batch in batches} == {DONE}
        assert len({batch.depositor for batch in batches if batch.file_name == "shared.xml"}) == PROCESSES
    ledger.engine.dispose()


def test_a_folder_path_of_any_length_is_recorded_as_the_batch_source(postgres_url, tmp_path):
    """A depositor's inbox deep in a share: its path, the batch's source, is longer than 200 characters."""
    deep = tmp_path.joinpath(*[f"niveau-{n:02d}-dossier-des-depots" for n in range(12)], "inbox")
    deep.mkdir(parents=True)
    (deep / "facture.xml").write_bytes(french_ubl("BD-2026-0777"))
    prepare_ledger(postgres_url)
    settings = load_settings(None, inbox=deep, outbox=tmp_path / "outbox", database=postgres_url)
    [result] = Gateway(settings, Ledger(postgres_url)).run_once()
    assert result.accepted == 1
    batch = Ledger(postgres_url).get_batch(result.batch_id)
    assert len(batch.source) > 200 and batch.source == f"folder:{deep}"
