"""SFTP intake against a real OpenSSH server (tests/sshd.py), through the public entry points: settings loaded from a
TOML file with a `[sources.<name>] type = "sftp"` table, a real ledger, `Gateway.run_once` and `Gateway.sweep_sftp`."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import signal
import sqlite3
import threading
import time
import zipfile
from pathlib import Path

import pytest

from edi_gateway.config import load_settings
from edi_gateway.emitters.returns import returns_dir
from edi_gateway.intake.sftp import SftpError
from edi_gateway.ledger import Ledger
from edi_gateway.pipeline import Gateway

from .conftest import SAMPLES, prepare_ledger
from .sshd import SftpServer, sftp_server  # noqa: F401 (the session fixture)

DEPOSITOR = "martin"
PASSWORD_ENV = "EDI_TEST_SFTP_PASSWORD"
PASSPHRASE_ENV = "EDI_TEST_SFTP_KEY_PASSPHRASE"
LOT = "lot-mairie-belleville-2026-11.zip"
DURAND = "durand-facture-BD-2026-0142.xml"
LEMOINE = "lemoine-facture-IL-2026-0071.xml"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Setup:
    """Folders and a prepared ledger for one test, and gateways configured (through a TOML file) to collect the
    test server's account."""

    def __init__(self, root: Path, server: SftpServer):
        self.root, self.server = root, server
        (root / "inbox").mkdir()
        self.database = f"sqlite:///{root / 'ledger.sqlite3'}"
        prepare_ledger(self.database, depositor=DEPOSITOR)

    def gateway(self, **account) -> Gateway:
        """A gateway whose one SFTP account is the test server's; `account` overrides its keys (None removes one)."""
        values = {"type": "sftp", "depositor": DEPOSITOR, "host": self.server.host, "port": self.server.port,
                  "user": self.server.user, "key_file": str(self.server.key_file),
                  "known_hosts": str(self.server.known_hosts), "inbox": "inbox", "archive": "archive",
                  "returns": "returns", "settle_seconds": 0.5, "timeout_seconds": 5, "retries": 2,
                  "backoff_seconds": 0.1}
        values.update(account)
        lines = ["[gateway]", f"inbox = {json.dumps(str(self.root / 'inbox'))}",
                 f"outbox = {json.dumps(str(self.root / 'outbox'))}", f"database = {json.dumps(self.database)}",
                 "", f"[sources.{DEPOSITOR}]"]
        lines += [f"{key} = {_toml(value)}" for key, value in values.items() if value is not None]
        config = self.root / "gateway.toml"
        config.write_text("\n".join(lines) + "\n")
        settings = load_settings(config)
        return Gateway(settings, Ledger(settings.database))

    def sweep(self, gateway: Gateway):
        [account] = gateway.settings.sftp
        return gateway.sweep_sftp(account)

    def batches(self) -> list[dict]:
        with sqlite3.connect(self.database.removeprefix("sqlite:///")) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute("select * from batches order by received_at")]

    def execute(self, statement: str) -> None:
        with sqlite3.connect(self.database.removeprefix("sqlite:///")) as connection:
            connection.execute(statement)

    @property
    def download_dir(self) -> Path:
        return self.root / "work" / DEPOSITOR / f".sftp-{DEPOSITOR}"

    def remote(self, folder: str) -> dict[str, bytes]:
        """The files of a remote folder (name: bytes), read on the server's side."""
        return {path.name: path.read_bytes() for path in sorted(self.server.path(folder).iterdir())}


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)  # strings and numbers: JSON's spelling is TOML's


@pytest.fixture
def setup(tmp_path, sftp_server) -> Setup:  # noqa: F811
    sftp_server.empty_folders()
    yield Setup(tmp_path, sftp_server)
    sftp_server.empty_folders()


