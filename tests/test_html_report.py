"""The HTML acceptance/rejection report: its data and escaping, through the pipeline, and as Chromium renders it.

The Chromium tests run Debian's `chromium` headless on the written file and read the DOM it dumps after the page's
script ran. Chromium is a system package of the test suite (Makefile: SYSTEM_PACKAGES): when it is missing the
tests fail, they do not skip.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from lxml import html as lxml_html

from edi_gateway import pipeline
from edi_gateway.config import load_settings
from edi_gateway.emitters.html import INTERNED_VALUES, PAGE_SIZE, write_html_report
from edi_gateway.ledger import Ledger
from edi_gateway.ledger.models import BatchRow, FindingRow, InvoiceRow

from .factories import french_ubl, zip_lot

XSS_NUMBER = "<script>alert(1)</script>"
XSS_ATTRIBUTE = '"><img src=x onerror="document.body.setAttribute(\'data-pwned\', 1)">'
XSS_BREAKOUT = "</script><!--<script>document.body.setAttribute('data-pwned', 2)</script>\u2028\u2029&amp;"
MAX_100K_BYTES = 30_000_000  # measured: 15.7 MB; the aim is well under 60 MB


# -- rows in memory ---------------------------------------------------------------------------------------------
def _batch(**overrides) -> BatchRow:
    values = dict(id="EDG20260315T101500ABCDEF", depositor="cabinet-martin", source="folder:/srv/inbox",
                  file_name="lot-mars.zip", sha256="ab" * 32, size=1234,
                  received_at=datetime(2026, 3, 15, 10, 15, tzinfo=timezone.utc), format="zip", state="DONE",
                  flow_status="IN_INTEGRE_PARTIEL", reason_code=None, reason=None, reason_fr=None,
                  duplicate_of=None, invoice_count=0, accepted_count=0, rejected_count=0)
    values.update(overrides)
    return BatchRow(**values)


def _loaded(model: type, **values):
    """A model instance with its values set as a load from the ledger sets them (straight into the instance dict):
    100,000 invoices are built in well under a second, instead of about 9 s with the keyword constructor."""
    row = model()
    row.__dict__.update(values)
    return row


def _finding(rule: str = "BR-CO-15", severity: str = "fatal", value: str | None = "31362.00",
             message_en: str = "Invoice total with VAT (BT-112) must equal BT-109 + BT-110",
             message_fr: str = "Le total TTC (BT-112) doit être égal à BT-109 + BT-110",
             location: str | None = "/Invoice/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount (line 108)",
             hint: str | None = "Set BT-112 to BT-109 + BT-110") -> FindingRow:
    return _loaded(FindingRow, rule=rule, severity=severity, bt="BT-112", field="totals.tax_inclusive",
                   location=location, value=value, message_en=message_en, message_fr=message_fr, hint=hint,
                   source="native")


def _invoice(position: int, decision: str = "accepted", findings: list[FindingRow] | None = None,
             **overrides) -> InvoiceRow:
    accepted = decision == "accepted"
    values = dict(batch_id="EDG20260315T101500ABCDEF", position=position, origin=f"lot-mars.zip!f{position}.xml",
                  format="ubl", supplier_id="32456789000011", number=f"BD-2026-{position:04d}",
                  issue_date="2026-03-15", recipient_id="21713000400013",
                  service_code="SERV-TECH" if accepted else None, billing_frame="A1" if accepted else None,
                  currency="EUR", amount_due=Decimal("31352.00"), decision=decision,
                  status_code="203" if accepted else "213")
    values.update(overrides)
    return _loaded(InvoiceRow, **values, findings=findings or [])


def _mixed_invoices(count: int) -> list[InvoiceRow]:
    """Every third invoice rejected with BR-CO-15, every fifth accepted one with a warning."""
    rows = []
    for position in range(1, count + 1):
        if position % 3 == 0:
            rows.append(_invoice(position, "rejected", [_finding()]))
        elif position % 5 == 0:
            rows.append(_invoice(position, findings=[_finding("FR-NOTE-01", "warning", None)]))
        else:
            rows.append(_invoice(position))
    return rows


# -- reading the page -------------------------------------------------------------------------------------------
def _parse(text: str):
    """The page's tree; huge_tree lets libxml2 keep a text node over 10 MB (the data of 100,000 invoices)."""
    return lxml_html.fromstring(text, parser=lxml_html.HTMLParser(huge_tree=True))


