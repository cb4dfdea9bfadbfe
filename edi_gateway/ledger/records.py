"""Ledger rows as plain records: their column values as attributes, detached from any session and picklable.

The emitters read a batch and its invoices by attribute (`invoice.number`, `invoice.status_events`...), so a
record stands for a row wherever files are written from the ledger: in the gateway process, or in a worker that
the gateway hands a page of invoices to (an ORM row would drag its session state along, and a relationship
left unloaded would fail there, far from the query that forgot it). The emitters take either: they are
annotated with the ORM classes, whose attributes a record of them has.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

from sqlalchemy import inspect


class Record(SimpleNamespace):
    """A row's columns as attributes (an invoice's also its `findings` and `status_events`, as records, when the
    ledger reads them with it: `Ledger.iter_invoices`)."""


@functools.cache
def _columns(row_class: type) -> tuple[str, ...]:
    return tuple(attribute.key for attribute in inspect(row_class).column_attrs)


def record_of(row) -> Record:
    """The record of an ORM row: its columns."""
    return Record(**{key: getattr(row, key) for key in _columns(type(row))})


def records_of(result) -> list[Record]:
    """The rows of a query's result as records: the column names read once, not per row, and each record's
    attributes set in one update (1.7 µs a row of 25 columns, against 3.2 µs through ``Record(**values)``)."""
    keys = tuple(result.keys())
    new = Record.__new__
    records = []
    for row in result:
        record = new(Record)
        record.__dict__.update(zip(keys, row))
        records.append(record)
    return records
