"""What routes ask FastAPI for: the console, and the signed-in user (a page's, or the API's)."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, Response

from .auth import SignInRequired, TooManyFailures, basic_credentials, session_user, sign_in_checked
from .files import Download
from .users import User


def console(request: Request):
    return request.app.state.console


def page_user(request: Request) -> User:
    """The signed-in user of a page; without one, the answer is the sign-in page."""
    user = session_user(request, console(request).ledger)
    if user is None:
        raise SignInRequired()
    return user


def api_user(request: Request) -> User:
    """The user of an API call: its session, or HTTP Basic credentials; without them, 401."""
    state = console(request)
    user = session_user(request, state.ledger)
    credentials = basic_credentials(request) if user is None else None
    if credentials is not None:
        try:
            user = sign_in_checked(state.ledger, state.failures, *credentials)
        except TooManyFailures:
            raise HTTPException(429, "too many failed sign-ins for this name: try again later") from None
    if user is None:
        raise HTTPException(401, "sign in first (session cookie or HTTP Basic)",
                            headers={"WWW-Authenticate": 'Basic realm="edi-gateway", charset="UTF-8"'})
    return user


def download_response(entry: Download) -> Response:
    """A file of the outbox (or rebuilt content) as an attachment: never shown as a page of this site."""
    disposition = f'attachment; filename="{entry.name}"'
    if entry.content is not None:
        return Response(entry.content, media_type=entry.media_type, headers={"Content-Disposition": disposition})
    return FileResponse(entry.path, media_type=entry.media_type, headers={"Content-Disposition": disposition})
