"""The console's HTML pages: sign-in, flows list, one flow, one invoice, statistics, downloads.

Every page but the sign-in needs a session (page_user); every flow, invoice and file is reached through the owner
check of queries.py (another depositor's id is a 404, like an id that does not exist).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from . import queries
from .auth import TooManyFailures, csrf_ok, csrf_token, end_session, safe_next, sign_in_checked, start_session
from .charts import daily_chart, every_day, rules_chart
from .deps import console, download_response, page_user
from .files import flow_downloads, invoice_downloads, pick
from .queries import FLOW_STATUSES, IN_PROGRESS, FlowFilter, InvoiceFilter
from .users import User

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[User, Depends(page_user)]
STATS_DEFAULT_DAYS = 30


# -- signing in and out ------------------------------------------------------------------------------------------------
@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/flows", status_code=303)


@router.get("/login", name="sign_in_page")
def sign_in_page(request: Request, next: str | None = None):
    return _sign_in_form(request, next, error=None)


@router.post("/login")
def sign_in(request: Request, name: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
            csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = ""):
    if not csrf_ok(request, csrf):
        return _sign_in_form(request, next, error="The form had expired: please sign in again.", status=400)
    try:
        user = sign_in_checked(console(request).ledger, console(request).failures, name.strip(), password)
    except TooManyFailures:
        return _sign_in_form(request, next, error="Too many failed attempts for this name: try again in a few "
                                                  "minutes.", status=429)
    if user is None:
        return _sign_in_form(request, next, error="Wrong name or password.", status=401)
    start_session(request, user)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", name="sign_out")
def sign_out(request: Request, csrf: Annotated[str, Form()] = ""):
    if not csrf_ok(request, csrf):
        raise HTTPException(400, "The form had expired: reload the page and sign out again.")
    end_session(request)
    return RedirectResponse("/login", status_code=303)


def _sign_in_form(request: Request, next_page: str | None, *, error: str | None, status: int = 200):
    return console(request).templates.TemplateResponse(
        request, "login.html", {"user": None, "csrf": csrf_token(request), "next": safe_next(next_page, ""),
                                "error": error}, status_code=status)


# -- the flows list ----------------------------------------------------------------------------------------------------
@router.get("/flows", name="flows_page")
def flows_page(request: Request, user: SignedIn, date_from: str | None = None, date_to: str | None = None,
               depositor: str | None = None, status: str | None = None, older_than: str | None = None,
               newer_than: str | None = None):
    wanted = _flow_filter(user, date_from, date_to, depositor, status)
    state = console(request)
    page = queries.flow_page(state.ledger, user, wanted, older_than=older_than, newer_than=newer_than)
    return _render(request, user, "flows.html", page=page, wanted=wanted, statuses=(*FLOW_STATUSES, IN_PROGRESS),
                   depositors=queries.depositor_choices(state.ledger, user),
                   older_url=_link(request, older_than=page.older, newer_than=None) if page.older else None,
                   newer_url=_link(request, newer_than=page.newer, older_than=None) if page.newer else None)


def _flow_filter(user: User, date_from: str | None, date_to: str | None, depositor: str | None,
                 status: str | None) -> FlowFilter:
    """The filter a form asked for; blank fields filter nothing, a depositor's user always sees its own."""
    return FlowFilter(date_from=_day(date_from), date_to=_day(date_to),
                      depositor=(depositor or None) if user.is_operator else None,
                      status=status if status in (*FLOW_STATUSES, IN_PROGRESS) else None)


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{text!r} is not a date (YYYY-MM-DD).") from None


# -- one flow ----------------------------------------------------------------------------------------------------------
@router.get("/flows/{batch_id}", name="flow_page")
def flow_page(request: Request, user: SignedIn, batch_id: str, decision: str | None = None,
              rule: str | None = None, after: int | None = None, before: int | None = None):
    state = console(request)
    batch = queries.flow_for(state.ledger, user, batch_id)
    wanted = InvoiceFilter(decision=decision if decision in queries.DECISIONS else None, rule=rule or None)
    page = queries.invoice_page(state.ledger, batch, wanted, after=after, before=before)
    return _render(request, user, "flow.html", batch=batch, page=page, wanted=wanted,
                   rules=queries.flow_rules(state.ledger, batch), downloads=flow_downloads(state.outbox, batch),
                   next_url=_link(request, after=page.next_after, before=None) if page.next_after else None,
                   previous_url=(_link(request, before=page.previous_before, after=None)
                                 if page.previous_before else None),
                   filter_url=lambda **changes: _link(request, after=None, before=None, **changes))


@router.get("/flows/{batch_id}/files/{name}", name="flow_file")
def flow_file(request: Request, user: SignedIn, batch_id: str, name: str):
    state = console(request)
    batch = queries.flow_for(state.ledger, user, batch_id)
    return download_response(pick(flow_downloads(state.outbox, batch), name))


# -- one invoice -------------------------------------------------------------------------------------------------------
@router.get("/flows/{batch_id}/invoices/{position}", name="invoice_page")
def invoice_page(request: Request, user: SignedIn, batch_id: str, position: int):
    from ..emitters.returns import certificate

    state = console(request)
    invoice = queries.invoice_for(state.ledger, user, batch_id, position)
    batch = invoice.batch
    return _render(request, user, "invoice.html", batch=batch, invoice=invoice,
                   certificate=certificate(batch, invoice) if invoice.decision == "accepted" else None,
                   downloads=invoice_downloads(state.outbox, batch, invoice))


@router.get("/flows/{batch_id}/invoices/{position}/files/{name}", name="invoice_file")
def invoice_file(request: Request, user: SignedIn, batch_id: str, position: int, name: str):
    state = console(request)
    invoice = queries.invoice_for(state.ledger, user, batch_id, position)
    return download_response(pick(invoice_downloads(state.outbox, invoice.batch, invoice), name))


# -- statistics --------------------------------------------------------------------------------------------------------
@router.get("/stats", name="stats_page")
def stats_page(request: Request, user: SignedIn, date_from: str | None = None, date_to: str | None = None,
               depositor: str | None = None):
    state = console(request)
    wanted = stats_filter(_flow_filter(user, date_from, date_to, depositor, None))
    days = every_day(queries.daily_counts(state.ledger, user, wanted), wanted.date_from, wanted.date_to)
    rules = queries.top_rejection_rules(state.ledger, user, wanted)
    return _render(request, user, "stats.html", wanted=wanted, days=days, rules=rules,
                   daily_svg=daily_chart(days), rules_svg=rules_chart(rules),
                   depositors=queries.depositor_choices(state.ledger, user))


def stats_filter(wanted: FlowFilter) -> FlowFilter:
    """The period asked for, by default the last STATS_DEFAULT_DAYS days (UTC) up to today."""
    last = wanted.date_to or datetime.now(timezone.utc).date()
    first = wanted.date_from or last - timedelta(days=STATS_DEFAULT_DAYS - 1)
    return FlowFilter(date_from=first, date_to=last, depositor=wanted.depositor)


# -- helpers -----------------------------------------------------------------------------------------------------------
def _render(request: Request, user: User, template: str, **context):
    return console(request).templates.TemplateResponse(
        request, template, {"user": user, "csrf": csrf_token(request), **context})


def _link(request: Request, **changes) -> str:
    """This page's address with some query parameters changed (None or "" removes one)."""
    parameters = {**request.query_params, **changes}
    kept = {key: value for key, value in parameters.items() if value not in (None, "")}
    return request.url.path + (f"?{urlencode(kept)}" if kept else "")
