"""Throughput, MB/s and peak memory of the full pipeline by format, lot size and workers, against the floor.

    python benchmarks/scale.py --sizes 1000 10000 --formats ubl cii csv mixed --workers 1 0

For each (format, size, workers): one lot of generated invoices (benchmarks/generate.py, the same content in every
format) is deposited in a fresh folder with a fresh SQLite ledger (the sample directory imported and the
benchmark depositor registered, like pipeline.py's `prepare`), and the gateway processes it in a fresh
subprocess, so that each run's peak memory is its own.
- ubl, cii: one ZIP of N XML invoices (UBL 2.1 ~20 KB; CII D22B EN 16931 ~33 KB);
- csv: one CSV file of N invoices, one row per invoice line (~6.7 KB per invoice of 20 lines);
- mixed: one ZIP holding UBL and CII invoices (45 % each) and one CSV member with the other 10 %.
Pipeline: everything `run_once` does (claim, sha256, split, parse into the model, XSD, every native rule,
routing, ledger, staging and delivery of each accepted invoice with its envelope, manifest, reports, CDAR returns,
archive), workers included; workers 0 means every core. Every invoice must be accepted, else the run is invalid.
Floor, in the same subprocess after the pipeline, over the same bytes: lxml parse + XSD validation of each XML
invoice with the schema the gateway picks (`schema_for`), compiled beforehand; for CSV (no XSD) a pandas
`read_csv` of the file (all cells as text); the best of 3 passes. One process: the floor is single-core whatever
the workers.
Machine scaling, after each run on several cores: the floor's own work (on the lot's first invoices) done by
one process alone, then by as many processes at once as the run had workers: how much faster N independent
processes go on this machine right now (a virtual machine's cores may be shared: two processes at once may each
take 10-40 % more CPU for the same work). The gateway's scaling reads against it.
MB/s counts the invoices' uncompressed bytes. Memory: `main` is the gateway process's VmHWM; `total` is the
peak of the summed PSS of the process and its workers, sampled every 0.25 s from /proc by this driver (the
workers are still running when the run ends: RUSAGE_CHILDREN of the gateway would not count them).

On a shared machine, `--repeat N` keeps the fastest of N runs (`--repeat-up-to SIZE`: only for the small lots);
the table shows the CPU seconds of the run and the load average before and after it, to tell noise from cost.
`--gateway DIR` benchmarks another copy of the package (DIR/edi_gateway): a snapshot of a commit
(`git archive HEAD edi_gateway | tar -x -C DIR`) while the checkout is being edited, or a patched scratch copy;
DIR/VERSION, when present, names it in the output.
`--profile DIR` runs each configuration under pyinstrument (`pip install pyinstrument`; cProfile when it is
missing) and writes the profile there; the timings of a profiled run are not comparable.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

FORMATS = ("ubl", "cii", "csv", "mixed")
MIXED_CSV_SHARE = 10  # percent of a mixed lot's invoices in its CSV member


# -- lots -------------------------------------------------------------------------------------------------------
def lot_name(fmt: str, size: int, seed: int) -> str:
    return f"{fmt}-{size}-seed{seed}.{'csv' if fmt == 'csv' else 'zip'}"


def build_lot(fmt: str, size: int, seed: int, folder: Path) -> Path:
    """Write the lot (once: lots are kept in `folder` and reused by the other worker settings)."""
    from generate import cii_invoice, csv_lot, ubl_invoice

    path = folder / lot_name(fmt, size, seed)
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    if fmt == "csv":
        partial.write_bytes(csv_lot(range(size), seed=seed))
    else:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as lot:
            if fmt == "mixed":
                csv_count = size * MIXED_CSV_SHARE // 100
                xml_indexes = list(range(csv_count, size))
                middle = len(xml_indexes) // 2
                for position, index in enumerate(xml_indexes):
                    if position == middle:  # the CSV member sits in the middle of the lot
                        lot.writestr("cabinet-export.csv", csv_lot(range(csv_count), seed=seed))
                    maker, kind = (ubl_invoice, "ubl") if index % 2 == 0 else (cii_invoice, "cii")
                    lot.writestr(f"facture-{index:07d}-{kind}.xml", maker(index, seed=seed))
            else:
                maker = ubl_invoice if fmt == "ubl" else cii_invoice
                for index in range(size):
                    lot.writestr(f"facture-{index:07d}.xml", maker(index, seed=seed))
    partial.rename(path)
    return path


# -- memory of a process tree, sampled from /proc ---------------------------------------------------------------
def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            with open(f"{task.path}/children", "rb") as stream:
                found += [int(child) for child in stream.read().split()]
    except OSError:
        pass
    return found


def _tree(root: int) -> list[int]:
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(_children(pid))
    return found


def _kilobytes(path: str, keys: tuple[bytes, ...]) -> dict[bytes, int]:
    found = {}
    try:
        with open(path, "rb") as stream:
            for line in stream:
                key = line.split(b":", 1)[0]
                if key in keys:
                    found[key] = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return found


PIPELINE_DONE = "pipeline.done"


class TreeSampler(threading.Thread):
    """Peak of the summed PSS (and RSS) of a process and its descendants, and each process's own high-water mark,
    until `until` exists (the run writes it when the pipeline is over: the floor that follows is not sampled)."""

    def __init__(self, pid: int, until: Path, interval: float = 0.25):
        super().__init__(daemon=True)
        self.pid, self.until, self.interval = pid, until, interval
        self.peak_pss_kb = self.peak_rss_kb = 0
        self.high_water_kb: dict[int, int] = {}
        self.cpu_ticks: dict[int, int] = {}  # utime + stime of each process, last seen
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set() and not self.until.exists():
            pss = rss = 0
            for pid in _tree(self.pid):
                rollup = _kilobytes(f"/proc/{pid}/smaps_rollup", (b"Pss", b"Rss"))
                pss, rss = pss + rollup.get(b"Pss", 0), rss + rollup.get(b"Rss", 0)
                hwm = _kilobytes(f"/proc/{pid}/status", (b"VmHWM",)).get(b"VmHWM")
                if hwm:
                    self.high_water_kb[pid] = max(hwm, self.high_water_kb.get(pid, 0))
                try:
                    with open(f"/proc/{pid}/stat", "rb") as stream:
                        fields = stream.read().rsplit(b")", 1)[1].split()
                    self.cpu_ticks[pid] = int(fields[11]) + int(fields[12])
                except (OSError, ValueError, IndexError):
                    pass
            self.peak_pss_kb, self.peak_rss_kb = max(self.peak_pss_kb, pss), max(self.peak_rss_kb, rss)
            self.done.wait(self.interval)


# -- one run, in the driver ---------------------------------------------------------------------------------------
@dataclasses.dataclass
class Run:
    format: str
    size: int
    workers: int  # as asked: 0 is every core
    cores: int  # workers actually used
    invoices: int
    accepted: int
    megabytes: float  # uncompressed invoice bytes
    seconds: float
    floor_seconds: float
    main_peak_mb: float
    total_peak_mb: float  # sampled PSS of the process tree
    worker_peak_mb: float  # the largest worker's own high-water mark (0 in-process)
    main_cpu_seconds: float  # CPU time of the gateway process during the run
    worker_cpu_seconds: float  # CPU time of its workers (sampled, 0.25 s granularity)
    load: tuple[float, float]  # the machine's 1-minute load average before and after the run
    valid: bool
    note: str = ""
    code: str = ""  # the gateway's commit (+dirty when edi_gateway/ had uncommitted changes)
    all_seconds: list[float] = dataclasses.field(default_factory=list)  # every repeat, the fastest kept
    machine_scaling: float = 0.0  # the floor's work, N processes at once against one alone (0: not measured)

    @property
    def per_second(self) -> float:
        return self.invoices / self.seconds

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_seconds


def run_one(lot: Path, fmt: str, size: int, workers: int, scratch: Path, profile: Path | None,
            gateway: Path | None) -> Run:
    # The run's folder stays until the benchmark ends (main removes the scratch): on an ext4 without a journal,
    # creating files just after tens of thousands were deleted costs ~1 ms of kernel time each (the inode allocator
    # steps over recently deleted inodes), which would land on the next run.
    workdir = Path(tempfile.mkdtemp(prefix=f"edi-scale-{fmt}-{size}-w{workers}-", dir=scratch))
    inbox = workdir / "inbox"
    inbox.mkdir()
    shutil.copyfile(lot, inbox / ("factures.csv" if fmt == "csv" else "lot.zip"))
    spec = {"workdir": str(workdir), "format": fmt, "size": size, "workers": workers,
            "profile": str(profile / f"{fmt}-{size}-w{workers}") if profile else None,
            "gateway": str(gateway) if gateway else None}
    code = code_version(gateway)
    load_before = os.getloadavg()[0]
    # Its own process group: the run (its workers included) is stopped with the driver.
    # With --gateway, the run starts in DIR with DIR on PYTHONPATH, so that every process it starts, whatever
    # sys.path it is given, imports the snapshot's edi_gateway and never this checkout's.
    env = dict(os.environ)
    if gateway:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(gateway), env.get("PYTHONPATH")]))
    child = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
                             stdout=subprocess.PIPE, text=True, start_new_session=True, env=env,
                             cwd=gateway or None)
    sampler = TreeSampler(child.pid, workdir / PIPELINE_DONE)
    sampler.start()
    try:
        out, _ = child.communicate()
    finally:
        sampler.done.set()
        sampler.join()
        try:
            os.killpg(child.pid, signal.SIGTERM)  # whatever is left of the run (nothing, normally)
        except ProcessLookupError:
            pass
    if child.returncode != 0:
        raise SystemExit(f"{fmt} {size} workers={workers}: the run failed (exit {child.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    print(f"#   ran {result['gateway_path']} ({code})", file=sys.stderr, flush=True)
    workers_hwm = [kb for pid, kb in sampler.high_water_kb.items() if pid != child.pid]
    worker_ticks = sum(ticks for pid, ticks in sampler.cpu_ticks.items() if pid != child.pid)
    return Run(fmt, size, workers, result["cores"], result["invoices"], result["accepted"],
               result["megabytes"], result["seconds"], result["floor_seconds"], result["main_peak_mb"],
               sampler.peak_pss_kb / 1024, max(workers_hwm, default=0) / 1024, result["main_cpu_seconds"],
               worker_ticks / os.sysconf("SC_CLK_TCK"), (load_before, os.getloadavg()[0]),
               result["invoices"] == size and result["accepted"] == size, result.get("note", ""), code)


# -- one run, in the subprocess ---------------------------------------------------------------------------------
def child(spec: dict) -> None:
    if spec.get("gateway"):  # another copy of the gateway (a snapshot of a commit, a patched scratch copy)
        sys.path.insert(0, spec["gateway"])
    from lxml import etree

    import edi_gateway
    from edi_gateway.engines import all_cores

    # benchmarks/pipeline.py puts this checkout first on sys.path when imported: put the gateway asked for back in
    # front, for the worker processes (spawned with this process's sys.path).
    path = list(sys.path)
    from pipeline import prepared_gateway

    sys.path[:] = path
    if spec.get("gateway") and not edi_gateway.__file__.startswith(spec["gateway"]):
        raise SystemExit(f"edi_gateway was imported from {edi_gateway.__file__}, not from {spec['gateway']}")
    workdir = Path(spec["workdir"])
    gateway = prepared_gateway(workdir, workers=spec["workers"], engine="local")
    profiler = _start_profiler(spec["profile"])
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    results = gateway.run_once()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    gateway.close()
    _stop_profiler(profiler, spec["profile"])
    main_peak_mb = _own_high_water_kb() / 1024
    (workdir / PIPELINE_DONE).touch()  # the driver's sampler stops here: the floor below is not the gateway's
    cpu_seconds = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    invoices, accepted = sum(r.invoices for r in results), sum(r.accepted for r in results)
    notes = [f"{r.file_name}: {r.reason_code}" for r in results if r.reason_code]
    if len(results) != 1 or results[0].final_path is None:
        raise SystemExit(f"expected one batch filed away, got {results}")
    floor_seconds, megabytes = floor(results[0].final_path.read_bytes(), etree)
    print(json.dumps({"gateway_path": str(Path(edi_gateway.__file__).parent),
                      "cores": 1 if spec["workers"] == 1 else (spec["workers"] or all_cores()),
                      "invoices": invoices, "accepted": accepted, "seconds": seconds, "megabytes": megabytes,
                      "floor_seconds": floor_seconds, "main_peak_mb": main_peak_mb,
                      "main_cpu_seconds": cpu_seconds, "note": "; ".join(notes)}))


def _own_high_water_kb() -> int:
    """This process's peak resident memory since it started (VmHWM). Not `ru_maxrss`: Linux carries that over
    from the parent across fork and exec, so a run spawned by a driver that had generated a 666 MB lot reported
    the driver's 1.3 GB as its own."""
    return _kilobytes("/proc/self/status", (b"VmHWM",))[b"VmHWM"]