def _page(path: Path):
    return _parse(path.read_text(encoding="utf-8"))


def _data(path: Path) -> dict:
    [script] = _page(path).xpath('//script[@id="report-data"]')
    return json.loads(script.text)


def _text(page, element_id: str) -> str:
    [element] = page.xpath(f'//*[@id="{element_id}"]')
    return element.text_content().strip()


def _summary(page) -> tuple[int, int, int]:
    return tuple(int(_text(page, f"summary-{name}")) for name in ("invoices", "accepted", "rejected"))


def _rows(page) -> list:
    return page.xpath('//table[@id="invoices"]/tbody/tr[contains(concat(" ", @class, " "), " invoice-row ")]')


def _cells(page, css_class: str) -> list[str]:
    return [row.xpath(f'td[contains(concat(" ", @class, " "), " {css_class} ")]')[0].text_content()
            for row in _rows(page)]


# -- Chromium ---------------------------------------------------------------------------------------------------
def _chromium() -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.fail("Chromium is needed for the HTML report tests and is not installed: "
                    "apt-get install -y --no-install-recommends chromium (or `make system-packages`)")
    return browser


def _chromium_command(profile: Path, *arguments: str) -> list[str]:
    return [_chromium(), "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run",
            f"--user-data-dir={profile}", "--virtual-time-budget=5000", *arguments]


def _dump_dom(report: Path, tmp_path: Path, suffix: str = ""):
    """The DOM after the page's script ran, as Chromium dumps it, for the report opened at `file://...{suffix}`."""
    command = _chromium_command(tmp_path / "chromium-profile", "--dump-dom", report.resolve().as_uri() + suffix)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "<html" in done.stdout, f"chromium failed: {done.stderr[-2000:]}"
    page = _parse(done.stdout)
    assert page.xpath('//table[@id="invoices"]/@data-ready') == ["true"], "the report's script did not run"
    return page


def _screenshot(report: Path, tmp_path: Path, name: str = "report.png") -> Path:
    target = tmp_path / name
    command = _chromium_command(tmp_path / "chromium-profile", f"--screenshot={target}", "--window-size=1280,900",
                                report.resolve().as_uri())
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"chromium failed: {done.stderr[-2000:]}"
    return target


# -- the pipeline -----------------------------------------------------------------------------------------------
def _run_lot(dirs: dict[str, Path]) -> tuple[BatchRow, list[InvoiceRow]]:
    """A lot with two accepted invoices, two rejected with BR-CO-15 and one that is not XML; the ledger's rows."""
    lot = zip_lot({"a.xml": french_ubl("BD-2026-0301"), "b.xml": french_ubl("BD-2026-0302"),
                   "c.xml": french_ubl("BD-2026-0303", payable_delta=Decimal("10")),
                   "d.xml": french_ubl("BD-2026-0304", payable_delta=Decimal("-5")),
                   "e.xml": b"<not-closed>"})
    (dirs["inbox"] / "lot.zip").write_bytes(lot)
    settings = load_settings(None, inbox=dirs["inbox"], outbox=dirs["outbox"], database=dirs["db"])
    ledger = Ledger(settings.database)
    [result] = pipeline.Gateway(settings, ledger).run_once()
    return ledger.get_batch(result.batch_id), ledger.invoices_of(result.batch_id)


@pytest.fixture
def pipeline_report(gateway_dirs) -> tuple[Path, BatchRow, list[InvoiceRow]]:
    batch, invoices = _run_lot(gateway_dirs)
    report = write_html_report(gateway_dirs["root"] / "html", batch, invoices)
    return report, batch, invoices


