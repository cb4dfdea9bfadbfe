"""What the console reads from the ledger, always through the owner check.

`visible_batches` is the one place that says which flows a user may see: every page, download and API route
reaches a flow (and so its invoices and files) through `flow_for`, `invoice_for` or the listing queries below,
which all start from it. A flow the user may not see is reported exactly like a flow that does not exist
(`NotVisible`, a 404): guessing ids tells nothing.

Everything here only reads. Lists are paginated by keyset (flows: newest first on (received_at, id), with the
indexes of migration 0006; invoices: by position in their flow), so a ledger of any size answers in the time of
one page.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Select, and_, distinct, exists, func, select, true, tuple_
from sqlalchemy.orm import selectinload

from ..ledger.models import BatchRow, DepositorRow, FindingRow, InvoiceRow
from ..ledger.store import Ledger
from .users import User

FLOW_STATUSES = ("IN_INTEGRE", "IN_INTEGRE_PARTIEL", "IN_REJETE")
IN_PROGRESS = "IN_PROGRESS"  # a flow being processed: no flow status yet
DECISIONS = ("accepted", "rejected")
FLOWS_PER_PAGE = 50
INVOICES_PER_PAGE = 50
TOP_RULES = 10


class NotVisible(LookupError):
    """No such flow or invoice, or not the user's: the same answer (404)."""


# -- the owner check ---------------------------------------------------------------------------------------------------
def visible_batches(user: User) -> Select:
    """Every flow `user` may see: all of them for an operator, its depositor's for a depositor's user."""
    query = select(BatchRow)
    return query if user.is_operator else query.where(BatchRow.depositor == user.depositor)


def _owner_condition(user: User):
    """The same check as a condition on BatchRow, for queries that do not select batches."""
    return true() if user.is_operator else BatchRow.depositor == user.depositor


def flow_for(ledger: Ledger, user: User, batch_id: str) -> BatchRow:
    with ledger.session() as session:
        batch = session.scalars(visible_batches(user).where(BatchRow.id == batch_id)).first()
    if batch is None:
        raise NotVisible(batch_id)
    return batch


def invoice_for(ledger: Ledger, user: User, batch_id: str, position: int) -> InvoiceRow:
    """One invoice of a visible flow, with its findings, status events and batch."""
    query = (select(InvoiceRow).join(InvoiceRow.batch)
             .where(InvoiceRow.batch_id == batch_id, InvoiceRow.position == position, _owner_condition(user))
             .options(selectinload(InvoiceRow.findings), selectinload(InvoiceRow.status_events),
                      selectinload(InvoiceRow.batch)))
    with ledger.session() as session:
        invoice = session.scalars(query).first()
    if invoice is None:
        raise NotVisible(f"{batch_id}#{position}")
    return invoice


# -- the flows list ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FlowFilter:
    """What the flows list (and the statistics) are narrowed to; None: no narrowing."""

    date_from: date | None = None  # received on or after this day (UTC)
    date_to: date | None = None  # received on or before this day (UTC)
    depositor: str | None = None  # an operator's choice; a depositor's user always sees its own
    status: str | None = None  # a FLOW_STATUSES value or IN_PROGRESS


@dataclass(frozen=True, slots=True)
class FlowPage:
    flows: list[BatchRow]
    total: int  # flows matching the filter, on every page
    older: str | None  # cursor of the next page (older flows), None on the last one
    newer: str | None  # cursor of the previous page (newer flows), None on the first one


def flow_page(ledger: Ledger, user: User, wanted: FlowFilter, *, older_than: str | None = None,
              newer_than: str | None = None, size: int = FLOWS_PER_PAGE) -> FlowPage:
    """A page of the flows `user` may see, newest first: the first one, or the one past a cursor."""
    base = _filtered(visible_batches(user), wanted)
    newest_first = (BatchRow.received_at.desc(), BatchRow.id.desc())
    key = tuple_(BatchRow.received_at, BatchRow.id)
    older_key, newer_key = _cursor_key(older_than), _cursor_key(newer_than)
    with ledger.session() as session:
        total = session.scalar(select(func.count()).select_from(base.subquery()))
        if newer_key is not None:
            rows = list(session.scalars(base.where(key > newer_key).order_by(BatchRow.received_at, BatchRow.id)
                                        .limit(size + 1)))
            more_newer, rows = len(rows) > size, rows[:size][::-1]
            return FlowPage(rows, total, flow_cursor(rows[-1]) if rows else None,
                            flow_cursor(rows[0]) if rows and more_newer else None)
        if older_key is not None:
            base = base.where(key < older_key)
        rows = list(session.scalars(base.order_by(*newest_first).limit(size + 1)))
    more_older, rows = len(rows) > size, rows[:size]
    return FlowPage(rows, total, flow_cursor(rows[-1]) if rows and more_older else None,
                    flow_cursor(rows[0]) if rows and older_key is not None else None)


def _filtered(query: Select, wanted: FlowFilter) -> Select:
    start, end = day_bounds(wanted.date_from, wanted.date_to)
    if start is not None:
        query = query.where(BatchRow.received_at >= start)
    if end is not None:
        query = query.where(BatchRow.received_at < end)
    if wanted.depositor:
        query = query.where(BatchRow.depositor == wanted.depositor)
    if wanted.status == IN_PROGRESS:
        query = query.where(BatchRow.flow_status.is_(None))
    elif wanted.status:
        query = query.where(BatchRow.flow_status == wanted.status)
    return query


