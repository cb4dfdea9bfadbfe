"""Hostile and broken input, through the gateway's public interface: each hostile file is dropped in a depositor's
inbox together with real, valid invoices (samples/), the gateway runs once, and the test checks (a) the reason the
hostile file or lot member was refused, as the quarantine `.reason.txt` or the rejection report gives it, in
English and French, and (b) that the valid files of the same inbox, or the other members of the same lot, were
accepted and recorded in the ledger. Nothing may crash, and nothing may be written outside the gateway's folders.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import sqlite3
import time
import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from pypdf import PdfWriter

from edi_gateway import pipeline
from edi_gateway.config import load_settings
from edi_gateway.ledger import Ledger

from .conftest import SAMPLES
from .factories import french_ubl, zip_lot

UBL_SAMPLE = "durand-facture-BD-2026-0142.xml"  # accepted, BD-2026-0142
CII_SAMPLE = "nettoyage-facture-NSO-2026-0118-cii.xml"  # accepted, NSO-2026-0118
FACTURX_SAMPLE = "martin-facturx-FBM-2026-0215.pdf"  # accepted, FBM-2026-0215
CSV_CP1252 = "cabinet-martin-lignes.csv"  # FBM-2026-0101, FBM-2026-0102, ILM-2026-0017 accepted
CSV_UTF8 = "cabinet-lefevre-factures.csv"  # BDS-2026-0031, NSO-2026-0112, NSO-2026-0113 accepted, one rejected
SAMPLE_NUMBERS = {UBL_SAMPLE: {"BD-2026-0142"}, CII_SAMPLE: {"NSO-2026-0118"}, FACTURX_SAMPLE: {"FBM-2026-0215"},
                  CSV_CP1252: {"FBM-2026-0101", "FBM-2026-0102", "ILM-2026-0017"},
                  CSV_UTF8: {"BDS-2026-0031", "NSO-2026-0112", "NSO-2026-0113"}}
PASSWD_LINE = Path("/etc/passwd").read_text().splitlines()[0]  # e.g. root:x:0:0:root:/root:/bin/bash


# -- helpers ------------------------------------------------------------------------------------------------------
def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def drop(dirs, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (dirs["inbox"] / name).write_bytes(data)


def drop_samples(dirs, *names: str) -> set[str]:
    """Drop real samples beside the hostile file; the invoice numbers they should get accepted."""
    drop(dirs, {name: sample(name) for name in names})
    return set().union(*(SAMPLE_NUMBERS[name] for name in names))


def run(dirs, limits: dict[str, int] | None = None) -> dict[str, pipeline.BatchResult]:
    """One `run` of the gateway on the test's folders (with these [limits]); its results by deposited file name."""
    config = None
    if limits:
        config = dirs["root"] / "gateway.toml"
        config.write_text("[limits]\n" + "".join(f"{key} = {value}\n" for key, value in limits.items()))
    settings = load_settings(config, inbox=dirs["inbox"], outbox=dirs["outbox"], database=dirs["db"])
    gateway = pipeline.Gateway(settings, Ledger(settings.database))
    try:
        return {result.file_name: result for result in gateway.run_once()}
    finally:
        gateway.close()


def ledger_rows(dirs, query: str) -> list[tuple]:
    with sqlite3.connect(dirs["db"].removeprefix("sqlite:///")) as connection:
        return connection.execute(query).fetchall()


def accepted_numbers(dirs) -> set[str]:
    return {number for (number,) in ledger_rows(dirs, "select number from invoices where decision = 'accepted'")}


def quarantine_reason(result: pipeline.BatchResult) -> str:
    """The `.reason.txt` beside a quarantined flow: `IRR_x: English reason` then the French reason."""
    assert result.final_path.parent.name == "quarantine", f"{result.file_name} was not quarantined"
    return result.final_path.with_name(result.final_path.name + ".reason.txt").read_text(encoding="utf-8")


def report(dirs, result: pipeline.BatchResult, kind: str) -> dict:
    return json.loads((dirs["outbox"] / "reports" / result.batch_id / f"{kind}.json").read_text(encoding="utf-8"))


