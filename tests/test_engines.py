"""The engines give the same decisions and findings as in-process checking, to the invoice.

One lot (every sample — UBL, CII, Factur-X PDF, CSV, a nested ZIP, a scan without invoice — plus generated
invoices, some wrong, some duplicated, and a CSV member cut into two parts) is run through the gateway three times
on fresh ledgers: in-process (workers = 1), on two local worker processes, and on a local Dask cluster of two
workers. Every invoice's decision, route and findings must be identical.
"""

from __future__ import annotations

import multiprocessing
from decimal import Decimal
from pathlib import Path

import pytest

from benchmarks.generate import csv_lot
from edi_gateway.config import load_settings
from edi_gateway.engines import InProcessEngine, ProcessEngine, make_engine
from edi_gateway.engines.work import ready
from edi_gateway.errors import ConfigError
from edi_gateway.ledger import Ledger
from edi_gateway.parsers.csv import INVOICES_PER_PART
from edi_gateway.pipeline import PARALLEL_FROM, Gateway

from .conftest import SAMPLES, prepare_ledger
from .factories import french_ubl, zip_lot

SAMPLE_FILES = sorted(p for p in SAMPLES.iterdir() if p.suffix in {".xml", ".pdf", ".csv", ".zip"})


def mixed_lot() -> bytes:
    members = {f"samples/{p.name}": p.read_bytes() for p in SAMPLE_FILES}
    for n in range(1, 181):
        delta = Decimal("0.50") if n % 11 == 0 else Decimal(0)  # BR-CO-15 broken
        members[f"generated/BD-2026-{n:04d}.xml"] = french_ubl(f"BD-2026-{n:04d}", payable_delta=delta)
    members["generated/BD-2026-0005-copy.xml"] = french_ubl("BD-2026-0005", note="sent twice")  # FR-DUP-01
    members["generated/not-an-invoice.txt"] = b"hello"
    # a CSV member of more than one part: its parts may go to different workers
    members["generated/export.csv"] = csv_lot(range(1, INVOICES_PER_PART + 11), lines=2)
    return zip_lot(members)


def run_lot(root: Path, lot: bytes, **engine) -> list[tuple]:
    """Run the lot through a fresh gateway; every invoice's position, decision, route and findings."""
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "lot.zip").write_bytes(lot)
    url = f"sqlite:///{root / 'ledger.sqlite3'}"
    prepare_ledger(url)
    settings = load_settings(None, inbox=inbox, outbox=root / "outbox", database=url, **engine)
    gateway = Gateway(settings, Ledger(url))
    try:
        [result] = gateway.run_once()
    finally:
        gateway.close()
    return [(row.position, row.origin, row.number, row.decision, row.status_code, row.recipient_id,
             row.service_code, row.billing_frame, row.routed_path is not None,
             [(f.rule, f.severity, f.bt, f.field, f.location, f.value, f.message_en, f.source) for f in row.findings])
            for row in gateway.ledger.invoices_of(result.batch_id)]


@pytest.fixture(scope="module")
def in_process(tmp_path_factory) -> list[tuple]:
    rows = run_lot(tmp_path_factory.mktemp("in-process"), mixed_lot(), workers=1)
    assert len(rows) > PARALLEL_FROM, "the lot must be large enough to go to the workers"
    assert sum("export.csv" in row[1] for row in rows) == INVOICES_PER_PART + 10
    decisions = {row[3] for row in rows}
    assert decisions == {"accepted", "rejected"}
    rules = {finding[0] for row in rows for finding in row[9]}
    assert {"BR-CO-15", "FR-DUP-01", "IRR_TYPE"} <= rules, rules
    return rows


def test_worker_processes_decide_every_invoice_as_in_process(tmp_path, in_process):
    assert run_lot(tmp_path, mixed_lot(), workers=2, engine="local") == in_process


def test_a_dask_cluster_decides_every_invoice_as_in_process(tmp_path, in_process):
    assert run_lot(tmp_path, mixed_lot(), workers=2, engine="dask-local") == in_process


