"""The `edi-gateway` command. Thin: parse options, call the pipeline, print.

Exit status: 0 when the gateway did its job (rejected invoices are a normal outcome), 1 when `validate` found a
rejected invoice, 2 on a usage or configuration error, 3 when the gateway itself failed (ledger unreachable…).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import __version__
from .config import load_settings
from .errors import ConfigError, GatewayError, UnreadableFlow
from .model import Decision, Finding, Origin, Severity
from .pipeline import BatchResult, Gateway, check_documents
from .progress import batch_progress, configure_logging, log_batches
from .validators import CheckContext, all_rules
from .web.cli import add_web_commands

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILURE = 0, 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose, service=args.command in ("watch", "serve"))
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"edi-gateway: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except GatewayError as exc:
        print(f"edi-gateway: {exc}", file=sys.stderr)
        return EXIT_FAILURE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edi-gateway", description="Batch intake gateway for e-invoices")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the gateway does")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="sweep every source once (inbox folders, SFTP accounts), then exit")
    _add_location_options(run)
    run.add_argument("--source", action="append", metavar="NAME",
                     help="sweep only this source (repeatable; \"inbox\" is the inbox and the depositors' folders)")
    run.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")
    _add_strict_option(run)
    run.set_defaults(handler=_run)

    watch = commands.add_parser("watch", help="watch the local folders and process files as they arrive")
    _add_location_options(watch)
    _add_strict_option(watch)
    watch.set_defaults(handler=_watch)

    serve = commands.add_parser("serve", help="the folder watcher and the scheduled sweeps, until SIGTERM")
    _add_location_options(serve)
    serve.add_argument("--no-watch", action="store_true", help="run the scheduled jobs only, no folder watcher")
    _add_strict_option(serve)
    serve.set_defaults(handler=_serve)

    config = commands.add_parser("config", help="the configuration file")
    config_actions = config.add_subparsers(dest="action", required=True)
    check = config_actions.add_parser("check", help="validate a configuration file and say what is wrong")
    _add_location_options(check, engine=False)
    check.add_argument("--connect", action="store_true",
                       help="also open the ledger database (and bring its schema up to date)")
    check.set_defaults(handler=_config_check)

    validate = commands.add_parser("validate", help="dry run: parse and check files, record and move nothing")
    validate.add_argument("files", nargs="+", type=Path)
    validate.add_argument("--json", action="store_true", help="one JSON object per invoice")
    validate.add_argument("--config", type=Path, help="TOML configuration file (rule grades, limits)")
    validate.add_argument("--db", help="ledger database URL: also check routing and duplicates against it")
    validate.add_argument("--depositor", help="with --db: check routing as this depositor (default: the "
                                              "configured one)")
    _add_strict_option(validate)
    validate.set_defaults(handler=_validate)

    rules = commands.add_parser("rules", help="list the rules the gateway applies")
    rules.add_argument("--markdown", action="store_true", help="print docs/rules.md")
    rules.set_defaults(handler=_rules)
    _add_depositor_commands(commands)
    _add_directory_commands(commands)
    _add_status_commands(commands)
    add_web_commands(commands)  # `web` and `user` (edi_gateway/web/cli.py; FastAPI is loaded only by `web`)
    return parser


def _add_strict_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--strict", action="store_true",
                         help="also run the official EN 16931 and French CTC artifacts (Saxon; slower) and report "
                              "their findings beside the gateway's own")


def _add_location_options(command: argparse.ArgumentParser, engine: bool = True) -> None:
    command.add_argument("--inbox", type=Path, help="folder to take deposited files from")
    command.add_argument("--outbox", type=Path, help="folder to write reports to")
    command.add_argument("--db", help="ledger database URL (SQLAlchemy), default: SQLite beside the inbox")
    command.add_argument("--config", type=Path, help="TOML configuration file")
    if engine:
        command.add_argument("--workers", type=int, metavar="N",
                             help="worker processes checking large lots (default: every core; 1: in-process)")
        command.add_argument("--engine", choices=("local", "dask", "dask-local"),
                             help="where lots are checked: worker processes here (local, the default), a Dask "
                                  "cluster (dask, with --scheduler), or a Dask cluster started here (dask-local)")
        command.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="the Dask scheduler (--engine dask)")


def _settings(args: argparse.Namespace):
    """Settings from --config, with --inbox, --outbox, --db, --strict and the engine options on top (the same for
    run, watch, serve)."""
    if getattr(args, "workers", None) is not None and args.workers < 0:
        raise ConfigError("--workers: expected 0 (every core), 1 (in-process) or more")
    return load_settings(args.config, inbox=args.inbox, outbox=args.outbox, database=args.db,
                         strict=getattr(args, "strict", False) or None, workers=getattr(args, "workers", None),
                         engine=getattr(args, "engine", None), scheduler=getattr(args, "scheduler", None))


def _gateway(args: argparse.Namespace) -> Gateway:
    from .ledger import Ledger

    settings = _settings(args)
    return Gateway(settings, Ledger(settings.database))


def _run(args: argparse.Namespace) -> int:
    gateway = _gateway(args)
    settings = gateway.settings
    unknown = sorted(set(args.source or ()) - set(settings.source_names()))
    if unknown:
        raise ConfigError(f"--source {', '.join(unknown)}: no such source; known: {settings.source_names()}")
    try:
        with batch_progress(gateway, gateway.pending_count()):
            results = gateway.run_once(args.source)
    finally:
        gateway.close()
    if args.json:
        print(json.dumps([_result_dict(r) for r in results], indent=2))
    else:
        _print_summary(results, settings.outbox)
    for error in gateway.source_errors:
        print(f"edi-gateway: source not collected: {error}", file=sys.stderr)
    for error in gateway.batch_errors:
        print(f"edi-gateway: {error}", file=sys.stderr)
    return EXIT_FAILURE if gateway.source_errors or gateway.batch_errors else EXIT_OK


def _watch(args: argparse.Namespace) -> int:
    return _run_service(args, watch=True, schedule=False)


def _serve(args: argparse.Namespace) -> int:
    return _run_service(args, watch=not args.no_watch, schedule=True)


def _run_service(args: argparse.Namespace, *, watch: bool, schedule: bool) -> int:
    """`watch` and `serve`: run until SIGTERM, logging a line per batch, then stop the engine's workers."""
    from .scheduling import Service

    gateway = _gateway(args)
    if not watch and not gateway.settings.jobs:
        raise ConfigError("nothing to serve: --no-watch and no [schedule.jobs.<name>] in the configuration")
    service = Service(gateway, watch=watch, schedule=schedule)
    service.install_signal_handlers()
    _announce(gateway, "serving" if schedule else "watching")
    try:
        with log_batches(gateway):
            service.run()
    finally:
        gateway.close()
    return EXIT_OK


