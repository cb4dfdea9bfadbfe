"""The ledger: its migrations, and the duplicate key it enforces (per supplier, number, year and family)."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from edi_gateway import pipeline
from edi_gateway.config import load_settings
from edi_gateway.ledger import Ledger
from edi_gateway.ledger.models import Base, BatchRow
from edi_gateway.ledger.store import DuplicateRace, alembic_config, now
from edi_gateway.model import Decision, Origin, Verdict
from edi_gateway.parsers import read_flow

from .factories import french_ubl
from .conftest import SAMPLES
from .mutations import apply, set_text


def _run(dirs) -> list[pipeline.BatchResult]:
    settings = load_settings(None, inbox=dirs["inbox"], outbox=dirs["outbox"], database=dirs["db"])
    return pipeline.Gateway(settings, Ledger(settings.database)).run_once()


def test_the_migrations_build_exactly_the_models(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    with ledger.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrading_an_existing_ledger_files_its_credit_notes_under_their_family(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.exec_driver_sql(
            "insert into batches (id, depositor, source, file_name, sha256, size, received_at, state, invoice_count, "
            "accepted_count, rejected_count) "
            "values ('B1', 'd', 's', 'f', 'x', 1, '2026-01-01', 'DONE', 2, 2, 0)")
        for position, (number, type_code) in enumerate((("F-1", "380"), ("AV-1", "381")), start=1):
            connection.exec_driver_sql(
                "insert into invoices (batch_id, position, origin, format, supplier_id, number, issue_year, "
                f"type_code, decision, status_code) values ('B1', {position}, 'f', 'ubl-invoice', 'S', "
                f"'{number}', 2026, '{type_code}', 'accepted', '200')")

    Ledger(url)  # opening it upgrades it

    with sqlite3.connect(tmp_path / "old.sqlite3") as connection:
        rows = connection.execute("select number, document_family from invoices order by position").fetchall()
    assert rows == [("F-1", "invoice"), ("AV-1", "credit-note")]


LEMOINE_INVOICE = SAMPLES / "lemoine-facture-IL-2026-0071.xml"
LEMOINE_CREDIT_NOTE = SAMPLES / "lemoine-avoir-IL-2026-0077.xml"  # corrects IL-2026-0071


def _credit_note_numbered(number: str, note: str = "") -> bytes:
    """The sample credit note (UBL CreditNote, 381, correcting IL-2026-0071) under another number."""
    return apply(LEMOINE_CREDIT_NOTE.read_bytes(), [set_text("/cn:CreditNote/cbc:ID", number),
                                                    set_text("/cn:CreditNote/cbc:Note", f"Avoir sur la facture IL-2026-0071{note}")])


def test_a_credit_note_is_not_a_duplicate_of_the_invoice_it_corrects(gateway_dirs):
    (gateway_dirs["inbox"] / "a-facture.xml").write_bytes(LEMOINE_INVOICE.read_bytes())
    (gateway_dirs["inbox"] / "b-avoir.xml").write_bytes(_credit_note_numbered("IL-2026-0071"))
    (gateway_dirs["inbox"] / "c-avoir-bis.xml").write_bytes(_credit_note_numbered("IL-2026-0071", " (bis)"))

    results = _run(gateway_dirs)

    assert [(r.file_name, r.accepted, r.rejected) for r in results] == [
        ("a-facture.xml", 1, 0), ("b-avoir.xml", 1, 0), ("c-avoir-bis.xml", 0, 1)]


def test_duplicates_are_found_across_the_lots_of_one_run(gateway_dirs):
    for name in ("lot-1.xml", "lot-2.xml"):
        (gateway_dirs["inbox"] / name).write_bytes(french_ubl("BD-2026-0510", note=f"dépôt {name}"))

    first, second = _run(gateway_dirs)

    assert (first.accepted, second.rejected, second.reason_code) == (1, 1, None)
    with sqlite3.connect(gateway_dirs["db"].removeprefix("sqlite:///")) as connection:
        rules = connection.execute("select rule from findings").fetchall()
    assert rules == [("FR-DUP-02",)]


def _accepted_verdict(data: bytes) -> Verdict:
    [document] = read_flow(data, Origin(file_name="x.xml"))
    return Verdict(document.origin, Decision.ACCEPTED, [], document.invoice, document.sha256)


def test_the_database_refuses_a_second_acceptance_when_two_workers_race(tmp_path):
    """Two workers validated the same invoice at the same time, each before the other recorded it."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    worker_a, worker_b = Ledger(url), Ledger(url)
    for batch_id, ledger in (("BA", worker_a), ("BB", worker_b)):
        ledger.claim_batch(BatchRow(id=batch_id, depositor="d", source="s", file_name=f"{batch_id}.xml",
                                    sha256=batch_id, size=1, received_at=now()))

    worker_a.record_decisions("BA", [_accepted_verdict(french_ubl("BD-2026-0520"))], "ubl-invoice")
    with pytest.raises(DuplicateRace):
        worker_b.record_decisions("BB", [_accepted_verdict(french_ubl("BD-2026-0520", note="autre dépôt"))],
                                  "ubl-invoice")
    worker_b.record_decisions("BB", [_accepted_verdict(apply(french_ubl("BD-2026-0520"), [
        set_text("/ubl:Invoice/cbc:InvoiceTypeCode", "381")]))], "ubl-invoice")  # a credit note: another family
