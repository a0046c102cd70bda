"""The whole life of a loan request in a real browser, each person in a browser of their own.

A patron of Datteln orders a title that Herten and Marl lend. Herten, asked first, cannot
supply it; Marl prints the pull slip and ships it; Datteln receives it and hands it over; the
patron brings it back, Datteln sends it back and Marl takes it back: completed. Every step is
a click on the pages, as the people do it; the store is only read to check. The notices the
steps cause arrive at a real SMTP server on 127.0.0.1, sent by the web app in the background.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from libnet import loans
from libnet.config import MailConfig
from libnet.loans.states import State
from tests.libnet.test_loans import PASSWORD
from tests.peers.smtp import Received, SmtpServer
from tests.webapp.browser import Watch, artifacts_dir, fill_login, served
from tests.webapp.test_loans_api import PATRON_EMAIL, Served

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser


@pytest.fixture
def network(tmp_path: Path, smtp: SmtpServer) -> Served:
    return Served(tmp_path, mail=MailConfig(host="127.0.0.1", port=smtp.port, timeout=5.0))


def mail_to(smtp: SmtpServer, address: str, count: int, timeout: float = 15.0) -> list[Received]:
    """The messages for `address` once there are `count` (or when `timeout` seconds passed)."""
    deadline = time.monotonic() + timeout
    while len(smtp.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return smtp.to(address)


class People:
    """A browser context per person, each logged in; every context is watched."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self.contexts: list[tuple[object, Watch]] = []

    def log_in(self, login: str, library: str = "") -> Page:
        context = self.browser.new_context(base_url=self.base_url, locale="en-GB")
        context.set_default_timeout(10_000)
        watch = Watch()
        watch.attach(context)
        self.contexts.append((context, watch))
        page = context.new_page()
        fill_login(page, login, PASSWORD, library)
        page.wait_for_url(self.base_url + "/")
        page.goto("/?lang=en")  # the browser's English over the account's German
        return page

    def problems(self) -> list[str]:
        found = []
        for context, watch in self.contexts:
            context.close()
            found += watch.problems()
        return found


