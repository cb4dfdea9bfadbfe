"""The pipeline: intake → parse → validate → route → decide → record → emit → file away, over one ledger.

Each depositor has its inbox: `<inbox>/<depositor id>/` (or the folder registered for it); files dropped in the
inbox root itself belong to the configured default depositor. A batch belongs to the depositor whose inbox it
came from, and the routing rules check that depositor may act for each invoice's supplier.

Exactly once (see docs/operations.md): the ledger decides, files follow.
1. claim: atomic rename of the deposited file into work/, then a batch row in state CLAIMED (unique on the
   depositor and the file's sha256; a second copy of the same bytes is recorded as a duplicate flow);
2. decide: parse, validate, route, and commit every invoice with its findings and route in one transaction
   (state DECIDED; the unique index on accepted supplier + number + year backs the duplicate rule); accepted
   invoices' bytes are staged in work/ meanwhile;
3. emit and file away: accepted invoices delivered to their recipient's folder in the outbox (status 203), the
   routing manifest and the reports written atomically under fixed names, the original moved to archive/ (or
   to quarantine/ when the flow could not be read), then state DONE.
At start, batches not DONE are resumed from their state, and files left in work/ without a batch row are taken
again: a crash at any point repeats at most an idempotent step.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from .config import ALL_SOURCES, INBOX_SOURCE, FolderSource, Settings, SftpAccount
from .emitters import routed
from .emitters.html import write_html_report
from .emitters.reports import report_dir, write_reports
from .emitters.outbox import sync_filesystem
from .emitters.returns import write_returns
from .errors import GatewayError, UnreadableFlow
from .intake import folder
from .ledger.depositors import depositor_inboxes, load_depositor
from .ledger.directory import structure_count
from .ledger.models import BatchRow
from .ledger.records import Record, record_of
from .ledger.locks import PROCESS, owner_is_gone
from .ledger.store import (CLAIMED, DatabaseUnavailable, DuplicateRace, Ledger, database_unavailable, now,
                           retry_while_unavailable, unavailable_message)
from .model import DocumentFormat, Origin, Verdict
from .engines import InProcessEngine, make_engine
from .engines.collector import spaced_collections
from .engines.work import (ChunkTask, DeliveryTask, FlowFailure, ReturnsTask, check_chunk, deliver_chunk,
                           write_returns_chunk)
from .parsers import Flow, ParsedDocument, RawDocument, flow_head, read_flow, split_flow
from .parsers.lots import spooled_members
from .policy import Policy
from .routing.frames import DEFAULT_FRAME
from .routing.router import RoutingContext, recipient_id
from .routing.structures import Structure
from .validators import CheckContext
from .validators.rules.duplicates import duplicate_key
from .checking import UnwrittenKeys, check_document, settle_duplicates

log = logging.getLogger(__name__)
T = TypeVar("T")
CHUNK_SIZE = 500  # invoices checked between two bulk look-ups in the ledger (check_documents)
TASK_SIZE = 50  # invoices in a chunk sent to a worker
PARALLEL_FROM = 2 * TASK_SIZE  # smaller flows are checked in-process: a round trip to workers would cost more
IN_PROCESS = InProcessEngine()
# A deposited file this large likely holds PARALLEL_FROM invoices or more (a UBL invoice is ~5-30 KB): the workers
# are started before it is read, not once its first invoices are (a CSV file is read whole once before any).
EARLY_START_BYTES = 1 << 20
DELIVERY_TASK_SIZE = 100  # accepted invoices whose bytes are read from staging and written, at a time


@dataclasses.dataclass(slots=True)
class BatchResult:
    """What happened to one deposited file, for the summary table and the caller."""

    batch_id: str
    depositor: str
    file_name: str
    format: str | None
    flow_status: str | None
    reason_code: str | None
    invoices: int
    accepted: int
    rejected: int
    reports: Path | None
    final_path: Path | None
    # (recipient, service, frame) of each routed invoice, as counts per route: iterates like the list of them
    routes: routed.RouteCounts = dataclasses.field(default_factory=routed.RouteCounts)


# -- validation (pure: no ledger, no files) -------------------------------------------------------------------
def check_documents(documents: Iterable[ParsedDocument], context: CheckContext, policy: Policy,
                    accepted_keys: Callable[[list], set] | None = None, strict: bool = False,
                    directory: Callable[[list[str]], dict[str, Structure]] | None = None) -> Iterator[Verdict]:
    """Check documents a chunk at a time.

    The ledger's bulk look-ups run once per chunk: `accepted_keys` feeds the duplicate rule, `directory` the
    routing rules (the structures of the chunk's recipients, when `context.routing` is set).
    """
    for chunk in batched(documents, CHUNK_SIZE):
        invoices = [d.invoice for d in chunk if d.invoice is not None]
        if accepted_keys is not None:
            keys = [duplicate_key(invoice) for invoice in invoices]
            context.accepted_in_ledger = accepted_keys([k for k in keys if k is not None])
        if directory is not None and context.routing is not None:
            recipients = {recipient_id(invoice) for invoice in invoices} - {None}
            context.routing.structures = directory(sorted(recipients))
        for document in chunk:
            yield check_document(document, context, policy, strict)


def flow_format(formats: set[str], data: bytes) -> str | None:
    """The format of a flow: its container for lots (zip), else the format of its invoices (`formats`)."""
    if data[:2] == b"PK":
        return DocumentFormat.ZIP.value
    return next(iter(formats)) if len(formats) == 1 else None


def weighed_batches(units: Iterable[RawDocument], size: int) -> Iterator[list[RawDocument]]:
    """Lists of units holding about `size` invoices each (a CSV part holds several, a lot member one)."""
    chunk, invoices = [], 0
    for unit in units:
        chunk.append(unit)
        invoices += unit.invoice_count
        if invoices >= size:
            yield chunk
            chunk, invoices = [], 0
    if chunk:
        yield chunk


def _first_invoices(units: Iterator[RawDocument], count: int) -> Iterator[RawDocument]:
    """The first units of `units`, up to the one that brings the invoices they hold to `count`."""
    invoices = 0
    while invoices < count:
        unit = next(units, None)
        if unit is None:
            return
        invoices += unit.invoice_count
        yield unit


def batched(items: Iterable, size: int) -> Iterator[list]:
    """Lists of `size` items (the last one shorter); itertools.batched once Python 3.12 is the floor."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# -- batches ----------------------------------------------------------------------------------------------------
def new_batch_id() -> str:
    """A sortable flow identifier of 25 characters, like the platform's: EDG + UTC time + 8 random hex digits."""
    return f"EDG{now():%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"


class Gateway:
    """Processes the files of every source (inbox folders, SFTP accounts), recording everything in the ledger.

    One batch at a time per Gateway: the watcher and the scheduled sweeps of `serve` share one, and take turns.
    `stopping` (set on SIGTERM) ends a sweep after the batch in hand; `on_result` hears of every finished batch.
    """

    def __init__(self, settings: Settings, ledger: Ledger):
        self.settings = settings
        self.ledger = ledger
        self.stopping = threading.Event()
        self.on_result: Callable[[BatchResult], None] | None = None
        self._turn = threading.RLock()
        self._warned_folders: set[Path] = set()
        self.source_errors: list[str] = []  # sources the last sweep could not collect, and why
        self.batch_errors: list[str] = []  # files the last sweep left pending after a fault (disk full...), and why
        self._engine = None

    def turn(self) -> threading.RLock:
        """The gateway's turn: hold it from claiming a file to completing its batch (one batch at a time)."""
        return self._turn

    # -- sources --------------------------------------------------------------------------------------------
    def folder_sources(self) -> list[FolderSource]:
        """Every local folder to take files from: the inbox root (the default depositor's own files), each active
        registered depositor's inbox, then the configured folder sources (which win over a registered folder with
        the same path, for their settle time and markers)."""
        settings = self.settings
        found = {settings.inbox.resolve(): FolderSource(INBOX_SOURCE, settings.depositor, settings.inbox,
                                                        settings.settle_seconds, settings.markers)}
        inboxes = self._retrying(lambda: depositor_inboxes(self.ledger, settings.inbox), "listing the inboxes")
        for inbox in inboxes:
            found.setdefault(inbox.folder.resolve(), FolderSource(INBOX_SOURCE, inbox.depositor, inbox.folder,
                                                                  settings.settle_seconds, settings.markers))
        for source in settings.folders:
            found[source.path.resolve()] = source
        self._warn_about_unknown_folders(set(found))
        return list(found.values())

    def pending_count(self) -> int:
        """How many local files are waiting, and how many batches are unfinished (a progress bar's total)."""
        waiting = sum(len(folder.pending_files(s.path, s.settle_seconds, s.markers)) for s in self.folder_sources())
        return waiting + len(self._retrying(self.ledger.unfinished_batches, "counting unfinished batches"))

    def _warn_about_unknown_folders(self, known: set[Path]) -> None:
        """Folders in the inbox root that are no active depositor's inbox: their files wait, and the log says why."""
        if not self.settings.inbox.is_dir():
            return
        for entry in sorted(self.settings.inbox.iterdir()):
            if entry.is_dir() and not entry.name.startswith(".") and entry.resolve() not in known \
                    and entry not in self._warned_folders:
                self._warned_folders.add(entry)  # once per folder: the watcher asks again at every rescan
                log.warning("inbox folder %s belongs to no active depositor: its files are left waiting "
                            "(register it with `edi-gateway depositor add %s`)", entry, entry.name)

    # -- sweeps ---------------------------------------------------------------------------------------------
    def run_once(self, sources: Iterable[str] | None = None) -> list[BatchResult]:
        """Resume unfinished batches, then process every file waiting in the sources named (default: all of
        them; "inbox" stands for the inbox root and the registered depositors' folders)."""
        wanted = None if sources is None or ALL_SOURCES in sources else set(sources)
        results = self.recover()
        for source in self.folder_sources():
            if wanted is None or source.name in wanted:
                results += self.sweep_folder(source)
        self.source_errors = []
        for account in self.settings.sftp:
            if (wanted is None or account.name in wanted) and not self.stopping.is_set():
                try:
                    results += self.sweep_sftp(account)
                except GatewayError as exc:  # one unreachable account does not stop the others
                    log.error("SFTP account %s: %s", account.name, exc)
                    self.source_errors.append(f"{account.name}: {exc}")
                    results += getattr(exc, "results", [])
        return results

    def recover(self) -> list[BatchResult]:
        """Finish what a crash left half done: unfinished batches whose process is gone, and files claimed into
        work/ whose batch row was never written; remove the lot members it left spooled in the temporary
        folder."""
        results = []
        self.batch_errors = []
        for path in spooled_members():
            if not folder.held_by_another(path):  # its reader is gone
                path.unlink(missing_ok=True)
                log.warning("removed %s, a lot member spooled by a process that is gone", display_name(str(path)))
        with self._turn:  # no batch of this process is in hand meanwhile: its unfinished ones were abandoned
            for batch in self._retrying(self.ledger.unfinished_batches, "listing unfinished batches"):
                if self.stopping.is_set():
                    break
                if (batch.owner == PROCESS or owner_is_gone(batch.owner)) and self._retrying(
                        lambda: self.ledger.take_over(batch.id, batch.owner, PROCESS), f"taking over {batch.id}"):
                    results.append(self._left_pending_on_fault(lambda: self._resume(batch), batch.file_name))
            results += self._adopt_orphans()
        return [r for r in results if r is not None]

    # -- faults -----------------------------------------------------------------------------------------------
    def _retrying(self, operation: Callable[[], T], what: str) -> T:
        """`operation()`, tried again with a doubling backoff while the ledger's database cannot be reached, for
        `[gateway] database_retry_seconds` at most; then DatabaseUnavailable (a LedgerError) stops the sweep. A
        stop request (SIGTERM) ends the wait."""
        return retry_while_unavailable(operation, self.ledger.url, self.settings.database_retry_seconds, what,
                                       wait=self.stopping.wait)

    def _left_pending_on_fault(self, process: Callable[[], BatchResult | None], name: str) -> BatchResult | None:
        """`process()` one file or batch; a fault of the disk or the file system (no space left, an I/O error,
        a folder not writable) leaves it pending where it is: logged, noted in `batch_errors`, and finished by
        the next sweep or start (`recover`) once the fault is gone. The sweep goes on with the next file."""
        try:
            return process()
        except OSError as exc:
            message = (f"{name!r} left pending after a fault: {exc.strerror or exc}"
                       f"{f' ({exc.filename})' if exc.filename else ''}; it is finished by the next run")
            log.error("%s", message, exc_info=not exc.strerror)
            self.batch_errors.append(message)
            return None

    def sweep_folder(self, source: FolderSource) -> list[BatchResult]:
        """Process every complete file waiting in one folder, oldest first."""
        results = []
        for path in folder.pending_files(source.path, source.settle_seconds, source.markers):
            if self.stopping.is_set():
                break
            result = self._left_pending_on_fault(lambda: self.process_file(path, source.depositor, source),
                                                 display_name(path.name))
            if result is not None:
                results.append(result)
        return results

    def sweep_sftp(self, account: SftpAccount) -> list[BatchResult]:
        """Collect one SFTP account: download what is complete, process it, push the status returns back."""
        from .intake.sftp import SftpCollector

        try:
            return SftpCollector(account, self).sweep()
        except DBAPIError as exc:  # a ledger access of the collector itself (batches are retried in `complete`)
            if not database_unavailable(exc):
                raise
            raise DatabaseUnavailable(unavailable_message(exc, self.ledger.url)) from None

    # -- one file -------------------------------------------------------------------------------------------
    def process_file(self, path: Path, depositor: str | None = None, source: FolderSource | None = None
                     ) -> BatchResult | None:
        """Claim and process one file deposited by `depositor` (default: the configured one). None when another
        process claimed it first."""
        batch_id = new_batch_id()
        depositor = depositor or (source.depositor if source else self.settings.depositor)
        with self._turn:
            with folder.claimed(path, self.settings.work_dir / depositor, batch_id) as work_path:
                if work_path is None:
                    return None
                if source is not None and source.markers:
                    folder.remove_markers(path, source.markers)
                batch = self.record_claim(batch_id, display_name(path.name), work_path, depositor,
                                          f"folder:{display_name(str(path.parent))}")
            return self.complete(batch, work_path)

    def record_claim(self, batch_id: str, file_name: str, work_path: Path, depositor: str, source: str,
                     remote_path: str | None = None) -> BatchRow:
        """Record a file already in work/ as a new batch of `depositor` (CLAIMED; or, when the depositor sent these
        very bytes before, a duplicate flow, decided at once). `file_name` is recorded as its display name (a name
        that is not UTF-8 with its odd bytes as `\\xNN`); the file itself keeps its name. While the database
        cannot be reached, tried again (`_retrying`); the file stays in work/ meanwhile."""
        size, sha256, file_name = work_path.stat().st_size, _sha256_of_file(work_path), display_name(file_name)

        def claim() -> BatchRow:
            recorded = self.ledger.get_batch(batch_id)  # an earlier attempt committed before the connection broke
            return recorded if recorded is not None else self.ledger.claim_batch(BatchRow(
                id=batch_id, depositor=depositor, source=source, file_name=file_name, sha256=sha256, size=size,
                received_at=now(), work_path=display_name(str(work_path)), owner=PROCESS,
                remote_path=remote_path))

        return self._retrying(claim, f"recording {file_name!r}")

    def complete(self, batch: BatchRow, work_path: Path) -> BatchResult:
        """Decide a claimed batch (unless it is already decided), then deliver, report and file it away. While
        the database cannot be reached, the whole is tried again from the state the ledger holds (each step is
        idempotent, as after a crash): the file is filed away only after its decision is committed."""
        with self._turn, spaced_collections():
            result = self._retrying(lambda: self._complete_from_ledger(batch.id, work_path), f"batch {batch.id}")
        if self.on_result is not None:
            self.on_result(result)
        return result

    def _complete_from_ledger(self, batch_id: str, work_path: Path) -> BatchResult:
        batch = self.ledger.get_batch(batch_id)
        if batch.state == CLAIMED:
            if batch.size > self.settings.limits.max_file_bytes:
                limit = self.settings.limits.max_file_bytes
                self.ledger.mark_irrecevable(
                    batch.id, "IRR_TAILLE", f"File of {batch.size} bytes exceeds the limit of {limit} bytes",
                    f"Fichier de {batch.size} octets, au-delà de la limite de {limit} octets")
            else:
                self._decide(batch, work_path)
        return self._finish(batch.id, work_path)

    def _decide(self, batch: BatchRow, flow: Flow) -> None:
        staging = routed.Staging(self.settings.work_dir, batch.id)
        for attempt in (1, 2):
            staging.start()
            formats: set[str] = set()
            # Verdicts stream from the engine to the ledger: staged, recorded and let go of one by one.
            verdicts = (self._staged(verdict, position, staging, formats)
                        for position, verdict in enumerate(self._verdicts(batch, flow), start=1))
            try:
                # The staged bytes are made durable (one fsync) before the decisions commit.
                recorded = self.ledger.record_decisions(batch.id, verdicts,
                                                        lambda: flow_format(formats, flow_head(flow)),
                                                        before_commit=staging.finish)
            except UnreadableFlow as exc:
                staging.remove()
                self.ledger.mark_irrecevable(batch.id, exc.code, exc.message_en, exc.message_fr)
                return
            except DuplicateRace:
                staging.remove()
                if attempt == 2:
                    raise
                log.warning("batch %s: another writer accepted one of its numbers meanwhile; deciding again",
                            batch.id)
                continue
            if recorded is None:
                staging.remove()
                self.ledger.mark_irrecevable(batch.id, "IRR_VIDE", "The file holds no invoice",
                                             "Le fichier ne contient aucune facture")
            return

    def _verdicts(self, batch: BatchRow, flow: Flow) -> Iterator[Verdict]:
        """The verdict on every document of a flow, in order. Chunks are parsed and checked by the engine (in
        worker processes for a lot large enough to be worth it), the duplicate rules settled here, in order,
        against the ledger and the invoices before. Raises UnreadableFlow when the file cannot be read at all."""
        settings = self.settings
        routing = self._routing_context(batch.depositor)
        if batch.size >= EARLY_START_BYTES:
            self.engine.start()  # its workers load what checking needs while the flow's head is read
        units = split_flow(flow, Origin(batch_id=batch.id, file_name=batch.file_name), settings.limits)
        head = list(_first_invoices(units, PARALLEL_FROM))
        engine = self.engine if sum(unit.invoice_count for unit in head) >= PARALLEL_FROM else IN_PROCESS
        tasks = (ChunkTask(chunk, settings.policy, settings.strict, routing, self.ledger.url)
                 for chunk in weighed_batches(chain(head, units), TASK_SIZE))
        context, unwritten, position = CheckContext(routing=routing), UnwrittenKeys(), 0
        for checked in engine.map(check_chunk, tasks):
            if isinstance(checked, FlowFailure):
                raise checked.error()
            keys = [duplicate_key(verdict.invoice) for verdict in checked if verdict.invoice is not None]
            keys = [key for key in keys if key is not None]
            known = self.ledger.accepted_before(batch.id, keys)
            unwritten.forget_through(known.written_through)
            context.accepted_in_ledger = known.elsewhere
            context.accepted_in_lot = known.in_batch | unwritten.origins(keys)
            for verdict in checked:
                position += 1
                settled = settle_duplicates(verdict, context, settings.policy)
                unwritten.note(position, settled)
                yield settled

    @property
    def engine(self):
        """The engine that checks large lots, started at the first one (`close` stops it)."""
        if self._engine is None:
            self._engine = make_engine(self.settings.engine, self.settings.workers, self.settings.scheduler)
        return self._engine

    def close(self) -> None:
        """Stop the engine's workers, if any were started."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def _routing_context(self, depositor: str) -> RoutingContext:
        return RoutingContext(load_depositor(self.ledger, depositor), directory_size=structure_count(self.ledger))

    @staticmethod
    def _staged(verdict: Verdict, position: int, staging: routed.Staging, formats: set[str]) -> Verdict:
        """Stage an accepted invoice's bytes for delivery, and let the verdict drop them; note its format."""
        if verdict.raw is not None:
            staging.add(position, verdict.raw)
            verdict.raw = None
        if verdict.invoice is not None:
            formats.add(verdict.invoice.format.value)
        return verdict

    def _deliver(self, batch: Record, work_path: Path, engine) -> routed.RouteCounts:
        """Deliver the batch's accepted invoices to their recipients' folders, then write its routing manifest;
        returns where the batch's invoices went (those delivered before included).

        Idempotent: an invoice already delivered (routed_path set) is not written again; one whose staged copy
        is missing or damaged (work/ cleaned by hand, a disk fault) is delivered from the original file.
        The accepted invoices are read from the ledger a page at a time; their bytes are read from the staging
        file a chunk at a time and written by `engine` (the workers, for a large batch); once a page is
        written, the filesystem is synced and the page marked routed.
        """
        outbox, staging = self.settings.outbox, routed.Staging(self.settings.work_dir, batch.id)
        routes, read_again = routed.RouteCounts(), None

        def tasks(pending: list[Record]) -> Iterator[DeliveryTask]:
            nonlocal read_again
            for rows in batched(pending, DELIVERY_TASK_SIZE):  # the bytes of these few only, at a time
                contents = staging.read({row.position: row.sha256 for row in rows})
                missing = [position for position, data in contents.items() if data is None]
                if missing:
                    read_again = read_again or self._read_again(batch, work_path)
                    contents.update(read_again(missing))
                yield DeliveryTask(outbox, batch, rows, [contents[row.position] for row in rows])

        for page in self.ledger.iter_invoices(batch.id, accepted_only=True, details=False):
            pending = [row for row in page if row.recipient_id and row.routed_path is None]
            delivered: dict[int, str] = {}
            for paths in engine.map(deliver_chunk, tasks(pending)):
                delivered.update(paths)
            if delivered:
                sync_filesystem(outbox)
                self.ledger.mark_routed(batch.id, delivered)
            for row in page:
                if row.routed_path or row.position in delivered:
                    routes.add((row.recipient_id, row.service_code or routed.NO_SERVICE,
                                row.billing_frame or DEFAULT_FRAME))
        head, entries = _manifest(batch, (row for page in self.ledger.iter_invoices(batch.id) for row in page),
                                  routed_count=len(routes))
        routed.write_manifest(outbox, batch.id, head, entries)
        staging.remove()
        return routes

    def _read_again(self, batch: Record, work_path: Path) -> Callable[[Iterable[int]], dict[int, bytes]]:
        """A reader of the deposited bytes of some invoices of a batch, again from its original file.

        Called with the positions wanted from one page after another (ascending), it goes through the flow once,
        in order, keeping only the bytes of the positions asked for and stopping at the last of them."""
        origin = Origin(batch_id=batch.id, file_name=batch.file_name)
        documents: Iterator[tuple[int, ParsedDocument]] | None = None

        def read_again(positions: Iterable[int]) -> dict[int, bytes]:
            nonlocal documents
            wanted = set(positions)
            log.warning("batch %s: staged copies of %d accepted invoice(s) missing or damaged; reading them again "
                        "from %s", batch.id, len(wanted), work_path)
            if documents is None:
                documents = enumerate(read_flow(work_path, origin, self.settings.limits), start=1)
            found: dict[int, bytes] = {}
            if wanted:
                for position, document in documents:
                    if position in wanted:
                        found[position] = document.raw or document.content
                        if len(found) == len(wanted):
                            break
            return found

        return read_again

    def _finish(self, batch_id: str, work_path: Path) -> BatchResult:
        batch = record_of(self.ledger.get_batch(batch_id))
        engine = self._writer(batch)
        routes = routed.RouteCounts()
        if batch.reason_code:
            routed.Staging(self.settings.work_dir, batch.id).remove()
        else:
            routes = self._deliver(batch, work_path, engine)

        def invoices() -> Iterator[Record]:
            """The batch's invoices as the ledger has them now (with the statuses delivery added), a page at a
            time: each report reads them again, none holds them all."""
            for page in self.ledger.iter_invoices(batch_id):
                yield from page

        def write_pages(outbox: Path, batch: Record, pages: Iterator[list[Record]]) -> None:
            for _ in engine.map(write_returns_chunk, (ReturnsTask(outbox, batch, page) for page in pages)):
                pass

        reports = write_reports(report_dir(self.settings.outbox, batch.id), batch, invoices())
        write_html_report(reports, batch, invoices())
        write_returns(self.settings.outbox, batch, invoices(), write_pages)
        sync_filesystem(self.settings.outbox)  # the returns' files, before the batch is marked done
        name = _name_on_disk(batch, work_path)
        if batch.reason_code:  # the flow could not be taken at all: quarantine, with the reason beside it
            final = folder.quarantine_path(self.settings.quarantine_dir, batch_id, name)
            folder.file_away(work_path, final, reason=f"{batch.reason_code}: {batch.reason}\n{batch.reason_fr}")
        else:
            final = folder.archive_path(self.settings.archive_dir, batch.received_at, batch_id, name)
            folder.file_away(work_path, final)
        self.ledger.mark_done(batch_id)
        return BatchResult(batch.id, batch.depositor, batch.file_name, batch.format, batch.flow_status,
                           batch.reason_code, batch.invoice_count, batch.accepted_count, batch.rejected_count,
                           reports, final, routes)

    def _writer(self, batch: Record):
        """Where the files of a decided batch are written: by the engine's workers when the batch is large enough
        to be worth it and they share this machine's filesystem, else here."""
        if batch.invoice_count >= PARALLEL_FROM and self.engine.local_files:
            return self.engine
        return IN_PROCESS

    def _resume(self, batch: BatchRow) -> BatchResult | None:
        """Carry an interrupted batch on from the state it reached."""
        work_path = self._work_path_of(batch)
        log.warning("resuming batch %s (%s) from state %s", batch.id, batch.file_name, batch.state)
        if batch.state == CLAIMED and (work_path is None or not work_path.exists()):
            self._retrying(lambda: self.ledger.mark_irrecevable(
                batch.id, "IRR_VIDE", "The claimed file disappeared before processing",
                "Le fichier pris en charge a disparu avant son traitement"), f"batch {batch.id}")
        return self.complete(batch, work_path or Path(self.settings.work_dir, batch.id))

    @staticmethod
    def _work_path_of(batch: BatchRow) -> Path | None:
        """Where the batch's file lies in work/: the path recorded, or, when that is a display name (the file's
        name is not UTF-8), the file of its folder named after the batch id."""
        if not batch.work_path:
            return None
        recorded = Path(batch.work_path)
        if recorded.exists() or not recorded.parent.is_dir():
            return recorded
        prefix = folder.work_name(batch.id, "")
        found = [name for name in os.listdir(recorded.parent) if name.startswith(prefix)]
        return recorded.parent / found[0] if len(found) == 1 else recorded

    def _adopt_orphans(self) -> list[BatchResult]:
        """Files claimed into work/<depositor>/ whose batch row was never written (a crash in between): process
        them now, for the depositor whose work folder holds them."""
        results = []
        work_dir = self.settings.work_dir
        if not work_dir.is_dir():
            return results
        for depositor_dir in sorted(work_dir.iterdir()):
            if not depositor_dir.is_dir() or depositor_dir.name.startswith("."):
                continue
            for path in sorted(depositor_dir.iterdir()):
                parts = folder.split_work_name(path.name)
                if parts is None or not path.is_file():
                    continue
                if folder.held_by_another(path) or self._retrying(lambda: self.ledger.get_batch(parts[0]),
                                                                  f"looking {parts[0]} up") is not None:
                    continue  # a live process is recording it right now
                log.warning("adopting %s, claimed before a crash but never recorded", display_name(str(path)))
                results.append(self._left_pending_on_fault(lambda: self._adopt(parts[0], parts[1], path),
                                                           display_name(parts[1])))
        return [result for result in results if result is not None]

    def _adopt(self, batch_id: str, name: str, path: Path) -> BatchResult:
        depositor_dir = path.parent
        batch = self.record_claim(batch_id, name, path, depositor_dir.name,
                                  f"folder:{display_name(str(depositor_dir))} (adopted after a restart)")
        return self.complete(batch, path)


def _manifest(batch: Record, invoices: Iterable[Record], routed_count: int) -> tuple[dict, Iterator[dict]]:
    """The routing manifest of a batch: every invoice, where it went or why it did not; `routed_count` of them went
    somewhere. As its members before the list of invoices, and that list's entries, made as `invoices` is read."""
    def entry(row: Record) -> dict:
        entry = {"position": row.position, "origin": row.origin, "invoice": row.number, "decision": row.decision,
                 "recipient": row.recipient_id, "service": row.service_code, "frame": row.billing_frame,
                 "engagement": row.engagement_number}
        if row.routed_path:
            entry["routed_to"] = row.routed_path
        else:
            entry["not_routed_because"] = ([f.rule for f in row.findings if f.severity == "fatal"]
                                           or ["no recipient"])
        return entry

    head = {"batch": batch.id, "depositor": batch.depositor, "file": batch.file_name, "sha256": batch.sha256,
            "received_at": batch.received_at, "flow_status": batch.flow_status, "routed": routed_count}
    return head, (entry(row) for row in invoices)


def display_name(name: str) -> str:
    """A file name as the ledger, reports and returns show it: unchanged when it is UTF-8; otherwise (a Windows
    client's Latin-1 name reaches Python with its odd bytes as surrogates, which no database driver can encode)
    its bytes decoded as UTF-8, each byte that is not written `\\xNN`. The file itself keeps its name."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _name_on_disk(batch: Record, work_path: Path) -> str:
    """The file's own name (its bytes as deposited) to archive or quarantine it under: read from its name in
    work/ (`<batch id>__<name>`), the recorded display name when that does not follow the scheme."""
    parts = folder.split_work_name(work_path.name)
    return parts[1] if parts is not None and parts[0] == batch.id else batch.file_name


def _sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
