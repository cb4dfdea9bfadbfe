"""The JSON API's documents (pydantic models: FastAPI describes them in /api/openapi.json), made from ledger rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from ..emitters.returns import LEGACY_STATUS
from ..ledger.models import BatchRow, FindingRow, InvoiceRow, StatusEventRow
from .files import Download
from .queries import DayCount, RuleCount, as_utc


class Me(BaseModel):
    name: str
    role: str = Field(description="operator (sees every flow) or depositor (sees its depositor's flows)")
    depositor: str | None


class Flow(BaseModel):
    id: str
    depositor: str
    file: str
    format: str | None
    received_at: datetime
    state: str = Field(description="CLAIMED, DECIDED or DONE")
    flow_status: str | None = Field(description="IN_INTEGRE, IN_INTEGRE_PARTIEL, IN_REJETE; null while processed")
    reason_code: str | None = Field(description="IRR_* when the flow could not be read at all")
    reason_en: str | None
    reason_fr: str | None
    duplicate_of: str | None
    invoices: int
    accepted: int
    rejected: int


class FlowList(BaseModel):
    flows: list[Flow]
    total: int = Field(description="flows matching the filter, on every page")
    older: str | None = Field(description="pass as `older_than` for the next page (older flows); null at the end")
    newer: str | None = Field(description="pass as `newer_than` for the previous page; null on the first")


class RuleFrequency(BaseModel):
    rule: str
    invoices: int


class File(BaseModel):
    name: str
    label: str
    url: str


class FlowDetail(BaseModel):
    flow: Flow
    rules: list[RuleFrequency] = Field(description="rules with findings in the flow, the most frequent first")
    files: list[File]


class Finding(BaseModel):
    rule: str
    severity: str
    bt: str | None
    field: str | None
    location: str | None
    value: str | None
    message_en: str
    message_fr: str
    hint: str | None
    source: str


class Invoice(BaseModel):
    position: int
    origin: str
    format: str
    number: str | None
    issue_date: str | None
    type_code: str | None
    supplier: str | None
    recipient: str | None
    service: str | None
    frame: str | None
    engagement: str | None
    amount_due: str | None
    currency: str | None
    decision: str
    status_code: str
    findings: list[Finding]


class InvoicePage(BaseModel):
    invoices: list[Invoice]
    total: int = Field(description="invoices of the flow matching the filter")
    next_after: int | None = Field(description="pass as `after` for the next page; null at the end")
    previous_before: int | None = Field(description="pass as `before` for the previous page; null on the first")


class StatusEvent(BaseModel):
    code: str
    label: str
    legacy_status: str | None
    reason_code: str | None
    at: datetime


class InvoiceDetail(BaseModel):
    flow_id: str
    invoice: Invoice
    history: list[StatusEvent]
    certificate: dict | None = Field(description="the deposit certificate of an accepted invoice")
    files: list[File]


class DayFigures(BaseModel):
    day: date
    accepted: int
    rejected: int


def flow_document(batch: BatchRow) -> Flow:
    return Flow(id=batch.id, depositor=batch.depositor, file=batch.file_name, format=batch.format,
                received_at=as_utc(batch.received_at), state=batch.state, flow_status=batch.flow_status,
                reason_code=batch.reason_code, reason_en=batch.reason, reason_fr=batch.reason_fr,
                duplicate_of=batch.duplicate_of, invoices=batch.invoice_count or 0,
                accepted=batch.accepted_count or 0, rejected=batch.rejected_count or 0)


def finding_document(finding: FindingRow) -> Finding:
    return Finding(rule=finding.rule, severity=finding.severity, bt=finding.bt, field=finding.field,
                   location=finding.location, value=finding.value, message_en=finding.message_en,
                   message_fr=finding.message_fr, hint=finding.hint, source=finding.source)


def invoice_document(invoice: InvoiceRow) -> Invoice:
    return Invoice(position=invoice.position, origin=invoice.origin, format=invoice.format, number=invoice.number,
                   issue_date=invoice.issue_date, type_code=invoice.type_code, supplier=invoice.supplier_id,
                   recipient=invoice.recipient_id, service=invoice.service_code, frame=invoice.billing_frame,
                   engagement=invoice.engagement_number, amount_due=amount_text(invoice.amount_due),
                   currency=invoice.currency, decision=invoice.decision, status_code=invoice.status_code,
                   findings=[finding_document(f) for f in invoice.findings])


def event_document(event: StatusEventRow) -> StatusEvent:
    return StatusEvent(code=event.code, label=event.label, legacy_status=LEGACY_STATUS.get(event.code),
                       reason_code=event.reason_code, at=as_utc(event.at))


def file_document(entry: Download, url: str) -> File:
    return File(name=entry.name, label=entry.label, url=url)


def rule_documents(rules: list[RuleCount]) -> list[RuleFrequency]:
    return [RuleFrequency(rule=r.rule, invoices=r.invoices) for r in rules]


def day_documents(days: list[DayCount]) -> list[DayFigures]:
    return [DayFigures(day=d.day, accepted=d.accepted, rejected=d.rejected) for d in days]


def amount_text(value: Decimal | None) -> str | None:
    """An amount with two decimals, or more when the invoice had more (the ledger keeps six)."""
    if value is None:
        return None
    cents = value.quantize(Decimal("0.01"))
    return f"{cents:f}" if cents == value else f"{value.normalize():f}"