# -- unit tests -------------------------------------------------------------------------------------------------
def test_summary_counts_rules_and_compact_data(tmp_path):
    invoices = _mixed_invoices(30)

    report = write_html_report(tmp_path / "reports", _batch(), invoices)

    assert report == tmp_path / "reports" / "report.html"
    page = _page(report)
    assert _summary(page) == (30, 20, 10)
    assert int(_text(page, "summary-warnings")) == 4  # positions 5, 10, 20, 25
    assert _text(page, "summary-flow-status") == "IN_INTEGRE_PARTIEL"
    assert _text(page, "summary-sha256") == "ab" * 32
    assert page.xpath('//select[@id="rule-filter"]/option/@value') == ["", "BR-CO-15", "FR-NOTE-01"]
    assert page.xpath('//select[@id="rule-filter"]/option[@value="BR-CO-15"]')[0].text == "BR-CO-15 (10)"
    assert page.xpath('//table[@id="top-rules"]//a/@href') == ["#rule=BR-CO-15", "#rule=FR-NOTE-01"]
    data = _data(report)
    assert len(data["r"]) == 30 and data["p"] == PAGE_SIZE
    assert len(data["m"]) == 2, "ten identical BR-CO-15 findings share one message definition"
    rejected = data["r"][2]
    assert rejected[:5] == [3, "lot-mars.zip!f3.xml", "BD-2026-0003", "32456789000011", "rejected"]
    [[definition, location, value]] = rejected[8]
    assert data["m"][definition][:2] == ["BR-CO-15", "fatal"] and value == "31362.00"
    assert data["l"][location].startswith("/Invoice/cac:LegalMonetaryTotal")


def test_unreadable_flow_says_why(tmp_path):
    batch = _batch(format=None, flow_status="IN_REJETE", reason_code="IRR_TYPE_F",
                   reason="The file is neither XML, PDF, CSV nor ZIP",
                   reason_fr="Le fichier n'est ni XML, ni PDF, ni CSV, ni ZIP")

    page = _page(write_html_report(tmp_path, batch, []))

    assert _summary(page) == (0, 0, 0)
    assert _text(page, "summary-reason-code") == "IRR_TYPE_F"
    assert _text(page, "summary-reason-en") == "The file is neither XML, PDF, CSV nor ZIP"
    assert _text(page, "summary-reason-fr") == "Le fichier n'est ni XML, ni PDF, ni CSV, ni ZIP"
    assert _data(tmp_path / "report.html")["r"] == []


def test_embedded_json_cannot_break_out_and_summary_is_escaped(tmp_path):
    finding = _finding(value=XSS_BREAKOUT, message_en=XSS_ATTRIBUTE, location=XSS_NUMBER, hint=XSS_BREAKOUT)
    invoices = [_invoice(1, number=XSS_NUMBER, supplier_id=XSS_ATTRIBUTE),
                _invoice(2, "rejected", [finding], number=XSS_BREAKOUT, origin=XSS_ATTRIBUTE)]

    report = write_html_report(tmp_path, _batch(file_name=XSS_NUMBER, depositor=XSS_ATTRIBUTE), invoices)

    text = report.read_text(encoding="utf-8")
    embedded = text.split('<script type="application/json" id="report-data">', 1)[1].split("</script>", 1)[0]
    assert not set(embedded) & set("<>&\u2028\u2029"), "the JSON is written with \\uXXXX escapes for these"
    assert "<script>alert(1)" not in text and "<img" not in text and "<!--<script>" not in text
    page = _page(report)
    assert _text(page, "summary-file") == XSS_NUMBER and _text(page, "summary-depositor") == XSS_ATTRIBUTE
    assert len(page.xpath("//script")) == 2 and page.xpath("//img") == []
    data = _data(report)
    assert [row[2] for row in data["r"]] == [XSS_NUMBER, XSS_BREAKOUT]
    assert data["r"][1][8][0][2] == XSS_BREAKOUT and data["m"][0][6] == XSS_BREAKOUT


