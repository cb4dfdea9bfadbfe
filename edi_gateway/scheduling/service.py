"""`edi-gateway serve`: the folder watcher and the scheduled sweeps in one process, stopped cleanly by SIGTERM.

Jobs come from `[schedule.jobs.<name>]` in the configuration (APScheduler cron triggers, in `[schedule] timezone`).

- No two runs of the same job at once: APScheduler's `max_instances = 1` within a process, and a lease in the
  ledger (`JobLock`, table job_locks) across processes and machines sharing the database. A run that finds the
  lease held is skipped, with a warning: the other run is sweeping the same sources.
- Misfires: a run whose time passed while the gateway was busy or down is still made when the gateway gets to it
  within the job's `misfire_grace_seconds` (APScheduler's `misfire_grace_time` while running; at start, the
  ledger's `last_started_at` of the job tells whether the latest due time inside the grace window was missed).
  Several missed runs are made once (coalesced). A run missed by more than the grace is skipped, with a warning;
  nothing is lost by it, since the next run sweeps whatever is waiting.
- Stop: SIGTERM or SIGINT sets the gateway's `stopping` flag. The batch in hand is finished (its ledger
  transaction and files are completed, never abandoned half-way), the sweeps and the watcher stop before the next
  file, the scheduler shuts down waiting for its running job, and the process exits 0. A SIGKILL instead leaves
  the batch to be resumed at the next start (see pipeline.py).
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from ..config import ScheduledJob
from ..ledger.locks import JobLock, LockHeld, last_started
from ..pipeline import BatchResult, Gateway

log = logging.getLogger(__name__)


def job_lock_name(job: ScheduledJob) -> str:
    return f"job:{job.name}"


def run_job(gateway: Gateway, job: ScheduledJob) -> list[BatchResult] | None:
    """One run of a scheduled job: sweep its sources under the job's lease. None when another process holds
    the lease (that run is sweeping the same sources)."""
    try:
        with JobLock(gateway.ledger, job_lock_name(job)):
            log.info("job %s: sweeping %s", job.name, ", ".join(job.sources))
            results = gateway.run_once(job.sources)
            log.info("job %s: %d flow(s) processed", job.name, len(results))
            return results
    except LockHeld as exc:
        log.warning("job %s skipped: %s", job.name, exc)
        return None


def trigger_of(job: ScheduledJob, timezone_name: str) -> CronTrigger:
    return CronTrigger.from_crontab(job.cron, timezone=ZoneInfo(timezone_name))


def missed_run(job: ScheduledJob, trigger: CronTrigger, last_start: datetime | None, at: datetime
               ) -> datetime | None:
    """The latest time the job was due within its grace window before `at` and did not start since; None when
    no run was missed (or the miss is older than the grace)."""
    window_start = at - timedelta(seconds=job.misfire_grace_seconds)
    due = trigger.get_next_fire_time(None, window_start)
    latest = None
    while due is not None and due <= at:
        latest = due
        due = trigger.get_next_fire_time(due, due + timedelta(seconds=1))
    if latest is None or (last_start is not None and last_start >= latest):
        return None
    return latest


class Service:
    """The watcher and the scheduler around one Gateway."""

    def __init__(self, gateway: Gateway, *, watch: bool = True, schedule: bool = True, poll_seconds: float = 0.5):
        self.gateway = gateway
        self.watch = watch
        self.schedule = schedule
        self.poll_seconds = poll_seconds
        self.stop = threading.Event()
        self.scheduler = BackgroundScheduler(timezone=ZoneInfo(gateway.settings.timezone))
        self.scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT ask for a clean stop (call from the main thread)."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, _frame) -> None:
        log.warning("%s received: finishing the batch in hand, then stopping", signal.Signals(signum).name)
        self.request_stop()

    def request_stop(self) -> None:
        self.gateway.stopping.set()
        self.stop.set()

    def run(self) -> None:
        """Serve until asked to stop."""
        settings = self.gateway.settings
        for job in settings.jobs if self.schedule else ():
            self.scheduler.add_job(run_job, trigger_of(job, settings.timezone), args=(self.gateway, job),
                                   id=job.name, name=job.name, max_instances=1, coalesce=True,
                                   misfire_grace_time=job.misfire_grace_seconds)
        self.scheduler.start()
        if self.schedule:
            self._catch_up()
        for job in self.scheduler.get_jobs():
            log.info("job %s: next run at %s", job.id, job.next_run_time)
        watcher = self._start_watcher() if self.watch else None
        try:
            while not self.stop.wait(1.0):
                if watcher is not None and not watcher.is_alive():
                    log.error("the folder watcher stopped unexpectedly; stopping the service")
                    self.request_stop()
        finally:
            self.request_stop()
            if watcher is not None:
                watcher.join()
            self.scheduler.shutdown(wait=True)
            log.warning("stopped")

    def _catch_up(self) -> None:
        """Make, now, the runs missed while the gateway was down (within each job's grace), once each."""
        at = datetime.now(timezone.utc)
        for job in self.gateway.settings.jobs:
            due = missed_run(job, trigger_of(job, self.gateway.settings.timezone),
                             last_started(self.gateway.ledger, job_lock_name(job)), at)
            if due is not None:
                log.warning("job %s: the run due at %s was missed while the gateway was down; running it now",
                            job.name, due.isoformat())
                self.scheduler.add_job(run_job, args=(self.gateway, job), id=f"{job.name}-catch-up",
                                       name=f"{job.name} (catch-up)", max_instances=1)

    def _start_watcher(self) -> threading.Thread:
        from ..intake.watcher import FolderWatcher

        watcher = FolderWatcher(self.gateway, poll_seconds=self.poll_seconds,
                                rescan_seconds=self.gateway.settings.rescan_seconds)
        thread = threading.Thread(target=watcher.run, args=(self.stop,), name="folder-watcher")
        thread.start()
        return thread

    @staticmethod
    def _on_missed(event) -> None:
        log.warning("job %s: the run due at %s was missed by more than its grace time; skipped (the next run "
                    "takes whatever is waiting)", event.job_id, event.scheduled_run_time)
