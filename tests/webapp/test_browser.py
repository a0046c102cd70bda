"""The catalogue in a real browser: Debian's Chromium, headless, driven by Playwright against
the app served on 127.0.0.1 over the demo catalogue.

Every context is watched (tests/webapp/browser.py): a request to any host but 127.0.0.1, a CSP
violation, a console error or an uncaught script error fails the test that caused it.
Screenshots of a result list and a record go to $LIBNET_ARTIFACTS or tests/artifacts/browser.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask

from libnet.config import Config
from tests.webapp.browser import (
    Watch,
    artifacts_dir,
    focus_ring,
    has_visible_focus,
    result_total,
    scrolls_sideways,
    served,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

PAGE_SIZE = 20  # webapp.catalogue.search.PAGE_SIZE
NARROW = 320  # px, the narrowest phone WCAG 1.4.10 (reflow) asks for
SERIOUS = ("serious", "critical")

NewPage = Callable[..., "Page"]


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_url(app: Flask) -> Iterator[str]:
    with served(app) as url:
        yield url


@pytest.fixture
def new_page(browser: Browser, base_url: str) -> Iterator[NewPage]:
    """Opens a page in a fresh context (no cookies, German browser); checks the watch after."""
    opened: list[tuple[Any, Watch]] = []

    def open_page(*, expected_404: tuple[str, ...] = (), **options: Any) -> Page:
        context = browser.new_context(base_url=base_url, locale="de-DE", **options)
        context.set_default_timeout(10_000)
        watch = Watch(expected_404={base_url + path for path in expected_404})
        watch.attach(context)
        opened.append((context, watch))
        return context.new_page()

    yield open_page
    problems = []
    for context, watch in opened:
        context.close()  # waits for what the pages still had to say
        problems += watch.problems()
    assert not problems, "the browser saw:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def word(app: Flask) -> str:
    """A word of the demo titles that finds more than a page of hits, but not every title."""
    client = app.test_client()
    catalogue_size = client.get("/api/v1/search?q=*&page_size=1").json["total"]
    titles = [
        hit["title"]
        for page in range(1, -(-catalogue_size // 100) + 1)
        for hit in client.get(f"/api/v1/search?q=*&page_size=100&page={page}").json["hits"]
    ]
    counts = Counter(
        w for title in titles for w in set(re.findall(r"\w{4,}", title)) if not w.isdigit()
    )
    for candidate, _ in counts.most_common(20):
        total = client.get("/api/v1/search", query_string={"q": candidate}).json["total"]
        if PAGE_SIZE < total < catalogue_size:
            return candidate
    raise AssertionError("no title word of the demo catalogue finds more than a page of hits")


@pytest.fixture(scope="module")
def record_id(app: Flask, word: str) -> int:
    return app.test_client().get("/api/v1/search", query_string={"q": word}).json["hits"][0]["id"]


# --- helpers ----------------------------------------------------------------------------------


def search_from_home(page: Page, word: str) -> None:
    page.goto("/")
    page.locator("#q").fill(word)
    page.locator("#search-q button[type=submit]").click()
    page.wait_for_url("**/search?**")


def years(page: Page) -> list[int]:
    return [int(text) for text in page.locator("ol.hits li.hit .year").all_inner_texts()]


def refine_and_unrefine(page: Page) -> None:
    """Click a facet value that narrows the search, see the chip, remove it again."""
    before = result_total(page)
    narrowing = [
        link
        for link in page.locator("aside.facets a.facet-value:not(.active):visible").all()
        if 0 < int(re.sub(r"\D", "", link.locator(".count").inner_text())) < before
    ]
    assert narrowing, f"no facet value narrows the {before} hits"
    value = narrowing[0]
    label = value.inner_text().rsplit(maxsplit=1)[0]  # "Stadtbibliothek Marl 12"
    expected = int(re.sub(r"\D", "", value.locator(".count").inner_text()))
    value.click()
    page.wait_for_load_state()
    assert result_total(page) == expected < before, "the facet's count is not what it finds"
    chips = page.locator("ul.chips a.chip")
    assert chips.count() == 1
    assert label in chips.first.inner_text()
    assert page.locator("aside.facets a.facet-value.active[aria-current=true]").count() == 1
    chips.first.click()
    page.wait_for_load_state()
    assert page.locator("ul.chips a.chip").count() == 0
    assert result_total(page) == before


def axe_verdict(page: Page) -> tuple[list[str], list[str]]:
    """axe-core (bundled, offline) on the page: serious or critical violations, and the rest."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    described = [
        (
            v["impact"],
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5]),
        )
        for v in violations
    ]
    serious = [text for impact, text in described if impact in SERIOUS]
    return serious, [text for impact, text in described if impact not in SERIOUS]


