"""Property-based tests on every parser entry point: whatever bytes a depositor sends, a parser gives invoices (or
documents carrying the reason a lot member is unreadable) or raises one of the gateway's clean input errors
(`edi_gateway.errors.InputError`: UnreadableFlow and its subclasses), never any other exception.

Inputs are random bytes and real samples (samples/) mutated the ways transfers and editors break files: flipped
bytes, truncation, inserted bytes, spliced prefixes. Each property runs a bounded number of examples so that the
whole file stays fast; failures print the smallest input hypothesis found.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi_gateway.errors import InputError
from edi_gateway.model import Origin
from edi_gateway.parsers import Limits, ParsedDocument, parse_raw, read_flow, read_xml_invoice, split_flow
from edi_gateway.parsers.csv import parse_csv
from edi_gateway.parsers.detect import Container, sniff
from edi_gateway.parsers.facturx import extract_invoice_xml
from edi_gateway.parsers.lots import iter_members
from edi_gateway.parsers.xml import parse_xml
from edi_gateway.policy import Policy
from edi_gateway.validators import CheckContext
from edi_gateway.pipeline import check_document

from .conftest import SAMPLES

ORIGIN = Origin(batch_id="EDGFUZZ", file_name="fuzzed")
SMALL_LIMITS = Limits(max_file_bytes=1 << 20, zip_max_members=50, zip_max_total_bytes=4 << 20, zip_max_ratio=200,
                      zip_max_depth=2)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


UBL = sample("durand-facture-BD-2026-0142.xml")
CII = sample("nettoyage-facture-NSO-2026-0118-cii.xml")
CSV_INVOICES = sample("cabinet-lefevre-factures.csv")
CSV_LINES = sample("cabinet-martin-lignes.csv")  # cp1252, ';', French headers
FACTURX = sample("martin-facturx-FBM-2026-0215.pdf")
LOT = sample("lot-mairie-belleville-2026-11.zip")


# -- mutations ----------------------------------------------------------------------------------------------------
@st.composite
def mutated(draw, original: bytes) -> bytes:
    """`original` broken by a few flipped, replaced, inserted or deleted bytes, or truncated."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "replace", "insert", "delete", "truncate"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "replace":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        else:
            del data[at:]
    return bytes(data)


@st.composite
def xml_text_mutated(draw, original: bytes) -> bytes:
    """A well-formed-looking change: the text of a random element replaced by hostile text."""
    hostile = draw(st.sampled_from(["1e9999", "NaN", "-Infinity", "0." + "1" * 30, "", " ", "&amp;", "x" * 5000,
                                    "<![CDATA[]]>", "9" * 40, "2026-02-30", "-0", "+1.", ".5"]))
    closings = [i for i in range(len(original)) if original.startswith(b"</", i)]
    at = draw(st.sampled_from(closings))
    start = original.rfind(b">", 0, at) + 1
    return original[:start] + hostile.encode() + original[at:]


def random_bytes(prefixes: list[bytes]) -> st.SearchStrategy[bytes]:
    """Random bytes, sometimes behind a prefix that steers format detection into a given reader."""
    return st.tuples(st.sampled_from([b"", *prefixes]), st.binary(max_size=2048)).map(lambda parts: b"".join(parts))


# -- what every property checks -----------------------------------------------------------------------------------
def documents_or_clean_error(read) -> list[ParsedDocument] | InputError:
    """Call `read()`; its documents, or the clean input error it raised. Any other exception fails the test."""
    try:
        documents = read()
    except InputError as error:
        assert error.message_en and error.message_fr and error.code.startswith("IRR_"), error
        return error
    for document in documents:
        assert isinstance(document, ParsedDocument)
        assert document.invoice is not None or document.findings, "an unreadable document must say why"
    return documents


def check_all(documents: list[ParsedDocument]) -> None:
    """Validation must cope with whatever a parser made of the bytes (values left empty, odd numbers)."""
    for document in documents:
        verdict = check_document(document, CheckContext(), Policy())
        assert verdict.decision is not None


# -- format detection ---------------------------------------------------------------------------------------------
@FUZZ
@given(random_bytes([b"PK\x03\x04", b"%PDF-1.7\n", b"\xef\xbb\xbf<", b"<", b"a;b;c\n", b"\xff\xfe"]))
def test_sniff_names_a_container_or_raises_a_clean_error(data):
    try:
        result = sniff(data)
    except InputError as error:
        result = error
    assert isinstance(result, (Container, InputError))


# -- XML: UBL and CII ---------------------------------------------------------------------------------------------
@FUZZ
@given(st.one_of(mutated(UBL), mutated(CII), random_bytes([b"<?xml version='1.0'?>", b"<Invoice>", b"<!DOCTYPE x ["])))
def test_xml_invoice_reader_gives_a_document_or_a_clean_error(data):
    result = documents_or_clean_error(lambda: [read_xml_invoice(data, ORIGIN)])
    if isinstance(result, list):
        check_all(result)


