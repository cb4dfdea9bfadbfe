"""Full-pipeline throughput against the lxml floor, on N generated ~20 KB French UBL invoices.

    python benchmarks/pipeline.py 1000 [--layout zip|files] [--seed 1]

Floor: lxml parse + UBL 2.1 XSD validation of the same bytes, nothing else, measured in the same run.
Pipeline: claim, sha256, parse into the model, XSD, every native rule, routing (the sample directory of public
structures, the default depositor attached to the generated suppliers), ledger (SQLite), delivery of every
accepted invoice to the routed outbox, and reports.
`zip` deposits one lot of N invoices (the bulk case); `files` deposits N single-invoice files (N batches).
Last line: `invoices_per_s=… peak_rss_mb=… ratio_to_floor=…`.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import SUPPLIERS, ubl_invoice  # noqa: E402
from lxml import etree  # noqa: E402

from edi_gateway.config import load_settings  # noqa: E402
from edi_gateway.ledger import Ledger  # noqa: E402
from edi_gateway.ledger.depositors import add_depositor, attach  # noqa: E402
from edi_gateway.ledger.directory import import_directory  # noqa: E402
from edi_gateway.pipeline import Gateway  # noqa: E402
from edi_gateway.validators.xsd import UBL_INVOICE, load_schema  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def floor_seconds(invoices: list[bytes]) -> float:
    """lxml parse + XSD validation of every invoice (schema compiled beforehand, as the pipeline does)."""
    schema = load_schema(UBL_INVOICE)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    start = time.perf_counter()
    for data in invoices:
        if not schema.validate(etree.fromstring(data, parser)):
            raise SystemExit(f"generated invoice is not XSD-valid: {schema.error_log}")
    return time.perf_counter() - start


def prepare(ledger: Ledger, depositor: str) -> None:
    """What an operator does before the first run: import the directory, register the depositor."""
    annuaire = Path(__file__).resolve().parent.parent / "samples" / "annuaire"
    for name in ("structures.csv", "services.csv"):
        import_directory(ledger, annuaire / name)
    add_depositor(ledger, depositor, name="Benchmark depositor")
    for siret, *_ in SUPPLIERS:
        attach(ledger, depositor, siret)


def prepared_gateway(workdir: Path, **options) -> Gateway:
    """A gateway on `workdir`'s inbox, outbox and a fresh SQLite ledger, prepared as an operator would
    (`prepare`); `options` go to `load_settings` (workers, engine...)."""
    settings = load_settings(None, inbox=workdir / "inbox", outbox=workdir / "outbox",
                             database=f"sqlite:///{workdir / 'ledger.sqlite3'}", **options)
    ledger = Ledger(settings.database)
    prepare(ledger, settings.depositor)
    return Gateway(settings, ledger)


def pipeline_seconds(invoices: list[bytes], layout: str, workdir: Path) -> tuple[float, int]:
    inbox = workdir / "inbox"
    inbox.mkdir()
    if layout == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as lot:
            for i, data in enumerate(invoices):
                lot.writestr(f"facture-{i:07d}.xml", data)
        (inbox / "lot.zip").write_bytes(buffer.getvalue())
    else:
        for i, data in enumerate(invoices):
            (inbox / f"facture-{i:07d}.xml").write_bytes(data)
    gateway = prepared_gateway(workdir)
    start = time.perf_counter()
    results = gateway.run_once()
    elapsed = time.perf_counter() - start
    return elapsed, sum(r.accepted for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int, help="number of invoices")
    parser.add_argument("--layout", choices=("zip", "files"), default="zip")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    invoices = [ubl_invoice(i, seed=args.seed) for i in range(args.count)]
    megabytes = sum(map(len, invoices)) / 1e6
    floor = floor_seconds(invoices)
    with tempfile.TemporaryDirectory(prefix="edi-bench-") as workdir:
        elapsed, accepted = pipeline_seconds(invoices, args.layout, Path(workdir))
    if accepted != args.count:
        raise SystemExit(f"only {accepted} of {args.count} generated invoices were accepted")

    print(f"invoices: {args.count} ({megabytes / args.count * 1000:.1f} KB each, {megabytes:.1f} MB), "
          f"layout: {args.layout}")
    print(f"{'':24}{'seconds':>10}{'ms/invoice':>12}{'invoices/s':>12}{'MB/s':>9}")
    for label, seconds in (("floor (lxml + XSD)", floor), ("pipeline (full)", elapsed)):
        print(f"{label:24}{seconds:10.2f}{seconds / args.count * 1000:12.3f}{args.count / seconds:12.0f}"
              f"{megabytes / seconds:9.1f}")
    print(f"invoices_per_s={args.count / elapsed:.0f} peak_rss_mb={peak_rss_mb():.0f} "
          f"ratio_to_floor={elapsed / floor:.2f}")


if __name__ == "__main__":
    main()
