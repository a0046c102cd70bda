"""Helpers for the real-browser tests: the app served on 127.0.0.1, Debian's Chromium kept off
the network, and a watch over everything the browser logs and asks for."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from threading import Thread
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Page,
        Request,
        WebError,
    )

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; `playwright install` is never run
CHROMIUM_HINT = "apt-get install chromium (`make system-deps`; never `playwright install`)"
PIP_HINT = ".venv/bin/pip install -e '.[test]'"
# no sign-in, sync, update or component traffic, and no DNS: any host but 127.0.0.1 fails at once
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # gitignored
LOCAL_SCHEMES = ("data", "blob", "about")


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app on 127.0.0.1 on a free port, in a thread; gives the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium, kept off the network by its launch flags; skips (or, in
    CI, fails) the test when Playwright or Chromium is missing."""
    from tests.peers import missing_peer

    try:
        import axe_playwright_python  # noqa: F401  (axe_verdict imports it late)
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        missing_peer(f"{error.name or error} is not installed: {PIP_HINT}")
    if not CHROMIUM.exists():
        missing_peer(f"{CHROMIUM} is not installed: {CHROMIUM_HINT}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def artifacts_dir() -> Path:
    """Where screenshots go: $LIBNET_ARTIFACTS, else tests/artifacts/ (kept out of git)."""
    folder = Path(os.environ.get("LIBNET_ARTIFACTS") or ARTIFACTS) / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Watch:
    """What the pages of one browser context did that a page of ours must never do."""

    expected_404: set[str] = field(default_factory=set)  # URLs a test asks for to get a 404
    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.on("request", self._request)
        context.on("console", self._console)
        context.on("weberror", self._web_error)

    def _request(self, request: Request) -> None:
        url = urlsplit(request.url)
        if url.scheme not in LOCAL_SCHEMES and url.hostname != "127.0.0.1":
            self.foreign_requests.append(request.url)

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        where = message.location.get("url", "")
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.csp_violations.append(f"{text} ({where})")
        elif message.type == "error" and not self._expected(text, where):
            self.console_errors.append(f"{text} ({where})")

    def _expected(self, text: str, where: str) -> bool:
        if not re.search(r"status of 404\b", text):
            return False
        # the missing favicon has a test of its own, test_pages_name_an_icon_the_browser_can_load
        return where in self.expected_404 or urlsplit(where).path == "/favicon.ico"

    def _web_error(self, error: WebError) -> None:
        self.page_errors.append(str(error.error))

    def problems(self) -> list[str]:
        return [
            *(f"request to a foreign host: {url}" for url in self.foreign_requests),
            *(f"CSP violation: {text}" for text in self.csp_violations),
            *(f"console error: {text}" for text in self.console_errors),
            *(f"uncaught script error: {text}" for text in self.page_errors),
        ]


def result_total(page: Page) -> int:
    """The number of hits the result count names last ("Treffer 1–20 von 32", "7 hits")."""
    text = page.locator("p.result-count").inner_text()
    numbers = re.findall(r"\d[\d.,\u202f\u00a0]*", text)
    assert numbers, f"no number in the result count {text!r}"
    if "–" in text:  # "Hits first–last of total": the total comes last
        return int(re.sub(r"\D", "", numbers[-1]))
    return int(re.sub(r"\D", "", numbers[0]))


def focus_ring(page: Page) -> dict[str, str]:
    """The focused element, and the outline and box-shadow the browser draws around it."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                element: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
                    + (el.className ? "." + String(el.className).split(" ").join(".") : ""),
                outline: style.outlineStyle + " " + style.outlineWidth,
                boxShadow: style.boxShadow,
            };
        }"""
    )


def has_visible_focus(ring: dict[str, str]) -> bool:
    outline_style, outline_width = ring["outline"].split()
    drawn = outline_style != "none" and outline_width not in ("0px", "0")
    return drawn or ring["boxShadow"] != "none"


def wider_than(page: Page, width: int) -> list[str]:
    """The elements that reach past the right edge of a viewport this wide, outermost first."""
    return page.evaluate(
        """width => {
            const found = [];
            for (const el of document.querySelectorAll("body *")) {
                const box = el.getBoundingClientRect();
                if (box.width > 0 && box.right > width + 1) {
                    found.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
                        + (el.className ? "." + String(el.className).split(" ").join(".") : "")
                        + ` (right edge ${Math.round(box.right)} px)`);
                }
            }
            return found.slice(0, 8);
        }""",
        width,
    )


def scrolls_sideways(page: Page, width: int) -> str:
    """Why the page, once loaded with its style sheet, is wider than a viewport this wide ("" when
    it is not). Measured before the load event, a page that has just been navigated to can be
    laid out without its CSS and seem too wide."""
    page.wait_for_load_state()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width <= width + 1:
        return ""
    return f"{page.url}: {scroll_width} px wide at {width} px; too wide: {wider_than(page, width)}"


def fill_login(page: Page, login: str, password: str, library: str = "") -> None:
    """Log in on the login page: the library (a patron's card needs it), login, password."""
    page.goto("/login")
    if library:
        page.locator("#library").select_option(library)
    page.locator("#login").fill(login)
    page.locator("#password").fill(password)
    page.locator("form.login-form button[type=submit]").click()