@FUZZ
@given(st.one_of(xml_text_mutated(UBL), xml_text_mutated(CII)))
def test_hostile_element_text_in_real_invoices_is_read_or_reported(data):
    result = documents_or_clean_error(lambda: [read_xml_invoice(data, ORIGIN)])
    if isinstance(result, list):
        check_all(result)


@FUZZ
@given(st.binary(max_size=512))
def test_parse_xml_never_raises_anything_but_malformed_content(data):
    try:
        parse_xml(data)
    except InputError as error:
        assert error.code == "IRR_SYNTAX"


# -- CSV ----------------------------------------------------------------------------------------------------------
@FUZZ
@given(st.one_of(mutated(CSV_INVOICES), mutated(CSV_LINES), random_bytes([b"invoice_number;supplier_siret;total_ht\n",
                                                                        b"\xef\xbb\xbfnumero_facture,siret_fournisseur\n"])))
def test_csv_reader_gives_invoices_or_a_clean_error(data):
    result = documents_or_clean_error(lambda: list(parse_csv(data, ORIGIN)))
    if isinstance(result, list):
        check_all(result[:5])


@FUZZ
@given(st.lists(st.text(max_size=30), min_size=1, max_size=8), st.sampled_from([";", ",", "\t"]),
       st.sampled_from(["utf-8", "cp1252", "utf-16"]))
def test_csv_rows_of_arbitrary_text_under_a_real_header(cells, delimiter, encoding):
    header = delimiter.join(["numero_facture", "siret_fournisseur", "total_ht", "taux_tva", "date_facture"])
    row = delimiter.join(cells)
    text = f"{header}\n{row}\n"
    data = text.encode(encoding, errors="replace")
    result = documents_or_clean_error(lambda: list(parse_csv(data, ORIGIN)))
    if isinstance(result, list):
        check_all(result[:5])


# -- Factur-X PDF -------------------------------------------------------------------------------------------------
@FEWER
@given(st.one_of(mutated(FACTURX), random_bytes([b"%PDF-1.7\n"])))
def test_facturx_pdf_gives_an_invoice_or_a_clean_error(data):
    def read():
        _name, xml = extract_invoice_xml(data)
        return [read_xml_invoice(xml, ORIGIN, raw=data)]

    documents_or_clean_error(read)


# -- ZIP lots and whole flows -------------------------------------------------------------------------------------
def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


member_names = st.one_of(st.sampled_from(["a.xml", "../up.xml", "/abs.xml", "C:/win.xml", "dir/b.csv", "..\\c.xml",
                                          "x/../../y.xml", "nested.zip", " ", "\u00e9t\u00e9.xml"]),
                         # (zipfile cuts a name at its first NUL, and cannot write one left empty: such raw names
                         # are in test_hostile)
                         st.text(min_size=1, max_size=20).filter(lambda name: not name.startswith("\x00")))
member_contents = st.one_of(st.binary(max_size=256), st.sampled_from([UBL, CII, CSV_INVOICES, b"", b"PK\x03\x04"]),
                            mutated(UBL))


@FEWER
@given(st.dictionaries(member_names, member_contents, min_size=1, max_size=5))
def test_lot_of_arbitrary_members_gives_documents_or_a_clean_error(members):
    result = documents_or_clean_error(lambda: list(read_flow(zip_of(members), ORIGIN, SMALL_LIMITS)))
    if isinstance(result, list):
        files = [name for name in members if not name.endswith("/")]  # names ending in / are folders
        assert len(result) >= len(files), "every file of the lot is accounted for, read or refused"


@FUZZ
@given(mutated(LOT))
def test_damaged_real_lot_gives_documents_or_a_clean_error(data):
    documents_or_clean_error(lambda: list(read_flow(data, ORIGIN, SMALL_LIMITS)))


@FUZZ
@given(mutated(LOT))
def test_iter_members_yields_members_or_raises_a_clean_error(data):
    try:
        for member in iter_members(data, SMALL_LIMITS):
            assert (member.data is None) == (member.error is not None)
    except InputError:
        pass


# -- the two steps the engines run apart ---------------------------------------------------------------------------
ANY_SAMPLE = st.sampled_from([UBL, CII, CSV_INVOICES, CSV_LINES, LOT, FACTURX])


@FUZZ
@given(st.one_of(ANY_SAMPLE.flatmap(mutated), st.binary(max_size=1024)))
def test_split_flow_then_parse_raw_gives_documents_or_a_clean_error(data):
    def read():
        return [document for raw in split_flow(data, ORIGIN, SMALL_LIMITS) for document in parse_raw(raw)]

    documents_or_clean_error(read)


@pytest.mark.parametrize("data", [UBL, CII, CSV_INVOICES, CSV_LINES, LOT, FACTURX], ids=[
    "ubl", "cii", "csv-invoices", "csv-lines", "lot", "facturx"])
def test_unmutated_samples_parse_into_invoices(data):
    """The properties above are not vacuous: the seeds they mutate do parse into invoices."""
    documents = list(read_flow(data, ORIGIN, SMALL_LIMITS))
    assert any(document.invoice is not None for document in documents)
