"""The folder watcher on real files: a real Gateway and SQLite ledger, the watcher running in its own thread.

Waits are bounded polls of a condition (never a fixed long sleep); settle times are short (0.5 to 1 s).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from edi_gateway.config import load_settings
from edi_gateway.intake import folder
from edi_gateway.intake.watcher import FolderWatcher
from edi_gateway.ledger import Ledger
from edi_gateway.pipeline import Gateway, new_batch_id

from .factories import SUPPLIER_SIRET, french_ubl

POLL = 0.1
TIMEOUT = 15.0


# -- helpers ------------------------------------------------------------------------------------------------------
def _gateway(dirs: dict, settle: float = 0.5, extra: str = "") -> Gateway:
    """A gateway configured by a TOML file in the test's folder (inbox/, outbox/, settle time, extra sections)."""
    config = dirs["root"] / "gateway.toml"
    config.write_text(f'[gateway]\ninbox = "inbox"\noutbox = "outbox"\nsettle_seconds = {settle}\n{extra}')
    settings = load_settings(config, database=dirs["db"])
    return Gateway(settings, Ledger(settings.database))


@contextlib.contextmanager
def _watching(gateway: Gateway, **options):
    """Run a watcher in a thread for the `with` block; then stop it and check that it stopped cleanly."""
    watcher = FolderWatcher(gateway, poll_seconds=options.pop("poll_seconds", POLL), **options)
    stop, failures = threading.Event(), []

    def run() -> None:
        try:
            watcher.run(stop)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    thread = threading.Thread(target=run, name="test-watcher", daemon=True)
    thread.start()
    _wait_for(lambda: watcher.started.is_set() or failures, "the watcher to start")
    try:
        yield watcher
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive(), "the watcher did not stop within 10 s of being asked to"
    assert failures == [], f"the watcher died: {failures!r}"


