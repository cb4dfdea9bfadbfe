"""Intake as an operator runs it: the configuration, `run` / `serve` as real processes, crashes and stops.

The gateway runs here as a separate `edi-gateway` process, killed with SIGKILL in the middle of a lot or stopped
with SIGTERM, and the ledger and folders are checked afterwards: every invoice of a lot ends with exactly one
decision and one set of reports, whatever the moment of the crash.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from edi_gateway.config import ScheduledJob, load_settings
from edi_gateway.errors import ConfigError
from edi_gateway.ledger import Ledger
from edi_gateway.ledger.locks import JobLock, LockHeld, last_started, owner_is_gone, PROCESS
from edi_gateway.ledger.models import BatchRow, InvoiceRow, StatusEventRow
from edi_gateway.pipeline import Gateway
from edi_gateway.scheduling.service import missed_run, run_job, trigger_of

from .factories import french_ubl, zip_lot

CLI = [sys.executable, "-m", "edi_gateway.cli"]
LOT_SIZE = 600  # invoices in the lot the gateway is killed in the middle of


def gateway_command(command: str, dirs: dict, *extra: str) -> list[str]:
    return [*CLI, command, "--inbox", str(dirs["inbox"]), "--outbox", str(dirs["outbox"]), "--db", dirs["db"],
            *extra]


def wait_for(condition, timeout: float, what: str, interval: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


# -- configuration ----------------------------------------------------------------------------------------------
def write_config(folder: Path, text: str) -> Path:
    path = folder / "gateway.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_check_accepts_the_sample_configuration():
    done = subprocess.run([*CLI, "config", "check", "--config", "samples/gateway.toml"], capture_output=True,
                          text=True, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert "configuration OK" in done.stdout
    assert "job nightly" in done.stdout and "lemoine-erp" in done.stdout


def test_config_check_lists_every_problem_with_its_place(tmp_path):
    config = write_config(tmp_path, """
[gateway]
settle_seconds = -1
colour = "blue"
[sources.martin]
type = "sftp"
host = "sftp.example"
password = "written in clear"
after = "move"
[sources.other]
type = "ftp"
[schedule.jobs.nightly]
cron = "0 25 * * *"
[schedule.jobs.hourly]
cron = "0 * * * *"
sources = ["nowhere"]
""")
    done = subprocess.run([*CLI, "config", "check", "--config", str(config)], capture_output=True, text=True)
    assert done.returncode == 2
    for expected in ("[gateway]: unknown key(s) ['colour']", "[gateway]: settle_seconds = -1",
                     "[sources.martin]: user is required", "a password is never written in the file",
                     "[sources.martin]: after = 'move'", "[sources.other]: type = 'ftp'",
                     "[schedule.jobs.nightly]: cron = '0 25 * * *' is not a cron expression",
                     "[schedule.jobs.hourly]: source 'nowhere' is not defined"):
        assert expected in done.stderr, (expected, done.stderr)


def test_config_check_reports_what_the_running_gateway_would_trip_over(tmp_path, monkeypatch):
    monkeypatch.delenv("EDI_TEST_SFTP_PASSWORD", raising=False)
    config = write_config(tmp_path, """
[sources.martin]
type = "sftp"
host = "127.0.0.1"
user = "chorus"
key_file = "keys/missing"
password_env = "EDI_TEST_SFTP_PASSWORD"
known_hosts = "known_hosts"
""")
    done = subprocess.run([*CLI, "config", "check", "--config", str(config)], capture_output=True, text=True)
    assert done.returncode == 2
    assert f"key_file {tmp_path / 'keys' / 'missing'} does not exist" in done.stderr
    assert "password_env names EDI_TEST_SFTP_PASSWORD, which is not set" in done.stderr
    assert "known_hosts file" in done.stderr and "trust_first_use is false" in done.stderr


def test_file_paths_are_relative_to_the_file_and_options_to_the_current_folder(tmp_path, monkeypatch):
    config = write_config(tmp_path, """
