"""Routed invoices: each accepted invoice, unchanged, in its recipient's folder, with a JSON envelope beside it.

Layout under the outbox:

    routed/<recipient SIRET>/<service code, or _ for the structure itself>/<billing frame>/
        <batch>-<position>-<invoice number>.<xml|pdf|csv>     the invoice exactly as deposited
        <batch>-<position>-<invoice number>.json              its envelope: routing decision, batch, sha256
    manifests/<batch>.json                                    the routing manifest of the batch

The invoice bytes are staged in one file per batch, `work/.staging/<batch>.bin`, while the batch is decided (the
flow is read only once), then delivered after the decision is committed: every write is atomic (temporary file,
rename; the filesystem is synced once per page of invoices, before the ledger marks them routed), and names are
fixed by batch and position, so delivering again after a crash rewrites the same files and never adds one. A
staged copy is checked against the sha256 the ledger recorded before it is delivered; a missing or damaged one is
read again from the original file.
Folder names come from the directory (recipient, service) and the frame table; they are still reduced to safe
characters, since a rule switched off by the policy could let an invoice's own text through.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import repeat
from pathlib import Path

from ..model import DocumentFormat
from ..routing.frames import DEFAULT_FRAME
from .outbox import atomic_writer, json_bytes, write_bytes, write_json_list

ROUTED, MANIFESTS = "routed", "manifests"
NO_SERVICE = "_"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EXTENSIONS = {DocumentFormat.FACTURX_PDF.value: ".pdf", DocumentFormat.CSV.value: ".csv"}


def safe_name(value: str | None, fallback: str) -> str:
    """A file or folder name made of letters, digits, '.', '-' and '_' only, never '.' or '..'."""
    name = _UNSAFE.sub("_", (value or "").strip())[:100].strip("._") or fallback
    return name


def routed_folder(outbox: Path, recipient: str, service: str | None, frame: str) -> Path:
    return (outbox / ROUTED / safe_name(recipient, "_unknown") / (safe_name(service, NO_SERVICE) if service
            else NO_SERVICE) / safe_name(frame, DEFAULT_FRAME))


def routed_name(batch_id: str, position: int, number: str | None, document_format: str) -> str:
    """The invoice's file name: batch and position make it unique, the number makes it readable."""
    extension = _EXTENSIONS.get(document_format, ".xml")
    return f"{batch_id}-{position:05d}-{safe_name(number, 'invoice')}{extension}"