def press(page: Page, loan_id: int, action_label: str, **fill: str) -> None:
    """On the request's page: fill the action's fields and press its button."""
    page.goto(f"/staff/requests/{loan_id}")
    form = page.locator("form.action-form").filter(
        has=page.get_by_role("button", name=action_label, exact=True)
    )
    for selector, value in fill.items():
        field = form.locator(f"[name={selector}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.get_by_role("button", name=action_label, exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".flash--success").count() == 1, page.locator(".flash").all_inner_texts()


def state(network: Served, loan_id: int) -> loans.LoanRequest:
    with network.engine.connect() as conn:
        return loans.get(conn, loan_id)


def test_a_request_from_order_to_completion(
    browser: Browser, network: Served, smtp: SmtpServer
) -> None:
    with served(network.client.application) as base_url:
        people = People(browser, base_url)
        patron = people.log_in("D100", library="datteln")
        patron.goto(f"/record/{network.cluster}")
        patron.locator("#pickup").select_option("datteln")
        patron.get_by_role("button", name="Order this title").click()
        patron.wait_for_url("**/account/requests")
        assert "asked at a library" in patron.locator("ol.my-requests").inner_text()
        with network.engine.connect() as conn:
            [placed] = loans.requests(conn, patron_id=network.patron.id)
        assert placed.supplier == "herten"
        [told] = mail_to(smtp, PATRON_EMAIL, 1)
        assert (
            told.message["Subject"] == 'Your interlibrary loan request: "Die Vermessung der Welt"'
        )
        [asked] = mail_to(smtp, "herten@bibliothek.example", 1)
        assert f"/staff/requests/{placed.id}" in asked.body

        herten = people.log_in("Team herten")
        herten.get_by_role("link", name="Loan requests").click()
        herten.get_by_role("link", name="Die Vermessung der Welt").first.click()
        assert "Anna Schmidt" not in herten.content()  # the supplier never sees the patron
        press(herten, placed.id, "Cannot supply", reason="on_loan", note="bis Januar entliehen")
        assert state(network, placed.id).supplier == "marl"
        [asked] = mail_to(smtp, "marl@bibliothek.example", 1)
        assert asked.message["Subject"].startswith(f"Neue Fernleihbestellung {placed.id}")

        marl = people.log_in("Team marl")
        marl.goto("/staff/requests?side=incoming")
        assert marl.locator(f"a[href='/staff/requests/{placed.id}']").count() == 2
        marl.get_by_role("link", name="Pull slips").click()
        marl.wait_for_url("**/staff/pull-slips**")
        slip = marl.locator("article.slip")
        slip.first.wait_for()  # count() does not wait for the page
        assert slip.count() == 1 and "Rom Keh" in slip.inner_text()
        assert "Datteln" in slip.inner_text()
        marl.emulate_media(media="print")
        assert not marl.locator("header.site-header").is_visible()  # the slips print alone
        marl.screenshot(path=str(artifacts_dir() / "pull-slips-print.png"), full_page=True)
        marl.emulate_media(media="screen")
        press(marl, placed.id, "Will supply")
        proposed = marl.locator("form.action-form [name=due_date]").input_value()
        assert proposed  # the loan period proposed from Marl's settings
        press(marl, placed.id, "Shipped")
        shipped = state(network, placed.id)
        assert (shipped.state, shipped.due_date) == (State.LOANED, proposed)

        datteln = people.log_in("Team datteln")
        datteln.goto("/staff/requests?side=outgoing")
        datteln.locator(f"input[name=pick][value='{placed.id}:{shipped.version}']").check()
        datteln.locator("#batch-action").select_option("receive")
        datteln.get_by_role("button", name="Apply").click()
        datteln.wait_for_load_state()
        assert "1 request: Received." in datteln.locator(".flash--success").inner_text()
        patron.goto("/account/requests")
        assert "ready for pickup" in patron.locator("ol.my-requests").inner_text()
        ready = mail_to(smtp, PATRON_EMAIL, 2)[-1]
        assert ready.message["Subject"] == 'Ready for you to collect: "Die Vermessung der Welt"'
        assert "Datteln" in ready.body and ready.message["Content-Language"] == "en"
        press(datteln, placed.id, "Handed to the patron")
        press(datteln, placed.id, "Returned by the patron")
        press(datteln, placed.id, "Shipped back")

        press(marl, placed.id, "Received back")
        assert state(network, placed.id).state is State.LOAN_COMPLETED
        history = marl.locator("table.history").inner_text()
        for step in ("Placed", "Cannot supply", "Will supply", "Shipped", "Received",
                     "Handed to the patron", "Returned by the patron", "Shipped back",
                     "Received back"):  # fmt: skip
            assert step in history
        assert "Reason: on loan; bis Januar entliehen" in history
        marl.screenshot(path=str(artifacts_dir() / "request-history.png"), full_page=True)
        patron.goto("/account/requests")
        assert "completed" in patron.locator("ol.my-requests").inner_text()
        problems = people.problems()
        network.client.application.extensions["libnet"].wait_for_notices()
    # nothing else was mailed: the steps after pickup tell nobody
    received = [PATRON_EMAIL, "herten@bibliothek.example", "marl@bibliothek.example"]
    assert [len(smtp.to(address)) for address in received] == [2, 1, 1]
    assert len(smtp.messages) == 4
    assert not problems, "the browser saw:\n" + "\n".join(problems)


def test_the_queue_keeps_each_label_beside_its_field_on_a_phone_and_a_desk(
    browser: Browser, tmp_path: Path
) -> None:
    """At 375 px each card's checkbox has its words beside it and each filter's label stays
    with its list; at 1280 px the checkbox column is the box alone, the filters one row."""
    network = Served(tmp_path)
    request = network.place(now=datetime.now(UTC))
    network.act(request, "will_supply", network.staff["herten"], now=datetime.now(UTC))
    with served(network.client.application) as base_url:
        people = People(browser, base_url)
        herten = people.log_in("Team herten")
        herten.set_viewport_size({"width": 375, "height": 800})
        herten.goto("/staff/requests?side=incoming")
        box, words = (herten.locator(f"label.pick-label {part}").bounding_box()
                      for part in ("input", ".pick-text"))  # fmt: skip
        assert words["width"] > 50, "the checkbox's words are hidden on a phone"
        assert words["x"] > box["x"] + box["width"] - 1  # beside it, on its line
        assert abs((box["y"] + box["height"] / 2) - (words["y"] + words["height"] / 2)) < 8
        for name in ("state", "partner"):
            label = herten.locator(f"label[for={name}-filter]").bounding_box()
            field = herten.locator(f"#{name}-filter").bounding_box()
            assert field["y"] < label["y"] + label["height"], f"{name}: list below its label"
            assert field["x"] + field["width"] <= 375
        herten.get_by_text(f"Check request {request.id}").click()  # the words check the box
        assert herten.locator(f"#pick-{request.id}").is_checked()
        herten.set_viewport_size({"width": 1280, "height": 800})
        assert herten.locator("label.pick-label .pick-text").bounding_box()["width"] <= 1
        rows = {
            round(herten.locator(f"#{n}-filter").bounding_box()["y"]) for n in ("state", "partner")
        }
        assert len(rows) == 1, "the filters wrap at 1280 px"
        problems = people.problems()
    assert not problems, "the browser saw:\n" + "\n".join(problems)
