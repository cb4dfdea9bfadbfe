"""Acceptance and rejection reports per batch, as CSV and JSON, in `<outbox>/reports/<batch-id>/`.

Both are written from the ledger (not from memory), so that a batch resumed after a crash gets exactly the same
reports. CSV cells are neutralised against formula injection; values are written as the invoice had them.
The invoices are read once, in order, and every report is written as they come (a batch of any size is reported
in constant memory): pass the ledger's pages as one stream of rows, or a list.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path

from ..ledger.models import BatchRow, InvoiceRow
from .outbox import JsonListWriter, atomic_writer

ACCEPTANCE_COLUMNS = ("invoice", "number", "issue_date", "type_code", "supplier", "recipient", "service_code",
                      "billing_frame", "amount_due", "currency", "status_code", "warnings")
REJECTION_COLUMNS = ("invoice", "number", "supplier", "recipient", "rule", "severity", "bt", "field", "location",
                     "value", "message_fr", "message_en", "hint", "source")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_TEXT = 2000  # characters of a finding's message, hint, value or location in a report, as in CDAR messages
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def report_dir(outbox: Path, batch_id: str) -> Path:
    return outbox / "reports" / batch_id


def write_reports(folder: Path, batch: BatchRow, invoices: Iterable[InvoiceRow],
                  formats: tuple[str, ...] = ("csv", "json")) -> Path:
    """Write acceptance and rejection reports (`formats`: csv, json) of a decided batch into `folder`.

    `invoices` is read once, in order (a stream is fine); the reports are written row by row, each atomically."""
    flow_findings = _flow_findings(batch)
    as_json, as_csv = "json" in formats, "csv" in formats
    with ExitStack() as files:
        if as_json:
            summary = _batch_summary(batch)
            acceptance = files.enter_context(_json_list(folder / "acceptance.json", summary))
            rejection = files.enter_context(_json_list(folder / "rejection.json",
                                                       {**summary, "flow_findings": flow_findings}))
        if as_csv:
            accepted_csv = files.enter_context(csv_rows(folder / "acceptance.csv", ACCEPTANCE_COLUMNS))
            rejected_csv = files.enter_context(csv_rows(folder / "rejection.csv", REJECTION_COLUMNS))
            for cells in _flow_rejection_rows(batch, flow_findings):
                rejected_csv(cells)
        for row in invoices:
            if row.decision == "accepted":
                if as_json:
                    acceptance.add(_accepted_entry(row))
                if as_csv:
                    accepted_csv(_accepted_cells(row))
            else:
                if as_json:
                    rejection.add(_rejected_entry(row))
                if as_csv:
                    for cells in _invoice_rejection_rows(row):
                        rejected_csv(cells)
    return folder


@contextmanager
def _json_list(path: Path, head: dict) -> Iterator[JsonListWriter]:
    """A JSON report `{**head, "invoices": [...]}` written an entry at a time, atomically."""
    with atomic_writer(path) as stream:
        writer = JsonListWriter(stream, head, "invoices")
        yield writer
        writer.close()


def _batch_summary(batch: BatchRow) -> dict:
    return {
        "batch": batch.id, "depositor": batch.depositor, "file": batch.file_name, "sha256": batch.sha256,
        "received_at": batch.received_at.isoformat(), "format": batch.format, "flow_status": batch.flow_status,
        "reason_code": batch.reason_code, "reason_en": batch.reason, "reason_fr": batch.reason_fr, "duplicate_of": batch.duplicate_of,
        "invoices_total": batch.invoice_count, "accepted": batch.accepted_count, "rejected": batch.rejected_count,
    }


def _flow_findings(batch: BatchRow) -> list[dict]:
    """A flow that could not be read at all gets one finding saying why."""
    if not batch.reason_code:
        return []
    return [{"rule": batch.reason_code, "severity": "fatal", "bt": "", "field": "", "location": batch.file_name,
             "value": None, "message_fr": batch.reason_fr or batch.reason, "message_en": batch.reason,
             "hint": "Correct the file and deposit it again", "source": "gateway"}]


def _accepted_entry(row: InvoiceRow) -> dict:
    return {
        "invoice": row.origin, "number": row.number, "issue_date": row.issue_date, "type_code": row.type_code,
        "supplier": row.supplier_id, "recipient": row.recipient_id, "service_code": row.service_code,
        "billing_frame": row.billing_frame, "amount_due": _amount(row.amount_due), "currency": row.currency,
        "status_code": row.status_code,
        "warnings": [_finding_entry(f) for f in row.findings],
    }


def _accepted_cells(row: InvoiceRow) -> list:
    entry = _accepted_entry(row)
    entry["warnings"] = "; ".join(f"{f['rule']}: {f['message_en']}" for f in entry["warnings"])
    return [entry[column] for column in ACCEPTANCE_COLUMNS]


def _rejected_entry(row: InvoiceRow) -> dict:
    return {
        "invoice": row.origin, "number": row.number, "issue_date": row.issue_date, "supplier": row.supplier_id,
        "recipient": row.recipient_id, "status_code": row.status_code,
        "findings": [_finding_entry(f) for f in row.findings],
    }


def _finding_entry(finding) -> dict:
    return {"rule": finding.rule, "severity": finding.severity, "bt": finding.bt, "field": finding.field,
            "location": clip(finding.location), "value": clip(finding.value), "message_fr": clip(finding.message_fr),
            "message_en": clip(finding.message_en), "hint": clip(finding.hint), "source": finding.source}


def clip(text: str | None) -> str | None:
    """`text` cut to MAX_TEXT characters (ending with "…"): a message quoting a megabyte-long invoice field must
    not make every report of the batch a megabyte longer."""
    if text is None or len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT - 1] + "…"


def _rejection_rows(batch: BatchRow, rejected: Iterable[InvoiceRow], flow_findings: list[dict]):
    yield from _flow_rejection_rows(batch, flow_findings)
    for row in rejected:
        yield from _invoice_rejection_rows(row)


def _flow_rejection_rows(batch: BatchRow, flow_findings: list[dict]):
    for finding in flow_findings:
        yield [batch.file_name, None, None, None, *(finding[c] for c in REJECTION_COLUMNS[4:])]


def _invoice_rejection_rows(row: InvoiceRow):
    for finding in row.findings:
        entry = _finding_entry(finding)
        yield [row.origin, row.number, row.supplier_id, row.recipient_id, *(entry[c] for c in REJECTION_COLUMNS[4:])]


def _amount(value: Decimal | None) -> str | None:
    """An amount as text with two decimals, or more when the invoice had more (the ledger keeps six)."""
    if value is None:
        return None
    cents = value.quantize(Decimal("0.01"))
    return f"{cents:f}" if cents == value else f"{value.normalize():f}"


def neutralise(cell) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if cell is None else str(cell)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def write_csv(path: Path, columns: tuple[str, ...], rows) -> None:
    """A CSV file (`;`-separated, cells neutralised), atomically, from rows read one at a time."""
    with csv_rows(path, columns) as write:
        for row in rows:
            write(row)


@contextmanager
def csv_rows(path: Path, columns: tuple[str, ...]) -> Iterator[Callable[[Iterable], None]]:
    """Write a CSV file row by row: the header at once, then each row given to the function this yields; the
    file replaces `path` atomically when the block completes."""
    with atomic_writer(path, newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(columns)
        yield lambda row: writer.writerow([neutralise(cell) for cell in row])
