"""Settings: one TOML file, overridden by command-line options.

```toml
[gateway]
inbox = "inbox"                 # where depositors drop files (the root's own files: the default depositor's)
outbox = "outbox"               # routed invoices, reports, status returns
database = "sqlite:///var/ledger.sqlite3"
depositor = "default"           # who owns the files of the inbox root
settle_seconds = 5              # a file is complete once unchanged this long (the read lock; 0: at once)
markers = []                    # or [".done", ".ok"]: a file is complete once `<name>.done` lies beside it
rescan_seconds = 30             # the watcher's full rescan (inotify misses writes made from other hosts on NFS)
database_retry_seconds = 60     # the ledger unreachable: retried (0.5 s, then doubling) this long, then the run stops

[folders]                       # optional; default: siblings of the inbox
work = "var/work"
archive = "var/archive"
quarantine = "var/quarantine"

[limits]
max_file_bytes = 1073741824
zip_max_members = 100000

[rules]                          # re-grade a rule: "fatal", "warning" or "off"
"BR-23" = "warning"

[validation]
strict = false                   # also run the official CEN and CTC-FR artifacts (saxonche, ~10 ms an invoice)
french_ctc = "warning"           # grade of the BR-FR-Flux2 (2026 reform) findings in strict mode

[sources.durand]                 # a local folder of one depositor (beside those registered in the ledger)
type = "folder"
depositor = "durand"             # default: the source's name
path = "/srv/edi/durand"
settle_seconds = 10
markers = [".done", ".ok"]

[sources.martin]                 # an SFTP account the gateway collects from
type = "sftp"
depositor = "cabinet-martin"
host = "sftp.cabinet-martin.example"
port = 22
user = "chorus"
key_file = "/etc/edi-gateway/keys/martin"      # and/or password_env = "EDI_SFTP_MARTIN_PASSWORD"
key_passphrase_env = "EDI_SFTP_MARTIN_KEY_PASSPHRASE"
known_hosts = "/etc/edi-gateway/known_hosts"   # unknown host keys are refused...
trust_first_use = false                        # ...unless this says to record the first one seen
inbox = "depot"                  # remote folders (relative to the login folder, or absolute)
archive = "archive"
returns = "retours"              # where status returns are pushed; "" to push none
after = "archive"                # or "delete": what becomes of a remote file once recorded in the ledger
settle_seconds = 2               # a remote file is taken once its size and mtime held this long
timeout_seconds = 30
retries = 4                      # reconnections within one sweep, waiting backoff_seconds, then twice as long...
backoff_seconds = 2

[engine]
kind = "local"                   # "dask": a Dask cluster (scheduler = "tcp://HOST:PORT"); "dask-local"
workers = 0                      # worker processes for large lots; 0: every core; 1: in-process

[schedule]
timezone = "Europe/Paris"
[schedule.jobs.nightly]
cron = "0 2 * * *"               # minute hour day month weekday
sources = ["*"]                  # source names, "inbox" for the inbox and ledger depositors' folders, "*" all
misfire_grace_seconds = 3600     # a run missed (gateway down) is still made this long after its time

[web]                            # `edi-gateway web`: the read-only console (docs/web.md)
host = "127.0.0.1"
port = 8080
secure_cookies = true            # default: true, except when bound to 127.0.0.1 / localhost (plain HTTP tests)
session_hours = 8                # a session ends this long after sign-in
secret_file = "var/web-secret.key"   # signs session cookies; created (mode 600) when missing; or set
                                     # EDI_GATEWAY_WEB_SECRET
```
Relative paths are relative to the configuration file's folder (or to the current folder without one).
Every problem found is reported at once, each with the place it was found (`config check`).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .ledger.store import default_url
from .parsers.lots import Limits
from .policy import OFF, Policy

_SECTIONS = {"gateway", "folders", "limits", "rules", "validation", "sources", "schedule", "engine", "web"}
_WEB_KEYS = {"host", "port", "secure_cookies", "session_hours", "secret_file"}
_ENGINE_KEYS = {"kind", "workers", "scheduler"}
_VALIDATION_KEYS = {"strict", "french_ctc"}
_GATEWAY_KEYS = {"inbox", "outbox", "database", "depositor", "settle_seconds", "markers", "rescan_seconds",
                 "database_retry_seconds"}
_FOLDER_KEYS = {"work", "archive", "quarantine"}
_GRADES = {"fatal", "warning", OFF}
INBOX_SOURCE = "inbox"  # the name a schedule uses for the inbox root and the ledger depositors' folders
ALL_SOURCES = "*"
SFTP_AFTER = ("archive", "delete")


@dataclasses.dataclass(frozen=True)
class FolderSource:
    """A local folder one depositor drops its files in."""

    name: str
    depositor: str
    path: Path
    settle_seconds: float = 0.0
    markers: tuple[str, ...] = ()  # companion suffixes (".done", ".ok") that say a file is complete


@dataclasses.dataclass(frozen=True)
class SftpAccount:
    """An SFTP account the gateway collects one depositor's files from, and pushes its status returns to."""

    name: str
    depositor: str
    host: str
    user: str
    port: int = 22
    key_file: Path | None = None
    key_passphrase_env: str | None = None
    password_env: str | None = None
    known_hosts: Path | None = None  # None: ~/.ssh/known_hosts
    trust_first_use: bool = False
    inbox: str = "inbox"
    archive: str = "archive"
    returns: str = "returns"  # "" : push no status returns
    after: str = "archive"  # or "delete"
    settle_seconds: float = 2.0
    timeout_seconds: float = 30.0
    retries: int = 4
    backoff_seconds: float = 2.0

    @property
    def source(self) -> str:
        """How batches collected from this account are labelled in the ledger."""
        return f"sftp:{self.name}"

    def password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None

    def key_passphrase(self) -> str | None:
        return os.environ.get(self.key_passphrase_env) if self.key_passphrase_env else None

    def known_hosts_file(self) -> Path:
        return self.known_hosts or Path("~/.ssh/known_hosts").expanduser()


