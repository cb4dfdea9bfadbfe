"""Faults: the gateway killed at random points of a lot, two gateways on one inbox, the database down, the disk full.

Real parts only: `edi-gateway run` as a separate process killed with SIGKILL, two such processes at once, the
test session's own PostgreSQL server stopped (`pg_ctl stop -m immediate`, a crash of the server) and started
again, and a real small file system (tmpfs) that fills up under the outbox. After each fault the ledger and the
folders are checked: every deposited file is one batch, every invoice one decision, every accepted invoice one
delivered file, every batch one complete set of reports, and no file was filed away before its decision.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from edi_gateway.config import load_settings
from edi_gateway.ledger import Ledger
from edi_gateway.ledger.models import BatchRow, InvoiceRow, StatusEventRow
from edi_gateway.pipeline import Gateway

from . import postgres
from .conftest import prepare_ledger
from .factories import french_ubl, zip_lot
from .test_intake import gateway_command, wait_for

SEED = 20260915
DB_PASSWORD = "n0t-in-any-log"  # the test server trusts 127.0.0.1: the password is ignored, only carried


# -- a generated lot and what it must give ----------------------------------------------------------------------
def deposit(inbox: Path, files: dict[str, bytes]) -> None:
    """Write the files in order, a second apart in modification time: the gateway takes the oldest first."""
    start = time.time() - len(files) - 10
    for index, (name, data) in enumerate(files.items()):
        path = inbox / name
        path.write_bytes(data)
        os.utime(path, (start + index, start + index))


def invoice(number: str, rejected: bool) -> bytes:
    """A French B2G invoice, accepted, or rejected for a wrong total (BR-CO-15)."""
    return french_ubl(number, payable_delta=Decimal("1.00") if rejected else Decimal(0))


def generated_lot(prefix: str, lot_size: int, singles: int, rejected_every: int = 5, junk: bool = True
                  ) -> tuple[dict[str, bytes], dict[str, tuple[int, int]]]:
    """Single invoices around a ZIP lot of `lot_size` (every `rejected_every`-th invoice rejected), and a file that
    is no invoice at all. Returns the files in deposit order, and per file (invoices, accepted)."""
    files, expected = {}, {}
    half = singles // 2
    for n in range(1, singles + 1):
        name = f"{prefix}-facture-{n:03d}.xml"
        rejected = n % 4 == 0
        files[name] = invoice(f"{prefix}-S-{n:03d}", rejected)
        expected[name] = (1, 0 if rejected else 1)
        if n == half:
            members = {f"{prefix}-L-{i:04d}.xml": invoice(f"{prefix}-L-{i:04d}", i % rejected_every == 0)
                       for i in range(1, lot_size + 1)}
            files[f"{prefix}-lot.zip"] = zip_lot(members)
            expected[f"{prefix}-lot.zip"] = (lot_size, lot_size - lot_size // rejected_every)
    if junk:
        files[f"{prefix}-illisible.xml"] = b"\x00\x01 not an invoice at all"
        expected[f"{prefix}-illisible.xml"] = (0, 0)
    return files, expected


def assert_every_invoice_decided_exactly_once(dirs: dict, expected: dict[str, tuple[int, int]]) -> None:
    """The ledger and the folders after the faults: as if every file had been processed once, without a fault."""
    ledger = Ledger(dirs["db"])
    try:
        with ledger.session() as session:
            batches = session.scalars(select(BatchRow)).all()
            invoices = session.scalars(select(InvoiceRow)).all()
            events = Counter((event.invoice_id, event.code) for event in session.scalars(select(StatusEventRow)))
    finally:
        ledger.engine.dispose()
    assert sorted(batch.file_name for batch in batches) == sorted(expected), "each deposited file is one batch"
    assert all(batch.state == "DONE" and batch.duplicate_of is None for batch in batches), \
        [(batch.file_name, batch.state, batch.duplicate_of) for batch in batches if batch.state != "DONE"]
    assert len({(row.batch_id, row.position) for row in invoices}) == len(invoices), "one row per (batch, position)"
    by_batch = Counter(row.batch_id for row in invoices)
    for batch in batches:
        count, accepted = expected[batch.file_name]
        positions = sorted(row.position for row in invoices if row.batch_id == batch.id)
        assert positions == list(range(1, count + 1)), f"{batch.file_name}: one decision per invoice"
        assert (batch.invoice_count or 0, batch.accepted_count or 0) == (count, accepted), batch.file_name
        assert by_batch[batch.id] == count
    accepted_rows = [row for row in invoices if row.decision == "accepted"]
    assert len(accepted_rows) == sum(accepted for _count, accepted in expected.values())
    assert len({row.number for row in invoices}) == len(invoices), "no invoice number recorded twice"
    assert all(events[(row.id, "200")] == 1 and events[(row.id, "203")] == 1 for row in accepted_rows)
    assert all(events[(row.id, "213")] == 1 for row in invoices if row.decision == "rejected")
    assert sum(events.values()) == len(invoices) + len(accepted_rows), "no status event twice"

    outbox, root = dirs["outbox"], dirs["root"]
    delivered = sorted(path.relative_to(outbox).as_posix() for path in (outbox / "routed").rglob("*.xml"))
    assert delivered == sorted(row.routed_path for row in accepted_rows), "one delivered file per accepted invoice"
    assert sorted(path.name for path in (outbox / "reports").iterdir()) == sorted(batch.id for batch in batches)
    for batch in batches:
        count, accepted = expected[batch.file_name]
        reports = outbox / "reports" / batch.id
        acceptance = json.loads((reports / "acceptance.json").read_text(encoding="utf-8"))["invoices"]
        rejection = json.loads((reports / "rejection.json").read_text(encoding="utf-8"))["invoices"]
        assert (len(acceptance), len(rejection)) == (accepted, count - accepted), f"{batch.file_name}: reports"
        assert (reports / "report.html").stat().st_size > 0
        returns = outbox / "returns" / batch.depositor / batch.id
        status = (returns / "status.csv").read_text(encoding="utf-8").splitlines()
        assert len(status) - 1 == count, f"{batch.file_name}: one status row per invoice"
        assert len(list((returns / "cdar").iterdir())) == 1 + count + accepted, "one CDAR per status, and the flow"
        assert (outbox / "manifests" / f"{batch.id}.json").is_file() == bool(count), "a manifest if readable"
    filed = sorted(path.name.partition("__")[2] for folder in ("archive", "quarantine")
                   for path in (root / folder).rglob("*") if path.is_file() and not path.name.endswith(".reason.txt"))
    assert filed == sorted(expected), "every file filed away once"
    assert [path.name for path in dirs["inbox"].iterdir()] == [], "the inbox is empty"
    assert [path for path in (root / "work").rglob("*") if path.is_file()] == [], "nothing left in work/"
    stray = [path for folder in (outbox, root / "archive", root / "quarantine") for path in folder.rglob(".*")]
    assert stray == [], "no temporary file left behind"


# -- SIGKILL at random points of a lot, many times --------------------------------------------------------------
KILLS = 12


def timed_run(dirs: dict) -> float:
    started = time.monotonic()
    done = subprocess.run(gateway_command("run", dirs, "--workers", "1"), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started


def kill_point(dirs: dict) -> tuple:
    """Where the work stood when the gateway was killed: each batch's state, the invoices decided and delivered,
    the bytes staged for the decision in progress, and the files written in the outbox."""
    ledger = Ledger(dirs["db"], migrate=False)
    try:
        with ledger.session() as session:
            states = Counter(batch.state for batch in session.scalars(select(BatchRow)))
            rows = session.scalars(select(InvoiceRow)).all()
    finally:
        ledger.engine.dispose()
    staged = sum(path.stat().st_size for path in (dirs["root"] / "work" / ".staging").glob("*.bin"))
    written = sum(1 for path in dirs["outbox"].rglob("*") if path.is_file()) if dirs["outbox"].exists() else 0
    return tuple(sorted(states.items())), len(rows), sum(row.routed_path is not None for row in rows), staged, \
        written


def outbox_files(dirs: dict) -> int:
    return sum(1 for path in dirs["outbox"].rglob("*") if path.is_file()) if dirs["outbox"].exists() else 0


def kill_at_a_random_point(process: subprocess.Popen, dirs: dict, rng: random.Random, startup: float,
                           files_left_per_kill: int) -> bool:
    """SIGKILL the run at a random point: either after a random delay within its start (reading the ledger,
    resuming, claiming, deciding a lot), or once a random number (1 to `files_left_per_kill`) of new files have
    appeared in the outbox (delivering, reporting, writing returns), give or take a few milliseconds. False when
    the run ended first."""
    if rng.random() < 0.25:
        deadline, target = time.monotonic() + startup * rng.uniform(0.3, 1.0), None
    else:
        deadline, target = time.monotonic() + 120, outbox_files(dirs) + rng.randint(1, files_left_per_kill)
    while process.poll() is None and time.monotonic() < deadline and \
            (target is None or outbox_files(dirs) < target):
        time.sleep(0.005)
    time.sleep(rng.uniform(0, 0.03))
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


def test_sigkill_at_many_random_points_then_every_invoice_is_decided_exactly_once(tmp_path):
    """A lot of 80 invoices among single files (accepted and rejected) and an unreadable file; `edi-gateway run`
    is killed with SIGKILL at a random point, restarted, killed again, 12 times, then run to its end."""
    dirs = prepared_dirs(tmp_path / "killed")
    files, expected = generated_lot("KL", lot_size=80, singles=10)
    deposit(dirs["inbox"], files)
    # What a run does here: how long its start takes (an empty inbox), and how many files the lot gives.
    reference = prepared_dirs(tmp_path / "reference")
    startup = timed_run(reference)
    deposit(reference["inbox"], files)
    timed_run(reference)
    files_in_the_end = outbox_files(reference)
    rng = random.Random(SEED)

    interrupted, kill_points = 0, set()
    for kills_left in range(KILLS, 0, -1):
        # Spread the kills over what is left to write, whatever the machine's speed: a kill that waited for more
        # files than the lot still gives would find the run ended, and so would every run after the work is done.
        files_left = files_in_the_end - outbox_files(dirs)
        files_left_per_kill = max(files_left // (kills_left + 1), 1)
        process = subprocess.Popen(gateway_command("run", dirs, "--workers", "1"), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            if kill_at_a_random_point(process, dirs, rng, startup, files_left_per_kill):
                interrupted += 1
                kill_points.add(kill_point(dirs))
        finally:
            process.kill()
            process.wait()
        assert process.returncode in (0, -signal.SIGKILL), process.returncode
    final = subprocess.run(gateway_command("run", dirs, "--workers", "1"), capture_output=True, text=True,
                           timeout=300)
    assert final.returncode == 0, final.stderr

    print(f"run start {startup:.1f} s; {interrupted} of {KILLS} runs killed, at {len(kill_points)} different "
          f"points: {sorted(kill_points)}")
    assert interrupted >= KILLS // 2, f"only {interrupted} of {KILLS} runs were killed before their end"
    assert len(kill_points) >= 5, f"the kills fell at too few points: {sorted(kill_points)}"
    assert any(dict(states).get("DECIDED") for states, *_rest in kill_points), "no kill between decision and end"
    assert_every_invoice_decided_exactly_once(dirs, expected)


def prepared_dirs(root: Path, url: str | None = None) -> dict:
    """An inbox, an outbox, and a ledger (SQLite in `root`, or `url`) prepared as an operator leaves it."""
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    url = url or f"sqlite:///{root / 'ledger.sqlite3'}"
    prepare_ledger(url)
    return {"root": root, "inbox": inbox, "outbox": root / "outbox", "db": url}


# -- two gateways on the same inbox -------------------------------------------------------------------------------
def test_two_gateways_on_one_inbox_process_each_file_once(tmp_path, ledger_url):
    """40 files (single invoices, small lots, one unreadable file) and two `edi-gateway run` started together on
    the same inbox and ledger (SQLite, then PostgreSQL): each file is processed by one of them only."""
    dirs = prepared_dirs(tmp_path, ledger_url)
    files, expected = generated_lot("TG", lot_size=0, singles=36, junk=True)
    del files["TG-lot.zip"], expected["TG-lot.zip"]
    for n in range(1, 4):
        name = f"TG-petit-lot-{n}.zip"
        files[name] = zip_lot({f"TG-P{n}-{i}.xml": invoice(f"TG-P{n}-{i}", i == 3) for i in range(1, 6)})
        expected[name] = (5, 4)
    deposit(dirs["inbox"], files)

    command = gateway_command("run", dirs, "--workers", "1", "--json")
    gateways = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
    outputs = [gateway.communicate(timeout=300) for gateway in gateways]

    for gateway, (_out, err) in zip(gateways, outputs):
        assert gateway.returncode == 0, err
    taken = [[result["file"] for result in json.loads(out)] for out, _err in outputs]
    assert not set(taken[0]) & set(taken[1]), "no file processed by both gateways"
    assert sorted(taken[0] + taken[1]) == sorted(expected), "every file processed by one of them"
    assert taken[0] and taken[1], f"one gateway took every file: {[len(t) for t in taken]}"
    assert_every_invoice_decided_exactly_once(dirs, expected)



def test_a_file_claimed_by_the_other_gateway_while_the_inbox_is_listed_is_left_to_it(tmp_path, monkeypatch):
    """The race the two gateways above run into now and then, made certain: another gateway claims a file after
    this one listed the inbox and before it looked at the file. This gateway leaves that file to the other one
    and processes the rest; it does not stop on the missing file."""
    dirs = prepared_dirs(tmp_path)
    files = {f"RC-{n}.xml": invoice(f"RC-{n}", rejected=False) for n in range(1, 4)}
    deposit(dirs["inbox"], files)
    other_gateway_work = tmp_path / "other-gateway-work"
    other_gateway_work.mkdir()
    real_scandir = os.scandir

    def scandir_then_the_other_gateway_claims(path):
        if Path(path) != dirs["inbox"] or not (dirs["inbox"] / "RC-2.xml").exists():
            return real_scandir(path)
        entries = list(real_scandir(path))  # listed, file types known; their stat is read next
        os.rename(dirs["inbox"] / "RC-2.xml", other_gateway_work / "RC-2.xml")
        return iter(entries)

    monkeypatch.setattr(os, "scandir", scandir_then_the_other_gateway_claims)
    settings = load_settings(None, inbox=dirs["inbox"], outbox=dirs["outbox"], database=dirs["db"])
    results = Gateway(settings, Ledger(settings.database)).run_once()
    monkeypatch.undo()

    assert sorted(result.file_name for result in results) == ["RC-1.xml", "RC-3.xml"]
    assert [(result.invoices, result.accepted) for result in results] == [(1, 1), (1, 1)]
    assert sorted(batch_states(dirs["db"])) == ["RC-1.xml", "RC-3.xml"], "the claimed file is not this one's batch"



SPOOLING_READER = """
import sys, time
from pathlib import Path
from edi_gateway.parsers.lots import Limits, iter_members
members = iter_members(Path(sys.argv[1]), Limits())  # (held: a generator closed removes its spooled member)
print(next(members).data, flush=True)
time.sleep(600)
"""


def test_a_lot_member_spooled_by_a_killed_process_is_removed_at_the_next_start(tmp_path, monkeypatch):
    """A member larger than SPOOL_BYTES lies in the temporary folder while a process reads it. When that process
    is killed, the next gateway's recovery removes the file; while it lives (its lock held), the file stays."""
    from edi_gateway.parsers.lots import SPOOL_BYTES

    spool = tmp_path / "spool"
    spool.mkdir()
    lot = tmp_path / "big-lot.zip"
    with zipfile.ZipFile(lot, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("large.csv", os.urandom(SPOOL_BYTES // 2 + 4096).hex().encode())  # past SPOOL_BYTES
    reader = subprocess.Popen([sys.executable, "-c", SPOOLING_READER, str(lot)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "TMPDIR": str(spool)}, cwd=Path(__file__).resolve().parent.parent)
    try:
        spooled = Path(reader.stdout.readline().strip())
        assert spooled.parent == spool and spooled.stat().st_size == SPOOL_BYTES + 8192
        long_ago = time.time() - 3600
        os.utime(spooled, (long_ago, long_ago))  # older than any file just being written
        dirs = prepared_dirs(tmp_path / "gateway")
        monkeypatch.setattr(tempfile, "tempdir", str(spool))  # what TMPDIR sets
        settings = load_settings(None, inbox=dirs["inbox"], outbox=dirs["outbox"], database=dirs["db"])
        gateway = Gateway(settings, Ledger(settings.database))

        gateway.run_once()
        assert spooled.exists(), "the live reader's member was removed"

        reader.kill()
        reader.wait(timeout=30)
        gateway.run_once()
        assert not spooled.exists(), "the killed reader's member was left behind"
    finally:
        reader.kill()
        reader.wait(timeout=30)


# -- the database unavailable -----------------------------------------------------------------------------------
@pytest.fixture
def pg_dirs(tmp_path, postgres_server, postgres_url):
    """Folders and a prepared ledger on a database of the session's PostgreSQL server, reached with a password in
    its URL (ignored by the server, which trusts 127.0.0.1: it is there to be kept out of every message). Commits
    are durable (synchronous_commit on, PostgreSQL's default), as the gateway requires: the test server turns it
    off for speed, and a crash of the server would otherwise lose the last commits it acknowledged."""
    name = make_url(postgres_url).database
    postgres_server.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = on')
    url = make_url(postgres_url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    dirs = prepared_dirs(tmp_path, url)
    yield dirs
    if not (postgres_server.data / "postmaster.pid").exists():  # a failed test left it stopped
        start_server(postgres_server)


def stop_server(server: postgres.PostgresServer) -> None:
    """Stop the server the hard way (`-m immediate`: every connection cut, no checkpoint; a crash of the server)."""
    subprocess.run([*server.run_as, str(server.bin / "pg_ctl"), "stop", "-m", "immediate", "-w", "-D",
                    str(server.data)], capture_output=True, timeout=60, cwd="/", check=True)


def start_server(server: postgres.PostgresServer) -> None:
    postgres._start(server)  # on the same port; it recovers from its crash first


def batch_states(url: str) -> dict[str, tuple[str, str]]:
    """file name -> (state, batch id) of every batch."""
    ledger = Ledger(url, migrate=False)
    try:
        with ledger.session() as session:
            return {batch.file_name: (batch.state, batch.id) for batch in session.scalars(select(BatchRow))}
    finally:
        ledger.engine.dispose()


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def assert_no_file_filed_away_before_its_decision(dirs: dict, files: dict[str, bytes]) -> None:
    """Every deposited file is in the inbox, in work/ or filed away; filed away only when its batch is decided."""
    states = batch_states(dirs["db"])
    filed = {name.partition("__")[2]: name.partition("__")[0]
             for name in files_in(dirs["root"] / "archive") + files_in(dirs["root"] / "quarantine")
             if not name.endswith(".reason.txt")}
    waiting = set(files_in(dirs["inbox"])) | {name.partition("__")[2] for name in files_in(dirs["root"] / "work")
                                              if "__" in name}  # not the staged bytes (work/.staging/<batch>.bin)
    assert sorted(set(filed) | waiting) == sorted(files) and not set(filed) & waiting, (filed, waiting)
    for name, batch_id in filed.items():
        assert states[name] in (("DECIDED", batch_id), ("DONE", batch_id)), f"{name} filed away undecided"


def test_database_down_before_a_run_stops_it_with_a_clear_error_and_moves_nothing(pg_dirs, postgres_server):
    files, expected = generated_lot("DB", lot_size=20, singles=4)
    deposit(pg_dirs["inbox"], files)
    stop_server(postgres_server)
    try:
        down = subprocess.run(gateway_command("run", pg_dirs), capture_output=True, text=True, timeout=120)
    finally:
        start_server(postgres_server)

    assert down.returncode == 3, down.stderr
    shown = make_url(pg_dirs["db"]).render_as_string(hide_password=True)
    assert f"cannot open the ledger at {shown}" in down.stderr and "***" in shown
    assert DB_PASSWORD not in down.stdout + down.stderr
    assert files_in(pg_dirs["inbox"]) == sorted(files), "no file taken"
    assert not (pg_dirs["root"] / "work").exists() and not (pg_dirs["root"] / "archive").exists()

    again = subprocess.run(gateway_command("run", pg_dirs), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert_every_invoice_decided_exactly_once(pg_dirs, expected)


def lot_being_decided(url: str, lot: str) -> bool:
    return batch_states(url).get(lot, ("",))[0] == "CLAIMED"


def test_database_lost_in_the_middle_of_a_lot_stops_the_run_and_the_next_run_finishes_it(pg_dirs,
                                                                                           postgres_server):
    """The server crashes while the lot's decisions are being written; it stays down longer than
    `database_retry_seconds`: the run retries, then stops with exit 3 naming the database (never its password);
    no file was filed away before its decision. Once the server is back, the next run finishes every file once."""
    files, expected = generated_lot("DL", lot_size=150, singles=2)
    deposit(pg_dirs["inbox"], files)
    config = pg_dirs["root"] / "gateway.toml"
    config.write_text("[gateway]\ndatabase_retry_seconds = 3\n")
    run = subprocess.Popen(gateway_command("run", pg_dirs, "--config", str(config), "--workers", "1"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: lot_being_decided(pg_dirs["db"], "DL-lot.zip") or run.poll() is not None, 120,
                 "the lot to be claimed")
        assert run.poll() is None, "the run ended before the lot was being decided"
        stop_server(postgres_server)
        _out, err = run.communicate(timeout=120)
    finally:
        run.kill()
        start_server(postgres_server)

    assert run.returncode == 3, err
    shown = make_url(pg_dirs["db"]).render_as_string(hide_password=True)
    assert f"the ledger database {shown} is unavailable" in err and "trying again in" in err, err
    assert "gave up after" in err and DB_PASSWORD not in err
    assert_no_file_filed_away_before_its_decision(pg_dirs, files)
    assert batch_states(pg_dirs["db"])["DL-lot.zip"][0] == "CLAIMED", "the lot's decision was not committed"

    again = subprocess.run(gateway_command("run", pg_dirs, "--workers", "1"), capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert_every_invoice_decided_exactly_once(pg_dirs, expected)


def test_database_back_during_the_backoff_lets_the_run_finish_by_itself(pg_dirs, postgres_server):
    files, expected = generated_lot("DB", lot_size=150, singles=2)
    deposit(pg_dirs["inbox"], files)
    run = subprocess.Popen(gateway_command("run", pg_dirs, "--workers", "1"), stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: lot_being_decided(pg_dirs["db"], "DB-lot.zip") or run.poll() is not None, 120,
                 "the lot to be claimed")
        assert run.poll() is None, "the run ended before the lot was being decided"
        stop_server(postgres_server)
        time.sleep(3)  # down for a few retries (0.5 s, 1 s, 2 s...)
        start_server(postgres_server)
        _out, err = run.communicate(timeout=300)
    finally:
        run.kill()

    assert run.returncode == 0, err
    assert "is unavailable" in err and "trying again in" in err, "the run did wait for the database"
    assert DB_PASSWORD not in err
    assert_every_invoice_decided_exactly_once(pg_dirs, expected)


# -- the disk full while the reports are written ------------------------------------------------------------------
def small_file_system(folder: Path) -> Iterator[Path]:
    """`folder`, made a real file system of 2 MiB of its own (tmpfs) for the test, unmounted afterwards."""
    folder.mkdir()
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)], capture_output=True,
                           text=True)
    if mount.returncode != 0:
        pytest.skip(f"SKIPPED LOUDLY: cannot mount a small tmpfs for the disk-full test (needs root or "
                    f"CAP_SYS_ADMIN): {mount.stderr.strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def small_outbox(tmp_path):
    """The outbox on a real file system of 2 MiB of its own."""
    yield from small_file_system(tmp_path / "outbox")


def free_bytes(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def test_disk_full_while_writing_reports_leaves_the_batch_pending_and_the_next_run_finishes_it(tmp_path,
                                                                                              small_outbox):
    """The outbox fills up while a lot's reports are written: the lot stays DECIDED (its file in work/, not
    archived), the run says so and exits 3, the files before and after it are not lost, no partial report is
    left; once space is freed, the next run finishes the lot once, with complete reports."""
    dirs = prepared_dirs(tmp_path)
    assert dirs["outbox"] == small_outbox
    files = {"DF-avant.xml": invoice("DF-A-1", False),
             "DF-lot.zip": zip_lot({f"DF-L-{i:03d}.xml": invoice(f"DF-L-{i:03d}", i % 10 != 0)
                                    for i in range(1, 81)}),  # 8 accepted (delivered), 72 rejected
             "DF-apres.xml": invoice("DF-B-1", False)}
    expected = {"DF-avant.xml": (1, 1), "DF-lot.zip": (80, 8), "DF-apres.xml": (1, 1)}
    deposit(dirs["inbox"], files)
    ballast = small_outbox / "ballast.bin"
    with ballast.open("wb") as stream:  # leave room for the first file and the lot's deliveries, not its reports
        stream.write(b"\0" * (free_bytes(small_outbox) - 448 * 1024))

    full = subprocess.run(gateway_command("run", dirs, "--workers", "1"), capture_output=True, text=True,
                          timeout=300)

    assert full.returncode == 3, full.stderr
    assert "'DF-lot.zip' left pending after a fault: No space left on device" in full.stderr, full.stderr
    states = batch_states(dirs["db"])
    assert states["DF-avant.xml"][0] == "DONE"
    assert states["DF-lot.zip"][0] == "DECIDED", "decided, not done"
    assert "DF-apres.xml" in states, "the sweep went on after the fault"
    lot_id = states["DF-lot.zip"][1]
    assert (dirs["root"] / "work" / "default" / f"{lot_id}__DF-lot.zip").is_file(), "the lot is not archived"
    assert "DF-lot.zip" not in {name.partition("__")[2] for name in files_in(dirs["root"] / "archive")}
    ledger = Ledger(dirs["db"])
    with ledger.session() as session:
        delivered = session.scalars(select(InvoiceRow).where(InvoiceRow.batch_id == lot_id,
                                                             InvoiceRow.routed_path.is_not(None))).all()
    ledger.engine.dispose()
    assert len(delivered) == 8, "the lot's invoices were delivered: the disk filled up after, with its reports"
    assert [path for path in small_outbox.rglob(".*")] == [], "no partial report left (atomic writes)"
    for report in small_outbox.rglob("*.json"):
        json.loads(report.read_text(encoding="utf-8"))  # whatever is there is whole

    ballast.unlink()
    again = subprocess.run(gateway_command("run", dirs, "--workers", "1"), capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert "resuming batch" in again.stderr
    assert_every_invoice_decided_exactly_once(dirs, expected)
    assert all(zipfile.is_zipfile(path) for path in (dirs["root"] / "archive").rglob("*.zip"))



@pytest.fixture
def small_tmpdir(tmp_path):
    """A temporary folder on a real file system of 2 MiB of its own."""
    yield from small_file_system(tmp_path / "small-tmp")


def test_temporary_folder_full_while_spooling_a_member_leaves_the_lot_pending_not_refused(tmp_path, small_tmpdir):
    """A lot member larger than SPOOL_BYTES is spooled to the temporary folder, which has no room for it: that
    is the gateway's fault, not the depositor's. The lot is left pending (not its member refused as unreadable),
    the run says so and exits 3, and the next run, with room, decides it once."""
    from edi_gateway.parsers.lots import SPOOL_BYTES

    dirs = prepared_dirs(tmp_path / "gateway")
    buffer = io.BytesIO()  # a lot inside the lot, its 1,100 invoices stored uncompressed: 8.8 MB
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as nested:
        for n in range(1, 1101):
            nested.writestr(f"SP-N-{n:04d}.xml", invoice(f"SP-N-{n:04d}", False))
    assert len(buffer.getvalue()) > SPOOL_BYTES
    files = {"SP-lot.zip": zip_lot({"SP-1.xml": invoice("SP-1", False), "client-42.zip": buffer.getvalue()}),
             "SP-apres.xml": invoice("SP-2", False)}
    deposit(dirs["inbox"], files)

    full = subprocess.run(gateway_command("run", dirs, "--workers", "1"), capture_output=True, text=True,
                          timeout=300, env={**os.environ, "TMPDIR": str(small_tmpdir)})

    assert full.returncode == 3, full.stderr
    assert "'SP-lot.zip' left pending after a fault: No space left on device" in full.stderr, full.stderr
    states = batch_states(dirs["db"])
    assert states["SP-lot.zip"][0] == "CLAIMED" and states["SP-apres.xml"][0] == "DONE", states
    assert list(small_tmpdir.iterdir()) == [], "the partly spooled member is removed"

    again = subprocess.run(gateway_command("run", dirs, "--workers", "1"), capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stderr
    assert_every_invoice_decided_exactly_once(dirs, {"SP-lot.zip": (1101, 1101), "SP-apres.xml": (1, 1)})


def test_the_retry_gives_up_after_its_bound_naming_the_database_without_its_password():
    """The helper alone, on a PostgreSQL URL nothing listens on: tried with doubling waits, then a clear error."""
    from edi_gateway.ledger.store import DatabaseUnavailable, retry_while_unavailable
    from sqlalchemy import create_engine, text

    url = f"postgresql+psycopg://gateway:{DB_PASSWORD}@127.0.0.1:1/ledger"
    engine = create_engine(url)
    waits: list[float] = []

    def query():
        with engine.connect() as connection:
            return connection.execute(text("select 1")).scalar()

    with pytest.raises(DatabaseUnavailable) as raised:
        retry_while_unavailable(query, url, 7.0, "a test", wait=lambda seconds: waits.append(seconds) or False)
    assert waits == [0.5, 1.0, 2.0]  # 3.5 s waited: one more wait (4 s) would go past 7 s in all
    message = str(raised.value)
    assert "postgresql+psycopg://gateway:***@127.0.0.1:1/ledger is unavailable" in message
    assert DB_PASSWORD not in message and "gave up after 4 attempt(s)" in message
