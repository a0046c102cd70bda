"""The patron desk in a real browser on a phone-width screen: a librarian of Datteln finds a
patron and orders a title for her, and nothing scrolls sideways on the way. The patron's
notice arrives at a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from libnet import loans
from libnet.config import MailConfig
from tests.libnet.test_loans import PASSWORD
from tests.peers.smtp import SmtpServer
from tests.webapp.browser import Watch, artifacts_dir, fill_login, scrolls_sideways, served
from tests.webapp.test_loan_browser import mail_to
from tests.webapp.test_loans_api import PATRON_EMAIL, Served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
PHONE = 375


def too_wide(page: Page) -> list[str]:
    """What makes the page scroll sideways at the phone's width (nothing, we hope)."""
    found = scrolls_sideways(page, PHONE)
    return [found] if found else []


def test_a_librarian_finds_a_patron_and_orders_for_her_on_a_phone(
    browser: Browser, tmp_path: Path, smtp: SmtpServer
) -> None:
    network = Served(tmp_path, mail=MailConfig(host="127.0.0.1", port=smtp.port, timeout=5.0))
    with served(network.client.application) as base_url:
        context = browser.new_context(base_url=base_url, locale="en-GB",
                                      viewport={"width": PHONE, "height": 800})  # fmt: skip
        context.set_default_timeout(10_000)
        watch = Watch()
        watch.attach(context)
        page = context.new_page()
        fill_login(page, "Team datteln", PASSWORD)
        page.wait_for_url(base_url + "/")
        page.goto("/?lang=en")
        wide = []
        page.get_by_role("link", name="Loan requests").click()
        page.get_by_role("link", name="Patrons").click()
        page.locator("#patron-q").fill("schmidt")
        page.get_by_role("button", name="Find").click()
        wide += too_wide(page)
        page.get_by_role("link", name="Anna Schmidt").click()
        assert "D100" in page.locator("dl.patron-facts").inner_text()
        wide += too_wide(page)
        page.goto(f"/record/{network.cluster}")
        form = page.locator("form.desk-order-form")
        form.locator("#desk-card").fill("D100")
        form.locator("#desk-pickup").select_option("datteln")
        wide += too_wide(page)
        form.get_by_role("button", name="Order for this patron").click()
        page.wait_for_url(f"**/staff/patrons/{network.patron.id}")
        assert "Ordered for Anna Schmidt" in page.locator(".flash--success").inner_text()
        assert "Die Vermessung der Welt" in page.locator("table.patron-requests").inner_text()
        wide += too_wide(page)
        page.screenshot(path=str(artifacts_dir() / "patron-desk-phone.png"), full_page=True)
        with network.engine.connect() as conn:
            [placed] = loans.requests(conn, patron_id=network.patron.id)
            [event] = loans.history(conn, placed.id)
        assert event.user_id == network.staff["datteln"].id
        [told] = mail_to(smtp, PATRON_EMAIL, 1)  # the patron hears of it as usual
        assert "Die Vermessung der Welt" in told.message["Subject"]
        context.close()
        network.client.application.extensions["libnet"].wait_for_notices()
    assert not wide, "\n".join(wide)
    assert not watch.problems(), "\n".join(watch.problems())
