"""Settings: one TOML file, overridden by command-line options.

```toml
[gateway]
inbox = "inbox"                 # where depositors drop files
outbox = "outbox"               # reports (and later routed invoices, status returns)
database = "sqlite:///var/ledger.sqlite3"
depositor = "default"           # who owns the files of this inbox

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
```
Relative paths are relative to the configuration file's folder (or to the current folder without one).
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .ledger.store import default_url
from .parsers.lots import Limits
from .policy import OFF, Policy

_SECTIONS = {"gateway", "folders", "limits", "rules", "validation"}
_VALIDATION_KEYS = {"strict", "french_ctc"}
_GATEWAY_KEYS = {"inbox", "outbox", "database", "depositor", "settle_seconds"}
_FOLDER_KEYS = {"work", "archive", "quarantine"}
_GRADES = {"fatal", "warning", OFF}


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
    limits: Limits = Limits()
    policy: Policy = Policy()
    strict: bool = False  # also run the official artifacts (see validators/official.py)

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


def load_settings(config_file: Path | None = None, *, strict: bool | None = None, **overrides: Any) -> Settings:
    """Settings from `config_file` (optional) with non-None `overrides` (inbox, outbox, database, strict) on top."""
    document: dict[str, Any] = {}
    base = Path.cwd()
    if config_file is not None:
        document = _read_toml(config_file)
        base = config_file.resolve().parent
    gateway = _section(document, "gateway", _GATEWAY_KEYS)
    folders = _section(document, "folders", _FOLDER_KEYS)
    validation = _section(document, "validation", _VALIDATION_KEYS)
    values = {**gateway, **{k: v for k, v in overrides.items() if v is not None}}
    inbox = _path(base, values.get("inbox", "inbox"))
    outbox = _path(base, values.get("outbox", "outbox"))
    database = values.get("database") or default_url(inbox.resolve().parent / "var")
    return Settings(
        inbox=inbox, outbox=outbox, database=str(database), depositor=str(values.get("depositor", "default")),
        work=_optional_path(base, folders.get("work")), archive=_optional_path(base, folders.get("archive")),
        quarantine=_optional_path(base, folders.get("quarantine")),
        settle_seconds=float(values.get("settle_seconds", 0.0)),
        limits=_limits(document.get("limits", {})), policy=_policy(document.get("rules", {}), validation),
        strict=_strict(validation) if strict is None else strict,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            document = tomllib.load(stream)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(document) - _SECTIONS
    if unknown:
        raise ConfigError(f"{path}: unknown section(s) {sorted(unknown)}; expected {sorted(_SECTIONS)}")
    return document


def _section(document: dict, name: str, allowed: set[str]) -> dict[str, Any]:
    section = document.get(name, {})
    unknown = set(section) - allowed
    if unknown:
        raise ConfigError(f"[{name}]: unknown key(s) {sorted(unknown)}; expected {sorted(allowed)}")
    return section


def _limits(section: dict[str, Any]) -> Limits:
    known = {f.name for f in dataclasses.fields(Limits)}
    unknown = set(section) - known
    if unknown:
        raise ConfigError(f"[limits]: unknown key(s) {sorted(unknown)}; expected {sorted(known)}")
    bad = [k for k, v in section.items() if not isinstance(v, int) or v <= 0]
    if bad:
        raise ConfigError(f"[limits]: {bad} must be positive whole numbers")
    return Limits(**section)


def _strict(validation: dict[str, Any]) -> bool:
    value = validation.get("strict", False)
    if not isinstance(value, bool):
        raise ConfigError(f"[validation]: strict = {value!r}; expected true or false")
    return value


def _policy(section: dict[str, Any], validation: dict[str, Any]) -> Policy:
    from .validators.engine import all_rules
    from .validators.official import FRENCH_CTC_SOURCES

    known = {r.id for r in all_rules()}
    for rule_id, grade in section.items():
        if rule_id not in known:
            raise ConfigError(f"[rules]: unknown rule {rule_id!r} (see `edi-gateway rules`)")
        if grade not in _GRADES:
            raise ConfigError(f"[rules]: {rule_id} = {grade!r}; expected one of {sorted(_GRADES)}")
    french_ctc = validation.get("french_ctc", "warning")
    if french_ctc not in _GRADES:
        raise ConfigError(f"[validation]: french_ctc = {french_ctc!r}; expected one of {sorted(_GRADES)}")
    return Policy(dict(section), {source: french_ctc for source in FRENCH_CTC_SOURCES})


def _path(base: Path, value: str | Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _optional_path(base: Path, value: str | None) -> Path | None:
    return None if value is None else _path(base, value)
