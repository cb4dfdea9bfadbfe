"""The console's application: pages, the JSON API under /api/, static files, sessions, security headers.

    app = create_app(Ledger(url), outbox, secret="…", secure_cookies=True)

Read-only over the ledger: no route writes to it (the sign-in only reads users; a password hash made with older
parameters is refreshed, nothing else).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from .. import __version__
from ..config import Settings
from ..ledger.store import Ledger
from . import api, pages
from .auth import FailedSignIns, SignInRequired, secure_cookies_for, session_secret
from .queries import NotVisible, as_utc
from .schemas import amount_text

SESSION_COOKIE = "edi_console"
STATIC = Path(__file__).with_name("static")
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@dataclass
class Console:
    """What every route reads: the ledger, the outbox, the templates and the failed sign-ins."""

    ledger: Ledger
    outbox: Path
    templates: Jinja2Templates
    failures: FailedSignIns = field(default_factory=FailedSignIns)


def create_app(ledger: Ledger, outbox: Path, *, secret: str, secure_cookies: bool = True,
               session_hours: float = 8.0) -> FastAPI:
    app = FastAPI(title="edi-gateway console", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="Read-only flow tracking: a depositor's user sees its depositor's flows, an operator "
                              "every flow. Authenticate with the console's session cookie or HTTP Basic.")
    app.state.console = Console(ledger=ledger, outbox=Path(outbox), templates=_templates())
    app.include_router(pages.router)
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _add_error_handlers(app)
    app.middleware("http")(_security_headers)
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
                       max_age=int(session_hours * 3600), same_site="lax", https_only=secure_cookies)
    return app


def app_from_settings(settings: Settings, host: str) -> FastAPI:
    """The console over the configured ledger and outbox, its secret from the environment or the secret file."""
    secret_file = settings.web.secret_file or settings.state_dir / "var" / "web-secret.key"
    return create_app(Ledger(settings.database), settings.outbox, secret=session_secret(secret_file),
                      secure_cookies=secure_cookies_for(host, settings.web.secure_cookies),
                      session_hours=settings.web.session_hours)


def _templates() -> Jinja2Templates:
    environment = Environment(loader=PackageLoader("edi_gateway.web", "templates"), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["when"] = _when
    environment.filters["amount"] = lambda value: amount_text(value) or ""
    return Jinja2Templates(env=environment)


def _when(moment: datetime | None) -> str:
    return as_utc(moment).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotVisible)
    async def not_visible(request: Request, _exc: NotVisible):
        return _not_found(request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return _not_found(request)
        if _is_api(request) or exc.status_code != 400:
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return _message_page(request, 400, "Bad request", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, exc: RequestValidationError):
        if _is_api(request):
            return JSONResponse({"detail": _jsonable(exc.errors())}, status_code=422)
        wrong = ", ".join(str(error.get("loc", ["?"])[-1]) for error in exc.errors())
        return _message_page(request, 400, "Bad request", f"These parameters could not be read: {wrong}.")

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _exc: SignInRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(request.url_for("sign_in_page").include_query_params(next=target), status_code=303)


def _jsonable(errors: list[dict]) -> list[dict]:
    return [{"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "")), "type": error.get("type")}
            for error in errors]


def _not_found(request: Request):
    if _is_api(request):
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    return _message_page(request, 404, "Not found", "There is no such page, or it is not yours to see.")


def _message_page(request: Request, status: int, title: str, message: str):
    templates: Jinja2Templates = request.app.state.console.templates
    return templates.TemplateResponse(request, "message.html", {"title": title, "message": message, "user": None},
                                      status_code=status)


async def _security_headers(request: Request, call_next):
    response = await call_next(request)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not request.url.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
    return response
