"""Every page on a phone and on a desk, for every person, in German and English.

At 320 and 375 px (the phones about half of the patrons use) and at 1280 px: nothing scrolls
sideways, the header's search form is at most two lines tall, and the page's main heading
stands on the first screen. A failing page leaves its screenshot in the artifacts folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from libnet.lists import merkliste, saved_searches
from tests.libnet.test_loans import PASSWORD
from tests.webapp.browser import Watch, artifacts_dir, fill_login, scrolls_sideways, served
from tests.webapp.test_loans_api import Served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

WIDTHS = (320, 375, 1280)
HEIGHT = 640  # a small phone's first screen
LOCALES = {"de": "de-DE", "en": "en-GB"}
# two rows of the form's controls (a 44 px box each) and the gap between them; the input
# stretches to the form's height, so it cannot be the measure of one line
TWO_LINES = 2 * 44 + 12

# who logs in (None: nobody), and the pages that person opens; {cluster} and {loan} filled in
PAGES = {
    "anonymous": (
        None,
        ("/", "/search?q=Vermessung", "/record/{cluster}", "/record/{cluster}/marc",
         "/libraries", "/login", "/no-such-page", "/password/forgot", "/privacy"),
    ),
    "patron": (
        "D100",
        ("/", "/search?q=Vermessung", "/record/{cluster}", "/account/requests", "/account",
         "/account/delete", "/account/list", "/account/searches"),
    ),
    "librarian": (
        "Team herten",
        ("/record/{cluster}", "/record/{cluster}/staff", "/staff/requests?side=incoming",
         "/staff/requests?side=outgoing", "/staff/requests/{loan}", "/staff/pull-slips",
         "/staff/overdue", "/staff/statistics", "/staff/operations", "/staff/settings",
         "/staff/patrons?q=a", "/staff/patrons/registrations", "/staff/corrections",
         "/staff/corrections/split?cluster={cluster}&other=herten:h1",
         "/staff/corrections/join?cluster={cluster}&other=Vermessung", "/staff/overlap"),
    ),
    "administrator": (
        "Kreis",
        ("/staff/requests", "/staff/accounts", "/staff/operations", "/staff/statistics",
         "/staff/settings"),
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str, int]]:
    """The loan network served, with one request Herten is asked to supply."""
    tmp_path: Path = tmp_path_factory.mktemp("phone")
    served_network = Served(tmp_path)
    loan = served_network.place()
    with served_network.engine.begin() as conn:  # the patron's list and searches are not empty
        merkliste.add(conn, served_network.patron.id, served_network.cluster, datetime.now(UTC))
        merkliste.set_note(conn, served_network.patron.id, served_network.cluster, "Referat " * 20)
        saved_searches.save(conn, served_network.patron.id, "Kehlmann, alle Ausgaben",
                            "q=Vermessung&format=book", datetime.now(UTC))  # fmt: skip
    with served(served_network.client.application) as base_url:
        yield served_network, base_url, loan.id


def log_in(page: Page, login: str) -> None:
    fill_login(page, login, PASSWORD, library="datteln" if login == "D100" else "")
    page.wait_for_load_state()
    assert page.locator("form.logout-form").count() == 1, f"{login} could not log in"


def layout_problems(page: Page, width: int) -> list[str]:
    """What is wrong with the page as laid out at this width, in words."""
    found = []
    wide = scrolls_sideways(page, width)
    if wide:
        found.append(wide)
    form = page.locator("#search-header")
    if form.count():
        height = (form.bounding_box() or {"height": 0})["height"]
        if height > TWO_LINES:
            found.append(f"the search form is {height:.0f} px tall, more than two lines")
    heading = page.locator("main h1").first
    if not heading.count():
        found.append("no main heading")
    else:
        box = heading.bounding_box()
        if box is None or box["y"] + min(box["height"], 40) > HEIGHT:
            found.append(f"the main heading starts below the first screen ({box})")
    return found


@pytest.mark.parametrize("language", LOCALES)
@pytest.mark.parametrize("person", PAGES)
def test_every_page_fits_a_phone_and_a_desk(
    browser: Browser, network: tuple[Served, str, int], person: str, language: str
) -> None:
    served_network, base_url, loan = network
    login, paths = PAGES[person]
    context = browser.new_context(
        base_url=base_url, locale=LOCALES[language], viewport={"width": 375, "height": HEIGHT}
    )
    context.set_default_timeout(10_000)
    watch = Watch(expected_404={base_url + "/no-such-page"})
    watch.attach(context)
    page = context.new_page()
    if login:
        log_in(page, login)
        page.goto(f"/?lang={language}")  # chosen on this device, over the account's language
    problems = []
    for path in paths:
        url = path.format(cluster=served_network.cluster, loan=loan)
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == language
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            found = layout_problems(page, width)
            if found:
                name = f"phone-{person}-{language}-{width}-{url.strip('/').replace('/', '_')}"
                page.screenshot(path=str(artifacts_dir() / f"{name[:120]}.png"))
                problems += [f"{url} at {width} px: {text}" for text in found]
    context.close()
    assert not problems, "\n".join(problems)
    assert not watch.problems(), watch.problems()