def test_page_is_self_contained_and_inserts_text_only(tmp_path):
    text = write_html_report(tmp_path, _batch(), _mixed_invoices(3)).read_text(encoding="utf-8")

    page = _parse(text)
    [policy] = page.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy and "unsafe" not in policy
    assert page.xpath("//script/@src | //link | //img | //iframe") == []
    assert "http://" not in text and "https://" not in text
    assert "innerHTML" not in text and "insertAdjacentHTML" not in text and "document.write" not in text


def test_rewrite_replaces_the_report_atomically(tmp_path):
    write_html_report(tmp_path, _batch(), _mixed_invoices(3))

    report = write_html_report(tmp_path, _batch(), _mixed_invoices(6))

    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    assert _summary(_page(report)) == (6, 4, 2)


def test_report_of_a_pipeline_batch_matches_the_ledger(pipeline_report):
    report, batch, invoices = pipeline_report

    page = _page(report)

    assert (batch.invoice_count, batch.accepted_count, batch.rejected_count) == (5, 2, 3)
    assert _summary(page) == (batch.invoice_count, batch.accepted_count, batch.rejected_count)
    assert _text(page, "summary-file") == "lot.zip" and _text(page, "summary-flow-status") == batch.flow_status
    rows = {row[1]: row for row in _data(report)["r"]}
    assert set(rows) == {invoice.origin for invoice in invoices}
    accepted = rows["lot.zip!a.xml"]
    assert accepted[4:8] == ["accepted", "21713000400013", "SERV-TECH", "A1"]
    assert page.xpath('//select[@id="rule-filter"]/option[@value="BR-CO-15"]')[0].text == "BR-CO-15 (2)"


# -- in Chromium ------------------------------------------------------------------------------------------------
def test_chromium_shows_the_ledger_batch_and_filters_by_rule(pipeline_report, tmp_path):
    report, batch, invoices = pipeline_report
    with_rule = sorted(i.position for i in invoices if any(f.rule == "BR-CO-15" for f in i.findings))

    page = _dump_dom(report, tmp_path)
    filtered = _dump_dom(report, tmp_path, "#rule=BR-CO-15")
    accepted = _dump_dom(report, tmp_path, "?decision=accepted")
    screenshot = _screenshot(report, tmp_path)

    assert len(_rows(page)) == batch.invoice_count == 5
    assert _summary(page) == (batch.invoice_count, batch.accepted_count, batch.rejected_count)
    assert _cells(page, "number")[:4] == ["BD-2026-0301", "BD-2026-0302", "BD-2026-0303", "BD-2026-0304"]
    assert [int(p) for p in filtered.xpath('//tr[@class="invoice-row"]/@data-position')] == with_rule
    assert all("BR-CO-15" in findings for findings in _cells(filtered, "findings")) and len(with_rule) == 2
    assert _text(filtered, "page-info") == "Page 1 of 1 · invoices 1–2 of 2 (filtered from 5)"
    hint = filtered.xpath('//div[contains(@class, "finding")]/p[@class="hint"]')[0].text_content()
    assert hint.startswith("→ Set BT-112 to 31352.00")
    assert _cells(accepted, "decision") == ["accepted", "accepted"]
    assert _cells(accepted, "route") == ["21713000400013 / SERV-TECH / A1"] * 2
    assert screenshot.is_file() and screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 10_000


def test_chromium_paginates_sorts_and_searches(tmp_path):
    report = write_html_report(tmp_path, _batch(), _mixed_invoices(400))

    first = _dump_dom(report, tmp_path)
    beyond = _dump_dom(report, tmp_path, "#page=99")
    by_number = _dump_dom(report, tmp_path, "#sort=number&dir=desc")
    rule_page = _dump_dom(report, tmp_path, "#rule=BR-CO-15&page=2")
    search = _dump_dom(report, tmp_path, "#q=" + quote("bd-2026-0123"))

    assert len(_rows(first)) == PAGE_SIZE and _cells(first, "position")[:2] == ["1", "2"]
    assert _text(first, "page-info") == "Page 1 of 4 · invoices 1–100 of 400"
    assert _text(beyond, "page-info") == "Page 4 of 4 · invoices 301–400 of 400"
    assert _cells(beyond, "position")[0] == "301" and len(_rows(beyond)) == PAGE_SIZE
    assert _cells(by_number, "number")[:3] == ["BD-2026-0400", "BD-2026-0399", "BD-2026-0398"]
    assert by_number.xpath('//th[@data-sort="number"]/@aria-sort') == ["descending"]
    assert _cells(rule_page, "position") == [str(p) for p in range(303, 401, 3)]  # the 101st to the 133rd
    assert _text(rule_page, "page-info") == "Page 2 of 2 · invoices 101–133 of 133 (filtered from 400)"
    assert _cells(search, "number") == ["BD-2026-0123"]


