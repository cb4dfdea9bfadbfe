"""Local folders: pending files, atomic claim into work/, archive and quarantine (Camel file-component style).

- *read lock*: a file is taken only when it has not changed for `settle_seconds` (0 for an on-demand run);
  names starting with a dot or ending in .tmp/.part/.partial are still being written and are skipped;
- *claim*: an atomic rename into `work/<batch-id>__<name>`; whoever renames first owns the file;
- *move*: `archive/<yyyy>/<mm>/<dd>/<batch-id>__<name>`; *moveFailed*: `quarantine/<batch-id>__<name>` with a
  `.reason.txt` beside it;
- *idempotent repository*: the ledger (same sha256 from the same depositor = the same flow).
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".filepart")
_SEPARATOR = "__"


def pending_files(inbox: Path, settle_seconds: float = 0.0) -> list[Path]:
    """Files ready to be taken from `inbox`, oldest first."""
    if not inbox.is_dir():
        return []
    cutoff = time.time() - settle_seconds
    ready = []
    for entry in os.scandir(inbox):
        if entry.name.startswith(".") or entry.name.endswith(IN_PROGRESS_SUFFIXES):
            continue
        if not entry.is_file(follow_symlinks=False):
            continue
        stat = entry.stat(follow_symlinks=False)
        if settle_seconds and stat.st_mtime > cutoff:
            continue
        ready.append((stat.st_mtime, entry.name, Path(entry.path)))
    return [path for _mtime, _name, path in sorted(ready)]


def work_name(batch_id: str, file_name: str) -> str:
    return f"{batch_id}{_SEPARATOR}{file_name}"


def split_work_name(name: str) -> tuple[str, str] | None:
    """(batch id, original name) of a file in work/, or None if it does not follow the naming scheme."""
    batch_id, sep, original = name.partition(_SEPARATOR)
    return (batch_id, original) if sep and batch_id and original else None


def claim(path: Path, work_dir: Path, batch_id: str) -> Path | None:
    """Atomically move `path` into the work folder. None when another process claimed it first."""
    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / work_name(batch_id, path.name)
    try:
        os.rename(path, target)
    except FileNotFoundError:
        return None
    _fsync_dir(work_dir)
    return target


def archive_path(archive_dir: Path, received_at: datetime, batch_id: str, file_name: str) -> Path:
    return archive_dir / f"{received_at:%Y}" / f"{received_at:%m}" / f"{received_at:%d}" / work_name(batch_id, file_name)


def quarantine_path(quarantine_dir: Path, batch_id: str, file_name: str) -> Path:
    return quarantine_dir / work_name(batch_id, file_name)


def file_away(work_path: Path, target: Path, reason: str | None = None) -> None:
    """Move a processed file to its final place (archive or quarantine); idempotent after a crash."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if reason is not None:
        reason_file = target.with_name(target.name + ".reason.txt")
        reason_file.write_text(reason + "\n", encoding="utf-8")
    if work_path.exists():
        os.replace(work_path, target)
        _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