@dataclasses.dataclass(frozen=True)
class ScheduledJob:
    """A cron job of `serve`: sweep some sources at fixed times."""

    name: str
    cron: str
    sources: tuple[str, ...] = (ALL_SOURCES,)
    misfire_grace_seconds: int = 3600

    def covers(self, source_name: str) -> bool:
        return ALL_SOURCES in self.sources or source_name in self.sources


@dataclasses.dataclass(frozen=True)
class WebSettings:
    """`edi-gateway web`: where the console listens and how it signs its session cookies (docs/web.md)."""

    host: str = "127.0.0.1"
    port: int = 8080
    secure_cookies: bool | None = None  # None: on, except when bound to 127.0.0.1 / localhost
    session_hours: float = 8.0
    secret_file: Path | None = None  # None: <state dir>/var/web-secret.key


@dataclasses.dataclass(frozen=True)
class Settings:
    inbox: Path
    outbox: Path
    database: str
    depositor: str = "default"
    work: Path | None = None
    archive: Path | None = None
    quarantine: Path | None = None
    settle_seconds: float = 0.0
    markers: tuple[str, ...] = ()
    rescan_seconds: float = 30.0
    database_retry_seconds: float = 60.0  # how long an unreachable ledger is retried before the run stops
    limits: Limits = Limits()
    policy: Policy = Policy()
    strict: bool = False  # also run the official artifacts (see validators/official.py)
    folders: tuple[FolderSource, ...] = ()
    sftp: tuple[SftpAccount, ...] = ()
    jobs: tuple[ScheduledJob, ...] = ()
    timezone: str = "Europe/Paris"
    engine: str = "local"  # local, dask, dask-local (engines/)
    workers: int = 0  # worker processes; 0: every core; 1: in-process
    scheduler: str | None = None  # the Dask scheduler's address, for engine = "dask"
    web: WebSettings = WebSettings()

    @property
    def state_dir(self) -> Path:
        """Where the gateway keeps its own files by default: beside the inbox."""
        return self.inbox.resolve().parent

    @property
    def work_dir(self) -> Path:
        return self.work or self.state_dir / "work"

    @property
    def archive_dir(self) -> Path:
        return self.archive or self.state_dir / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.quarantine or self.state_dir / "quarantine"

    def source_names(self) -> list[str]:
        return [INBOX_SOURCE] + [s.name for s in self.folders] + [a.name for a in self.sftp]


