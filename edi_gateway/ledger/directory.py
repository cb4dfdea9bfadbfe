"""The directory of public structures in the ledger: importing an export file, and looking structures up.

An import is one transaction per file. The rows already in the ledger are loaded once into a dict, then the
export is read in chunks (see `routing/directory.py`) and its rows inserted or updated in bulk, never one query per
row. Nothing is ever deleted:

- a structure is keyed by (identifier, identifier type) and updated in place; a structure absent from a new
  structures export is made inactive (invoices in the ledger keep pointing at it);
- a service is keyed by (structure identifier, code); a service absent from a new services export is made
  inactive, and a service whose structure is not in the directory is skipped and reported.

Each import is recorded as a `DirectoryImportRow` with the file's SHA-256 and what it changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from ..routing.directory import (
    SERVICE_FIELDS, SERVICES, STRUCTURE_FIELDS, ExportFile, NotADirectoryExport, RowProblem, ServiceRecord,
    StructureRecord, open_export, read_records,
)
from ..routing.structures import Service, Structure
from .models import DirectoryImportRow, ServiceRow, StructureRow
from .store import Ledger, now

__all__ = ["ImportSummary", "StructureDetails", "import_directory", "lookup_structures", "show_structure",
           "structure_count"]

_PARAMETERS_PER_QUERY = 500  # bound parameters in one IN (...): well under SQLite's and PostgreSQL's limits
_ROWS_PER_WRITE = 5_000  # rows sent in one bulk INSERT or UPDATE
_PROBLEMS_KEPT = 1_000  # problems listed in a summary; `skipped` counts them all
_PREFERRED_TYPE = "SIRET"  # when one identifier is listed under several types


@dataclass
class ImportSummary:
    """What importing one export file did."""

    kind: str  # structures, services
    file_name: str
    rows: int = 0  # data rows read, skipped ones included
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)  # the first _PROBLEMS_KEPT, one line each

    def skip(self, problem: RowProblem | str) -> None:
        """Count a skipped row and keep its reason (the first ones only)."""
        self.skipped += 1
        if len(self.problems) < _PROBLEMS_KEPT:
            self.problems.append(str(problem))

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file_name, "rows": self.rows, "added": self.added,
                "updated": self.updated, "unchanged": self.unchanged, "deactivated": self.deactivated,
                "skipped": self.skipped, "problems": self.problems}


@dataclass(frozen=True)
class StructureDetails:
    """A structure as the ledger holds it, its services, and the import that last listed it."""

    structure: StructureRow
    services: list[ServiceRow]
    last_import: DirectoryImportRow | None


class _Known(NamedTuple):
    """A row already in the ledger: its id, whether it is active, and the values an import compares."""

    id: int
    active: bool
    values: tuple


# --------------------------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------------------------


def import_directory(ledger: Ledger, path: Path) -> ImportSummary:
    """Import one export file, structures or services (told from its header), in one transaction.

    Raises `NotADirectoryExport` when the header is neither layout or the file has no data row, OSError when the
    file cannot be read.
    """
    path = Path(path)
    export = open_export(path)
    summary = ImportSummary(kind=export.kind, file_name=path.name)
    with ledger.session() as session, session.begin():
        record = DirectoryImportRow(kind=export.kind, file_name=path.name, sha256=file_sha256(path),
                                    imported_at=now())
        session.add(record)
        session.flush()
        if export.kind == SERVICES:
            _import_services(session, export, record, summary)
        else:
            _import_structures(session, export, record, summary)
        if not summary.rows:  # raising rolls the transaction back
            raise NotADirectoryExport(f"{path.name}: the {export.kind} export holds no data row; nothing imported "
                                      f"(it would have made every {export.kind[:-1]} inactive)")
        _record_counts(record, summary)
    return summary


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _record_counts(record: DirectoryImportRow, summary: ImportSummary) -> None:
    for name in ("rows", "added", "updated", "unchanged", "deactivated", "skipped"):
        setattr(record, name, getattr(summary, name))


class _BulkWriter:
    """Inserts, updates and "listed again" marks for one table, sent in bulk every _ROWS_PER_WRITE rows."""

    def __init__(self, session: Session, model: type[StructureRow] | type[ServiceRow], import_id: int,
                 at: datetime):
        self.session, self.model, self.import_id, self.at = session, model, import_id, at
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.listed_ids: list[int] = []

    def insert(self, values: dict[str, Any]) -> None:
        self.inserts.append({**values, "updated_at": self.at, "import_id": self.import_id})
        self._flush_when_full()

    def update(self, row_id: int, values: dict[str, Any]) -> None:
        self.updates.append({**values, "id": row_id, "updated_at": self.at, "import_id": self.import_id})
        self._flush_when_full()

    def listed_again(self, row_id: int) -> None:
        """An unchanged row: only the import that last listed it changes (its `updated_at` stays)."""
        self.listed_ids.append(row_id)
        self._flush_when_full()

    def deactivate(self, row_ids: list[int]) -> None:
        for chunk in _chunks(row_ids, _PARAMETERS_PER_QUERY):
            self.session.execute(update(self.model).where(self.model.id.in_(chunk))
                                 .values(active=False, updated_at=self.at))

    def flush(self) -> None:
        if self.inserts:
            self.session.execute(insert(self.model), self.inserts)
        if self.updates:
            self.session.execute(update(self.model), self.updates)
        for chunk in _chunks(self.listed_ids, _PARAMETERS_PER_QUERY):
            self.session.execute(update(self.model).where(self.model.id.in_(chunk))
                                 .values(import_id=self.import_id))
        self.inserts, self.updates, self.listed_ids = [], [], []

    def _flush_when_full(self) -> None:
        if len(self.inserts) + len(self.updates) + len(self.listed_ids) >= _ROWS_PER_WRITE:
            self.flush()


def _apply(writer: _BulkWriter, known: _Known | None, values: dict[str, Any], fields: tuple[str, ...],
           summary: ImportSummary) -> None:
    """Add, update or leave one row, and count which."""
    if known is None:
        writer.insert(values)
        summary.added += 1
    elif known.values != tuple(values[name] for name in fields):
        writer.update(known.id, values)
        summary.updated += 1
    else:
        writer.listed_again(known.id)
        summary.unchanged += 1


def _deactivate_unlisted(writer: _BulkWriter, known_rows: dict[tuple, _Known], listed: dict[tuple, int],
                         summary: ImportSummary, export: ExportFile) -> None:
    """Make inactive every active row the export did not list (already inactive ones are left and not counted).

    An export whose rows were all skipped makes nothing inactive: it is a broken export, not an emptied directory.
    """
    if not listed:
        summary.problems.append(f"no row could be read: no {export.kind[:-1]} was made inactive")
        return
    unlisted = [known.id for key, known in known_rows.items() if known.active and key not in listed]
    writer.deactivate(unlisted)
    summary.deactivated += len(unlisted)


def _overlong_value(model: type[StructureRow] | type[ServiceRow], values: dict[str, Any], export: ExportFile,
                    row: int) -> RowProblem | None:
    """A problem for the first value longer than its ledger column allows (PostgreSQL would refuse the whole file)."""
    for name, limit in _column_lengths(model).items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            return RowProblem(row, export.label(name), value[:40] + "…", f"longer than {limit} characters")
    return None


@cache
def _column_lengths(model: type[StructureRow] | type[ServiceRow]) -> dict[str, int]:
    """The length limit of each of a table's limited text columns."""
    return {column.name: column.type.length for column in model.__table__.columns
            if getattr(column.type, "length", None) is not None}


