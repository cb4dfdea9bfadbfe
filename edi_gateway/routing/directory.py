"""Reading an export of the directory of public structures (annuaire des structures publiques). No database here.

The directory comes as two CSV files, told apart by their header:

- the **structures** file: TypeIdentifiant; Identifiant; RaisonSociale; EmetteurEdi; RecepteurEdi;
  GestionStatutMiseEnPaiement; GestionEngagement; GestionService; GestionServiceEngagement; EstMOA;
  EstMOAUniquement; StructureActive; Adresse; ComplementAdresse1; ComplementAdresse2; CodePostal; Ville;
  NumTelephone; Courriel; CodePays; LibellePays;
- the **services** file: idService; Identifiant (of the structure); RaisonSociale; Code; Nom; GestionEGMT;
  ServiceActif; then address columns (ignored).

Caveats, kept honest:

- These header names are those used by third-party importers of the export (a Spring-Batch importer of
  `ChorusStructures.csv` and a C# `ChorusServicesTable`; see the domain fact sheet chorus-pro-facts.md, §4.1 and
  §7). They have not been checked against the official data.gouv.fr file. Headers are therefore matched loosely
  (case, accents, spaces, apostrophes and underscores ignored) and a few spelled-out forms are accepted ("Type
  d'identifiant", "Raison sociale", "Structure active", "Code service", "Service actif"…). An empty TypeIdentifiant
  reads as SIRET. Only the columns the ledger keeps are read: phone, e-mail and country name are not.
- `EstMOA` is read as "the structure's works-invoice space is open" (it receives works invoices, as contracting
  authority, maître d'ouvrage). That is our interpretation of the flag, not a documented definition.

Files are `;`-separated by default (`,` and tab are sniffed from the header line), UTF-8 with or without BOM,
else Windows-1252. They are read with pandas, all cells as text, in chunks, so a 100k-row export never sits in
memory as one table. Flags read true/false, oui/non, vrai/faux, 1/0, o/n, y/n, yes/no in any case; an empty flag is
false. A row whose flag cannot be read, or that has no identifier, is not returned: a `RowProblem` saying row,
column, value and reason is returned in its place, and reading goes on.
"""

from __future__ import annotations

import codecs
import csv
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import GatewayError, MalformedContent
from ..parsers.csv import _sniff_delimiter, normalise_header

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ExportFile", "NotADirectoryExport", "RowProblem", "ServiceRecord", "StructureRecord", "open_export",
    "read_records", "read_flag",
]

Kind = Literal["structures", "services"]
STRUCTURES: Kind = "structures"
SERVICES: Kind = "services"
DEFAULT_IDENTIFIER_TYPE = "SIRET"  # when TypeIdentifiant is empty: French public structures are listed by SIRET
CHUNK_ROWS = 20_000
_SAMPLE_BYTES = 64 * 1024  # enough for the header line
_BLOCK_BYTES = 1024 * 1024

# canonical column -> header names accepted for it (compared after `normalise_header`)
STRUCTURE_COLUMNS: dict[str, tuple[str, ...]] = {
    "identifier_type": ("TypeIdentifiant", "Type d'identifiant", "Type identifiant", "Type d'identifiant structure"),
    "identifier": ("Identifiant", "Identifiant structure", "Identifiant de la structure"),
    "name": ("RaisonSociale", "Raison sociale", "Raison sociale structure"),
    "edi_sender": ("EmetteurEdi", "Émetteur EDI"),
    "edi_receiver": ("RecepteurEdi", "Récepteur EDI"),
    "payment_status_managed": ("GestionStatutMiseEnPaiement", "Gestion statut mise en paiement",
                               "Gestion du statut de mise en paiement"),
    "engagement_required": ("GestionEngagement", "Gestion engagement", "Gestion de l'engagement",
                            "Engagement obligatoire"),
    "service_required": ("GestionService", "Gestion service", "Gestion du service", "Service obligatoire"),
    "service_or_engagement": ("GestionServiceEngagement", "Gestion service engagement",
                              "Gestion service ou engagement", "Service ou engagement"),
    "works_space_open": ("EstMOA", "Est MOA"),
    "works_only": ("EstMOAUniquement", "Est MOA uniquement", "MOA uniquement"),
    "active": ("StructureActive", "Structure active"),
    "address": ("Adresse",),
    "address_complement_1": ("ComplementAdresse1", "Complément adresse 1", "Complément d'adresse 1"),
    "address_complement_2": ("ComplementAdresse2", "Complément adresse 2", "Complément d'adresse 2"),
    "postcode": ("CodePostal", "Code postal"),
    "city": ("Ville",),
    "country_code": ("CodePays", "Code pays"),
}
STRUCTURE_REQUIRED = ("identifier", "name", "engagement_required", "service_required", "service_or_engagement",
                      "works_space_open", "works_only", "active")

