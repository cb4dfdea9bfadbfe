"""The ledger: its migrations, and the duplicate key it enforces (per supplier, number, year and family).

Every test that goes through a database URL runs on SQLite and on PostgreSQL (`ledger_url`, `ledger_dirs`: a real
server, tests/postgres.py); upgrading an old SQLite file is SQLite's own. tests/test_ledger_postgres.py has the
concurrent writers and a whole run of the samples on PostgreSQL."""

from __future__ import annotations

import dataclasses

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, event, select

from edi_gateway import pipeline
from edi_gateway.config import load_settings
from edi_gateway.ledger import Ledger
from edi_gateway.ledger.models import Base, BatchRow, FindingRow, InvoiceRow
from edi_gateway.ledger.store import DuplicateRace, alembic_config, now
from edi_gateway.model import CREDIT_NOTE, Decision, Origin, Verdict
from edi_gateway.parsers import read_flow
from edi_gateway.policy import Policy
from edi_gateway.validators.rules.duplicates import duplicate_key

from .factories import french_ubl
from .conftest import SAMPLES
from .mutations import apply, set_text


def _run(dirs) -> list[pipeline.BatchResult]:
    settings = load_settings(None, inbox=dirs["inbox"], outbox=dirs["outbox"], database=dirs["db"])
    return pipeline.Gateway(settings, Ledger(settings.database)).run_once()


def alembic_head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_the_migrations_build_exactly_the_models(ledger_url):
    ledger = Ledger(ledger_url)
    with ledger.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == alembic_head()
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    ledger.engine.dispose()


def test_upgrading_an_existing_ledger_files_its_credit_notes_under_their_family(ledger_url):
    engine = create_engine(ledger_url)
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.exec_driver_sql(
            "insert into batches (id, depositor, source, file_name, sha256, size, received_at, state, invoice_count, "
            "accepted_count, rejected_count) "
            "values ('B1', 'd', 's', 'f', 'x', 1, '2026-01-01T00:00:00Z', 'DONE', 2, 2, 0)")
        for position, (number, type_code) in enumerate((("F-1", "380"), ("AV-1", "381")), start=1):
            connection.exec_driver_sql(
                "insert into invoices (batch_id, position, origin, format, supplier_id, number, issue_year, "
                f"type_code, decision, status_code) values ('B1', {position}, 'f', 'ubl-invoice', 'S', "
                f"'{number}', 2026, '{type_code}', 'accepted', '200')")
    engine.dispose()

    ledger = Ledger(ledger_url)  # opening it upgrades it

    with ledger.session() as session:
        rows = session.execute(select(InvoiceRow.number, InvoiceRow.document_family).order_by(InvoiceRow.position))
        assert [tuple(row) for row in rows] == [("F-1", "invoice"), ("AV-1", "credit-note")]
    ledger.engine.dispose()


LEMOINE_INVOICE = SAMPLES / "lemoine-facture-IL-2026-0071.xml"
LEMOINE_CREDIT_NOTE = SAMPLES / "lemoine-avoir-IL-2026-0077.xml"  # corrects IL-2026-0071


def _credit_note_numbered(number: str, note: str = "") -> bytes:
    """The sample credit note (UBL CreditNote, 381, correcting IL-2026-0071) under another number."""
    return apply(LEMOINE_CREDIT_NOTE.read_bytes(), [set_text("/cn:CreditNote/cbc:ID", number),
                                                    set_text("/cn:CreditNote/cbc:Note", f"Avoir sur la facture IL-2026-0071{note}")])


def test_a_credit_note_is_not_a_duplicate_of_the_invoice_it_corrects(ledger_dirs):
    (ledger_dirs["inbox"] / "a-facture.xml").write_bytes(LEMOINE_INVOICE.read_bytes())
    (ledger_dirs["inbox"] / "b-avoir.xml").write_bytes(_credit_note_numbered("IL-2026-0071"))
    (ledger_dirs["inbox"] / "c-avoir-bis.xml").write_bytes(_credit_note_numbered("IL-2026-0071", " (bis)"))

    results = _run(ledger_dirs)

    assert [(r.file_name, r.accepted, r.rejected) for r in results] == [
        ("a-facture.xml", 1, 0), ("b-avoir.xml", 1, 0), ("c-avoir-bis.xml", 0, 1)]


def test_duplicates_are_found_across_the_lots_of_one_run(ledger_dirs):
    for name in ("lot-1.xml", "lot-2.xml"):
        (ledger_dirs["inbox"] / name).write_bytes(french_ubl("BD-2026-0510", note=f"dépôt {name}"))

    first, second = _run(ledger_dirs)

    assert (first.accepted, second.rejected, second.reason_code) == (1, 1, None)
    with Ledger(ledger_dirs["db"]).session() as session:
        rules = session.scalars(select(FindingRow.rule)).all()
    assert rules == ["FR-DUP-02"]


def _accepted_verdict(data: bytes) -> Verdict:
    [document] = read_flow(data, Origin(file_name="x.xml"))
    return Verdict(document.origin, Decision.ACCEPTED, [], document.invoice, document.sha256)


def _claimed(ledger: Ledger, batch_id: str) -> None:
    ledger.claim_batch(BatchRow(id=batch_id, depositor="d", source="s", file_name=f"{batch_id}.xml",
                                sha256=batch_id, size=1, received_at=now()))