def member_findings(dirs, result: pipeline.BatchResult) -> dict[str, list[dict]]:
    """The findings of each rejected invoice or lot member of a batch, by its label (`lot.zip!member.xml`)."""
    return {entry["invoice"]: entry["findings"] for entry in report(dirs, result, "rejection")["invoices"]}


def assert_quarantined(dirs, result: pipeline.BatchResult, code: str, *phrases: str) -> str:
    """The flow was refused as a whole with `code`, and its reason (English and French) holds every phrase."""
    assert (result.flow_status, result.reason_code, result.invoices) == ("IN_REJETE", code, 0)
    reason = quarantine_reason(result)
    english, french = reason.split("\n", 1)
    assert english.startswith(f"{code}: ")
    assert french.strip() and french.strip() != english.removeprefix(f"{code}: ").strip(), "a French reason too"
    for phrase in phrases:
        assert phrase in reason, (phrase, reason)
    [flow_finding] = report(dirs, result, "rejection")["flow_findings"]
    assert flow_finding["rule"] == code
    return reason


def all_output_text(root: Path) -> str:
    """Every file the gateway wrote (reports, returns, ledger, archive, quarantine, routed), as one text."""
    return "\n".join(path.read_bytes().decode("utf-8", "replace") for path in root.rglob("*") if path.is_file())


