"""What a depositor's software reads back: the flow integration report, status returns, deposit certificates.

Everything is written from the ledger alone (never from memory), atomically, under names fixed by batch and
position, into the depositor's returns folder:

    outbox/returns/<depositor>/<batch>/
        integration.json, integration.xml      the flow: received at, file, sha256, format, counts, flow status
                                               (IN_INTEGRE, IN_INTEGRE_PARTIEL, IN_REJETE) and, for a flow that
                                               could not be read at all, its IRR_* reason
        status.csv                             one row per invoice: its current lifecycle status
        cdar/<message id>.xml                  UN/CEFACT CDAR messages (emitters/cdar.py): the flow's (500
                                               Recevable or 501 Irrecevable), and one per status event of each
                                               invoice; the tests hold each to the official XSD and schematron
        certificates/<position>-<number>.json  a deposit certificate per accepted invoice

Statuses: the lifecycle code of the French reform with the legacy platform name beside it (facts §2):
200 Déposée (DEPOSEE), 203 Mise à disposition (MISE_A_DISPOSITION), 213 Rejetée (REJETEE).

The invoices are read once, in order (the ledger's pages as one stream of records, or a list): status.csv is
written row by row, the per-invoice files a few hundred invoices at a time (by the gateway's workers for a large
batch), so a batch of any size takes constant memory. The per-invoice files are written without an fsync each:
the gateway syncs the filesystem once before it marks the batch done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path

from lxml import etree

from ..ledger.models import BatchRow, InvoiceRow
from .cdar import FLOW_POSITION, cdar_message_id, flow_status_message, invoice_status_message
from .outbox import json_bytes, write_files
from .reports import csv_rows
from .routed import safe_name
from .xmltext import xml_text

RETURNS = "returns"
INTEGRATION_NS = "urn:edi-gateway:integration-report:1"
LEGACY_STATUS = {"200": "DEPOSEE", "203": "MISE_A_DISPOSITION", "213": "REJETEE"}
FILES_PER_WRITE = 250  # invoices whose CDAR messages and certificates are made, then written, at a time
STATUS_COLUMNS = ("batch", "position", "origin", "invoice", "issue_date", "supplier", "recipient", "service",
                  "frame", "decision", "status_code", "status_label", "legacy_status", "reason_code", "status_at")


def returns_dir(outbox: Path, depositor: str, batch_id: str) -> Path:
    return outbox / RETURNS / depositor / batch_id


# -- the flow integration report ---------------------------------------------------------------------------------
def integration_report(batch: BatchRow) -> dict:
    """What happened to the flow as a whole."""
    return {
        "flow_id": batch.id, "depositor": batch.depositor, "file": batch.file_name, "sha256": batch.sha256,
        "size": batch.size, "received_at": batch.received_at.isoformat(), "format": batch.format,
        "invoices": batch.invoice_count, "accepted": batch.accepted_count, "rejected": batch.rejected_count,
        "flow_status": batch.flow_status, "duplicate_of": batch.duplicate_of,
        "reason": None if not batch.reason_code else {
            "code": batch.reason_code, "message_en": batch.reason, "message_fr": batch.reason_fr},
    }


def integration_xml(report: dict) -> bytes:
    """The integration report as XML (namespace `urn:edi-gateway:integration-report:1`)."""
    root = etree.Element(f"{{{INTEGRATION_NS}}}IntegrationReport", nsmap={None: INTEGRATION_NS})
    flow = etree.SubElement(root, f"{{{INTEGRATION_NS}}}Flow", id=xml_text(report["flow_id"]))
    for name, key in (("Depositor", "depositor"), ("FileName", "file"), ("Sha256", "sha256"), ("Size", "size"),
                      ("ReceivedAt", "received_at"), ("Format", "format"), ("FlowStatus", "flow_status"),
                      ("DuplicateOf", "duplicate_of")):
        if report[key] is not None:
            etree.SubElement(flow, f"{{{INTEGRATION_NS}}}{name}").text = xml_text(report[key])
    etree.SubElement(flow, f"{{{INTEGRATION_NS}}}Invoices", total=str(report["invoices"]),
                     accepted=str(report["accepted"]), rejected=str(report["rejected"]))
    if report["reason"]:
        reason = etree.SubElement(flow, f"{{{INTEGRATION_NS}}}Reason", code=xml_text(report["reason"]["code"]))
        for language in ("en", "fr"):
            text = report["reason"][f"message_{language}"]
            if text:
                etree.SubElement(reason, f"{{{INTEGRATION_NS}}}Message", lang=language).text = xml_text(text)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# -- status returns ------------------------------------------------------------------------------------------------
def current_status(invoice: InvoiceRow):
    """The invoice's latest status event (every invoice has at least its decision's)."""
    return max(invoice.status_events, key=lambda event: (event.at, event.id))


def status_rows(batch: BatchRow, invoices: Iterable[InvoiceRow]):
    for invoice in invoices:
        event = current_status(invoice)
        yield [batch.id, invoice.position, invoice.origin, invoice.number, invoice.issue_date, invoice.supplier_id,
               invoice.recipient_id, invoice.service_code, invoice.billing_frame, invoice.decision, event.code,
               event.label, LEGACY_STATUS.get(event.code, ""), event.reason_code or "", event.at.isoformat()]


# -- deposit certificates --------------------------------------------------------------------------------------------
def certificate(batch: BatchRow, invoice: InvoiceRow) -> dict:
    """What the gateway certifies it received: the invoice, when, with which sha256, under which flow."""
    return {
        "certificate": f"{batch.id}-{invoice.position:05d}",
        "flow_id": batch.id, "depositor": batch.depositor, "received_at": batch.received_at.isoformat(),
        "file": batch.file_name, "file_sha256": batch.sha256, "position": invoice.position,
        "origin": invoice.origin, "invoice": invoice.number, "issue_date": invoice.issue_date,
        "type_code": invoice.type_code, "supplier": invoice.supplier_id, "recipient": invoice.recipient_id,
        "amount_due": None if invoice.amount_due is None else f"{invoice.amount_due.normalize():f}",
        "currency": invoice.currency, "invoice_sha256": invoice.sha256,
        "statuses": [{"code": e.code, "label": e.label, "at": e.at.isoformat()} for e in invoice.status_events],
    }


def certificate_name(invoice: InvoiceRow) -> str:
    return f"{invoice.position:05d}-{safe_name(invoice.number, 'invoice')}.json"


# -- writing them all ----------------------------------------------------------------------------------------------
def cdar_messages(batch: BatchRow, invoices: Iterable[InvoiceRow], flow: bool = True):
    """(file name, bytes) of every CDAR message of a batch: the flow's (unless `flow` is False), then each status
    event of each invoice.

    A message's time is that of the status it reports, so writing them again gives the same bytes."""
    if flow:
        flow_id = cdar_message_id(batch.id, FLOW_POSITION, "flow")
        yield f"{flow_id}.xml", flow_status_message(batch, message_id=flow_id,
                                                    issued_at=batch.decided_at or batch.received_at)
    for invoice in invoices:
        for event in invoice.status_events:
            message_id = cdar_message_id(batch.id, invoice.position, event.code)
            yield f"{message_id}.xml", invoice_status_message(batch, invoice, event, message_id=message_id,
                                                              issued_at=event.at)