SERVICE_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("idService", "Id service"),
    "structure_identifier": ("Identifiant", "Identifiant structure", "Identifiant de la structure"),
    "code": ("Code", "Code service"),
    "name": ("Nom", "Nom service", "Nom du service", "Libellé service"),
    "engagement_required": ("GestionEGMT", "Gestion EGMT", "Gestion engagement"),
    "active": ("ServiceActif", "Service actif"),
}
SERVICE_REQUIRED = ("structure_identifier", "code", "name", "engagement_required", "active")

_LAYOUTS: dict[Kind, tuple[dict[str, tuple[str, ...]], tuple[str, ...]]] = {
    STRUCTURES: (STRUCTURE_COLUMNS, STRUCTURE_REQUIRED),
    SERVICES: (SERVICE_COLUMNS, SERVICE_REQUIRED),
}
_STRUCTURE_FLAGS = ("edi_sender", "edi_receiver", "payment_status_managed", "engagement_required", "service_required",
                    "service_or_engagement", "works_space_open", "works_only", "active")
_SERVICE_FLAGS = ("engagement_required", "active")

_FLAG_WORDS = {**dict.fromkeys(("true", "oui", "vrai", "1", "o", "y", "yes"), True),
               **dict.fromkeys(("false", "non", "faux", "0", "n", "no", ""), False)}
FLAG_VALUES = "true/false, oui/non, vrai/faux, 1/0, o/n, y/n, yes/no or empty"
_SKIPPED_LINE = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


class NotADirectoryExport(GatewayError):
    """The file is not a structures or services export of the directory; the message says why."""


@dataclass(frozen=True, slots=True)
class ExportFile:
    """An export file whose header has been read: its kind, how to read it, and where each column sits."""

    path: Path
    kind: Kind
    encoding: str
    delimiter: str
    header: tuple[str, ...]  # as written
    positions: dict[str, int]  # canonical column -> position in the header
    first_row: int = 2  # spreadsheet row number of the first data row (blank lines before the header count)

    def label(self, column: str) -> str:
        """The header cell of a canonical column, as written in the file."""
        return self.header[self.positions[column]].strip()


@dataclass(frozen=True, slots=True)
class StructureRecord:
    """One row of a structures export. Field names are those of the ledger's `structures` table."""

    row: int  # spreadsheet row number (the header is row 1)
    identifier_type: str
    identifier: str
    name: str
    active: bool
    service_required: bool
    engagement_required: bool
    service_or_engagement: bool
    payment_status_managed: bool
    edi_sender: bool
    edi_receiver: bool
    works_space_open: bool
    works_only: bool
    address: str | None
    postcode: str | None
    city: str | None
    country_code: str | None


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """One row of a services export; `structure_identifier` is the Identifiant of the structure it belongs to."""

    row: int
    structure_identifier: str
    code: str
    name: str
    active: bool
    engagement_required: bool
    external_id: str | None


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that was skipped: where, which column and value, and why."""

    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        value = f" {self.value!r}:" if self.value else ""
        return f"{where}:{value} {self.reason}"


Record = StructureRecord | ServiceRecord | RowProblem
STRUCTURE_FIELDS = tuple(field.name for field in fields(StructureRecord) if field.name != "row")
SERVICE_FIELDS = ("code", "name", "active", "engagement_required", "external_id")


# --------------------------------------------------------------------------------------------------------------
# The header: encoding, delimiter, kind
# --------------------------------------------------------------------------------------------------------------


def open_export(path: Path) -> ExportFile:
    """Read the header of an export and say what it is. Raises NotADirectoryExport, or OSError (file not found)."""
    path = Path(path)
    encoding = detect_encoding(path)
    header_row, header_line = _header_line(path, encoding)
    if not header_line:
        raise NotADirectoryExport(f"{path.name}: the file is empty, not a directory export")
    try:
        delimiter = _sniff_delimiter(header_line)
    except MalformedContent as exc:
        raise NotADirectoryExport(f"{path.name}: not a directory export: {exc.message_en}") from None
    header = _header_cells(header_line, delimiter)
    kind, positions = _match_layout(path.name, header)
    return ExportFile(path, kind, encoding, delimiter, header, positions, header_row + 1)


def detect_encoding(path: Path) -> str:
    """"utf-8-sig" when the whole file decodes as UTF-8 (with or without BOM), else "cp1252". Read in blocks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as stream:
        try:
            while block := stream.read(_BLOCK_BYTES):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _header_line(path: Path, encoding: str) -> tuple[int, str]:
    """The first non-blank line and its 1-based line number; (0, "") when there is none."""
    with path.open("rb") as stream:
        sample = stream.read(_SAMPLE_BYTES)
    text = sample.decode(encoding, errors="replace").removeprefix("\ufeff").removeprefix("ï»¿")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            return number, line
    return 0, ""