def streamed_zip(members: dict[str, bytes | tuple[bytes, int]]) -> bytes:
    """A ZIP lot; a member given as (block, count) is `block` repeated `count` times, written as a stream (a bomb
    is built without ever holding its expanded bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            if isinstance(content, tuple):
                block, count = content
                with archive.open(name, "w", force_zip64=True) as stream:
                    for _ in range(count):
                        stream.write(block)
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


def ubl_with(number: str, old: bytes, new: bytes) -> bytes:
    """A valid French UBL invoice with one piece of its text replaced."""
    data = french_ubl(number)
    assert old in data, old
    return data.replace(old, new, 1)


PAYABLE = b'<cbc:PayableAmount currencyID="EUR">31352.00</cbc:PayableAmount>'


# -- XML --------------------------------------------------------------------------------------------------------
def test_malformed_xml_is_quarantined_as_not_well_formed(gateway_dirs):
    truncated = french_ubl("BD-2026-1001")[:2500]
    drop(gateway_dirs, {"truncated.xml": truncated})
    expected = drop_samples(gateway_dirs, UBL_SAMPLE, CII_SAMPLE)

    results = run(gateway_dirs)

    assert_quarantined(gateway_dirs, results["truncated.xml"], "IRR_SYNTAX", "Not well-formed XML", "XML mal formé")
    assert accepted_numbers(gateway_dirs) == expected


def test_xxe_reading_etc_passwd_is_refused_and_its_content_never_appears(gateway_dirs):
    xxe = (b'<?xml version="1.0"?>\n<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
           b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
           b'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
           b'<cbc:ID>&secret;</cbc:ID><cbc:Note>&secret;</cbc:Note></Invoice>')
    parameter_xxe = (b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY % remote SYSTEM "file:///etc/passwd">'
                     b'%remote;]><Invoice/>')
    drop(gateway_dirs, {"xxe.xml": xxe, "xxe-parameter.xml": parameter_xxe,
                        "xxe-in-lot.zip": zip_lot({"xxe.xml": xxe, "good.xml": french_ubl("BD-2026-1002")})})
    expected = drop_samples(gateway_dirs, UBL_SAMPLE)

    results = run(gateway_dirs)

    for name in ("xxe.xml", "xxe-parameter.xml"):
        assert_quarantined(gateway_dirs, results[name], "IRR_SYNTAX", "DOCTYPE declaration is refused",
                           "déclaration DOCTYPE refusé")
    [finding] = member_findings(gateway_dirs, results["xxe-in-lot.zip"])["xxe-in-lot.zip!xxe.xml"]
    assert finding["rule"] == "IRR_SYNTAX" and "DOCTYPE" in finding["message_en"] and "DOCTYPE" in finding["message_fr"]
    assert accepted_numbers(gateway_dirs) == expected | {"BD-2026-1002"}
    assert PASSWD_LINE not in all_output_text(gateway_dirs["root"].joinpath("outbox"))
    assert PASSWD_LINE not in all_output_text(gateway_dirs["root"].joinpath("quarantine")).replace(
        "file:///etc/passwd", "")


def billion_laughs(levels: int = 10) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return (f'<?xml version="1.0"?>\n<!DOCTYPE Invoice [{"".join(entities)}]>\n'
            f'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol{levels - 1};</Invoice>'
            ).encode()


def test_billion_laughs_is_refused_quickly_for_its_doctype(gateway_dirs):
    drop(gateway_dirs, {"laughs.xml": billion_laughs()})
    expected = drop_samples(gateway_dirs, UBL_SAMPLE)
    started = time.monotonic()

    results = run(gateway_dirs)

    assert time.monotonic() - started < 30, "the entities must never be expanded"
    assert_quarantined(gateway_dirs, results["laughs.xml"], "IRR_SYNTAX", "DOCTYPE declaration is refused",
                       "déclaration DOCTYPE refusé")
    assert accepted_numbers(gateway_dirs) == expected


def test_xml_that_is_not_an_invoice_names_its_root_element(gateway_dirs):
    order = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:'
             b'Order-2"><ID>CMD-2026-77</ID></Order>')
    drop(gateway_dirs, {"commande.xml": order, "lot.zip": zip_lot({"commande.xml": order,
                                                                    "facture.xml": french_ubl("BD-2026-1003")})})
    expected = drop_samples(gateway_dirs, CII_SAMPLE)

    results = run(gateway_dirs)

    assert_quarantined(gateway_dirs, results["commande.xml"], "IRR_TYPE", "not an invoice", "Order",
                       "n'est pas une facture")
    [finding] = member_findings(gateway_dirs, results["lot.zip"])["lot.zip!commande.xml"]
    assert finding["rule"] == "IRR_TYPE" and "Order" in finding["message_en"]
    assert accepted_numbers(gateway_dirs) == expected | {"BD-2026-1003"}


# -- ZIP lots -----------------------------------------------------------------------------------------------------
def test_zip_bomb_with_default_limits_stops_the_whole_lot_while_reading(gateway_dirs):
    """A member of 256 MiB of zeros (about 250 KB compressed, a ratio of 1000): the default ratio limit (200)
    stops the reading after about 50 MiB, never the whole expansion, and refuses the whole lot."""
    bomb = streamed_zip({"facture-1.xml": french_ubl("BD-2026-1010"), "facture-2.xml": (b"\0" * (1 << 20), 256),
                         "facture-3.xml": french_ubl("BD-2026-1011")})
    assert len(bomb) < 2 << 20
    drop(gateway_dirs, {"bomb.zip": bomb})
    expected = drop_samples(gateway_dirs, UBL_SAMPLE, CII_SAMPLE)
    tracemalloc.start()
    try:
        results = run(gateway_dirs)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert_quarantined(gateway_dirs, results["bomb.zip"], "IRR_TAILLE", "ZIP bomb", "'facture-2.xml'",
                       "200 times its compressed size", "Bombe ZIP")
    assert peak < 128 << 20, f"the bomb was expanded: {peak} bytes held at once"
    assert accepted_numbers(gateway_dirs) == expected, "no member of a bomb is accepted; the other files are"


def test_zip_bomb_beyond_the_total_size_limit_is_refused_as_a_whole(gateway_dirs):
    members = {f"facture-{i}.xml": french_ubl(f"BD-2026-11{i:02d}") for i in range(6)}  # about 8 KB each
    drop(gateway_dirs, {"big-lot.zip": zip_lot(members)})
    expected = drop_samples(gateway_dirs, UBL_SAMPLE)

    results = run(gateway_dirs, {"zip_max_total_bytes": 30_000})

    assert_quarantined(gateway_dirs, results["big-lot.zip"], "IRR_TAILLE", "ZIP bomb", "more than the limit of "
                       "30000 bytes", "Bombe ZIP")
    assert accepted_numbers(gateway_dirs) == expected


def test_zip_member_count_bomb_is_refused_as_a_whole(gateway_dirs):
    members = {f"facture-{i}.xml": french_ubl(f"BD-2026-12{i:02d}") for i in range(21)}
    drop(gateway_dirs, {"many.zip": zip_lot(members), "few.zip": zip_lot(dict(list(members.items())[:3]))})

    results = run(gateway_dirs, {"zip_max_members": 20})

    assert_quarantined(gateway_dirs, results["many.zip"], "IRR_TAILLE", "more than 20 files", "plus de 20 fichiers")
    assert accepted_numbers(gateway_dirs) == {"BD-2026-1200", "BD-2026-1201", "BD-2026-1202"}


def test_member_count_of_nested_lots_counts_against_the_whole_lot(gateway_dirs):
    inner = zip_lot({f"facture-{i}.xml": french_ubl(f"BD-2026-13{i:02d}") for i in range(4)})
    outer = zip_lot({"a.zip": inner, "b.zip": zip_lot({"x.xml": french_ubl("BD-2026-1399")}),
                     "c.xml": french_ubl("BD-2026-1398")})
    drop(gateway_dirs, {"nested.zip": outer})
    expected = drop_samples(gateway_dirs, CII_SAMPLE)

    results = run(gateway_dirs, {"zip_max_members": 6})  # 3 at the top, 4 + 1 inside

    assert_quarantined(gateway_dirs, results["nested.zip"], "IRR_TAILLE", "more than 6 files")
    assert accepted_numbers(gateway_dirs) == expected


def test_lot_nested_beyond_the_depth_limit_is_refused_and_its_siblings_go_on(gateway_dirs):
    level3 = zip_lot({"c.xml": french_ubl("BD-2026-1402")})
    level2 = zip_lot({"b.xml": french_ubl("BD-2026-1401"), "level3.zip": level3})
    drop(gateway_dirs, {"lot.zip": zip_lot({"a.xml": french_ubl("BD-2026-1400"), "level2.zip": level2})})
    expected = drop_samples(gateway_dirs, UBL_SAMPLE)

    results = run(gateway_dirs)  # zip_max_depth = 2 by default

    [finding] = member_findings(gateway_dirs, results["lot.zip"])["lot.zip!level2.zip!level3.zip"]
    assert finding["rule"] == "IRR_TAILLE"
    assert "nested deeper than 2 levels" in finding["message_en"] and "plus de 2 niveaux" in finding["message_fr"]
    assert results["lot.zip"].flow_status == "IN_INTEGRE_PARTIEL"
    assert accepted_numbers(gateway_dirs) == expected | {"BD-2026-1400", "BD-2026-1401"}


def test_zip_slip_member_names_are_refused_one_by_one_and_nothing_leaves_the_gateway_folders(gateway_dirs):
    slips = {"../../evil.xml": "BD-2026-1500", "/etc/edi-gateway-slip.xml": "BD-2026-1501",
             "..\\..\\windows.xml": "BD-2026-1502", "C:/Windows/slip.xml": "BD-2026-1503",
             "ok/../../../up.xml": "BD-2026-1504"}
    members = {name: french_ubl(number) for name, number in slips.items()}
    members |= {"sub/folder/good-1.xml": french_ubl("BD-2026-1505"), "good-2.xml": french_ubl("BD-2026-1506")}
    drop(gateway_dirs, {"slip.zip": zip_lot(members)})
    expected = drop_samples(gateway_dirs, UBL_SAMPLE)
    before = {path for path in gateway_dirs["root"].parent.rglob("*")}

    results = run(gateway_dirs)

    findings = member_findings(gateway_dirs, results["slip.zip"])
    assert set(findings) == {f"slip.zip!{name}" for name in slips}
    for name in slips:
        [finding] = findings[f"slip.zip!{name}"]
        assert finding["rule"] == "IRR_NOM_F"
        assert "absolute path or climbs out of the archive" in finding["message_en"]
        assert "chemin absolu ou sort de l'archive" in finding["message_fr"]
    assert accepted_numbers(gateway_dirs) == expected | {"BD-2026-1505", "BD-2026-1506"}
    created = {path for path in gateway_dirs["root"].parent.rglob("*")} - before
    assert all(gateway_dirs["root"] in path.parents for path in created), "written outside the gateway's root"
    assert not Path("/etc/edi-gateway-slip.xml").exists()
    assert not any(path.name in {"evil.xml", "windows.xml", "up.xml", "slip.xml"} for path in created)



def test_a_member_name_beginning_with_nul_refuses_the_lot_as_unreadable(gateway_dirs):
    """zipfile cuts a member's name at its first NUL: a name that begins with one leaves no name at all, which
    zipfile itself then trips over (IndexError). Such a lot is an unreadable archive; the other files go on."""
    lot = zip_lot({"Xbad.xml": french_ubl("BD-2026-1510"), "good.xml": french_ubl("BD-2026-1511")})
    assert lot.count(b"Xbad.xml") == 2  # its local header and its central directory entry
    drop(gateway_dirs, {"nul.zip": lot.replace(b"Xbad.xml", b"\x00bad.xml")})
    expected = drop_samples(gateway_dirs, UBL_SAMPLE)

    results = run(gateway_dirs)

    assert_quarantined(gateway_dirs, results["nul.zip"], "IRR_EXTRAC", "Unreadable ZIP archive",
                       "name beginning with NUL", "Archive ZIP illisible")
    assert accepted_numbers(gateway_dirs) == expected


# -- empty, junk, PDF ---------------------------------------------------------------------------------------------
def test_empty_and_zero_byte_files_are_quarantined_as_empty(gateway_dirs):
    drop(gateway_dirs, {"zero.xml": b"", "blank.csv": b" \r\n\t\n", "lot.zip": zip_lot(
        {"empty.xml": b"", "good.xml": french_ubl("BD-2026-1600")})})
    expected = drop_samples(gateway_dirs, UBL_SAMPLE)

    results = run(gateway_dirs)

    for name in ("zero.xml", "blank.csv"):
        assert_quarantined(gateway_dirs, results[name], "IRR_VIDE", "The file is empty", "Le fichier est vide")
    [finding] = member_findings(gateway_dirs, results["lot.zip"])["lot.zip!empty.xml"]
    assert finding["rule"] == "IRR_VIDE"
    assert accepted_numbers(gateway_dirs) == expected | {"BD-2026-1600"}


def test_binary_junk_named_xml_is_quarantined_by_its_content(gateway_dirs):
    junk = random.Random(9).randbytes(4096)
    drop(gateway_dirs, {"facture.xml": b"\x89PNG\r\n\x1a\n" + junk, "angle.xml": b"<\x00\xff\xfe" + junk,
                        "lot.zip": zip_lot({"junk.xml": junk, "good.xml": french_ubl("BD-2026-1700")})})
    expected = drop_samples(gateway_dirs, CII_SAMPLE)

    results = run(gateway_dirs)

    assert_quarantined(gateway_dirs, results["facture.xml"], "IRR_TYPE", "Unknown file type",
                       "Type de fichier inconnu")
    assert_quarantined(gateway_dirs, results["angle.xml"], "IRR_SYNTAX", "Not well-formed XML")
    [finding] = member_findings(gateway_dirs, results["lot.zip"])["lot.zip!junk.xml"]
    assert finding["rule"] == "IRR_TYPE"
    assert accepted_numbers(gateway_dirs) == expected | {"BD-2026-1700"}


def pdf_without_invoice(attachment: tuple[str, bytes] | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # A4
    if attachment is not None:
        writer.add_attachment(*attachment)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pdf_without_embedded_invoice_is_quarantined_as_not_facturx(gateway_dirs):
    drop(gateway_dirs, {"scan.pdf": pdf_without_invoice(),
                        "with-notes.pdf": pdf_without_invoice(("notes.txt", b"Livraison du 3 mars")),
                        "lot.zip": zip_lot({"scan.pdf": pdf_without_invoice(), "good.xml": french_ubl("BD-2026-1800")})})
    expected = drop_samples(gateway_dirs, FACTURX_SAMPLE)

    results = run(gateway_dirs)

    for name in ("scan.pdf", "with-notes.pdf"):
        assert_quarantined(gateway_dirs, results[name], "IRR_EXTRAC", "no embedded Factur-X/ZUGFeRD invoice",
                           "ne contient pas de facture Factur-X")
    [finding] = member_findings(gateway_dirs, results["lot.zip"])["lot.zip!scan.pdf"]
    assert finding["rule"] == "IRR_EXTRAC"
    assert accepted_numbers(gateway_dirs) == expected | {"BD-2026-1800"}


# -- CSV encodings ------------------------------------------------------------------------------------------------
def test_csv_in_cp1252_and_in_utf8_are_both_read(gateway_dirs):
    martin_utf8 = sample(CSV_CP1252).decode("cp1252").replace("FBM-2026-01", "FBM-2026-91").replace(
        "ILM-2026-0017", "ILM-2026-9017").encode("utf-8")
    drop(gateway_dirs, {"martin-utf8.csv": martin_utf8})
    expected = drop_samples(gateway_dirs, CSV_CP1252)

    run(gateway_dirs)

    assert accepted_numbers(gateway_dirs) == expected | {"FBM-2026-9101", "FBM-2026-9102", "ILM-2026-9017"}
    names = dict(ledger_rows(gateway_dirs, "select number, supplier_id from invoices"))
    assert names["FBM-2026-0101"] == names["FBM-2026-9101"], "the same invoice read alike from both encodings"


def test_csv_mixing_utf8_and_cp1252_is_refused_with_the_line(gateway_dirs):
    text = sample(CSV_CP1252).decode("cp1252")
    lines = text.splitlines(keepends=True)
    mixed = b"".join(line.encode("cp1252") for line in lines[:2]) + lines[2].encode("utf-8") + \
        b"".join(line.encode("cp1252") for line in lines[3:])
    utf16_without_bom = text.encode("utf-16-le")
    undefined_in_cp1252 = sample(CSV_CP1252).replace(b"\xe9", b"\x81", 1)
    drop(gateway_dirs, {"mixed.csv": mixed, "utf16.csv": utf16_without_bom, "undefined.csv": undefined_in_cp1252})
    expected = drop_samples(gateway_dirs, CSV_UTF8, UBL_SAMPLE)

    results = run(gateway_dirs)

    assert_quarantined(gateway_dirs, results["mixed.csv"], "IRR_SYNTAX", "mixes", "line 3", "UTF-8",
                       "Windows-1252", "ligne 3")
    assert_quarantined(gateway_dirs, results["utf16.csv"], "IRR_TYPE", "Unknown file type")
    assert_quarantined(gateway_dirs, results["undefined.csv"], "IRR_SYNTAX", "not text in UTF-8, Windows-1252")
    assert accepted_numbers(gateway_dirs) == expected


def test_csv_with_control_characters_is_refused_with_the_line(gateway_dirs):
    text = sample(CSV_UTF8).replace(b"Commune de Belleville", b"Commune\x1b[2J de Belleville", 1)
    drop(gateway_dirs, {"control.csv": text})
    expected = drop_samples(gateway_dirs, UBL_SAMPLE)

    results = run(gateway_dirs)

    assert_quarantined(gateway_dirs, results["control.csv"], "IRR_SYNTAX", "Line 3", "U+001B",
                       "caractère de contrôle")
    assert accepted_numbers(gateway_dirs) == expected


# -- absurd values ------------------------------------------------------------------------------------------------
def test_absurdly_long_fields_are_decided_without_blowing_up_reports(gateway_dirs):
    megabyte = "A" * (1 << 20)
    long_number = ubl_with("BD-2026-1900", b"<cbc:ID>BD-2026-1900</cbc:ID>", f"<cbc:ID>{megabyte}</cbc:ID>".encode())
    long_note = ubl_with("BD-2026-1901", b"<cbc:Note>", f"<cbc:Note>{megabyte}".encode())
    csv_lines = sample(CSV_UTF8).decode("utf-8-sig").splitlines()
    long_cell = "\n".join([csv_lines[0], csv_lines[1].replace("Bâtiments Durand SAS", megabyte)]).encode()
    drop(gateway_dirs, {"long-number.xml": long_number, "long-note.xml": long_note, "long-cell.csv": long_cell})
    expected = drop_samples(gateway_dirs, CII_SAMPLE)

    results = run(gateway_dirs)

    assert {name: r.invoices for name, r in results.items()} == {
        "long-number.xml": 1, "long-note.xml": 1, "long-cell.csv": 0, CII_SAMPLE: 1}
    assert_quarantined(gateway_dirs, results["long-cell.csv"], "IRR_SYNTAX", "Row 2 holds a cell longer than "
                       "131072 characters", "La ligne 2 contient une cellule de plus de 131072 caractères")
    assert accepted_numbers(gateway_dirs) >= expected | {"BD-2026-1901"}
    [(stored,)] = ledger_rows(gateway_dirs, "select length(number) from invoices where number like 'AAAA%'")
    assert stored <= 200
    for result in results.values():
        for path in (gateway_dirs["outbox"] / "reports" / result.batch_id).iterdir():
            assert path.stat().st_size < 256 << 10, f"{path} repeats the megabyte"


@pytest.mark.parametrize("amount", ["1e9999", "NaN", "Infinity", "-Infinity", "0.123456789012345678901234567890",
                                    "9" * 40])
def test_absurd_numbers_in_ubl_and_csv_reject_the_invoice_with_the_field(gateway_dirs, amount):
    ubl = ubl_with("BD-2026-2000", PAYABLE, f'<cbc:PayableAmount currencyID="EUR">{amount}</cbc:PayableAmount>'
                   .encode())
    csv_text = sample(CSV_UTF8).replace(b"12450.00,2490.00,14940.00,14940.00",
                                        f"12450.00,2490.00,14940.00,{amount}".encode())
    drop(gateway_dirs, {"absurd.xml": ubl, "absurd.csv": csv_text})
    expected = drop_samples(gateway_dirs, UBL_SAMPLE)

    results = run(gateway_dirs)

    [xml_invoice] = report(gateway_dirs, results["absurd.xml"], "rejection")["invoices"]
    xml_finding = next(f for f in xml_invoice["findings"] if f["rule"] == "XML-VALUE")
    assert xml_finding["field"] == "totals.payable" and xml_finding["value"] == amount
    assert "cannot be read as a decimal number" in xml_finding["message_en"]
    assert "n'est pas lisible comme un nombre décimal" in xml_finding["message_fr"]
    csv_findings = member_findings(gateway_dirs, results["absurd.csv"])["absurd.csv#1"]
    csv_finding = next(f for f in csv_findings if f["rule"] == "CSV-VALUE")
    assert csv_finding["field"] == "totals.payable" and csv_finding["value"] == amount
    assert "could not be read as an amount" in csv_finding["message_en"]
    assert accepted_numbers(gateway_dirs) == expected | {"NSO-2026-0112", "NSO-2026-0113"}


def test_thirty_decimals_are_reported_as_too_many_decimals(gateway_dirs):
    drop(gateway_dirs, {"decimals.xml": ubl_with("BD-2026-2001", PAYABLE, b'<cbc:PayableAmount currencyID="EUR">'
                                                 b'31352.000000000000000000000000000000</cbc:PayableAmount>')})

    results = run(gateway_dirs)

    [invoice] = report(gateway_dirs, results["decimals.xml"], "rejection")["invoices"]
    [finding] = [f for f in invoice["findings"] if f["rule"] == "XML-VALUE"]
    assert "more than 6 decimals" in finding["message_en"] and "plus de 6 décimales" in finding["message_fr"]


# -- duplicates and names -------------------------------------------------------------------------------------------
def test_the_same_invoice_twice_in_one_lot_is_accepted_once(gateway_dirs):
    invoice = sample(UBL_SAMPLE)
    drop(gateway_dirs, {"lot.zip": zip_lot({"facture.xml": invoice, "copie/facture.xml": invoice,
                                            "autre.xml": french_ubl("BD-2026-2100")})})

    results = run(gateway_dirs)

    findings = member_findings(gateway_dirs, results["lot.zip"])
    assert list(findings) == ["lot.zip!copie/facture.xml"]
    [duplicate] = findings["lot.zip!copie/facture.xml"]
    assert duplicate["rule"] == "FR-DUP-01" and "lot.zip!facture.xml" in duplicate["message_en"]
    assert ledger_rows(gateway_dirs, "select count(*) from invoices where number = 'BD-2026-0142' "
                                     "and decision = 'accepted'") == [(1,)]
    assert accepted_numbers(gateway_dirs) == {"BD-2026-0142", "BD-2026-2100"}


HOSTILE_NAMES = ["a;rm -rf ~;.xml", "$(touch pwned).xml", "`touch pwned2`.xml", "--help.xml", "-rf.xml",
                 "line\nbreak.xml", "tab\there.xml", "ünïcødé-€-日本.xml", "quote'\"s.xml", "<img src=x onerror=alert(1)>.xml",
                 "x" * 200 + ".xml"]


def test_file_names_with_shell_and_path_characters_are_only_labels(gateway_dirs, monkeypatch):
    monkeypatch.chdir(gateway_dirs["root"])  # a name run by a shell would create its files here
    drop(gateway_dirs, {name: french_ubl(f"BD-2026-22{i:02d}") for i, name in enumerate(HOSTILE_NAMES)})
    drop(gateway_dirs, {"..\\x.xml": french_ubl("BD-2026-2299")})  # a dot file: an upload still in progress

    results = run(gateway_dirs)

    assert set(results) == set(HOSTILE_NAMES)
    for name, result in results.items():
        assert result.accepted == 1, name
        assert result.final_path.name == f"{result.batch_id}__{name}"
        assert result.final_path.parent.parent.parent.parent == gateway_dirs["root"] / "archive"
        assert report(gateway_dirs, result, "acceptance")["file"] == name
    assert not list(gateway_dirs["root"].rglob("pwned*")), "a name was run by a shell"
    assert [p.name for p in gateway_dirs["inbox"].iterdir()] == ["..\\x.xml"], "dot files wait, untouched"


def test_file_name_with_control_characters_is_processed(gateway_dirs):
    drop(gateway_dirs, {"bell\x07\x1b[31m.xml": french_ubl("BD-2026-2300")})
    expected = drop_samples(gateway_dirs, UBL_SAMPLE)

    results = run(gateway_dirs)

    assert results["bell\x07\x1b[31m.xml"].accepted == 1
    assert accepted_numbers(gateway_dirs) == expected | {"BD-2026-2300"}


def test_file_name_that_is_not_utf8_is_processed(gateway_dirs):
    latin1_name = os.path.join(os.fsencode(gateway_dirs["inbox"]), b"facture-r\xe9gion.xml")
    with open(latin1_name, "wb") as stream:
        stream.write(french_ubl("BD-2026-2400"))

    results = run(gateway_dirs)

    [result] = results.values()
    assert result.accepted == 1


# -- reports escape what invoices contain ---------------------------------------------------------------------------
SCRIPT = "<script>alert(1)</script>"
FORMULA = "=cmd|' /C calc'!A0"
QUOTED = 'dit "urgent", ligne\nsuivante'


def test_reports_escape_markup_formulas_quotes_and_newlines(gateway_dirs):
    numbers = {"script.xml": SCRIPT, "formula.xml": FORMULA, "quoted.xml": QUOTED, "plus.xml": "+33 1 23",
               "at.xml": "@SUM(A1)"}
    for name, number in numbers.items():
        data = ubl_with("BD-2026-2500", b"<cbc:ID>BD-2026-2500</cbc:ID>", f"<cbc:ID>{escape(number)}</cbc:ID>"
                        .encode())
        drop(gateway_dirs, {name: data.replace(b"2026-03-15", f"2026-03-{10 + len(name)}".encode())})
    drop(gateway_dirs, {"<img src=x onerror=alert(1)>.xml": french_ubl("BD-2026-2501", payable_delta=Decimal(1))})

    results = run(gateway_dirs)

    for name, number in numbers.items():
        folder = gateway_dirs["outbox"] / "reports" / results[name].batch_id
        html = (folder / "report.html").read_text(encoding="utf-8")
        assert "<script>alert(1)" not in html and "alert(1)</script>" not in html, "markup from the invoice ran"
        entries = json.loads((folder / "acceptance.json").read_text())["invoices"] + \
            json.loads((folder / "rejection.json").read_text())["invoices"]
        assert [entry["number"] for entry in entries] == [number], "JSON keeps the value exactly"
        kind = "acceptance" if results[name].accepted else "rejection"
        rows = list(csv.reader((folder / f"{kind}.csv").open(newline="", encoding="utf-8"), delimiter=";"))
        cell = rows[1][1]
        if number[0] in "=+-@":
            assert cell == "'" + number, "a formula-leading cell is neutralised"
        else:
            assert cell == number, "a cell is kept exactly (quotes and newlines included)"
    image = results["<img src=x onerror=alert(1)>.xml"]
    html = (gateway_dirs["outbox"] / "reports" / image.batch_id / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;.xml" in html