def floor(data: bytes, etree, passes: int = 3) -> tuple[float, float]:
    """Seconds of lxml parse + XSD validation of every XML invoice (pandas read_csv for CSV), the best of
    `passes` passes, and the megabytes of invoices, uncompressed. Members are taken one at a time: only the timed
    work is timed."""
    timings = [_floor_pass(data, etree) for _ in range(passes)]
    return min(seconds for seconds, _size in timings), timings[0][1]


def _floor_pass(data: bytes, etree) -> tuple[float, float]:
    import pandas as pd

    from edi_gateway.model import DocumentFormat
    from edi_gateway.validators.xsd import load_schema, schema_for

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    roots = {"{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": DocumentFormat.UBL_INVOICE,
             "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice":
                 DocumentFormat.CII}
    profile_path = ("{*}ExchangedDocumentContext/{*}GuidelineSpecifiedDocumentContextParameter/{*}ID")
    for schema in {schema_for(DocumentFormat.UBL_INVOICE, None),
                   schema_for(DocumentFormat.CII, "urn:cen.eu:en16931:2017")}:
        load_schema(schema)  # compiled beforehand, as in the pipeline's workers

    def members():
        if data[:2] != b"PK":
            yield data
            return
        with zipfile.ZipFile(io.BytesIO(data)) as lot:
            for info in lot.infolist():
                yield lot.read(info)

    seconds, size = 0.0, 0
    for member in members():
        size += len(member)
        if member.lstrip()[:1] == b"<":
            start = time.perf_counter()
            tree = etree.fromstring(member, parser)
            seconds += time.perf_counter() - start
            document_format = roots[tree.tag]
            profile = tree.findtext(profile_path) if document_format is DocumentFormat.CII else None
            schema = load_schema(schema_for(document_format, profile))
            start = time.perf_counter()
            valid = schema.validate(tree)
            seconds += time.perf_counter() - start
            if not valid:
                raise SystemExit(f"a generated invoice is not XSD-valid: {schema.error_log}")
        else:
            start = time.perf_counter()
            pd.read_csv(io.BytesIO(member), dtype=str, keep_default_na=False)
            seconds += time.perf_counter() - start
    return seconds, size / 1e6