def _header_cells(header_line: str, delimiter: str) -> tuple[str, ...]:
    return tuple(cell.strip() for cell in next(csv.reader([header_line], delimiter=delimiter)))


def _match_layout(file_name: str, header: tuple[str, ...]) -> tuple[Kind, dict[str, int]]:
    """The kind whose required columns the header has, and where its columns sit; else NotADirectoryExport."""
    candidates = {kind: _positions(header, columns) for kind, (columns, _) in _LAYOUTS.items()}
    missing = {kind: [name for name in _LAYOUTS[kind][1] if name not in candidates[kind]] for kind in _LAYOUTS}
    complete = [kind for kind in (STRUCTURES, SERVICES) if not missing[kind]]
    if complete:
        kind = max(complete, key=lambda k: len(candidates[k]))
        return kind, candidates[kind]
    raise NotADirectoryExport(_missing_columns_message(file_name, header, missing))


def _positions(header: tuple[str, ...], columns: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Canonical column -> position of the first header cell naming it."""
    index = {normalise_header(alias): canonical for canonical, aliases in columns.items() for alias in aliases}
    positions: dict[str, int] = {}
    for position, cell in enumerate(header):
        canonical = index.get(normalise_header(cell))
        if canonical is not None:
            positions.setdefault(canonical, position)
    return positions


def _missing_columns_message(file_name: str, header: tuple[str, ...], missing: dict[Kind, list[str]]) -> str:
    def names(kind: Kind) -> str:
        columns = _LAYOUTS[kind][0]
        return ", ".join(columns[name][0] for name in missing[kind])

    found = ", ".join(header)[:300]
    return (f"{file_name}: not a directory export. A structures export lacks {names(STRUCTURES)}; "
            f"a services export lacks {names(SERVICES)}. Columns found: {found}")


# --------------------------------------------------------------------------------------------------------------
# The rows
# --------------------------------------------------------------------------------------------------------------


def read_records(export: ExportFile, chunk_rows: int = CHUNK_ROWS) -> Iterator[Record]:
    """Every data row of the export, in file order, as a record or as the problem that made it skipped.

    Blank rows are passed over silently. Rows with more cells than the header are skipped and reported. Row numbers
    are spreadsheet row numbers (the header is row 1; a quoted cell holding a line break does not add a row), except
    for an over-long row, reported by its line in the file as pandas counts it.
    """
    build = _structure_record if export.kind == STRUCTURES else _service_record
    rows = _RowNumbers(export)
    for chunk in _chunks(export, chunk_rows, rows.skipped_lines):
        columns = {name: chunk[position].tolist() for name, position in export.positions.items()}
        for offset, index in enumerate(chunk.index):
            row, problems = rows.number_of(int(index))
            yield from problems
            cells = {name: values[offset].strip() for name, values in columns.items()}
            if any(cells.values()):
                yield build(row, cells, export)
    yield from rows.remaining_problems()


class _RowNumbers:
    """Spreadsheet row numbers of the rows pandas returns, counting the over-long lines it skipped (and warned of)."""

    def __init__(self, export: ExportFile):
        self.export = export
        self.skipped_lines: list[int] = []  # file line numbers (1-based, as pandas reports them), ascending
        self.passed = 0  # how many of them come before the current row

    def number_of(self, index: int) -> tuple[int, list[RowProblem]]:
        """The row number of the data row pandas numbered `index`, and the problems of skipped lines before it."""
        problems = []
        row = self.export.first_row + index + self.passed
        while self.passed < len(self.skipped_lines) and self.skipped_lines[self.passed] <= row:
            problems.append(self._problem(self.skipped_lines[self.passed]))
            self.passed += 1
            row += 1
        return row, problems

    def remaining_problems(self) -> list[RowProblem]:
        problems = [self._problem(line) for line in self.skipped_lines[self.passed:]]
        self.passed = len(self.skipped_lines)
        return problems

    def _problem(self, line: int) -> RowProblem:
        return RowProblem(line, "", "", f"more cells than the {len(self.export.header)} of the header (a value "
                                        f"holding the delimiter {self.export.delimiter!r} without quotes?)")


def _chunks(export: ExportFile, chunk_rows: int, skipped_lines: list[int]) -> Iterator[pd.DataFrame]:
    """The data rows in frames of `chunk_rows`, indexed by data-row position; over-long lines go to skipped_lines."""
    import pandas as pd  # here: the ledger (and a worker's directory look-ups) import this module, not pandas

    reader = pd.read_csv(
        export.path, sep=export.delimiter, encoding=export.encoding, header=None, skiprows=export.first_row - 1,
        names=list(range(len(export.header))), dtype=str,
        keep_default_na=False, na_filter=False, skip_blank_lines=False, on_bad_lines="warn", quotechar='"',
        engine="c", chunksize=chunk_rows,
    )
    with reader:
        while True:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    chunk = reader.get_chunk()
                except StopIteration:
                    chunk = None
            skipped_lines.extend(_skipped_line_numbers(caught))
            if chunk is None:
                return
            yield chunk.fillna("")


def _skipped_line_numbers(caught: list[warnings.WarningMessage]) -> list[int]:
    return sorted(int(match.group(1)) for warning in caught
                  for match in _SKIPPED_LINE.finditer(str(warning.message)))


def read_flag(value: str) -> bool:
    """A yes/no cell as a bool (empty is False). Raises ValueError for anything else."""
    flag = _FLAG_WORDS.get(value.strip().casefold())
    if flag is None:
        raise ValueError(f"not a yes/no value (expected {FLAG_VALUES})")
    return flag


def _flags(row: int, cells: dict[str, str], names: tuple[str, ...], export: ExportFile) -> dict[str, bool] | RowProblem:
    flags: dict[str, bool] = {}
    for name in names:
        try:
            flags[name] = read_flag(cells.get(name, ""))
        except ValueError as exc:
            return RowProblem(row, export.label(name), cells[name], str(exc))
    return flags


def _missing_value(row: int, cells: dict[str, str], names: tuple[str, ...], export: ExportFile) -> RowProblem | None:
    for name in names:
        if not cells.get(name):
            return RowProblem(row, export.label(name), "", "empty: the row cannot be keyed without it")
    return None


def _structure_record(row: int, cells: dict[str, str], export: ExportFile) -> StructureRecord | RowProblem:
    problem = _missing_value(row, cells, ("identifier",), export)
    if problem is not None:
        return problem
    flags = _flags(row, cells, _STRUCTURE_FLAGS, export)
    if isinstance(flags, RowProblem):
        return flags
    return StructureRecord(
        row=row, identifier_type=(cells.get("identifier_type") or DEFAULT_IDENTIFIER_TYPE).upper(),
        identifier=cells["identifier"], name=cells.get("name", ""), **flags,
        address=_joined_address(cells), postcode=cells.get("postcode") or None, city=cells.get("city") or None,
        country_code=(cells.get("country_code") or "").upper() or None,
    )


def _joined_address(cells: dict[str, str]) -> str | None:
    parts = (cells.get(name, "") for name in ("address", "address_complement_1", "address_complement_2"))
    return "\n".join(part for part in parts if part) or None


def _service_record(row: int, cells: dict[str, str], export: ExportFile) -> ServiceRecord | RowProblem:
    problem = _missing_value(row, cells, ("structure_identifier", "code"), export)
    if problem is not None:
        return problem
    flags = _flags(row, cells, _SERVICE_FLAGS, export)
    if isinstance(flags, RowProblem):
        return flags
    return ServiceRecord(row=row, structure_identifier=cells["structure_identifier"], code=cells["code"],
                         name=cells.get("name", ""), external_id=cells.get("external_id") or None, **flags)
