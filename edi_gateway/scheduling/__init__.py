"""Scheduling stage: the cron jobs and the long-running service (`edi-gateway serve`)."""

from .service import Service, missed_run, run_job

__all__ = ["Service", "missed_run", "run_job"]
