"""The JSON API under /api/: the pages' data, with the same owner check (queries.py) and the same 404s.

Described by FastAPI's OpenAPI document at /api/openapi.json. Authentication: the console's session cookie, or
HTTP Basic with a console user's name and password.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from ..emitters.returns import certificate
from . import queries, schemas
from .deps import api_user, console, download_response
from .files import flow_downloads, invoice_downloads, pick
from .pages import stats_filter
from .queries import FlowFilter, InvoiceFilter
from .users import User

router = APIRouter(prefix="/api", tags=["flow tracking"])
Caller = Annotated[User, Depends(api_user)]
FlowStatus = Literal["IN_INTEGRE", "IN_INTEGRE_PARTIEL", "IN_REJETE", "IN_PROGRESS"]
Day = Annotated[date | None, Query(description="YYYY-MM-DD, UTC")]
FILE_RESPONSE = {200: {"description": "the file, as an attachment (CSV, JSON, XML or HTML)",
                      "content": {"application/octet-stream": {}}}, 404: {"description": "no such file here"}}
DepositorQuery = Annotated[str | None, Query(description="operators only; a depositor's user always sees its own")]


@router.get("/me", response_model=schemas.Me)
def me(user: Caller):
    return schemas.Me(name=user.name, role=user.role, depositor=user.depositor)


@router.get("/flows", response_model=schemas.FlowList, summary="Flows, newest first, a page at a time")
def list_flows(user: Caller, request: Request, date_from: Day = None, date_to: Day = None,
               depositor: DepositorQuery = None, status: FlowStatus | None = None,
               older_than: str | None = None, newer_than: str | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = queries.FLOWS_PER_PAGE):
    wanted = _flow_filter(user, date_from, date_to, depositor, status)
    page = queries.flow_page(console(request).ledger, user, wanted, older_than=older_than, newer_than=newer_than,
                             size=limit)
    return schemas.FlowList(flows=[schemas.flow_document(b) for b in page.flows], total=page.total,
                            older=page.older, newer=page.newer)


@router.get("/flows/{batch_id}", response_model=schemas.FlowDetail, summary="One flow, its rules and its files")
def get_flow(user: Caller, request: Request, batch_id: str):
    state = console(request)
    batch = queries.flow_for(state.ledger, user, batch_id)
    files = [schemas.file_document(entry, str(request.url_for("api_flow_file", batch_id=batch.id, name=entry.name)))
             for entry in flow_downloads(state.outbox, batch)]
    return schemas.FlowDetail(flow=schemas.flow_document(batch),
                              rules=schemas.rule_documents(queries.flow_rules(state.ledger, batch)), files=files)


@router.get("/flows/{batch_id}/invoices", response_model=schemas.InvoicePage,
            summary="A flow's invoices in order, with their findings, a page at a time")
def list_invoices(user: Caller, request: Request, batch_id: str,
                  decision: Literal["accepted", "rejected"] | None = None, rule: str | None = None,
                  after: int | None = None, before: int | None = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = queries.INVOICES_PER_PAGE):
    state = console(request)
    batch = queries.flow_for(state.ledger, user, batch_id)
    page = queries.invoice_page(state.ledger, batch, InvoiceFilter(decision=decision, rule=rule or None),
                                after=after, before=before, size=limit)
    return schemas.InvoicePage(invoices=[schemas.invoice_document(i) for i in page.invoices], total=page.total,
                               next_after=page.next_after, previous_before=page.previous_before)


@router.get("/flows/{batch_id}/invoices/{position}", response_model=schemas.InvoiceDetail,
            summary="One invoice: its status history and deposit certificate")
def get_invoice(user: Caller, request: Request, batch_id: str, position: int):
    state = console(request)
    invoice = queries.invoice_for(state.ledger, user, batch_id, position)
    batch = invoice.batch
    files = [schemas.file_document(entry, str(request.url_for("api_invoice_file", batch_id=batch.id,
                                                              position=position, name=entry.name)))
             for entry in invoice_downloads(state.outbox, batch, invoice)]
    return schemas.InvoiceDetail(
        flow_id=batch.id, invoice=schemas.invoice_document(invoice),
        history=[schemas.event_document(e) for e in invoice.status_events],
        certificate=certificate(batch, invoice) if invoice.decision == "accepted" else None, files=files)


@router.get("/flows/{batch_id}/files/{name}", name="api_flow_file", summary="Download a report or status return",
            responses=FILE_RESPONSE)
def flow_file(user: Caller, request: Request, batch_id: str, name: str):
    state = console(request)
    batch = queries.flow_for(state.ledger, user, batch_id)
    return download_response(pick(flow_downloads(state.outbox, batch), name))


@router.get("/flows/{batch_id}/invoices/{position}/files/{name}", name="api_invoice_file",
            summary="Download an invoice's deposit certificate or status message", responses=FILE_RESPONSE)
def invoice_file(user: Caller, request: Request, batch_id: str, position: int, name: str):
    state = console(request)
    invoice = queries.invoice_for(state.ledger, user, batch_id, position)
    return download_response(pick(invoice_downloads(state.outbox, invoice.batch, invoice), name))


@router.get("/stats/daily", response_model=list[schemas.DayFigures],
            summary="Accepted and rejected invoices per day (default: the last 30 days)")
def daily(user: Caller, request: Request, date_from: Day = None, date_to: Day = None,
          depositor: DepositorQuery = None):
    wanted = stats_filter(_flow_filter(user, date_from, date_to, depositor, None))
    return schemas.day_documents(queries.daily_counts(console(request).ledger, user, wanted))


@router.get("/stats/rules", response_model=list[schemas.RuleFrequency],
            summary="The rules that rejected the most invoices (default: the last 30 days)")
def rules(user: Caller, request: Request, date_from: Day = None, date_to: Day = None,
          depositor: DepositorQuery = None, limit: Annotated[int, Query(ge=1, le=100)] = queries.TOP_RULES):
    wanted = stats_filter(_flow_filter(user, date_from, date_to, depositor, None))
    return schemas.rule_documents(queries.top_rejection_rules(console(request).ledger, user, wanted, limit))


def _flow_filter(user: User, date_from: date | None, date_to: date | None, depositor: str | None,
                 status: str | None) -> FlowFilter:
    return FlowFilter(date_from=date_from, date_to=date_to, depositor=depositor if user.is_operator else None,
                      status=status)
