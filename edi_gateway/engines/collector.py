"""The cyclic garbage collector while batches are decided and chunks checked: young collections spaced out.

Checking an invoice allocates thousands of container objects (the model, lxml's proxies, findings), nearly all
freed by reference counting as soon as the invoice is recorded: there is almost nothing for the cyclic collector
to find (a few thousand objects per run). CPython's default nonetheless runs a young collection every 700 net
allocations and, whenever enough objects have survived a chunk, a full collection: a walk over every object the
process holds, ~140,000 once SQLAlchemy, pandas, lxml and the rules are loaded, 90-180 ms each.

Measured on a 10,000-invoice UBL lot in-process (`benchmarks/stages.py`, Python 3.11): 4.8 s of the run in the
collector with the default (2,381 young, 216 middle and 20 full collections), 0.5-0.6 s with a young collection
every 10,000 allocations (~195, 18 and 2), and the same peak memory. Freezing the loaded heap out of the collector
(`gc.freeze`) on top of it saved nothing more.

The thresholds are set while a batch or a chunk is being worked on, and put back after: the web console, the
scheduler and an embedding application keep whatever they had in between.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

YOUNG_COLLECTION_EVERY = 10_000  # net allocations between young collections (CPython's default: 700)

_lock = threading.Lock()
_holders = 0  # batches and chunks being worked on in this process, each in a `spaced_collections`
_thresholds_before: tuple[int, ...] = ()


@contextlib.contextmanager
def spaced_collections() -> Iterator[None]:
    """Young collections every YOUNG_COLLECTION_EVERY allocations (or the process's own threshold when it is
    larger, or the collector left off when it is off) until the last of the nested or concurrent holders leaves.
    Usable as a decorator."""
    global _holders, _thresholds_before
    with _lock:
        if _holders == 0:
            _thresholds_before = gc.get_threshold()
            young, *older = _thresholds_before
            if young:  # 0: automatic collection is off, and stays off
                gc.set_threshold(max(young, YOUNG_COLLECTION_EVERY), *older)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                gc.set_threshold(*_thresholds_before)
