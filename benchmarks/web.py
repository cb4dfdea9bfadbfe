"""The web console's answer times on a large ledger: flows list, flow page, invoice page, statistics, JSON API.

    python benchmarks/web.py [--invoices 100000] [--runs 20] [--db URL] [--keep DIR]

Fills a fresh ledger (SQLite by default; any URL with --db, e.g. PostgreSQL) with N invoices in bulk
(SQLAlchemy Core): 20 depositors over 90 days, flows of 1 to 400 invoices (a few hundred flows a day at most)
plus one lot of 20,000 invoices, about 1 in 5 invoices rejected with 1 to 3 fatal findings of realistic rules (and
a warning on some accepted ones), status events 200 + 203 or 213. Then serves the console with uvicorn on a free
port of 127.0.0.1, signs in (an operator and a depositor's user) and times each page over HTTP (httpx): best,
median and worst of --runs requests after two warm-up ones. Budget: half a second for the flows list and a flow
page (issue 10); the last column says whether the median holds it.
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from edi_gateway.ledger import Ledger  # noqa: E402
from edi_gateway.ledger.models import (  # noqa: E402
    BatchRow, DepositorRow, FindingRow, InvoiceRow, StatusEventRow,
)
from edi_gateway.web.app import create_app  # noqa: E402
from edi_gateway.web.queries import flow_cursor  # noqa: E402
from edi_gateway.web.users import add_user  # noqa: E402

BUDGET_MS = 500
DEPOSITORS = 20
DAYS = 90
BIG_LOT = 20_000
REJECTED_SHARE = 0.2
PASSWORD = "benchmark-password"
SUPPLIERS = ("32456789000011", "78190456000021", "51234987900019", "44012378400033", "38291047900023")
RECIPIENTS = (("21713000400013", "SERV-TECH"), ("21713000400013", "FINANCES"), ("21300785900019", "DIR-BATIMENTS"),
              ("20069000600016", None))
RULES = (  # (rule, bt, field, message, hint, platform reason), roughly by how often they reject
    ("BR-CO-15", "BT-112, BT-109, BT-110", "totals.tax_inclusive", "Invoice total amount with VAT (BT-112) is not "
     "the total without VAT (BT-109) plus the VAT total (BT-110)", "Set BT-112 to the sum of BT-109 and BT-110",
     "REJ_SEMAN"),
    ("ROUTE-03", "BT-10", "buyer_reference", "The recipient requires a service code (BT-10)",
     "Give the service code the recipient published in the directory", "DEST_INC"),
    ("FR-DUP-01", "BT-1", "number", "Invoice number already used by this supplier this year",
     "Give each invoice its own number", "DOUBLON"),
    ("ROUTE-01", "BT-46", "buyer.identifiers", "The recipient is not in the directory of public structures",
     "Check the buyer's SIRET", "DEST_INC"),
    ("BR-03", "BT-2", "issue_date", "An invoice shall have an issue date (BT-2)", "Add cbc:IssueDate",
     "REJ_SEMAN"),
    ("DEP-01", "BT-29, BT-30", "seller.identifiers", "The depositor is not attached to this supplier",
     "Ask the supplier's principal manager to attach the depositor", "REJ_HAB"),
    ("FR-SUP-02", "BT-30", "seller.legal_id", "The supplier's SIRET fails its check digit",
     "Correct the supplier's SIRET", "SIRET_ERR"),
    ("BR-CO-10", "BT-106, BT-131", "totals.line_extension", "Sum of invoice line net amounts (BT-106) is not the "
     "sum of the lines (BT-131)", "Set BT-106 to the sum of BT-131", "REJ_SEMAN"),
)
RULE_WEIGHTS = (30, 20, 12, 10, 8, 8, 6, 6)


# -- filling the ledger ------------------------------------------------------------------------------------------------
def fill(ledger: Ledger, invoice_total: int, seed: int = 10) -> dict:
    """Depositors, flows, invoices, findings and status events; returns what the timings need."""
    chance = random.Random(seed)
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=DAYS)
    depositors = [f"cabinet-{n:02d}" for n in range(DEPOSITORS)]
    with ledger.engine.begin() as connection:
        connection.execute(insert(DepositorRow), [
            {"id": d, "name": f"Cabinet {d}", "kind": "accounting-firm", "active": True, "created_at": start}
            for d in depositors])
    sizes = flow_sizes(chance, invoice_total)
    moments = sorted(start + timedelta(seconds=chance.uniform(0, DAYS * 86400)) for _ in sizes)
    next_invoice_id, next_finding_id = 1, 1
    batches, invoices, findings, events = [], [], [], []
    for index, (size, moment) in enumerate(zip(sizes, moments)):
        depositor = depositors[0] if size == BIG_LOT else chance.choice(depositors)  # the lot: the user's
        batch_id = f"EDG{moment:%Y%m%d%H%M%S}{index:08X}"
        accepted = 0
        for position in range(1, size + 1):
            rejected = chance.random() < REJECTED_SHARE
            accepted += not rejected
            invoices.append(invoice_values(chance, next_invoice_id, batch_id, position, moment, rejected))
            rows, next_finding_id = finding_values(chance, next_invoice_id, next_finding_id, rejected)
            findings += rows
            events += event_values(next_invoice_id, batch_id, moment, rejected, rows)
            next_invoice_id += 1
        batches.append(batch_values(batch_id, depositor, index, size, accepted, moment))
        if len(invoices) >= 20_000:
            write(ledger, batches, invoices, findings, events)
            batches, invoices, findings, events = [], [], [], []
    write(ledger, batches, invoices, findings, events)
    with ledger.session() as session:
        big = session.scalars(select(BatchRow).where(BatchRow.invoice_count == BIG_LOT)).first()
        typical = session.scalars(select(BatchRow).where(BatchRow.invoice_count.between(40, 60),
                                                         BatchRow.depositor == depositors[1])).first()
        deep = session.scalars(select(BatchRow).order_by(BatchRow.received_at.desc(), BatchRow.id.desc())
                               .offset(len(sizes) // 2).limit(1)).first()
        counts = {"flows": session.scalar(select(func.count()).select_from(BatchRow)),
                  "invoices": session.scalar(select(func.count()).select_from(InvoiceRow)),
                  "findings": session.scalar(select(func.count()).select_from(FindingRow)),
                  "status events": session.scalar(select(func.count()).select_from(StatusEventRow))}
    add_user(ledger, "operator", PASSWORD, role="operator")
    add_user(ledger, "depositor", PASSWORD, role="depositor", depositor=depositors[0])
    return {"big": big.id, "typical": typical.id, "deep_cursor": flow_cursor(deep), "depositor": depositors[1],
            "counts": counts}


def flow_sizes(chance: random.Random, invoice_total: int) -> list[int]:
    """Flow sizes adding up to `invoice_total`: one lot of BIG_LOT (when there is room), the rest 1 to 400,
    mostly small (a single invoice or a few dozen)."""
    big = BIG_LOT if invoice_total >= 2 * BIG_LOT else 0
    sizes, left = [], invoice_total - big
    while left > 0:
        size = min(left, chance.choice((1, 1, 2, 5, 10, 25, 50, 50, 100, 200, 400)))
        sizes.append(size)
        left -= size
    if big:
        sizes.insert(len(sizes) // 2, big)
    return sizes


def batch_values(batch_id: str, depositor: str, index: int, size: int, accepted: int, moment: datetime) -> dict:
    rejected = size - accepted
    status = "IN_INTEGRE" if not rejected else "IN_INTEGRE_PARTIEL" if accepted else "IN_REJETE"
    return {"id": batch_id, "depositor": depositor, "source": f"folder:/srv/edi/inbox/{depositor}",
            "file_name": f"lot-{index:06d}.{'zip' if size > 1 else 'xml'}", "sha256": f"{index:064x}",
            "size": size * 21_000, "received_at": moment, "format": "zip" if size > 1 else "ubl-invoice",
            "state": "DONE", "flow_status": status, "invoice_count": size, "accepted_count": accepted,
            "rejected_count": rejected, "decided_at": moment, "done_at": moment}


def invoice_values(chance: random.Random, invoice_id: int, batch_id: str, position: int, moment: datetime,
                   rejected: bool) -> dict:
    recipient, service = chance.choice(RECIPIENTS)
    return {"id": invoice_id, "batch_id": batch_id, "position": position,
            "origin": f"lot.zip!f{position:05d}.xml#1", "format": "ubl-invoice", "sha256": f"{invoice_id:064x}",
            "supplier_id": chance.choice(SUPPLIERS), "number": f"F-{moment.year}-{invoice_id:07d}",
            "issue_year": moment.year, "document_family": "invoice", "issue_date": moment.date().isoformat(),
            "type_code": "380", "recipient_id": recipient, "service_code": service, "billing_frame": "A1",
            "engagement_number": f"EJ-{invoice_id % 9000 + 1000}", "currency": "EUR",
            "amount_due": Decimal(chance.randint(10_000, 5_000_000)) / 100,
            "routed_path": None if rejected else f"routed/{recipient}/{service or '_'}/A1/{invoice_id}.xml",
            "decision": "rejected" if rejected else "accepted", "status_code": "213" if rejected else "203"}


def finding_values(chance: random.Random, invoice_id: int, finding_id: int, rejected: bool
                   ) -> tuple[list[dict], int]:
    if rejected:
        rules = {chance.choices(RULES, RULE_WEIGHTS)[0] for _ in range(chance.choice((1, 1, 1, 2, 3)))}
        severity = "fatal"
    elif chance.random() < 0.1:
        rules, severity = {RULES[-1]}, "warning"
    else:
        return [], finding_id
    rows = []
    for rule, bt, field, message, hint, _reason in sorted(rules):
        rows.append({"id": finding_id, "invoice_id": invoice_id, "rule": rule, "severity": severity, "bt": bt,
                     "field": field, "location": f"/Invoice/cbc:{field} (line {chance.randint(10, 400)})",
                     "value": str(chance.randint(1, 99999)), "message_en": message, "message_fr": message,
                     "hint": hint, "source": "native"})
        finding_id += 1
    return rows, finding_id


def event_values(invoice_id: int, batch_id: str, moment: datetime, rejected: bool, findings: list[dict]) -> list:
    if rejected:
        reason = next(r[5] for r in RULES if r[0] == findings[0]["rule"])
        return [{"batch_id": batch_id, "invoice_id": invoice_id, "code": "213", "label": "Rejetée",
                 "reason_code": reason, "at": moment}]
    return [{"batch_id": batch_id, "invoice_id": invoice_id, "code": "200", "label": "Déposée", "reason_code": None,
             "at": moment},
            {"batch_id": batch_id, "invoice_id": invoice_id, "code": "203", "label": "Mise à disposition",
             "reason_code": None, "at": moment + timedelta(seconds=1)}]


def write(ledger: Ledger, batches: list, invoices: list, findings: list, events: list) -> None:
    with ledger.engine.begin() as connection:
        for table, rows in ((BatchRow, batches), (InvoiceRow, invoices), (FindingRow, findings),
                            (StatusEventRow, events)):
            if rows:
                connection.execute(insert(table), rows)


# -- serving and timing ------------------------------------------------------------------------------------------------
class Console:
    """uvicorn serving the console in a thread, on a free port of 127.0.0.1."""

    def __init__(self, ledger: Ledger, outbox: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        app = create_app(ledger, outbox, secret="benchmark-" + "s" * 40, secure_cookies=False)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def signed_in(address: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=address, timeout=60)
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    answer = client.post("/login", data={"name": name, "password": PASSWORD, "csrf": token})
    assert answer.status_code == 303, answer.text
    return client


def timed(client: httpx.Client, path: str, runs: int) -> list[float]:
    """Milliseconds of each of `runs` GETs of `path` (after two unmeasured ones)."""
    times = []
    for attempt in range(runs + 2):
        began = time.perf_counter()
        answer = client.get(path)
        elapsed = (time.perf_counter() - began) * 1000
        if answer.status_code != 200:
            raise SystemExit(f"GET {path}: {answer.status_code} {answer.text[:300]}")
        if attempt >= 2:
            times.append(elapsed)
    return times


def cases(facts: dict) -> list[tuple[str, str, str, bool]]:
    """(label, who, path, held to the budget)."""
    big, typical = facts["big"], facts["typical"]
    return [
        ("flows list, first page (operator)", "operator", "/flows", True),
        ("flows list, depositor + status filter", "operator", f"/flows?depositor={facts['depositor']}"
                                                             "&status=IN_INTEGRE_PARTIEL", True),
        ("flows list, date range (7 days)", "operator", "/flows?date_from={week_ago}&date_to={today}", True),
        ("flows list, page past half the flows", "operator", f"/flows?older_than={facts['deep_cursor']}", True),
        ("flows list (depositor's user)", "depositor", "/flows", True),
        (f"flow page, lot of {BIG_LOT:,} invoices", "operator", f"/flows/{big}", True),
        ("flow page, same lot, rule filter", "operator", f"/flows/{big}?rule=FR-SUP-02", True),
        ("flow page, same lot, rejected, far page", "operator", f"/flows/{big}?decision=rejected&after=15000", True),
        ("flow page, flow of ~50 invoices", "operator", f"/flows/{typical}", True),
        ("invoice page", "operator", f"/flows/{big}/invoices/777", False),
        ("statistics, last 30 days", "operator", "/stats", False),
        ("statistics, 90 days", "operator", "/stats?date_from={quarter_ago}", False),
        ("API flows list", "operator", "/api/flows", True),
        ("API flow", "operator", f"/api/flows/{big}", True),
        ("API flow invoices (50, with findings)", "operator", f"/api/flows/{big}/invoices", True),
        ("API invoices, rule filter", "depositor", f"/api/flows/{big}/invoices?rule=FR-SUP-02", True),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", help="ledger URL (default: a fresh SQLite file)")
    parser.add_argument("--keep", type=Path, help="folder to keep the SQLite ledger in (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edi-web-bench-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        ledger = Ledger(args.db or f"sqlite:///{folder / 'ledger.sqlite3'}")
        began = time.perf_counter()
        facts = fill(ledger, args.invoices)
        print(f"ledger filled in {time.perf_counter() - began:.1f} s: "
              + ", ".join(f"{count:,} {name}" for name, count in facts["counts"].items()), flush=True)
        today = datetime.now(timezone.utc).date()
        dates = {"today": today, "week_ago": today - timedelta(days=6), "quarter_ago": today - timedelta(days=DAYS)}
        with Console(ledger, folder / "outbox") as address:
            clients = {who: signed_in(address, who) for who in ("operator", "depositor")}
            print(f"\n{'page':44} {'best ms':>8} {'median ms':>10} {'worst ms':>9}  budget {BUDGET_MS} ms")
            for label, who, path, budgeted in cases(facts):
                times = timed(clients[who], path.format(**dates), args.runs)
                median = statistics.median(times)
                verdict = ("ok" if median < BUDGET_MS else "OVER") if budgeted else "-"
                print(f"{label:44} {min(times):8.1f} {median:10.1f} {max(times):9.1f}  {verdict}", flush=True)


if __name__ == "__main__":
    main()