class _Problems(list):
    """Every problem found in a configuration, each prefixed with where it was found."""

    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}")


def load_settings(config_file: Path | None = None, *, strict: bool | None = None, **overrides: Any) -> Settings:
    """Settings from `config_file` (optional) with non-None `overrides` (inbox, outbox, database, strict) on top.

    Raises ConfigError listing every problem found, one per line."""
    document: dict[str, Any] = {}
    base = Path.cwd()
    problems = _Problems()
    if config_file is not None:
        document = _read_toml(config_file)
        base = config_file.resolve().parent
    for name in sorted(set(document) - _SECTIONS):
        problems.add(f"[{name}]", f"unknown section; expected one of {sorted(_SECTIONS)}")
    gateway = _section(document, "gateway", _GATEWAY_KEYS, problems)
    folders = _section(document, "folders", _FOLDER_KEYS, problems)
    validation = _section(document, "validation", _VALIDATION_KEYS, problems)
    engine = {**_section(document, "engine", _ENGINE_KEYS, problems),
              **{k: v for k, v in {"kind": overrides.pop("engine", None), "workers": overrides.pop("workers", None),
                                   "scheduler": overrides.pop("scheduler", None)}.items() if v is not None}}
    given = {k: v for k, v in overrides.items() if v is not None}
    values = {**gateway, **given}
    # Paths from the file are relative to the file's folder; paths given on the command line, to the current one.
    inbox = _path(Path.cwd() if "inbox" in given else base, values.get("inbox", "inbox"))
    outbox = _path(Path.cwd() if "outbox" in given else base, values.get("outbox", "outbox"))
    database = (_database_url(Path.cwd() if "database" in given else base, str(values["database"]))
                if values.get("database") else default_url(inbox.resolve().parent / "var"))
    settle_seconds = _number(values, "settle_seconds", 0.0, "[gateway]", problems)
    markers = _markers(values.get("markers", []), "[gateway]", problems)
    folder_sources, sftp_accounts = _sources(document.get("sources", {}), base, problems)
    timezone, jobs = _schedule(document.get("schedule", {}), folder_sources, sftp_accounts, problems)
    settings = Settings(
        inbox=inbox, outbox=outbox, database=str(database), depositor=str(values.get("depositor", "default")),
        work=_optional_path(base, folders.get("work")), archive=_optional_path(base, folders.get("archive")),
        quarantine=_optional_path(base, folders.get("quarantine")), settle_seconds=settle_seconds, markers=markers,
        rescan_seconds=_number(values, "rescan_seconds", 30.0, "[gateway]", problems, positive=True),
        database_retry_seconds=_number(values, "database_retry_seconds", 60.0, "[gateway]", problems),
        limits=_limits(document.get("limits", {}), problems),
        policy=_policy(document.get("rules", {}), validation, problems),
        strict=_strict(validation, problems) if strict is None else strict,
        folders=folder_sources, sftp=sftp_accounts, jobs=jobs, timezone=timezone,
        **_engine(engine, problems), web=_web(_section(document, "web", _WEB_KEYS, problems), base, problems),
    )
    if problems:
        where = f"{config_file}: " if config_file is not None else ""
        raise ConfigError(where + ("\n  " if len(problems) > 1 else "") + "\n  ".join(problems))
    return settings


