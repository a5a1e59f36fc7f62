"""A live portal with demo data, and headless Chromium at phone size driving it."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portal import create_app
from portal.config import HTMX_CDN_URL, HTMX_VERSION
from portal.extensions import db
from tests.conftest import base_config, scratch_database

PHONE = {"width": 390, "height": 844}
ROOT = Path(__file__).resolve().parents[2]
HTMX_FILE = ROOT / "portal" / "static" / "vendor" / f"htmx-{HTMX_VERSION}.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def chromium_path() -> str | None:
    """Debian's Chromium (no browser download works here), or CHROMIUM_PATH."""
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (apt-get install chromium): browser tests not run."
        if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


class LiveServer(str):
    """The base URL (a str, as Playwright wants it) that also knows its app, for lookups."""

    app: object

    def query(self, fn):
        """Run fn() inside the live app's context, e.g. to read a demo asset's QR token."""
        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The portal on a free port, migrated with Alembic and loaded with the demo data."""
    from flask_migrate import upgrade

    from portal.demo import load_demo

    with scratch_database(tmp_path_factory.mktemp("live")) as url:
        app = create_app(
            base_config(SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=True, TESTING=False)
        )
        with app.app_context():
            upgrade()
            load_demo()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        live = LiveServer(f"http://127.0.0.1:{server.server_port}")
        live.app = app
        yield live
        server.shutdown()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def page(browser, live_server):
    """A fresh phone-sized tab; htmx comes from the local copy of the pinned CDN file."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, base_url=live_server
    )
    body = HTMX_FILE.read_bytes()

    def serve_htmx(route):
        route.fulfill(
            status=200,
            body=body,
            content_type="application/javascript",
            headers={"Access-Control-Allow-Origin": "*"},
        )

    # No network in tests: anything not on the live server is refused, except the pinned htmx
    # URL, answered with the same bytes (so the page's SRI hash is checked for real).
    # Playwright runs the most recently registered matching route first.
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server) else route.abort()
        ),
    )
    context.route(HTMX_CDN_URL, serve_htmx)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a phone-size screenshot under test-artifacts/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def full_height_screenshot(page, name: str) -> Path:
    """The whole page at phone width, the fixed bottom bar below the content instead of across
    it; the phone viewport comes back before the next click (so the click lands where it aims)."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": PHONE["width"], "height": height})
    path = screenshot(page, name)
    page.set_viewport_size(PHONE)
    wait_until(page, f"() => window.innerHeight === {PHONE['height']}")
    return path


def sign_in(page, username: str, password: str = "demo") -> None:
    """Sign in through the real form."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def htmx_ready(page, selector: str) -> None:
    """Wait until htmx has wired up `selector` (new content is processed just after a swap,
    and a click or a keystroke before that would go to a plain link or a dead input)."""
    wait_until(
        page, "s => document.querySelector(s)?.['htmx-internal-data'] !== undefined", selector
    )


def wait_until(page, script: str, arg=None, timeout: float = 30.0) -> None:
    """Wait until the JavaScript function `script` returns true in the page.

    Polled from here with page.evaluate, which the page's Content-Security-Policy does not
    govern: Playwright's wait_for_function compiles its predicate inside the page, and our
    policy (no 'unsafe-eval') refuses that as soon as the first try is false.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(script, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {script}")
        page.wait_for_timeout(50)


def axe_violations(page) -> list[str]:
    """axe-core (bundled by axe-playwright-python, no download) violations on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in results.response["violations"]
    ]