def _announce(gateway: Gateway, what: str) -> None:
    log = logging.getLogger("edi_gateway")
    for source in gateway.folder_sources():
        log.info("%s folder %s for depositor %s (settle %.1f s%s)", what, source.path, source.depositor,
                 source.settle_seconds, f", markers {list(source.markers)}" if source.markers else "")
    for account in gateway.settings.sftp:
        log.info("SFTP account %s: %s@%s:%d for depositor %s", account.name, account.user, account.host,
                 account.port, account.depositor)


def _config_check(args: argparse.Namespace) -> int:
    from .config import check_environment

    settings = _settings(args)  # raises ConfigError listing every problem of the file itself
    console = _console()
    problems, warnings = check_environment(settings)
    if args.connect:
        from .ledger import Ledger
        from .ledger.depositors import list_depositors

        try:
            ledger = Ledger(settings.database)
        except GatewayError as exc:
            problems.append(f"[gateway] database: {exc}")
        else:
            active = {d.id for d in list_depositors(ledger) if d.active}
            owners = [("[gateway] depositor", settings.depositor)]
            owners += [(f"[sources.{s.name}]", s.depositor) for s in (*settings.folders, *settings.sftp)]
            for where, depositor in owners:
                if depositor not in active:
                    warnings.append(f"{where}: depositor {depositor!r} is not an active registered depositor: "
                                    "every invoice it sends would be rejected (DEP-02); register it with "
                                    f"`edi-gateway depositor add {depositor}`")
            ledger.engine.dispose()
    where = str(args.config) if args.config else "defaults (no --config)"
    table = Table(title=f"configuration: {where}")
    table.add_column("source")
    table.add_column("kind")
    table.add_column("depositor")
    table.add_column("where")
    table.add_row("inbox", "folder", settings.depositor, str(settings.inbox))
    for source in settings.folders:
        table.add_row(source.name, "folder", source.depositor, str(source.path))
    for account in settings.sftp:
        table.add_row(account.name, "sftp", account.depositor,
                      f"{account.user}@{account.host}:{account.port}/{account.inbox} (then {account.after})")
    console.print(table)
    for job in settings.jobs:
        console.print(f"job {job.name}: cron \"{job.cron}\" ({settings.timezone}), sources {list(job.sources)}, "
                      f"misfire grace {job.misfire_grace_seconds} s")
    from .ledger.store import redacted_url  # never the password

    console.print(f"database: {redacted_url(settings.database)}   outbox: {settings.outbox}   "
                  f"work: {settings.work_dir}")
    for warning in warnings:
        print(f"edi-gateway: configuration warning: {warning}", file=sys.stderr)
    if problems:
        for problem in problems:
            print(f"edi-gateway: configuration problem: {problem}", file=sys.stderr)
        return EXIT_USAGE
    console.print("[green]configuration OK[/]")
    return EXIT_OK


