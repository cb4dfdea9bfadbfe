"""What a long run shows while it works: a rich progress bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .pipeline import BatchResult, Gateway

batches_log = logging.getLogger("edi_gateway.batches")


def describe(result: BatchResult) -> str:
    """One line about a finished batch, for logs."""
    status = (result.flow_status or "?") + (f" ({result.reason_code})" if result.reason_code else "")
    return (f"batch {result.batch_id} [{result.depositor}] {result.file_name}: {status}, {result.invoices} "
            f"invoice(s), {result.accepted} accepted, {result.rejected} rejected")


def configure_logging(verbose: bool, service: bool) -> None:
    """Logging for the command line. A service (watch, serve) logs what it does at INFO; a one-off command only
    warnings, unless verbose. On a terminal the lines go through rich; otherwise they are plain, one per line,
    with a timestamp, ready for a log collector."""
    level = logging.DEBUG if verbose else (logging.INFO if service else logging.WARNING)
    if sys.stderr.isatty():
        handler: logging.Handler = RichHandler(console=Console(stderr=True), show_path=False)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.getLogger("edi_gateway").setLevel(level)
    batches_log.setLevel(logging.INFO)  # one line per batch, whatever the level
    logging.getLogger("paramiko").setLevel(logging.WARNING if not verbose else logging.INFO)
    for chatty in ("apscheduler", "distributed"):
        logging.getLogger(chatty).setLevel(logging.WARNING if not verbose else logging.INFO)


@contextlib.contextmanager
def log_batches(gateway: Gateway) -> Iterator[None]:
    """A log line for every batch the gateway finishes (a service, or a run whose output is not a terminal)."""
    gateway.on_result = lambda result: batches_log.info(describe(result))
    try:
        yield
    finally:
        gateway.on_result = None


@contextlib.contextmanager
def batch_progress(gateway: Gateway, total: int) -> Iterator[None]:
    """Report every batch the gateway finishes: a progress bar over `total` expected files on a terminal (it
    grows when more come, from SFTP say), a log line per batch otherwise."""
    if not sys.stderr.isatty():
        with log_batches(gateway):
            yield
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[invoices]} invoice(s)"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("processing", total=max(total, 1), invoices=0)
        counts = {"files": 0, "invoices": 0}

        def advance(result: BatchResult) -> None:
            counts["files"] += 1
            counts["invoices"] += result.invoices
            progress.update(task, advance=1, total=max(total, counts["files"]), invoices=counts["invoices"],
                            description=f"{result.depositor}: {result.file_name}")

        gateway.on_result = advance
        try:
            yield
        finally:
            gateway.on_result = None
