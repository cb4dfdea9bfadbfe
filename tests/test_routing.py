"""Routing through the gateway: depositors' inboxes and authorisations, the directory, the routed outbox.

Each routing rule has its mutation (tests/mutations/routing.py: the rule fires alone on a minimal change of a
valid invoice); here the same rules act through `Gateway.run_once` and the CLI, on a real ledger: who may
deposit what, what a directory re-import changes, and where accepted invoices land.
"""

from __future__ import annotations

import json
import logging
import sqlite3

import pytest

from edi_gateway import pipeline
from edi_gateway.cli import main
from edi_gateway.config import load_settings
from edi_gateway.emitters.routed import routed_folder, safe_name
from edi_gateway.ledger import Ledger
from edi_gateway.ledger.depositors import add_depositor, attach
from edi_gateway.ledger.directory import import_directory
from edi_gateway.model import Origin
from edi_gateway.parsers import read_xml_invoice
from edi_gateway.pipeline import check_document
from edi_gateway.policy import Policy
from edi_gateway.validators import CheckContext

from .conftest import SAMPLES, prepare_ledger
from .factories import french_ubl
from .mutations import base_bytes
from .mutations.routing import routing

DURAND, LEMOINE = "32456789000011", "78190456000021"
COMMUNE, DEPARTEMENT = "21713000400013", "21300785900019"


