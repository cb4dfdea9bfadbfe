"""The pipeline: intake → parse → validate → decide → record → emit → file away, over one ledger.

Exactly once (see docs/operations.md): the ledger decides, files follow.
1. claim: atomic rename of the deposited file into work/, then a batch row in state CLAIMED (unique on the
   depositor and the file's sha256; a second copy of the same bytes is recorded as a duplicate flow);
2. decide: parse, validate, and commit every invoice with its findings in one transaction (state DECIDED;
   the unique index on accepted supplier + number + year backs the duplicate rule);
3. emit and file away: reports written atomically under fixed names, the original moved to archive/ (or to
   quarantine/ when the flow could not be read), then state DONE.
At start, batches not DONE are resumed from their state, and files left in work/ without a batch row are taken
again: a crash at any point repeats at most an idempotent step.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path

from .config import Settings
from .emitters.reports import write_reports
from .errors import UnreadableFlow
from .intake import folder
from .ledger.models import BatchRow
from .ledger.store import CLAIMED, DuplicateRace, Ledger, now
from .model import Decision, DocumentFormat, Origin, Verdict
from .parsers import ParsedDocument, read_flow
from .policy import Policy
from .validators import CheckContext, check_schema, run_rules
from .validators.engine import reason_code
from .validators.official import official_validator
from .validators.rules.duplicates import duplicate_key

log = logging.getLogger(__name__)
CHUNK_SIZE = 500  # invoices checked between two bulk look-ups in the ledger


@dataclasses.dataclass(slots=True)
class BatchResult:
    """What happened to one deposited file, for the summary table and the caller."""

    batch_id: str
    file_name: str
    format: str | None
    flow_status: str | None
    reason_code: str | None
    invoices: int
    accepted: int
    rejected: int
    reports: Path | None
    final_path: Path | None


# -- validation (pure: no ledger, no files) -------------------------------------------------------------------
def check_document(document: ParsedDocument, context: CheckContext, policy: Policy, strict: bool = False
                   ) -> Verdict:
    """Every finding on one parsed document and the decision they lead to.

    With `strict`, the official artifacts (EN 16931 and the French CTC rules) run too, through Saxon, and their
    findings join the native ones, marked with their source.
    """
    findings = list(document.findings)
    invoice = document.invoice
    if document.tree is not None:
        findings += check_schema(document.tree, document.format, invoice.profile if invoice else None)
    if invoice is not None:
        findings += run_rules(invoice, context)
    if strict and document.tree is not None:
        findings += official_validator().check(document.format, document.content, french=True)
    findings = policy.grade(findings)
    decision = policy.decide(findings)
    if decision is Decision.ACCEPTED and invoice is not None:
        key = duplicate_key(invoice)
        if key is not None:
            context.accepted_in_lot.setdefault(key, document.origin.label())
    return Verdict(document.origin, decision, findings, invoice, document.sha256, reason_code(findings))


def check_documents(documents: Iterable[ParsedDocument], context: CheckContext, policy: Policy,
                    accepted_keys: Callable[[list], set] | None = None, strict: bool = False) -> Iterator[Verdict]:
    """Check documents a chunk at a time; `accepted_keys` (the ledger's bulk lookup) feeds the duplicate rule."""
    for chunk in batched(documents, CHUNK_SIZE):
        if accepted_keys is not None:
            keys = [duplicate_key(d.invoice) for d in chunk if d.invoice is not None]
            context.accepted_in_ledger = accepted_keys([k for k in keys if k is not None])
        for document in chunk:
            yield check_document(document, context, policy, strict)


def flow_format(verdicts: list[Verdict], data: bytes) -> str | None:
    """The format of a flow: its container for lots (zip), else the format of its invoices."""
    if data[:2] == b"PK":
        return DocumentFormat.ZIP.value
    formats = {v.invoice.format.value for v in verdicts if v.invoice is not None}
    return formats.pop() if len(formats) == 1 else None


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
    """Processes the files of one inbox for one depositor, recording everything in the ledger."""

    def __init__(self, settings: Settings, ledger: Ledger):
        self.settings = settings
        self.ledger = ledger

    def run_once(self) -> list[BatchResult]:
        """Resume unfinished batches, then process every file waiting in the inbox."""
        results = [self._resume(batch) for batch in self.ledger.unfinished_batches()]
        results += self._adopt_orphans()
        for path in folder.pending_files(self.settings.inbox, self.settings.settle_seconds):
            result = self.process_file(path)
            if result is not None:
                results.append(result)
        return [r for r in results if r is not None]

    def process_file(self, path: Path) -> BatchResult | None:
        """Claim and process one deposited file. None when another process claimed it first."""
        batch_id = new_batch_id()
        work_path = folder.claim(path, self.settings.work_dir, batch_id)
        if work_path is None:
            return None
        return self._process_claimed(batch_id, path.name, work_path)

    def _process_claimed(self, batch_id: str, file_name: str, work_path: Path) -> BatchResult:
        size = work_path.stat().st_size
        too_large = size > self.settings.limits.max_file_bytes
        data = b"" if too_large else work_path.read_bytes()
        sha256 = _sha256_of_file(work_path) if too_large else hashlib.sha256(data).hexdigest()
        batch = self.ledger.claim_batch(BatchRow(
            id=batch_id, depositor=self.settings.depositor, source=f"folder:{self.settings.inbox}",
            file_name=file_name, sha256=sha256, size=size, received_at=now(), work_path=str(work_path),
        ))
        if batch.state == CLAIMED:
            if too_large:
                limit = self.settings.limits.max_file_bytes
                self.ledger.mark_irrecevable(batch_id, "IRR_TAILLE", f"File of {size} bytes exceeds the limit of "
                                             f"{limit} bytes", f"Fichier de {size} octets, au-delà de la limite "
                                             f"de {limit} octets")
            else:
                self._decide(batch, data)
        return self._finish(batch_id, work_path)

    def _decide(self, batch: BatchRow, data: bytes) -> None:
        origin = Origin(batch_id=batch.id, file_name=batch.file_name)
        for attempt in (1, 2):
            context = CheckContext()
            try:
                verdicts = list(check_documents(read_flow(data, origin, self.settings.limits), context,
                                                self.settings.policy, self.ledger.accepted_keys,
                                                self.settings.strict))
            except UnreadableFlow as exc:
                self.ledger.mark_irrecevable(batch.id, exc.code, exc.message_en, exc.message_fr)
                return
            if not verdicts:
                self.ledger.mark_irrecevable(batch.id, "IRR_VIDE", "The file holds no invoice",
                                             "Le fichier ne contient aucune facture")
                return
            try:
                self.ledger.record_decisions(batch.id, verdicts, flow_format(verdicts, data))
                return
            except DuplicateRace:
                if attempt == 2:
                    raise
                log.warning("batch %s: another writer accepted one of its numbers meanwhile; deciding again",
                            batch.id)

    def _finish(self, batch_id: str, work_path: Path) -> BatchResult:
        batch = self.ledger.get_batch(batch_id)
        invoices = self.ledger.invoices_of(batch_id)
        reports = write_reports(self.settings.outbox, batch, invoices)
        if batch.reason_code:  # the flow could not be taken at all: quarantine, with the reason beside it
            final = folder.quarantine_path(self.settings.quarantine_dir, batch_id, batch.file_name)
            folder.file_away(work_path, final, reason=f"{batch.reason_code}: {batch.reason}\n{batch.reason_fr}")
        else:
            final = folder.archive_path(self.settings.archive_dir, batch.received_at, batch_id, batch.file_name)
            folder.file_away(work_path, final)
        self.ledger.mark_done(batch_id)
        return BatchResult(batch.id, batch.file_name, batch.format, batch.flow_status, batch.reason_code,
                           batch.invoice_count, batch.accepted_count, batch.rejected_count, reports, final)

    def _resume(self, batch: BatchRow) -> BatchResult | None:
        """Carry an interrupted batch on from the state it reached."""
        work_path = Path(batch.work_path) if batch.work_path else None
        log.info("resuming batch %s (%s) from state %s", batch.id, batch.file_name, batch.state)
        if batch.state == CLAIMED:
            if work_path is None or not work_path.exists():
                self.ledger.mark_irrecevable(batch.id, "IRR_VIDE", "The claimed file disappeared before processing",
                                             "Le fichier pris en charge a disparu avant son traitement")
            else:
                self._decide(batch, work_path.read_bytes())
        return self._finish(batch.id, work_path or Path(self.settings.work_dir, batch.id))

    def _adopt_orphans(self) -> list[BatchResult]:
        """Files claimed into work/ whose batch row was never written (a crash in between): process them now."""
        results = []
        work_dir = self.settings.work_dir
        if not work_dir.is_dir():
            return results
        for path in sorted(work_dir.iterdir()):
            parts = folder.split_work_name(path.name)
            if parts is None or not path.is_file() or self.ledger.get_batch(parts[0]) is not None:
                continue
            results.append(self._process_claimed(parts[0], parts[1], path))
        return results


def _sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