def _wait_for(condition, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def _batches(dirs: dict) -> list[dict]:
    """Every batch row, in the order they were received."""
    with contextlib.closing(sqlite3.connect(dirs["db"].removeprefix("sqlite:///"), timeout=10)) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute("select * from batches order by received_at, id").fetchall()
    return [dict(row) for row in rows]


def _done(dirs: dict, count: int) -> list[dict] | None:
    """The batches once exactly `count` of them exist and all are DONE, else None."""
    batches = _batches(dirs)
    return batches if len(batches) == count and all(b["state"] == "DONE" for b in batches) else None


def _wait_done(dirs: dict, count: int) -> list[dict]:
    return _wait_for(lambda: _done(dirs, count), f"{count} finished batch(es); have {_batches(dirs)!r}")


def _accepted(dirs: dict, number: str) -> int:
    with contextlib.closing(sqlite3.connect(dirs["db"].removeprefix("sqlite:///"), timeout=10)) as connection:
        [(count,)] = connection.execute(
            "select count(*) from invoices where decision = 'accepted' and supplier_id = ? and number = ?",
            (SUPPLIER_SIRET, number)).fetchall()
    return count


def _archived(dirs: dict, batch: dict) -> Path:
    """Where the pipeline archives a batch: archive/<yyyy>/<mm>/<dd>/<batch>__<name>, by its reception day."""
    year, month, day = batch["received_at"][:10].split("-")
    return dirs["root"] / "archive" / year / month / day / f"{batch['id']}__{batch['file_name']}"


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


# -- tests --------------------------------------------------------------------------------------------------------
def test_a_slowly_written_file_is_taken_whole_once_its_writer_is_done(gateway_dirs):
    gateway = _gateway(gateway_dirs, settle=1.0)
    data = french_ubl("BD-2026-0801")
    target = gateway_dirs["inbox"] / "slow.xml"
    pieces = [data[i * len(data) // 6:(i + 1) * len(data) // 6] for i in range(6)]

    with _watching(gateway) as watcher:
        started = time.monotonic()
        with target.open("wb") as stream:
            for piece in pieces:  # 6 writes 0.3 s apart: 1.8 s in all, longer than the 1 s settle time
                stream.write(piece)
                stream.flush()
                time.sleep(0.3)
                assert target.exists() and _batches(gateway_dirs) == [], "taken while still being written"
            assert time.monotonic() - started > 1.5
            assert target in watcher.tracked(), "the watcher has seen the file (and is waiting for it)"
        [batch] = _wait_done(gateway_dirs, 1)

    assert batch["file_name"] == "slow.xml"
    assert batch["sha256"] == hashlib.sha256(data).hexdigest() and batch["size"] == len(data)
    assert (batch["flow_status"], batch["accepted_count"], batch["reason_code"]) == ("IN_INTEGRE", 1, None)
    assert _archived(gateway_dirs, batch).read_bytes() == data
    assert not target.exists()


def test_a_file_written_under_a_temporary_name_is_taken_once_renamed(gateway_dirs):
    gateway = _gateway(gateway_dirs, settle=0.5)
    data = french_ubl("BD-2026-0802")
    partial = gateway_dirs["inbox"] / "renamed.xml.part"

    with _watching(gateway) as watcher:
        partial.write_bytes(data)
        time.sleep(1.0)  # twice the settle time: a .part file is never a candidate
        assert partial.exists() and watcher.tracked() == [] and _batches(gateway_dirs) == []
        partial.rename(partial.with_name("renamed.xml"))
        [batch] = _wait_done(gateway_dirs, 1)

    assert (batch["file_name"], batch["accepted_count"]) == ("renamed.xml", 1)


def test_with_markers_a_file_waits_for_its_done_or_ok_file(gateway_dirs):
    drop = gateway_dirs["root"] / "drop"
    drop.mkdir()
    gateway = _gateway(gateway_dirs, settle=0.5, extra=(
        '[sources.drop]\ntype = "folder"\ndepositor = "default"\npath = "drop"\nsettle_seconds = 0.5\n'
        'markers = [".done", ".ok"]\n'))

    with _watching(gateway) as watcher:
        (drop / "x.xml").write_bytes(french_ubl("BD-2026-0811"))
        (drop / "y.xml").write_bytes(french_ubl("BD-2026-0812"))
        (gateway_dirs["inbox"] / "control.xml").write_bytes(french_ubl("BD-2026-0810"))  # no markers there
        [control] = _wait_done(gateway_dirs, 1)  # the watcher has polled past the settle time...
        time.sleep(1.0)  # ...and then some more
        assert control["file_name"] == "control.xml"
        assert (drop / "x.xml").exists() and (drop / "y.xml").exists(), "taken without its marker"
        assert {drop / "x.xml", drop / "y.xml"} <= set(watcher.tracked())

        (drop / "x.xml.done").touch()
        x = _wait_done(gateway_dirs, 2)[-1]
        assert x["file_name"] == "x.xml" and x["accepted_count"] == 1
        assert not (drop / "x.xml.done").exists(), "the marker is removed with its file"
        assert (drop / "y.xml").exists(), "a marker announces its own file only"

        (drop / "y.xml.ok").touch()
        y = _wait_done(gateway_dirs, 3)[-1]

    assert y["file_name"] == "y.xml" and y["accepted_count"] == 1
    assert sorted(p.name for p in drop.iterdir()) == []


@pytest.mark.parametrize("second_name", ["again.xml", "once.xml"])
def test_the_same_file_dropped_twice_is_a_duplicate_flow_processed_once(gateway_dirs, second_name):
    gateway = _gateway(gateway_dirs, settle=0.5)
    data = french_ubl("BD-2026-0803")

    with _watching(gateway):
        (gateway_dirs["inbox"] / "once.xml").write_bytes(data)
        [first] = _wait_done(gateway_dirs, 1)
        (gateway_dirs["inbox"] / second_name).write_bytes(data)
        first_again, second = _wait_done(gateway_dirs, 2)

    assert first_again["id"] == first["id"] and first["duplicate_of"] is None and first["accepted_count"] == 1
    assert second["file_name"] == second_name and second["sha256"] == first["sha256"]
    assert (second["duplicate_of"], second["reason_code"], second["flow_status"]) == (
        first["id"], "IRR_UNICITE", "IN_REJETE")
    assert second["invoice_count"] == 0 and _accepted(gateway_dirs, "BD-2026-0803") == 1, "never decided twice"
    assert _archived(gateway_dirs, first).read_bytes() == data
    quarantined = gateway_dirs["root"] / "quarantine" / f"{second['id']}__{second_name}"
    assert quarantined.read_bytes() == data
    assert "IRR_UNICITE" in quarantined.with_name(quarantined.name + ".reason.txt").read_text()
    assert _files(gateway_dirs["outbox"] / "reports" / second["id"]), "the duplicate flow is reported"
    assert list(gateway_dirs["inbox"].glob("*.xml")) == []


def test_on_restart_files_that_arrived_while_down_are_all_processed_once(gateway_dirs):
    inbox = gateway_dirs["inbox"]
    with _watching(_gateway(gateway_dirs)):
        (inbox / "before.xml").write_bytes(french_ubl("BD-2026-0820"))
        _wait_done(gateway_dirs, 1)

    # The gateway is down: depositors keep dropping files, and a crash had left two files half taken.
    (inbox / "a.xml").write_bytes(french_ubl("BD-2026-0821"))
    (inbox / "b.xml").write_bytes(french_ubl("BD-2026-0822"))
    (inbox / "default").mkdir()  # the registered "default" depositor's own inbox
    (inbox / "default" / "c.xml").write_bytes(french_ubl("BD-2026-0823"))
    gateway = _gateway(gateway_dirs)
    work = gateway.settings.work_dir / "default"
    (inbox / "orphan.xml").write_bytes(french_ubl("BD-2026-0824"))
    assert folder.claim(inbox / "orphan.xml", work, new_batch_id()) is not None  # claimed, never recorded
    (inbox / "interrupted.xml").write_bytes(french_ubl("BD-2026-0825"))
    batch_id = new_batch_id()
    claimed = folder.claim(inbox / "interrupted.xml", work, batch_id)
    gateway.record_claim(batch_id, "interrupted.xml", claimed, "default", f"folder:{inbox}")  # recorded, not decided
    recovers = _count_calls(gateway, "recover")

    with _watching(gateway, rescan_seconds=0.5):
        batches = _wait_done(gateway_dirs, 6)
        _wait_for(lambda: len(recovers) >= 3, "two rescans after the start")  # would anything be taken again?

    batches = _done(gateway_dirs, 6)
    assert batches is not None, "a file was processed twice"
    assert sorted(b["file_name"] for b in batches) == [
        "a.xml", "b.xml", "before.xml", "c.xml", "interrupted.xml", "orphan.xml"]
    assert all(b["accepted_count"] == 1 and b["depositor"] == "default" for b in batches)
    for number in range(820, 826):
        assert _accepted(gateway_dirs, f"BD-2026-0{number}") == 1
    assert _files(inbox) == [] and _files(gateway_dirs["root"] / "work") == []
    assert all(_archived(gateway_dirs, b).exists() for b in batches)


def test_a_bad_file_is_quarantined_and_a_good_one_beside_it_accepted(gateway_dirs):
    inbox = gateway_dirs["inbox"]
    with _watching(_gateway(gateway_dirs)):
        (inbox / "junk.xml").write_bytes(b"\x00\x01binary junk")
        (inbox / "good.xml").write_bytes(french_ubl("BD-2026-0830"))
        batches = {b["file_name"]: b for b in _wait_done(gateway_dirs, 2)}
        (inbox / "later.xml").write_bytes(french_ubl("BD-2026-0831"))  # the watcher goes on
        later = _wait_done(gateway_dirs, 3)[-1]

    junk, good = batches["junk.xml"], batches["good.xml"]
    assert (junk["reason_code"], junk["flow_status"]) == ("IRR_TYPE", "IN_REJETE")
    quarantined = gateway_dirs["root"] / "quarantine" / f"{junk['id']}__junk.xml"
    assert quarantined.read_bytes() == b"\x00\x01binary junk"
    assert quarantined.with_name(quarantined.name + ".reason.txt").read_text().startswith("IRR_TYPE")
    assert (good["flow_status"], good["accepted_count"]) == ("IN_INTEGRE", 1)
    assert _archived(gateway_dirs, good).exists()
    assert (later["file_name"], later["accepted_count"]) == ("later.xml", 1)


def test_an_infrastructure_fault_is_logged_and_the_file_taken_again_at_the_next_rescan(gateway_dirs, caplog):
    gateway = _gateway(gateway_dirs)
    inbox = gateway_dirs["inbox"]
    process_file, complete, raised = gateway.process_file, gateway.complete, []

    def failing_process_file(path, *args, **kwargs):  # fails once, before anything is moved
        if path.name == "before-claim.xml" and "disk" not in raised:
            raised.append("disk")
            raise OSError("disk full")
        return process_file(path, *args, **kwargs)

    def failing_complete(batch, work_path):  # fails once, when the file is claimed and its batch recorded
        if batch.file_name == "after-claim.xml" and "ledger" not in raised:
            raised.append("ledger")
            raise RuntimeError("ledger went away")
        return complete(batch, work_path)

    gateway.process_file, gateway.complete = failing_process_file, failing_complete
    caplog.set_level(logging.ERROR, logger="edi_gateway.intake.watcher")

    with _watching(gateway, rescan_seconds=1.5):
        (inbox / "before-claim.xml").write_bytes(french_ubl("BD-2026-0840"))
        (inbox / "after-claim.xml").write_bytes(french_ubl("BD-2026-0841"))
        batches = {b["file_name"]: b for b in _wait_done(gateway_dirs, 2)}

    assert sorted(raised) == ["disk", "ledger"], "both faults happened"
    assert all(b["accepted_count"] == 1 for b in batches.values()) and set(batches) == {
        "before-claim.xml", "after-claim.xml"}
    failures = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
    assert sorted(type(r.exc_info[1]).__name__ for r in failures) == ["OSError", "RuntimeError"]
    assert _accepted(gateway_dirs, "BD-2026-0840") == 1 and _accepted(gateway_dirs, "BD-2026-0841") == 1
    assert _files(inbox) == [] and _files(gateway_dirs["root"] / "work") == []


def test_folders_and_depositors_that_appear_while_running_are_watched(gateway_dirs, caplog):
    from edi_gateway.ledger.depositors import add_depositor, attach

    gateway = _gateway(gateway_dirs, extra='[sources.later]\ntype = "folder"\ndepositor = "default"\npath = "later"\n')
    caplog.set_level(logging.WARNING, logger="edi_gateway.intake.watcher")
    with _watching(gateway, rescan_seconds=0.5):
        assert any("later does not exist" in r.getMessage() for r in caplog.records)
        later = gateway_dirs["root"] / "later"
        later.mkdir()
        (later / "late.xml").write_bytes(french_ubl("BD-2026-0850"))
        [batch] = _wait_done(gateway_dirs, 1)
        assert (batch["file_name"], batch["accepted_count"]) == ("late.xml", 1)

        add_depositor(gateway.ledger, "newcomer", name="Registered while running")
        attach(gateway.ledger, "newcomer", SUPPLIER_SIRET)
        (gateway_dirs["inbox"] / "newcomer").mkdir()
        (gateway_dirs["inbox"] / "newcomer" / "first.xml").write_bytes(french_ubl("BD-2026-0851"))
        batch = _wait_done(gateway_dirs, 2)[-1]

    assert (batch["depositor"], batch["file_name"], batch["accepted_count"]) == ("newcomer", "first.xml", 1)


@pytest.mark.parametrize("how", ["removed", "renamed away"])
def test_a_folder_removed_and_made_again_is_watched_again(gateway_dirs, caplog, how):
    """Driven step by step on a clock of its own: no rescan happens after the new folder is watched, so only its
    events can make the file known. (On ext4 a folder made again often gets the inode number of the removed one.)"""
    drop = gateway_dirs["root"] / "drop"
    drop.mkdir()
    gateway = _gateway(gateway_dirs, extra='[sources.drop]\ntype = "folder"\ndepositor = "default"\npath = "drop"\n')
    clock = [1000.0]
    watcher = FolderWatcher(gateway, rescan_seconds=30.0, min_settle_seconds=1.0, clock=lambda: clock[0])
    caplog.set_level(logging.WARNING, logger="edi_gateway.intake.watcher")

    def rescanned() -> bool:  # a rescan, until one notices that the old watch is dead
        clock[0] += 31
        assert watcher.step() == []
        return any(f"{drop} was removed and made again" in r.getMessage() for r in caplog.records)

    try:
        watcher.start()
        drop.rmdir() if how == "removed" else drop.rename(drop.with_name("old-drop"))
        drop.mkdir()
        _wait_for(rescanned, "a rescan to notice", 5)
        (drop / "x.xml").write_bytes(french_ubl("BD-2026-0855"))
        _wait_for(lambda: watcher.step() == [] and drop / "x.xml" in watcher.tracked(), "an event about x.xml", 5)
        clock[0] += 1.5  # settled; still 28.5 s before the next rescan
        [result] = watcher.step()
    finally:
        watcher.close()

    assert (result.file_name, result.accepted) == ("x.xml", 1)


def test_a_source_folder_that_is_a_symbolic_link_is_watched(gateway_dirs):
    """Step by step on a clock of its own, with no rescan after the start: only events can make the file known."""
    real = gateway_dirs["root"] / "data" / "drop"
    real.mkdir(parents=True)
    (gateway_dirs["root"] / "drop").symlink_to(real, target_is_directory=True)
    gateway = _gateway(gateway_dirs, extra='[sources.drop]\ntype = "folder"\ndepositor = "default"\npath = "drop"\n')
    clock = [1000.0]
    watcher = FolderWatcher(gateway, rescan_seconds=30.0, min_settle_seconds=1.0, clock=lambda: clock[0])
    try:
        watcher.start()
        (real / "linked.xml").write_bytes(french_ubl("BD-2026-0856"))
        _wait_for(lambda: watcher.step() == [] and watcher.tracked(), "an event about linked.xml", 5)
        clock[0] += 1.5
        [result] = watcher.step()
    finally:
        watcher.close()

    assert (result.file_name, result.accepted) == ("linked.xml", 1)
    assert list(real.iterdir()) == []


def test_stop_ends_run_promptly_and_between_two_files(gateway_dirs):
    inbox = gateway_dirs["inbox"]
    for age, name in enumerate(["newest.xml", "middle.xml", "oldest.xml"]):
        path = inbox / name
        path.write_bytes(french_ubl(f"BD-2026-086{age}"))
        os.utime(path, (time.time() - 60 * (age + 1),) * 2)
    gateway = _gateway(gateway_dirs)
    stop = threading.Event()
    gateway.on_result = lambda result: stop.set()  # asked to stop while the first batch is in hand
    watcher = FolderWatcher(gateway, poll_seconds=0.5)
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)

    thread.start()
    thread.join(TIMEOUT)

    assert not thread.is_alive(), "run() did not return once stop was set"
    [batch] = _done(gateway_dirs, 1) or pytest.fail(f"expected one finished batch: {_batches(gateway_dirs)!r}")
    assert batch["file_name"] == "oldest.xml", "oldest first"
    assert sorted(p.name for p in inbox.iterdir()) == ["middle.xml", "newest.xml"], "stopped between two files"

    idle = FolderWatcher(gateway, poll_seconds=0.5)
    stop = threading.Event()
    thread = threading.Thread(target=idle.run, args=(stop,), daemon=True)
    thread.start()
    _wait_for(idle.started.is_set, "the idle watcher to start")
    asked = time.monotonic()
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - asked < 2.0


def test_the_gateway_stopping_ends_run_too(gateway_dirs):
    gateway = _gateway(gateway_dirs)
    watcher = FolderWatcher(gateway, poll_seconds=0.2)
    thread = threading.Thread(target=watcher.run, args=(threading.Event(),), daemon=True)
    thread.start()
    _wait_for(watcher.started.is_set, "the watcher to start")

    gateway.stopping.set()  # SIGTERM
    thread.join(5)

    assert not thread.is_alive()


def test_the_watch_command_takes_files_as_they_come_and_stops_on_sigterm(gateway_dirs):
    inbox = gateway_dirs["inbox"]
    config = gateway_dirs["root"] / "gateway.toml"
    config.write_text("[gateway]\nsettle_seconds = 0.5\n")
    (inbox / "waiting.xml").write_bytes(french_ubl("BD-2026-0870"))  # arrived while the gateway was down
    command = [sys.executable, "-m", "edi_gateway.cli", "watch", "--inbox", str(inbox), "--outbox",
               str(gateway_dirs["outbox"]), "--db", gateway_dirs["db"], "--config", str(config)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_done(gateway_dirs, 1)
        (inbox / "new.xml").write_bytes(french_ubl("BD-2026-0871"))
        batches = _wait_done(gateway_dirs, 2)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
    finally:
        process.kill()
    log = process.stderr.read()

    assert code == 0, log
    assert [(b["file_name"], b["accepted_count"]) for b in batches] == [("waiting.xml", 1), ("new.xml", 1)]
    assert f"watching folder {inbox} for depositor default" in log
    assert "SIGTERM received" in log and "Traceback" not in log


def _count_calls(gateway: Gateway, name: str) -> list:
    """Record each call of one of the gateway's methods (still calling it)."""
    calls, method = [], getattr(gateway, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return method(*args, **kwargs)

    setattr(gateway, name, counted)
    return calls