def invoice_files(outbox: Path, batch, invoices: Iterable) -> list[tuple[Path, bytes]]:
    """(path, bytes) of the files of each invoice: its CDAR messages, and its certificate when accepted."""
    folder = returns_dir(outbox, batch.depositor, batch.id)
    files = [(folder / "cdar" / name, data) for name, data in cdar_messages(batch, invoices, flow=False)]
    files += [(folder / "certificates" / certificate_name(invoice), json_bytes(certificate(batch, invoice)))
              for invoice in invoices if invoice.decision == "accepted"]
    return files


def write_invoice_files(outbox: Path, batch, pages: Iterable[list]) -> None:
    """Write the files of each invoice of each page (`invoice_files`), unsynced: here, a page at a time. The
    gateway hands the pages of a large batch to its workers instead, which call this on theirs."""
    for page in pages:
        write_files(invoice_files(outbox, batch, page))


def write_returns(outbox: Path, batch, invoices: Iterable,
                  write_pages: Callable[[Path, object, Iterator[list]], None] = write_invoice_files) -> Path:
    """Write the integration report, the status CSV, the CDAR messages and the certificates of a decided batch;
    returns the folder. `invoices` (ledger records) is read once, in order (a stream is fine).

    The per-invoice files are none synced (the caller syncs the filesystem before marking the batch done); they
    are written by `write_pages(outbox, batch, pages)` from pages of FILES_PER_WRITE invoices, handed out as the
    status CSV gets their rows."""
    folder = returns_dir(outbox, batch.depositor, batch.id)
    report = integration_report(batch)
    write_files([(folder / "integration.json", json_bytes(report)),
                 (folder / "integration.xml", integration_xml(report)),
                 *((folder / "cdar" / name, data) for name, data in cdar_messages(batch, ()))])
    rows = iter(invoices)
    with csv_rows(folder / "status.csv", STATUS_COLUMNS) as status:
        def pages() -> Iterator[list]:
            while page := list(islice(rows, FILES_PER_WRITE)):
                for cells in status_rows(batch, page):
                    status(cells)
                yield page

        write_pages(outbox, batch, pages())
    return folder
