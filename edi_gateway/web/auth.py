"""Signing in and out, sessions and CSRF tokens.

The session lives in a cookie signed with the console's secret (Starlette's SessionMiddleware, itsdangerous):
HttpOnly, SameSite=Lax, Secure unless the console is bound to the loopback address, ending `session_hours` after
sign-in. It holds the user's id, a stamp of its password hash (a password change ends every session made
before it) and the CSRF token every form that posts carries (sign-in, sign-out). The JSON API also takes HTTP
Basic credentials, for a depositor's software. Failed sign-ins are counted per name: past MAX_FAILURES within
FAILURE_WINDOW_SECONDS, that name is refused until the window has passed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

from starlette.requests import Request

from ..ledger.store import Ledger
from .users import User, authenticate, user_by_id

SESSION_USER, SESSION_STAMP, SESSION_CSRF = "user", "stamp", "csrf"
MAX_FAILURES = 10
FAILURE_WINDOW_SECONDS = 15 * 60
SECRET_ENV = "EDI_GATEWAY_WEB_SECRET"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class SignInRequired(Exception):
    """A page asked for without a valid session: the answer is the sign-in page."""


class TooManyFailures(Exception):
    """This name failed to sign in too often lately."""


class FailedSignIns:
    """Recent failed sign-ins per user name (in this process), to slow down password guessing."""

    def __init__(self, limit: int = MAX_FAILURES, window_seconds: float = FAILURE_WINDOW_SECONDS):
        self.limit, self.window = limit, window_seconds
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, name: str) -> None:
        """Raise TooManyFailures when `name` is locked out now."""
        with self._lock:
            recent = self._recent(name.lower())
            if len(recent) >= self.limit:
                raise TooManyFailures(name)

    def record(self, name: str) -> None:
        with self._lock:
            self._recent(name.lower()).append(time.monotonic())

    def clear(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name.lower(), None)

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] < time.monotonic() - self.window:
            failures.popleft()
        return failures


def sign_in_checked(ledger: Ledger, failures: FailedSignIns, name: str, password: str) -> User | None:
    """The user these credentials belong to, or None; raises TooManyFailures for a locked-out name."""
    failures.check(name)
    user = authenticate(ledger, name, password)
    if user is None:
        failures.record(name)
    else:
        failures.clear(name)
    return user


# -- the session ---------------------------------------------------------------------------------------------------
def start_session(request: Request, user: User) -> None:
    """A fresh session for `user` (whatever the cookie held before is dropped), with a new CSRF token."""
    request.session.clear()
    request.session.update({SESSION_USER: user.id, SESSION_STAMP: user.stamp, SESSION_CSRF: secrets.token_urlsafe(32)})


def end_session(request: Request) -> None:
    request.session.clear()


def session_user(request: Request, ledger: Ledger) -> User | None:
    """The signed-in user, if the session names an active one whose password has not changed since."""
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return None
    user = user_by_id(ledger, user_id)
    if user is None or not hmac.compare_digest(user.stamp, str(request.session.get(SESSION_STAMP, ""))):
        request.session.clear()
        return None
    return user


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(name, password) from an `Authorization: Basic` header, or None."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        name, separator, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (name, password) if separator else None


# -- CSRF ----------------------------------------------------------------------------------------------------------
def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use), for a form to carry."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def csrf_ok(request: Request, submitted: str | None) -> bool:
    expected = request.session.get(SESSION_CSRF)
    return isinstance(expected, str) and bool(submitted) and hmac.compare_digest(expected, submitted)


def safe_next(target: str | None, default: str = "/flows") -> str:
    """Where to go after signing in: a path of this site only (never `//host` or a full URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


# -- settings ------------------------------------------------------------------------------------------------------
def secure_cookies_for(host: str, configured: bool | None) -> bool:
    """Secure cookies unless configured otherwise, or bound to the loopback address (plain-HTTP tests)."""
    return configured if configured is not None else host not in LOOPBACK_HOSTS


def session_secret(secret_file: Path) -> str:
    """The key that signs session cookies: $EDI_GATEWAY_WEB_SECRET, or `secret_file`, made (mode 600) if missing."""
    from_environment = os.environ.get(SECRET_ENV)
    if from_environment:
        return from_environment
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return secret_file.read_text().strip()
    with os.fdopen(descriptor, "w") as stream:
        stream.write(secrets.token_urlsafe(48) + "\n")
    return secret_file.read_text().strip()