# -- collection ---------------------------------------------------------------------------------------------------
def test_lot_and_invoices_are_collected_processed_and_archived_remotely(setup):
    files = {LOT: sample(LOT), DURAND: sample(DURAND), LEMOINE: sample(LEMOINE)}
    setup.server.upload(files)
    gateway = setup.gateway()

    results = gateway.run_once()

    assert sorted(r.file_name for r in results) == sorted(files)
    by_name = {r.file_name: r for r in results}
    assert (by_name[DURAND].flow_status, by_name[DURAND].accepted) == ("IN_INTEGRE", 1)
    assert (by_name[LEMOINE].flow_status, by_name[LEMOINE].accepted) == ("IN_INTEGRE", 1)
    assert by_name[LOT].invoices == 6 and by_name[LOT].accepted >= 2
    routed = [p.name for p in (setup.root / "outbox" / "routed").rglob("*") if p.is_file()]
    assert any("BD-2026-0142" in name for name in routed) and any("IL-2026-0071" in name for name in routed)
    assert setup.remote("inbox") == {}
    assert setup.remote("archive") == {f"{r.batch_id}__{r.file_name}": files[r.file_name] for r in results}
    batches = setup.batches()
    assert len(batches) == 3
    for batch in batches:
        assert batch["state"] == "DONE" and batch["source"] == f"sftp:{DEPOSITOR}"
        assert batch["remote_path"] == f"/inbox/{batch['file_name']}" and batch["remote_done_at"] is not None
        assert batch["sha256"] == sha256(files[batch["file_name"]])
        assert Path(batch["work_path"]).parent == setup.download_dir
    assert list(setup.download_dir.iterdir()) == []

    assert gateway.run_once() == []
    assert len(setup.batches()) == 3 and len(setup.remote("archive")) == 3


def test_after_delete_removes_the_remote_file_and_returns_off_pushes_nothing(setup):
    setup.server.upload({DURAND: sample(DURAND)})

    [result] = setup.sweep(setup.gateway(after="delete", returns=""))

    assert result.accepted == 1
    assert setup.remote("inbox") == {} and setup.remote("archive") == {} and setup.remote("returns") == {}
    [batch] = setup.batches()
    assert batch["remote_done_at"] is not None and batch["returns_pushed_at"] is None


