"""Playwright over Debian's chromium, for the browser tests of every page (desk, hall, kiosk).

    from tests.browser import artifact, browser, console_errors   # ``browser`` is a fixture

    @pytest.mark.browser
    def test_page(browser, live):
        page = browser.new_page(viewport={"width": 1920, "height": 1080})   # own context, own storage
        errors = console_errors(page)              # console errors, page exceptions, HTTP >= 400
        page.goto(live.url + "/display/hall?token=...")
        page.wait_for_function("() => ...")        # arrow functions: the pages' CSP forbids eval
        page.screenshot(path=str(artifact("hall.png")))              # artifacts/ (git-ignored)

``another_browser(browser, autoplay=False)`` opens a second chromium next to the fixture's (one
that wants a tap before sound); ``launch()`` is the same without pytest.

``playwright install`` cannot download here, so the browser is always ``/usr/bin/chromium``
(apt package ``chromium``), launched headless with a fresh profile. Without it the tests are
skipped with the reason, never failed. Sound plays without a user gesture
(``--autoplay-policy=no-user-gesture-required``, as on the hall's kiosk-mode browser).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = os.environ.get("HANGDOI_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
)


def chromium_missing_reason() -> str | None:
    """Why browser tests cannot run here, or None if they can."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run browser tests"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; no 'playwright install' needed)"
    return None


def chromium_or_skip() -> None:
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)


def chromium_args(autoplay: bool = True) -> list[str]:
    """The switches; ``autoplay=False`` makes chromium behave like a desktop browser that wants a
    tap before it plays sound."""
    args = [a for a in CHROMIUM_ARGS if autoplay or not a.startswith("--autoplay-policy=")]
    if not autoplay:
        args.append("--autoplay-policy=document-user-activation-required")
    return args


@contextmanager
def launch(*, headless: bool = True, autoplay: bool = True, extra_args: tuple[str, ...] = ()) -> Iterator:
    """Debian's chromium, headless. Playwright starts it on a fresh temporary user-data-dir of its
    own (removed at close); each ``new_page()`` gets a new, isolated context (own storage).
    Only one of these may be open at a time (playwright's sync API); for a second browser next
    to the ``browser`` fixture, use ``another_browser(browser, ...)``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=headless,
                                    args=[*chromium_args(autoplay), *extra_args])
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def another_browser(browser, *, headless: bool = True, autoplay: bool = True,
                    extra_args: tuple[str, ...] = ()) -> Iterator:
    """A second chromium (other switches) from the playwright that runs ``browser``."""
    other = browser.browser_type.launch(executable_path=CHROMIUM, headless=headless,
                                        args=[*chromium_args(autoplay), *extra_args])
    try:
        yield other
    finally:
        other.close()


@pytest.fixture(scope="module")
def browser():
    """One chromium per test module (pages are cheap; launching is not)."""
    chromium_or_skip()
    with launch() as launched:
        yield launched


def artifact(name: str) -> Path:
    """A path in ``artifacts/`` (git-ignored) for screenshots and other test output."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def console_errors(page) -> list[str]:
    """Start collecting the page's console errors, uncaught exceptions and failed requests
    (``"HTTP 404 http://..."``: chromium's own message does not name the URL) into a list."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("response", lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
    return errors


def submit_sign_in(page, username: str, password: str, url: str | None = None) -> None:
    """Fill and send the sign-in form of a staff page (/desk, /supervisor), opening ``url`` first."""
    if url is not None:
        page.goto(url)
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
