"""What a worker does: parse and check a chunk of raw documents, alone (no ledger writes, no other chunk); and,
once the batch is decided, write the files of a chunk of its invoices (routed copies, CDAR messages, certificates).

A worker process loads the schemas, the rule tables and (for routing) a read-only connection to the ledger once,
on its first chunk, and keeps them for the next ones. The duplicate rules are not run here: whether an invoice
number was already accepted depends on the invoices before it in the lot, which other workers hold; the process
that owns the batch settles them in order (`checking.settle_duplicates`).

Files are written by workers only where they share the gateway's filesystem (`engine.local_files`): the tasks
carry ledger records (ledger/records.py) and bytes, and the worker writes without syncing; the gateway syncs the
filesystem once the chunks are written, before the ledger says the files exist.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from datetime import date
from pathlib import Path

from ..errors import UnreadableFlow
from ..model import Verdict
from ..parsers import RawDocument, parse_raw
from ..policy import Policy
from ..routing.router import RoutingContext, recipient_id
from .collector import spaced_collections

_LEDGERS: dict[str, object] = {}  # database URL -> Ledger, one per worker process


@dataclasses.dataclass(slots=True)
class ChunkTask:
    """A chunk of a batch's documents and what checking them needs. Picklable: it travels to workers."""

    units: list[RawDocument]
    policy: Policy
    strict: bool = False
    routing: RoutingContext | None = None  # the batch's depositor; the worker looks up the recipients
    database: str | None = None  # the ledger to look the directory up in
    today: date = dataclasses.field(default_factory=date.today)


@dataclasses.dataclass(frozen=True, slots=True)
class FlowFailure:
    """The deposited file itself could not be read: the flow is irrecevable (picklable, unlike the exception)."""

    code: str
    message_en: str
    message_fr: str

    def error(self) -> UnreadableFlow:
        return UnreadableFlow(self.message_en, self.message_fr, code=self.code)


@spaced_collections()
def check_chunk(task: ChunkTask) -> list[Verdict] | FlowFailure:
    """Parse and check every document of a chunk, without the duplicate rules; verdicts in document order."""
    from ..checking import check_alone
    from ..validators import CheckContext

    documents = []
    for raw in task.units:
        try:
            documents += parse_raw(raw)
        except UnreadableFlow as exc:
            return FlowFailure(exc.code, exc.message_en, exc.message_fr)
    routing = None
    if task.routing is not None:
        routing = dataclasses.replace(task.routing, structures=_structures(task.database, documents))
    context = CheckContext(today=task.today, routing=routing)
    return [_for_the_owner(check_alone(document, context, task.policy, task.strict)) for document in documents]


@dataclasses.dataclass(slots=True)
class DeliveryTask:
    """Accepted invoices of a decided batch to deliver: their ledger records, and their bytes in the same order."""

    outbox: Path
    batch: object  # a ledger Record
    invoices: list
    contents: list[bytes]


@spaced_collections()
def deliver_chunk(task: DeliveryTask) -> dict[int, str]:
    """Deliver a chunk of invoices to their recipients' folders (unsynced); where each went, by position."""
    from ..emitters.routed import deliver_invoices

    return deliver_invoices(task.outbox, task.batch, task.invoices, task.contents)


@dataclasses.dataclass(slots=True)
class ReturnsTask:
    """A page of a decided batch's invoices (ledger records, with their findings and statuses) whose returns to
    write: CDAR messages and certificates."""

    outbox: Path
    batch: object  # a ledger Record
    invoices: list


@spaced_collections()
def write_returns_chunk(task: ReturnsTask) -> int:
    """Write the returns of a page of invoices (unsynced); how many invoices."""
    from ..emitters.returns import write_invoice_files

    write_invoice_files(task.outbox, task.batch, [task.invoices])
    return len(task.invoices)


KEPT_LOCATIONS = ("number", "issue_date", "type_code")  # where the duplicate rules point


def _for_the_owner(verdict: Verdict) -> Verdict:
    """The verdict as the batch's owner needs it: the invoice's keys, parties and totals for the ledger and the
    duplicate rules, not its lines nor where each of its hundreds of values came from (two thirds of the bytes a
    worker would send back, and as much time to unpickle them in the one process that records the lot)."""
    invoice = verdict.invoice
    if invoice is not None:
        invoice.lines = []
        locations = invoice.locations
        invoice.locations = {field: locations[field] for field in KEPT_LOCATIONS if field in locations}
    return verdict


def _structures(database: str | None, documents: list) -> dict:
    """The directory entries of the chunk's recipients, from this worker's own connection to the ledger."""
    if database is None:
        return {}
    from ..ledger import Ledger
    from ..ledger.directory import lookup_structures

    ledger = _LEDGERS.get(database)
    if ledger is None:
        ledger = _LEDGERS[database] = Ledger(database, migrate=False)
    recipients = {recipient_id(d.invoice) for d in documents if d.invoice is not None} - {None}
    return lookup_structures(ledger, sorted(recipients))


def ready(_task=None) -> int:
    """A task that does nothing (its worker has warmed up to take it): the worker's pid."""
    return os.getpid()


def warm_up(gateway_pid: int | None = None) -> None:
    """A worker process's initializer: load what every chunk needs (rules, XSDs) before the first one arrives,
    and end the worker if the gateway that started it dies (a SIGKILL gives it no chance to stop its pool)."""
    from ..validators import xsd
    from ..validators.engine import all_rules

    _exit_with_parent(gateway_pid or os.getppid())
    all_rules()
    for schema in (xsd.UBL_INVOICE, xsd.UBL_CREDIT_NOTE, xsd.CII_D22B, xsd.FACTURX_EN16931):
        xsd.load_schema(schema)


def _exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """Watch the parent process (the gateway, which spawned this worker): once it is gone, end. (It may already
    be gone when the worker gets here: then the worker ends at once.)"""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