[gateway]
inbox = "in"
outbox = "out"
database = "sqlite:///state/ledger.sqlite3"
[sources.erp]
type = "folder"
path = "erp"
depositor = "lemoine"
markers = [".done"]
""")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(config)
    assert settings.inbox == tmp_path / "in" and settings.outbox == tmp_path / "out"
    assert settings.database == f"sqlite:///{tmp_path / 'state' / 'ledger.sqlite3'}"
    assert settings.folders[0].path == tmp_path / "erp" and settings.folders[0].markers == (".done",)
    overridden = load_settings(config, inbox=Path("mine"), database="sqlite:///here.sqlite3")
    assert overridden.inbox == elsewhere / "mine"
    assert overridden.database == f"sqlite:///{elsewhere / 'here.sqlite3'}"
    assert overridden.outbox == tmp_path / "out"


def test_the_configuration_error_names_every_problem_not_only_the_first(tmp_path):
    config = write_config(tmp_path, "[limits]\nmax_file_bytes = 0\n[rules]\n\"BR-99\" = \"fatal\"\n")
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    assert "max_file_bytes = 0" in str(raised.value) and "unknown rule 'BR-99'" in str(raised.value)


# -- job leases and missed runs -------------------------------------------------------------------------------
def test_a_job_lease_is_held_by_one_process_at_a_time(gateway_dirs):
    ledger = Ledger(gateway_dirs["db"])
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from edi_gateway.ledger import Ledger\n"
        "from edi_gateway.ledger.locks import JobLock\n"
        f"with JobLock(Ledger({gateway_dirs['db']!r}), 'job:nightly'):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.readline()\n")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld, match="job 'job:nightly' is running in"):
            JobLock(ledger, "job:nightly").acquire()
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()
    with JobLock(ledger, "job:nightly"):
        pass
    assert last_started(ledger, "job:nightly") is not None


def test_a_lease_whose_holder_died_is_taken_over_once_it_runs_out(gateway_dirs):
    ledger = Ledger(gateway_dirs["db"])
    dead = JobLock(ledger, "job:sweep", lease_seconds=0.5, holder="elsewhere/1/1")
    dead._take()  # a holder that never renews nor releases: killed
    with pytest.raises(LockHeld):
        JobLock(ledger, "job:sweep").acquire()
    time.sleep(0.6)
    with JobLock(ledger, "job:sweep"):
        with pytest.raises(LockHeld):
            JobLock(ledger, "job:sweep", holder="another/2/2").acquire()


def test_a_live_lease_is_renewed_while_its_job_runs(gateway_dirs):
    ledger = Ledger(gateway_dirs["db"])
    with JobLock(ledger, "job:long", lease_seconds=0.6):
        time.sleep(1.5)  # longer than the lease: only renewals keep it
        with pytest.raises(LockHeld):
            JobLock(ledger, "job:long", holder="another/2/2").acquire()


def test_a_run_missed_while_down_is_made_within_its_grace_only():
    job = ScheduledJob("nightly", "0 2 * * *", misfire_grace_seconds=3600)
    trigger = trigger_of(job, "Europe/Paris")
    due = datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc)  # 02:00 in Paris (UTC+1 in November)
    assert missed_run(job, trigger, None, due + timedelta(minutes=30)) == due
    assert missed_run(job, trigger, due - timedelta(days=1), due + timedelta(minutes=59)) == due
    assert missed_run(job, trigger, due + timedelta(seconds=5), due + timedelta(minutes=30)) is None  # it ran
    assert missed_run(job, trigger, None, due + timedelta(minutes=61)) is None  # beyond the grace
    assert missed_run(job, trigger, None, due - timedelta(minutes=1)) is None  # not yet due


def test_batch_owners_tell_a_live_process_from_a_dead_one():
    assert not owner_is_gone(PROCESS)
    finished = subprocess.run([sys.executable, "-c", "from edi_gateway.ledger.locks import PROCESS; print(PROCESS)"],
                              capture_output=True, text=True, check=True).stdout.strip()
    assert owner_is_gone(finished)
    assert owner_is_gone(None)
    assert not owner_is_gone("another-host.example/1/1")  # left to that host


# -- a lot, and the gateway killed in the middle of it --------------------------------------------------------
def deposit_lot(inbox: Path, size: int = LOT_SIZE) -> dict[str, bytes]:
    """A ZIP lot of `size` invoices (every seventh with a wrong total, so rejected) and three single files."""
    members = {f"BD-2026-{n:04d}.xml": french_ubl(f"BD-2026-{n:04d}",
                                                   payable_delta=Decimal("1.00") if n % 7 == 0 else Decimal(0))
               for n in range(1, size + 1)}
    files = {"lot.zip": zip_lot(members)}
    files |= {f"single-{n}.xml": french_ubl(f"BD-2026-S{n}") for n in range(1, 4)}
    for name, data in files.items():
        (inbox / name).write_bytes(data)
    return files


def lot_state(ledger: Ledger) -> tuple[str | None, int]:
    """The lot's batch state (None before its row exists) and the invoices delivered so far."""
    with ledger.session() as session:
        batch = session.scalars(select(BatchRow).where(BatchRow.file_name == "lot.zip")).first()
        if batch is None:
            return None, 0
        routed = session.scalar(select(func.count()).select_from(InvoiceRow).where(
            InvoiceRow.batch_id == batch.id, InvoiceRow.routed_path.is_not(None)))
        return batch.state, routed