def _result_dict(result: BatchResult) -> dict:
    return {"batch": result.batch_id, "depositor": result.depositor, "file": result.file_name,
            "format": result.format, "flow_status": result.flow_status, "reason_code": result.reason_code,
            "invoices": result.invoices, "accepted": result.accepted, "rejected": result.rejected,
            "routed": [{"recipient": r, "service": s, "frame": f} for r, s, f in result.routes],
            "reports": str(result.reports) if result.reports else None}


def _console() -> Console:
    """A console as wide as the terminal, or wide enough for the summary when output is not a terminal."""
    return Console() if sys.stdout.isatty() else Console(width=160)


def _print_summary(results: list[BatchResult], outbox: Path) -> None:
    console = _console()
    if not results:
        console.print("Nothing to process: the inbox is empty.")
        return
    table = Table(title=f"edi-gateway run: {len(results)} flow(s)")
    for column in ("batch", "depositor", "file", "format", "flow status", "invoices", "accepted", "rejected"):
        table.add_column(column, justify="right" if column in ("invoices", "accepted", "rejected") else "left")
    for r in results:
        status = r.flow_status + (f" ({r.reason_code})" if r.reason_code else "")
        style = {"IN_INTEGRE": "green", "IN_INTEGRE_PARTIEL": "yellow"}.get(r.flow_status, "red")
        table.add_row(r.batch_id, r.depositor, r.file_name, r.format or "-", f"[{style}]{status}[/]",
                      str(r.invoices), str(r.accepted), str(r.rejected))
    total = [sum(getattr(r, f) for r in results) for f in ("invoices", "accepted", "rejected")]
    table.add_section()
    table.add_row("total", "", "", "", "", *map(str, total))
    console.print(table)
    _print_routes(results, console)
    console.print(f"Reports: {outbox / 'reports'}/<batch>/{{acceptance,rejection}}.{{csv,json}} and report.html")
    console.print(f"Routed invoices: {outbox / 'routed'}/<recipient>/<service or _>/<frame>/   "
                  f"Routing manifests: {outbox / 'manifests'}/")


