"""What a worker does for every invoice leaves no reference cycles behind.

Objects caught in a reference cycle are freed only by Python's cyclic collector, whose collections then walk
every young object: a cycle per invoice made the collector's work grow with the lot (~600 objects per UBL
invoice, from a closure that called itself). Freed by their reference counts, they never reach it.
"""

from __future__ import annotations

import collections
import gc

import pytest

from edi_gateway.engines.work import ChunkTask, check_chunk
from edi_gateway.model import Origin
from edi_gateway.parsers import split_flow
from edi_gateway.parsers.detect import Container
from edi_gateway.parsers.facturx import extract_invoice_xml
from edi_gateway.policy import Policy

from .conftest import SAMPLES

FLOWS = sorted(path for path in SAMPLES.iterdir() if path.suffix in (".xml", ".csv", ".pdf", ".zip"))


def cyclic_garbage(action) -> collections.Counter:
    """The types of the objects that only the cyclic collector frees after `action()` (none: an empty Counter)."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        action()
        gc.collect()
        return collections.Counter(type(thing).__name__ for thing in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def units_of(path) -> list:
    return list(split_flow(path.read_bytes(), Origin(batch_id="b-1", file_name=path.name)))


def check_flow(path) -> None:
    verdicts = check_chunk(ChunkTask(units_of(path), Policy()))
    assert verdicts, path.name


def open_pdfs(path) -> None:
    """What the PDF library alone leaves: each of its readers is a cycle (its objects point back to it)."""
    for unit in units_of(path):
        if unit.container is Container.PDF:
            try:
                extract_invoice_xml(unit.data)
            except Exception:
                pass


@pytest.mark.parametrize("path", FLOWS, ids=lambda path: path.name)
def test_checking_a_flow_leaves_no_reference_cycles(path):
    check_flow(path)  # the first time loads the schemas and rule tables, which stay
    assert cyclic_garbage(lambda: check_flow(path)) == cyclic_garbage(lambda: open_pdfs(path))


def test_only_the_pdf_library_leaves_cycles_of_its_own():
    assert cyclic_garbage(lambda: open_pdfs(SAMPLES / "durand-facture-BD-2026-0142.xml")) == collections.Counter()
    assert sum(cyclic_garbage(lambda: open_pdfs(SAMPLES / "martin-facturx-FBM-2026-0215.pdf")).values()) > 0
