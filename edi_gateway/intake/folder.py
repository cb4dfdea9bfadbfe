"""Local folders: pending files, atomic claim into work/, archive and quarantine (Camel file-component style).

- *read lock*: a file is taken only when it has not changed for `settle_seconds` (0 for an on-demand run);
  names starting with a dot or ending in .tmp/.part/.partial are still being written and are skipped;
- *done file*: with `markers` (e.g. ".done", ".ok"), a file is taken only once `<name>.done` (or `<name>.ok`)
  lies beside it; the marker is removed when the file is claimed;
- *claim*: an atomic rename into `work/<depositor>/<batch-id>__<name>`; whoever renames first owns the file. The
  claimer holds an advisory lock (flock) on it until its batch row is written, so that a gateway adopting
  orphans in work/ never takes a file another live process is just recording;
- *move*: `archive/<yyyy>/<mm>/<dd>/<batch-id>__<name>`; *moveFailed*: `quarantine/<batch-id>__<name>` with a
  `.reason.txt` beside it;
- *idempotent repository*: the ledger (same sha256 from the same depositor = the same flow).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from ..emitters.outbox import atomic_writer

IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".filepart")
_SEPARATOR = "__"
log = logging.getLogger(__name__)


def is_candidate(name: str, markers: tuple[str, ...] = ()) -> bool:
    """Whether a file of this name may be a deposited flow (not a hidden, temporary or marker file)."""
    return not (name.startswith(".") or name.endswith(IN_PROGRESS_SUFFIXES) or (markers and name.endswith(markers)))


def has_marker(path: Path, markers: tuple[str, ...]) -> bool:
    return any(path.with_name(path.name + marker).exists() for marker in markers)


def pending_files(inbox: Path, settle_seconds: float = 0.0, markers: tuple[str, ...] = ()) -> list[Path]:
    """Files ready to be taken from `inbox`, oldest first: unchanged for `settle_seconds`, and, with `markers`,
    announced by a marker file. A file gone while the folder is read (another gateway claimed it) is left out."""
    if not inbox.is_dir():
        return []
    cutoff = time.time() - settle_seconds
    ready = []
    names = set(os.listdir(inbox)) if markers else set()
    for entry in os.scandir(inbox):
        if not is_candidate(entry.name, markers) or not entry.is_file(follow_symlinks=False):
            continue
        if markers and not any(entry.name + marker in names for marker in markers):
            continue
        try:
            stat = entry.stat(follow_symlinks=False)
        except FileNotFoundError:  # claimed by another gateway sweeping the same inbox since the listing
            continue
        if settle_seconds and stat.st_mtime > cutoff:
            continue
        ready.append((stat.st_mtime, entry.name, Path(entry.path)))
    return [path for _mtime, _name, path in sorted(ready)]


def remove_markers(path: Path, markers: tuple[str, ...]) -> None:
    """Remove the marker files of a claimed file: they announced it, and must not announce a later namesake."""
    for marker in markers:
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + marker).unlink()


def work_name(batch_id: str, file_name: str) -> str:
    return f"{batch_id}{_SEPARATOR}{file_name}"


def split_work_name(name: str) -> tuple[str, str] | None:
    """(batch id, original name) of a file in work/, or None if it does not follow the naming scheme."""
    batch_id, sep, original = name.partition(_SEPARATOR)
    return (batch_id, original) if sep and batch_id and original else None


@contextlib.contextmanager
def claimed(path: Path, work_dir: Path, batch_id: str) -> Iterator[Path | None]:
    """Atomically move `path` into the work folder, holding a lock on it for the `with` block (record the batch
    there). Yields None when another process claimed it first."""
    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / work_name(batch_id, path.name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        yield None
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # taken before the rename: the lock moves with the file
        try:
            os.rename(path, target)
        except FileNotFoundError:
            yield None
            return
        fsync_dir(work_dir)
        yield target
    finally:
        os.close(fd)


def claim(path: Path, work_dir: Path, batch_id: str) -> Path | None:
    """Atomically move `path` into the work folder. None when another process claimed it first."""
    with claimed(path, work_dir, batch_id) as target:
        return target


def held_by_another(path: Path) -> bool:
    """Whether a live process holds the claim lock on a file in work/ (it is recording it right now)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def archive_path(archive_dir: Path, received_at: datetime, batch_id: str, file_name: str) -> Path:
    return archive_dir / f"{received_at:%Y}" / f"{received_at:%m}" / f"{received_at:%d}" / work_name(batch_id, file_name)


def quarantine_path(quarantine_dir: Path, batch_id: str, file_name: str) -> Path:
    return quarantine_dir / work_name(batch_id, file_name)


def file_away(work_path: Path, target: Path, reason: str | None = None) -> None:
    """Move a processed file to its final place (archive or quarantine); idempotent after a crash."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if reason is not None:  # written whole or not at all (a full disk leaves no truncated reason)
        with atomic_writer(target.with_name(target.name + ".reason.txt")) as stream:
            stream.write(reason + "\n")
    if work_path.exists():
        os.replace(work_path, target)
        fsync_dir(target.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