def _print_routes(results: list[BatchResult], console: Console) -> None:
    """How many invoices went to each recipient, service and billing frame."""
    routes = Counter(route for r in results for route in r.routes)
    if not routes:
        return
    table = Table(title=f"routed: {sum(routes.values())} invoice(s) made available to their recipients")
    for column in ("recipient", "service", "frame", "invoices"):
        table.add_column(column, justify="right" if column == "invoices" else "left")
    for (recipient, service, frame), count in sorted(routes.items()):
        table.add_row(recipient, service, frame, str(count))
    console.print(table)


def _validate(args: argparse.Namespace) -> int:
    from .parsers import read_flow

    settings = load_settings(args.config, strict=args.strict or None, database=args.db)
    context = CheckContext()  # shared by every file given, so duplicates across them are found too
    lookups = {}
    if args.db or args.depositor:
        lookups = _ledger_lookups(settings, args.depositor or settings.depositor, context)
    any_rejected = False
    console = _console()
    for path in args.files:
        try:
            data = path.read_bytes()
            verdicts = list(check_documents(read_flow(data, Origin(file_name=path.name), settings.limits),
                                            context, settings.policy, strict=settings.strict, **lookups))
        except (UnreadableFlow, OSError) as exc:
            any_rejected = True
            _print_unreadable(path, exc, args.json, console)
            continue
        for verdict in verdicts:
            any_rejected |= verdict.decision is Decision.REJECTED
            _print_verdict(verdict, args.json, console)
    return EXIT_REJECTED if any_rejected else EXIT_OK


def _ledger_lookups(settings, depositor: str, context: CheckContext) -> dict:
    """Routing and duplicate checks against the ledger for a dry run: read-only look-ups, nothing recorded."""
    from .ledger import Ledger
    from .ledger.depositors import load_depositor
    from .ledger.directory import lookup_structures, structure_count
    from .routing.router import RoutingContext

    ledger = Ledger(settings.database)
    context.routing = RoutingContext(load_depositor(ledger, depositor), directory_size=structure_count(ledger))
    return {"accepted_keys": ledger.accepted_keys,
            "directory": lambda identifiers: lookup_structures(ledger, identifiers)}


def _print_unreadable(path: Path, exc: Exception, as_json: bool, console: Console) -> None:
    code = getattr(exc, "code", "IRR_SYNTAX")
    finding = Finding(rule=code, severity=Severity.FATAL, message_en=getattr(exc, "message_en", str(exc)),
                      message_fr=getattr(exc, "message_fr", str(exc)), hint="Correct the file and try again",
                      location=path.name)
    if as_json:
        print(json.dumps({"file": path.name, "invoice": None, "decision": "rejected",
                          "findings": [finding.as_dict()]}, ensure_ascii=False))
    else:
        console.print(f"[red]✗ {path.name}: unreadable ({code})[/] {finding.message_en}", highlight=False)


def _print_verdict(verdict, as_json: bool, console: Console) -> None:
    number = verdict.invoice.number if verdict.invoice else None
    if as_json:
        print(json.dumps({"file": verdict.origin.label(), "invoice": number, "decision": verdict.decision.value,
                          "findings": [f.as_dict() for f in verdict.findings]}, ensure_ascii=False))
        return
    mark = "[green]✓ accepted[/]" if verdict.decision is Decision.ACCEPTED else "[red]✗ rejected[/]"
    console.print(f"{mark} {verdict.origin.label()} invoice {number or '?'}", highlight=False)
    for f in verdict.findings:
        source = "" if f.source == "native" else f" [{f.source}]"
        console.print(f"    {f.severity.value:7} {f.rule:10} {f.location or '-'}{source}", highlight=False,
                      markup=False)
        console.print(f"            {f.message_en}", highlight=False, markup=False)
        if f.hint:
            console.print(f"            → {f.hint}", highlight=False, markup=False)


def _rules(args: argparse.Namespace) -> int:
    from .validators.catalogue import rules_markdown

    if args.markdown:
        print(rules_markdown(), end="")
        return EXIT_OK
    table = Table(title="edi-gateway rules")
    for column in ("id", "severity", "BT", "message (en)", "reason"):
        table.add_column(column)
    for r in all_rules():
        table.add_row(r.id, r.severity.value, ", ".join(r.bt), r.en, r.reason_code)
    _console().print(table)
    return EXIT_OK