# Clicks and choices a reader makes, run after the page's own script; each step leaves the page-info text and the
# positions shown in an attribute of <body>. Search waits for the input's debounce (virtual time runs timers).
_DRIVER = """
<script>
(function () {
  function snapshot(name) {
    var positions = Array.prototype.map.call(document.querySelectorAll("tr.invoice-row"),
                                             function (tr) { return tr.getAttribute("data-position"); });
    document.body.setAttribute("data-" + name, document.getElementById("page-info").textContent + "|" +
                               positions.slice(0, 3).join(",") + "|" + window.location.hash);
  }
  var rule = document.getElementById("rule-filter");
  rule.value = "BR-CO-15";
  rule.dispatchEvent(new Event("change"));
  snapshot("rule");
  document.querySelector('[data-page="next"]').click();
  snapshot("next");
  var number = document.querySelector('th[data-sort="number"] button');
  number.click();
  number.click();
  snapshot("sorted");
  var decision = document.getElementById("decision-filter");
  rule.value = "";
  rule.dispatchEvent(new Event("change"));
  decision.value = "accepted";
  decision.dispatchEvent(new Event("change"));
  snapshot("accepted");
  var search = document.getElementById("search");
  search.value = "BD-2026-011";
  search.dispatchEvent(new Event("input"));
  setTimeout(function () { snapshot("searched"); }, 500);
})();
</script>
"""


def test_chromium_controls_filter_sort_paginate_and_follow_in_the_fragment(tmp_path):
    report = write_html_report(tmp_path, _batch(), _mixed_invoices(400))
    text = report.read_text(encoding="utf-8")
    driven = tmp_path / "driven.html"  # without the policy, which rightly refuses the driver's script
    driven.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
                      .replace("</body>", _DRIVER + "</body>"), encoding="utf-8")

    [body] = _dump_dom(driven, tmp_path).xpath("//body")

    assert body.get("data-rule") == "Page 1 of 2 · invoices 1–100 of 133 (filtered from 400)|3,6,9|#rule=BR-CO-15"
    assert body.get("data-next") == "Page 2 of 2 · invoices 101–133 of 133 (filtered from 400)|303,306,309|" \
                                    "#rule=BR-CO-15&page=2"
    assert body.get("data-sorted") == "Page 1 of 2 · invoices 1–100 of 133 (filtered from 400)|399,396,393|" \
                                      "#rule=BR-CO-15&sort=number&dir=desc"
    assert body.get("data-accepted") == "Page 1 of 3 · invoices 1–100 of 267 (filtered from 400)|400,398,397|" \
                                        "#decision=accepted&sort=number&dir=desc"
    assert body.get("data-searched") == "Page 1 of 1 · invoices 1–7 of 7 (filtered from 400)|119,118,116|" \
                                        "#decision=accepted&q=BD-2026-011&sort=number&dir=desc"


