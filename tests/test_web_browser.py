"""The web console in a real browser: Debian's headless `chromium`, driven by Selenium through `chromium-driver`,
against the real `edi-gateway web` command (uvicorn) on a free port of 127.0.0.1, over a ledger the pipeline
filled from samples/ (tests/web_fixtures.py).

`make test` installs chromium and chromium-driver when missing. Without them (or when the browser cannot start)
these tests are skipped with a loud warning, and fail when the environment variable CI is set.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import pytest

from .web_fixtures import LOT, PASSWORDS, build_console_ledger

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as until  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

START_TIMEOUT = 30  # seconds for the console to answer
WAIT = 15  # seconds for a page or a download


def _browser_unavailable(reason: str):
    message = f"browser tests NOT RUN: {reason}. Install Debian's chromium and chromium-driver (`make system-packages`)"
    if os.environ.get("CI"):
        pytest.fail(message)
    warnings.warn(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    return build_console_ledger(tmp_path_factory.mktemp("browser-console"))


@pytest.fixture(scope="module")
def server(console):
    """`edi-gateway web` in a subprocess on a free port; its address. Stopped (SIGTERM) at the end."""
    port = _free_port()
    command = [sys.executable, "-m", "edi_gateway.cli", "web", "--db", console.url, "--outbox", str(console.outbox),
               "--host", "127.0.0.1", "--port", str(port)]
    environment = {key: value for key, value in os.environ.items() if key != "EDI_GATEWAY_WEB_SECRET"}
    log = (console.root / "web.log").open("w")
    process = subprocess.Popen(command, cwd=console.root, stdout=log, stderr=subprocess.STDOUT, env=environment)
    address = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(address, process, console.root / "web.log")
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        _browser_unavailable(f"chromium at {chromium}, chromedriver at {chromedriver}")
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--window-size=1280,1000"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look for drivers on the network
    try:
        browser = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    except WebDriverException as exc:
        _browser_unavailable(f"chromium did not start: {exc.msg}")
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    browser.downloads = downloads
    yield browser
    browser.quit()


@pytest.fixture
def browser(driver, server):
    """The browser, signed out, with no download yet."""
    driver.get(server + "/login")
    driver.delete_all_cookies()
    for done in driver.downloads.iterdir():
        done.unlink()
    return driver


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(address: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"edi-gateway web exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(address + "/login", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"edi-gateway web did not answer within {START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


def sign_in(browser, server: str, name: str) -> None:
    browser.get(server + "/flows")
    WebDriverWait(browser, WAIT).until(until.presence_of_element_located((By.ID, "sign-in-form")))
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(PASSWORDS[name])
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, WAIT).until(until.presence_of_element_located((By.ID, "signed-in-as")))


def listed_flows(browser) -> set[str]:
    return {row.get_attribute("data-flow") for row in browser.find_elements(By.CSS_SELECTOR, "#flows tbody tr")}


def shown_invoices(browser) -> list[str]:
    return [row.get_attribute("data-invoice") for row in browser.find_elements(By.CSS_SELECTOR, "#invoices tbody tr")]


def json_body(browser) -> dict:
    return json.loads(browser.find_element(By.TAG_NAME, "body").text)


def wait_for_download(folder: Path, name: str) -> Path:
    target = folder / name
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if target.is_file() and not list(folder.glob("*.crdownload")):
            return target
        time.sleep(0.1)
    pytest.fail(f"{name} was not downloaded; the folder holds {sorted(p.name for p in folder.iterdir())}")


def test_a_depositor_opens_a_flow_with_rejections_filters_by_rule_and_downloads_its_rejection_report(
        browser, server, console):
    lot = console.flows[LOT]
    sign_in(browser, server, "lefevre")
    assert browser.current_url == server + "/flows"
    assert listed_flows(browser) == {lot, console.flows["cabinet-lefevre-factures.csv"]}

    browser.find_element(By.LINK_TEXT, LOT).click()
    WebDriverWait(browser, WAIT).until(until.text_to_be_present_in_element((By.ID, "flow-id"), lot))
    assert "IN_INTEGRE_PARTIEL" in browser.find_element(By.ID, "flow-status").text
    assert len(shown_invoices(browser)) == 6

    browser.find_element(By.CSS_SELECTOR, '#rule-filters a[data-rule="DEP-01"]').click()
    WebDriverWait(browser, WAIT).until(until.url_contains("rule=DEP-01"))
    assert shown_invoices(browser) == ["FBM-2026-0220"]
    [finding] = browser.find_elements(By.CSS_SELECTOR, '#invoices li.finding[data-rule="DEP-01"]')
    assert "FATAL" in finding.text and "→ " in finding.text  # severity, and the hint
    assert "1 invoice(s) with a DEP-01 finding" in browser.find_element(By.ID, "invoice-count").text

    browser.find_element(By.CSS_SELECTOR, '#downloads a[data-file="rejection.csv"]').click()
    downloaded = wait_for_download(browser.downloads, "rejection.csv")
    assert downloaded.read_bytes() == (console.outbox / "reports" / lot / "rejection.csv").read_bytes()
    assert "FBM-2026-0220" in downloaded.read_text()


def test_an_invoice_page_shows_its_history_and_certificate(browser, server, console):
    sign_in(browser, server, "lefevre")
    browser.get(f"{server}/flows/{console.flows[LOT]}?decision=accepted")
    browser.find_element(By.LINK_TEXT, "NSO-2026-0130").click()

    WebDriverWait(browser, WAIT).until(until.presence_of_element_located((By.ID, "history")))
    history = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#history tbody tr")]
    assert [line.split()[0] for line in history] == ["200", "203"]
    assert "Mise à disposition" in history[1]
    assert f"{console.flows[LOT]}-" in browser.find_element(By.ID, "certificate").text


def test_a_second_depositor_cannot_see_the_first_ones_flow_page_or_api(browser, server, console):
    lot = console.flows[LOT]
    sign_in(browser, server, "martin")
    assert listed_flows(browser) == {console.flows["cabinet-martin-lignes.csv"],
                                     console.flows["martin-facturx-FBM-2026-0215.pdf"]}

    browser.get(f"{server}/flows/{lot}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not found"
    assert "BD-2026-0161" not in browser.page_source and LOT not in browser.page_source
    browser.get(f"{server}/flows/{lot}/files/rejection.csv")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not found"
    assert not list(browser.downloads.iterdir())

    browser.get(f"{server}/api/flows/{lot}")
    assert json_body(browser) == {"detail": "Not Found"}
    browser.get(f"{server}/api/flows?depositor=cabinet-lefevre")
    assert {flow["depositor"] for flow in json_body(browser)["flows"]} == {"cabinet-martin"}


def test_a_wrong_password_is_refused_and_the_statistics_are_drawn_on_the_server(browser, server):
    browser.get(server + "/login")
    browser.find_element(By.ID, "name").send_keys("ops")
    browser.find_element(By.ID, "password").send_keys("not-the-password")
    browser.find_element(By.ID, "sign-in").click()
    # the form posts and the answer is a new page: wait for it, not for the page that sent the form
    error = WebDriverWait(browser, WAIT).until(until.presence_of_element_located((By.ID, "sign-in-error")))
    assert "Wrong name or password" in error.text

    sign_in(browser, server, "ops")
    browser.get(server + "/stats")
    bars = browser.find_elements(By.CSS_SELECTOR, "#daily-chart svg rect.bar-rejected")
    rules = [row.text.split()[0] for row in browser.find_elements(By.CSS_SELECTOR, "#rules tbody tr")]
    assert bars and "BR-CO-15" in rules and "DEP-01" in rules
    colour = browser.execute_script(
        "return getComputedStyle(document.querySelector('#daily-chart rect.bar-rejected')).fill")
    assert colour == "rgb(179, 38, 30)"  # the gateway's own stylesheet applied (no CDN, CSP 'self')