# -- depositors ---------------------------------------------------------------------------------------------------
def _add_depositor_commands(commands) -> None:
    depositor = commands.add_parser("depositor", help="accounts that deposit files, and the suppliers they act for")
    actions = depositor.add_subparsers(dest="action", required=True)

    add = actions.add_parser("add", help="register a depositor (a supplier's system, an accounting firm)")
    add.add_argument("id", help="short lowercase name; also the name of its inbox folder under the inbox root")
    add.add_argument("--name", help="the company's name (default: the id)")
    add.add_argument("--kind", default="supplier", choices=("supplier", "accounting-firm", "other"))
    add.add_argument("--inbox", type=Path, help="its own inbox folder (default: <inbox root>/<id>)")
    add.add_argument("--sftp-login", help="its SFTP login, when it deposits over SFTP")
    add.set_defaults(handler=_depositor_add)

    attach = actions.add_parser("attach", help="attach a depositor to a supplier it may deposit for")
    attach.add_argument("id")
    attach.add_argument("supplier", help="the supplier's identifier: SIRET (or SIREN for all its establishments)")
    attach.add_argument("--role", default="principal", choices=("principal", "secondary"),
                        help="principal manager or secondary user, as on the public portal")
    attach.add_argument("--acts-as", default="supplier",
                        help="comma-separated capacities deciding the billing frames it may use: supplier (A1…A8, "
                             "A21…A23), subcontractor (A9…A11), cocontractor (A12…A14), moe (A15…A18, A24, A25), "
                             "moa (A19, A20); default: supplier")
    attach.set_defaults(handler=_depositor_attach)

    detach = actions.add_parser("detach", help="remove a depositor's attachment to a supplier")
    detach.add_argument("id")
    detach.add_argument("supplier")
    detach.set_defaults(handler=_depositor_detach)

    listing = actions.add_parser("list", help="every depositor, its inbox and the suppliers it acts for")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_depositor_list)
    for command in (add, attach, detach, listing):
        command.add_argument("--db", help="ledger database URL (default: SQLite beside the inbox)")
        command.add_argument("--config", type=Path, help="TOML configuration file")


def _ledger_for(args: argparse.Namespace):
    from .ledger import Ledger

    settings = load_settings(args.config, database=args.db, outbox=getattr(args, "outbox", None))
    return settings, Ledger(settings.database)


def _depositor_add(args: argparse.Namespace) -> int:
    from .ledger.depositors import add_depositor

    _settings, ledger = _ledger_for(args)
    add_depositor(ledger, args.id, name=args.name or args.id, kind=args.kind, inbox=args.inbox,
                  sftp_login=args.sftp_login)
    inbox = args.inbox or f"<inbox>/{args.id}/ (under the inbox of `edi-gateway run`)"
    print(f"depositor {args.id} registered; its inbox: {inbox}")
    return EXIT_OK


def _depositor_attach(args: argparse.Namespace) -> int:
    from .ledger.depositors import attach

    _settings, ledger = _ledger_for(args)
    capacities = frozenset(c.strip() for c in args.acts_as.split(",") if c.strip())
    attach(ledger, args.id, args.supplier, role=args.role, capacities=capacities)
    print(f"depositor {args.id} attached to supplier {args.supplier} as {args.role}, acting as "
          f"{', '.join(sorted(capacities))}")
    return EXIT_OK


def _depositor_detach(args: argparse.Namespace) -> int:
    from .ledger.depositors import detach

    _settings, ledger = _ledger_for(args)
    if not detach(ledger, args.id, args.supplier):
        print(f"edi-gateway: depositor {args.id} is not attached to supplier {args.supplier}", file=sys.stderr)
        return EXIT_REJECTED
    print(f"depositor {args.id} detached from supplier {args.supplier}")
    return EXIT_OK


