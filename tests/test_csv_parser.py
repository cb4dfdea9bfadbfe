"""The CSV parser, through `parse_csv`: the two sample files, both layouts, encodings, delimiters, bad values."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi_gateway.errors import EmptyFile, MalformedContent, UnreadableFlow
from edi_gateway.model import DocumentFormat, Identifier, Origin, Severity
from edi_gateway.parsers.base import ParsedDocument
from edi_gateway.parsers.csv import COLUMNS, normalise_header, parse_csv

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FORMAT_GUIDE = ROOT / "docs" / "csv-format.md"
ORIGIN = Origin(batch_id="B-1", file_name="depot.csv")

LINE_HEADER = "numero_facture;date_facture;siret_fournisseur;nom_fournisseur;siret_destinataire;designation;" \
              "quantite;prix_unitaire_ht;montant_ht_ligne;taux_tva"


def parse(text: str | bytes, encoding: str = "utf-8") -> list[ParsedDocument]:
    data = text if isinstance(text, bytes) else text.encode(encoding)
    return list(parse_csv(data, ORIGIN))


def line_file(*rows: str, header: str = LINE_HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


# --------------------------------------------------------------------------------------------------------------
# Sample files
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def martin() -> list[ParsedDocument]:
    return list(parse_csv((SAMPLES / "cabinet-martin-lignes.csv").read_bytes(), ORIGIN))


@pytest.fixture(scope="module")
def lefevre() -> list[ParsedDocument]:
    return list(parse_csv((SAMPLES / "cabinet-lefevre-factures.csv").read_bytes(), ORIGIN))


def test_martin_sample_is_cp1252_and_holds_three_invoices_in_file_order(martin):
    raw = (SAMPLES / "cabinet-martin-lignes.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert [doc.invoice.number for doc in martin] == ["FBM-2026-0101", "FBM-2026-0102", "ILM-2026-0017"]
    assert [doc.origin.index for doc in martin] == [1, 2, 3]
    assert all(doc.findings == [] for doc in martin)
    assert all(doc.format is DocumentFormat.CSV and doc.tree is None for doc in martin)


def test_martin_first_invoice_header_fields_and_parties(martin):
    invoice = martin[0].invoice
    assert invoice.issue_date == date(2026, 2, 5)
    assert invoice.type_code == "380"  # written "facture"
    assert invoice.currency == "EUR"
    assert invoice.buyer_reference == "SERV-TECH"
    assert invoice.purchase_order == "EJ-2026-004512"
    assert invoice.business_process == "A1"
    assert invoice.seller.name == "Fournitures Bureau Martin"
    assert invoice.seller.identifiers == [Identifier("51234987900019", "0009")]
    assert invoice.seller.legal_id == Identifier("512349879", "0002")
    assert invoice.seller.vat_id == "FR65512349879"
    assert invoice.buyer.name == "Commune de Belleville-sur-Saône"
    assert invoice.buyer.identifiers == [Identifier("21713000400013", "0009")]
    assert invoice.payment.due_date == date(2026, 3, 7)
    assert invoice.payment.iban == "FR7630004003121234567890164"
    assert invoice.payment.note == ("Virement à 30 jours - pénalités de retard : taux BCE + 8 points - "
                                    "indemnité forfaitaire de recouvrement : 40 EUR")


def test_martin_lines_breakdown_and_totals(martin):
    invoice = martin[0].invoice
    assert [line.name for line in invoice.lines][0] == "Ramettes papier A4 80 g (carton de 5)"
    assert [line.net_amount for line in invoice.lines] == [Decimal("298.80"), Decimal("126.00"),
                                                           Decimal("195.00"), Decimal("179.00")]
    assert [line.vat_rate for line in invoice.lines] == [Decimal("20"), Decimal("20"), Decimal("5.5"), Decimal("5.5")]
    assert [(g.category, g.rate, g.taxable_amount, g.tax_amount) for g in invoice.vat_breakdown] == [
        ("S", Decimal("20"), Decimal("424.80"), Decimal("84.96")),
        ("S", Decimal("5.5"), Decimal("374.00"), Decimal("20.57")),
    ]
    totals = invoice.totals
    assert (totals.line_net, totals.tax_exclusive, totals.tax, totals.tax_inclusive, totals.payable) == (
        Decimal("798.80"), Decimal("798.80"), Decimal("105.53"), Decimal("904.33"), Decimal("904.33"))


def test_martin_vat_is_rounded_half_up(martin):
    """5.5 % of 119.00 is 6.545: half-up gives 6.55 (half-even would give 6.54)."""
    reduced = martin[1].invoice.vat_breakdown[1]
    assert (reduced.taxable_amount, reduced.tax_amount) == (Decimal("119.00"), Decimal("6.55"))
    assert martin[1].invoice.totals.tax == Decimal("61.35")


def test_martin_space_grouped_amount_and_unit_code(martin):
    lines = martin[2].invoice.lines
    assert lines[0].net_amount == Decimal("2547.00")  # written "2 547,00"
    assert lines[2].unit_code == "HUR"
    assert lines[1].unit_code == "C62"
    assert lines[1].net_price == Decimal("129.99")


def test_martin_locations_name_rows_and_headers_as_written(martin):
    first, second = martin[0].invoice, martin[1].invoice
    assert first.locations["number"] == "row 2, column N° facture"
    assert first.locations["buyer.identifiers[0]"] == "row 2, column SIRET destinataire"
    assert first.locations["lines[1].net_amount"] == "row 3, column Montant HT ligne"
    assert first.locations["lines[3].vat_rate"] == "row 5, column Taux TVA"
    assert first.locations["totals.tax_inclusive"] == "row 2, column Total TTC"
    assert second.locations["number"] == "row 6, column N° facture"
    assert second.locations["lines[0].name"] == "row 6, column Désignation"
    assert second.where("lines[2].quantity") == "row 8, column Quantité"


def test_each_invoice_has_its_own_content_and_sha256(martin):
    contents = [doc.content.decode("utf-8") for doc in martin]
    assert all(text.startswith("N° facture;Date de facture;") for text in contents)
    assert [text.count("\n") for text in contents] == [5, 5, 5]  # header + 4 rows each
    assert "FBM-2026-0102" not in contents[0] and "ILM-2026-0017" in contents[2]
    assert all(doc.raw == doc.content for doc in martin)
    assert len({doc.sha256 for doc in martin}) == 3
    assert martin[0].sha256 == hashlib.sha256(martin[0].content).hexdigest()


def test_lefevre_sample_is_utf8_with_bom_and_holds_four_invoices(lefevre):
    assert (SAMPLES / "cabinet-lefevre-factures.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert [doc.invoice.number for doc in lefevre] == [
        "BDS-2026-0031", "NSO-2026-0112", "NSO-2026-0113", "BDS-2026-ERR-0032"]
    assert all(doc.findings == [] for doc in lefevre)
    assert lefevre[0].invoice.seller.name == "Bâtiments Durand SAS"
    assert lefevre[0].invoice.locations["number"] == "row 2, column invoice_number"
    assert lefevre[2].invoice.buyer_reference is None
    assert lefevre[2].invoice.buyer.name == "Syndicat intercommunal des eaux de l'Exemple"


def test_lefevre_invoice_layout_gets_one_line_with_the_net_total(lefevre):
    invoice = lefevre[1].invoice
    [line] = invoice.lines
    assert (line.quantity, line.net_price, line.net_amount) == (Decimal("1"), Decimal("1836.40"), Decimal("1836.40"))
    assert (line.vat_category, line.vat_rate) == ("S", Decimal("20"))
    breakdown = [(g.taxable_amount, g.tax_amount) for g in invoice.vat_breakdown]
    assert breakdown == [(Decimal("1836.40"), Decimal("367.28"))]
    assert invoice.locations["lines[0].net_amount"].startswith("row 3, column total_net")


def test_lefevre_wrong_total_is_kept_as_sent(lefevre):
    invoice = lefevre[3].invoice
    totals = invoice.totals
    assert (totals.tax_exclusive, totals.tax, totals.tax_inclusive) == (
        Decimal("3280.00"), Decimal("656.00"), Decimal("3946.00"))
    assert totals.tax_exclusive + totals.tax != totals.tax_inclusive
    assert invoice.locations["totals.tax_inclusive"] == "row 5, column total_with_vat"


# --------------------------------------------------------------------------------------------------------------
# Encodings, delimiters, numbers and dates
# --------------------------------------------------------------------------------------------------------------

SIMPLE = ("numéro de facture{d}SIRET fournisseur{d}désignation{d}quantité{d}prix unitaire HT{d}taux TVA{d}"
          "date d'émission\n"
          "F-1{d}32456789000011{d}Câble réseau{d}3{d}\"1 234,56\"{d}20{d}31/01/2026\n")


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_delimiters_and_encodings_read_the_same_invoice(delimiter, encoding):
    [doc] = parse(SIMPLE.format(d=delimiter), encoding)
    invoice = doc.invoice
    assert invoice.number == "F-1"
    assert invoice.lines[0].name == "Câble réseau"
    assert invoice.lines[0].net_price == Decimal("1234.56")
    assert invoice.lines[0].net_amount == Decimal("3703.68")
    assert invoice.issue_date == date(2026, 1, 31)
    assert invoice.totals.tax_inclusive == Decimal("4444.42")  # 3703.68 + 740.736 rounded half-up
    assert doc.content.decode("utf-8").startswith("numéro de facture" + delimiter)


@pytest.mark.parametrize("written, expected", [
    ("1234.56", "1234.56"), ("1234,56", "1234.56"), ("1 234,56", "1234.56"), ("1\u00a0234,56", "1234.56"),
    ("1\u202f234,56", "1234.56"), ("1.234,56", "1234.56"), ("1,234.56", "1234.56"), ("-12,5", "-12.5"),
    ("0,000001", "0.000001"), ("12", "12"),
])
def test_amount_formats(written, expected):
    encoding = "cp1252" if "\u202f" not in written else "utf-8"
    [doc] = parse(line_file(f"F-1;2026-01-31;32456789000011;X;21713000400013;Item;1;{written};;20"), encoding)
    assert doc.findings == []
    assert doc.invoice.lines[0].net_price == Decimal(expected)
    assert isinstance(doc.invoice.lines[0].net_price, Decimal)


@pytest.mark.parametrize("written", ["2026-03-15", "15/03/2026", "20260315", "15/3/2026"])
def test_date_formats(written):
    [doc] = parse(line_file(f"F-1;{written};32456789000011;X;21713000400013;Item;1;10;10;20"))
    assert doc.invoice.issue_date == date(2026, 3, 15)


def test_computed_line_net_is_rounded_half_up_and_marked_computed():
    [doc] = parse(line_file("F-1;2026-01-31;32456789000011;X;21713000400013;Item;3;0,125;;20"))
    line = doc.invoice.lines[0]
    assert line.net_amount == Decimal("0.38")  # 0.375 half-up
    assert doc.invoice.locations["lines[0].net_amount"] == \
        "row 2, columns quantite × prix_unitaire_ht (computed)"


def test_headers_are_matched_whatever_case_accents_spaces_and_language():
    text = ("NUMERO_FACTURE,Siret-Fournisseur,Libellé,Qté,Unit Price,VAT_RATE,Type,Devise\n"
            "A-9,78190456000021,Support,2,50.00,20,avoir,usd\n")
    [doc] = parse(text)
    invoice = doc.invoice
    assert (invoice.number, invoice.type_code, invoice.currency) == ("A-9", "381", "USD")
    assert invoice.seller.identifiers == [Identifier("78190456000021", "0009")]
    assert invoice.lines[0].name == "Support"
    assert invoice.totals.payable == Decimal("120.00")
    assert invoice.locations["lines[0].quantity"] == "row 2, column Qté"


def test_no_alias_names_two_columns():
    owners: dict[str, str] = {}
    for canonical, column in COLUMNS.items():
        for alias in (canonical, *column.aliases):
            key = normalise_header(alias)
            assert owners.setdefault(key, canonical) == canonical, f"{alias!r} names {owners[key]} and {canonical}"


def test_format_guide_lists_every_column():
    guide = FORMAT_GUIDE.read_text(encoding="utf-8")
    assert [name for name in COLUMNS if f"| `{name}` |" not in guide] == []


def test_format_guide_examples_parse_and_are_consistent():
    examples = re.findall(r"```csv\n(.*?)```", FORMAT_GUIDE.read_text(encoding="utf-8"), re.S)
    assert len(examples) == 2
    for example in examples:
        for doc in parse(example):
            totals = doc.invoice.totals
            assert doc.findings == []
            assert totals.tax_exclusive == totals.line_net
            assert totals.tax == sum(group.tax_amount for group in doc.invoice.vat_breakdown)
            assert totals.tax_inclusive == totals.tax_exclusive + totals.tax


# --------------------------------------------------------------------------------------------------------------
# Grouping and layouts
# --------------------------------------------------------------------------------------------------------------


def test_interleaved_rows_group_by_supplier_and_number_in_first_appearance_order():
    docs = parse(line_file(
        "F-1;2026-01-10;32456789000011;Durand;21713000400013;a;1;10;10;20",
        "F-2;2026-01-11;32456789000011;Durand;21713000400013;b;1;20;20;20",
        "F-1;2026-01-10;32456789000011;Durand;21713000400013;c;2;5;10;5,5",
        "F-1;2026-01-12;78190456000021;Lemoine;21713000400013;d;1;7;7;20",
        "F-2;2026-01-11;32456789000011;Durand;21713000400013;e;1;1;1;20",
    ))
    summary = [(d.invoice.number, d.invoice.supplier_key, [line.name for line in d.invoice.lines]) for d in docs]
    assert summary == [
        ("F-1", "32456789000011", ["a", "c"]),
        ("F-2", "32456789000011", ["b", "e"]),
        ("F-1", "78190456000021", ["d"]),
    ]
    first = docs[0].invoice
    assert first.locations["lines[1].name"] == "row 4, column designation"
    assert first.locations["totals.tax"] == "rows 2, 4 (computed from the lines)"
    assert first.totals.tax == Decimal("2.55")  # 20 % of 10 + 5.5 % of 10 (0.55)
    assert [d.origin.index for d in docs] == [1, 2, 3]
    assert ORIGIN.index == 0
    assert all(d.origin.batch_id == "B-1" and d.origin.file_name == "depot.csv" for d in docs)
    assert docs[1].content.decode().splitlines()[1:] == [
        "F-2;2026-01-11;32456789000011;Durand;21713000400013;b;1;20;20;20",
        "F-2;2026-01-11;32456789000011;Durand;21713000400013;e;1;1;1;20",
    ]


def test_invoice_layout_computes_missing_totals_and_subtracts_prepaid():
    text = ("invoice_number,supplier_siret,total_ht,vat_rate,prepaid,vat_category\n"
            "T-1,44012378400033,100.00,5.5,50.00,\n")
    [doc] = parse(text)
    totals = doc.invoice.totals
    assert (totals.tax_exclusive, totals.tax, totals.tax_inclusive, totals.prepaid, totals.payable) == (
        Decimal("100.00"), Decimal("5.50"), Decimal("105.50"), Decimal("50.00"), Decimal("55.50"))
    assert doc.invoice.lines[0].vat_category == "S"
    assert doc.invoice.locations["totals.payable"] == "row 2 (computed from the lines)"
    assert doc.invoice.locations["totals.prepaid"] == "row 2, column prepaid"


def test_invoice_layout_rows_are_never_merged():
    text = "invoice_number,supplier_siret,total_net,vat_rate\nT-1,44012378400033,1,20\nT-1,44012378400033,2,20\n"
    assert [d.invoice.totals.tax_exclusive for d in parse(text)] == [Decimal("1"), Decimal("2")]


def test_reverse_charge_group_has_zero_tax_and_keeps_its_exemption_reason():
    text = ("numero_facture;siret_fournisseur;total_ht;categorie_tva;taux_tva;motif_exoneration\n"
            "T-2;32456789000011;5000,00;AE;;Autoliquidation (article 283-2 nonies du CGI)\n")
    [doc] = parse(text)
    [group] = doc.invoice.vat_breakdown
    assert (group.category, group.rate, group.taxable_amount, group.tax_amount) == (
        "AE", None, Decimal("5000.00"), Decimal("0.00"))
    assert group.exemption_reason == "Autoliquidation (article 283-2 nonies du CGI)"
    assert doc.invoice.totals.payable == Decimal("5000.00")


def test_utf16_tab_separated_export_is_read():
    data = ("\ufeffnuméro de facture\tSIRET fournisseur\ttotal HT\ttaux TVA\nU-1\t32456789000011\t10,00\t20\n")
    [doc] = parse(data.encode("utf-16-le"))
    assert (doc.invoice.number, doc.invoice.totals.tax_inclusive) == ("U-1", Decimal("12.00"))


def test_inconsistent_file_totals_are_not_fixed():
    header = LINE_HEADER + ";total_ht;total_tva;total_ttc;net_a_payer"
    [doc] = parse(line_file("F-1;2026-01-31;32456789000011;X;21713000400013;Item;1;100;100;20;100;20;130;999",
                            header=header))
    totals = doc.invoice.totals
    assert (totals.line_net, totals.tax_inclusive, totals.payable) == (Decimal("100"), Decimal("130"), Decimal("999"))
    assert doc.invoice.vat_breakdown[0].tax_amount == Decimal("20.00")


def test_blank_lines_are_skipped_but_counted_in_row_numbers():
    text = "\n" + line_file("", "F-1;2026-01-31;32456789000011;X;21713000400013;Item;1;10;10;20", ";;;;;;;;;")
    [doc] = parse(text)
    assert doc.invoice.locations["number"] == "row 4, column numero_facture"


def test_trailing_empty_delimiters_are_tolerated():
    [doc] = parse(line_file("F-1;2026-01-31;32456789000011;X;21713000400013;Item;1;10;10;20;;"))
    assert doc.invoice.totals.tax_inclusive == Decimal("12.00")


# --------------------------------------------------------------------------------------------------------------
# Per-value problems: findings, never exceptions
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["12,3x", "NaN", "1e9999", "inf", "1.1234567", "12 €", "1234567890123456"])
def test_unreadable_amount_gives_a_csv_value_finding_and_an_empty_field(bad):
    docs = parse(line_file(
        "F-1;2026-01-31;32456789000011;X;21713000400013;ok;1;10;10;20",
        f"F-2;2026-01-31;32456789000011;X;21713000400013;Item;1;10;{bad};20",
    ))
    assert [d.invoice.number for d in docs] == ["F-1", "F-2"]
    assert docs[0].findings == []
    [finding] = docs[1].findings
    assert (finding.rule, finding.severity, finding.field) == ("CSV-VALUE", Severity.FATAL, "lines[0].net_amount")
    assert finding.location == "row 3, column montant_ht_ligne"
    assert finding.value == bad
    assert finding.bt == "BT-131"
    assert "amount" in finding.message_en and "montant" in finding.message_fr
    assert bad in finding.message_en
    assert "1234,56" in finding.hint
    line = docs[1].invoice.lines[0]
    assert line.net_amount is None and line.net_price == Decimal("10")
    assert docs[1].invoice.totals.line_net is None
    assert "lines[0].net_amount" not in docs[1].invoice.locations


def test_too_many_decimals_says_why():
    [doc] = parse(line_file("F-1;2026-01-31;32456789000011;X;21713000400013;Item;1,1234567;10;;20"))
    [finding] = doc.findings
    assert finding.field == "lines[0].quantity"
    assert "6 decimals" in finding.message_en and "6 décimales" in finding.message_fr
    assert doc.invoice.lines[0].net_amount is None  # not computed from an unreadable quantity


def test_impossible_date_gives_a_finding():
    [doc] = parse(line_file("F-1;31/02/2024;32456789000011;X;21713000400013;Item;1;10;10;20"))
    [finding] = doc.findings
    assert (finding.rule, finding.field, finding.location, finding.value) == (
        "CSV-VALUE", "issue_date", "row 2, column date_facture", "31/02/2024")
    assert "YYYY-MM-DD" in finding.hint
    assert doc.invoice.issue_date is None


def test_long_bad_value_is_truncated_to_200_characters():
    [doc] = parse(line_file(f"F-1;{'9' * 300}x;32456789000011;X;21713000400013;Item;1;10;10;20"))
    [finding] = doc.findings
    assert len(finding.value) == 200
    assert len(finding.message_en) < 300


def test_spreadsheet_scientific_siret_is_refused():
    [doc] = parse(line_file("F-1;2026-01-31;3,24568E+13;X;21713000400013;Item;1;10;10;20"))
    [finding] = doc.findings
    assert (finding.field, finding.bt) == ("seller.identifiers[0]", "BT-29")
    assert doc.invoice.seller.identifiers == [] and doc.invoice.seller.legal_id is None


def test_unknown_type_word_gives_a_finding():
    [doc] = parse("numero_facture;siret_fournisseur;total_ht;taux_tva;type\nF-1;32456789000011;10;20;devis\n")
    [finding] = doc.findings
    assert finding.field == "type_code" and doc.invoice.type_code is None


def test_rows_without_invoice_number_are_invoices_of_their_own():
    docs = parse(line_file(
        "F-1;2026-01-31;32456789000011;X;21713000400013;a;1;10;10;20",
        ";2026-01-31;32456789000011;X;21713000400013;b;1;10;10;20",
        ";2026-01-31;32456789000011;X;21713000400013;c;1;10;10;20",
        "F-1;2026-01-31;32456789000011;X;21713000400013;d;1;10;10;20",
    ))
    assert [(d.invoice.number, len(d.invoice.lines)) for d in docs] == [("F-1", 2), (None, 1), (None, 1)]
    for doc, row in zip(docs[1:], (3, 4)):
        [finding] = doc.findings
        assert (finding.rule, finding.severity, finding.field) == ("CSV-NUMBER", Severity.FATAL, "number")
        assert finding.location == f"row {row}, column numero_facture"


# --------------------------------------------------------------------------------------------------------------
# Whole-file problems
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \r\n\n", b"\xef\xbb\xbf", LINE_HEADER.encode() + b"\n;;;\n"])
def test_empty_files_raise_empty_file(data):
    with pytest.raises(EmptyFile) as caught:
        parse_csv(data, ORIGIN)  # raised by the call itself, before iterating
    assert caught.value.code == "IRR_VIDE"


def test_missing_invoice_number_column_names_the_accepted_headers():
    with pytest.raises(MalformedContent) as caught:
        parse("facture;siret_fournisseur;total_ht\nF-1;32456789000011;10\n")
    error = caught.value
    assert error.code == "IRR_SYNTAX"
    assert "invoice_number" in error.message_en and "numero_facture" in error.message_en
    assert "Colonne CSV obligatoire absente" in error.message_fr
    assert "siret_fournisseur" not in error.message_en.split("Columns found")[0]


def test_row_longer_than_the_header_is_named_in_the_error():
    with pytest.raises(MalformedContent) as caught:
        parse("\nnumero_facture,siret_fournisseur,total_ht\nF-1,32456789000011,10\nF-2,32456789000011,10,50\n")
    assert caught.value.message_en.startswith("Row 4 has 4 cells but the header has 3")
    assert caught.value.message_fr.startswith("La ligne 4 a 4 cellules")


def test_missing_supplier_column_is_malformed():
    with pytest.raises(MalformedContent) as caught:
        parse("numero_facture;nom_fournisseur;total_ht\nF-1;Durand;10\n")
    assert "supplier_siret or supplier_vat" in caught.value.message_en
    assert "siret_fournisseur" in caught.value.message_en


@pytest.mark.parametrize("data", [
    b"\x81\x8d\xff\xfe\x00binary",  # neither UTF-8 nor cp1252
    b"just one line of text without any delimiter\n",
    b'numero_facture;siret_fournisseur;total_ht\n"F-1;32456789000011;10\n',  # unterminated quote
    b"numero_facture,siret_fournisseur,total_ht\nF-1,32456789000011,10,50\n",  # unquoted decimal comma
])
def test_unreadable_flows_raise_malformed_content(data):
    with pytest.raises(MalformedContent):
        list(parse_csv(data, ORIGIN))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_only_give_documents_or_unreadable_flow(data):
    try:
        docs = list(parse_csv(data, ORIGIN))
    except UnreadableFlow:
        return
    assert all(isinstance(doc, ParsedDocument) and doc.invoice is not None for doc in docs)


CELL = st.text(alphabet=st.sampled_from(list("0123456789,.;-/ eE+xN\"\u00a0é\n")), max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELL, min_size=10, max_size=10), min_size=1, max_size=5))
def test_random_cells_under_a_valid_header_never_crash(rows):
    text = LINE_HEADER + ";total_ttc;prepaid\n" + "\n".join(";".join(row + ["", ""]) for row in rows)
    try:
        docs = list(parse_csv(text.encode("utf-8"), ORIGIN))
    except UnreadableFlow:
        return
    for doc in docs:
        assert all(f.rule in {"CSV-VALUE", "CSV-NUMBER"} and f.location for f in doc.findings)
