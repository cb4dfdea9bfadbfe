"""A self-contained HTML acceptance/rejection report per batch: `<outbox>/reports/<batch-id>/report.html`.

One page, no external request (inline CSS and JS, a Content-Security-Policy that allows only them): a summary of
the flow rendered by Jinja2 (autoescaped), then one table of invoices rendered client-side from compact JSON, a
page at a time, with a rule filter, a decision filter, a text search, sortable columns and pagination. The page
reads its initial state from the URL fragment or query: `#rule=BR-CO-15&decision=rejected&q=text&sort=number
&dir=desc&page=2`, and keeps the fragment in step with the controls.

The JSON is built to stay small with 100,000 invoices (see `_payload`): finding definitions (rule, severity, BT,
field, messages, hint, source) and locations are deduplicated into tables and referenced by index. It is embedded
in a `<script type="application/json">` with `<`, `>`, `&`, U+2028/2029 and lone surrogates escaped as \\uXXXX, so
that no value can close the element, open a comment or break a JavaScript parser; the JS inserts every value with
`textContent`.

Written in constant memory whatever the size of the batch: the invoices are read once, in order (the ledger's pages
as one stream of rows, or a list), counted into the summary while each one's table row, already as JSON, goes to
a spool file beside the report; then the template is rendered chunk by chunk (`Template.generate`) straight into
the report, the spooled rows copied into the data element a block at a time. The page is byte for byte the one
`render_html_report` gives.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..ledger.models import BatchRow, FindingRow, InvoiceRow
from .outbox import atomic_writer
from .reports import clip

REPORT_NAME = "report.html"
PAGE_SIZE = 100
TOP_RULES = 10
_SPOOL_BLOCK = 1 << 16  # characters of spooled table rows copied into the page at a time
# Characters that could end the <script> element, start a comment, or (U+2028/2029, lone surrogates) break
# older JavaScript parsers or the UTF-8 file: written as \uXXXX escapes, which JSON.parse reads back unchanged.
_UNSAFE_IN_SCRIPT = re.compile("[<>&\u2028\u2029\ud800-\udfff]")


@dataclass
class RuleCount:
    """How often a rule fired in the batch: on how many invoices, how many times, with one example message."""

    rule: str
    severity: str
    invoices: int = 0
    findings: int = 0
    example_en: str = ""
    example_fr: str = ""


@dataclass
class Summary:
    """The counts shown at the top of the page (from the invoices listed, so that they match the table)."""

    invoices: int = 0
    accepted: int = 0
    rejected: int = 0
    warnings: int = 0  # findings of severity "warning"
    invoices_with_warnings: int = 0
    rules: list[RuleCount] = field(default_factory=list)  # most frequent first


def write_html_report(folder: Path, batch: BatchRow, invoices: Iterable[InvoiceRow]) -> Path:
    """Write `folder/report.html` atomically for a decided batch and return its path. `invoices` is read once,
    in order (a stream is fine)."""
    path = folder / REPORT_NAME
    folder.mkdir(parents=True, exist_ok=True)
    # The table rows wait in an anonymous file beside the report (no name: nothing is left behind by a crash).
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="", dir=folder) as spool:
        table = _Table(spool)
        for invoice in invoices:
            table.add(invoice)
        with atomic_writer(path) as stream:
            for chunk in _generate(batch, table.summary(), table.data_chunks()):
                stream.write(chunk)
    return path


def render_html_report(batch: BatchRow, invoices: Iterable[InvoiceRow]) -> str:
    """The report page as text."""
    table = _Table()
    for invoice in invoices:
        table.add(invoice)
    return "".join(_generate(batch, table.summary(), table.data_chunks()))


def _generate(batch: BatchRow, summary: Summary, data: Iterable[str]) -> Iterator[str]:
    """The page, a piece at a time; `data` is the table's JSON (already safe in a <script>), in pieces."""
    return _template().generate(
        batch=batch, summary=summary, top_rules=summary.rules[:TOP_RULES],
        data=(Markup(chunk) for chunk in data), page_size=PAGE_SIZE,
    )


def summarise(invoices: Iterable[InvoiceRow]) -> Summary:
    """Counts per decision, warnings, and the rules by number of invoices they fired on."""
    tally = _Tally()
    for row in invoices:
        tally.add(row)
    return tally.summary()


class _Tally:
    """The summary of the invoices seen so far (see `summarise`), one invoice at a time."""

    def __init__(self) -> None:
        self._summary = Summary()
        self._rules: dict[str, RuleCount] = {}

    def add(self, row: InvoiceRow) -> None:
        summary = self._summary
        summary.invoices += 1
        if row.decision == "accepted":
            summary.accepted += 1
        else:
            summary.rejected += 1
        warnings = sum(1 for finding in row.findings if finding.severity == "warning")
        summary.warnings += warnings
        summary.invoices_with_warnings += bool(warnings)
        _count_rules(self._rules, row.findings)

    def summary(self) -> Summary:
        self._summary.rules = sorted(self._rules.values(),
                                     key=lambda count: (-count.invoices, -count.findings, count.rule))
        return self._summary


