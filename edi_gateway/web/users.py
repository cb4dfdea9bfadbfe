"""The console's users, in the ledger (`edi-gateway user add|passwd|list`), and how they sign in.

Passwords are hashed with argon2id (argon2-cffi, its recommended parameters); the hash is the PHC string, which
carries its parameters and salt, so stronger parameters later still verify old hashes (and rehash them at the
next sign-in). Signing in with an unknown name costs one hash verification too, so response times do not tell
which names exist.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import ConfigError
from ..ledger.models import DepositorRow, WebUserRow
from ..ledger.store import Ledger, now

OPERATOR, DEPOSITOR = "operator", "depositor"
ROLES = (OPERATOR, DEPOSITOR)
MIN_PASSWORD_LENGTH = 12
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password anyone has")  # verified against when the name is unknown


@dataclass(frozen=True, slots=True)
class User:
    """Who is signed in: what every query of the console filters by (see queries.Viewer)."""

    id: int
    name: str
    role: str
    depositor: str | None  # the depositor whose flows it sees; None for an operator
    stamp: str  # changes with the password: a session made before a password change ends

    @property
    def is_operator(self) -> bool:
        return self.role == OPERATOR


def add_user(ledger: Ledger, name: str, password: str, *, role: str, depositor: str | None = None) -> User:
    """Register a console user: an operator (no depositor) or a depositor's user (its depositor must exist)."""
    _check_user(name, role, depositor)
    _check_password(password)
    at = now()
    row = WebUserRow(name=name, password_hash=_HASHER.hash(password), role=role,
                     depositor_id=depositor if role == DEPOSITOR else None, active=True, created_at=at,
                     password_changed_at=at)
    with ledger.session() as session:
        if role == DEPOSITOR and session.get(DepositorRow, depositor) is None:
            raise ConfigError(f"no depositor {depositor!r}: register it first (edi-gateway depositor add)")
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            raise ConfigError(f"user {name!r} already exists (change its password with `user passwd`)") from None
        return _user(row)


def set_password(ledger: Ledger, name: str, password: str) -> None:
    """Change a user's password; the sessions it had open end."""
    _check_password(password)
    with ledger.session() as session, session.begin():
        row = _row_named(session, name)
        if row is None:
            raise ConfigError(f"no user {name!r}")
        row.password_hash, row.password_changed_at = _HASHER.hash(password), now()


def set_active(ledger: Ledger, name: str, active: bool) -> None:
    with ledger.session() as session, session.begin():
        row = _row_named(session, name)
        if row is None:
            raise ConfigError(f"no user {name!r}")
        row.active = active


def list_users(ledger: Ledger) -> list[WebUserRow]:
    with ledger.session() as session:
        return list(session.scalars(select(WebUserRow).order_by(WebUserRow.name)))


def authenticate(ledger: Ledger, name: str, password: str) -> User | None:
    """The active user with this name and password, or None (same work either way)."""
    with ledger.session() as session:
        row = _row_named(session, name) if _NAME.fullmatch(name or "") else None
        if not _verify(row.password_hash if row else _DUMMY_HASH, password) or row is None or not row.active:
            return None
        if _HASHER.check_needs_rehash(row.password_hash):
            row.password_hash = _HASHER.hash(password)
            session.commit()
        return _user(row)


def user_by_id(ledger: Ledger, user_id: int) -> User | None:
    """The active user with this id (a session's), or None."""
    with ledger.session() as session:
        row = session.get(WebUserRow, user_id)
        return _user(row) if row is not None and row.active else None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _user(row: WebUserRow) -> User:
    return User(id=row.id, name=row.name, role=row.role, depositor=row.depositor_id,
                stamp=_stamp(row.password_hash))


def _stamp(password_hash: str) -> str:
    """A short fingerprint of the password hash (never the hash itself) that a session carries."""
    return hmac.new(b"edi-gateway session stamp", password_hash.encode(), hashlib.sha256).hexdigest()[:24]


def _row_named(session, name: str) -> WebUserRow | None:
    return session.scalars(select(WebUserRow).where(WebUserRow.name == name)).first()


def _check_user(name: str, role: str, depositor: str | None) -> None:
    if not _NAME.fullmatch(name or ""):
        raise ConfigError(f"user name {name!r}: use 1 to 100 letters, digits, '.', '_', '@' or '-', starting with a "
                          "letter or digit")
    if role not in ROLES:
        raise ConfigError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if role == DEPOSITOR and not depositor:
        raise ConfigError("a depositor's user needs --depositor ID (the depositor whose flows it sees)")
    if role == OPERATOR and depositor:
        raise ConfigError("an operator sees every flow: give no --depositor")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ConfigError(f"the password is too short: at least {MIN_PASSWORD_LENGTH} characters")
