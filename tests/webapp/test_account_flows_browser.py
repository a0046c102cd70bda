"""The account flows of issue 15 in a real browser on a phone-width screen, in German and
in English: a patron sets a forgotten password anew through the mail, changes her e-mail
address and language and asks for a renewal; a librarian makes a patron's account, finds her,
orders for her at the desk and sees her in the outgoing queue. Nothing may reach past the
phone's width on any page on the way; the mails arrive at a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, update

from libnet import accounts, loans
from libnet.accounts.model import password_matches
from libnet.config import MailConfig
from libnet.store.schema import users
from tests.libnet.test_loans import PASSWORD
from tests.peers.smtp import Received, SmtpServer
from tests.webapp.browser import Watch, artifacts_dir, fill_login, served, wider_than
from tests.webapp.test_loan_browser import mail_to
from tests.webapp.test_loans_api import PATRON_EMAIL, Served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser
PHONE = 375
NEW_PASSWORD = "neues-pferd-42"
RESET_LINK = re.compile(r"/password/reset/[A-Za-z0-9_.\-]+")
# what the pages say, in the language the browser chose
SAYS = {
    "de": {"forgot": "Passwort vergessen?", "send": "Link schicken",
           "set": "Passwort festlegen", "account": "Mein Konto", "save": "Speichern",
           "renew": "Verlängerung erbitten", "renewing": "Verlängerung angefragt",
           "make": "Konto anlegen", "find": "Finden", "order": "Für diese Person bestellen"},
    "en": {"forgot": "Forgotten your password?", "send": "Send me a link",
           "set": "Set the password", "account": "My account", "save": "Save",
           "renew": "Ask for a renewal", "renewing": "renewal asked for",
           "make": "Make the account", "find": "Find", "order": "Order for this patron"},
}  # fmt: skip
OTHER = {"de": "en", "en": "de"}


@pytest.fixture
def network(tmp_path: Path, smtp: SmtpServer) -> Served:
    return Served(tmp_path, mail=MailConfig(host="127.0.0.1", port=smtp.port, timeout=5.0))


class Phone:
    """Browser contexts at a phone's width in one language; each page looked at is measured."""

    def __init__(self, browser: Browser, base_url: str, language: str) -> None:
        self.browser, self.base_url, self.language = browser, base_url, language
        self.contexts: list[tuple[BrowserContext, Watch]] = []
        self.too_wide: list[str] = []

    def page(self) -> Page:
        locale = {"de": "de-DE", "en": "en-GB"}[self.language]
        context = self.browser.new_context(base_url=self.base_url, locale=locale,
                                           viewport={"width": PHONE, "height": 800})  # fmt: skip
        context.set_default_timeout(10_000)
        watch = Watch()
        watch.attach(context)
        self.contexts.append((context, watch))
        page = context.new_page()
        page.goto(f"/?lang={self.language}")  # remembered in a cookie from here on
        return page

    def measure(self, page: Page) -> None:
        """The page is in the chosen language and nothing reaches past the phone's width."""
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == self.language, page.url
        wide = wider_than(page, PHONE)
        if wide:
            name = re.sub(r"\W+", "-", page.url.removeprefix(self.base_url)).strip("-")
            page.screenshot(path=str(artifacts_dir() / f"flows-{self.language}-{name}.png"))
            self.too_wide.append(f"{page.url}: {wide}")

    def problems(self) -> list[str]:
        found = list(self.too_wide)
        for context, watch in self.contexts:
            context.close()
            found += watch.problems()
        return found