def _depositor_list(args: argparse.Namespace) -> int:
    from .ledger.depositors import list_depositors

    _settings, ledger = _ledger_for(args)
    rows = list_depositors(ledger)
    entries = [{"id": d.id, "name": d.name, "kind": d.kind, "active": d.active,
                "inbox": d.inbox or f"<inbox>/{d.id}/", "sftp_login": d.sftp_login,
                "attachments": [{"supplier": a.supplier_id, "role": a.role, "acts_as": a.capacities.split(",")}
                                for a in d.attachments]} for d in rows]
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return EXIT_OK
    table = Table(title=f"{len(entries)} depositor(s)")
    for column in ("id", "name", "kind", "inbox", "sftp login", "suppliers (role: capacities)"):
        table.add_column(column)
    for e in entries:
        suppliers = "\n".join(f"{a['supplier']} ({a['role']}: {', '.join(a['acts_as'])})" for a in e["attachments"])
        table.add_row(e["id"] + ("" if e["active"] else " (inactive)"), e["name"], e["kind"], e["inbox"],
                      e["sftp_login"] or "-", suppliers or "-")
    _console().print(table)
    return EXIT_OK


# -- directory of public structures (annuaire) ---------------------------------------------------------------------
_PROBLEMS_SHOWN = 10  # per imported file; the summary counts them all


