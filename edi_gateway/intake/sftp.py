"""SFTP intake: collect one depositor's files from an SFTP account, and push its status returns back.

One sweep of an account (`SftpCollector.sweep`), under a lease in the ledger (`JobLock` "sftp:<account>") so that
no two collectors, in this process or another, ever work on the same account at once:

1. connect: the server's host key must be in the account's known_hosts file (an unknown key is refused unless
   `trust_first_use`, which records the first key seen; a key that differs from the recorded one is always
   refused); key and/or password authentication. A refused host key, a failed authentication or unusable
   credentials raise `SftpError` at once; a connection that cannot be made, or that drops, is retried `retries`
   times, waiting `backoff_seconds`, then twice as long each time (at most a minute);
2. clean the local download folder `work/<depositor>/.sftp-<account>/`: `*.part` files (interrupted downloads)
   and completed downloads that have no batch row (a crash between the local rename and the ledger) are
   deleted: their remote file is still in the inbox, and is downloaded again below;
3. settle what an interruption left unacknowledged: a batch whose remote file was not yet marked archived (or
   deleted) is marked so when its archived copy `<archive>/<batch>__<name>` exists, or when its inbox file is
   gone. When the inbox file is still there, step 5 tells whether it is the same file (same bytes);
4. list the remote inbox: regular files only, no hidden or temporary names (`.x`, `*.part`, `*.tmp`,
   `*.filepart`...); a file is ready when its size and mtime are the same in two listings `settle_seconds`
   apart (one wait per sweep);
5. for each ready file: download to `<batch>__<name>.part`, check its size against the listing (and that the
   remote file did not change meanwhile), fsync, rename to `<batch>__<name>`, fsync the folder. If the ledger
   already has a batch from this very remote file (same path and sha256) whose remote copy is not acknowledged,
   a crash came between the ledger and the server: the download is dropped, the remote file acknowledged, and
   no second batch is made. Otherwise the file is recorded (`Gateway.record_claim`: a new batch, or a duplicate
   flow when the depositor sent these bytes before), then acknowledged on the server (`posix_rename` to
   `<archive>/<batch>__<name>`, or deleted, per `after`), marked so in the ledger, then processed
   (`Gateway.complete`);
6. push the status returns of the account's finished batches to `<returns>/<batch>/`, each file under a hidden
   temporary name first, then `posix_rename`d into place (the integration report last), then marked pushed.

Exactly once. The ledger is written before the server is touched, so a crash repeats at most one of these
idempotent steps: a download (dropped in step 2, redone), an acknowledgement (step 3 or step 5's same-bytes
check), or a push of returns (same bytes renamed over the same names). A file is never removed from the inbox
before its batch is committed, and a batch is never recorded from a partial download. The only window left
open: with `after = "delete"`, a crash between the remote delete and its mark in the ledger, followed by the
depositor uploading the very same bytes again under the same name before the next sweep: that second copy is
taken for the first one and deleted without a duplicate-flow report (no invoice is lost or taken twice).
A file rewritten in place after its download is not acknowledged (its new bytes are collected at the next sweep);
a rewrite that keeps the size within the same second cannot be seen: depositors should upload under a temporary
name and rename, or never reuse a name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import posixpath
import stat
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import paramiko

from ..config import SftpAccount
from ..emitters.returns import returns_dir
from ..errors import GatewayError
from ..ledger.locks import JobLock, LockHeld
from ..ledger.models import BatchRow
from ..pipeline import BatchResult, Gateway, new_batch_id
from . import folder

log = logging.getLogger(__name__)
READ_SIZE = 256 * 1024  # bytes read from the SFTP file at a time
MAX_BACKOFF_SECONDS = 60.0
KEEPALIVE_SECONDS = 30  # keeps the connection alive through NAT while a large batch is being processed
LAST_RETURNS = ("integration.json", "integration.xml")  # pushed last: once there, the rest of the folder is too


class SftpError(GatewayError):
    """An SFTP account cannot be collected: refused host key, failed authentication, unusable credentials, no
    remote inbox, or a connection lost beyond the retries. `results` holds the batches finished before it."""

    def __init__(self, message: str, results: list[BatchResult] | None = None):
        super().__init__(message)
        self.results = results or []


class _ConnectionLost(Exception):
    """The connection could not be made, or dropped: worth a reconnection."""


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """A file of the remote inbox as listed: a file is ready when two listings agree on it."""

    name: str
    path: str
    size: int
    mtime: int


# -- host keys ------------------------------------------------------------------------------------------------
def _describe(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.fingerprint}"


class _RefuseUnknownKey(paramiko.MissingHostKeyPolicy):
    """No key recorded for the server in known_hosts: refuse it."""

    def __init__(self, account: SftpAccount):
        self.account = account

    def missing_host_key(self, client, hostname, key):
        known_hosts = self.account.known_hosts_file()
        raise SftpError(
            f"{_where(self.account)}: the server's host key ({_describe(key)}) is not in {known_hosts}: "
            f"connection refused. Check this fingerprint with the server's operator, then add the key "
            f"(e.g. `ssh-keyscan -p {self.account.port} {self.account.host} >> {known_hosts}`), or set "
            f"trust_first_use = true to record the first key seen")


class _RecordFirstKey(paramiko.MissingHostKeyPolicy):
    """No key recorded for the server in known_hosts: trust this one, and append it to the file (trust on first
    use). A key that differs from a recorded one never gets here: paramiko refuses it (BadHostKeyException)."""

    def __init__(self, account: SftpAccount):
        self.account = account

    def missing_host_key(self, client, hostname, key):
        known_hosts = self.account.known_hosts_file()
        known_hosts.parent.mkdir(parents=True, exist_ok=True)
        line = f"{hostname} {key.get_name()} {key.get_base64()}\n"
        fd = os.open(known_hosts, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line.encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        client.get_host_keys().add(hostname, key.get_name(), key)
        log.warning("%s: first connection, host key %s recorded in %s (trust_first_use)", _where(self.account),
                    _describe(key), known_hosts)


def _where(account: SftpAccount) -> str:
    return f"SFTP account {account.name!r} ({account.user}@{account.host}:{account.port})"


# -- one connection ---------------------------------------------------------------------------------------------
class _Remote:
    """One SFTP session. Every remote call turns a dropped or stalled connection into `_ConnectionLost`; errors
    about a file (no such file, permission denied) are raised as they come (OSError), for the caller to judge."""

    def __init__(self, client: paramiko.SSHClient, sftp: paramiko.SFTPClient):
        self.client, self.sftp = client, sftp
        self.home = sftp.normalize(".")
        self._made: set[str] = set()

    def path(self, configured: str) -> str:
        """An absolute remote path: relative ones are relative to the login folder."""
        return posixpath.normpath(posixpath.join(self.home, configured))

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (OSError, EOFError, paramiko.SSHException, paramiko.SFTPError) as exc:
            transport = self.client.get_transport()
            if isinstance(exc, (EOFError, paramiko.SSHException, paramiko.SFTPError, TimeoutError)) or \
                    transport is None or not transport.is_active():
                raise _ConnectionLost(f"connection lost: {exc!r}") from exc
            raise

    def listdir_attr(self, path: str) -> list[paramiko.SFTPAttributes]:
        with self._guard():
            return self.sftp.listdir_attr(path)

    def stat(self, path: str) -> paramiko.SFTPAttributes | None:
        """The attributes of a remote path, None when there is no such file."""
        with self._guard():
            try:
                return self.sftp.stat(path)
            except FileNotFoundError:
                return None

    def download(self, path: str, size: int, target, digest) -> None:
        """Copy a remote file into the open local `target`, feeding `digest` on the way."""
        with self._guard(), self.sftp.open(path, "rb") as source:
            source.prefetch(size)  # all reads requested at once; the channel's window bounds what waits in memory
            while chunk := source.read(READ_SIZE):
                target.write(chunk)
                digest.update(chunk)

    def upload(self, local: Path, path: str) -> None:
        """Put a local file at `path` whole: under a hidden temporary name first, then renamed over `path`."""
        directory, name = posixpath.split(path)
        temporary = posixpath.join(directory, f".{name}.part")
        with self._guard():
            self.sftp.put(str(local), temporary, confirm=True)
            self.sftp.posix_rename(temporary, path)

    def rename(self, source: str, target: str) -> None:
        """`posix_rename`: OpenSSH refuses a plain rename onto an existing name; this one replaces it."""
        with self._guard():
            self.sftp.posix_rename(source, target)

    def remove(self, path: str) -> None:
        with self._guard():
            self.sftp.remove(path)

    def makedirs(self, path: str) -> None:
        """Create a remote folder and its missing parents (once per session)."""
        if path in self._made or path == "/":
            return
        self.makedirs(posixpath.dirname(path))
        if self.stat(path) is None:
            with self._guard():
                try:
                    self.sftp.mkdir(path)
                except OSError:
                    if self.stat(path) is None:  # not made meanwhile by someone else: a real failure
                        raise
        self._made.add(path)

    def close(self) -> None:
        self.client.close()


# -- the collector --------------------------------------------------------------------------------------------------
class SftpCollector:
    """Collects one SFTP account for a Gateway (see the module docstring for the sequence and its crash windows)."""

    def __init__(self, account: SftpAccount, gateway: Gateway):
        self.account = account
        self.gateway = gateway
        self.ledger = gateway.ledger
        self.download_dir = gateway.settings.work_dir / account.depositor / f".sftp-{account.name}"

    @property
    def where(self) -> str:
        return _where(self.account)

    def sweep(self) -> list[BatchResult]:
        """Collect the account once: every ready file becomes a batch, processed; then the returns are pushed.
        Raises SftpError (with the batches finished so far) when the account cannot be collected."""
        results: list[BatchResult] = []
        if self.gateway.stopping.is_set():
            return results
        try:
            lease = JobLock(self.ledger, self.account.source)
            lease.acquire()
        except LockHeld as exc:
            log.warning("%s: not collected now, another collector is at it (%s)", self.where, exc)
            return results
        try:
            self._sweep_with_retries(results)
        except SftpError as exc:
            exc.results = results
            raise
        finally:
            lease.release()
        return results

    def _sweep_with_retries(self, results: list[BatchResult]) -> None:
        """Run the collection, reconnecting after a lost connection. Every step is safe to run again."""
        attempt = 0
        while True:
            try:
                remote = self._connect()
                try:
                    self._collect(remote, results)
                finally:
                    remote.close()
                return
            except _ConnectionLost as lost:
                if attempt >= self.account.retries:
                    raise SftpError(
                        f"{self.where}: {lost}; gave up after {attempt} reconnection(s). Files not yet "
                        f"recorded stay on the server and are collected at the next sweep") from lost
                delay = min(self.account.backoff_seconds * 2 ** attempt, MAX_BACKOFF_SECONDS)
                attempt += 1
                log.warning("%s: %s; reconnecting in %.1f s (attempt %d of %d)", self.where, lost, delay, attempt,
                            self.account.retries)
                if self.gateway.stopping.wait(delay):
                    return

    # -- connection ---------------------------------------------------------------------------------------------
    def _connect(self) -> _Remote:
        account, timeout = self.account, self.account.timeout_seconds
        pkey, password = self._private_key(), account.password()
        if pkey is None and password is None:
            raise SftpError(f"{self.where}: no credentials: set key_file, or set the environment variable "
                            f"{account.password_env} named by password_env")
        client = paramiko.SSHClient()
        try:
            self._load_known_hosts(client)
            policy = _RecordFirstKey(account) if account.trust_first_use else _RefuseUnknownKey(account)
            client.set_missing_host_key_policy(policy)
            client.connect(account.host, account.port, username=account.user, pkey=pkey, password=password,
                           timeout=timeout, banner_timeout=timeout, auth_timeout=timeout, channel_timeout=timeout,
                           look_for_keys=False, allow_agent=False)
            client.get_transport().set_keepalive(KEEPALIVE_SECONDS)
            sftp = client.open_sftp()
            sftp.get_channel().settimeout(timeout)
            remote = _Remote(client, sftp)
        except paramiko.BadHostKeyException as exc:
            client.close()
            known_hosts = account.known_hosts_file()
            raise SftpError(
                f"{self.where}: the server's host key ({_describe(exc.key)}) differs from the one recorded in "
                f"{known_hosts} ({_describe(exc.expected_key)}): connection refused, this may be an attack. If the "
                f"server's key was changed on purpose, check the new fingerprint with its operator and replace "
                f"the old line in {known_hosts}") from None
        except paramiko.AuthenticationException as exc:
            client.close()
            raise SftpError(f"{self.where}: authentication failed ({exc}) with {self._credentials()}: check the "
                            f"key or password given to the gateway and the account on the server") from None
        except (OSError, EOFError, paramiko.SSHException) as exc:
            client.close()
            raise _ConnectionLost(f"cannot connect: {exc!r}") from exc
        except BaseException:
            client.close()
            raise
        log.info("%s: connected", self.where)
        return remote

    def _load_known_hosts(self, client: paramiko.SSHClient) -> None:
        known_hosts = self.account.known_hosts_file()
        if not known_hosts.is_file():
            return
        try:
            client.load_system_host_keys(str(known_hosts))  # "system": paramiko never rewrites them
        except (OSError, paramiko.SSHException, ValueError) as exc:
            raise SftpError(f"{self.where}: cannot read known_hosts file {known_hosts}: {exc}") from None

    def _private_key(self) -> paramiko.PKey | None:
        key_file = self.account.key_file
        if key_file is None:
            return None
        passphrase = self.account.key_passphrase()
        try:
            return paramiko.PKey.from_path(key_file, passphrase.encode() if passphrase is not None else None)
        except FileNotFoundError:
            raise SftpError(f"{self.where}: key_file {key_file} does not exist") from None
        except (paramiko.PasswordRequiredException, TypeError):  # TypeError: cryptography's "no password given"
            raise SftpError(f"{self.where}: key_file {key_file} is encrypted: set key_passphrase_env to the name "
                            f"of an environment variable holding its passphrase") from None
        except (OSError, paramiko.SSHException, ValueError) as exc:
            raise SftpError(f"{self.where}: cannot read key_file {key_file} (wrong passphrase, or not a private "
                            f"key): {exc}") from None

    def _credentials(self) -> str:
        used = []
        if self.account.key_file is not None:
            used.append(f"key {self.account.key_file}")
        if self.account.password() is not None:
            used.append(f"the password in ${self.account.password_env}")
        return " and ".join(used)

    # -- one collection ---------------------------------------------------------------------------------------------
    def _collect(self, remote: _Remote, results: list[BatchResult]) -> None:
        inbox = remote.path(self.account.inbox)
        if remote.stat(inbox) is None:
            raise SftpError(f"{self.where}: the remote inbox {inbox} does not exist: check `inbox` in the "
                            f"configuration")
        if self.account.after == "archive" and remote.path(self.account.archive) == inbox:
            raise SftpError(f"{self.where}: the remote archive is the inbox ({inbox}): archived files would be "
                            f"collected again; set `archive` to another folder")
        self._clean_download_dir()
        unsettled = self._settle_acknowledgements(remote)
        for item in self._ready_files(remote, inbox):
            if self.gateway.stopping.is_set():
                return
            result = self._take(remote, item, unsettled.get(item.path, []))
            if result is not None:
                results.append(result)
        self._push_returns(remote)

    def _clean_download_dir(self) -> None:
        """Step 2: drop interrupted downloads, and completed ones never recorded (their remote file is still in
        the inbox). A completed download with a batch row is that batch's file: `Gateway.recover` finishes it."""
        if not self.download_dir.is_dir():
            return
        for path in sorted(self.download_dir.iterdir()):
            parts = folder.split_work_name(path.name)
            if path.name.endswith(".part") or (parts and self.ledger.get_batch(parts[0]) is None):
                log.warning("%s: removing %s, left by an interrupted collection (the remote file is collected "
                            "again)", self.where, path)
                path.unlink(missing_ok=True)

    def _settle_acknowledgements(self, remote: _Remote) -> dict[str, list[BatchRow]]:
        """Step 3: mark the batches whose remote file was archived or deleted before an interruption could record
        it. Returns the others by remote path: their inbox file is still there, step 5 compares the bytes."""
        unsettled: dict[str, list[BatchRow]] = defaultdict(list)
        for batch in self.ledger.remote_pending(self.account.source):
            try:
                archived = self.account.after == "archive" and \
                    remote.stat(self._archive_path(remote, batch)) is not None
                gone = not archived and remote.stat(batch.remote_path) is None
            except OSError as exc:
                log.warning("%s: batch %s: cannot tell whether its remote file %s is still there (%s)", self.where,
                            batch.id, batch.remote_path, exc)
                archived = gone = False
            if archived or gone:
                log.warning("%s: batch %s: its remote file %s is already %s; recording it", self.where, batch.id,
                            batch.remote_path, "archived" if archived else "gone from the inbox")
                self.ledger.mark_remote_done(batch.id)
            else:
                unsettled[batch.remote_path].append(batch)
        return unsettled

    def _ready_files(self, remote: _Remote, inbox: str) -> list[RemoteFile]:
        """Step 4: the inbox files whose size and mtime held for `settle_seconds`, oldest first."""
        first = self._listing(remote, inbox)
        if first and self.account.settle_seconds > 0:
            if self.gateway.stopping.wait(self.account.settle_seconds):
                return []
            second = self._listing(remote, inbox)
            growing = sorted(name for name in first if second.get(name) != first[name])
            if growing:
                log.info("%s: still being written, left for a later sweep: %s", self.where, ", ".join(growing))
            first = {name: item for name, item in second.items() if first.get(name) == item}
        return sorted(first.values(), key=lambda item: (item.mtime, item.name))

    def _listing(self, remote: _Remote, inbox: str) -> dict[str, RemoteFile]:
        try:
            attributes = remote.listdir_attr(inbox)
        except OSError as exc:
            raise SftpError(f"{self.where}: cannot list the remote inbox {inbox}: {exc}") from None
        return {attr.filename: RemoteFile(attr.filename, posixpath.join(inbox, attr.filename), attr.st_size or 0,
                                          attr.st_mtime or 0)
                for attr in attributes if stat.S_ISREG(attr.st_mode or 0) and folder.is_candidate(attr.filename)}

    def _take(self, remote: _Remote, item: RemoteFile, unsettled: list[BatchRow]) -> BatchResult | None:
        """Step 5: one ready file: download, record, acknowledge on the server, process."""
        batch_id = new_batch_id()
        downloaded = self._download(remote, item, batch_id)
        if downloaded is None:
            return None
        path, sha256 = downloaded
        known = self.ledger.batch_for_remote(self.account.source, item.path, sha256)
        if known is not None:
            log.warning("%s: %s is batch %s, recorded before an interruption: acknowledging it on the server, "
                        "no new batch", self.where, item.path, known.id)
            path.unlink()
            self._acknowledge(remote, item, known.id)
            return None
        for batch in unsettled:  # the inbox file has other bytes now: that batch's file is no longer there
            log.warning("%s: batch %s: its remote file %s was replaced by other bytes; recording it as gone",
                        self.where, batch.id, item.path)
            self.ledger.mark_remote_done(batch.id)
        # The gateway's turn, from the ledger to the end of processing, as Gateway.process_file holds it: a
        # recovery in another thread never resumes a batch this collector has in hand.
        with self.gateway.turn():
            batch = self.gateway.record_claim(batch_id, item.name, path, self.account.depositor,
                                              self.account.source, remote_path=item.path)
            log.info("%s: %s recorded as batch %s", self.where, item.path, batch.id)
            self._acknowledge(remote, item, batch.id)
            return self.gateway.complete(batch, path)

    def _download(self, remote: _Remote, item: RemoteFile, batch_id: str) -> tuple[Path, str] | None:
        """Download a ready file under its final local name `<batch>__<name>`, whole and synced, with its sha256.
        None (and nothing left behind) when the remote file vanished or changed meanwhile."""
        self.download_dir.mkdir(parents=True, exist_ok=True)
        final = self.download_dir / folder.work_name(batch_id, item.name)
        part = final.with_name(final.name + ".part")
        digest = hashlib.sha256()
        try:
            with part.open("wb") as target:
                remote.download(item.path, item.size, target, digest)
                target.flush()
                os.fsync(target.fileno())
            now = remote.stat(item.path)
        except FileNotFoundError:
            part.unlink(missing_ok=True)
            log.info("%s: %s vanished before it was downloaded", self.where, item.path)
            return None
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        size = part.stat().st_size
        if size != item.size or now is None or (now.st_size, now.st_mtime) != (item.size, item.mtime):
            part.unlink()
            log.warning("%s: %s changed while it was downloaded (%d bytes read, %d listed): left for a later sweep",
                        self.where, item.path, size, item.size)
            return None
        os.replace(part, final)
        folder.fsync_dir(self.download_dir)
        return final, digest.hexdigest()

    def _archive_path(self, remote: _Remote, batch: BatchRow) -> str:
        return posixpath.join(remote.path(self.account.archive), folder.work_name(batch.id, batch.file_name))

    def _acknowledge(self, remote: _Remote, item: RemoteFile, batch_id: str) -> None:
        """Take a recorded file out of the remote inbox (archive or delete), then say so in the ledger. When the
        server refuses, the file stays, and the next sweep recognises it (same path and bytes) and tries again.
        A file rewritten since it was downloaded is left alone: the next sweep takes its new bytes as a new flow."""
        try:
            current = remote.stat(item.path)
            if current is not None and (current.st_size, current.st_mtime) != (item.size, item.mtime):
                log.warning("%s: %s was rewritten after batch %s was downloaded from it: left in the inbox, its new "
                            "bytes are collected at the next sweep", self.where, item.path, batch_id)
                return
            if current is None:
                raise FileNotFoundError(item.path)
            if self.account.after == "delete":
                remote.remove(item.path)
            else:
                archive = remote.path(self.account.archive)
                remote.makedirs(archive)
                remote.rename(item.path, posixpath.join(archive, folder.work_name(batch_id, item.name)))
        except FileNotFoundError:
            log.warning("%s: %s was already gone from the inbox when batch %s was acknowledged", self.where,
                        item.path, batch_id)
        except OSError as exc:
            log.error("%s: cannot %s %s (batch %s): %s. The file stays in the inbox; the next sweep recognises "
                      "it and tries again", self.where, self.account.after, item.path, batch_id, exc)
            return
        self.ledger.mark_remote_done(batch_id)

    # -- status returns -------------------------------------------------------------------------------------------
    def _push_returns(self, remote: _Remote) -> None:
        """Step 6: push each finished batch's status returns folder to `<returns>/<batch>/`, then mark it pushed.
        Pushed again after an interruption, the same files replace themselves."""
        if not self.account.returns:
            return
        root = remote.path(self.account.returns)
        for batch in self.ledger.returns_to_push(self.account.source):
            if self.gateway.stopping.is_set():
                return
            local = returns_dir(self.gateway.settings.outbox, batch.depositor, batch.id)
            if not local.is_dir():
                log.warning("%s: batch %s has no status returns in %s to push (rebuild them with `edi-gateway "
                            "report`)", self.where, batch.id, local)
                continue
            try:
                self._push_folder(remote, local, posixpath.join(root, batch.id))
            except OSError as exc:
                log.error("%s: cannot push the status returns of batch %s to %s: %s; tried again at the next "
                          "sweep", self.where, batch.id, root, exc)
                continue
            self.ledger.mark_returns_pushed(batch.id)
            log.info("%s: status returns of batch %s pushed", self.where, batch.id)

    def _push_folder(self, remote: _Remote, local: Path, target: str) -> None:
        files = sorted((path for path in local.rglob("*") if path.is_file() and not path.name.startswith(".")),
                       key=lambda path: (path.relative_to(local).as_posix() in LAST_RETURNS, path.as_posix()))
        for path in files:
            destination = posixpath.join(target, path.relative_to(local).as_posix())
            remote.makedirs(posixpath.dirname(destination))
            remote.upload(path, destination)
