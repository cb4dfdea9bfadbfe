"""Who is working on what, across processes and machines.

- `PROCESS`: this process's identity (host/pid/start time). A batch records the process that claimed it; at start
  a gateway resumes the unfinished batches whose process is gone (`owner_is_gone`), not those another live
  process on this host is working on. A batch owned by another host is left to that host (which resumes its own
  batches when it restarts).
- `JobLock`: a lease in the ledger on a named job, so that no two runs of the same scheduled job overlap, even in
  two processes or on two machines sharing one database. The holder renews the lease while it runs; a lease
  past its expiry belongs to a holder that died and is taken over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from .models import JobLockRow
from .store import Ledger, now

log = logging.getLogger(__name__)
DEFAULT_LEASE_SECONDS = 300.0


def _start_ticks(pid: int) -> str:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), '' when unknown: with
    the pid, it tells a process from a later one that got the same pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rpartition(")")[2].split()[19]


PROCESS = f"{socket.gethostname()}/{os.getpid()}/{_start_ticks(os.getpid())}"


def owner_is_gone(owner: str | None) -> bool:
    """True when the process `owner` names has ended (or is unknown), so its unfinished batches may be resumed.
    False for a live process, this one included, and for a process on another host (left to that host)."""
    if not owner:
        return True
    host, _, rest = owner.partition("/")
    pid_text, _, ticks = rest.partition("/")
    if host != socket.gethostname():
        return False
    try:
        pid = int(pid_text)
    except ValueError:
        return True
    return _start_ticks(pid) != ticks or not ticks


class LockHeld(Exception):
    """Another holder has the job's lease."""


class JobLock:
    """A renewable lease on job `name` in the ledger; use as a context manager around one run of the job.

    `with JobLock(ledger, "nightly"):` raises LockHeld at once when another live holder has it."""

    def __init__(self, ledger: Ledger, name: str, lease_seconds: float = DEFAULT_LEASE_SECONDS,
                 holder: str = PROCESS):
        self.ledger, self.name, self.lease, self.holder = ledger, name, timedelta(seconds=lease_seconds), holder
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> None:
        at = now()
        with self.ledger.session() as session:
            session.add(JobLockRow(name=self.name, holder=self.holder, acquired_at=at, expires_at=at + self.lease))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                # The name is taken: take it over only if its lease ran out (the holder died without releasing).
                taken = session.execute(update(JobLockRow).where(
                    JobLockRow.name == self.name, JobLockRow.expires_at < at).values(
                    holder=self.holder, acquired_at=at, expires_at=at + self.lease))
                session.commit()
                if taken.rowcount != 1:
                    current = session.get(JobLockRow, self.name)
                    raise LockHeld(f"job {self.name!r} is running in {current.holder if current else 'another process'}"
                                   f" (lease until {current.expires_at if current else '?'})") from None
                log.warning("job %s: took over a lease that had run out", self.name)
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew, name=f"lease-{self.name}", daemon=True)
        self._renewer.start()

    def _renew(self) -> None:
        interval = self.lease.total_seconds() / 3
        while not self._stop.wait(interval):
            with self.ledger.session() as session, session.begin():
                session.execute(update(JobLockRow).where(
                    JobLockRow.name == self.name, JobLockRow.holder == self.holder).values(
                    expires_at=now() + self.lease))

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        with self.ledger.session() as session, session.begin():
            session.execute(delete(JobLockRow).where(JobLockRow.name == self.name,
                                                     JobLockRow.holder == self.holder))

    def __enter__(self) -> "JobLock":
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()
