"""Shared fixtures: the CEN corpus beside the repository, and a gateway on temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from .postgres import postgres_server, postgres_url  # noqa: F401 (fixtures: a PostgreSQL server, a database)

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "en16931"
SAMPLES = REPO / "samples"


def corpus_examples() -> list[Path]:
    files = sorted((CORPUS / "ubl" / "examples").glob("*")) + sorted((CORPUS / "cii" / "examples").glob("*"))
    if not files:
        pytest.fail(f"the CEN corpus is missing at {CORPUS}: the tests need ../shared beside the repository")
    return files


SAMPLE_SUPPLIERS = ("32456789000011", "78190456000021", "51234987900019", "44012378400033")  # samples/README.md


def prepare_ledger(url: str, depositor: str | None = "default", suppliers: tuple[str, ...] = SAMPLE_SUPPLIERS
                   ) -> None:
    """A ledger as an operator leaves it before the first run: the sample directory of public structures
    imported, and `depositor` (unless None) registered and attached to the sample suppliers (as their principal
    manager)."""
    from edi_gateway.ledger import Ledger
    from edi_gateway.ledger.depositors import add_depositor, attach
    from edi_gateway.ledger.directory import import_directory

    ledger = Ledger(url)
    for name in ("structures.csv", "services.csv"):
        import_directory(ledger, SAMPLES / "annuaire" / name)
    if depositor is not None:
        add_depositor(ledger, depositor, name=f"Depositor {depositor}")
        for supplier in suppliers:
            attach(ledger, depositor, supplier)
    ledger.engine.dispose()


@pytest.fixture
def gateway_dirs(tmp_path: Path) -> dict[str, Path]:
    """Inbox, outbox and a prepared ledger: files dropped in the inbox root belong to the "default" depositor."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    prepare_ledger(url)
    return {"root": tmp_path, "inbox": inbox, "outbox": tmp_path / "outbox", "db": url}


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request, tmp_path: Path) -> str:
    """An empty ledger's URL on each database the gateway supports: a SQLite file, and a fresh database of the test
    session's own PostgreSQL server (tests/postgres.py; skipped loudly, or failed in CI, when it cannot run)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def ledger_dirs(tmp_path: Path, ledger_url: str) -> dict[str, Path]:
    """`gateway_dirs` on each database (`ledger_url`): inbox, outbox and a prepared ledger."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    prepare_ledger(ledger_url)
    return {"root": tmp_path, "inbox": inbox, "outbox": tmp_path / "outbox", "db": ledger_url}
