"""Headless Chromium (Debian's package) driven by Playwright, opening reports written from the
synthetic context of ``tests/report``. Skips cleanly where Chromium is not installed
(``scripts/ensure_chromium.sh`` installs it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from by_path import load_module

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
_SYNTHETIC = "voc_tests_report_synthetic"


def _synthetic():
    return load_module(_SYNTHETIC, Path(__file__).resolve().parents[1] / "report" / "synthetic_context.py")


@pytest.fixture(scope="session")
def synthetic():
    return _synthetic()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; run scripts/ensure_chromium.sh")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def report_file(tmp_path_factory, synthetic) -> Path:
    from voc.report import write_report

    return write_report(synthetic.make_context(), tmp_path_factory.mktemp("report") / "report.html")


@pytest.fixture(scope="session")
def minimal_report_file(tmp_path_factory, synthetic) -> Path:
    from voc.report import write_report

    return write_report(synthetic.minimal_context(), tmp_path_factory.mktemp("minimal") / "report.html")


@dataclass
class Opened:
    """A page with everything it did recorded: console messages, errors, requests, dialogs."""

    page: Any
    url: str
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def screenshot(self, name: str, *, selector: str | None = None) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        if selector:
            # The sticky header would otherwise cover the top of an element shot.
            self.page.evaluate("document.querySelector('.top').style.position = 'static'")
            try:
                self.page.locator(selector).screenshot(path=str(path))
            finally:
                self.page.evaluate("document.querySelector('.top').style.position = ''")
        else:
            self.page.screenshot(path=str(path), full_page=True)
        return path


def _open(browser, path: Path) -> Opened:
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    opened = Opened(page=page, url=path.as_uri())
    page.on("console", lambda m: opened.console.append((m.type, m.text)))
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    page.on("request", lambda r: opened.requests.append(r.url))

    def on_dialog(dialog):
        opened.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(opened.url, wait_until="load")
    page.wait_for_function("document.querySelectorAll('.plot .main-svg').length > 0 || !window.Plotly")
    return opened


_RESET_JS = """
() => {
  document.querySelectorAll('input[type=search], select').forEach(c => {
    c.value = '';
    c.dispatchEvent(new Event('input', {bubbles: true}));
    c.dispatchEvent(new Event('change', {bubbles: true}));
  });
  document.querySelectorAll('details').forEach(d => { d.open = false; });
}
"""


@pytest.fixture(scope="module")
def _shared_page(browser, report_file):
    # Parsing the inlined Plotly bundle dominates opening the page, so one page serves the
    # module and each test starts from a reset state instead of a reload.
    result = _open(browser, report_file)
    yield result
    result.page.close()


@pytest.fixture()
def opened(_shared_page):
    page = _shared_page.page
    page.evaluate(_RESET_JS)
    rank = page.locator("#priority-table th[data-sort='rank']")
    while rank.get_attribute("aria-sort") != "ascending":
        rank.click()
    page.evaluate("window.scrollTo(0, 0)")
    return _shared_page


@pytest.fixture()
def opened_minimal(browser, minimal_report_file):
    result = _open(browser, minimal_report_file)
    yield result
    result.page.close()


@pytest.fixture()
def open_report(browser):
    """Open any report file; pages opened through it are closed after the test."""
    pages: list[Opened] = []

    def opener(path: Path) -> Opened:
        pages.append(_open(browser, path))
        return pages[-1]

    yield opener
    for opened in pages:
        opened.page.close()
