"""Parse stage: bytes of a deposited file in, one ParsedDocument per invoice out.

`read_flow` reads a deposited file. It chooses the reader by content (`detect.sniff`), never by file name. A file
that cannot be read at all raises an `UnreadableFlow` (the flow is irrecevable); inside a ZIP lot, a member that
cannot be read becomes a ParsedDocument without invoice, carrying the reason as a finding, and the rest of the lot
goes on.

`read_flow` is two steps, which the engines run apart: `split_flow` cuts a flow into `RawDocument`s (the file
itself, or each member of a lot: cheap, in the process that holds the file) and `parse_raw` parses one of them
(the expensive part, in a worker process).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import UnknownFormat, UnreadableFlow, ZipBomb
from ..model import DocumentFormat, Finding, Origin, Severity
from .base import ParsedDocument
from .cii import RSM_NS, read_cii
from .csv import CsvPart, parse_csv, split_csv
from .detect import Container, sniff
from .facturx import extract_invoice_xml
from .lots import Budget, Limits, iter_members
from .ubl import CREDIT_NOTE_NS, INVOICE_NS, read_ubl
from .xml import parse_xml

__all__ = ["Flow", "ParsedDocument", "Limits", "RawDocument", "flow_head", "parse_raw", "read_flow", "read_xml_invoice",
           "split_flow"]

_XML_READERS = {
    f"{{{INVOICE_NS}}}Invoice": (DocumentFormat.UBL_INVOICE, read_ubl),
    f"{{{CREDIT_NOTE_NS}}}CreditNote": (DocumentFormat.UBL_CREDIT_NOTE, read_ubl),
    f"{{{RSM_NS}}}CrossIndustryInvoice": (DocumentFormat.CII, read_cii),
}


@dataclasses.dataclass(slots=True)
class RawDocument:
    """A document cut out of a flow, not parsed yet: the deposited file itself, one member of a lot, or a part
    of a large CSV file (`csv_part`, some of its invoices).

    `error` (code, English, French) says why a lot member could not even be extracted; `whole_flow` marks the
    deposited file itself (or a part of it), which when unreadable makes the whole flow irrecevable. Picklable:
    it is what worker processes receive."""

    origin: Origin
    data: bytes
    container: Container | None = None
    error: tuple[str, str, str] | None = None
    whole_flow: bool = False
    csv_part: CsvPart | None = None

    @property
    def invoice_count(self) -> int:
        """How many invoices it holds, as far as known before parsing (a task's weight)."""
        return self.csv_part.invoice_count if self.csv_part is not None else 1


Flow = bytes | Path  # a deposited file: its bytes, or where it lies (then it is read a piece at a time)
HEAD_BYTES = 4096  # what `sniff` looks at


def read_flow(flow: Flow, origin: Origin, limits: Limits = Limits()) -> Iterator[ParsedDocument]:
    """Every invoice in a deposited file. Raises UnreadableFlow when the file as a whole cannot be read."""
    for raw in split_flow(flow, origin, limits):
        yield from parse_raw(raw)


def flow_head(flow: Flow) -> bytes:
    """The first bytes of a flow: enough to tell its container."""
    if isinstance(flow, bytes):
        return flow[:HEAD_BYTES]
    with open(flow, "rb") as stream:
        return stream.read(HEAD_BYTES)


def split_flow(flow: Flow, origin: Origin, limits: Limits = Limits()) -> Iterator[RawDocument]:
    """The documents of a deposited file, unparsed: the file itself, each member of a ZIP lot in turn, or the
    invoices of a CSV file a few at a time. A lot or a CSV file given by path is never read whole.
    Raises UnreadableFlow when the file is empty, of no known type, or a broken or oversized archive."""
    container = _container_of(flow)
    if container is Container.ZIP:
        yield from _split_lot(flow, origin, limits)
    elif container is Container.CSV:
        for part in split_csv(_opener(flow)):
            yield RawDocument(origin, part.data, container, whole_flow=True, csv_part=part)
    else:
        yield RawDocument(origin, _whole(flow), container, whole_flow=True)


def _container_of(flow: Flow) -> Container:
    """What a flow is, from its head (or from the whole of a head that is only white space)."""
    head = flow_head(flow)
    return sniff(head if len(head) < HEAD_BYTES or head.strip() else _whole(flow))


def _whole(flow: Flow) -> bytes:
    return flow if isinstance(flow, bytes) else flow.read_bytes()


def _opener(flow: Flow) -> Callable[[], BinaryIO]:
    if isinstance(flow, bytes):
        return lambda: io.BytesIO(flow)
    return lambda: open(flow, "rb")


def parse_raw(raw: RawDocument) -> list[ParsedDocument]:
    """The invoices of one raw document (several for a CSV). A lot member that cannot be read becomes a
    document without invoice carrying the reason; the deposited file itself raises UnreadableFlow."""
    if raw.error is not None:
        code, message_en, message_fr = raw.error
        return [_unreadable(raw.origin, UnreadableFlow(message_en, message_fr, code=code), raw.data)]
    if raw.whole_flow:
        return list(_read_single(raw.container, raw.data, raw.origin, raw.csv_part))
    try:
        return list(_read_single(raw.container, raw.data, raw.origin, raw.csv_part))
    except UnreadableFlow as exc:
        return [_unreadable(raw.origin, exc, raw.data)]


def _read_single(container: Container, data: bytes, origin: Origin, csv_part: CsvPart | None = None
                 ) -> Iterator[ParsedDocument]:
    if container is Container.XML:
        yield read_xml_invoice(data, origin)
    elif container is Container.PDF:
        _name, xml = extract_invoice_xml(data)
        document = read_xml_invoice(xml, origin, raw=data)
        document.format = document.invoice.format = DocumentFormat.FACTURX_PDF
        yield document
    else:
        yield from parse_csv(data, origin, csv_part)


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


def _split_lot(data: Flow, origin: Origin, limits: Limits, prefix: str = "", depth: int = 1,
               budget: Budget | None = None) -> Iterator[RawDocument]:
    """Each member of a ZIP lot (its bytes, or its path) in turn; a member that is a ZIP is opened up to
    `limits.zip_max_depth`, within the same budget, one that is a CSV file is cut into parts like a deposited CSV
    file. A zip bomb anywhere (ZipBomb) stops the whole lot; other problems refuse one member."""
    budget = budget if budget is not None else Budget.of(limits)
    for member in iter_members(data, limits, prefix, depth, budget):
        member_origin = dataclasses.replace(origin, member=member.name, index=0)
        if member.error is not None:
            yield RawDocument(member_origin, b"", error=_error_of(member.error))
            continue
        try:
            container = _container_of(member.data)
        except UnreadableFlow as exc:
            yield RawDocument(member_origin, _whole(member.data), error=_error_of(exc))
            continue
        if container is Container.ZIP:
            yield from _split_nested(member.data, member_origin, origin, limits, depth, budget)
        elif container is Container.CSV:
            yield from _split_csv_member(member.data, member_origin)
        else:
            yield RawDocument(member_origin, _whole(member.data), container)


def _split_csv_member(data: Flow, origin: Origin) -> Iterator[RawDocument]:
    """The parts of a CSV member (its bytes, or the file it was spooled to), one at a time, or the member refused
    with its reason (its header, its encoding...: `split_csv` checks the whole member before its first part)."""
    try:
        parts = split_csv(_opener(data))  # its parts are never all in memory at once
    except UnreadableFlow as exc:
        yield RawDocument(origin, _whole(data), error=_error_of(exc))
        return
    for part in parts:
        yield RawDocument(origin, part.data, Container.CSV, csv_part=part)


def _split_nested(data: Flow, member_origin: Origin, origin: Origin, limits: Limits, depth: int, budget: Budget
                  ) -> Iterator[RawDocument]:
    """The members of a lot inside a lot; the nested lot is refused as one member when it cannot be read or is
    nested too deep, but a bomb inside it stops the whole deposited lot."""
    try:
        yield from _split_lot(data, origin, limits, f"{member_origin.member}!", depth + 1, budget)
    except ZipBomb:
        raise
    except UnreadableFlow as exc:
        yield RawDocument(member_origin, _whole(data), error=_error_of(exc))


def _error_of(exc: UnreadableFlow) -> tuple[str, str, str]:
    return exc.code, exc.message_en, exc.message_fr


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
