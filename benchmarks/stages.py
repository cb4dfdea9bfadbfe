"""Where an in-process run spends its time: each stage's seconds per invoice, on one lot.

    python benchmarks/stages.py [--format ubl|cii|csv|mixed] [--size 1000] [--lots DIR] [--tmp DIR]
                                [--gateway DIR]

One `Gateway.run_once()` at 1 worker (in-process) on a generated lot (`scale.py`'s lots, kept in `--lots`), with a
timer around each stage's function: parsing into the model, XSD, native rules, CDAR messages, the returns' and the
routed copies' files, reports. The figures nest (the table says which stage holds which) and the timers cost
about a microsecond per call, so they read as a breakdown of the run, not as a profile: a profiler (`scale.py
--profile`) slows Python calls several times, and so overstates what is made of many small calls (the model).
`--gateway DIR` times the `edi_gateway` package in DIR, as in `scale.py`: run two snapshots one after the other to
see what a change saved. The cyclic garbage collector's time (`gc.callbacks`) is shown apart: it runs within
whichever stage allocates when a collection is due, and a profiler charges it to that stage.
"""

from __future__ import annotations

import argparse
import collections
import functools
import gc
import importlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (depth, label, module, owner in the module or None, function): each function is replaced in the module that
#: calls it; a stage of depth d is part of the stage of depth d - 1 above it.
STAGES = (
    (0, "decide the lot (parse, check, record)", "edi_gateway.ledger.store", "Ledger", "record_decisions"),
    (1, "parse into the model (lxml parse included)", "edi_gateway.engines.work", None, "parse_raw"),
    (1, "check one document", "edi_gateway.checking", None, "check_alone"),
    (2, "XSD", "edi_gateway.checking", None, "check_schema"),
    (2, "native rules", "edi_gateway.checking", None, "run_rules"),
    (0, "finish the lot (deliver, returns, reports)", "edi_gateway.pipeline", "Gateway", "_finish"),
    (1, "deliver: routed copy + envelope", "edi_gateway.emitters.routed", None, "deliver"),
    (1, "returns: CDAR messages and certificates built", "edi_gateway.emitters.returns", None, "invoice_files"),
    (2, "CDAR message", "edi_gateway.emitters.returns", None, "invoice_status_message"),
    (1, "returns: files written", "edi_gateway.emitters.returns", None, "write_files"),
    (1, "reports (CSV, JSON)", "edi_gateway.pipeline", None, "write_reports"),
    (1, "HTML report", "edi_gateway.pipeline", None, "write_html_report"),
)


def timed(spent: collections.Counter, calls: collections.Counter, label: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started
            calls[label] += 1
    return wrapper


def instrument(spent: collections.Counter, calls: collections.Counter) -> None:
    for _depth, label, module_name, owner_name, name in STAGES:
        module = importlib.import_module(module_name)
        owner = getattr(module, owner_name) if owner_name else module
        setattr(owner, name, timed(spent, calls, label, getattr(owner, name)))


class CollectorTimer:
    """Time spent in the cyclic garbage collector (`gc.callbacks`), which runs inside whatever stage allocates when
    a collection is due: a share of every stage above, shown apart."""

    def __init__(self):
        self.seconds, self.collections, self._started = 0.0, [0, 0, 0], 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections[info["generation"]] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", choices=("ubl", "cii", "csv", "mixed"), default="ubl")
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lots", type=Path, help="where the generated lots are kept (default: a temporary folder)")
    parser.add_argument("--tmp", type=Path, help="where the run's folders go (/dev/shm: without the disk)")
    parser.add_argument("--gateway", type=Path, metavar="DIR", help="time the edi_gateway package in DIR")
    args = parser.parse_args()
    sys.path.insert(0, str(args.gateway.resolve() if args.gateway else HERE.parent))
    import edi_gateway

    sys.path.insert(1, str(HERE))
    from pipeline import prepared_gateway  # (it puts this checkout on sys.path: edi_gateway is imported already)
    from scale import build_lot

    spent, calls = collections.Counter(), collections.Counter()
    instrument(spent, calls)
    work = Path(tempfile.mkdtemp(prefix="edi-stages-", dir=args.tmp))
    try:
        lots = args.lots or work / "lots"
        lots.mkdir(parents=True, exist_ok=True)
        lot = build_lot(args.format, args.size, args.seed, lots)
        (work / "inbox").mkdir()
        shutil.copyfile(lot, work / "inbox" / ("factures.csv" if args.format == "csv" else "lot.zip"))
        gateway = prepared_gateway(work, workers=1, engine="local")
        collector = CollectorTimer()
        gc.callbacks.append(collector)
        cpu, wall = time.process_time(), time.perf_counter()
        results = gateway.run_once()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        gc.callbacks.remove(collector)
        gateway.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    invoices = sum(r.invoices for r in results)
    print(f"{args.format} {invoices} invoices ({sum(r.accepted for r in results)} accepted), in-process, "
          f"gateway {Path(edi_gateway.__file__).parent}: {wall:.2f} s, {1000 * cpu / invoices:.2f} ms CPU per "
          "invoice")
    print(f"| {'stage':48} | ms per invoice | calls |")
    print(f"|{'-' * 50}|---------------:|------:|")
    for depth, label, *_ in STAGES:
        if calls[label]:
            print(f"| {'— ' * depth + label:48} | {1000 * spent[label] / invoices:14.3f} | {calls[label]:5} |")
    young, middle, full = collector.collections
    print(f"| {'cyclic garbage collector (within the above)':48} | {1000 * collector.seconds / invoices:14.3f} | "
          f"{young + middle + full:5} |")
    print(f"\ncollections: {young} young, {middle} middle, {full} full")


if __name__ == "__main__":
    main()
