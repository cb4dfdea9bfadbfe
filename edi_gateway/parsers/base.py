"""What every parser returns: one `ParsedDocument` per invoice found in a deposited file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ..model import DocumentFormat, Finding, Invoice, Origin


@dataclass(slots=True)
class ParsedDocument:
    """One invoice as read from a flow, before validation.

    `invoice` is None when the document could not be read as an invoice at all (then `findings` says why).
    `tree` is the parsed XML (lxml ElementTree) for XML-based formats, kept for XSD validation and official
    artifacts; it never leaves the process that parsed it. `content` is the invoice's own bytes: the XML for XML
    and Factur-X documents (extracted from the PDF), the rows' text for CSV invoices. `raw` is what the depositor
    sent for this document (the PDF for Factur-X), which routing writes out unchanged.
    """

    origin: Origin
    format: DocumentFormat
    invoice: Invoice | None
    content: bytes = b""
    raw: bytes = b""
    tree: Any = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw or self.content).hexdigest()
