"""Mein Konto in a real browser on a phone: a patron sets an e-mail address and English."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from libnet import accounts
from tests.libnet.test_loans import PASSWORD
from tests.webapp.browser import Watch, artifacts_dir, fill_login, scrolls_sideways, served
from tests.webapp.test_loans_api import Served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}


def assert_no_sideways_scroll(page: Page, name: str) -> None:
    """Nothing reaches past the phone's width; else a screenshot in the artifacts folder."""
    wide = scrolls_sideways(page, PHONE["width"])
    if wide:
        page.screenshot(path=str(artifacts_dir() / f"{name}.png"))
    assert not wide, wide


def test_a_patron_sets_email_and_language_on_a_phone(browser: Browser, tmp_path: Path) -> None:
    network = Served(tmp_path)
    with served(network.client.application) as base_url:
        context = browser.new_context(base_url=base_url, locale="de-DE", viewport=PHONE)
        context.set_default_timeout(10_000)
        watch = Watch()
        watch.attach(context)
        page = context.new_page()
        fill_login(page, "D100", PASSWORD, "datteln")
        page.wait_for_url(base_url + "/")
        page.locator("header a[href='/account']").click()
        page.wait_for_url(base_url + "/account")
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.locator("h1").inner_text() == "Mein Konto"
        assert page.locator("#no-email").is_visible()
        assert_no_sideways_scroll(page, "account-phone")
        page.locator("#email").fill("anna.schmidt@example.org")
        page.locator("#language").select_option("en")
        page.locator("form[action='/account/contact'] button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator(".flash--success").count() == 1
        assert page.locator("#no-email").count() == 0
        assert page.locator("h1").inner_text() == "My account"
        assert_no_sideways_scroll(page, "account-phone-saved")
        context.close()
    with network.engine.connect() as conn:
        saved = accounts.find_user(conn, "D100")
    assert (saved.email, saved.language) == ("anna.schmidt@example.org", "en")
    assert watch.problems() == []


def test_a_patron_keeps_a_title_and_saves_a_search_on_a_phone(
    browser: Browser, tmp_path: Path
) -> None:
    network = Served(tmp_path)
    with served(network.client.application) as base_url:
        context = browser.new_context(base_url=base_url, locale="de-DE", viewport=PHONE)
        context.set_default_timeout(10_000)
        watch = Watch()
        watch.attach(context)
        page = context.new_page()
        fill_login(page, "D100", PASSWORD, "datteln")
        page.wait_for_url(base_url + "/")
        page.goto("/search?q=Vermessung")
        page.locator("form.list-add button").first.click()
        page.wait_for_url(base_url + "/search?q=Vermessung")
        assert page.locator(".flash--success").count() == 1
        assert page.locator("form.list-add").count() == 0
        assert_no_sideways_scroll(page, "list-hits-phone")
        page.locator("p.listed a").first.click()
        page.wait_for_url(f"{base_url}/account/list#title-{network.cluster}")
        page.locator(f"#note-{network.cluster}").fill("Für das Referat")
        page.locator("form.note-form button").click()
        page.wait_for_load_state()
        assert page.locator(f"#note-{network.cluster}").input_value() == "Für das Referat"
        assert_no_sideways_scroll(page, "list-phone")
        page.goto("/search?q=Vermessung")
        page.locator("form.save-search button").click()
        page.wait_for_url(base_url + "/account/searches")
        page.locator(".saved-search form[action$='/alert/on'] button").click()
        page.wait_for_load_state()
        assert page.locator(".saved-search form[action$='/alert/off']").count() == 1
        assert_no_sideways_scroll(page, "searches-phone")
        context.close()
    assert watch.problems() == []