# -- what the machine itself gives on several cores -----------------------------------------------------------------
MACHINE_SAMPLE = 1000  # invoices of the lot the machine's scaling is measured on
MACHINE_SECONDS = 1.0  # how long one process alone works on them (whole passes), at the least


def machine_scaling(lot: Path, processes: int, tries: int = 2) -> float:
    """How many times faster `processes` processes do the floor's work at once than one alone (`processes` at
    best): the best of `tries` of each, alternated. Fresh spawned processes, as the gateway's workers."""
    import multiprocessing

    sample = _sample(lot, MACHINE_SAMPLE)
    with multiprocessing.get_context("spawn").Pool(processes, initializer=_warm_floor, initargs=(sample,)) as pool:
        passes = pool.apply(_calibrated_passes, (sample, MACHINE_SECONDS))
        pool.starmap(_floor_work, [(sample, 1)] * processes, chunksize=1)  # every process started and warm
        alone, together = [], []
        for _ in range(tries):
            alone.append(pool.apply(_floor_work, (sample, passes)))
            start = time.perf_counter()
            pool.starmap(_floor_work, [(sample, passes)] * processes, chunksize=1)
            together.append(time.perf_counter() - start)
    return processes * min(alone) / min(together)


def _sample(lot: Path, count: int) -> bytes:
    """The first `count` invoices of a lot: a ZIP of its first members, or the CSV's header and first records
    (20 lines per invoice, the generator's)."""
    if lot.suffix == ".csv":
        with lot.open("rb") as stream:
            return b"".join(stream.readline() for _ in range(1 + 20 * count))
    buffer = io.BytesIO()
    with zipfile.ZipFile(lot) as source, zipfile.ZipFile(buffer, "w") as sample:
        for info in source.infolist()[:count]:
            sample.writestr(info.filename, source.read(info))
    return buffer.getvalue()