def check_environment(settings: Settings) -> tuple[list[str], list[str]]:
    """What the running gateway would trip over, beyond the file's own syntax: (problems: missing key files,
    unset password variables, an absent known_hosts file; warnings: folders that do not exist yet, which the
    gateway waits for)."""
    problems, warnings = _Problems(), _Problems()
    for account in settings.sftp:
        where = f"[sources.{account.name}]"
        if account.key_file is not None and not account.key_file.is_file():
            problems.add(where, f"key_file {account.key_file} does not exist")
        if account.password_env and account.password_env not in os.environ:
            problems.add(where, f"password_env names {account.password_env}, which is not set")
        if account.key_passphrase_env and account.key_passphrase_env not in os.environ:
            problems.add(where, f"key_passphrase_env names {account.key_passphrase_env}, which is not set")
        if not account.known_hosts_file().is_file() and not account.trust_first_use:
            problems.add(where, f"known_hosts file {account.known_hosts_file()} does not exist, and "
                                "trust_first_use is false: the host key could not be verified")
    for source in settings.folders:
        if not source.path.is_dir():
            warnings.add(f"[sources.{source.name}]", f"folder {source.path} does not exist yet: nothing is taken "
                                                     "from it until it does")
    return problems, warnings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _section(document: dict, name: str, allowed: set[str], problems: _Problems) -> dict[str, Any]:
    section = document.get(name, {})
    if not isinstance(section, dict):
        problems.add(f"[{name}]", "must be a table")
        return {}
    _unknown_keys(section, allowed, f"[{name}]", problems)
    return section


def _unknown_keys(table: dict, allowed: set[str], where: str, problems: _Problems) -> None:
    unknown = set(table) - allowed
    if unknown:
        problems.add(where, f"unknown key(s) {sorted(unknown)}; expected some of {sorted(allowed)}")


def _number(table: dict, key: str, default: float, where: str, problems: _Problems, *, whole: bool = False,
            positive: bool = False) -> Any:
    value = table.get(key, default)
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < 0 or (positive and value == 0):
        kind = "whole number" if whole else "number"
        problems.add(where, f"{key} = {value!r}; expected a {'positive' if positive else 'non-negative'} {kind}")
        return default
    return value


def _text(table: dict, key: str, default: str | None, where: str, problems: _Problems, *,
          required: bool = False) -> str | None:
    value = table.get(key, default)
    if required and key not in table:
        problems.add(where, f"{key} is required")
        return default
    if value is not None and not isinstance(value, str):
        problems.add(where, f"{key} = {value!r}; expected a string")
        return default
    return value


def _boolean(table: dict, key: str, default: bool, where: str, problems: _Problems) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        problems.add(where, f"{key} = {value!r}; expected true or false")
        return default
    return value


def _markers(value: Any, where: str, problems: _Problems) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(m, str) and m.startswith(".") and len(m) > 1
                                              for m in value):
        problems.add(where, f"markers = {value!r}; expected a list of suffixes such as [\".done\", \".ok\"]")
        return ()
    return tuple(value)


_FOLDER_SOURCE_KEYS = {"type", "depositor", "path", "settle_seconds", "markers"}
_SFTP_KEYS = {"type", "depositor", "host", "port", "user", "key_file", "key_passphrase_env", "password_env",
              "known_hosts", "trust_first_use", "inbox", "archive", "returns", "after", "settle_seconds",
              "timeout_seconds", "retries", "backoff_seconds"}


def _sources(section: Any, base: Path, problems: _Problems
             ) -> tuple[tuple[FolderSource, ...], tuple[SftpAccount, ...]]:
    if not isinstance(section, dict):
        problems.add("[sources]", "must be a table of named sources, e.g. [sources.durand]")
        return (), ()
    folders, accounts = [], []
    for name, table in section.items():
        where = f"[sources.{name}]"
        if name == INBOX_SOURCE or name == ALL_SOURCES:
            problems.add(where, f"{name!r} is reserved (the schedule uses it); choose another name")
            continue
        if not isinstance(table, dict):
            problems.add(where, "must be a table")
            continue
        kind = table.get("type")
        if kind == "folder":
            source = _folder_source(name, table, base, where, problems)
            if source is not None:
                folders.append(source)
        elif kind == "sftp":
            account = _sftp_account(name, table, base, where, problems)
            if account is not None:
                accounts.append(account)
        else:
            problems.add(where, f"type = {kind!r}; expected \"folder\" or \"sftp\"")
    return tuple(folders), tuple(accounts)


def _folder_source(name: str, table: dict, base: Path, where: str, problems: _Problems) -> FolderSource | None:
    _unknown_keys(table, _FOLDER_SOURCE_KEYS, where, problems)
    path = _text(table, "path", None, where, problems, required=True)
    if path is None:
        return None
    return FolderSource(
        name=name, depositor=_text(table, "depositor", name, where, problems) or name, path=_path(base, path),
        settle_seconds=_number(table, "settle_seconds", 0.0, where, problems),
        markers=_markers(table.get("markers", []), where, problems),
    )