def test_chromium_renders_hostile_values_as_text(tmp_path):
    finding = _finding(value=XSS_BREAKOUT, message_en=XSS_ATTRIBUTE, message_fr=XSS_NUMBER, location=XSS_NUMBER,
                       hint=XSS_BREAKOUT)
    invoices = [_invoice(1, number=XSS_NUMBER, supplier_id=XSS_ATTRIBUTE, service_code=XSS_ATTRIBUTE),
                _invoice(2, "rejected", [finding], number=XSS_ATTRIBUTE, origin=XSS_BREAKOUT)]
    report = write_html_report(tmp_path, _batch(file_name=XSS_ATTRIBUTE, depositor=XSS_NUMBER), invoices)

    page = _dump_dom(report, tmp_path)
    searched = _dump_dom(report, tmp_path, "#q=" + quote("</script><!--"))  # only in invoice 2

    assert page.xpath("//img | //*[@onerror] | //body[@data-pwned]") == []
    assert [s.get("id") for s in page.xpath("//script")] == ["report-data", None]
    assert _cells(page, "number") == [XSS_NUMBER, XSS_ATTRIBUTE]
    assert _cells(page, "supplier")[0] == XSS_ATTRIBUTE and _cells(page, "origin")[1] == XSS_BREAKOUT
    assert _cells(page, "route")[0] == f"21713000400013 / {XSS_ATTRIBUTE} / A1"
    [finding_node] = page.xpath('//div[contains(@class, "finding")]')
    assert finding_node.xpath('string(.//p[@class="message-en"])') == XSS_ATTRIBUTE
    assert finding_node.xpath('string(.//p[@class="message-fr"])') == XSS_NUMBER
    assert finding_node.xpath("string(.//code)") == XSS_BREAKOUT
    assert _text(page, "summary-file") == XSS_ATTRIBUTE and _text(page, "summary-depositor") == XSS_NUMBER
    assert _cells(searched, "number") == [XSS_ATTRIBUTE]


# -- scale ------------------------------------------------------------------------------------------------------
def _large_batch(count: int) -> list[InvoiceRow]:
    """`count` invoices like a big accounting firm's lot: 60 % accepted (a tenth of them with a warning), 40 %
    rejected, a quarter of the rejections with amounts in their messages (distinct per invoice), the rest sharing
    one message. Each invoice gets its own FindingRow, as in the ledger."""
    rows = []
    for position in range(1, count + 1):
        kind = position % 10
        if kind < 6:
            warning = [_finding("FR-NOTE-01", "warning", None, "No note", "Pas de note", None, None)] if kind == 0 else []
            rows.append(_invoice(position, findings=warning, supplier_id=f"3245678900{position % 50:04d}",
                                 recipient_id=f"2171300040{position % 200:04d}"))
        else:
            rows.append(_invoice(position, "rejected", [_amount_finding(position) if kind == 6 else _siret_finding()]))
    return rows


def _amount_finding(position: int) -> FindingRow:
    found, expected = f"{position + 10}.00", f"{position}.00"
    return _finding(value=found, hint=f"Set BT-112 to {expected}, or correct BT-109 / BT-110",
                    message_en=f"Invoice total with VAT (BT-112) = {found} must equal the total without VAT plus the "
                               f"total VAT (BT-109 + BT-110) = {expected}",
                    message_fr=f"Le total TTC (BT-112) = {found} doit être égal au total HT plus le total de TVA "
                               f"(BT-109 + BT-110) = {expected}")


def _siret_finding() -> FindingRow:
    return _finding("FR-REC-02", value="11111111111111", location="/Invoice/cac:AccountingCustomerParty (line 53)",
                    message_en="The recipient's SIRET 11111111111111 is not valid: wrong check digit",
                    message_fr="Le SIRET du destinataire 11111111111111 n'est pas valide : clé de contrôle erronée",
                    hint="Check the recipient's SIRET: 14 digits, with a valid Luhn check digit")



def _csv_like_batch(count: int) -> list[InvoiceRow]:
    """Invoices of a CSV file: each warned about on its own row, in its own words (no two locations alike)."""
    return [_invoice(position, findings=[_finding(
        "CSV-VALUE", "warning", value=f"{position},5", location=f"row {position + 1}, column prix_unitaire",
        message_en=f"Row {position + 1}: unit price '{position},5' read as {position}.5",
        message_fr=f"Ligne {position + 1} : prix unitaire '{position},5' lu {position}.5")])
        for position in range(1, count + 1)]


