"""Native rules against the official CEN artifact, on N generated ~20 KB French UBL invoices.

    python benchmarks/rules.py 1000 [--official 200] [--seed 1]

Measured in the same run, each over the same invoices:
- floor: lxml parse + UBL 2.1 XSD validation (the brief's reference, ~0.35 ms per invoice);
- native: parse into the model + XSD + every native rule (what the gateway does per invoice by default);
- native rules only: every native rule over invoices already in the model;
- official: the CEN EN16931-UBL-validation.xslt through Saxon (compiled beforehand), on `--official` of them
  (it is slow: the point of the native rules).
Prints invoices per second, peak memory, ratios to the floor, and `native_speedup` = official time per invoice
over native rules time per invoice (the issue asks for at least 10).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import ubl_invoice  # noqa: E402
from lxml import etree  # noqa: E402

from edi_gateway.model import Origin  # noqa: E402
from edi_gateway.parsers import read_xml_invoice  # noqa: E402
from edi_gateway.pipeline import check_document  # noqa: E402
from edi_gateway.policy import Policy  # noqa: E402
from edi_gateway.validators import CheckContext, all_rules, run_rules  # noqa: E402
from edi_gateway.validators.official import EN16931_UBL, official_validator  # noqa: E402
from edi_gateway.validators.xsd import UBL_INVOICE, load_schema  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function, items) -> float:
    start = time.perf_counter()
    for item in items:
        function(item)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int, help="number of invoices")
    parser.add_argument("--official", type=int, default=200, help="how many of them the official XSLT checks")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    invoices = [ubl_invoice(i, seed=args.seed) for i in range(args.count)]
    sample = invoices[:max(1, min(args.official, args.count))]
    schema = load_schema(UBL_INVOICE)
    xml_parser = etree.XMLParser(resolve_entities=False, no_network=True)
    rules = all_rules()
    validator = official_validator()
    validator.findings(EN16931_UBL, sample[0])  # compile the stylesheet before timing, as a worker does once

    floor = timed(lambda data: schema.validate(etree.fromstring(data, xml_parser)), invoices)
    documents = [read_xml_invoice(data, Origin(file_name=f"{i}.xml")) for i, data in enumerate(invoices)]
    rejected = [d.origin.file_name for d in documents
                if check_document(d, CheckContext(), Policy()).findings]
    if rejected:
        raise SystemExit(f"generated invoices are not valid for the native rules: {rejected[:5]}")

    def native_full(data: bytes) -> None:
        check_document(read_xml_invoice(data, Origin(file_name="x.xml")), CheckContext(), Policy())

    native = timed(native_full, invoices)
    rules_only = timed(lambda document: run_rules(document.invoice, CheckContext(), rules), documents)
    official = timed(lambda data: validator.findings(EN16931_UBL, data), sample)

    n, m = len(invoices), len(sample)
    per = {"floor": floor / n, "native": native / n, "rules": rules_only / n, "official": official / m}
    megabytes = sum(map(len, invoices)) / 1e6
    print(f"{n} invoices, {megabytes:.1f} MB ({megabytes * 1000 / n:.1f} KB each), {len(rules)} native rules; "
          f"official XSLT on {m}")
    for name, label in (("floor", "lxml parse + XSD (floor)"), ("native", "parse + XSD + native rules"),
                        ("rules", "native rules only"), ("official", "official EN 16931 XSLT (Saxon)")):
        print(f"  {label:32} {per[name] * 1000:8.3f} ms/invoice  {1 / per[name]:9.0f} invoices/s  "
              f"ratio to floor {per[name] / per['floor']:6.2f}")
    print(f"invoices_per_s={1 / per['native']:.0f} peak_rss_mb={peak_rss_mb():.0f} "
          f"ratio_to_floor={per['native'] / per['floor']:.2f} native_speedup={per['official'] / per['rules']:.1f} "
          f"native_full_speedup={per['official'] / per['native']:.1f}")


if __name__ == "__main__":
    main()
