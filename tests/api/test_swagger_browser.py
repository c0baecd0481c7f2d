"""Swagger UI in a real browser: `binsync serve-api --emulator small:1` driven by headless Chromium.

From the page only ("Authorize", then "Try it out"/"Execute" on each operation), a newcomer
registers the emulated key, follows the sync to its end, lists transactions and downloads the CSV
export; the test reads the status codes and bodies Swagger UI shows. The network is closed except
loopback, and every request the browser made is checked to be to the local API: Powertools
inlines Swagger UI's JS and CSS in the page (no `swagger_base_url`, so no CDN), which is what lets
the product run on a laptop without internet.

Needs Debian's `chromium` and `chromium-driver` (/usr/bin/chromium, /usr/bin/chromedriver) and
selenium; skipped otherwise. Set BINSYNC_SWAGGER_SCREENSHOT=PATH to keep a screenshot of the page
after the export.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from binsync.transactions.export import TRANSACTIONS_HEADER

# BINSYNC_CHROMIUM / BINSYNC_CHROMEDRIVER point elsewhere (e.g. a path that does not exist, to see the skip).
CHROMIUM = os.environ.get("BINSYNC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = (os.environ.get("BINSYNC_CHROMEDRIVER") or shutil.which("chromedriver")
                or "/usr/bin/chromedriver")
MISSING = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
try:
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - selenium is in requirements-dev.txt
    webdriver = None  # type: ignore[assignment]

pytestmark = [
    pytest.mark.slow,  # about a minute: the emulated small account's full sync at --time-scale 60
    pytest.mark.skipif(bool(MISSING), reason="the browser test needs Debian's chromium and chromium-driver "
                       f"(apt-get install chromium chromium-driver); missing: {', '.join(MISSING)}"),
    pytest.mark.skipif(webdriver is None, reason="selenium is not installed (requirements-dev.txt)"),
]

USER = "alice"
# Chromium here: no sandbox (root in a container), no GPU, nothing that phones home.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1400,2000"]
WAIT = 60  # seconds for one page action: serve-api answers while it runs the sync on a shared CPU
SYNC_TIMEOUT = 300


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`binsync serve-api` as a newcomer starts it; its first stdout line is the JSON banner."""
    log = (tmp_path_factory.mktemp("serve-api") / "stderr.log").open("w+")
    command = [sys.executable, "-c", "from binsync_local.cli import main; raise SystemExit(main())",
               "serve-api", "--port", "0", "--emulator", "small:1", "--time-scale", "60"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line:
            log.seek(0)
            pytest.fail(f"serve-api did not start: {log.read()[-2000:]}")
        yield json.loads(line)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})  # every request, to check
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: Any, condition: Any, timeout: float = WAIT, message: str = "") -> Any:
    return WebDriverWait(driver, timeout).until(condition, message)


def _click(driver: Any, element: WebElement) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def _open_operation(driver: Any, tag: str, operation_id: str) -> WebElement:
    """Expands the operation's block (deep-link id `operations-<tag>-<operationId>`) and presses
    "Try it out"."""
    block = _wait(driver, ec.presence_of_element_located((By.ID, f"operations-{tag}-{operation_id}")))
    if "is-open" not in (block.get_attribute("class") or ""):
        _click(driver, block.find_element(By.CSS_SELECTOR, ".opblock-summary"))
    try_out = _wait(driver, lambda d: block.find_element(By.CSS_SELECTOR, ".try-out__btn"))
    if try_out.text.strip() == "Try it out":
        _click(driver, try_out)
    return block


def _set_parameter(block: WebElement, name: str, value: str) -> None:
    field = block.find_element(By.CSS_SELECTOR, f"tr[data-param-name='{name}'] input")
    field.clear()
    field.send_keys(value)


def _execute(driver: Any, block: WebElement) -> tuple[int, str]:
    """Presses "Execute" and returns the live response's status and body as the page shows them."""
    clear = block.find_elements(By.CSS_SELECTOR, "button.btn-clear")
    if clear:  # "Clear" removes the previous response, so the one read below is the new one
        _click(driver, clear[0])
        _wait(driver, lambda d: not block.find_elements(By.CSS_SELECTOR, ".live-responses-table"))
    _click(driver, block.find_element(By.CSS_SELECTOR, "button.execute"))
    status_cell = _wait(driver, lambda d: block.find_element(
        By.CSS_SELECTOR, ".live-responses-table .response .response-col_status"))
    bodies = block.find_elements(By.CSS_SELECTOR, ".live-responses-table .response-col_description pre")
    return int(status_cell.text.strip()), (bodies[0].text if bodies else "")