def _warm_floor(sample: bytes) -> None:
    """A pool process's initializer: one floor pass, which compiles the schemas."""
    from lxml import etree

    _floor_pass(sample, etree)


def _calibrated_passes(sample: bytes, seconds: float) -> int:
    """How many floor passes over `sample` take at least `seconds`."""
    from lxml import etree

    start, passes = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        _floor_pass(sample, etree)
        passes += 1
    return passes


def _floor_work(sample: bytes, passes: int) -> float:
    """Seconds of `passes` floor passes over `sample`, wall clock, in a warm process of the pool."""
    from lxml import etree

    start = time.perf_counter()
    for _ in range(passes):
        _floor_pass(sample, etree)
    return time.perf_counter() - start


def _start_profiler(target: str | None):
    if not target:
        return None
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile

        profiler = cProfile.Profile()
    else:
        profiler = Profiler(interval=0.001)
    profiler.enable() if not hasattr(profiler, "start") else profiler.start()
    return profiler


def _stop_profiler(profiler, target: str | None) -> None:
    if profiler is None:
        return
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    if hasattr(profiler, "start"):  # pyinstrument
        profiler.stop()
        Path(f"{target}.txt").write_text(profiler.output_text(unicode=True, show_all=False))
        Path(f"{target}.html").write_text(profiler.output_html())
        profiler.last_session.save(f"{target}.pyisession")
    else:
        import pstats

        profiler.disable()
        profiler.dump_stats(f"{target}.pstats")
        with open(f"{target}.txt", "w") as stream:
            pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(60)