def _sftp_account(name: str, table: dict, base: Path, where: str, problems: _Problems) -> SftpAccount | None:
    _unknown_keys({k: v for k, v in table.items() if k != "password"}, _SFTP_KEYS, where, problems)
    host = _text(table, "host", None, where, problems, required=True)
    user = _text(table, "user", None, where, problems, required=True)
    key_file = _text(table, "key_file", None, where, problems)
    password_env = _text(table, "password_env", None, where, problems)
    if key_file is None and password_env is None:
        problems.add(where, "set key_file or password_env (or both): the account needs a way to log in")
    if "password" in table:
        problems.add(where, "a password is never written in the file: set password_env to the name of an "
                            "environment variable that holds it")
    after = _text(table, "after", "archive", where, problems)
    if after not in SFTP_AFTER:
        problems.add(where, f"after = {after!r}; expected one of {list(SFTP_AFTER)}")
    known_hosts = _text(table, "known_hosts", None, where, problems)
    port = _number(table, "port", 22, where, problems, whole=True, positive=True)
    if port > 65535:
        problems.add(where, f"port = {port}; expected 1 to 65535")
    if host is None or user is None:
        return None
    return SftpAccount(
        name=name, depositor=_text(table, "depositor", name, where, problems) or name, host=host, user=user,
        port=port, key_file=_optional_path(base, key_file), password_env=password_env,
        key_passphrase_env=_text(table, "key_passphrase_env", None, where, problems),
        known_hosts=_optional_path(base, known_hosts),
        trust_first_use=_boolean(table, "trust_first_use", False, where, problems),
        inbox=_text(table, "inbox", "inbox", where, problems) or "inbox",
        archive=_text(table, "archive", "archive", where, problems) or "archive",
        returns=_text(table, "returns", "returns", where, problems) or "",
        after=after if after in SFTP_AFTER else "archive",
        settle_seconds=_number(table, "settle_seconds", 2.0, where, problems),
        timeout_seconds=_number(table, "timeout_seconds", 30.0, where, problems, positive=True),
        retries=_number(table, "retries", 4, where, problems, whole=True),
        backoff_seconds=_number(table, "backoff_seconds", 2.0, where, problems),
    )


_JOB_KEYS = {"cron", "sources", "misfire_grace_seconds"}


def _schedule(section: Any, folders: tuple[FolderSource, ...], accounts: tuple[SftpAccount, ...],
              problems: _Problems) -> tuple[str, tuple[ScheduledJob, ...]]:
    if not isinstance(section, dict):
        problems.add("[schedule]", "must be a table")
        return "Europe/Paris", ()
    _unknown_keys(section, {"timezone", "jobs"}, "[schedule]", problems)
    timezone = _text(section, "timezone", "Europe/Paris", "[schedule]", problems) or "Europe/Paris"
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(timezone)
    except (ValueError, LookupError):
        problems.add("[schedule]", f"timezone = {timezone!r} is not a known time zone (e.g. \"Europe/Paris\")")
        timezone = "Europe/Paris"
    jobs_table = section.get("jobs", {})
    if not isinstance(jobs_table, dict):
        problems.add("[schedule.jobs]", "must be a table of named jobs, e.g. [schedule.jobs.nightly]")
        return timezone, ()
    known = {INBOX_SOURCE, ALL_SOURCES} | {s.name for s in folders} | {a.name for a in accounts}
    jobs = []
    for name, table in jobs_table.items():
        where = f"[schedule.jobs.{name}]"
        if not isinstance(table, dict):
            problems.add(where, "must be a table")
            continue
        _unknown_keys(table, _JOB_KEYS, where, problems)
        cron = _text(table, "cron", None, where, problems, required=True)
        if cron is not None and not _valid_cron(cron, timezone, where, problems):
            continue
        sources = table.get("sources", [ALL_SOURCES])
        if not isinstance(sources, list) or not sources or not all(isinstance(s, str) for s in sources):
            problems.add(where, f"sources = {sources!r}; expected a non-empty list of source names")
            continue
        for unknown in [s for s in sources if s not in known]:
            problems.add(where, f"source {unknown!r} is not defined; known: {sorted(known)}")
        grace = _number(table, "misfire_grace_seconds", 3600, where, problems, whole=True)
        if cron is not None:
            jobs.append(ScheduledJob(name, cron, tuple(sources), grace))
    return timezone, tuple(jobs)