def reset_mail(smtp: SmtpServer, address: str, timeout: float = 15.0) -> Received:
    """The mail with the reset link (the loan's notices may come to the same address)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in smtp.to(address):
            if RESET_LINK.search(message.body):
                return message
        time.sleep(0.05)
    raise AssertionError(f"no reset link among {[m.message['Subject'] for m in smtp.messages]}")


def on_loan_to_the_patron(network: Served) -> loans.LoanRequest:
    """A loan of Anna Schmidt's that Herten shipped and Datteln handed over to her."""
    herten, datteln = network.staff["herten"], network.staff["datteln"]
    request = network.act(network.place(), "will_supply", herten)
    request = network.act(request, "ship", herten, details={"due_date": "2027-01-11"})
    return network.act(network.act(request, "receive", datteln), "hand_to_patron", datteln)


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_patron_resets_her_password_changes_email_and_language_and_renews_on_a_phone(
    browser: Browser, network: Served, smtp: SmtpServer, language: str
) -> None:
    says = SAYS[language]
    loan = on_loan_to_the_patron(network)
    # her account speaks the other language till she changes it on /account
    with network.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == network.patron.id)
                     .values(language=OTHER[language]))  # fmt: skip
    with served(network.client.application) as base_url:
        phone = Phone(browser, base_url, language)
        page = phone.page()
        page.goto("/login")
        phone.measure(page)
        page.get_by_role("link", name=says["forgot"]).click()
        page.wait_for_url("**/password/forgot")
        phone.measure(page)
        page.locator("#library").select_option("datteln")
        page.locator("#login").fill("D100")
        page.get_by_role("button", name=says["send"]).click()
        page.wait_for_load_state()
        assert page.locator(".flash--success").count() == 1
        phone.measure(page)

        [link] = RESET_LINK.findall(reset_mail(smtp, PATRON_EMAIL).body)
        page.goto(link)
        phone.measure(page)
        page.locator("#new").fill(NEW_PASSWORD)
        page.locator("#repeat").fill(NEW_PASSWORD)
        page.get_by_role("button", name=says["set"]).click()
        page.wait_for_url("**/login")
        assert page.locator(".flash--success").count() == 1
        phone.measure(page)
        with network.engine.connect() as conn:  # the old password is gone
            stored = conn.scalar(
                select(users.c.password_hash).where(users.c.id == network.patron.id)
            )
        assert password_matches(stored, NEW_PASSWORD)
        assert not password_matches(stored, PASSWORD)
        fill_login(page, "D100", NEW_PASSWORD, "datteln")
        page.wait_for_url(base_url + "/")

        page.locator("header a[href='/account']").click()
        page.wait_for_url("**/account")
        assert page.locator("h1").inner_text() == says["account"]
        phone.measure(page)
        page.locator("#email").fill("anna.neu@example.org")
        page.locator("#language").select_option(language)
        page.get_by_role("button", name=says["save"]).click()
        page.wait_for_load_state()
        assert page.locator(".flash--success").count() == 1
        phone.measure(page)
        with network.engine.connect() as conn:
            saved = accounts.find_user(conn, "D100")
        assert (saved.email, saved.language) == ("anna.neu@example.org", language)

        page.goto("/account/requests")
        phone.measure(page)
        mine = page.locator(f"#request-{loan.id}")
        mine.get_by_role("button", name=says["renew"]).click()
        page.wait_for_load_state()
        assert says["renewing"] in mine.inner_text()
        assert mine.get_by_role("button", name=says["renew"]).count() == 0  # asked once
        phone.measure(page)
        with network.engine.connect() as conn:
            assert loans.get(conn, loan.id).renewal_pending
            assert loans.history(conn, loan.id)[-1].action == "renew"
        page.screenshot(path=str(artifacts_dir() / f"flows-{language}-renewed.png"), full_page=True)
        problems = phone.problems()
        network.client.application.extensions["libnet"].wait_for_notices()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_librarian_makes_an_account_finds_the_patron_orders_and_sees_her_on_a_phone(
    browser: Browser, network: Served, smtp: SmtpServer, language: str
) -> None:
    says = SAYS[language]
    with served(network.client.application) as base_url:
        phone = Phone(browser, base_url, language)
        page = phone.page()
        fill_login(page, "Team datteln", PASSWORD)
        page.wait_for_url(base_url + "/")
        page.goto("/staff/patrons")
        phone.measure(page)
        page.locator("#new-card").fill("D300")
        page.locator("#new-name").fill("Clara Theke")
        page.locator("#new-email").fill("clara.theke@example.org")
        page.locator("#new-language").select_option(language)
        page.get_by_role("button", name=says["make"]).click()
        page.wait_for_load_state()
        phone.measure(page)
        shown = page.locator(".new-password")
        assert shown.locator("code.card-number").inner_text() == "D300"
        password = shown.locator("code.password").inner_text()
        assert len(password) >= 8

        page.goto("/staff/patrons")
        assert page.locator(".new-password").count() == 0  # shown only once
        page.locator("#patron-q").fill("theke")
        page.get_by_role("button", name=says["find"]).click()
        page.wait_for_load_state()
        phone.measure(page)
        page.get_by_role("link", name="Clara Theke").click()
        assert "D300" in page.locator("dl.patron-facts").inner_text()
        phone.measure(page)
        with network.engine.connect() as conn:
            clara = accounts.card_account(conn, "datteln", "D300")
        assert clara is not None and clara.email == "clara.theke@example.org"

        page.goto(f"/record/{network.cluster}")
        phone.measure(page)
        form = page.locator("form.desk-order-form")
        form.locator("#desk-card").fill("D300")
        form.locator("#desk-pickup").select_option("datteln")
        form.get_by_role("button", name=says["order"]).click()
        page.wait_for_url(f"**/staff/patrons/{clara.id}")
        assert page.locator(".flash--success").count() == 1
        assert "Die Vermessung der Welt" in page.locator("table.patron-requests").inner_text()
        phone.measure(page)

        page.goto("/staff/requests?side=outgoing")
        phone.measure(page)
        assert page.locator("td.queue-patron").all_inner_texts() == ["Clara Theke · D300"]
        page.screenshot(path=str(artifacts_dir() / f"flows-{language}-queue.png"), full_page=True)

        her = phone.page()  # the password shown once lets her in
        fill_login(her, "D300", password, "datteln")
        her.wait_for_url(base_url + "/")
        her.goto("/account/requests")
        phone.measure(her)
        assert "Die Vermessung der Welt" in her.locator("ol.my-requests").inner_text()
        problems = phone.problems()
        network.client.application.extensions["libnet"].wait_for_notices()
    [told] = mail_to(smtp, "clara.theke@example.org", 1)
    assert "Die Vermessung der Welt" in told.message["Subject"]
    assert not problems, "\n".join(problems)
