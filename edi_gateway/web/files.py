"""The files a flow's page offers for download: what the pipeline wrote into the outbox for that flow.

Each list is made from the ledger's row (the flow's id and depositor, the invoice's position and statuses) and
the emitters' own naming, never from what a request says: a download names one entry of its flow's list, and a
name not in it is a 404. Every path is checked to lie inside the outbox once resolved.

    outbox/reports/<batch>/                    report.html, rejection.{csv,json}, acceptance.{csv,json}
    outbox/returns/<depositor>/<batch>/        status.csv, integration.{json,xml}, cdar/<flow message>.xml
        cdar/<batch>-<position>-<code>.xml     an invoice's status messages (its page)
        certificates/<position>-<number>.json  an accepted invoice's deposit certificate (rebuilt from the ledger
                                               when the file is not there)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..emitters.cdar import FLOW_POSITION, cdar_message_id
from ..emitters.html import REPORT_NAME
from ..emitters.outbox import json_bytes
from ..emitters.reports import report_dir
from ..emitters.returns import certificate, certificate_name, returns_dir
from ..ledger.models import BatchRow, InvoiceRow
from .queries import NotVisible

MEDIA_TYPES = {".csv": "text/csv; charset=utf-8", ".json": "application/json", ".xml": "application/xml",
               ".html": "text/html; charset=utf-8"}
_REPORTS = ((REPORT_NAME, "Report (HTML)"), ("rejection.csv", "Rejection report (CSV)"),
            ("rejection.json", "Rejection report (JSON)"), ("acceptance.csv", "Acceptance report (CSV)"),
            ("acceptance.json", "Acceptance report (JSON)"))
_RETURNS = (("status.csv", "Status return (CSV)"), ("integration.json", "Integration report (JSON)"),
            ("integration.xml", "Integration report (XML)"))


@dataclass(frozen=True, slots=True)
class Download:
    name: str  # the link's last segment and the saved file's name
    label: str
    path: Path | None = None  # in the outbox
    content: bytes | None = None  # rebuilt from the ledger, when there is no file

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(Path(self.name).suffix, "application/octet-stream")


def flow_downloads(outbox: Path, batch: BatchRow) -> list[Download]:
    """The flow's reports and status returns that are in the outbox."""
    reports, returns = report_dir(outbox, batch.id), returns_dir(outbox, batch.depositor, batch.id)
    flow_message = f"{cdar_message_id(batch.id, FLOW_POSITION, 'flow')}.xml"
    entries = [Download(name, label, reports / name) for name, label in _REPORTS]
    entries += [Download(name, label, returns / name) for name, label in _RETURNS]
    entries.append(Download(flow_message, "Flow status message (CDAR)", returns / "cdar" / flow_message))
    return [entry for entry in entries if _present(outbox, entry.path)]


def invoice_downloads(outbox: Path, batch: BatchRow, invoice: InvoiceRow) -> list[Download]:
    """The invoice's deposit certificate (accepted invoices) and its status messages (CDAR) in the outbox."""
    returns = returns_dir(outbox, batch.depositor, batch.id)
    entries = []
    if invoice.decision == "accepted":
        name = certificate_name(invoice)
        path = returns / "certificates" / name
        entries.append(Download(name, "Deposit certificate (JSON)", path) if _present(outbox, path) else
                       Download(name, "Deposit certificate (JSON)",
                                content=json_bytes(certificate(batch, invoice))))
    for event in invoice.status_events:
        name = f"{cdar_message_id(batch.id, invoice.position, event.code)}.xml"
        entries.append(Download(name, f"Status {event.code} {event.label} (CDAR)", returns / "cdar" / name))
    return [entry for entry in entries if entry.content is not None or _present(outbox, entry.path)]


def pick(downloads: list[Download], name: str) -> Download:
    """The entry called `name`, or NotVisible (a 404)."""
    for entry in downloads:
        if entry.name == name:
            return entry
    raise NotVisible(name)


def _present(outbox: Path, path: Path) -> bool:
    """A regular file inside the outbox (once links are resolved)."""
    try:
        return path.is_file() and path.resolve().is_relative_to(outbox.resolve())
    except OSError:
        return False
