"""A real OpenSSH server on 127.0.0.1 for the SFTP tests, started and stopped by a session fixture (`sftp_server`).

It runs `/usr/sbin/sshd -D -e -f <its own config>` on a free port, with its own ed25519 host key, for one dedicated
system user created for the session (`edisftp-<random>`, no home, no shell, removed at the end), confined by
`ForceCommand internal-sftp` to a chroot: `/srv/edi-gateway-test-sftp/<random>/chroot`, root-owned all the way up
(sshd refuses a chroot a user could write to, so it cannot sit under /tmp), holding the user's `inbox/`,
`archive/` and `returns/`, and a root-owned `locked/` the user cannot write into. The user logs in with a client
key (ed25519; a second one, passphrase-protected, too) or with a password (set with chpasswd, which also unlocks the
account `useradd` leaves locked).

Needs root and openssh-server (`make test` installs it). Without them the tests are skipped, loudly, or fail when
the environment variable CI is set: in CI the server must run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

SSHD = Path("/usr/sbin/sshd")
BASE = Path("/srv/edi-gateway-test-sftp")
USER_FOLDERS = ("inbox", "archive", "returns")
START_TIMEOUT = 10.0


@dataclasses.dataclass
class SftpServer:
    """The running server, what the gateway needs to reach it, and the depositor's side of the account."""

    host: str
    port: int
    user: str
    password: str
    chroot: Path  # the account's files as the server sees them ("/" for the user)
    key_file: Path  # the client key (no passphrase)
    encrypted_key_file: Path  # another client key, encrypted with `key_passphrase`
    key_passphrase: str
    known_hosts: Path  # holds the server's host key: "[127.0.0.1]:<port> ssh-ed25519 ..."
    host_key_line: str  # "ssh-ed25519 AAAA..."
    other_key_line: str  # another ed25519 public key ("ssh-ed25519 AAAA..."), for a changed host key
    log: Path
    process: subprocess.Popen

    def path(self, remote: str) -> Path:
        """Where a remote path of the account ("inbox/x.xml") lies on this machine."""
        return self.chroot / remote.lstrip("/")

    def empty_folders(self) -> None:
        """Empty the user's folders between tests."""
        for name in USER_FOLDERS:
            for entry in self.path(name).iterdir():
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()

    @contextlib.contextmanager
    def depositor(self) -> Iterator[paramiko.SFTPClient]:
        """An SFTP session as the depositor's software (the same account, over its own connection)."""
        client = paramiko.SSHClient()
        client.load_system_host_keys(str(self.known_hosts))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.connect(self.host, self.port, username=self.user, key_filename=str(self.key_file),
                       look_for_keys=False, allow_agent=False, timeout=10)
        try:
            yield client.open_sftp()
        finally:
            client.close()

    def upload(self, files: dict[str, bytes], folder: str = "inbox") -> None:
        """Upload whole files into a remote folder, as a depositor would."""
        with self.depositor() as sftp:
            for name, data in files.items():
                sftp.putfo(io.BytesIO(data), f"{folder}/{name}")

    def session_pids(self) -> list[int]:
        """The processes serving connections: every descendant of the sshd master (sshd forks a privileged
        monitor per connection, which forks the process running as the user)."""
        found, parents = [], [self.process.pid]
        while parents:
            children = subprocess.run(["pgrep", "-P", ",".join(map(str, parents))], capture_output=True,
                                      text=True).stdout.split()
            parents = [int(pid) for pid in children]
            found += parents
        return found

    def signal_sessions(self, signum: int) -> list[int]:
        """Send a signal to every process serving a connection (the master keeps listening)."""
        pids = self.session_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        return pids

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


def _unavailable(reason: str) -> None:
    message = f"the SFTP tests need a real OpenSSH server: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: the server must run there; `make test` installs openssh-server)")
    pytest.skip(f"SKIPPED LOUDLY: {message} (install openssh-server and run as root, as `make test` does)")