@pytest.fixture
def gateway(tmp_path):
    """A gateway whose ledger holds the sample directory and no depositor yet; `run()` sweeps every inbox."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    prepare_ledger(url, depositor=None)
    ledger = Ledger(url)
    settings = load_settings(None, inbox=tmp_path / "inbox", outbox=tmp_path / "outbox", database=url)

    class Setup:
        inbox, outbox, db = settings.inbox, settings.outbox, url

        def __init__(self):
            self.ledger = ledger

        def drop(self, depositor: str, name: str, data: bytes) -> None:
            folder = self.inbox / depositor
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)

        def run(self) -> list[pipeline.BatchResult]:
            return pipeline.Gateway(settings, ledger).run_once()

        def rules_of(self, number: str) -> set[str]:
            with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
                rows = connection.execute("SELECT f.rule FROM findings f JOIN invoices i ON i.id = f.invoice_id "
                                          "WHERE i.number = ?", (number,)).fetchall()
            return {rule for (rule,) in rows}

        def routed_files(self) -> list[str]:
            root = self.outbox / "routed"
            return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.xml")) if root.exists() else []

    return Setup()


def test_the_mutation_base_routes_cleanly_with_the_default_context():
    document = read_xml_invoice(base_bytes("fr-ubl"), Origin(file_name="base.xml"))
    verdict = check_document(document, CheckContext(routing=routing()), Policy())
    assert verdict.findings == []
    assert verdict.route.as_dict() == {"recipient": COMMUNE, "recipient_name": "Commune de Belleville-sur-Saône",
                                       "service": "SERV-TECH", "frame": "A1", "engagement": "EJ-2026-004512"}


def test_an_accounting_firm_attached_to_supplier_a_cannot_deposit_for_supplier_b(gateway):
    add_depositor(gateway.ledger, "cabinet", name="Cabinet Exemple", kind="accounting-firm")
    attach(gateway.ledger, "cabinet", DURAND, role="secondary")
    gateway.drop("cabinet", "durand.xml", french_ubl("BD-2026-0701"))
    gateway.drop("cabinet", "lemoine.xml", french_ubl("IL-2026-0701", supplier_siret=LEMOINE))

    results = {r.file_name: r for r in gateway.run()}

    assert {name: (r.depositor, r.accepted, r.rejected) for name, r in results.items()} == {
        "durand.xml": ("cabinet", 1, 0), "lemoine.xml": ("cabinet", 0, 1)}
    assert gateway.rules_of("IL-2026-0701") == {"DEP-01"}
    assert [path.rsplit("-", 1)[-1] for path in gateway.routed_files()] == ["0701.xml"]
    assert gateway.routed_files()[0].startswith(f"{COMMUNE}/SERV-TECH/A1/")
    manifest = json.loads((gateway.outbox / "manifests" / f"{results['lemoine.xml'].batch_id}.json").read_text())
    assert manifest["routed"] == 0
    assert manifest["invoices"][0]["not_routed_because"] == ["DEP-01"]
    rejection = json.loads((results["lemoine.xml"].reports / "rejection.json").read_text())
    [finding] = rejection["invoices"][0]["findings"]
    assert "cabinet" in finding["message_en"] and LEMOINE in finding["message_en"]
    assert "depositor attach cabinet" in finding["hint"]


def test_once_attached_the_firm_may_deposit_for_supplier_b_too(gateway):
    add_depositor(gateway.ledger, "cabinet", name="Cabinet Exemple", kind="accounting-firm")
    for supplier in (DURAND, LEMOINE):
        attach(gateway.ledger, "cabinet", supplier, role="secondary")
    gateway.drop("cabinet", "lemoine.xml", french_ubl("IL-2026-0702", supplier_siret=LEMOINE))
    [result] = gateway.run()
    assert (result.accepted, result.routes) == (1, [(COMMUNE, "SERV-TECH", "A1")])


def test_files_of_an_unregistered_depositor_are_refused_and_not_routed(gateway):
    gateway.drop("", "lone.xml", french_ubl("BD-2026-0703"))  # the inbox root: the default depositor, unknown
    [result] = gateway.run()
    assert (result.depositor, result.accepted) == ("default", 0)
    assert gateway.rules_of("BD-2026-0703") == {"DEP-02"}
    assert gateway.routed_files() == []


def test_a_folder_that_is_no_depositors_inbox_is_left_alone_and_logged(gateway, caplog):
    gateway.drop("stranger", "x.xml", french_ubl("BD-2026-0704"))
    with caplog.at_level(logging.WARNING):
        assert gateway.run() == []
    assert (gateway.inbox / "stranger" / "x.xml").exists()
    assert "belongs to no active depositor" in caplog.text


def test_a_depositor_may_have_its_own_inbox_folder(gateway, tmp_path):
    own = tmp_path / "elsewhere" / "durand-inbox"
    own.mkdir(parents=True)
    add_depositor(gateway.ledger, "durand", name="Bâtiments Durand SAS", inbox=own)
    attach(gateway.ledger, "durand", DURAND[:9])  # the SIREN: every establishment
    (own / "f.xml").write_bytes(french_ubl("BD-2026-0705"))
    [result] = gateway.run()
    assert (result.depositor, result.accepted) == ("durand", 1)
    assert not (own / "f.xml").exists()


def test_a_directory_reimport_that_drops_a_structure_stops_routing_to_it(gateway, tmp_path):
    add_depositor(gateway.ledger, "durand", name="Bâtiments Durand SAS")
    attach(gateway.ledger, "durand", DURAND)
    gateway.drop("durand", "before.xml", french_ubl("BD-2026-0706"))
    assert gateway.run()[0].accepted == 1

    structures = (SAMPLES / "annuaire" / "structures.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    without_commune = [line for line in structures if f";{COMMUNE};" not in line]
    assert len(without_commune) == len(structures) - 1
    export = tmp_path / "structures-2026-12.csv"
    export.write_text("".join(without_commune), encoding="utf-8")
    summary = import_directory(gateway.ledger, export)
    assert summary.deactivated == 1

    gateway.drop("durand", "after.xml", french_ubl("BD-2026-0707"))
    [result] = gateway.run()
    assert result.accepted == 0
    assert gateway.rules_of("BD-2026-0707") == {"ROUTE-02"}
    assert len(gateway.routed_files()) == 1, "the invoice routed before stays where it was delivered"


def test_a_subcontractor_frame_needs_the_subcontractor_capacity(gateway):
    add_depositor(gateway.ledger, "durand", name="Bâtiments Durand SAS")
    attach(gateway.ledger, "durand", DURAND)
    subcontracted = french_ubl("BD-2026-0708").replace(b"<cbc:ProfileID>A1<", b"<cbc:ProfileID>A9<")
    gateway.drop("durand", "a9.xml", subcontracted)
    assert gateway.run()[0].accepted == 0
    assert gateway.rules_of("BD-2026-0708") == {"ROUTE-10"}

    attach(gateway.ledger, "durand", DURAND, capacities=frozenset({"supplier", "subcontractor"}))
    gateway.drop("durand", "a9-again.xml", subcontracted.replace(b"BD-2026-0708", b"BD-2026-0709"))
    [result] = gateway.run()
    assert result.routes == [(COMMUNE, "SERV-TECH", "A9")]


def test_folder_names_never_leave_the_outbox(tmp_path):
    assert safe_name("../../etc/passwd", "_") == "etc_passwd"
    assert safe_name("..", "_") == "_" and safe_name(None, "A1") == "A1"
    folder = routed_folder(tmp_path, "../../x", "a/../../b", "A1")
    assert folder.resolve().is_relative_to((tmp_path / "routed").resolve())


# -- the CLI ------------------------------------------------------------------------------------------------------
def test_depositor_commands_register_attach_list_and_detach(tmp_path, capsys):
    db = ["--db", f"sqlite:///{tmp_path / 'ledger.sqlite3'}"]
    assert main(["depositor", "add", "cabinet-lefevre", "--name", "Cabinet Lefèvre", "--kind", "accounting-firm",
                 *db]) == 0
    assert main(["depositor", "attach", "cabinet-lefevre", DURAND, "--role", "secondary", *db]) == 0
    assert main(["depositor", "attach", "cabinet-lefevre", LEMOINE, "--acts-as", "supplier,cocontractor", *db]) == 0
    capsys.readouterr()
    assert main(["depositor", "list", "--json", *db]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert (entry["id"], entry["kind"], entry["inbox"]) == ("cabinet-lefevre", "accounting-firm",
                                                            "<inbox>/cabinet-lefevre/")
    assert entry["attachments"] == [
        {"supplier": DURAND, "role": "secondary", "acts_as": ["supplier"]},
        {"supplier": LEMOINE, "role": "principal", "acts_as": ["cocontractor", "supplier"]}]
    assert main(["depositor", "detach", "cabinet-lefevre", DURAND, *db]) == 0
    assert main(["depositor", "detach", "cabinet-lefevre", DURAND, *db]) == 1


@pytest.mark.parametrize("argv, message", [
    (["depositor", "add", "Cabinet/../x"], "lowercase letters"),
    (["depositor", "attach", "nobody", DURAND], "register it first"),
    (["depositor", "attach", "cab", "32456789000012"], "not a valid SIRET"),
    (["depositor", "attach", "cab", DURAND, "--acts-as", "boss"], "capacities"),
])
def test_depositor_commands_say_what_is_wrong(tmp_path, capsys, argv, message):
    db = ["--db", f"sqlite:///{tmp_path / 'ledger.sqlite3'}"]
    assert main(["depositor", "add", "cab", *db]) == 0
    assert main([*argv, *db]) == 2
    assert message in capsys.readouterr().err


def test_a_damaged_staged_copy_is_read_again_from_the_original(gateway, monkeypatch):
    add_depositor(gateway.ledger, "durand", name="Bâtiments Durand SAS")
    attach(gateway.ledger, "durand", DURAND)
    invoice = french_ubl("BD-2026-0710")
    gateway.drop("durand", "f.xml", invoice)

    def crash(*args, **kwargs):
        raise RuntimeError("the process dies before delivering")

    with monkeypatch.context() as patch:
        patch.setattr(pipeline.Gateway, "_deliver", crash)
        with pytest.raises(RuntimeError):
            gateway.run()
    [staged] = (gateway.inbox.parent / "work" / ".staging").glob("*.bin")
    staged.write_bytes(b"<Invoice>garbage</Invoice>")

    [result] = gateway.run()  # the restart

    assert result.accepted == 1
    [delivered] = gateway.routed_files()
    assert (gateway.outbox / "routed" / delivered).read_bytes() == invoice
    assert not list((gateway.inbox.parent / "work" / ".staging").iterdir())