def test_a_file_still_being_uploaded_is_left_until_complete(setup):
    data = sample(DURAND)
    chunks = [data[i:i + len(data) // 20] for i in range(0, len(data), len(data) // 20)]
    started = threading.Event()

    def upload_slowly():
        with setup.server.depositor() as sftp, sftp.open("inbox/slow.xml", "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
                stream.flush()
                started.set()
                time.sleep(0.1)  # well under settle_seconds: the file keeps changing between two listings

    uploader = threading.Thread(target=upload_slowly)
    uploader.start()
    try:
        assert started.wait(10)
        gateway = setup.gateway(settle_seconds=0.5)
        assert setup.sweep(gateway) == []
        assert uploader.is_alive(), "the upload ended before the sweep: the test proved nothing"
        assert setup.batches() == [] and 0 < len(setup.remote("inbox")["slow.xml"]) < len(data)
    finally:
        uploader.join()

    [result] = setup.sweep(gateway)

    [batch] = setup.batches()
    assert (batch["sha256"], batch["size"]) == (sha256(data), len(data))
    assert result.accepted == 1 and setup.remote("inbox") == {}


def big_lot() -> bytes:
    """A valid lot of some 32 MB: one invoice, and an incompressible attachment (rejected as a member)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(DURAND, sample(DURAND), zipfile.ZIP_DEFLATED)
        archive.writestr("annexe.bin", hashlib.shake_256(b"edi").digest(32 * 1024 * 1024), zipfile.ZIP_STORED)
    return buffer.getvalue()


class SessionKiller(threading.Thread):
    """Kills the server's session processes once the gateway's download (its .part file) passed `threshold` bytes,
    freezing them first to measure how far the download got."""

    def __init__(self, setup: Setup, threshold: int):
        super().__init__(daemon=True)
        self.setup, self.threshold = setup, threshold
        self.seen_bytes: int | None = None
        self.finish = threading.Event()

    def run(self):
        while not self.finish.is_set():
            parts = list(self.setup.download_dir.glob("*.part")) if self.setup.download_dir.is_dir() else []
            sizes = [p.stat().st_size for p in parts if p.exists()]
            if sizes and max(sizes) >= self.threshold:
                self.setup.server.signal_sessions(signal.SIGSTOP)
                time.sleep(0.05)
                self.seen_bytes = max(p.stat().st_size for p in self.setup.download_dir.glob("*.part"))
                self.setup.server.signal_sessions(signal.SIGKILL)
                return
            time.sleep(0.002)


def test_connection_killed_mid_download_leaves_nothing_and_the_file_is_taken_next_time(setup):
    data = big_lot()
    setup.server.upload({"big.zip": data})
    killer = SessionKiller(setup, threshold=2 * 1024 * 1024)
    killer.start()

    with pytest.raises(SftpError, match="connection lost.*gave up after 0 reconnection"):
        setup.sweep(setup.gateway(retries=0))
    killer.finish.set()
    killer.join()

    assert killer.seen_bytes is not None and killer.seen_bytes < len(data), "not killed mid-download"
    assert setup.batches() == []
    assert list(setup.download_dir.iterdir()) == []
    assert setup.remote("inbox") == {"big.zip": data}

    [result] = setup.sweep(setup.gateway(retries=0))

    [batch] = setup.batches()
    assert (batch["sha256"], batch["size"], batch["state"]) == (sha256(data), len(data), "DONE")
    assert result.accepted == 1
    assert setup.remote("inbox") == {} and setup.remote("archive") == {f"{batch['id']}__big.zip": data}


def test_a_sweep_reconnects_with_backoff_after_a_dropped_connection(setup, caplog):
    data = big_lot()
    setup.server.upload({"big.zip": data})
    killer = SessionKiller(setup, threshold=2 * 1024 * 1024)
    killer.start()

    with caplog.at_level(logging.WARNING, logger="edi_gateway.intake.sftp"):
        [result] = setup.sweep(setup.gateway(retries=2))
    killer.finish.set()
    killer.join()

    assert killer.seen_bytes is not None and killer.seen_bytes < len(data), "not killed mid-download"
    assert "reconnecting in 0.1 s (attempt 1 of 2)" in caplog.text
    [batch] = setup.batches()
    assert batch["sha256"] == sha256(data) and result.batch_id == batch["id"]
    assert setup.remote("inbox") == {}


# -- host keys and authentication ------------------------------------------------------------------------------------
def test_unknown_or_changed_host_key_is_refused_and_nothing_is_downloaded(setup):
    setup.server.upload({DURAND: sample(DURAND)})
    empty = setup.root / "empty_known_hosts"
    empty.write_text("")
    other = setup.root / "other_known_hosts"
    other.write_text(f"[127.0.0.1]:{setup.server.port} {setup.server.other_key_line}\n")

    with pytest.raises(SftpError, match=r"host key \(ssh-ed25519 SHA256:.*\) is not in .*empty_known_hosts"):
        setup.sweep(setup.gateway(known_hosts=str(empty), retries=3, backoff_seconds=5))
    with pytest.raises(SftpError, match="differs from the one recorded in .*other_known_hosts.*may be an attack"):
        setup.sweep(setup.gateway(known_hosts=str(other), retries=3, backoff_seconds=5))

    assert setup.batches() == [] and setup.remote("inbox") == {DURAND: sample(DURAND)}
    assert not setup.download_dir.exists()
    assert empty.read_text() == ""


def test_trust_first_use_records_the_first_key_then_refuses_a_changed_one(setup):
    setup.server.upload({DURAND: sample(DURAND)})
    known_hosts = setup.root / "keys" / "known_hosts"

    [result] = setup.sweep(setup.gateway(known_hosts=str(known_hosts), trust_first_use=True))

    assert result.accepted == 1
    assert known_hosts.read_text() == f"[127.0.0.1]:{setup.server.port} {setup.server.host_key_line}\n"
    known_hosts.write_text(f"[127.0.0.1]:{setup.server.port} {setup.server.other_key_line}\n")
    setup.server.upload({LEMOINE: sample(LEMOINE)})
    with pytest.raises(SftpError, match="differs from the one recorded"):
        setup.sweep(setup.gateway(known_hosts=str(known_hosts), trust_first_use=True))
    assert len(setup.batches()) == 1 and LEMOINE in setup.remote("inbox")


def test_password_authentication(setup, monkeypatch, caplog):
    setup.server.upload({DURAND: sample(DURAND)})
    monkeypatch.setenv(PASSWORD_ENV, setup.server.password)

    [result] = setup.sweep(setup.gateway(key_file=None, password_env=PASSWORD_ENV))

    assert result.accepted == 1
    setup.server.upload({LEMOINE: sample(LEMOINE)})
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="edi_gateway.intake.sftp"):
        with pytest.raises(SftpError, match=rf"authentication failed .*password in \${PASSWORD_ENV}"):
            setup.sweep(setup.gateway(key_file=None, password_env=PASSWORD_ENV, retries=3, backoff_seconds=2))
    assert time.monotonic() - started < 2, "an authentication failure must not be retried"
    assert "reconnecting" not in caplog.text
    assert len(setup.batches()) == 1 and LEMOINE in setup.remote("inbox")


def test_encrypted_key_with_its_passphrase_from_the_environment(setup, monkeypatch):
    setup.server.upload({DURAND: sample(DURAND)})
    gateway = setup.gateway(key_file=str(setup.server.encrypted_key_file), key_passphrase_env=PASSPHRASE_ENV)

    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    with pytest.raises(SftpError, match="is encrypted: set key_passphrase_env"):
        setup.sweep(gateway)
    monkeypatch.setenv(PASSPHRASE_ENV, setup.server.key_passphrase)
    [result] = setup.sweep(gateway)

    assert result.accepted == 1 and setup.remote("inbox") == {}


# -- status returns -------------------------------------------------------------------------------------------
def test_status_returns_are_pushed_once(setup):
    setup.server.upload({DURAND: sample(DURAND), LOT: sample(LOT)})
    gateway = setup.gateway()

    results = setup.sweep(gateway)

    assert len(results) == 2
    for result in results:
        local = returns_dir(setup.root / "outbox", DEPOSITOR, result.batch_id)
        remote = setup.server.path(f"returns/{result.batch_id}")
        local_files = {p.relative_to(local).as_posix(): p.read_bytes() for p in local.rglob("*") if p.is_file()}
        remote_files = {p.relative_to(remote).as_posix(): p.read_bytes() for p in remote.rglob("*") if p.is_file()}
        assert {"integration.json", "integration.xml", "status.csv"} <= set(local_files)
        assert any(name.startswith("cdar/") for name in local_files)
        assert remote_files == local_files
    pushed = {b["id"]: b["returns_pushed_at"] for b in setup.batches()}
    assert None not in pushed.values()

    status = setup.server.path(f"returns/{results[0].batch_id}/status.csv")
    status.unlink()
    assert setup.sweep(gateway) == []
    assert not status.exists(), "returns pushed twice"
    assert {b["id"]: b["returns_pushed_at"] for b in setup.batches()} == pushed


# -- interruptions -------------------------------------------------------------------------------------------
def test_file_recorded_but_not_archived_remotely_is_archived_later_without_a_second_batch(setup, caplog):
    """The remote archive fails after the batch is recorded (the state a crash between the two leaves): the file
    stays in the inbox, and the next sweep recognises its bytes, archives it and makes no second batch."""
    setup.server.upload({DURAND: sample(DURAND)})

    with caplog.at_level(logging.ERROR, logger="edi_gateway.intake.sftp"):
        [result] = setup.sweep(setup.gateway(archive="locked"))  # a root-owned folder: the rename is refused

    assert "cannot archive /inbox/" in caplog.text
    [batch] = setup.batches()
    assert batch["state"] == "DONE" and batch["remote_done_at"] is None and result.accepted == 1
    assert setup.remote("inbox") == {DURAND: sample(DURAND)}

    assert setup.gateway().run_once() == []

    [batch] = setup.batches()
    assert batch["remote_done_at"] is not None
    assert setup.remote("inbox") == {} and setup.remote("archive") == {f"{batch['id']}__{DURAND}": sample(DURAND)}
    assert list(setup.download_dir.iterdir()) == []


def test_archived_remotely_but_not_marked_is_marked_without_a_new_batch(setup, caplog):
    """A crash after the remote archive and before the ledger recorded it: the archived copy tells."""
    setup.server.upload({DURAND: sample(DURAND)})
    gateway = setup.gateway()
    setup.sweep(gateway)
    setup.execute("update batches set remote_done_at = null")
    setup.server.upload({DURAND: sample(DURAND)})  # ...and the depositor sends the same bytes again

    with caplog.at_level(logging.WARNING, logger="edi_gateway.intake.sftp"):
        [again] = setup.sweep(gateway)

    assert "is already archived" in caplog.text
    first, second = setup.batches()
    assert first["remote_done_at"] is not None
    assert second["duplicate_of"] == first["id"] and again.reason_code == "IRR_UNICITE"
    assert set(setup.remote("archive")) == {f"{first['id']}__{DURAND}", f"{second['id']}__{DURAND}"}


def test_downloads_left_by_a_crash_are_dropped_and_the_file_taken_again(setup):
    """A crash mid-download leaves a .part; one between the local rename and the ledger leaves a complete file
    with no batch row. Both are dropped; the remote file, still in the inbox, is taken whole, once."""
    data = sample(DURAND)
    setup.server.upload({DURAND: data})
    setup.download_dir.mkdir(parents=True)
    (setup.download_dir / f"EDG20260101000000DEADBEEF__{DURAND}.part").write_bytes(data[:100])
    (setup.download_dir / f"EDG20260101000001DEADBEEF__{DURAND}").write_bytes(data)

    [result] = setup.sweep(setup.gateway())

    [batch] = setup.batches()
    assert batch["id"] == result.batch_id and not batch["id"].endswith("DEADBEEF")
    assert batch["sha256"] == sha256(data) and result.accepted == 1
    assert list(setup.download_dir.iterdir()) == [] and setup.remote("inbox") == {}