def _add_directory_commands(commands) -> None:
    directory = commands.add_parser("directory", help="the directory of public structures (annuaire): import, show")
    actions = directory.add_subparsers(dest="action", required=True)

    load = actions.add_parser("import", help="import directory export files (structures and/or services)")
    load.add_argument("files", nargs="+", type=Path,
                      help="export files; each one's kind is read from its header, structures are imported first")
    load.add_argument("--json", action="store_true", help="print the summaries as JSON instead of a table")
    load.set_defaults(handler=_directory_import)

    show = actions.add_parser("show", help="one structure of the directory: its flags and services")
    show.add_argument("identifier", help="the structure's identifier (its SIRET)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_directory_show)
    for command in (load, show):
        command.add_argument("--db", help="ledger database URL (default: SQLite beside the inbox)")
        command.add_argument("--config", type=Path, help="TOML configuration file")


def _directory_import(args: argparse.Namespace) -> int:
    from .ledger.directory import import_directory
    from .routing.directory import NotADirectoryExport

    exports, errors = _directory_exports(args.files)
    if errors:
        for error in errors:
            print(f"edi-gateway: {error}", file=sys.stderr)
        print("edi-gateway: nothing imported", file=sys.stderr)
        return EXIT_USAGE
    _settings, ledger = _ledger_for(args)
    summaries = []
    for export in exports:
        try:
            summaries.append(import_directory(ledger, export.path))
        except NotADirectoryExport as exc:
            print(f"edi-gateway: {exc}", file=sys.stderr)
            return EXIT_USAGE
    if args.json:
        print(json.dumps([summary.as_dict() for summary in summaries], indent=2, ensure_ascii=False))
    else:
        _print_directory_summaries(summaries)
    return EXIT_OK


def _directory_exports(paths: list[Path]) -> tuple[list, list[str]]:
    """The export files in import order (structures first), and what is wrong with those that are not exports."""
    from .routing.directory import STRUCTURES, NotADirectoryExport, open_export

    exports, errors = [], []
    for path in paths:
        try:
            exports.append(open_export(path))
        except NotADirectoryExport as exc:
            errors.append(str(exc))
        except OSError as exc:
            errors.append(f"{path}: cannot read the file: {exc.strerror or exc}")
    for kind in {export.kind for export in exports}:
        same_kind = [export.path.name for export in exports if export.kind == kind]
        if len(same_kind) > 1:
            errors.append(f"{len(same_kind)} {kind} exports given ({', '.join(same_kind)}): each import makes what "
                          f"its file does not list inactive, so give one {kind} export at a time")
    return sorted(exports, key=lambda export: export.kind != STRUCTURES), errors


def _print_directory_summaries(summaries: list) -> None:
    console = _console()
    table = Table(title=f"edi-gateway directory import: {len(summaries)} file(s)")
    counts = ("rows", "added", "updated", "unchanged", "deactivated", "skipped")
    for column in ("file", "kind", *counts):
        table.add_column(column, justify="right" if column in counts else "left")
    for summary in summaries:
        table.add_row(summary.file_name, summary.kind, *(str(getattr(summary, name)) for name in counts))
    console.print(table)
    for summary in summaries:
        if summary.problems:
            console.print(f"{summary.file_name}: {summary.skipped} row(s) skipped", highlight=False, markup=False)
            for problem in summary.problems[:_PROBLEMS_SHOWN]:
                console.print(f"    {problem}", highlight=False, markup=False)
            if len(summary.problems) > _PROBLEMS_SHOWN:
                console.print(f"    … and {len(summary.problems) - _PROBLEMS_SHOWN} more, listed with --json",
                              highlight=False)


def _directory_show(args: argparse.Namespace) -> int:
    from .ledger.directory import show_structure, structure_count

    _settings, ledger = _ledger_for(args)
    details = show_structure(ledger, args.identifier)
    if details is None:
        count = structure_count(ledger)
        hint = (f"{count} structure(s) in it" if count
                else "it is empty: import an export with `edi-gateway directory import`")
        print(f"edi-gateway: no structure {args.identifier} in the directory ({hint})", file=sys.stderr)
        return EXIT_REJECTED
    entry = _structure_entry(details)
    if args.json:
        print(json.dumps(entry, indent=2, ensure_ascii=False))
    else:
        _print_structure(entry)
    return EXIT_OK


_STRUCTURE_FLAG_WORDS = (  # (field, label) in the order `directory show` prints them
    ("active", "active"),
    ("service_required", "service required (GestionService)"),
    ("engagement_required", "engagement required (GestionEngagement)"),
    ("service_or_engagement", "service or engagement (GestionServiceEngagement)"),
    ("works_space_open", "works space open (EstMOA)"),
    ("works_only", "works only (EstMOAUniquement)"),
    ("payment_status_managed", "payment status managed (GestionStatutMiseEnPaiement)"),
    ("edi_sender", "EDI sender (EmetteurEdi)"),
    ("edi_receiver", "EDI receiver (RecepteurEdi)"),
)


def _structure_entry(details) -> dict:
    """A structure, its services and last import, as plain values (the JSON of `directory show`)."""
    row, last = details.structure, details.last_import
    return {
        "identifier": row.identifier, "identifier_type": row.identifier_type, "name": row.name,
        **{name: getattr(row, name) for name, _ in _STRUCTURE_FLAG_WORDS},
        "address": row.address, "postcode": row.postcode, "city": row.city, "country_code": row.country_code,
        "updated_at": _utc_iso(row.updated_at),
        "last_import": None if last is None else {"file": last.file_name, "sha256": last.sha256,
                                                  "imported_at": _utc_iso(last.imported_at)},
        "services": [{"code": s.code, "name": s.name, "active": s.active,
                      "engagement_required": s.engagement_required} for s in details.services],
    }


def _utc_iso(moment) -> str | None:
    """A ledger timestamp in ISO 8601 with its UTC offset (SQLite hands them back without one)."""
    from datetime import timezone

    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).isoformat(timespec="seconds")


def _print_structure(entry: dict) -> None:
    console = _console()
    console.print(f"{entry['name']} — {entry['identifier_type']} {entry['identifier']}", highlight=False,
                  markup=False)
    facts = Table.grid(padding=(0, 2))
    for name, label in _STRUCTURE_FLAG_WORDS:
        facts.add_row(label, "yes" if entry[name] else "no")
    place = " ".join(part for part in (entry["postcode"], entry["city"], entry["country_code"]) if part)
    facts.add_row("address", "\n".join(part for part in (entry["address"], place) if part) or "-")
    last = entry["last_import"]
    facts.add_row("last listed by", f"{last['file']} imported {last['imported_at']}" if last else "-")
    console.print(facts)
    if not entry["services"]:
        console.print("No service.")
        return
    services = Table(title=f"{len(entry['services'])} service(s)")
    for column in ("code", "name", "active", "engagement required"):
        services.add_column(column)
    for s in entry["services"]:
        services.add_row(s["code"], s["name"], "yes" if s["active"] else "no",
                         "yes" if s["engagement_required"] else "no")
    console.print(services)


