"""Ledger rows as plain records: their column values as attributes, detached from any session and picklable.

The emitters read a batch and its invoices by attribute (`invoice.number`, `invoice.status_events`...), so a
record stands for a row wherever files are written from the ledger: in the gateway process, or in a worker that
the gateway hands a page of invoices to (an ORM row would drag its session state along, and a relationship
left unloaded would fail there, far from the query that forgot it).
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

from sqlalchemy import inspect

from .models import BatchRow, InvoiceRow


class Record(SimpleNamespace):
    """A row's columns (and the related rows asked for, as records) as attributes."""


@functools.cache
def _columns(row_class: type) -> tuple[str, ...]:
    return tuple(attribute.key for attribute in inspect(row_class).column_attrs)


def record_of(row, *relations: str) -> Record:
    """The record of an ORM row: every column, and each relationship named in `relations` as a list of records
    (which must be loaded: the row may be detached)."""
    values = {key: getattr(row, key) for key in _columns(type(row))}
    for relation in relations:
        values[relation] = [record_of(related) for related in getattr(row, relation)]
    return Record(**values)


def batch_record(batch: BatchRow) -> Record:
    return record_of(batch)


def invoice_records(rows: list[InvoiceRow], details: bool = True) -> list[Record]:
    """Records of invoice rows, with their findings and status events when `details` (and they were loaded)."""
    relations = ("findings", "status_events") if details else ()
    return [record_of(row, *relations) for row in rows]
