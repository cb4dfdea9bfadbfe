"""A real PostgreSQL server for the ledger tests, started and stopped by a session fixture (`postgres_server`).

It uses the server binaries Debian's `postgresql` package installs (`/usr/lib/postgresql/<version>/bin`, the
highest version; `make test` installs the package when it is missing), never a cluster the package may have
created: `initdb` makes a fresh cluster in a private temporary folder, then `pg_ctl start -w` runs it on a free
TCP port of 127.0.0.1 only (trust authentication, for 127.0.0.1 and the cluster's own unix socket in that folder),
with durability off (fsync, synchronous_commit, full_page_writes: a test cluster is thrown away). `initdb` and
`postgres` refuse to run as root: as root they run as the `postgres` system user (through runuser), which owns the
folder. At the end, `pg_ctl stop -m fast` and the folder is removed.

`postgres_url` gives each test a database of its own (CREATE DATABASE test_<n>, dropped WITH (FORCE) afterwards,
open connections included): an empty ledger URL such as `postgresql+psycopg://postgres@127.0.0.1:PORT/test_3`.

Without the binaries (or the `postgres` user, as root) the tests are skipped, loudly, or fail when the environment
variable CI is set: in CI the server must run.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
START_TIMEOUT = 30  # seconds pg_ctl waits for the server to accept connections
_database_numbers = itertools.count(1)


@dataclasses.dataclass
class PostgresServer:
    """The running server: where it listens, and its files (for the log in failure messages)."""

    bin: Path
    version: str
    folder: Path  # the private temporary folder: data/, socket/, server.log
    port: int
    run_as: list[str]  # the command prefix the server's own commands run under ([] when not root)
    host: str = "127.0.0.1"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of one database of the server (psycopg 3)."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run statements outside any transaction (CREATE and DROP DATABASE), as the superuser."""
        import psycopg

        with psycopg.connect(host=self.host, port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True, connect_timeout=10) as connection:
            connection.execute(sql)

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        strategy = " STRATEGY FILE_COPY" if int(self.version.split(".")[0]) >= 15 else ""  # faster, fsync off
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'{strategy}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _unavailable(reason: str) -> None:
    message = f"PostgreSQL cannot run here: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: the server must run there; `make test` installs postgresql)")
    pytest.skip(f"SKIPPED LOUDLY: {message} (install Debian's postgresql package, as `make test` does; the "
                "PostgreSQL ledger tests did not run)")


def find_binaries() -> tuple[Path, str] | None:
    """The bin folder of the highest PostgreSQL version installed, with its version; None when there is none."""
    found = []
    for folder in PG_ROOT.glob("*/bin"):
        version = folder.parent.name
        if re.fullmatch(r"\d+(\.\d+)?", version) and all((folder / name).is_file()
                                                          for name in ("initdb", "pg_ctl", "postgres")):
            found.append((tuple(int(part) for part in version.split(".")), folder, version))
    if not found:
        return None
    _, folder, version = max(found)
    return folder, version


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str], timeout: float = 60) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd="/")
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {(done.stderr or done.stdout).strip()}")
    return done.stdout


def _run_as() -> list[str]:
    """How to run the server's commands: as root, as the `postgres` system user (they refuse root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        _unavailable(f"running as root and there is no {SUPERUSER!r} system user to run the server as "
                     "(Debian's postgresql package creates it)")
    runuser = shutil.which("runuser")
    if runuser is None:
        _unavailable("running as root without runuser (util-linux) to run the server as the postgres user")
    return [runuser, "-u", SUPERUSER, "--"]


def _make_folder(run_as: list[str]) -> Path:
    """A private folder under the system temporary folder (pytest's own are root-only, 0700 all the way up),
    owned by the user the server runs as."""
    folder = Path(tempfile.mkdtemp(prefix="edi-gateway-postgres-"))
    (folder / "socket").mkdir()
    if run_as:
        user = pwd.getpwnam(SUPERUSER)
        for path in (folder, folder / "socket"):
            os.chown(path, user.pw_uid, user.pw_gid)
    return folder


def _initdb(server: PostgresServer) -> None:
    _run([*server.run_as, str(server.bin / "initdb"), "-D", str(server.data), "-U", SUPERUSER, "-A", "trust",
          "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])
    (server.data / "pg_hba.conf").write_text(  # trust, on 127.0.0.1 and the private socket only
        "# TYPE  DATABASE  USER  ADDRESS       METHOD\n"
        "local   all       all                 trust\n"
        "host    all       all   127.0.0.1/32  trust\n")


def _start(server: PostgresServer) -> None:
    options = " ".join(f"-c {setting}" for setting in (
        "listen_addresses=127.0.0.1", f"port={server.port}", f"unix_socket_directories={server.folder / 'socket'}",
        "fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200",
        "shared_buffers=32MB", "log_min_messages=warning", "log_min_error_statement=panic"))
    _run([*server.run_as, str(server.bin / "pg_ctl"), "start", "-w", "-t", str(START_TIMEOUT), "-D",
          str(server.data), "-l", str(server.log), "-o", options], timeout=START_TIMEOUT + 10)


def _stop(server: PostgresServer) -> None:
    if (server.data / "postmaster.pid").exists():
        subprocess.run([*server.run_as, str(server.bin / "pg_ctl"), "stop", "-m", "fast", "-w", "-t", "30", "-D",
                        str(server.data)], capture_output=True, timeout=60, cwd="/")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of our own for the test session, on 127.0.0.1."""
    found = find_binaries()
    if found is None:
        _unavailable(f"no server binaries under {PG_ROOT}/<version>/bin (initdb, pg_ctl, postgres)")
    bin_folder, version = found
    run_as = _run_as()
    folder = _make_folder(run_as)
    server = PostgresServer(bin=bin_folder, version=version, folder=folder, port=0, run_as=run_as)
    try:
        _initdb(server)
        for attempt in range(3):  # another program may take the free port between the probe and the start
            server.port = _free_port()
            try:
                _start(server)
                break
            except RuntimeError as exc:
                if attempt == 2:
                    raise RuntimeError(f"{exc}\n--- server log ---\n{server.log_tail()}") from None
        yield server
    finally:
        _stop(server)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database of the session's server for one test, dropped after it; its SQLAlchemy URL."""
    name = f"test_{next(_database_numbers)}"
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)