def _duplicate_problem(export: ExportFile, row: int, column: str, value: str, first_row: int) -> RowProblem:
    return RowProblem(row, export.label(column), value, f"listed again (first at row {first_row}); the first is kept")


# -- structures ------------------------------------------------------------------------------------------------
def _import_structures(session: Session, export: ExportFile, record: DirectoryImportRow,
                       summary: ImportSummary) -> None:
    known_rows = _known_structures(session)
    listed: dict[tuple[str, str], int] = {}  # key -> row number in this export
    writer = _BulkWriter(session, StructureRow, record.id, record.imported_at)
    for item in read_records(export):
        summary.rows += 1
        checked = item if isinstance(item, RowProblem) else _checked_structure(item, listed, export)
        if isinstance(checked, RowProblem):
            summary.skip(checked)
            continue
        key, values = checked
        listed[key] = item.row
        _apply(writer, known_rows.get(key), values, STRUCTURE_FIELDS, summary)
    writer.flush()
    _deactivate_unlisted(writer, known_rows, listed, summary, export)


def _checked_structure(item: StructureRecord, listed: dict[tuple[str, str], int],
                       export: ExportFile) -> tuple[tuple[str, str], dict[str, Any]] | RowProblem:
    """The key and column values of a structure row, or why it is skipped (listed twice, a value too long)."""
    key = (item.identifier, item.identifier_type)
    if key in listed:
        return _duplicate_problem(export, item.row, "identifier", item.identifier, listed[key])
    values = {name: getattr(item, name) for name in STRUCTURE_FIELDS}
    return _overlong_value(StructureRow, values, export, item.row) or (key, values)


