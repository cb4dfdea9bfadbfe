"""Who is working on what, across processes and machines.

- `PROCESS`: this process's identity (host/pid/start time). A batch records the process that claimed it; at start
  a gateway resumes the unfinished batches whose process is gone (`owner_is_gone`), not those another live
  process on this host is working on. A batch owned by another host is left to that host (which resumes its own
  batches when it restarts).
- `JobLock`: a lease in the ledger on a named job, so that no two runs of the same scheduled job overlap, even in
  two processes or on two machines sharing one database. The holder renews the lease while it runs; a lease
  past its expiry, or held by a process of this host that has ended, is taken over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta, timezone
from pathlib import Path

from sqlalchemy import or_, update
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

    `with JobLock(ledger, "job:nightly"):` raises LockHeld at once when another live holder has it."""

    def __init__(self, ledger: Ledger, name: str, lease_seconds: float = DEFAULT_LEASE_SECONDS,
                 holder: str = PROCESS):
        self.ledger, self.name, self.lease, self.holder = ledger, name, timedelta(seconds=lease_seconds), holder
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> None:
        if not self._take():
            raise LockHeld(self._describe_holder())
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew, name=f"lease-{self.name}", daemon=True)
        self._renewer.start()

    def _take(self) -> bool:
        """Take the lease if it is free or ran out (its holder died without releasing it); True when taken."""
        at = now()
        values = {"holder": self.holder, "expires_at": at + self.lease, "last_started_at": at}
        with self.ledger.session() as session:
            with session.begin():
                previous = session.get(JobLockRow, self.name)
                free = or_(JobLockRow.holder.is_(None), JobLockRow.expires_at < at)
                if previous is not None and previous.holder and owner_is_gone(previous.holder):
                    free = or_(free, JobLockRow.holder == previous.holder)  # its holder on this host has ended
                taken = session.execute(update(JobLockRow).where(JobLockRow.name == self.name, free)
                                        .values(**values).execution_options(synchronize_session=False)).rowcount
            if taken:
                if previous is not None and previous.holder is not None:
                    log.warning("job %s: took over the lease of %s, which had ended or run out", self.name,
                                previous.holder)
                return True
            if previous is not None:
                return False
            try:
                with session.begin():
                    session.add(JobLockRow(name=self.name, **values))
                return True
            except IntegrityError:  # another process created it meanwhile
                return False

    def _describe_holder(self) -> str:
        with self.ledger.session() as session:
            row = session.get(JobLockRow, self.name)
        if row is None or row.holder is None:
            return f"job {self.name!r} was taken by another process meanwhile"
        return f"job {self.name!r} is running in {row.holder} (lease until {row.expires_at:%Y-%m-%d %H:%M:%S} UTC)"

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
            session.execute(update(JobLockRow).where(
                JobLockRow.name == self.name, JobLockRow.holder == self.holder).values(
                holder=None, expires_at=None, last_finished_at=now()))

    def __enter__(self) -> "JobLock":
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


def last_started(ledger: Ledger, name: str):
    """When job `name` last started (UTC), or None if it never ran."""
    with ledger.session() as session:
        row = session.get(JobLockRow, name)
        started = row.last_started_at if row else None
    return started.replace(tzinfo=timezone.utc) if started is not None and started.tzinfo is None else started