class Staging:
    """The accepted invoices of one batch, appended to one file while it is decided, read back to deliver them.

    `<batch>.bin` holds the bytes one after the other, `<batch>.index` where each invoice's bytes are: a header,
    then (position, offset, length) as 64-bit integers, positions increasing; both are written (and fsynced)
    before the decision is committed. The index is kept as one array of integers, 24 bytes per invoice: a dict of
    tuples took 20 MB for 100,000 invoices, and twice that while it was written or read back as JSON.
    """

    def __init__(self, work_dir: Path, batch_id: str):
        folder = work_dir / ".staging"
        self.data_path, self.index_path = folder / f"{batch_id}.bin", folder / f"{batch_id}.index"
        # The JSON index written before 2026-11-23: never read (its invoices are read again from the deposited
        # file, as for a damaged index), removed with the rest.
        self._legacy_index_path = folder / f"{batch_id}.index.json"
        self._index = array("q")  # position, offset, length, position, ... in the order staged
        self._stream = None
        self._spans: tuple[array, array] | None = None  # the positions, and the index, as read back

    def start(self) -> None:
        """Begin (again): whatever an earlier attempt staged is dropped."""
        self.remove()
        self.data_path.parent.mkdir(parents=True, exist_ok=True)
        self._stream, self._index = self.data_path.open("wb"), array("q")

    def add(self, position: int, data: bytes) -> None:
        """Stage an invoice's bytes; positions come in increasing order (the lot's order)."""
        if self._index and position <= self._index[-3]:
            raise ValueError(f"position {position} staged after position {self._index[-3]}")
        self._index.extend((position, self._stream.tell(), len(data)))
        self._stream.write(data)

    def finish(self) -> None:
        """Make the staged bytes durable (one fsync for the batch) and write their index."""
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._stream.close()
        with atomic_writer(self.index_path, "wb") as stream:
            stream.write(_INDEX_HEADER)
            self._index.tofile(stream)
        self._index = array("q")

    def read(self, wanted: dict[int, str | None]) -> dict[int, bytes | None]:
        """The staged bytes of the invoices at these positions (position -> the sha256 the ledger recorded);
        None for one that is missing or does not match its sha256."""
        if self._spans is None:
            self._spans = self._load_index()
        positions, index = self._spans
        found: dict[int, bytes | None] = dict.fromkeys(wanted)
        try:
            with self.data_path.open("rb") as stream:
                for position, sha256 in wanted.items():
                    at = bisect_left(positions, position)
                    if at < len(positions) and positions[at] == position:
                        stream.seek(index[3 * at + 1])
                        data = stream.read(index[3 * at + 2])
                        found[position] = data if hashlib.sha256(data).hexdigest() == sha256 else None
        except OSError:
            pass
        return found

    def _load_index(self) -> tuple[array, array]:
        """The index as written by `finish`; empty when it is missing, damaged or from another machine (every
        invoice is then read again from the deposited file)."""
        index = array("q")
        try:
            with self.index_path.open("rb") as stream:
                size = os.fstat(stream.fileno()).st_size - len(_INDEX_HEADER)
                if stream.read(len(_INDEX_HEADER)) == _INDEX_HEADER and size % (3 * index.itemsize) == 0:
                    index.fromfile(stream, size // index.itemsize)
        except (OSError, EOFError):
            index = array("q")
        return index[0::3], index

    def remove(self) -> None:
        if self._stream is not None and not self._stream.closed:
            self._stream.close()
        for path in (self.data_path, self.index_path, self._legacy_index_path):
            path.unlink(missing_ok=True)
        self._index, self._spans = array("q"), None


#: The staging index's first bytes: its format, and the byte order and size of its integers (native).
_INDEX_HEADER = f"edi-gateway staging index 1 {sys.byteorder} {array('q').itemsize}\n".encode("ascii")


def deliver(data: bytes, target: Path, envelope: dict, folders: set[str] | None = None) -> None:
    """Write the invoice and its envelope into the recipient's folder, atomically; the envelope comes second, so
    a reader that waits for the envelope always finds the whole invoice. Unsynced: the caller syncs the
    filesystem before the ledger marks the invoice routed (outbox.sync_filesystem). `folders`: as for
    `outbox.write_bytes`."""
    write_bytes(target, data, folders=folders)
    write_bytes(target.with_suffix(".json"), json_bytes(envelope), folders=folders)


def deliver_invoices(outbox: Path, batch, invoices: list, contents: list[bytes]) -> dict[int, str]:
    """Deliver accepted invoices (ledger records, with the bytes of each in `contents`) to their recipients'
    folders, unsynced; returns where each went, by position (its path in the outbox)."""
    delivered, folders = {}, set()
    for invoice, data in zip(invoices, contents, strict=True):
        folder = routed_folder(outbox, invoice.recipient_id, invoice.service_code,
                               invoice.billing_frame or DEFAULT_FRAME)
        target = folder / routed_name(batch.id, invoice.position, invoice.number, invoice.format)
        deliver(data, target, envelope(batch, invoice, target), folders)
        delivered[invoice.position] = target.relative_to(outbox).as_posix()
    return delivered


def envelope(batch, invoice, target: Path) -> dict:
    """What travels beside a routed invoice: what it is, where it came from, and the routing decision."""
    return {
        "invoice": invoice.number, "issue_date": invoice.issue_date, "type_code": invoice.type_code,
        "format": invoice.format, "supplier": invoice.supplier_id, "amount_due": invoice.amount_due,
        "currency": invoice.currency, "file": target.name, "sha256": invoice.sha256,
        "route": {"recipient": invoice.recipient_id, "service": invoice.service_code,
                  "frame": invoice.billing_frame or DEFAULT_FRAME, "engagement": invoice.engagement_number},
        "batch": {"id": batch.id, "depositor": batch.depositor, "file": batch.file_name, "sha256": batch.sha256,
                  "received_at": batch.received_at, "position": invoice.position, "origin": invoice.origin},
        "status": {"code": "203", "label": "Mise à disposition"},
    }


def manifest_path(outbox: Path, batch_id: str) -> Path:
    return outbox / MANIFESTS / f"{batch_id}.json"


def write_manifest(outbox: Path, batch_id: str, head: dict, entries: Iterable[dict]) -> Path:
    """The routing manifest of a batch, atomically: `{**head, "invoices": [every entry]}`, written an entry at a
    time as `entries` (a stream is fine) gives them."""
    path = manifest_path(outbox, batch_id)
    write_json_list(path, head, "invoices", entries)
    return path


Route = tuple[str, str, str]  # (recipient, service or NO_SERVICE, frame)


class RouteCounts:
    """Where a batch's invoices were routed: how many went to each (recipient, service, frame).

    It stands for the list of one route per routed invoice without holding it: iterating gives that list (each
    route as many times as invoices took it, routes in the order first seen), `len` its length, and it equals a
    list or tuple holding the same routes the same number of times, in any order."""

    __slots__ = ("_counts",)

    def __init__(self, routes: Iterable[Route] = ()):
        self._counts: dict[Route, int] = {}
        for route in routes:
            self.add(route)

    def add(self, route: Route, times: int = 1) -> None:
        self._counts[route] = self._counts.get(route, 0) + times

    def counts(self) -> Counter:
        """Invoices per route."""
        return Counter(self._counts)

    def __iter__(self) -> Iterator[Route]:
        for route, times in self._counts.items():
            yield from repeat(route, times)

    def __len__(self) -> int:
        return sum(self._counts.values())

    def __eq__(self, other) -> bool:
        if isinstance(other, RouteCounts):
            return self._counts == other._counts
        if isinstance(other, (list, tuple)):
            return self.counts() == Counter(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return f"RouteCounts({self._counts!r})"