def _known_structures(session: Session) -> dict[tuple[str, str], _Known]:
    columns = [getattr(StructureRow, name) for name in STRUCTURE_FIELDS]
    rows = session.execute(select(StructureRow.id, *columns))
    return {(row.identifier, row.identifier_type): _Known(row.id, row.active, tuple(row[1:])) for row in rows}


# -- services --------------------------------------------------------------------------------------------------
def _import_services(session: Session, export: ExportFile, record: DirectoryImportRow,
                     summary: ImportSummary) -> None:
    structure_ids = _structure_ids_by_identifier(session)
    known_rows = _known_services(session)
    listed: dict[tuple[int, str], int] = {}
    writer = _BulkWriter(session, ServiceRow, record.id, record.imported_at)
    for item in read_records(export):
        summary.rows += 1
        checked = item if isinstance(item, RowProblem) else _checked_service(item, structure_ids, listed, export)
        if isinstance(checked, RowProblem):
            summary.skip(checked)
            continue
        key, values = checked
        listed[key] = item.row
        _apply(writer, known_rows.get(key), values, SERVICE_FIELDS, summary)
    writer.flush()
    _deactivate_unlisted(writer, known_rows, listed, summary, export)


def _checked_service(item: ServiceRecord, structure_ids: dict[str, int], listed: dict[tuple[int, str], int],
                     export: ExportFile) -> tuple[tuple[int, str], dict[str, Any]] | RowProblem:
    """The key and column values of a service row, or why it is skipped (unknown structure, listed twice…)."""
    structure_id = structure_ids.get(item.structure_identifier)
    if structure_id is None:
        return _unknown_structure_problem(export, item)
    key = (structure_id, item.code)
    if key in listed:
        return _duplicate_problem(export, item.row, "code", item.code, listed[key])
    values = {"structure_id": structure_id, **{name: getattr(item, name) for name in SERVICE_FIELDS}}
    return _overlong_value(ServiceRow, values, export, item.row) or (key, values)


def _structure_ids_by_identifier(session: Session) -> dict[str, int]:
    """Identifier -> structure id, the SIRET one when an identifier is listed under several types."""
    chosen: dict[str, tuple[str, int]] = {}  # identifier -> (type, id)
    rows = session.execute(select(StructureRow.identifier, StructureRow.identifier_type, StructureRow.id)
                           .order_by(StructureRow.id))
    for identifier, identifier_type, structure_id in rows:
        current = chosen.get(identifier)
        if current is None or _preferred_over(identifier_type, current[0]):
            chosen[identifier] = (identifier_type, structure_id)
    return {identifier: structure_id for identifier, (_, structure_id) in chosen.items()}