def _run(*command: str, stdin: str | None = None) -> None:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _keygen(path: Path, passphrase: str = "") -> str:
    """A new ed25519 key pair at `path` (and `path`.pub); returns the public key line, comment dropped."""
    _run("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "edi-gateway-tests", "-f", str(path))
    return " ".join(path.with_name(path.name + ".pub").read_text().split()[:2])


def _root_folder(path: Path) -> Path:
    path.mkdir(mode=0o755, parents=True, exist_ok=True)
    os.chown(path, 0, 0)
    path.chmod(0o755)
    return path


def _openssh_version() -> tuple[int, int]:
    banner = subprocess.run([str(SSHD), "-V"], capture_output=True, text=True).stderr  # "OpenSSH_9.2p1 ..."
    major, _, minor = banner.partition("OpenSSH_")[2].split("p")[0].split(",")[0].partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        return 0, 0


def _config(run: Path, chroot: Path, port: int, user: str) -> str:
    lines = [
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {run / 'ssh_host_ed25519_key'}",
        f"PidFile {run / 'sshd.pid'}", f"AuthorizedKeysFile {run / 'authorized_keys'}", "StrictModes yes",
        "UsePAM no", "PubkeyAuthentication yes", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
        "PermitRootLogin no", f"AllowUsers {user}", "MaxStartups 100", "LogLevel VERBOSE",
        "Subsystem sftp internal-sftp",
    ]
    if _openssh_version() >= (9, 8):  # no penalty box for the sessions the tests kill or fail on purpose
        lines.append("PerSourcePenalties no")
    lines += [
        f"Match User {user}", "    PasswordAuthentication yes", f"    ChrootDirectory {chroot}",
        "    ForceCommand internal-sftp", "    AllowTcpForwarding no", "    X11Forwarding no", "    PermitTTY no",
    ]
    return "\n".join(lines) + "\n"


def _wait_until_listening(server: SftpServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"sshd exited with {server.process.returncode}:\n{server.log_tail()}")
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((server.host, server.port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"sshd did not listen on port {server.port} within {START_TIMEOUT} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen, server: SftpServer) -> None:
    """Kill the sessions, wait until they are gone (the master reaps them), then stop the master."""
    sessions = server.signal_sessions(signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in sessions):
        time.sleep(0.05)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _remove_user(user: str) -> None:
    subprocess.run(["userdel", user], capture_output=True)


def _remove_run_folder(run: Path) -> None:
    shutil.rmtree(run, ignore_errors=True)
    with contextlib.suppress(OSError):
        BASE.rmdir()  # only when no other run is using it


@pytest.fixture(scope="session")
def sftp_server(tmp_path_factory) -> Iterator[SftpServer]:
    """A running OpenSSH server with one SFTP account (see the module docstring); stopped and removed after."""
    if not SSHD.is_file():
        _unavailable(f"{SSHD} is not installed")
    if os.geteuid() != 0:
        _unavailable("the tests must run as root (to create the user and the root-owned chroot sshd requires)")
    for tool in ("useradd", "userdel", "chpasswd", "ssh-keygen", "pgrep"):
        if shutil.which(tool) is None:
            _unavailable(f"{tool} is not installed")
    user = f"edisftp-{secrets.token_hex(3)}"
    password, passphrase = secrets.token_urlsafe(16), secrets.token_urlsafe(12)
    client_dir = tmp_path_factory.mktemp("sftp-client")
    with contextlib.ExitStack() as cleanup:
        _root_folder(BASE)
        run = _root_folder(BASE / secrets.token_hex(4))
        cleanup.callback(_remove_run_folder, run)
        _run("useradd", "--system", "--no-create-home", "--home-dir", "/", "--shell", "/usr/sbin/nologin", user)
        cleanup.callback(_remove_user, user)
        _run("chpasswd", stdin=f"{user}:{password}\n")  # also unlocks the account useradd left locked ("!")
        chroot = _root_folder(run / "chroot")
        for name in USER_FOLDERS:
            (chroot / name).mkdir(mode=0o755)
            shutil.chown(chroot / name, user, user)
        _root_folder(chroot / "locked")
        host_key_line = _keygen(run / "ssh_host_ed25519_key")
        client_key = _keygen(client_dir / "id_ed25519")
        encrypted_key = _keygen(client_dir / "id_ed25519_encrypted", passphrase)
        authorized = run / "authorized_keys"
        authorized.write_text(f"{client_key}\n{encrypted_key}\n")
        authorized.chmod(0o644)
        port = _free_port()
        config = run / "sshd_config"
        config.write_text(_config(run, chroot, port, user))
        known_hosts = client_dir / "known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{port} {host_key_line}\n")
        _root_folder(Path("/run/sshd"))  # sshd's privilege separation folder
        _run(str(SSHD), "-t", "-f", str(config))
        log = run / "sshd.log"
        with log.open("wb") as log_stream:
            process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stdout=log_stream,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        server = SftpServer("127.0.0.1", port, user, password, chroot, client_dir / "id_ed25519",
                            client_dir / "id_ed25519_encrypted", passphrase, known_hosts, host_key_line,
                            client_key, log, process)
        cleanup.callback(_stop, process, server)
        _wait_until_listening(server)
        yield server