# -- status history and reports rebuilt from the ledger -----------------------------------------------------------
def _add_status_commands(commands) -> None:
    status = commands.add_parser("status", help="the status history of a batch's invoices, or of one invoice")
    which = status.add_mutually_exclusive_group(required=True)
    which.add_argument("--batch", help="a flow (batch) id")
    which.add_argument("--supplier", help="with --number: the supplier's identifier (SIRET)")
    status.add_argument("--number", help="with --supplier: the invoice number")
    status.add_argument("--json", action="store_true")
    report = commands.add_parser("report", help="rebuild a batch's reports from the ledger alone")
    report.add_argument("batch")
    report.add_argument("--format", choices=("html", "csv", "json", "all"), default="all")
    report.add_argument("--out", type=Path, help="folder to write to (default: <outbox>/reports/<batch>)")
    for command in (status, report):
        command.add_argument("--db", help="ledger database URL (default: SQLite beside the inbox)")
        command.add_argument("--outbox", type=Path, help="outbox folder")
        command.add_argument("--config", type=Path, help="TOML configuration file")
    status.set_defaults(handler=_status)
    report.set_defaults(handler=_report)


def _status(args: argparse.Namespace) -> int:
    if args.supplier and not args.number:
        raise ConfigError("--supplier needs --number")
    _settings, ledger = _ledger_for(args)
    if args.batch:
        if ledger.get_batch(args.batch) is None:
            print(f"edi-gateway: no batch {args.batch}", file=sys.stderr)
            return EXIT_REJECTED
        invoices = ledger.invoices_of(args.batch)
    else:
        invoices = ledger.invoices_numbered(args.supplier, args.number)
        if not invoices:
            print(f"edi-gateway: no invoice {args.number} of supplier {args.supplier}", file=sys.stderr)
            return EXIT_REJECTED
    entries = [_history_entry(row) for row in invoices]
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return EXIT_OK
    table = Table(title=f"status history of {len(entries)} invoice(s)")
    for column in ("batch", "#", "invoice", "supplier", "decision", "status history (code label reason, at)"):
        table.add_column(column)
    for e in entries:
        history = "\n".join(f"{s['code']} {s['label']}{' ' + s['reason_code'] if s['reason_code'] else ''}, "
                            f"{s['at'][:19]}" for s in e["history"])
        table.add_row(e["batch"], str(e["position"]), e["invoice"] or "?", e["supplier"] or "?", e["decision"],
                      history)
    _console().print(table)
    return EXIT_OK


def _history_entry(row) -> dict:
    return {"batch": row.batch_id, "position": row.position, "origin": row.origin, "invoice": row.number,
            "supplier": row.supplier_id, "decision": row.decision, "current_status": row.status_code,
            "history": [{"code": e.code, "label": e.label, "reason_code": e.reason_code, "at": e.at.isoformat()}
                        for e in row.status_events]}


def _report(args: argparse.Namespace) -> int:
    from .emitters.reports import report_dir, write_reports

    settings, ledger = _ledger_for(args)
    batch = ledger.get_batch(args.batch)
    if batch is None or batch.state == "CLAIMED":
        print(f"edi-gateway: no decided batch {args.batch}", file=sys.stderr)
        return EXIT_REJECTED
    invoices = ledger.invoices_of(args.batch)
    folder = args.out or report_dir(settings.outbox, batch.id)
    if args.format in ("csv", "json", "all"):
        write_reports(folder, batch, invoices, formats=("csv", "json") if args.format == "all" else (args.format,))
    if args.format in ("html", "all"):
        from .emitters.html import write_html_report

        write_html_report(folder, batch, invoices)
    print(f"report of batch {batch.id} rebuilt from the ledger in {folder}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
