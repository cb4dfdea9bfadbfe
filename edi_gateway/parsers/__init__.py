"""Parse stage: bytes of a deposited file in, one ParsedDocument per invoice out.

`read_flow` is the only entry point the pipeline needs. It chooses the reader by content (`detect.sniff`), never
by file name. A file that cannot be read at all raises an `UnreadableFlow` (the flow is irrecevable); inside a ZIP
lot, a member that cannot be read becomes a ParsedDocument without invoice, carrying the reason as a finding, and
the rest of the lot goes on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from ..errors import UnknownFormat, UnreadableFlow
from ..model import DocumentFormat, Finding, Origin, Severity
from .base import ParsedDocument
from .cii import RSM_NS, read_cii
from .csv import parse_csv
from .detect import Container, sniff
from .facturx import extract_invoice_xml
from .lots import Limits, iter_members
from .ubl import CREDIT_NOTE_NS, INVOICE_NS, read_ubl
from .xml import parse_xml

__all__ = ["ParsedDocument", "Limits", "read_flow", "read_xml_invoice"]

_XML_READERS = {
    f"{{{INVOICE_NS}}}Invoice": (DocumentFormat.UBL_INVOICE, read_ubl),
    f"{{{CREDIT_NOTE_NS}}}CreditNote": (DocumentFormat.UBL_CREDIT_NOTE, read_ubl),
    f"{{{RSM_NS}}}CrossIndustryInvoice": (DocumentFormat.CII, read_cii),
}


def read_flow(data: bytes, origin: Origin, limits: Limits = Limits()) -> Iterator[ParsedDocument]:
    """Every invoice in a deposited file. Raises UnreadableFlow when the file as a whole cannot be read."""
    container = sniff(data)
    if container is Container.ZIP:
        yield from _read_lot(data, origin, limits)
    else:
        yield from _read_single(container, data, origin)


def _read_single(container: Container, data: bytes, origin: Origin) -> Iterator[ParsedDocument]:
    if container is Container.XML:
        yield read_xml_invoice(data, origin)
    elif container is Container.PDF:
        _name, xml = extract_invoice_xml(data)
        document = read_xml_invoice(xml, origin, raw=data)
        document.format = document.invoice.format = DocumentFormat.FACTURX_PDF
        yield document
    else:
        yield from parse_csv(data, origin)


def read_xml_invoice(data: bytes, origin: Origin, raw: bytes | None = None) -> ParsedDocument:
    """Parse one XML invoice (UBL Invoice / CreditNote or CII) into a ParsedDocument."""
    tree = parse_xml(data)
    root = tree.getroot()
    known = _XML_READERS.get(root.tag)
    if known is None:
        raise UnknownFormat(
            f"The XML document is not an invoice: root element {root.tag!r} is neither a UBL Invoice, "
            "a UBL CreditNote nor a CII CrossIndustryInvoice",
            f"Le document XML n'est pas une facture : l'élément racine {root.tag!r} n'est ni une Invoice UBL, "
            "ni un CreditNote UBL, ni une CrossIndustryInvoice CII",
        )
    document_format, reader = known
    findings: list[Finding] = []
    invoice = reader(root, origin, findings)
    return ParsedDocument(origin=origin, format=document_format, invoice=invoice, content=data,
                          raw=raw if raw is not None else data, tree=tree, findings=findings)


def _read_lot(data: bytes, origin: Origin, limits: Limits, prefix: str = "", depth: int = 1
              ) -> Iterator[ParsedDocument]:
    """Each member of a ZIP lot in turn; a member that is a ZIP is opened up to `limits.zip_max_depth`."""
    for member in iter_members(data, limits, prefix, depth):
        member_origin = dataclasses.replace(origin, member=member.name, index=0)
        if member.error is not None:
            yield _unreadable(member_origin, member.error, b"")
            continue
        try:
            container = sniff(member.data)
            if container is Container.ZIP:
                yield from _read_lot(member.data, origin, limits, f"{member.name}!", depth + 1)
            else:
                yield from _read_single(container, member.data, member_origin)
        except UnreadableFlow as exc:
            yield _unreadable(member_origin, exc, member.data)


def _unreadable(origin: Origin, error: UnreadableFlow, data: bytes) -> ParsedDocument:
    """A lot member that could not be read: no invoice, one fatal finding saying why."""
    finding = Finding(rule=error.code, severity=Severity.FATAL, message_en=error.message_en,
                      message_fr=error.message_fr, hint=_HINTS.get(error.code, ""), location=origin.label())
    return ParsedDocument(origin=origin, format=DocumentFormat.ZIP, invoice=None, content=data, raw=data,
                          findings=[finding])


_HINTS = {
    "IRR_VIDE": "Send a non-empty file",
    "IRR_TYPE": "Send UBL 2.1, UN/CEFACT CII, Factur-X PDF or CSV invoices",
    "IRR_SYNTAX": "Fix the file so that it is well-formed, without DOCTYPE",
    "IRR_EXTRAC": "Embed the invoice XML as factur-x.xml in the PDF, or send the XML itself",
    "IRR_TAILLE": "Split the lot into smaller files",
    "IRR_NOM_F": "Use plain relative member names in the ZIP",
}