def test_the_database_refuses_a_second_acceptance_when_two_workers_race(ledger_url):
    """Two workers validated the same invoice at the same time, each before the other recorded it."""
    worker_a, worker_b = Ledger(ledger_url), Ledger(ledger_url)
    for batch_id, ledger in (("BA", worker_a), ("BB", worker_b)):
        _claimed(ledger, batch_id)

    worker_a.record_decisions("BA", [_accepted_verdict(french_ubl("BD-2026-0520"))], "ubl-invoice")
    with pytest.raises(DuplicateRace):
        worker_b.record_decisions("BB", [_accepted_verdict(french_ubl("BD-2026-0520", note="autre dépôt"))],
                                  "ubl-invoice")
    worker_b.record_decisions("BB", [_accepted_verdict(apply(french_ubl("BD-2026-0520"), [
        set_text("/ubl:Invoice/cbc:InvoiceTypeCode", "381")]))], "ubl-invoice")  # a credit note: another family


def test_a_duplicate_key_is_found_only_when_supplier_number_year_and_family_all_match(ledger_url):
    """The look-up asks for the suppliers and the numbers of the keys together: an accepted invoice of one key's
    supplier and another key's number is not a match, nor one of another year or family."""
    ledger = Ledger(ledger_url)
    _claimed(ledger, "B1")
    verdicts = [_accepted_verdict(french_ubl(number)) for number in ("BD-2026-0601", "BD-2026-0602")]
    ledger.record_decisions("B1", verdicts, "ubl-invoice")
    first, second = (duplicate_key(verdict.invoice) for verdict in verdicts)
    supplier, number, year, family = first

    other_supplier_second_number = ("FR99999999999", second[1], year, family)
    asked = {first, other_supplier_second_number, (supplier, number, year + 1, family),
             (supplier, number, year, CREDIT_NOTE)}

    assert ledger.accepted_keys(asked) == {first}
    assert ledger.accepted_keys({other_supplier_second_number, second}) == {second}


def test_duplicate_lookups_seek_the_index_instead_of_scanning_every_accepted_invoice(tmp_path):
    """SQLite answers a row-value `(supplier, number, year, family) IN (...)` by scanning the whole index of
    accepted invoices, for every page of keys: a cost that grows with the ledger. The look-up must be a search."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    _claimed(ledger, "B1")
    ledger.record_decisions("B1", [_accepted_verdict(french_ubl(f"BD-2026-07{i:02d}")) for i in range(3)],
                            "ubl-invoice")
    lookups = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT") and "FROM invoices" in statement:
            lookups.append((statement, parameters))

    event.listen(ledger.engine, "before_cursor_execute", keep)
    key = duplicate_key(_accepted_verdict(french_ubl("BD-2026-0700")).invoice)
    assert ledger.accepted_keys([key, ("FR99999999999", "BD-2026-0799", 2026, key[3])]) == {key}
    event.remove(ledger.engine, "before_cursor_execute", keep)

    assert lookups
    with ledger.engine.connect() as connection:
        for statement, parameters in lookups:
            plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            assert any(step.startswith("SEARCH invoices USING") for step in plan), plan
            assert not any(step.startswith("SCAN invoices") for step in plan), plan


LONG_NUMBER = "BD-2026-" + "7" * 242  # 250 characters: the ledger's number column holds 200


def test_an_invoice_too_long_for_the_ledger_columns_is_recorded_all_the_same(ledger_dirs):
    """PostgreSQL refuses a value longer than its column (SQLite keeps it): the ledger cuts it to fit, so that the
    batch is decided, here rejected by the number format rule, instead of stopping the run at every attempt."""
    (ledger_dirs["inbox"] / "long.xml").write_bytes(french_ubl(LONG_NUMBER))

    [result] = _run(ledger_dirs)

    assert (result.invoices, result.rejected) == (1, 1)
    [row] = Ledger(ledger_dirs["db"]).invoices_of(result.batch_id)
    assert (len(row.number), row.number[:183], [f.rule for f in row.findings]) == (200, LONG_NUMBER[:183],
                                                                                    ["FR-MEN-03"])


def test_long_invoice_numbers_cut_to_fit_the_ledger_keep_their_duplicate_rule(ledger_dirs):
    """With the number format rule off, a 250-character number is accepted: a second deposit of it is a duplicate,
    another number sharing its first 200 characters is not."""
    (ledger_dirs["inbox"] / "a.xml").write_bytes(french_ubl(LONG_NUMBER))
    (ledger_dirs["inbox"] / "b.xml").write_bytes(french_ubl(LONG_NUMBER, note="second dépôt"))
    (ledger_dirs["inbox"] / "c.xml").write_bytes(french_ubl(LONG_NUMBER[:200] + "8" * 50))
    settings = load_settings(None, inbox=ledger_dirs["inbox"], outbox=ledger_dirs["outbox"],
                             database=ledger_dirs["db"])
    settings = dataclasses.replace(settings, policy=Policy(overrides={"FR-MEN-03": "off"}))

    results = pipeline.Gateway(settings, Ledger(settings.database)).run_once()

    assert [(r.file_name, r.accepted, r.rejected) for r in results] == [("a.xml", 1, 0), ("b.xml", 0, 1),
                                                                         ("c.xml", 1, 0)]
    [duplicate] = Ledger(ledger_dirs["db"]).invoices_of(results[1].batch_id)
    assert [f.rule for f in duplicate.findings] == ["FR-DUP-02"]
    assert len(Ledger(ledger_dirs["db"]).invoices_numbered("32456789000011", LONG_NUMBER)) == 2
