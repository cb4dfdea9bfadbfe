"""Where an in-process run spends its time: each stage's seconds per invoice, on one lot.

    python benchmarks/stages.py [--format ubl|cii|csv|mixed] [--size 1000] [--lots DIR] [--tmp DIR]
                                [--gateway DIR] [--slices K]

One `Gateway.run_once()` at 1 worker (in-process) on a generated lot (`scale.py`'s lots, kept in `--lots`), with a
timer around each stage's function: parsing into the model, XSD, native rules, CDAR messages, the returns' and the
routed copies' files, reports. The figures nest (the table says which stage holds which) and the timers cost
about a microsecond per call, so they read as a breakdown of the run, not as a profile: a profiler (`scale.py
--profile`) slows Python calls several times, and so overstates what is made of many small calls (the model).
`--gateway DIR` times the `edi_gateway` package in DIR, as in `scale.py`: run two snapshots one after the other to
see what a change saved. The cyclic garbage collector's time (`gc.callbacks`) is shown apart: it runs within
whichever stage allocates when a collection is due, and a profiler charges it to that stage. `--slices K` also
times parsing, XSD and rules over K consecutive slices of the lot, to tell an invoice that costs more the longer
the process has run from one that costs the same throughout.
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


#: The stages timed slice by slice with `--slices`: those called once per invoice while the lot is decided.
SLICED = ("parse into the model (lxml parse included)", "XSD", "native rules")
PARSED = SLICED[0]
DECIDED = STAGES[0][1]  # the last slice's CPU ends with the lot's decision, before it is finished


class Slices:
    """Each per-invoice stage's seconds in consecutive slices of the lot, in the order the invoices are parsed,
    and the process's CPU seconds from one slice's first parse to the next's: whether an invoice costs more the
    further into a long lot it is (the process's state growing) or the same throughout (the lot's size itself).
    A CSV part (50 invoices) is parsed in one call and counts in the slice where it starts."""

    def __init__(self, size: int, count: int):
        self.width = max(1, -(-size // count))  # invoices per slice, rounded up
        self.spent = collections.defaultdict(collections.Counter)  # slice -> stage -> seconds
        self.invoices = collections.Counter()  # slice -> invoices parsed in it
        self.cpu_at_start: dict[int, float] = {}
        self.cpu_at_decision = 0.0
        self.parsed = 0

    def current(self, label: str) -> int:
        """The slice a call of this stage counts in: XSD and rules check what was parsed last."""
        if label != PARSED:
            return max(0, self.parsed - 1) // self.width
        number = self.parsed // self.width
        self.cpu_at_start.setdefault(number, time.process_time())
        return number

    def add(self, label: str, number: int, seconds: float, result) -> None:
        self.spent[number][label] += seconds
        if label == PARSED:
            self.invoices[number] += len(result)
            self.parsed += len(result)

    def rows(self) -> list[str]:
        rows, first = [], 1
        for number in sorted(self.invoices):
            invoices = self.invoices[number]
            cpu_until = self.cpu_at_start.get(number + 1, self.cpu_at_decision)
            stages = "".join(f" {1000 * self.spent[number][label] / invoices:9.3f} |" for label in SLICED)
            rows.append(f"| {first:>7}–{first + invoices - 1:<7} |{stages} "
                        f"{1000 * (cpu_until - self.cpu_at_start[number]) / invoices:13.3f} |")
            first += invoices
        return rows


def timed(spent: collections.Counter, calls: collections.Counter, label: str, function, slices: Slices | None):
    sliced = slices is not None and label in SLICED
    decides = slices is not None and label == DECIDED

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        number = slices.current(label) if sliced else None
        started = time.perf_counter()
        result = None
        try:
            result = function(*args, **kwargs)
            return result
        finally:
            seconds = time.perf_counter() - started
            spent[label] += seconds
            calls[label] += 1
            if sliced:
                slices.add(label, number, seconds, result or ())
            if decides:
                slices.cpu_at_decision = time.process_time()
    return wrapper


def instrument(spent: collections.Counter, calls: collections.Counter, slices: Slices | None = None) -> None:
    for _depth, label, module_name, owner_name, name in STAGES:
        module = importlib.import_module(module_name)
        owner = getattr(module, owner_name) if owner_name else module
        setattr(owner, name, timed(spent, calls, label, getattr(owner, name), slices))


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
    parser.add_argument("--slices", type=int, default=0, metavar="K",
                        help="also time parsing, XSD and rules in K consecutive slices of the lot")
    args = parser.parse_args()
    sys.path.insert(0, str(args.gateway.resolve() if args.gateway else HERE.parent))
    import edi_gateway

    sys.path.insert(1, str(HERE))
    from pipeline import prepared_gateway  # (it puts this checkout on sys.path: edi_gateway is imported already)
    from scale import build_lot

    spent, calls = collections.Counter(), collections.Counter()
    slices = Slices(args.size, args.slices) if args.slices > 0 else None
    instrument(spent, calls, slices)
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
    if slices:
        print("\nms per invoice, slice by slice (CPU: the whole process, from the slice's first parse to the next's, "
              "the last to the lot's decision)")
        print("| invoices        |     parse |       XSD |     rules | CPU           |")
        print("|-----------------|----------:|----------:|----------:|--------------:|")
        print("\n".join(slices.rows()))


if __name__ == "__main__":
    main()
