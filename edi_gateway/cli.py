"""The `edi-gateway` command. Thin: parse options, call the pipeline, print.

Exit status: 0 when the gateway did its job (rejected invoices are a normal outcome), 1 when `validate` found a
rejected invoice, 2 on a usage or configuration error, 3 when the gateway itself failed (ledger unreachable…).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import __version__
from .config import load_settings
from .errors import ConfigError, GatewayError, UnreadableFlow
from .model import Decision, Finding, Origin, Severity
from .pipeline import BatchResult, Gateway, check_documents
from .validators import CheckContext, all_rules

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILURE = 0, 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
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

    run = commands.add_parser("run", help="process what is in the inbox once, then exit")
    _add_location_options(run)
    run.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")
    _add_strict_option(run)
    run.set_defaults(handler=_run)

    validate = commands.add_parser("validate", help="dry run: parse and check files, record and move nothing")
    validate.add_argument("files", nargs="+", type=Path)
    validate.add_argument("--json", action="store_true", help="one JSON object per invoice")
    validate.add_argument("--config", type=Path, help="TOML configuration file (rule grades, limits)")
    _add_strict_option(validate)
    validate.set_defaults(handler=_validate)

    rules = commands.add_parser("rules", help="list the rules the gateway applies")
    rules.add_argument("--markdown", action="store_true", help="print docs/rules.md")
    rules.set_defaults(handler=_rules)
    return parser


def _add_strict_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--strict", action="store_true",
                         help="also run the official EN 16931 and French CTC artifacts (Saxon; slower) and report "
                              "their findings beside the gateway's own")


def _add_location_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--inbox", type=Path, help="folder to take deposited files from")
    command.add_argument("--outbox", type=Path, help="folder to write reports to")
    command.add_argument("--db", help="ledger database URL (SQLAlchemy), default: SQLite beside the inbox")
    command.add_argument("--config", type=Path, help="TOML configuration file")


def _run(args: argparse.Namespace) -> int:
    from .ledger import Ledger

    settings = load_settings(args.config, inbox=args.inbox, outbox=args.outbox, database=args.db,
                             strict=args.strict or None)
    results = Gateway(settings, Ledger(settings.database)).run_once()
    if args.json:
        print(json.dumps([_result_dict(r) for r in results], indent=2))
    else:
        _print_summary(results, settings.outbox)
    return EXIT_OK


def _result_dict(result: BatchResult) -> dict:
    return {"batch": result.batch_id, "file": result.file_name, "format": result.format,
            "flow_status": result.flow_status, "reason_code": result.reason_code, "invoices": result.invoices,
            "accepted": result.accepted, "rejected": result.rejected,
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
    for column in ("batch", "file", "format", "flow status", "invoices", "accepted", "rejected"):
        table.add_column(column, justify="right" if column in ("invoices", "accepted", "rejected") else "left")
    for r in results:
        status = r.flow_status + (f" ({r.reason_code})" if r.reason_code else "")
        style = {"IN_INTEGRE": "green", "IN_INTEGRE_PARTIEL": "yellow"}.get(r.flow_status, "red")
        table.add_row(r.batch_id, r.file_name, r.format or "-", f"[{style}]{status}[/]", str(r.invoices),
                      str(r.accepted), str(r.rejected))
    total = [sum(getattr(r, f) for r in results) for f in ("invoices", "accepted", "rejected")]
    table.add_section()
    table.add_row("total", "", "", "", *map(str, total))
    console.print(table)
    console.print(f"Reports: {outbox / 'reports'}/<batch>/{{acceptance,rejection}}.{{csv,json}}")


def _validate(args: argparse.Namespace) -> int:
    from .parsers import read_flow

    settings = load_settings(args.config, strict=args.strict or None)
    context = CheckContext()  # shared by every file given, so duplicates across them are found too
    any_rejected = False
    console = _console()
    for path in args.files:
        try:
            data = path.read_bytes()
            verdicts = list(check_documents(read_flow(data, Origin(file_name=path.name), settings.limits),
                                            context, settings.policy, strict=settings.strict))
        except (UnreadableFlow, OSError) as exc:
            any_rejected = True
            _print_unreadable(path, exc, args.json, console)
            continue
        for verdict in verdicts:
            any_rejected |= verdict.decision is Decision.REJECTED
            _print_verdict(verdict, args.json, console)
    return EXIT_REJECTED if any_rejected else EXIT_OK


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


if __name__ == "__main__":
    sys.exit(main())
