"""The folder watcher (`edi-gateway watch`): take each deposited file as soon as it is complete.

Filesystem events (watchdog: inotify on Linux) only say *where to look*: a file being written fires an event per
write, a rename fires one, a queue overflow or a folder created later fires none. So readiness is always decided by
stat, on a short poll, and a full scan of every folder runs at start (what arrived while the gateway was down) and
every `rescan_seconds` (the safety net for missed events, and for depositors registered meanwhile).

A file is complete when
- its source uses markers (".done", ".ok"): `<name><marker>` lies beside it (the depositor says so; no waiting);
- otherwise: its size, mtime and inode have not changed for the source's settle time, as observed here on a
  monotonic clock. Observing, rather than trusting the mtime, makes a file on a share with a skewed clock, or
  copied with its old mtime preserved, still wait for its writer to finish.

The watcher only decides *when*: claiming (atomic rename into work/), recording, duplicate-flow detection, delivery,
archive and quarantine are `Gateway.process_file`'s, and recovery after a crash is `Gateway.recover`'s.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import queue
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from watchdog.events import (
    EVENT_TYPE_CLOSED, EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED, FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from ..config import FolderSource
from . import folder

if TYPE_CHECKING:
    from ..pipeline import BatchResult, Gateway

log = logging.getLogger(__name__)
_HINTING_EVENTS = {EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED, EVENT_TYPE_CLOSED}
_OBSERVER_JOIN_SECONDS = 5.0


@dataclasses.dataclass(frozen=True, slots=True)
class _Signature:
    """What changes while a file is being written (or replaced)."""

    size: int
    mtime_ns: int
    inode: int


@dataclasses.dataclass(slots=True)
class _Candidate:
    """A file that may be a deposited flow, and since when it has looked the same."""

    path: Path
    source: FolderSource
    signature: _Signature
    stable_since: float  # monotonic


@dataclasses.dataclass(frozen=True, slots=True)
class _Watch:
    """An observer watch on one folder, and which folder it was (a folder deleted and made again is another)."""

    handle: ObservedWatch
    inode: int


class _Hints(FileSystemEventHandler):
    """Passes the paths that events name to the watcher's thread (handlers run in the observer's thread)."""

    def __init__(self, sink: Callable[[str], None]):
        self._sink = sink

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type not in _HINTING_EVENTS:
            return
        path = event.dest_path if event.event_type == EVENT_TYPE_MOVED else event.src_path
        self._sink(os.fsdecode(path))


class FolderWatcher:
    """Watches every folder source of a gateway and hands each complete file to `gateway.process_file`.

    `run(stop)` blocks until `stop` (or `gateway.stopping`) is set. `start()`, `step()` and `close()` let a caller
    (a test) drive it one poll at a time; `clock` lets it control time too.
    """

    def __init__(self, gateway: Gateway, poll_seconds: float = 0.5, rescan_seconds: float = 30.0,
                 min_settle_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.gateway = gateway
        self.poll_seconds = poll_seconds
        self.rescan_seconds = rescan_seconds
        self.min_settle_seconds = min_settle_seconds  # with settle 0, a file would be taken on its first write
        self._clock = clock
        self._stop = threading.Event()
        self._sources: dict[str, FolderSource] = {}  # folder, as watched and scanned -> its source
        self._watches: dict[str, _Watch] = {}
        self._missing: set[str] = set()  # folders reported missing (warn once, not at every rescan)
        self._unwatchable: set[str] = set()  # folders the observer refused (likewise)
        self._candidates: dict[Path, _Candidate] = {}
        self._hints: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._handler = _Hints(self._hints.put)
        self._observer: BaseObserver | None = None
        self._next_rescan = 0.0
        self.started = threading.Event()  # set once the first scan is done and the folders are watched

    # -- life cycle -------------------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Watch until `stop` or `gateway.stopping` is set; returns after the batch in hand, within a poll."""
        self._stop = stop
        try:
            self.start()
            while not self._stopping():
                self.step()
                stop.wait(self.poll_seconds)
        finally:
            self.close()

    def start(self) -> None:
        """Start the observer, then recover and scan everything: events cover what comes after the scan, the scan
        what came before (while the gateway was down)."""
        if self._observer is not None:
            return
        self._observer = Observer()
        self._observer.start()
        self._rescan()
        self.started.set()

    def close(self) -> None:
        observer, self._observer = self._observer, None
        if observer is None:
            return
        observer.stop()
        observer.join(_OBSERVER_JOIN_SECONDS)
        self._watches.clear()

    def step(self) -> list[BatchResult]:
        """One poll: rescan when due, note what events named, and process the files that are complete."""
        if self._observer is None:
            self.start()
        elif self._clock() >= self._next_rescan:
            self._rescan()
        self._take_hints()
        return self._process(self._ready())

    def tracked(self) -> list[Path]:
        """The files waiting to be complete (for tests and diagnostics)."""
        return sorted(self._candidates.copy())  # copied at once: the watcher's thread may be changing it

    def _stopping(self) -> bool:
        return self._stop.is_set() or self.gateway.stopping.is_set()

    # -- sources and full scans -----------------------------------------------------------------------------
    def _rescan(self) -> None:
        """The safety net: resume what failed or crashed, follow the sources, and track every file in them."""
        self._next_rescan = self._clock() + self.rescan_seconds
        if self._stopping():
            return
        self._guarded(self.gateway.recover, "resuming unfinished batches")
        self._refresh_sources()
        for key, source in self._sources.items():
            self._scan(key, source)

    def _refresh_sources(self) -> None:
        """Re-read the sources (depositors may be registered while running) and watch exactly their folders."""
        try:
            sources = self.gateway.folder_sources()
        except Exception:
            log.exception("could not list the folder sources; keeping the %d known", len(self._sources))
            return
        self._sources = {str(source.path): source for source in sources}
        for key in set(self._watches) - set(self._sources):
            self._unwatch(key)
        for key, source in self._sources.items():
            self._watch(key, source)
        for path, candidate in list(self._candidates.items()):
            source = self._sources.get(str(path.parent))
            if source is None:
                del self._candidates[path]
            else:
                candidate.source = source

    def _watch(self, key: str, source: FolderSource) -> None:
        """Make sure a live watch covers this folder; a missing folder is reported once and looked for again at
        each rescan (it may be created later)."""
        try:
            inode = os.stat(key).st_ino if os.path.isdir(key) else None
        except OSError:
            inode = None
        current = self._watches.get(key)
        if current is not None and current.inode == inode and self._alive(current):
            return
        if current is not None:  # the folder was deleted, or deleted and made again: its old watch is dead
            log.warning("folder %s was removed%s", key, " and made again" if inode is not None else "")
            self._unwatch(key)
        if inode is None:
            if key not in self._missing:
                log.warning("folder %s does not exist (yet); looking for it again every %g s", key,
                            self.rescan_seconds)
                self._missing.add(key)
            return
        self._missing.discard(key)
        try:
            # follow_symlink: a source folder is often a link (/srv/edi/durand -> /data/durand); watching the link
            # itself would report nothing.
            handle = self._observer.schedule(self._handler, key, recursive=False, follow_symlink=True)
        except OSError as exc:  # e.g. the inotify limits: the rescans still find the files, later
            if key not in self._unwatchable:
                log.warning("cannot watch %s (%s); its files are found by the rescans every %g s", key, exc,
                            self.rescan_seconds)
                self._unwatchable.add(key)
            return
        self._unwatchable.discard(key)
        self._watches[key] = _Watch(handle, inode)
        # The command announces the folders it starts with; those that come later are worth a line too.
        log.log(logging.INFO if self.started.is_set() else logging.DEBUG, "watching folder %s for depositor %s",
                key, source.depositor)

    def _alive(self, watch: _Watch) -> bool:
        """Whether the watch still reports events: its emitter stops when its folder is deleted (and a folder made
        again may well get the same inode number)."""
        return any(emitter.watch == watch.handle and emitter.is_alive() and emitter.should_keep_running()
                   for emitter in list(self._observer.emitters))

    def _unwatch(self, key: str) -> None:
        watch = self._watches.pop(key, None)
        if watch is not None and self._observer is not None:
            with contextlib.suppress(KeyError, OSError, RuntimeError):
                self._observer.unschedule(watch.handle)

    def _scan(self, key: str, source: FolderSource) -> None:
        try:
            names = os.listdir(key)
        except OSError:
            return  # missing: reported by _watch
        for name in names:
            self._track(os.path.join(key, name), source)

    # -- candidates -----------------------------------------------------------------------------------------
    def _take_hints(self) -> None:
        """Track the files that events named since the last poll (each once, however many writes it took)."""
        named = set()
        with contextlib.suppress(queue.Empty):
            while True:
                named.add(self._hints.get_nowait())
        for path in named:
            source = self._sources.get(os.path.dirname(path))
            if source is not None:
                self._track(path, source)

    def _track(self, path: str, source: FolderSource) -> None:
        """Start following a file, if it may be a flow; a marker names the file it announces."""
        marker = next((m for m in source.markers if path.endswith(m)), None)
        if marker is not None:
            path = path[:-len(marker)]
        if Path(path) in self._candidates or not folder.is_candidate(os.path.basename(path), source.markers):
            return
        signature = _signature(path)
        if signature is not None:
            self._candidates[Path(path)] = _Candidate(Path(path), source, signature, self._clock())

    def _ready(self) -> list[_Candidate]:
        """The complete files, oldest first; files gone meanwhile are forgotten."""
        now = self._clock()
        ready = []
        for path, candidate in list(self._candidates.items()):
            signature = _signature(path)
            if signature is None:
                del self._candidates[path]
            elif signature != candidate.signature:
                candidate.signature, candidate.stable_since = signature, now
            elif self._complete(candidate, now):
                ready.append(candidate)
        return sorted(ready, key=lambda c: (c.signature.mtime_ns, c.path))

    def _complete(self, candidate: _Candidate, now: float) -> bool:
        source = candidate.source
        if source.markers:
            return folder.has_marker(candidate.path, source.markers)
        return now - candidate.stable_since >= max(source.settle_seconds, self.min_settle_seconds)

    # -- processing -----------------------------------------------------------------------------------------
    def _process(self, ready: list[_Candidate]) -> list[BatchResult]:
        """Process complete files one at a time, stopping between two files when asked to."""
        results = []
        for candidate in ready:
            if self._stopping():
                break
            if _signature(candidate.path) != candidate.signature:
                continue  # written to while the previous files were processed: judged again at the next poll
            del self._candidates[candidate.path]
            result = self._process_one(candidate)
            if result is not None:
                results.append(result)
        return results

    def _process_one(self, candidate: _Candidate) -> BatchResult | None:
        """Process one file. Bad input is the pipeline's to quarantine; an exception here is an infrastructure
        fault (ledger down, disk full): log it and go on. The file stays where it is: in the folder, found again
        by the next rescan, or claimed into work/, where the next rescan's (or start's) recover() takes it."""
        source = candidate.source
        try:
            return self.gateway.process_file(candidate.path, source.depositor, source)
        except Exception:
            log.exception("processing %s failed; it will be tried again at the next rescan (in %g s at most)",
                          candidate.path, self.rescan_seconds)
            return None

    @staticmethod
    def _guarded(action: Callable[[], object], what: str) -> None:
        try:
            action()
        except Exception:
            log.exception("%s failed; trying again at the next rescan", what)


def _signature(path: str | Path) -> _Signature | None:
    """The signature of a regular file, None when it is gone or is anything else (a folder, a symbolic link: the
    claim never follows links)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return _Signature(info.st_size, info.st_mtime_ns, info.st_ino)
