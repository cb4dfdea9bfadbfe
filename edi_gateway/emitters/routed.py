"""Routed invoices: each accepted invoice, unchanged, in its recipient's folder, with a JSON envelope beside it.

Layout under the outbox:

    routed/<recipient SIRET>/<service code, or _ for the structure itself>/<billing frame>/
        <batch>-<position>-<invoice number>.<xml|pdf|csv>     the invoice exactly as deposited
        <batch>-<position>-<invoice number>.json              its envelope: routing decision, batch, sha256
    manifests/<batch>.json                                    the routing manifest of the batch

The invoice bytes are staged in `work/.staging/<batch>/` while the batch is decided (the flow is read only once),
then delivered after the decision is committed: every write is atomic (temporary file, fsync, rename), and names
are fixed by batch and position, so delivering again after a crash rewrites the same files and never adds one.
Folder names come from the directory (recipient, service) and the frame table; they are still reduced to safe
characters, since a rule switched off by the policy could let an invoice's own text through.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from ..model import DocumentFormat
from .outbox import atomic_writer

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
            else NO_SERVICE) / safe_name(frame, "A1"))


def routed_name(batch_id: str, position: int, number: str | None, document_format: str) -> str:
    """The invoice's file name: batch and position make it unique, the number makes it readable."""
    extension = _EXTENSIONS.get(document_format, ".xml")
    return f"{batch_id}-{position:05d}-{safe_name(number, 'invoice')}{extension}"


def staging_dir(work_dir: Path, batch_id: str) -> Path:
    return work_dir / ".staging" / batch_id


def stage(staging: Path, position: int, data: bytes) -> None:
    """Keep an accepted invoice's bytes until the decision is committed (fsynced: it must survive a crash)."""
    with atomic_writer(staging / f"{position:06d}", "wb") as stream:
        stream.write(data)


def staged(staging: Path, position: int) -> Path:
    return staging / f"{position:06d}"


def deliver(source: Path, target: Path, envelope: dict) -> None:
    """Write the invoice and its envelope into the recipient's folder, atomically; the envelope comes second, so
    a reader that waits for the envelope always finds the whole invoice."""
    if os.path.exists(source):
        with source.open("rb") as stream, atomic_writer(target, "wb") as out:
            shutil.copyfileobj(stream, out)
    write_json(target.with_suffix(".json"), envelope)


def write_json(target: Path, document: dict) -> None:
    with atomic_writer(target) as stream:
        json.dump(document, stream, ensure_ascii=False, indent=2, default=str)
        stream.write("\n")


def manifest_path(outbox: Path, batch_id: str) -> Path:
    return outbox / MANIFESTS / f"{batch_id}.json"


def remove_staging(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
