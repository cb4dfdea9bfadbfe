"""A ledger for the console's tests, filled by the real pipeline on samples/, with console users.

Two accounting firms deposit, as in tools/demo.sh: `cabinet-lefevre` (its CSV of 4 invoices, one rejected by
BR-CO-15, and the November ZIP lot of 6 members: 2 accepted, DEP-01, FR-DUP-01, IRR_TYPE, IRR_SYNTAX) and
`cabinet-martin` (its CSV of 3 invoices and a Factur-X PDF, all accepted). Users: `lefevre` and `martin` (each
its firm's), `ops` (operator).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from edi_gateway.config import load_settings
from edi_gateway.ledger import Ledger
from edi_gateway.ledger.depositors import add_depositor, attach
from edi_gateway.pipeline import Gateway
from edi_gateway.web.users import add_user

from .conftest import SAMPLES, prepare_ledger

DEPOSITS = {
    "cabinet-lefevre": ("Cabinet Lefèvre & Associés", ("32456789000011", "44012378400033"),
                        ("cabinet-lefevre-factures.csv", "lot-mairie-belleville-2026-11.zip")),
    "cabinet-martin": ("Cabinet Martin Expertise", ("51234987900019", "78190456000021"),
                       ("cabinet-martin-lignes.csv", "martin-facturx-FBM-2026-0215.pdf")),
}
PASSWORDS = {"lefevre": "lefevre-secret-2026", "martin": "martin-secret-2026", "ops": "operator-secret-2026"}
LOT = "lot-mairie-belleville-2026-11.zip"


@dataclass
class ConsoleLedger:
    url: str
    outbox: Path
    root: Path
    flows: dict[str, str]  # file name -> batch id


def build_console_ledger(root: Path, url: str | None = None) -> ConsoleLedger:
    """Run the gateway on the two firms' samples into `root` (the ledger at `url`, by default a SQLite file in
    `root`), then add the console users."""
    url = url or f"sqlite:///{root / 'ledger.sqlite3'}"
    prepare_ledger(url, depositor=None)
    ledger = Ledger(url)
    inbox = root / "inbox"
    for depositor, (name, suppliers, files) in DEPOSITS.items():
        add_depositor(ledger, depositor, name=name, kind="accounting-firm")
        for supplier in suppliers:
            attach(ledger, depositor, supplier, role="secondary")
        (inbox / depositor).mkdir(parents=True)
        for file_name in files:
            shutil.copy(SAMPLES / file_name, inbox / depositor / file_name)
    settings = load_settings(None, inbox=inbox, outbox=root / "outbox", database=url, workers=1)
    gateway = Gateway(settings, ledger)
    try:
        results = gateway.run_once()
    finally:
        gateway.close()
    add_user(ledger, "lefevre", PASSWORDS["lefevre"], role="depositor", depositor="cabinet-lefevre")
    add_user(ledger, "martin", PASSWORDS["martin"], role="depositor", depositor="cabinet-martin")
    add_user(ledger, "ops", PASSWORDS["ops"], role="operator")
    ledger.engine.dispose()
    return ConsoleLedger(url=url, outbox=root / "outbox", root=root,
                         flows={result.file_name: result.batch_id for result in results})