def _requested_urls(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def test_swagger_ui_registers_syncs_lists_and_exports_from_the_page(served, browser):
    api, emulator = served["api_url"], served["emulator"]
    browser.get(served["swagger"])
    _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info .title")),
          message="Swagger UI did not render: its JS and CSS must load without internet")
    assert "binsync API" in browser.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text

    # Authorize: the bearer token (locally the token is the user id).
    _click(browser, browser.find_element(By.CSS_SELECTOR, ".swagger-ui .auth-wrapper .btn.authorize"))
    token = _wait(browser, ec.visibility_of_element_located((By.CSS_SELECTOR, ".modal-ux input")))
    token.send_keys(USER)
    browser.find_element(By.CSS_SELECTOR, ".modal-ux .auth-btn-wrapper button.authorize").click()
    browser.find_element(By.CSS_SELECTOR, ".modal-ux .auth-btn-wrapper button.btn-done").click()

    # Register the emulated key.
    block = _open_operation(browser, "connections", "create_connection")
    body = block.find_element(By.CSS_SELECTOR, "textarea.body-param__text")
    body.clear()
    body.send_keys(json.dumps({"api_key": emulator["api_key"], "api_secret": emulator["api_secret"],
                               "base_url": emulator["base_url"]}))
    status, text = _execute(browser, block)
    assert status == 201, text
    connection = json.loads(text)
    connection_id = connection["connection_id"]
    assert connection["status"] == "active"
    assert emulator["api_secret"] not in text  # the secret never comes back

    # Progress: execute again until the run has ended.
    block = _open_operation(browser, "connections", "get_connection")
    _set_parameter(block, "connection_id", connection_id)
    deadline = time.monotonic() + SYNC_TIMEOUT
    while True:
        status, text = _execute(browser, block)
        assert status == 200, text
        run = json.loads(text)["current_run"]
        if run and run["status"] in ("succeeded", "failed"):
            break
        assert time.monotonic() < deadline, f"the sync did not end in {SYNC_TIMEOUT} s: {run}"
        time.sleep(1)
    assert run["status"] == "succeeded", run

    # Transactions.
    block = _open_operation(browser, "transactions", "list_transactions")
    _set_parameter(block, "limit", "5")
    status, text = _execute(browser, block)
    assert status == 200, text
    page = json.loads(text)
    assert len(page["items"]) == 5
    assert {item["connection_id"] for item in page["items"]} == {connection_id}

    # The CSV export: an attachment, so Swagger UI shows a download link to the body it received.
    block = _open_operation(browser, "exports", "export_transactions")
    _set_parameter(block, "connection_id", connection_id)
    status, _text = _execute(browser, block)
    assert status == 200
    link = _wait(browser, lambda d: block.find_element(By.CSS_SELECTOR, ".live-responses-table a[download]"))
    assert link.get_attribute("download") == "transactions.csv"
    exported = browser.execute_async_script(
        "const done = arguments[1]; fetch(arguments[0]).then(r => r.text()).then(done);",
        link.get_attribute("href"))
    reader = csv.DictReader(io.StringIO(exported.lstrip("\ufeff")))
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == TRANSACTIONS_HEADER
    exported_ids = {row["id"] for row in rows}
    assert {item["id"] for item in page["items"]} <= exported_ids  # the listed ones are exported
    assert len(exported_ids) >= len(page["items"])
    headers = block.find_element(By.CSS_SELECTOR, ".live-responses-table").text
    assert "text/csv" in headers and "attachment" in headers

    screenshot = os.environ.get("BINSYNC_SWAGGER_SCREENSHOT")
    if screenshot:
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(screenshot)

    # Offline: every request the page made went to the local API (no CDN, no validator badge).
    # (chrome:// pages are the browser's own new tab, never the network.)
    outside = [url for url in _requested_urls(browser)
               if url.startswith(("http:", "https:", "ws:", "wss:")) and not url.startswith(api)]
    assert outside == []
