"""Every JSON file the gateway writes has the bytes the standard library would write for it.

The indented JSON files (deposit certificates, routed copies' envelopes, manifests, reports, integration reports)
are written by orjson, 17 times faster than the standard library's indented encoder (`outbox.indented_json`).
Their text must not change with it: other software reads these files, and a manifest is written item by item as
a whole document would be. A run of every sample, in-process, checks each document against `json.dumps`.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import orjson

from edi_gateway.config import load_settings
from edi_gateway.emitters import outbox
from edi_gateway.emitters.outbox import indented_json, json_bytes
from edi_gateway.ledger import Ledger
from edi_gateway.pipeline import Gateway

from .conftest import SAMPLES, prepare_ledger


def stdlib_json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode("utf-8")


class CheckedOrjson:
    """orjson, with each document it writes compared with what the standard library writes for it."""

    JSONEncodeError = orjson.JSONEncodeError

    def __init__(self):
        self.documents: list[bytes] = []
        self.differences: list[tuple[bytes, bytes]] = []

    def __getattr__(self, name):
        return getattr(orjson, name)

    def dumps(self, value, **options) -> bytes:
        written = orjson.dumps(value, **options)
        expected = stdlib_json(value)
        self.documents.append(written)
        if written != expected:
            self.differences.append((written, expected))
        return written


def test_every_json_document_of_a_run_is_the_standard_librarys(tmp_path, monkeypatch):
    checked = CheckedOrjson()
    monkeypatch.setattr(outbox, "orjson", checked)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    flows = [sample for sample in SAMPLES.iterdir() if sample.suffix in (".xml", ".csv", ".pdf", ".zip")]
    for sample in flows:
        (inbox / sample.name).write_bytes(sample.read_bytes())
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    prepare_ledger(url)
    settings = load_settings(None, inbox=inbox, outbox=tmp_path / "outbox", database=url, workers=1)
    gateway = Gateway(settings, Ledger(url))
    try:
        results = gateway.run_once()
    finally:
        gateway.close()
    assert len(results) == len(flows)
    written = {part for path in (tmp_path / "outbox").rglob("*.json") for part in path.parts}  # folders and names
    assert {"routed", "certificates", "manifests", "acceptance.json", "rejection.json", "integration.json"} <= written
    assert len(checked.documents) > 40
    assert checked.differences == []


def test_values_json_does_not_know_are_written_as_text():
    document = {"amount": Decimal("1234.50"), "day": date(2026, 11, 2), "path": Path("a/b"),
                "at": datetime(2026, 11, 2, 8, 30, tzinfo=timezone.utc), "text": "Société « Ô » \u2028 \"q\"",
                "nested": [{}, [], {"n": None, "yes": True, "half": 0.5}], 3: "key that is a number"}
    assert indented_json(document) == stdlib_json(document)
    assert json_bytes(document) == stdlib_json(document) + b"\n"


def test_what_orjson_refuses_goes_through_the_standard_library():
    document = {"big": 10 ** 30, "list": [1, 2]}
    assert indented_json(document) == stdlib_json(document)