# -- context -------------------------------------------------------------------------------------------------------
def code_version(gateway: Path | None = None) -> str:
    """The gateway's commit, +dirty when edi_gateway/ has uncommitted changes (others may be editing it); for
    `--gateway DIR`, the content of DIR/VERSION when there is one (see README.md), else DIR."""
    if gateway is not None:
        version = gateway / "VERSION"
        return version.read_text().strip() if version.exists() else str(gateway)
    repo = HERE.parent
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "edi_gateway"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def machine(folder: Path) -> str:
    """The machine the figures come from, as comment lines."""
    import platform

    import lxml.etree

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    try:
        df = subprocess.run(["df", "-T", str(folder)], capture_output=True, text=True,
                            check=False).stdout.splitlines()[-1].split()
        disk = f"{df[1]} on {df[0]}"
    except (OSError, IndexError):
        disk = "unknown"
    return (f"# {time.strftime('%Y-%m-%d %H:%M %Z')}; {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), "
            f"{model}; {memory / 1024**2:.0f} GB RAM; runs on {disk}; Python {platform.python_version()}, "
            f"lxml {'.'.join(map(str, lxml.etree.LXML_VERSION[:3]))}; Linux {platform.release()}; "
            f"load average {os.getloadavg()[0]:.1f}")


# -- the table ----------------------------------------------------------------------------------------------------
def table(runs: list[Run]) -> str:
    header = (f"| {'format':6} | {'invoices':>8} | {'workers':>7} | {'seconds':>8} | {'invoices/s':>10} | "
              f"{'MB/s':>6} | {'floor s':>7} | {'floor inv/s':>11} | {'ratio to floor':>14} | "
              f"{'peak MB main':>12} | {'peak MB total':>13} | {'accepted':>8} | {'CPU s main + workers':>15} | "
              f"{'load before/after':>11} |")
    lines = [header, "|" + "|".join("-" * len(cell) for cell in header.strip("|").split("|")) + "|"]
    for run in runs:
        workers = f"{run.cores}" + (" (all)" if run.workers == 0 else "")
        accepted = f"{run.accepted}" + ("" if run.valid else " INVALID")
        lines.append(
            f"| {run.format:6} | {run.size:>8} | {workers:>7} | {run.seconds:8.1f} | {run.per_second:10.0f} | "
            f"{run.megabytes / run.seconds:6.2f} | {run.floor_seconds:7.2f} | "
            f"{run.invoices / run.floor_seconds:11.0f} | {run.ratio:14.1f} | {run.main_peak_mb:12.0f} | "
            f"{run.total_peak_mb:13.0f} | {accepted:>8} | "
            f"{run.main_cpu_seconds:6.1f} + {run.worker_cpu_seconds:6.1f} | {run.load[0]:4.1f} / {run.load[1]:4.1f} |")
    return "\n".join(lines)