def _preferred_over(identifier_type: str, current_type: str) -> bool:
    """Whether a structure of `identifier_type` replaces one of `current_type` listed under the same identifier."""
    return identifier_type == _PREFERRED_TYPE and current_type != _PREFERRED_TYPE


def _known_services(session: Session) -> dict[tuple[int, str], _Known]:
    columns = [getattr(ServiceRow, name) for name in SERVICE_FIELDS]
    rows = session.execute(select(ServiceRow.id, ServiceRow.structure_id, *columns))
    return {(row.structure_id, row.code): _Known(row.id, row.active, tuple(row[2:])) for row in rows}


def _unknown_structure_problem(export: ExportFile, item: ServiceRecord) -> RowProblem:
    return RowProblem(item.row, export.label("structure_identifier"), item.structure_identifier,
                      f"service {item.code!r} belongs to a structure that is not in the directory "
                      f"(import the structures export first)")


# --------------------------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------------------------


def lookup_structures(ledger: Ledger, identifiers: Iterable[str | None]) -> dict[str, Structure]:
    """The structures with these identifiers (matched exactly), active or not, each with all its services.

    Identifiers the directory does not know are absent from the result. When one identifier is listed under several
    identifier types, the SIRET one is returned.
    """
    wanted = sorted({identifier for identifier in identifiers if identifier})
    with ledger.session() as session:
        rows = _preferred_rows(_structure_rows(session, wanted))
        services = _services_by_structure(session, [row.id for row in rows.values()])
    return {identifier: _structure_value(row, services.get(row.id, [])) for identifier, row in rows.items()}


def _structure_rows(session: Session, identifiers: list[str]) -> Iterator[StructureRow]:
    for chunk in _chunks(identifiers, _PARAMETERS_PER_QUERY):
        yield from session.scalars(select(StructureRow).where(StructureRow.identifier.in_(chunk))
                                   .order_by(StructureRow.id))


def _preferred_rows(rows: Iterable[StructureRow]) -> dict[str, StructureRow]:
    chosen: dict[str, StructureRow] = {}
    for row in rows:
        current = chosen.get(row.identifier)
        if current is None or _preferred_over(row.identifier_type, current.identifier_type):
            chosen[row.identifier] = row
    return chosen


def _services_by_structure(session: Session, structure_ids: list[int]) -> dict[int, list[ServiceRow]]:
    services: dict[int, list[ServiceRow]] = {}
    for chunk in _chunks(structure_ids, _PARAMETERS_PER_QUERY):
        for service in session.scalars(select(ServiceRow).where(ServiceRow.structure_id.in_(chunk))
                                       .order_by(ServiceRow.code)):
            services.setdefault(service.structure_id, []).append(service)
    return services


def _structure_value(row: StructureRow, services: list[ServiceRow]) -> Structure:
    return Structure(
        identifier=row.identifier, name=row.name, identifier_type=row.identifier_type, active=row.active,
        service_required=row.service_required, engagement_required=row.engagement_required,
        service_or_engagement=row.service_or_engagement, works_space_open=row.works_space_open,
        works_only=row.works_only,
        services={service.code: Service(code=service.code, name=service.name, active=service.active,
                                        engagement_required=service.engagement_required) for service in services},
    )


def structure_count(ledger: Ledger) -> int:
    """How many structures the directory holds, active and inactive."""
    with ledger.session() as session:
        return session.scalar(select(func.count()).select_from(StructureRow)) or 0


def show_structure(ledger: Ledger, identifier: str) -> StructureDetails | None:
    """Everything the ledger holds about one structure (the SIRET one if the identifier has several types)."""
    with ledger.session() as session:
        row = _preferred_rows(_structure_rows(session, [identifier])).get(identifier)
        if row is None:
            return None
        services = _services_by_structure(session, [row.id]).get(row.id, [])
        last_import = session.get(DirectoryImportRow, row.import_id) if row.import_id is not None else None
        return StructureDetails(structure=row, services=services, last_import=last_import)


def _chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