# --- searching --------------------------------------------------------------------------------


def test_a_patron_searches_refines_sorts_and_pages(new_page: NewPage, word: str) -> None:
    page = new_page()
    search_from_home(page, word)
    total = result_total(page)
    assert total > PAGE_SIZE
    assert page.locator("ol.hits li.hit").count() == PAGE_SIZE
    page.screenshot(path=artifacts_dir() / "search-results.png", full_page=True)

    refine_and_unrefine(page)

    page.locator("#sort").select_option("year_asc")
    page.locator("#result-options button[type=submit]").click()
    page.wait_for_url(re.compile(r"sort=year_asc"))
    assert page.locator("#sort").input_value() == "year_asc"
    first_page = years(page)
    assert first_page == sorted(first_page)

    page.locator("nav.pager a[rel=next]").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert "sort=year_asc" in page.url
    assert page.locator("nav.pager a[aria-current=page]").inner_text().strip().endswith("2")
    assert page.locator("ol.hits li.hit").count() == min(PAGE_SIZE, total - PAGE_SIZE)
    assert page.locator("ol.hits").get_attribute("start") == str(PAGE_SIZE + 1)
    second_page = years(page)
    assert second_page == sorted(second_page)
    assert not first_page or not second_page or first_page[-1] <= second_page[0]


def test_a_hit_opens_its_record_with_the_holdings(
    new_page: NewPage, word: str, demo_config: Config
) -> None:
    page = new_page()
    search_from_home(page, word)
    hit = page.locator("ol.hits li.hit h3 a").first
    title = hit.inner_text().strip()
    hit.click()
    page.wait_for_url(re.compile(r"/record/\d+(\?back=/search[^#]*)?$"))
    assert page.locator("h1").inner_text().startswith(title)
    rows = page.locator("table#holdings tbody tr")
    assert rows.count() >= 1
    names = {library.name for library in demo_config.libraries}
    for library in rows.locator("th[scope=row]").all_inner_texts():
        assert any(library.startswith(name) for name in names), f"{library!r} is no library"
    # the demo libraries have no live source: each status is the harvested one, with its age
    assert rows.locator("td .as-of").count() == rows.count()
    page.screenshot(path=artifacts_dir() / "record.png", full_page=True)


def test_searching_and_refining_work_without_javascript(new_page: NewPage, word: str) -> None:
    page = new_page(java_script_enabled=False)
    search_from_home(page, word)
    assert page.locator("#q-header").get_attribute("role") is None  # libnet.js did not run
    assert page.locator("ol.hits li.hit").count() == PAGE_SIZE
    refine_and_unrefine(page)
    page.locator("#sort").select_option("title")
    page.locator("#result-options button[type=submit]").click()
    page.wait_for_url(re.compile(r"sort=title"))
    page.locator("nav.pager a[rel=next]").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator("ol.hits li.hit").count() >= 1


# --- language ---------------------------------------------------------------------------------


def test_the_language_link_switches_to_english_and_it_stays(new_page: NewPage) -> None:
    page = new_page()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("h1").inner_text() == (
        "Die öffentlichen Bibliotheken im Kreis Recklinghausen durchsuchen"
    )
    page.locator("header nav a[hreflang=en]").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Search the public libraries of Kreis Recklinghausen"
    assert page.locator("a.skip-link").inner_text() == "Skip to content"

    page.locator("header nav a", has_text="Libraries").click()
    page.wait_for_url("**/libraries")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "The libraries"
    assert page.locator("header nav a[hreflang=de]").inner_text() == "Deutsch"


# --- keyboard ---------------------------------------------------------------------------------


