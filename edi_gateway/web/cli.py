"""`edi-gateway web` and `edi-gateway user add|passwd|list|disable|enable` (registered by edi_gateway/cli.py).

FastAPI and uvicorn are imported only when the console starts.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from pathlib import Path

from ..config import load_settings
from ..errors import ConfigError

EXIT_OK = 0


def add_web_commands(commands) -> None:
    web = commands.add_parser("web", help="serve the read-only web console (flow tracking per depositor)")
    web.add_argument("--host", help="address to listen on (default: [web] host, else 127.0.0.1)")
    web.add_argument("--port", type=int, help="port to listen on (default: [web] port, else 8080)")
    _add_ledger_options(web, outbox=True)
    web.set_defaults(handler=serve_console)

    user = commands.add_parser("user", help="the web console's users: operators and depositors' users")
    actions = user.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a user (asks for its password, or reads it from stdin)")
    add.add_argument("name")
    add.add_argument("--role", choices=("operator", "depositor"), default="depositor",
                     help="operator: sees every flow; depositor (default): sees its depositor's flows only")
    add.add_argument("--depositor", help="with --role depositor: the depositor (its id) whose flows it sees")
    add.set_defaults(handler=_user_add)
    passwd = actions.add_parser("passwd", help="change a user's password (its open sessions end)")
    passwd.add_argument("name")
    passwd.set_defaults(handler=_user_passwd)
    for command in (add, passwd):
        command.add_argument("--password-stdin", action="store_true",
                             help="read the password from the first line of standard input (scripts)")
    listing = actions.add_parser("list", help="every user, its role and depositor")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_user_list)
    disable = actions.add_parser("disable", help="refuse a user's sign-in (its open sessions end)")
    enable = actions.add_parser("enable", help="let a disabled user sign in again")
    for command, active in ((disable, False), (enable, True)):
        command.add_argument("name")
        command.set_defaults(handler=_user_activation, active=active)
    for command in (add, passwd, listing, disable, enable):
        _add_ledger_options(command)


def _add_ledger_options(command: argparse.ArgumentParser, outbox: bool = False) -> None:
    command.add_argument("--db", help="ledger database URL (default: SQLite beside the inbox)")
    command.add_argument("--config", type=Path, help="TOML configuration file")
    if outbox:
        command.add_argument("--outbox", type=Path, help="outbox folder (reports and status returns to offer)")


def serve_console(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import app_from_settings

    settings = load_settings(args.config, database=args.db, outbox=args.outbox)
    host = args.host or settings.web.host
    port = args.port or settings.web.port
    if not 0 < port < 65536:
        raise ConfigError(f"--port {port}: expected 1 to 65535")
    app = app_from_settings(settings, host)
    log = logging.getLogger("edi_gateway")
    if not _user_count(app.state.console.ledger):
        log.warning("no console user yet: add one with `edi-gateway user add NAME --role operator`")
    print(f"edi-gateway console on http://{host}:{port}/ (ledger {settings.database}, outbox {settings.outbox})",
          file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True, server_header=False)
    return EXIT_OK


def _ledger(args: argparse.Namespace):
    from ..ledger import Ledger

    return Ledger(load_settings(args.config, database=args.db).database)


def _user_count(ledger) -> int:
    from .users import list_users

    return len(list_users(ledger))


def _user_add(args: argparse.Namespace) -> int:
    from .users import add_user

    ledger = _ledger(args)
    password = _new_password(args.password_stdin)
    user = add_user(ledger, args.name, password, role=args.role, depositor=args.depositor)
    sees = "every flow" if user.is_operator else f"the flows of depositor {user.depositor}"
    print(f"user {user.name} added ({user.role}): sees {sees}")
    return EXIT_OK


def _user_passwd(args: argparse.Namespace) -> int:
    from .users import set_password

    ledger = _ledger(args)
    set_password(ledger, args.name, _new_password(args.password_stdin))
    print(f"password of {args.name} changed; its open sessions have ended")
    return EXIT_OK


def _user_activation(args: argparse.Namespace) -> int:
    from .users import set_active

    set_active(_ledger(args), args.name, args.active)
    print(f"user {args.name} {'enabled' if args.active else 'disabled'}")
    return EXIT_OK


def _user_list(args: argparse.Namespace) -> int:
    from .users import list_users

    entries = [{"name": row.name, "role": row.role, "depositor": row.depositor_id, "active": row.active,
                "password_changed_at": row.password_changed_at.isoformat(timespec="seconds")}
               for row in list_users(_ledger(args))]
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"{len(entries)} user(s)")
    for e in entries:
        state = "" if e["active"] else " (disabled)"
        print(f"  {e['name']}{state}: {e['role']}{' of ' + e['depositor'] if e['depositor'] else ''}, "
              f"password changed {e['password_changed_at']}")
    return EXIT_OK


def _new_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at a prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ConfigError("no terminal to ask the password on: pass it on stdin with --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise ConfigError("the two passwords differ")
    return first