KILL_POINTS = {
    # the lot is claimed and being read and checked: no decision committed yet
    "deciding": lambda state, routed: state == "CLAIMED",
    # its decisions are committed, its invoices being delivered to their recipients' folders
    "delivering": lambda state, routed: state == "DECIDED" and 0 < routed,
    # delivered, the reports and returns being written, the original not yet archived
    "reporting": lambda state, routed: state == "DECIDED" and routed == LOT_SIZE - LOT_SIZE // 7,
}


@pytest.mark.parametrize("kill_point", list(KILL_POINTS))
def test_a_gateway_killed_in_the_middle_of_a_lot_ends_it_exactly_once_after_a_restart(gateway_dirs, kill_point):
    files = deposit_lot(gateway_dirs["inbox"])
    ledger = Ledger(gateway_dirs["db"])
    process = subprocess.Popen(gateway_command("run", gateway_dirs), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        wait_for(lambda: KILL_POINTS[kill_point](*lot_state(ledger)) or process.poll() is not None, 240,
                 f"the lot to reach the {kill_point} step")
        assert process.poll() is None, f"the run ended before the {kill_point} step: {process.stderr.read()}"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert lot_state(ledger)[0] != "DONE", "killed too late: the lot was finished"

    restart = subprocess.run(gateway_command("run", gateway_dirs, "--json"), capture_output=True, text=True,
                             timeout=600)
    assert restart.returncode == 0, restart.stderr
    assert "resuming batch" in restart.stderr

    assert_every_file_ended_exactly_once(gateway_dirs, ledger, files)


def assert_every_file_ended_exactly_once(dirs: dict, ledger: Ledger, files: dict[str, bytes]) -> None:
    with ledger.session() as session:
        batches = session.scalars(select(BatchRow)).all()
        assert sorted(b.file_name for b in batches) == sorted(files), "each deposited file is one batch"
        assert all(b.state == "DONE" and b.duplicate_of is None for b in batches)
        lot = next(b for b in batches if b.file_name == "lot.zip")
        rows = session.scalars(select(InvoiceRow).where(InvoiceRow.batch_id == lot.id)).all()
        assert sorted(r.position for r in rows) == list(range(1, LOT_SIZE + 1)), "one decision per invoice"
        numbers = Counter(r.number for r in session.scalars(select(InvoiceRow)))
        assert set(numbers.values()) == {1}
        accepted = [r for r in rows if r.decision == "accepted"]
        assert len(accepted) == LOT_SIZE - LOT_SIZE // 7 == lot.accepted_count
        events = Counter((e.invoice_id, e.code) for e in session.scalars(select(StatusEventRow)))
        assert all(events[(r.id, "200")] == 1 and events[(r.id, "203")] == 1 for r in accepted)
        assert all(events[(r.id, "213")] == 1 for r in rows if r.decision == "rejected")
        routed_paths = [r.routed_path for r in accepted]
        assert len(set(routed_paths)) == len(accepted)
    outbox = dirs["outbox"]
    delivered = [p for p in (outbox / "routed").rglob("*.xml")]
    assert sorted(p.relative_to(outbox).as_posix() for p in delivered
                  if p.name.startswith(lot.id)) == sorted(routed_paths), "one delivered file per accepted invoice"
    report_folders = sorted(p.name for p in (outbox / "reports").iterdir())
    assert report_folders == sorted(b.id for b in batches), "one set of reports per batch"
    acceptance = (outbox / "reports" / lot.id / "acceptance.csv").read_text(encoding="utf-8").splitlines()
    assert len(acceptance) - 1 == len(accepted)
    assert sorted((outbox / "manifests").iterdir()) == sorted(outbox / "manifests" / f"{b.id}.json"
                                                              for b in batches)
    assert list(dirs["inbox"].iterdir()) == []
    work = dirs["root"] / "work"
    assert [p for p in work.rglob("*") if p.is_file()] == [], "nothing left in work/"
    archived = sorted(p.name.partition("__")[2] for p in (dirs["root"] / "archive").rglob("*") if p.is_file())
    assert archived == sorted(files)


# -- serve: scheduled sweeps, a missed run made at start, SIGTERM -----------------------------------------------
def serve_config(folder: Path, minutes_ago: int = 2) -> Path:
    """A job due `minutes_ago` minutes ago (each hour), with an hour's grace: missed, so made at start."""
    due = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return write_config(folder, f"""
[schedule]
timezone = "UTC"
[schedule.jobs.sweep]
cron = "{due.minute} * * * *"
sources = ["inbox"]
misfire_grace_seconds = 3600
""")


def test_serve_makes_a_missed_run_at_start_and_stops_cleanly_on_sigterm(gateway_dirs):
    for n in range(1, 31):
        (gateway_dirs["inbox"] / f"facture-{n:02d}.zip").write_bytes(
            zip_lot({f"F-{n:02d}-{i:03d}.xml": french_ubl(f"F-{n:02d}-{i:03d}") for i in range(40)}))
    config = serve_config(gateway_dirs["root"])
    ledger = Ledger(gateway_dirs["db"])
    process = subprocess.Popen(gateway_command("serve", gateway_dirs, "--config", str(config), "--no-watch"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: _done_batches(ledger) >= 1, 120, "the missed run to process a first file")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0
    finally:
        process.kill()
    log = process.stderr.read()
    assert "was missed while the gateway was down; running it now" in log
    assert "SIGTERM received: finishing the batch in hand" in log and "stopped" in log
    with ledger.session() as session:
        states = Counter(session.scalars(select(BatchRow.state)))
    assert set(states) == {"DONE"}, f"the batch in hand was finished, none left half done: {states}"
    waiting = sorted(p.name for p in gateway_dirs["inbox"].iterdir())
    assert 0 < len(waiting) < 30, "stopped between two files, the rest left waiting"
    assert states["DONE"] + len(waiting) == 30

    # Started again: the job ran since its due time, so no second run is made; the files wait for the next one.
    again = subprocess.Popen(gateway_command("serve", gateway_dirs, "--config", str(config), "--no-watch"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=60) == 0
    finally:
        again.kill()
    assert "running it now" not in again.stderr.read()
    assert sorted(p.name for p in gateway_dirs["inbox"].iterdir()) == waiting
    assert last_started(ledger, "job:sweep") is not None


def _done_batches(ledger: Ledger) -> int:
    with ledger.session() as session:
        return session.scalar(select(func.count()).select_from(BatchRow).where(BatchRow.state == "DONE"))


def test_a_scheduled_run_is_skipped_while_another_process_holds_the_job(gateway_dirs, caplog):
    (gateway_dirs["inbox"] / "facture.xml").write_bytes(french_ubl())
    settings = load_settings(serve_config(gateway_dirs["root"]), inbox=gateway_dirs["inbox"],
                             outbox=gateway_dirs["outbox"], database=gateway_dirs["db"])
    gateway = Gateway(settings, Ledger(settings.database))
    job = settings.jobs[0]
    with JobLock(gateway.ledger, "job:sweep", holder="other-host.example/42/42"):
        assert run_job(gateway, job) is None
    assert "job sweep skipped: job 'job:sweep' is running in other-host.example/42/42" in caplog.text
    assert (gateway_dirs["inbox"] / "facture.xml").exists(), "the skipped run took nothing"
    results = run_job(gateway, job)
    assert [r.file_name for r in results] == ["facture.xml"]


# -- progress ---------------------------------------------------------------------------------------------------
def test_run_logs_a_plain_line_per_batch_when_not_on_a_terminal(gateway_dirs):
    (gateway_dirs["inbox"] / "facture.xml").write_bytes(french_ubl())
    (gateway_dirs["inbox"] / "broken.xml").write_bytes(b"<Invoice>not closed")
    done = subprocess.run(gateway_command("run", gateway_dirs), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "edi_gateway.batches" in line]
    assert len(lines) == 2
    assert any("[default] facture.xml: IN_INTEGRE, 1 invoice(s), 1 accepted, 0 rejected" in line for line in lines)
    assert any("broken.xml: IN_REJETE (IRR_SYNTAX)" in line for line in lines)
    assert "\x1b[" not in done.stderr, "no terminal codes in a log"


def test_run_shows_a_progress_bar_on_a_terminal(gateway_dirs):
    for n in range(1, 4):
        (gateway_dirs["inbox"] / f"facture-{n}.xml").write_bytes(french_ubl(f"BD-2026-T{n}"))
    controller, terminal = pty.openpty()
    process = subprocess.Popen(gateway_command("run", gateway_dirs), stdout=subprocess.DEVNULL, stderr=terminal,
                               env={**os.environ, "COLUMNS": "120", "TERM": "xterm"})
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=120) == 0
    os.close(controller)
    text = output.decode("utf-8", "replace")
    assert "invoice(s)" in text and "/3" in text, text  # the bar's counters: files done of 3, invoices so far
    assert "edi_gateway.batches" not in text


def test_config_check_connect_warns_about_sources_of_unregistered_depositors(gateway_dirs):
    config = write_config(gateway_dirs["root"], f"""
[gateway]
inbox = "{gateway_dirs['inbox']}"
database = "{gateway_dirs['db']}"
[sources.erp]
type = "folder"
path = "{gateway_dirs['inbox']}"
depositor = "nobody-registered"
""")
    done = subprocess.run([*CLI, "config", "check", "--config", str(config), "--connect"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert "[sources.erp]: depositor 'nobody-registered' is not an active registered depositor" in done.stderr
    assert "[gateway] depositor" not in done.stderr  # "default" is registered by prepare_ledger


def test_an_unreachable_sftp_account_does_not_stop_the_other_sources(gateway_dirs, tmp_path):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key = tmp_path / "id_ed25519"
    key.write_text("not used: the connection is refused first\n")
    config = write_config(gateway_dirs["root"], f"""
[sources.down]
type = "sftp"
depositor = "default"
host = "127.0.0.1"
port = {port}
user = "chorus"
key_file = "{key}"
trust_first_use = true
known_hosts = "{tmp_path / 'known_hosts'}"
retries = 1
backoff_seconds = 0.1
timeout_seconds = 2
""")
    (gateway_dirs["inbox"] / "facture.xml").write_bytes(french_ubl())
    done = subprocess.run(gateway_command("run", gateway_dirs, "--config", str(config), "--json"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "source not collected: down:" in done.stderr
    assert [r["file"] for r in json.loads(done.stdout)] == ["facture.xml"]