def test_a_keyboard_user_searches_with_completion_and_opens_a_record(
    new_page: NewPage, word: str
) -> None:
    page = new_page()
    page.goto("/")
    keys = page.keyboard

    keys.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    ring = focus_ring(page)
    assert has_visible_focus(ring), f"no visible focus on {ring}"
    assert page.locator("a.skip-link").bounding_box()["x"] >= 0, "the skip link stays off-screen"
    keys.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    keys.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    ring = focus_ring(page)
    assert has_visible_focus(ring), f"no visible focus on {ring}"

    box = page.locator("#q")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "false"
    keys.type(word)
    listbox = page.locator("#" + box.get_attribute("aria-controls"))
    listbox.locator("[role=option]").first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-activedescendant") is None
    options = listbox.locator("[role=option]").all_inner_texts()
    announced = page.locator(".combobox [role=status]").first.inner_text()
    assert announced and (len(options) == 1 or str(len(options)) in announced), announced

    for key, index in (("ArrowDown", 0), ("ArrowDown", 1 % len(options)), ("ArrowUp", 0)):
        keys.press(key)
        active = box.get_attribute("aria-activedescendant")
        assert active == listbox.locator("[role=option]").nth(index).get_attribute("id")
        assert page.locator(f"#{active}").get_attribute("aria-selected") == "true"
        assert page.evaluate("document.activeElement.id") == "q", "focus left the search box"
    keys.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("aria-activedescendant") is None
    assert listbox.is_hidden()
    assert box.input_value() == word
    keys.press("ArrowDown")  # opens the list again on its first suggestion
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-activedescendant") == listbox.locator(
        "[role=option]"
    ).first.get_attribute("id")

    # libnet.js fills the box with the chosen suggestion and searches for it at once
    with page.expect_navigation():
        keys.press("Enter")
    assert page.locator("#q-header").input_value() == options[0]
    assert page.locator("ol.hits li.hit").count() >= 1, (
        f"the suggestion {options[0]!r} finds nothing"
    )

    first_hit = page.locator("ol.hits li.hit h3 a").first
    for _ in range(40):
        keys.press("Tab")
        if page.evaluate("document.activeElement === document.querySelector('ol.hits li.hit a')"):
            break
    else:
        raise AssertionError(f"40 Tabs did not reach the first hit; focus is on {focus_ring(page)}")
    ring = focus_ring(page)
    assert has_visible_focus(ring), f"no visible focus on {ring}"
    title = first_hit.inner_text().strip()
    with page.expect_navigation():
        keys.press("Enter")
    assert re.search(r"/record/\d+(\?back=/search[^#]*)?$", page.url)
    assert page.locator("h1").inner_text().startswith(title)


# --- accessibility ----------------------------------------------------------------------------

A11Y_PAGES = {
    "home": "/",
    "search results": "/search?q={word}",
    "record": "/record/{record_id}",
    "libraries": "/libraries",
    "not found": "/no-such-page",
}


@pytest.mark.parametrize("name", A11Y_PAGES)
def test_page_has_no_serious_accessibility_violations(
    new_page: NewPage, name: str, word: str, record_id: int
) -> None:
    path = A11Y_PAGES[name].format(word=word, record_id=record_id)
    page = new_page(expected_404=("/no-such-page",))
    page.goto(path)
    serious, others = axe_verdict(page)
    assert not serious, f"axe on {path}:\n" + "\n".join(serious + others)
    if others:
        print(f"axe on {path}, minor:\n" + "\n".join(others))


def test_open_suggestion_list_has_no_serious_accessibility_violations(
    new_page: NewPage, word: str
) -> None:
    page = new_page()
    page.goto("/")
    page.locator("#q").press_sequentially(word)
    page.locator("#q-suggestions [role=option]").first.wait_for()
    page.keyboard.press("ArrowDown")
    serious, others = axe_verdict(page)
    assert not serious, "axe with the suggestions open:\n" + "\n".join(serious + others)


@pytest.mark.parametrize("name", ["home", "search results", "record"])
def test_page_needs_no_horizontal_scrolling_at_320_px(
    new_page: NewPage, name: str, word: str, record_id: int
) -> None:
    page = new_page(viewport={"width": NARROW, "height": 640})
    page.goto(A11Y_PAGES[name].format(word=word, record_id=record_id))
    wide = scrolls_sideways(page, NARROW)
    assert not wide, wide


def test_pages_name_an_icon_the_browser_can_load(new_page: NewPage, base_url: str) -> None:
    """Without <link rel=icon>, browsers ask for /favicon.ico: a 404 is a console error."""
    page = new_page()
    page.goto("/")
    icons = page.locator("link[rel~=icon]")
    href = icons.first.get_attribute("href") if icons.count() else "/favicon.ico"
    if href.startswith("data:"):
        return
    status = page.request.get(href if "://" in href else base_url + href).status
    assert status == 200, f"the icon {href} answers {status}"