def test_the_engine_follows_the_settings():
    assert isinstance(make_engine("local", 1), InProcessEngine)
    engine = make_engine("local", 3)
    assert isinstance(engine, ProcessEngine) and engine.workers == 3
    assert make_engine("local", 0).workers >= 1  # every core
    with pytest.raises(ConfigError, match="--engine dask needs --scheduler"):
        make_engine("dask", 2)
    with pytest.raises(ConfigError, match="engine 'spark'"):
        make_engine("spark", 2)


def test_results_come_back_in_order_whatever_the_workers_finish_first():
    engine = ProcessEngine(2)
    try:
        assert list(engine.map(_slow_square, [5, 1, 4, 0, 3, 2] * 3)) == [n * n for n in [5, 1, 4, 0, 3, 2] * 3]
    finally:
        engine.close()


def test_a_started_engine_has_every_worker_before_its_first_chunk():
    """`start` (called before a large flow is read) spawns every worker at once; they take the chunks after."""
    engine = ProcessEngine(2)
    try:
        before = {process.pid for process in multiprocessing.active_children()}
        engine.start()
        started = {process.pid for process in multiprocessing.active_children()} - before
        assert len(started) == 2
        assert set(engine.map(ready, range(8))) <= started
    finally:
        engine.close()


def _slow_square(n: int) -> int:
    import time

    time.sleep(n / 50)  # later tasks often finish first
    return n * n


def test_engine_settings_come_from_the_file_and_the_command_line(tmp_path):
    config = tmp_path / "gateway.toml"
    config.write_text('[engine]\nkind = "dask"\nscheduler = "tcp://10.0.0.5:8786"\nworkers = 4\n')
    settings = load_settings(config)
    assert (settings.engine, settings.scheduler, settings.workers) == ("dask", "tcp://10.0.0.5:8786", 4)
    assert load_settings(config, workers=1, engine="local").workers == 1
    config.write_text('[engine]\nkind = "dask"\nworkers = -1\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    assert "needs scheduler" in str(raised.value) and "workers = -1" in str(raised.value)


GATEWAY_WITH_WORKERS = """
import os, sys, time
from edi_gateway.engines import ProcessEngine
from tests.test_engines import _worker_pid
engine = ProcessEngine(2)
print(" ".join(map(str, sorted(set(engine.map(_worker_pid, range(40)))))), flush=True)
time.sleep(120)
"""


def _worker_pid(_index: int) -> int:
    import os
    import time

    time.sleep(0.05)
    return os.getpid()


def test_worker_processes_end_when_the_gateway_is_killed():
    import os
    import signal
    import subprocess
    import sys
    import time

    gateway = subprocess.Popen([sys.executable, "-c", GATEWAY_WITH_WORKERS], stdout=subprocess.PIPE, text=True,
                               cwd=Path(__file__).resolve().parent.parent)
    try:
        workers = [int(pid) for pid in gateway.stdout.readline().split()]
        assert workers and all(os.path.exists(f"/proc/{pid}") for pid in workers)
        gateway.send_signal(signal.SIGKILL)
        gateway.wait()
        deadline = time.monotonic() + 15
        while any(os.path.exists(f"/proc/{pid}") for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in workers if os.path.exists(f"/proc/{pid}")] == [], "orphaned workers"
    finally:
        gateway.kill()


def _die(_index: int) -> int:
    import os

    os._exit(1)  # a worker killed in the middle of a chunk


def test_a_dead_worker_fails_the_batch_in_hand_and_the_next_one_gets_a_fresh_pool():
    from concurrent.futures.process import BrokenProcessPool

    engine = ProcessEngine(2)
    try:
        with pytest.raises(BrokenProcessPool):
            list(engine.map(_die, range(4)))
        assert list(engine.map(_slow_square, [1, 2, 3])) == [1, 4, 9]
    finally:
        engine.close()