def day_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """[start, end) in UTC covering the days from `first` to `last`, each end open when not given."""
    start = datetime.combine(first, time(), timezone.utc) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), timezone.utc) if last else None
    return start, end


def flow_cursor(batch: BatchRow) -> str:
    """The cursor that pages past `batch` (opaque to clients: the flow's (received_at, id), base64)."""
    text = f"{as_utc(batch.received_at).isoformat()}|{batch.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _cursor_key(cursor: str | None) -> tuple[datetime, str] | None:
    """The (received_at, id) a cursor stands for; None for no cursor or one that does not read (first page)."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, batch_id = text.split("|", 1)
        return datetime.fromisoformat(moment), batch_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def as_utc(moment: datetime | None) -> datetime | None:
    """A ledger timestamp with its UTC offset (SQLite hands them back without one)."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def depositor_choices(ledger: Ledger, user: User) -> list[tuple[str, str]]:
    """(id, name) of the depositors `user` may filter on: every one for an operator, none otherwise."""
    if not user.is_operator:
        return []
    with ledger.session() as session:
        return [tuple(row) for row in session.execute(select(DepositorRow.id, DepositorRow.name)
                                                      .order_by(DepositorRow.id))]


# -- one flow's invoices -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    decision: str | None = None  # accepted, rejected
    rule: str | None = None  # only invoices with a finding of this rule


@dataclass(frozen=True, slots=True)
class InvoicePage:
    invoices: list[InvoiceRow]  # with their findings
    total: int  # invoices of the flow matching the filter
    next_after: int | None  # position to continue after, None on the last page
    previous_before: int | None  # position the previous page ends before, None on the first page


def invoice_page(ledger: Ledger, batch: BatchRow, wanted: InvoiceFilter, *, after: int | None = None,
                 before: int | None = None, size: int = INVOICES_PER_PAGE) -> InvoicePage:
    """A page of a flow's invoices in position order (`batch` comes from `flow_for`: the owner is checked)."""
    base = select(InvoiceRow).where(InvoiceRow.batch_id == batch.id)
    if wanted.decision:
        base = base.where(InvoiceRow.decision == wanted.decision)
    if wanted.rule:
        base = base.where(exists().where(FindingRow.invoice_id == InvoiceRow.id, FindingRow.rule == wanted.rule))
    details = selectinload(InvoiceRow.findings)
    with ledger.session() as session:
        total = session.scalar(select(func.count()).select_from(base.subquery()))
        if before is not None:
            rows = list(session.scalars(base.where(InvoiceRow.position < before)
                                        .order_by(InvoiceRow.position.desc()).limit(size + 1).options(details)))
            more_before, rows = len(rows) > size, rows[:size][::-1]
            return InvoicePage(rows, total, rows[-1].position if rows else None,
                               rows[0].position if rows and more_before else None)
        query = base.where(InvoiceRow.position > after) if after is not None else base
        rows = list(session.scalars(query.order_by(InvoiceRow.position).limit(size + 1).options(details)))
    more_after, rows = len(rows) > size, rows[:size]
    return InvoicePage(rows, total, rows[-1].position if rows and more_after else None,
                       rows[0].position if rows and after is not None else None)


@dataclass(frozen=True, slots=True)
class RuleCount:
    rule: str
    invoices: int  # invoices with at least one finding of the rule


def flow_rules(ledger: Ledger, batch: BatchRow) -> list[RuleCount]:
    """The rules with findings in a flow, the most frequent first (the flow page's rule filter)."""
    query = (select(FindingRow.rule, func.count(distinct(FindingRow.invoice_id)).label("invoices"))
             .join(InvoiceRow, InvoiceRow.id == FindingRow.invoice_id)
             .where(InvoiceRow.batch_id == batch.id).group_by(FindingRow.rule)
             .order_by(func.count(distinct(FindingRow.invoice_id)).desc(), FindingRow.rule))
    with ledger.session() as session:
        return [RuleCount(rule, count) for rule, count in session.execute(query)]


# -- statistics --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    accepted: int
    rejected: int


def daily_counts(ledger: Ledger, user: User, wanted: FlowFilter) -> list[DayCount]:
    """Accepted and rejected invoices per day of receipt (UTC), oldest first, from the flows' counters."""
    day = func.date(BatchRow.received_at)
    query = _filtered(select(day.label("day"), func.sum(BatchRow.accepted_count), func.sum(BatchRow.rejected_count))
                      .where(_owner_condition(user)), wanted).group_by(day).order_by(day)
    with ledger.session() as session:
        return [DayCount(_as_date(when), int(accepted or 0), int(rejected or 0))
                for when, accepted, rejected in session.execute(query)]


def top_rejection_rules(ledger: Ledger, user: User, wanted: FlowFilter, limit: int = TOP_RULES) -> list[RuleCount]:
    """The rules that rejected the most invoices (fatal findings of rejected invoices), most frequent first."""
    invoices = func.count(distinct(FindingRow.invoice_id))
    query = _filtered(
        select(FindingRow.rule, invoices)
        .join(InvoiceRow, InvoiceRow.id == FindingRow.invoice_id).join(BatchRow, BatchRow.id == InvoiceRow.batch_id)
        .where(and_(InvoiceRow.decision == "rejected", FindingRow.severity == "fatal", _owner_condition(user))),
        wanted).group_by(FindingRow.rule).order_by(invoices.desc(), FindingRow.rule).limit(limit)
    with ledger.session() as session:
        return [RuleCount(rule, count) for rule, count in session.execute(query)]


def _as_date(value) -> date:
    """SQLite's date() gives text, PostgreSQL's a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
