"""Shared fixtures: the CEN corpus beside the repository, and a gateway on temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "en16931"
SAMPLES = REPO / "samples"


def corpus_examples() -> list[Path]:
    files = sorted((CORPUS / "ubl" / "examples").glob("*")) + sorted((CORPUS / "cii" / "examples").glob("*"))
    if not files:
        pytest.fail(f"the CEN corpus is missing at {CORPUS}: the tests need ../shared beside the repository")
    return files


@pytest.fixture
def gateway_dirs(tmp_path: Path) -> dict[str, Path]:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return {"root": tmp_path, "inbox": inbox, "outbox": tmp_path / "outbox",
            "db": f"sqlite:///{tmp_path / 'ledger.sqlite3'}"}
