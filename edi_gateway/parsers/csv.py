"""CSV invoices deposited by accounting firms, read into the canonical model.

Two layouts, told apart by the header: one row per invoice line (rows grouped into invoices by supplier and invoice
number), or one row per invoice carrying its totals (the invoice then gets one line holding its net total).
Headers may be French or English; `COLUMNS` is the one table of accepted names. Whole-file problems raise
`UnreadableFlow` subclasses; a value that cannot be read leaves its field empty and adds a `CSV-VALUE` finding.
The format is documented for depositors in docs/csv-format.md.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from itertools import chain, islice
from typing import Any, BinaryIO, NamedTuple

from ..errors import EmptyFile, MalformedContent
from ..model import (
    CreditTransfer,
    DocumentFormat,
    Finding,
    Identifier,
    Invoice,
    Line,
    Origin,
    Party,
    PaymentMeans,
    Severity,
    VatBreakdown,
)
from ..text import fold
from .base import ParsedDocument

__all__ = ["COLUMNS", "normalise_header", "parse_csv"]

EN16931_PROFILE = "urn:cen.eu:en16931:2017"
CREDIT_TRANSFER = "30"  # UNTDID 4461 payment means code implied by an IBAN
UNTAXED_CATEGORIES = frozenset({"E", "AE", "K", "G", "O"})  # VAT categories whose tax is 0 whatever the rate


class Column(NamedTuple):
    """A canonical column: the business term it feeds and the header names accepted for it."""

    bt: str
    aliases: tuple[str, ...]


COLUMNS: dict[str, Column] = {
    # invoice
    "invoice_number": Column("BT-1", (
        "invoice_number", "invoice number", "invoice_no", "invoice_id",
        "numero_facture", "numéro de facture", "n° facture", "n° de facture", "num_facture",
    )),
    "issue_date": Column("BT-2", (
        "issue_date", "invoice_date", "date_facture", "date de facture", "date d'émission", "date_emission",
    )),
    "type_code": Column("BT-3", (
        "type_code", "invoice_type", "invoice_type_code", "document_type",
        "type", "type_facture", "type de facture", "type de document",
    )),
    "currency": Column("BT-5", ("currency", "currency_code", "devise", "code devise")),
    "service_code": Column("BT-10", (
        "service_code", "buyer_reference", "code_service", "code service destinataire",
    )),
    "engagement_number": Column("BT-13", (
        "engagement_number", "purchase_order", "order_number", "po_number",
        "numero_engagement", "numéro d'engagement", "n° engagement", "engagement juridique",
        "bon de commande", "n° bon de commande", "numero_commande",
    )),
    "billing_frame": Column("BT-23", (
        "billing_frame", "business_process", "cadre_facturation", "cadre de facturation",
    )),
    "preceding_invoice": Column("BT-25", (
        "preceding_invoice", "preceding_invoice_number", "facture_origine", "facture d'origine",
        "facture_precedente", "n° facture d'origine",
    )),
    # seller
    "supplier_siret": Column("BT-29", (
        "supplier_siret", "seller_siret", "siret_fournisseur", "siret_emetteur", "siret émetteur", "siret_vendeur",
    )),
    "supplier_name": Column("BT-27", (
        "supplier_name", "seller_name", "nom_fournisseur", "raison sociale fournisseur", "fournisseur",
        "nom_emetteur",
    )),
    "supplier_vat": Column("BT-31", (
        "supplier_vat", "supplier_vat_id", "seller_vat", "seller_vat_id",
        "tva_fournisseur", "n° tva fournisseur", "tva intracommunautaire fournisseur",
    )),
    "supplier_country": Column("BT-40", ("supplier_country", "seller_country", "pays_fournisseur")),
    # buyer
    "buyer_siret": Column("BT-46", (
        "buyer_siret", "recipient_siret", "siret_destinataire", "siret_acheteur", "siret client",
    )),
    "buyer_name": Column("BT-44", (
        "buyer_name", "recipient_name", "nom_destinataire", "destinataire", "nom_acheteur", "client",
    )),
    "buyer_country": Column("BT-55", ("buyer_country", "recipient_country", "pays_destinataire")),
    # works frames: the project manager (maître d'œuvre), not an EN 16931 term (see docs/routing.md)
    "project_manager_siret": Column("MOE", (
        "project_manager_siret", "moe_siret", "siret_moe", "siret maître d'œuvre", "siret maitre d'oeuvre",
    )),
    "project_manager_name": Column("MOE", (
        "project_manager_name", "moe_name", "nom_moe", "maître d'œuvre", "maitre d'oeuvre",
    )),
    # payment
    "payment_terms": Column("BT-20", (
        "payment_terms", "conditions_paiement", "conditions de paiement", "conditions de règlement",
    )),
    "due_date": Column("BT-9", (
        "due_date", "payment_due_date", "date_echeance", "date d'échéance", "échéance",
    )),
    "iban": Column("BT-84", ("iban", "payment_account", "iban_fournisseur", "compte bancaire")),
    # lines
    "line_id": Column("BT-126", ("line_id", "line_number", "numero_ligne", "n° ligne", "ligne")),
    "item_name": Column("BT-153", (
        "item_name", "description", "designation", "désignation", "libelle", "libellé", "article",
    )),
    "quantity": Column("BT-129", ("quantity", "qty", "quantite", "quantité", "qte")),
    "unit_code": Column("BT-130", ("unit_code", "unit", "unite", "unité", "code unite")),
    "unit_price": Column("BT-146", (
        "unit_price", "net_price", "prix_unitaire", "prix_unitaire_ht", "pu_ht",
    )),
    "line_net_amount": Column("BT-131", (
        "line_net_amount", "line_amount", "line_total", "montant_ht_ligne", "total_ht_ligne", "montant_ligne",
    )),
    "vat_category": Column("BT-151", (
        "vat_category", "vat_category_code", "categorie_tva", "catégorie de tva", "code tva",
    )),
    "vat_rate": Column("BT-152", ("vat_rate", "vat_percent", "tax_rate", "taux_tva", "taux de tva", "taux")),
    "vat_exemption_reason": Column("BT-120", (
        "vat_exemption_reason", "exemption_reason", "motif_exoneration", "motif d'exonération",
        "mention_exoneration",
    )),
    "vat_exemption_code": Column("BT-121", ("vat_exemption_code", "exemption_code", "code_exoneration")),
    # totals
    "total_net": Column("BT-109", (
        "total_net", "total_without_vat", "total_excl_vat", "total_ht", "montant_ht", "montant total ht",
    )),
    "total_vat": Column("BT-110", ("total_vat", "vat_total", "vat_amount", "total_tva", "montant_tva")),
    "total_with_vat": Column("BT-112", (
        "total_with_vat", "total_incl_vat", "total_ttc", "montant_ttc", "montant total ttc",
    )),
    "prepaid": Column("BT-113", (
        "prepaid", "prepaid_amount", "paid_amount", "acompte", "acomptes", "deja_paye", "montant déjà payé",
    )),
    "amount_due": Column("BT-115", (
        "amount_due", "payable_amount", "net_a_payer", "net à payer", "montant à payer", "reste à payer",
    )),
}

LINE_COLUMNS = ("line_id", "item_name", "quantity", "unit_code", "unit_price", "line_net_amount")
SUPPLIER_COLUMNS = ("supplier_siret", "supplier_vat")

# (column, field path) of the invoice totals a file may give
TOTAL_COLUMNS = (
    ("total_net", "totals.tax_exclusive"),
    ("total_vat", "totals.tax"),
    ("total_with_vat", "totals.tax_inclusive"),
    ("prepaid", "totals.prepaid"),
    ("amount_due", "totals.payable"),
)


def normalise_header(text: str) -> str:
    """Lowercase, without accents, spaces, underscores, hyphens, apostrophes or dots; ° reads as o."""
    return re.sub(r"[\s_\-'’.\"]", "", fold(text.replace("°", "o")))


_ALIAS_INDEX: dict[str, str] = {
    normalise_header(alias): canonical
    for canonical, column in COLUMNS.items()
    for alias in (canonical, *column.aliases)
}


# --------------------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------------------


def parse_csv(data: bytes, origin: Origin, part: CsvPart | None = None) -> Iterator[ParsedDocument]:
    """The invoices of a CSV file, in order of first appearance; or of one `part` of a large file cut by
    `split_csv` (then `data` is `part.data`, and rows and invoices are numbered as in the whole file).

    The whole file is decoded and its header checked at call time, so `UnreadableFlow` is raised by this call;
    the invoices themselves are then built one at a time as the iterator is consumed.
    """
    sheet = _read_sheet(data)
    first_index = 1
    if part is not None:
        sheet.row_numbers, first_index = part.row_numbers, part.first_index
    return _documents(sheet, origin, first_index)


def _documents(sheet: _Sheet, origin: Origin, first_index: int = 1) -> Iterator[ParsedDocument]:
    for index, rows in enumerate(_invoice_groups(sheet), start=first_index):
        yield _document(sheet, rows, replace(origin, index=index))


# --------------------------------------------------------------------------------------------------------------
# Large files: cut into parts of whole invoices, read as a stream
# --------------------------------------------------------------------------------------------------------------
INVOICES_PER_PART = 50  # a part is what a worker parses in one go: a chunk (pipeline.TASK_SIZE) at most, so that a
# lot still spreads over the workers; not fewer, as pandas costs ~2.5 ms a call (parts of 10: 0.31 ms per invoice
# of 20 lines, against 0.12 ms for parts of 50)


@dataclass(slots=True)
class CsvPart:
    """Some whole invoices of a CSV file: the header and their records as UTF-8 CSV, with each record's row
    number in the original file and the index of the part's first invoice. Parsed by `parse_csv(data, origin,
    part)` into the same documents, with the same locations, as the whole file would give."""

    data: bytes
    row_numbers: list[int]
    first_index: int
    invoice_count: int


def split_csv(open_binary: Callable[[], BinaryIO], invoices_per_part: int = INVOICES_PER_PART
              ) -> Iterator[CsvPart]:
    """The invoices of a CSV file, `invoices_per_part` at a time, in order of first appearance, without ever
    holding the file: a first pass notes which invoice each record belongs to, a second one hands each part on
    as soon as its last record is read (at once for a file whose invoices' rows are contiguous).

    `open_binary` opens the file from its start (it is called once per pass). The header, encoding and layout
    are checked on the first pass, so a file that cannot be read raises UnreadableFlow before any part."""
    encoding, index = _index_records(open_binary, invoices_per_part)
    return _parts(open_binary, encoding, index, invoices_per_part)


@dataclass(slots=True)
class _RecordIndex:
    """What the first pass notes for the second, in memory that grows with the invoices, not with the records:
    the records are numbered from 0, in runs of consecutive records of one invoice."""

    sheet: _Sheet  # header, delimiter, columns and first row number; no rows
    record_count: int
    run_starts: array  # the first record of each run
    run_invoices: array  # the invoice of each run (0-based, order of first appearance); -1: records of none
    part_ends: list[int]  # per part, the index of its last record
    header_lines: int  # physical lines of the header (a quoted cell may hold a line break)
    multi_line: dict[int, int]  # physical lines of each record spanning more than one (the others span one)

    def records(self) -> Iterator[tuple[int, int, int]]:
        """(position, invoice, physical lines) of every record, in order."""
        runs = len(self.run_starts)
        for run in range(runs):
            end = self.run_starts[run + 1] if run + 1 < runs else self.record_count
            invoice = self.run_invoices[run]
            for position in range(self.run_starts[run], end):
                yield position, invoice, self.multi_line.get(position, 1)


def _index_records(open_binary: Callable[[], BinaryIO], invoices_per_part: int) -> tuple[str, _RecordIndex]:
    """The file's encoding (UTF-16 with its BOM, else UTF-8, else Windows-1252, as `_decode`) and its index."""
    with open_binary() as stream:
        head = stream.read(2)
    encodings = ("utf-16",) if head in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            index = _index_with(open_binary, encoding, invoices_per_part)
        except UnicodeDecodeError:
            continue
        if encoding == "cp1252":
            _refuse_mixed_encodings_in(open_binary)
        return encoding, index
    raise _decode_error()


def _refuse_mixed_encodings_in(open_binary: Callable[[], BinaryIO]) -> None:
    """`_refuse_mixed_encodings` on a file read a block at a time (blocks overlap by the 2 bytes a match spans)."""
    with open_binary() as stream:
        carried, lines_before = b"", 0
        while block := stream.read(1 << 20):
            window = carried + block
            try:
                _refuse_mixed_encodings(window)
            except MalformedContent:
                found = _UTF8_LETTER.search(window)
                _refuse_mixed_encodings(b"\n" * (lines_before - carried.count(b"\n")) + window[:found.end()])
            lines_before += block.count(b"\n")
            carried = window[-2:]


def _first_line(stream: BinaryIO, encoding: str) -> tuple[io.TextIOWrapper, int, str]:
    """The file as text (line endings kept), how many blank lines come before its first line of text, and that
    line."""
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    blank_lines, line = 0, text.readline()
    while line and not line.strip():
        blank_lines, line = blank_lines + 1, text.readline()
    if not line:
        raise EmptyFile("The file holds no text.", "Le fichier ne contient aucun texte.")
    return text, blank_lines, line


def _open_records(stream: BinaryIO, encoding: str) -> tuple[_Sheet, Iterator[list[str]], Any]:
    """The header (as a sheet without rows), an iterator over the data records of an open file, each checked
    (width, control characters), and the csv reader under it, whose `line_num` counts the file's lines from the
    header on as the records take them (a record takes exactly its own lines, more than one when a quoted cell
    holds a line break)."""
    text, blank_lines, line = _first_line(stream, encoding)
    delimiter = _sniff_delimiter(line.splitlines()[0])
    records = csv.reader(chain([line], text), delimiter=delimiter)
    try:
        header = next(records)
    except csv.Error as exc:
        raise _syntax_error(exc) from None
    _refuse_control_characters("\n" * blank_lines + "".join(header))
    columns = _match_columns(header)
    _require_columns(columns, header)
    sheet = _Sheet(header, [], blank_lines + 2, delimiter, columns)
    return sheet, _checked_records(records, len(header), blank_lines + 2), records


def _checked_records(records: Iterator[list[str]], width: int, first_row: int) -> Iterator[list[str]]:
    number = first_row - 1
    try:
        for number, record in enumerate(records, start=first_row):
            if len(record) > width:
                _check_extra_cells(record, width, number)
            if _CONTROL_CHARACTER.search("".join(record)):  # one search per record, not per cell
                _refuse_control_characters("\n" * (number - 1) + "".join(record))
            yield record
    except csv.Error as exc:
        raise _record_error(exc, number + 1) from None


def _record_error(exc: csv.Error, row: int) -> MalformedContent:
    """The csv module's error on a record, with the row; a cell beyond its size limit said plainly."""
    if "field larger than field limit" not in str(exc):
        return _syntax_error(exc)
    limit = csv.field_size_limit()
    return MalformedContent(
        f"Row {row} holds a cell longer than {limit} characters: no invoice field is that long (a quote left "
        f"open, or a value pasted many times).",
        f"La ligne {row} contient une cellule de plus de {limit} caractères : aucun champ de facture n'est aussi "
        f"long (un guillemet resté ouvert, ou une valeur collée de nombreuses fois).",
    )


def _index_with(open_binary: Callable[[], BinaryIO], encoding: str, invoices_per_part: int) -> _RecordIndex:
    with open_binary() as stream:
        sheet, records, reader = _open_records(stream, encoding)
        header_lines = lines_before = reader.line_num
        invoices = _Invoices()  # (looked up only when the key changes from one record to the next)
        run_starts, run_invoices, part_ends, multi_line = array("q"), array("q"), [], {}
        key = invoice = None
        position = -1
        for position, record in enumerate(records):
            lines_read = reader.line_num
            if lines_read - lines_before != 1:
                multi_line[position] = lines_read - lines_before
            lines_before = lines_read
            if not _is_filled(record):
                record_invoice = -1
            else:
                record_key = _group_key(sheet, record, position)
                if record_key != key:
                    key, invoice = record_key, invoices.of(record_key)
                record_invoice = invoice
            if not run_invoices or run_invoices[-1] != record_invoice:
                run_starts.append(position)
                run_invoices.append(record_invoice)
            if record_invoice < 0:
                continue
            part = record_invoice // invoices_per_part
            if part == len(part_ends):
                part_ends.append(position)
            else:
                part_ends[part] = max(part_ends[part], position)
    if not part_ends:
        raise EmptyFile("The file has a header but no invoice rows.",
                        "Le fichier a une ligne d'en-tête mais aucune ligne de facture.")
    # a part is complete once the last record of every invoice before it has been read too
    for part in range(1, len(part_ends)):
        part_ends[part] = max(part_ends[part], part_ends[part - 1])
    return _RecordIndex(sheet, position + 1, run_starts, run_invoices, part_ends, header_lines, multi_line)


class _Invoices:
    """The invoices met by the first pass, numbered in order of first appearance. An invoice that may have more
    rows is kept by a 16-byte digest of its key, so that a later row of it is told from a new invoice (about
    100 bytes per invoice, where its key's strings took 300); one of a single row (the totals layout, a row
    without number) is only counted."""

    __slots__ = ("count", "_by_digest")

    def __init__(self):
        self.count = 0
        self._by_digest: dict[bytes, int] = {}

    def of(self, key: tuple[str, ...]) -> int:
        if key[0] == "row":
            self.count += 1
            return self.count - 1
        digest = hashlib.blake2b(repr(key).encode(), digest_size=16).digest()
        invoice = self._by_digest.get(digest)
        if invoice is None:
            invoice = self._by_digest[digest] = self.count
            self.count += 1
        return invoice


def _parts(open_binary: Callable[[], BinaryIO], encoding: str, index: _RecordIndex, invoices_per_part: int
           ) -> Iterator[CsvPart]:
    """The second pass: each record's text cut from the file by its count of lines (no CSV parsing: the first
    pass has parsed and checked every record), kept until its part is complete."""
    pending: dict[int, list[tuple[int, int, str]]] = {}  # part -> (record position, invoice, text) read so far
    next_part = 0
    with open_binary() as stream:
        text, _blank_lines, line = _first_line(stream, encoding)
        lines = chain([line], text)
        header = _text_of(lines, index.header_lines)
        for position, invoice, count in index.records():
            record = _text_of(lines, count)
            if invoice >= 0:
                pending.setdefault(invoice // invoices_per_part, []).append((position, invoice, record))
            while next_part < len(index.part_ends) and index.part_ends[next_part] <= position:
                yield _part(header, pending.pop(next_part), next_part * invoices_per_part + 1, index)
                next_part += 1


def _text_of(lines: Iterator[str], count: int) -> str:
    """The next `count` lines as one text ending with a line break (the file's last line may have none)."""
    text = "".join(islice(lines, count))
    return text if text.endswith(("\n", "\r")) else text + "\n"


def _part(header: str, records: list[tuple[int, int, str]], first_index: int, index: _RecordIndex) -> CsvPart:
    """A part: the header and its records' texts as in the file (in UTF-8), with their row numbers."""
    data = (header + "".join(text for _position, _invoice, text in records)).encode("utf-8")
    invoices = {invoice for _position, invoice, _text in records}
    return CsvPart(data, [index.sheet.row_number(position) for position, _invoice, _text in records], first_index,
                   len(invoices))


# --------------------------------------------------------------------------------------------------------------
# Whole file: decoding, delimiter, tokenising, header
# --------------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Sheet:
    """The file as a table: header cells as written, data rows, and where each canonical column sits."""

    header: list[str]
    rows: list[list[str]]
    first_row: int  # spreadsheet row number of rows[0] (the header is row first_row - 1)
    delimiter: str
    columns: dict[str, int]
    row_numbers: list[int] | None = None  # a part of a file: the original row number of each of its rows
    labels: dict[str, str] = dataclasses.field(default_factory=dict)  # column -> its stripped header (`label`)
    has_lines: bool = dataclasses.field(init=False)  # the line layout: a column of invoice lines is present

    def __post_init__(self):
        # asked of every record when rows are grouped into invoices: found once (the columns never change)
        self.has_lines = any(name in self.columns for name in LINE_COLUMNS)

    def label(self, column: str) -> str:
        """The header of `column` as written (stripped): part of the location of every value read."""
        label = self.labels.get(column)
        if label is None:
            label = self.labels[column] = self.header[self.columns[column]].strip()
        return label

    def row_number(self, index: int) -> int:
        return self.row_numbers[index] if self.row_numbers is not None else self.first_row + index


def _read_sheet(data: bytes) -> _Sheet:
    if not data.strip():
        raise EmptyFile("The file is empty.", "Le fichier est vide.")
    text = _decode(data)
    _refuse_control_characters(text)
    blank_lines, text = _skip_leading_blank_lines(text)
    if not text.strip():
        raise EmptyFile("The file holds no text.", "Le fichier ne contient aucun texte.")
    delimiter = _sniff_delimiter(text.splitlines()[0])
    records = _tokenise(text, delimiter, blank_lines)
    header = records[0]
    columns = _match_columns(header)
    _require_columns(columns, header)
    sheet = _Sheet(header, records[1:], blank_lines + 2, delimiter, columns)
    if not any(_is_filled(row) for row in sheet.rows):
        raise EmptyFile("The file has a header but no invoice rows.",
                        "Le fichier a une ligne d'en-tête mais aucune ligne de facture.")
    return sheet


def _decode(data: bytes) -> str:
    """UTF-16 when it starts with its BOM, else UTF-8 (BOM or not), else Windows-1252 unless UTF-8 text shows
    through (a file mixing both, which no single decoding reads right)."""
    encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "cp1252":
            _refuse_mixed_encodings(data)
        return text
    raise _decode_error()


def _decode_error() -> MalformedContent:
    return MalformedContent(
        "The file is not text in UTF-8, Windows-1252 (cp1252) or UTF-16.",
        "Le fichier n'est pas un texte en UTF-8, Windows-1252 (cp1252) ou UTF-16.",
    )


# UTF-8 for the accented letters of French (À-ÿ: C3 80-BF) and €: in Windows-1252 text they would read "Ã©", "â‚¬",
# which no French spreadsheet writes.
_UTF8_LETTER = re.compile(rb"\xc3[\x80-\xbf]|\xe2\x82\xac")


def _refuse_mixed_encodings(data: bytes) -> None:
    """A file that is not UTF-8 yet holds UTF-8 letters mixes two encodings: refused, with the first such line."""
    found = _UTF8_LETTER.search(data)
    if found is None:
        return
    line = data.count(b"\n", 0, found.start()) + 1
    raise MalformedContent(
        f"The file mixes encodings: it is not UTF-8 throughout, yet line {line} holds UTF-8 text (the rest reads as "
        f"Windows-1252). Save the whole file in one encoding, UTF-8 preferably.",
        f"Le fichier mélange des encodages : il n'est pas entièrement en UTF-8, mais la ligne {line} contient du "
        f"texte UTF-8 (le reste se lit en Windows-1252). Enregistrer tout le fichier dans un seul encodage, UTF-8 "
        f"de préférence.",
    )


# C0 controls but tab, CR and LF, DEL, and the two non-characters XML cannot carry: never in a spreadsheet's text,
# and no report, status message or certificate could hold them.
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _refuse_control_characters(text: str) -> None:
    """A text CSV holds no control character: one found is a damaged or binary file, refused with its place."""
    found = _CONTROL_CHARACTER.search(text)
    if found is None:
        return
    line = text.count("\n", 0, found.start()) + 1
    code = f"U+{ord(found.group()):04X}"
    raise MalformedContent(
        f"Line {line} holds the control character {code}, which a text CSV never contains: the file is damaged "
        f"or not a CSV export.",
        f"La ligne {line} contient le caractère de contrôle {code}, qu'un CSV texte ne contient jamais : le "
        f"fichier est abîmé ou n'est pas un export CSV.",
    )


def _skip_leading_blank_lines(text: str) -> tuple[int, str]:
    lines = text.splitlines(keepends=True)
    count = 0
    while count < len(lines) and not lines[count].strip():
        count += 1
    return count, "".join(lines[count:])


def _sniff_delimiter(header_line: str) -> str:
    """The most frequent of ; tab , outside quotes in the header line (ties in that order)."""
    counts = {";": 0, "\t": 0, ",": 0}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    delimiter = max(counts, key=counts.__getitem__)
    if counts[delimiter] == 0:
        raise MalformedContent(
            "The first line is not a delimited header: no ';', ',' or tab found.",
            "La première ligne n'est pas un en-tête délimité : aucun ';', ',' ni tabulation trouvé.",
        )
    return delimiter


def _tokenise(text: str, delimiter: str, blank_lines: int) -> list[list[str]]:
    """Every record as a list of strings, blank records kept so that row numbers match a spreadsheet's."""
    import pandas as pd  # here, not with the module: half a second that only a CSV file should cost

    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, header=None, dtype=str, keep_default_na=False, na_filter=False,
            skip_blank_lines=False, engine="c", quotechar='"',
        )
    except pd.errors.ParserError as exc:
        if "Expected" not in str(exc):
            raise _syntax_error(exc) from None
        return _tokenise_ragged(text, delimiter, blank_lines)
    except (ValueError, UnicodeError, OverflowError) as exc:
        raise _syntax_error(exc) from None
    return frame.fillna("").values.tolist()


def _tokenise_ragged(text: str, delimiter: str, blank_lines: int) -> list[list[str]]:
    """Slow path for rows longer than the header: empty extra cells are dropped, filled ones are an error."""
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _syntax_error(exc) from None
    width = len(records[0])
    for number, record in enumerate(records, start=blank_lines + 1):
        _check_extra_cells(record, width, number)
    return [record[:width] + [""] * (width - len(record)) for record in records]


def _check_extra_cells(record: list[str], width: int, number: int) -> None:
    """A record longer than the header may only have empty cells beyond it."""
    if any(cell.strip() for cell in record[width:]):
        raise MalformedContent(
            f"Row {number} has {len(record)} cells but the header has {width}: quote any value holding the "
            f"delimiter (a decimal comma in a comma-separated file, for instance).",
            f"La ligne {number} a {len(record)} cellules mais l'en-tête en a {width} : mettre entre "
            f"guillemets toute valeur contenant le séparateur (une virgule décimale dans un fichier séparé "
            f"par des virgules, par exemple).",
        )


def _syntax_error(exc: Exception) -> MalformedContent:
    detail = str(exc).strip()[:200]
    return MalformedContent(
        f"The file cannot be read as CSV: {detail}", f"Le fichier ne peut pas être lu comme un CSV : {detail}"
    )


def _match_columns(header: list[str]) -> dict[str, int]:
    """Canonical column -> position; the first header cell naming a column wins, unknown cells are ignored."""
    columns: dict[str, int] = {}
    for position, cell in enumerate(header):
        canonical = _ALIAS_INDEX.get(normalise_header(cell))
        if canonical is not None:
            columns.setdefault(canonical, position)
    return columns


def _require_columns(columns: dict[str, int], header: list[str]) -> None:
    missing = []
    if "invoice_number" not in columns:
        missing.append(("invoice_number",))
    if not any(name in columns for name in SUPPLIER_COLUMNS):
        missing.append(SUPPLIER_COLUMNS)
    if not any(name in columns for name in LINE_COLUMNS) and "total_net" not in columns:
        missing.append(("total_net", "quantity", "unit_price", "line_net_amount"))
    if missing:
        raise _missing_columns_error(missing, header)


def _missing_columns_error(missing: list[tuple[str, ...]], header: list[str]) -> MalformedContent:
    wanted_en = "; ".join(" or ".join(group) for group in missing)
    wanted_fr = "; ".join(" ou ".join(group) for group in missing)
    accepted = "; ".join(
        f"{name}: {', '.join(COLUMNS[name].aliases)}" for group in missing for name in group
    )
    found = ", ".join(cell.strip() for cell in header)[:300]
    return MalformedContent(
        f"Required CSV column missing: {wanted_en}. Accepted header names — {accepted}. Columns found: {found}.",
        f"Colonne CSV obligatoire absente : {wanted_fr}. Noms d'en-tête acceptés — {accepted}. "
        f"Colonnes trouvées : {found}.",
    )


def _is_filled(row: list[str]) -> bool:
    return bool("".join(row).strip())  # some cell is not blank


# --------------------------------------------------------------------------------------------------------------
# Grouping rows into invoices
# --------------------------------------------------------------------------------------------------------------


def _invoice_groups(sheet: _Sheet) -> list[list[int]]:
    """Row indices of each invoice, in order of first appearance.

    Line layout: rows sharing (supplier, invoice number) form one invoice. Invoice layout: one row, one invoice.
    A row without an invoice number is always an invoice of its own.
    """
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, row in enumerate(sheet.rows):
        if _is_filled(row):
            groups.setdefault(_group_key(sheet, row, index), []).append(index)
    return list(groups.values())


def _group_key(sheet: _Sheet, row: list[str], index: int) -> tuple[str, ...]:
    number = _cell(sheet, row, "invoice_number")
    if not number or not sheet.has_lines:
        return ("row", str(index))
    supplier = _compact(_cell(sheet, row, "supplier_siret") or _cell(sheet, row, "supplier_vat"))
    return ("invoice", supplier, number)


def _cell(sheet: _Sheet, row: list[str], column: str) -> str:
    position = sheet.columns.get(column)
    if position is None or position >= len(row):
        return ""
    return row[position].strip()


_SPACES = re.compile(r"\s")


def _compact(text: str) -> str:
    return text if text.isalnum() else _SPACES.sub("", text)  # (letters and digits only: no space to remove)


# --------------------------------------------------------------------------------------------------------------
# Cell values: converters and the findings they lead to
# --------------------------------------------------------------------------------------------------------------


class _BadValue(ValueError):
    """A value that cannot be read, with the reason in both languages."""

    def __init__(self, reason_en: str, reason_fr: str):
        super().__init__(reason_en)
        self.reason_en = reason_en
        self.reason_fr = reason_fr


class _Kind(NamedTuple):
    """What a cell should hold: how to read it and how to explain a failure."""

    what_en: str
    what_fr: str
    hint: str
    parse: Callable[[str], Any]


_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
_SPACE_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?: [0-9]{3})+(?:[.,][0-9]+)?")
_DOT_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]+")
_COMMA_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]+")
_SCIENTIFIC = re.compile(r"[0-9]+(?:[.,][0-9]+)?[eE][+-]?[0-9]+")
MAX_DECIMALS = 6
MAX_INTEGER_DIGITS = 15


def _parse_decimal(text: str) -> Decimal:
    """1234.56, 1234,56, 1 234,56 (space or no-break space), 1.234,56 or 1,234.56; never a float."""
    compact = text if _PLAIN_NUMBER.fullmatch(text) else _ungroup(text)
    integer, _, decimals = compact.lstrip("+-").replace(",", ".").partition(".")
    if len(decimals) > MAX_DECIMALS:
        raise _BadValue(f"more than {MAX_DECIMALS} decimals", f"plus de {MAX_DECIMALS} décimales")
    if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise _BadValue(f"more than {MAX_INTEGER_DIGITS} digits", f"plus de {MAX_INTEGER_DIGITS} chiffres")
    return Decimal(compact.replace(",", "."))


def _ungroup(text: str) -> str:
    """A number without its thousands separators, or ValueError when it is no number at all."""
    compact = text.replace("\u00a0", " ").replace("\u202f", " ")
    for grouped, separator in ((_SPACE_GROUPED, " "), (_DOT_GROUPED, "."), (_COMMA_GROUPED, ",")):
        if grouped.fullmatch(compact):
            return compact.replace(separator, "")
    raise ValueError(text)


def _parse_rate(text: str) -> Decimal:
    """A percentage: 20, 5.5, 5,5 or 20 %."""
    return _parse_decimal(text.removesuffix("%").rstrip())


_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_FRENCH_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")


def _parse_date(text: str) -> date:
    """YYYY-MM-DD, DD/MM/YYYY or YYYYMMDD."""
    if match := _ISO_DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _FRENCH_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        raise ValueError(text)
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise _BadValue("no such day in the calendar", "ce jour n'existe pas dans le calendrier") from None


_TYPE_WORDS = {
    "facture": "380", "invoice": "380", "commercialinvoice": "380",
    "avoir": "381", "creditnote": "381", "factureavoir": "381", "facturedavoir": "381",
    "facturerectificative": "384", "correctiveinvoice": "384", "correctedinvoice": "384",
}


_THREE_DIGITS = re.compile(r"[0-9]{3}")


def _parse_type_code(text: str) -> str:
    """A 3-digit UNTDID 1001 code, or a word: facture / invoice (380), avoir / credit note (381)..."""
    if _THREE_DIGITS.fullmatch(text):
        return text
    code = _TYPE_WORDS.get(normalise_header(text))
    if code is None:
        raise ValueError(text)
    return code


def _parse_identifier(text: str) -> str:
    """An identifier without its spaces; a number a spreadsheet turned into 3.2E+13 is refused."""
    compact = _compact(text)
    if _SCIENTIFIC.fullmatch(compact):
        raise _BadValue("a spreadsheet wrote it in scientific notation, its digits are lost",
                        "un tableur l'a écrit en notation scientifique, ses chiffres sont perdus")
    return compact


def _parse_code(text: str) -> str:
    return _compact(text).upper()


def _parse_text(text: str) -> str:
    return text


_BILINGUAL = " / "
AMOUNT = _Kind("an amount", "un montant", _BILINGUAL.join((
    "Write amounts as 1234.56 or 1234,56 (spaces allowed between thousands; no currency sign, no exponent, "
    f"at most {MAX_DECIMALS} decimals)",
    "Écrire les montants 1234,56 ou 1234.56 (espaces admis entre les milliers ; sans symbole monétaire ni "
    f"exposant, {MAX_DECIMALS} décimales au plus)",
)), _parse_decimal)
QUANTITY = AMOUNT._replace(what_en="a quantity", what_fr="une quantité", hint=_BILINGUAL.join((
    "Write quantities as 12, 12.5 or 12,5", "Écrire les quantités 12, 12,5 ou 12.5",
)))
RATE = _Kind("a VAT rate", "un taux de TVA", _BILINGUAL.join((
    "Write the VAT rate as a percentage: 20, 5.5 or 5,5", "Écrire le taux de TVA en pourcentage : 20, 5,5 ou 5.5",
)), _parse_rate)
DATE = _Kind("a date", "une date", _BILINGUAL.join((
    "Write dates as YYYY-MM-DD, DD/MM/YYYY or YYYYMMDD", "Écrire les dates AAAA-MM-JJ, JJ/MM/AAAA ou AAAAMMJJ",
)), _parse_date)
TYPE_CODE = _Kind("an invoice type code", "un code de type de facture", _BILINGUAL.join((
    "Write 380 or 'invoice' for an invoice, 381 or 'credit note' for a credit note",
    "Écrire 380 ou « facture » pour une facture, 381 ou « avoir » pour un avoir",
)), _parse_type_code)
IDENTIFIER = _Kind("an identifier", "un identifiant", _BILINGUAL.join((
    "Format the spreadsheet column as Text so that a SIRET keeps its 14 digits",
    "Mettre la colonne du tableur au format Texte pour qu'un SIRET garde ses 14 chiffres",
)), _parse_identifier)
CODE = _Kind("a code", "un code", "", _parse_code)
TEXT = _Kind("text", "du texte", "", _parse_text)

MAX_SHOWN_VALUE = 200


def _value_finding(kind: _Kind, error: ValueError, *, field: str, bt: str, location: str, text: str) -> Finding:
    shown = text[:60] + ("…" if len(text) > 60 else "")
    reason_en = f" ({error.reason_en})" if isinstance(error, _BadValue) else ""
    reason_fr = f" ({error.reason_fr})" if isinstance(error, _BadValue) else ""
    return Finding(
        rule="CSV-VALUE",
        severity=Severity.FATAL,
        message_en=f"{location[:1].upper()}{location[1:]}: the value '{shown}' could not be read as "
                   f"{kind.what_en}{reason_en}.",
        message_fr=f"{_french_location(location)} : la valeur « {shown} » n'a pas pu être lue comme "
                   f"{kind.what_fr}{reason_fr}.",
        hint=kind.hint,
        bt=bt,
        field=field,
        location=location,
        value=text[:MAX_SHOWN_VALUE],
        source="native",
    )


def _french_location(location: str) -> str:
    return location.replace("row ", "Ligne ", 1).replace(", column ", ", colonne ", 1)


# --------------------------------------------------------------------------------------------------------------
# One row read through the column table
# --------------------------------------------------------------------------------------------------------------


class _RowReader:
    """One data row: typed values, recording each one's location, and a finding for each unreadable one."""

    def __init__(self, sheet: _Sheet, index: int, locations: dict[str, str], findings: list[Finding]):
        self.sheet = sheet
        self.cells = sheet.rows[index]
        self.row = sheet.row_number(index)
        self.locations = locations
        self.findings = findings

    def cell(self, column: str) -> str:
        return _cell(self.sheet, self.cells, column)

    def has(self, column: str) -> bool:
        return bool(self.cell(column))

    def where(self, column: str) -> str:
        return f"row {self.row}, column {self.sheet.label(column)}"

    def read(self, column: str, path: str, kind: _Kind = TEXT, default: Any = None) -> Any:
        """The cell's value, `default` when empty or absent, None (with a finding) when unreadable."""
        text = self.cell(column)
        if not text:
            if default is not None:
                self.locations[path] = self._default_where(column, default)
            return default
        try:
            value = kind.parse(text)
        except ValueError as error:
            self.findings.append(_value_finding(
                kind, error, field=path, bt=COLUMNS[column].bt, location=self.where(column), text=text,
            ))
            return None
        self.locations[path] = self.where(column)
        return value

    def _default_where(self, column: str, default: Any) -> str:
        if column in self.sheet.columns:
            return f"{self.where(column)} (empty: default {default})"
        return f"row {self.row} (no {column} column: default {default})"


# --------------------------------------------------------------------------------------------------------------
# Building one invoice
# --------------------------------------------------------------------------------------------------------------


def _document(sheet: _Sheet, rows: list[int], origin: Origin) -> ParsedDocument:
    findings: list[Finding] = []
    invoice = Invoice(format=DocumentFormat.CSV, origin=origin, profile=EN16931_PROFILE)
    first = _RowReader(sheet, rows[0], invoice.locations, findings)
    _fill_document_fields(invoice, first)
    _fill_parties(invoice, first)
    _fill_payment(invoice, first)
    given = _read_given_totals(invoice, first)
    if sheet.has_lines:
        invoice.lines = [_read_line(_RowReader(sheet, row, invoice.locations, findings), i)
                         for i, row in enumerate(rows)]
    else:
        invoice.lines = [_single_line(invoice, first)]
    invoice.vat_breakdown = _vat_breakdown(invoice.lines, sheet, rows)
    _complete_totals(invoice, given, _computed_where(sheet, rows))
    if not invoice.number:
        findings.insert(0, _missing_number_finding(first))
    content = _serialise(sheet, rows)
    return ParsedDocument(
        origin=origin, format=DocumentFormat.CSV, invoice=invoice, content=content, raw=content, findings=findings,
    )


def _fill_document_fields(invoice: Invoice, row: _RowReader) -> None:
    invoice.number = row.read("invoice_number", "number")
    invoice.issue_date = row.read("issue_date", "issue_date", DATE)
    invoice.type_code = row.read("type_code", "type_code", TYPE_CODE, default="380")
    invoice.currency = row.read("currency", "currency", CODE, default="EUR")
    invoice.buyer_reference = row.read("service_code", "buyer_reference")
    invoice.purchase_order = row.read("engagement_number", "purchase_order")
    invoice.business_process = row.read("billing_frame", "business_process", CODE)
    invoice.preceding_invoice = row.read("preceding_invoice", "preceding_invoice")


def _fill_parties(invoice: Invoice, row: _RowReader) -> None:
    seller, buyer = invoice.seller, invoice.buyer
    seller.name = row.read("supplier_name", "seller.name")
    seller_siret = row.read("supplier_siret", "seller.identifiers[0]", IDENTIFIER)
    if seller_siret:
        seller.identifiers.append(Identifier(seller_siret, "0009"))
        seller.legal_id = _siren_of(seller_siret)
        _locate_siren(invoice, "seller", row.where("supplier_siret"))
    seller.vat_id = row.read("supplier_vat", "seller.vat_id", CODE)
    seller.address.country = row.read("supplier_country", "seller.address.country", CODE, default="FR")
    buyer.name = row.read("buyer_name", "buyer.name")
    buyer_siret = row.read("buyer_siret", "buyer.identifiers[0]", IDENTIFIER)
    if buyer_siret:
        buyer.identifiers.append(Identifier(buyer_siret, "0009"))
        buyer.legal_id = _siren_of(buyer_siret)
        _locate_siren(invoice, "buyer", row.where("buyer_siret"))
    buyer.address.country = row.read("buyer_country", "buyer.address.country", CODE, default="FR")
    manager_siret = row.read("project_manager_siret", "project_manager.identifiers[0]", IDENTIFIER)
    manager_name = row.read("project_manager_name", "project_manager.name")
    if manager_siret or manager_name:
        invoice.project_manager = Party(name=manager_name,
                                        identifiers=[Identifier(manager_siret, "0009")] if manager_siret else [])


_SIRET_DIGITS = re.compile(r"[0-9]{14}")


def _siren_of(siret: str) -> Identifier | None:
    """The SIREN (first 9 digits, scheme 0002) of a 14-digit SIRET."""
    return Identifier(siret[:9], "0002") if _SIRET_DIGITS.fullmatch(siret) else None


def _locate_siren(invoice: Invoice, party: str, siret_where: str) -> None:
    if getattr(invoice, party).legal_id is not None:
        invoice.locations[f"{party}.legal_id"] = f"{siret_where} (first 9 digits)"


def _fill_payment(invoice: Invoice, row: _RowReader) -> None:
    payment = invoice.payment
    payment.note = row.read("payment_terms", "payment.note")
    payment.due_date = row.read("due_date", "payment.due_date", DATE)
    iban = row.read("iban", "payment.means[0].transfers[0].account", CODE)
    if iban:
        payment.means.append(PaymentMeans(code=CREDIT_TRANSFER, transfers=[CreditTransfer(account=iban)]))
        invoice.locations["payment.means[0].code"] = f"{row.where('iban')} (IBAN given: credit transfer)"


def _read_line(row: _RowReader, i: int) -> Line:
    path = f"lines[{i}]"
    row.locations[path] = f"row {row.row}"
    line = Line(
        id=row.read("line_id", f"{path}.id", default=str(i + 1)),
        name=row.read("item_name", f"{path}.name"),
        quantity=row.read("quantity", f"{path}.quantity", QUANTITY),
        unit_code=row.read("unit_code", f"{path}.unit_code", CODE, default="C62"),
        net_price=row.read("unit_price", f"{path}.net_price", AMOUNT),
        vat_category=row.read("vat_category", f"{path}.vat_category", CODE, default="S"),
        vat_rate=row.read("vat_rate", f"{path}.vat_rate", RATE),
    )
    if row.has("line_net_amount"):
        line.net_amount = row.read("line_net_amount", f"{path}.net_amount", AMOUNT)
    else:
        line.net_amount = _computed_line_net(line, row, path)
    return line


def _computed_line_net(line: Line, row: _RowReader, path: str) -> Decimal | None:
    """quantity × unit price, rounded half-up to the cent, when the row gives no line net amount."""
    if line.quantity is None or line.net_price is None:
        return None
    row.locations[f"{path}.net_amount"] = (
        f"row {row.row}, columns {row.sheet.label('quantity')} × {row.sheet.label('unit_price')} (computed)"
    )
    return _cents(line.quantity, line.net_price)


def _single_line(invoice: Invoice, row: _RowReader) -> Line:
    """Invoice layout: one line holding the invoice's net total, so that the model stays complete."""
    net = invoice.totals.tax_exclusive
    line = Line(
        id="1",
        name=f"Montant HT de la facture {invoice.number or ''}".strip(),
        quantity=Decimal("1"),
        unit_code="C62",
        net_price=net,
        net_amount=net,
        vat_category=row.read("vat_category", "lines[0].vat_category", CODE, default="S"),
        vat_rate=row.read("vat_rate", "lines[0].vat_rate", RATE),
    )
    built = f"row {row.row} (single line built from the invoice total)"
    for attribute in ("", ".id", ".name", ".quantity", ".unit_code"):
        row.locations[f"lines[0]{attribute}"] = built
    if net is not None:
        for attribute in (".net_price", ".net_amount"):
            row.locations[f"lines[0]{attribute}"] = f"{row.where('total_net')} (single line built from the total)"
    return line


def _vat_breakdown(lines: list[Line], sheet: _Sheet, rows: list[int]) -> list[VatBreakdown]:
    """One group per (category, rate) in order of appearance: taxable = Σ line net, tax = taxable × rate, half-up."""
    groups: dict[tuple[str | None, Decimal | None], list[tuple[Line, int]]] = {}
    for line, row in zip(lines, rows):
        groups.setdefault((line.vat_category, line.vat_rate), []).append((line, row))
    return [_breakdown_group(category, rate, members, sheet) for (category, rate), members in groups.items()]


def _breakdown_group(category: str | None, rate: Decimal | None, members: list[tuple[Line, int]],
                     sheet: _Sheet) -> VatBreakdown:
    taxable = _sum(line.net_amount for line, _ in members)
    group = VatBreakdown(category=category, rate=rate, taxable_amount=taxable)
    if taxable is not None and rate is not None:
        group.tax_amount = _cents(taxable, rate, 100)
    elif taxable is not None and category in UNTAXED_CATEGORIES:
        group.tax_amount = Decimal("0.00")
    rows = [row for _, row in members]
    group.exemption_reason = _first_cell(sheet, rows, "vat_exemption_reason")
    group.exemption_code = _first_cell(sheet, rows, "vat_exemption_code")
    return group


def _first_cell(sheet: _Sheet, rows: list[int], column: str) -> str | None:
    """The first non-empty cell of `column` among `rows`."""
    return next((text for row in rows if (text := _cell(sheet, sheet.rows[row], column))), None)


def _read_given_totals(invoice: Invoice, row: _RowReader) -> set[str]:
    """Read the totals the file gives, unchanged; return the paths given (readable or not)."""
    given = set()
    for column, path in TOTAL_COLUMNS:
        if row.has(column):
            given.add(path)
            setattr(invoice.totals, path.removeprefix("totals."), row.read(column, path, AMOUNT))
    return given


def _complete_totals(invoice: Invoice, given: set[str], computed_where: str) -> None:
    """Compute the totals the file does not give; never touch those it gives, right or wrong."""
    totals = invoice.totals
    totals.line_net = _sum(line.net_amount for line in invoice.lines)
    _locate_computed(invoice, "totals.line_net", totals.line_net, computed_where)
    if "totals.tax_exclusive" not in given:
        totals.tax_exclusive = totals.line_net
        _locate_computed(invoice, "totals.tax_exclusive", totals.tax_exclusive, computed_where)
    if "totals.tax" not in given:
        totals.tax = _sum(group.tax_amount for group in invoice.vat_breakdown)
        _locate_computed(invoice, "totals.tax", totals.tax, computed_where)
    if "totals.tax_inclusive" not in given:
        totals.tax_inclusive = _sum((totals.tax_exclusive, totals.tax))
        _locate_computed(invoice, "totals.tax_inclusive", totals.tax_inclusive, computed_where)
    if "totals.payable" not in given:
        totals.payable = _payable(totals.tax_inclusive, totals.prepaid, "totals.prepaid" in given)
        _locate_computed(invoice, "totals.payable", totals.payable, computed_where)
    if invoice.vat_breakdown:
        invoice.locations["vat_breakdown"] = computed_where


def _payable(tax_inclusive: Decimal | None, prepaid: Decimal | None, prepaid_given: bool) -> Decimal | None:
    """Total with VAT less the prepaid amount; unknown when either is unknown."""
    if tax_inclusive is None or (prepaid_given and prepaid is None):
        return None
    with localcontext(_WIDE):
        return tax_inclusive - (prepaid or 0)


def _locate_computed(invoice: Invoice, path: str, value: object, where: str) -> None:
    if value is not None:
        invoice.locations[path] = where


def _computed_where(sheet: _Sheet, rows: list[int]) -> str:
    return f"{_rows_label([sheet.row_number(row) for row in rows])} (computed from the lines)"


def _rows_label(numbers: list[int]) -> str:
    """`row 2`, `rows 2-4`, `rows 2-3, 7`."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
    return f"row {text}" if len(numbers) == 1 else f"rows {text}"


_CENT = Decimal("0.01")
_WIDE = Context(prec=80, rounding=ROUND_HALF_UP)


def _cents(first: Decimal, second: Decimal = Decimal(1), divisor: int = 1) -> Decimal:
    """first × second / divisor, rounded half-up to the cent, computed exactly (wide precision)."""
    with localcontext(_WIDE):
        return (first * second / divisor).quantize(_CENT)


def _sum(values: Iterator[Decimal | None] | tuple[Decimal | None, ...]) -> Decimal | None:
    """The sum, or None when any term is missing (a total of unknown terms is unknown)."""
    total = Decimal(0)
    with localcontext(_WIDE):
        for value in values:
            if value is None:
                return None
            total += value
    return total


def _missing_number_finding(row: _RowReader) -> Finding:
    return Finding(
        rule="CSV-NUMBER",
        severity=Severity.FATAL,
        message_en=f"Row {row.row} has no invoice number: it is read as an invoice of its own and rejected.",
        message_fr=f"La ligne {row.row} n'a pas de numéro de facture : elle est lue comme une facture à part "
                   f"et rejetée.",
        hint=_BILINGUAL.join((
            "Fill the invoice number on every row of the invoice",
            "Renseigner le numéro de facture sur chaque ligne de la facture",
        )),
        bt="BT-1",
        field="number",
        location=row.where("invoice_number"),
        value="",
    )


def _serialise(sheet: _Sheet, rows: list[int]) -> bytes:
    """The header and the invoice's rows as UTF-8 CSV text: the invoice's own bytes, for its own sha256."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sheet.delimiter, lineterminator="\n")
    writer.writerow(sheet.header)
    writer.writerows(sheet.rows[row] for row in rows)
    return buffer.getvalue().encode("utf-8")