def test_distinct_values_past_the_interned_limit_are_written_in_their_rows(tmp_path):
    """A batch of more distinct locations and messages than the report interns (a CSV file names its rows): the
    first INTERNED_VALUES are shared from the tables, the others are written in their rows, and the page shows
    and searches both alike. The report's memory no longer grows with such a batch (30 MB for 100k invoices)."""
    count = INTERNED_VALUES + 150
    report = write_html_report(tmp_path, _batch(), _csv_like_batch(count))

    data = _data(report)
    assert len(data["l"]) == len(data["m"]) == INTERNED_VALUES
    first, last = data["r"][0][8][0], data["r"][-1][8][0]
    assert isinstance(first[0], int) and isinstance(first[1], int)
    assert last[0][0] == "CSV-VALUE" and last[1] == f"row {count + 1}, column prix_unitaire"

    for position in (1, count):
        page = _dump_dom(report, tmp_path, "#q=" + quote(f"row {position + 1}, column"))
        assert _cells(page, "position") == [str(position)]
        [where] = page.xpath('//tr[contains(@class, "invoice-row")]//span[@class="where"]')
        assert where.text_content().endswith(f"row {position + 1}, column prix_unitaire")
        [rule] = page.xpath('//tr[contains(@class, "invoice-row")]//span[@class="rule"]')
        assert rule.text_content() == "CSV-VALUE"


def test_the_report_of_a_csv_like_batch_holds_no_more_for_more_invoices(tmp_path):
    """Every value interned, as before the limit, the report held 1,160 bytes more per invoice of such a batch."""
    import tracemalloc

    peaks = {}
    for count in (10_000, 40_000):
        invoices = _csv_like_batch(count)
        tracemalloc.start()
        try:
            write_html_report(tmp_path / str(count), _batch(), iter(invoices))
            _current, peaks[count] = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    growth = (peaks[40_000] - peaks[10_000]) / 30_000
    assert growth < 20, f"{growth:.0f} bytes more per invoice ({peaks})"


@pytest.fixture(scope="module")
def large_report(tmp_path_factory) -> tuple[Path, float]:
    invoices = _large_batch(100_000)
    started = time.perf_counter()
    report = write_html_report(tmp_path_factory.mktemp("large"), _batch(), invoices)
    return report, time.perf_counter() - started


def test_100k_invoices_page_stays_small(large_report):
    report, seconds = large_report

    size = report.stat().st_size

    print(f"\n100,000 invoices: report.html {size / 1e6:.1f} MB written in {seconds:.2f} s")
    assert size < MAX_100K_BYTES, f"{size} bytes"
    data = _data(report)
    assert len(data["r"]) == 100_000 and len(data["m"]) == INTERNED_VALUES, "10,002 distinct definitions"
    inline = [finding[0] for row in data["r"] for finding in row[8] if not isinstance(finding[0], int)]
    assert len(inline) == 10_002 - INTERNED_VALUES and all(definition[0] == "BR-CO-15" for definition in inline)


def test_100k_invoices_page_renders_a_filtered_page_in_chromium(large_report, tmp_path):
    report, _ = large_report
    started = time.perf_counter()

    page = _dump_dom(report, tmp_path, "#rule=FR-REC-02&page=2")

    wall = time.perf_counter() - started
    [render_ms] = page.xpath('//table[@id="invoices"]/@data-render-ms')
    [loaded_ms] = page.xpath('//table[@id="invoices"]/@data-loaded-ms')
    print(f"\n100,000 invoices in Chromium: script {render_ms} ms (JSON.parse, filter, first page), first page shown "
          f"{loaded_ms} ms after navigation start, {wall:.1f} s for the whole chromium run")
    assert _summary(page) == (100_000, 60_000, 40_000)
    expected = [str(p) for p in range(1, 100_001) if p % 10 >= 7][PAGE_SIZE:2 * PAGE_SIZE]
    assert _cells(page, "position") == expected
    assert _text(page, "page-info") == "Page 2 of 300 · invoices 101–200 of 30000 (filtered from 100000)"
    assert int(render_ms) > 0 and int(loaded_ms) > 0  # figures for the closing note; speed is not asserted here