def _valid_cron(cron: str, timezone: str, where: str, problems: _Problems) -> bool:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(cron, timezone=timezone)
        return True
    except ValueError as exc:
        problems.add(where, f"cron = {cron!r} is not a cron expression (minute hour day month weekday): {exc}")
        return False


def _engine(section: dict[str, Any], problems: _Problems) -> dict[str, Any]:
    from .engines import ENGINES

    kind = section.get("kind", "local")
    if kind not in ENGINES:
        problems.add("[engine]", f"kind = {kind!r}; expected one of {list(ENGINES)}")
        kind = "local"
    scheduler = _text(section, "scheduler", None, "[engine]", problems)
    if kind == "dask" and not scheduler:
        problems.add("[engine]", "kind = \"dask\" needs scheduler = \"tcp://HOST:PORT\" (or kind = \"dask-local\")")
    workers = _number(section, "workers", 0, "[engine]", problems, whole=True)
    return {"engine": kind, "workers": workers, "scheduler": scheduler}


def _web(section: dict[str, Any], base: Path, problems: _Problems) -> WebSettings:
    port = _number(section, "port", 8080, "[web]", problems, whole=True, positive=True)
    if port > 65535:
        problems.add("[web]", f"port = {port}; expected 1 to 65535")
    secure = section.get("secure_cookies")
    return WebSettings(
        host=_text(section, "host", "127.0.0.1", "[web]", problems) or "127.0.0.1", port=port,
        secure_cookies=None if secure is None else _boolean(section, "secure_cookies", True, "[web]", problems),
        session_hours=_number(section, "session_hours", 8.0, "[web]", problems, positive=True),
        secret_file=_optional_path(base, _text(section, "secret_file", None, "[web]", problems)))


def _limits(section: dict[str, Any], problems: _Problems) -> Limits:
    known = {f.name for f in dataclasses.fields(Limits)}
    _unknown_keys(section, known, "[limits]", problems)
    good = {}
    for key in sorted(set(section) & known):
        value = section[key]
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            problems.add("[limits]", f"{key} = {value!r}; expected a positive whole number")
        else:
            good[key] = value
    return Limits(**good)


def _strict(validation: dict[str, Any], problems: _Problems) -> bool:
    return _boolean(validation, "strict", False, "[validation]", problems)


def _policy(section: dict[str, Any], validation: dict[str, Any], problems: _Problems) -> Policy:
    from .validators.engine import all_rules
    from .validators.official import FRENCH_CTC_SOURCES

    known = {r.id for r in all_rules()}
    grades = {}
    for rule_id, grade in section.items():
        if rule_id not in known:
            problems.add("[rules]", f"unknown rule {rule_id!r} (see `edi-gateway rules`)")
        elif grade not in _GRADES:
            problems.add("[rules]", f"{rule_id} = {grade!r}; expected one of {sorted(_GRADES)}")
        else:
            grades[rule_id] = grade
    french_ctc = validation.get("french_ctc", "warning")
    if french_ctc not in _GRADES:
        problems.add("[validation]", f"french_ctc = {french_ctc!r}; expected one of {sorted(_GRADES)}")
        french_ctc = "warning"
    return Policy(grades, {source: french_ctc for source in FRENCH_CTC_SOURCES})


def _database_url(base: Path, url: str) -> str:
    """A SQLite URL with a relative path made absolute (relative to `base`); any other URL as it is."""
    prefix = "sqlite:///"
    path = url[len(prefix):] if url.startswith(prefix) else ""
    if not path or path.startswith("/") or path.startswith(":memory:") or "?" in path:
        return url
    return prefix + str(_path(base, path))


def _path(base: Path, value: str | Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _optional_path(base: Path, value: str | None) -> Path | None:
    return None if value is None else _path(base, value)