def scaling(runs: list[Run]) -> str:
    lines = ["| format | invoices | invoices/s, 1 worker | invoices/s, all cores | scaling | machine scaling |",
             "|--------|----------|----------------------|-----------------------|---------|-----------------|"]
    single = {(r.format, r.size): r for r in runs if r.cores == 1}
    for run in runs:
        if run.cores > 1 and (run.format, run.size) in single:
            base = single[run.format, run.size]
            machine = f"{run.machine_scaling:14.2f}x" if run.machine_scaling else f"{'-':>15}"
            lines.append(f"| {run.format:6} | {run.size:>8} | {base.per_second:20.0f} | {run.per_second:21.0f} | "
                         f"{run.per_second / base.per_second:6.2f}x | {machine} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 0], help="1: in-process; 0: every core")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each configuration this many times and keep the fastest (a shared machine)")
    parser.add_argument("--repeat-up-to", type=int, default=10**9, metavar="SIZE",
                        help="repeat only the lots of at most SIZE invoices")
    parser.add_argument("--lots", type=Path, help="keep the generated lots in this folder (reused next time)")
    parser.add_argument("--tmp", type=Path, help="where the runs' folders go (default: the system's temp folder)")
    parser.add_argument("--json", type=Path, help="also write every run's figures to this JSON file")
    parser.add_argument("--profile", type=Path, help="profile each run (pyinstrument, else cProfile) into DIR")
    parser.add_argument("--gateway", type=Path, metavar="DIR",
                        help="benchmark the edi_gateway package in DIR (DIR/edi_gateway) instead of this checkout's")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up (finally blocks) when stopped
    for name in ("lots", "tmp", "profile"):  # the runs start in another folder with --gateway
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).resolve())
    if args.gateway is not None:
        args.gateway = args.gateway.resolve()
        if not (args.gateway / "edi_gateway" / "__init__.py").exists():
            raise SystemExit(f"--gateway {args.gateway}: no edi_gateway package there")

    scratch = Path(tempfile.mkdtemp(prefix="edi-scale-", dir=args.tmp))
    print(machine(scratch), flush=True)
    lots = args.lots or scratch / "lots"
    lots.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    try:
        for size in args.sizes:
            for fmt in args.formats:
                started = time.perf_counter()
                lot = build_lot(fmt, size, args.seed, lots)
                print(f"# lot {lot.name}: {lot.stat().st_size / 1e6:.1f} MB on disk, generated in "
                      f"{time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
                for workers in args.workers:
                    repeats = [run_one(lot, fmt, size, workers, scratch, args.profile, args.gateway)
                               for _ in range(args.repeat if size <= args.repeat_up_to else 1)]
                    run = min(repeats, key=lambda r: r.seconds)
                    run.all_seconds = [r.seconds for r in repeats]
                    run.valid = all(r.valid for r in repeats)
                    if run.cores > 1 and not args.profile:
                        run.machine_scaling = machine_scaling(lot, run.cores)
                    runs.append(run)
                    print(f"# {fmt} {size} workers={run.cores}: {run.seconds:.1f} s, {run.per_second:.0f}/s, "
                          f"ratio {run.ratio:.1f}, main {run.main_peak_mb:.0f} MB, total {run.total_peak_mb:.0f} MB"
                          f"{f', machine scaling {run.machine_scaling:.2f}x' if run.machine_scaling else ''}"
                          f"{'' if run.valid else ', INVALID: not every invoice accepted'}", file=sys.stderr,
                          flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"gateway code: {', '.join(sorted({r.code for r in runs}))}; load average at the end: "
          f"{os.getloadavg()[0]:.1f}")
    print(table(runs))
    print()
    print(scaling(runs))
    if args.json:
        args.json.write_text(json.dumps([dict(dataclasses.asdict(r), per_second=r.per_second, ratio=r.ratio)
                                         for r in runs], indent=1))
    invalid = [r for r in runs if not r.valid]
    if invalid:
        raise SystemExit(f"{len(invalid)} run(s) invalid: not every invoice was accepted")


if __name__ == "__main__":
    main()