class _Table:
    """The table's data (see `_payload`) built one invoice at a time: the summary counted, definitions and
    locations interned, and each row's JSON sent to `spool` (a text file; in memory without one)."""

    def __init__(self, spool=None) -> None:
        self._tally = _Tally()
        self._definitions, self._locations = _Interner(), _Interner()
        self._spool = spool
        self._rows: list[str] = []  # without a spool
        self._count = 0

    def add(self, invoice: InvoiceRow) -> None:
        self._tally.add(invoice)
        text = ("," if self._count else "") + script_json(_row(invoice, self._definitions, self._locations))
        self._count += 1
        if self._spool is None:
            self._rows.append(text)
        else:
            self._spool.write(text)

    def summary(self) -> Summary:
        return self._tally.summary()

    def data_chunks(self) -> Iterator[str]:
        """`script_json(_payload(invoices))`, in pieces: the tables first, then the rows as spooled."""
        yield (f'{{"p":{script_json(PAGE_SIZE)},"m":{script_json([list(d) for d in self._definitions.values])},'
               f'"l":{script_json(self._locations.values)},"r":[')
        if self._spool is None:
            yield from self._rows
        else:
            self._spool.seek(0)
            while block := self._spool.read(_SPOOL_BLOCK):
                yield block
        yield "]}"


def _count_rules(rules: dict[str, RuleCount], findings: list[FindingRow]) -> None:
    per_invoice = Counter(finding.rule for finding in findings)
    for finding in findings:
        if finding.rule not in rules:
            rules[finding.rule] = RuleCount(finding.rule, finding.severity, example_en=clip(finding.message_en) or "",
                                            example_fr=clip(finding.message_fr) or "")
    for rule, times in per_invoice.items():
        rules[rule].invoices += 1
        rules[rule].findings += times


INTERNED_VALUES = 5_000  # distinct values an interner keeps; later new ones are written where they occur


class _Interner:
    """A list of distinct values and the index of each, so that repeated values are written once (the
    definitions of findings, their locations). Its first `limit` distinct values only: past them, a new value
    is returned as it is, to be written in the row (the page takes either). A batch's values are mostly the same
    few hundred whatever its size (rules, XPaths); those of a CSV file name its rows, one or more per invoice,
    and would otherwise be held in memory until the page is written (1,160 bytes per invoice, tracemalloc)."""

    def __init__(self, limit: int = INTERNED_VALUES) -> None:
        self.values: list = []
        self._index: dict = {}
        self._limit = limit

    def __call__(self, value):
        index = self._index.get(value)
        if index is None:
            if len(self.values) >= self._limit:
                return value
            index = self._index[value] = len(self.values)
            self.values.append(value)
        return index


def _payload(invoices: Iterable[InvoiceRow]) -> dict:
    """The table's data, compact.

    `r`: one array per invoice, [position, origin, number, supplier, decision, recipient, service, frame,
    findings], findings being [[definition, location, value], ...]; `m`: finding definitions [rule, severity, bt,
    field, message_fr, message_en, hint, source], shared by every finding with the same rule and messages;
    `l`: locations; `p`: rows per page.
    """
    definitions, locations = _Interner(), _Interner()
    rows = [_row(invoice, definitions, locations) for invoice in invoices]
    return {"p": PAGE_SIZE, "m": [list(d) for d in definitions.values], "l": locations.values, "r": rows}


def _row(invoice: InvoiceRow, definitions: _Interner, locations: _Interner) -> list:
    """An invoice's row of the table; each finding [definition, location, value], its definition and location
    as an index into the interned ones, or (past their limit) the value itself."""
    findings = [[definitions(_definition(f)), locations(clip(f.location) or ""), clip(f.value)]
                for f in invoice.findings]
    return [invoice.position, invoice.origin, invoice.number, invoice.supplier_id, invoice.decision,
            invoice.recipient_id, invoice.service_code, invoice.billing_frame, findings]


def _definition(finding: FindingRow) -> tuple:
    return (finding.rule, finding.severity, finding.bt or "", finding.field or "", clip(finding.message_fr) or "",
            clip(finding.message_en) or "", clip(finding.hint) or "", finding.source or "")


def script_json(document) -> str:
    """JSON that is safe as the content of a <script> element: nothing in it can end the element or the file."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str)
    return _UNSAFE_IN_SCRIPT.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def csp_hash(source: str) -> str:
    """The Content-Security-Policy source that allows exactly this inline script or style."""
    digest = hashlib.sha256(str(source).encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("edi_gateway.emitters", "templates"), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["csp_hash"] = csp_hash
    return environment


def _template():
    return _environment().get_template("report.html.j2")
