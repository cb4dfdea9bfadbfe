"""Young collections are spaced out while batches and chunks are worked on, and the thresholds put back after."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from edi_gateway.engines.collector import YOUNG_COLLECTION_EVERY, spaced_collections
from edi_gateway.engines.work import ChunkTask, check_chunk
from edi_gateway.model import Origin
from edi_gateway.parsers import split_flow
from edi_gateway.policy import Policy

from .conftest import SAMPLES


@pytest.fixture(autouse=True)
def default_thresholds():
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_young_collections_are_spaced_out_inside_and_the_thresholds_put_back_after():
    with spaced_collections():
        assert gc.get_threshold() == (YOUNG_COLLECTION_EVERY, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_the_thresholds_are_put_back_when_the_work_fails():
    with pytest.raises(ZeroDivisionError):
        with spaced_collections():
            1 / 0
    assert gc.get_threshold() == (700, 10, 10)


def test_a_larger_threshold_of_the_process_is_kept_and_a_collector_turned_off_stays_off():
    gc.set_threshold(50_000, 20, 30)
    with spaced_collections():
        assert gc.get_threshold() == (50_000, 20, 30)
    gc.set_threshold(0, 10, 10)
    with spaced_collections():
        assert gc.get_threshold() == (0, 10, 10)
    assert gc.get_threshold() == (0, 10, 10)


def test_nested_holders_put_the_thresholds_back_only_when_the_outermost_leaves():
    with spaced_collections():
        with spaced_collections():
            pass
        assert gc.get_threshold()[0] == YOUNG_COLLECTION_EVERY
    assert gc.get_threshold()[0] == 700


def test_concurrent_holders_put_the_thresholds_back_only_when_the_last_leaves():
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with spaced_collections():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with spaced_collections():
            second_in.set()
            first_out.wait(5)
            seen["after the first left"] = gc.get_threshold()[0]

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"after the first left": YOUNG_COLLECTION_EVERY}
    assert gc.get_threshold()[0] == 700


class Node:
    def __init__(self):
        self.itself = self


def test_reference_cycles_are_still_collected_inside():
    gc.collect()  # counts from zero: no young collection comes before the cycle is garbage
    with spaced_collections():
        cycle = Node()
        gone = weakref.ref(cycle)
        del cycle
        kept = [[] for _ in range(3 * YOUNG_COLLECTION_EVERY)]  # allocations enough for young collections
        assert gone() is None
        del kept


def collections_during(action) -> int:
    """How many collections (of any generation) the collector ran during `action()`."""
    started = []

    def count(phase, info):
        if phase == "start":
            started.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        action()
    finally:
        gc.callbacks.remove(count)
    return len(started)


def test_a_chunk_is_checked_with_young_collections_spaced_out():
    lot = SAMPLES / "lot-mairie-belleville-2026-11.zip"
    units = list(split_flow(lot.read_bytes(), Origin(batch_id="b-1", file_name=lot.name))) * 20
    task = ChunkTask(units, Policy())
    check_chunk(task)  # loads the schemas and rule tables
    spaced = collections_during(lambda: check_chunk(task))
    default = collections_during(lambda: check_chunk.__wrapped__(task))  # the same work, thresholds as they are
    assert default >= 5
    # None while checking; at most one as the thresholds are put back, for what the chunk's verdicts hold
    assert spaced <= 1
    assert gc.get_threshold() == (700, 10, 10)
