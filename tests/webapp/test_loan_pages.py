"""A patron orders a title on its record page, sees it under My requests and cancels it."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from libnet import loans
from tests.webapp.test_loans_api import Served
from tests.webapp.test_login import log_in

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def served(tmp_path: Path) -> Served:
    return Served(tmp_path)


def record_page(served: Served) -> str:
    return served.client.get(f"/record/{served.cluster}?lang=en").get_data(as_text=True)


def order(served: Served, pickup: str = "datteln"):
    token = TOKEN.search(record_page(served)).group(1)
    data = {"csrf_token": token, "pickup": pickup}
    return served.client.post(f"/record/{served.cluster}/request", data=data)


def test_a_visitor_is_asked_to_log_in_to_order(served: Served) -> None:
    page = record_page(served)
    assert "Order from another library" in page
    assert f'href="/login?next=/record/{served.cluster}"' in page


def test_a_patron_orders_the_title_and_finds_it_under_my_requests(served: Served) -> None:
    log_in(served.client, "D100")
    page = record_page(served)
    assert 'action="/record/' in page and '<option value="datteln" selected>' in page
    answer = order(served)
    assert answer.status_code == 302 and answer.headers["Location"] == "/account/requests"
    mine = served.client.get("/account/requests?lang=en").get_data(as_text=True)
    assert "is on its way to a library" in mine
    assert "Die Vermessung der Welt" in mine and "asked at a library" in mine
    with served.engine.connect() as conn:
        [placed] = loans.requests(conn, patron_id=served.patron.id)
    assert (placed.supplier, placed.pickup_library) == ("herten", "datteln")


def test_once_ordered_the_record_page_says_when_instead_of_offering_the_order_again(
    served: Served,
) -> None:
    log_in(served.client, "D100")
    order(served)
    page = record_page(served)
    assert 'class="order-form"' not in page
    with served.engine.connect() as conn:
        [placed] = loans.requests(conn, patron_id=served.patron.id)
    day = placed.created_at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%b %-d, %Y")
    assert f"Ordered on {day}." in page and 'href="/account/requests"' in page
    german = served.client.get(f"/record/{served.cluster}?lang=de").get_data(as_text=True)
    assert "Bestellt am " in german


def test_cancelling_asks_first(served: Served) -> None:
    log_in(served.client, "D100")
    order(served)
    mine = served.client.get("/account/requests?lang=en").get_data(as_text=True)
    question = re.search(r'<details class="confirm">(.*?)</details>', mine, re.S).group(1)
    assert "Cancel this request?" in question and "/cancel" in question
    assert "Yes, cancel the request" in question


def test_a_second_order_of_the_same_title_is_refused_politely(served: Served) -> None:
    log_in(served.client, "D100")
    order(served)
    answer = order(served)
    assert answer.headers["Location"] == f"/record/{served.cluster}"
    assert "on request or on loan already" in record_page(served)


def test_a_patron_whose_library_has_it_on_the_shelf_is_told_so(served: Served) -> None:
    log_in(served.client, "M300")
    page = record_page(served)
    assert "Your library has a copy on the shelf" in page and "Order this title" not in page


def test_the_patron_cancels_a_request_not_yet_on_its_way(served: Served) -> None:
    log_in(served.client, "D100")
    order(served)
    mine = served.client.get("/account/requests?lang=en").get_data(as_text=True)
    action = re.search(r'action="(/account/requests/\d+/cancel)"', mine).group(1)
    token = TOKEN.search(mine).group(1)
    answer = served.client.post(action, data={"csrf_token": token, "version": "1"})
    assert answer.status_code == 302
    mine = served.client.get("/account/requests?lang=en").get_data(as_text=True)
    assert "The request is cancelled." in mine and "cancelled" in mine
    assert "/cancel" not in mine  # nothing left to cancel


def test_a_request_on_its_way_can_no_longer_be_cancelled(served: Served) -> None:
    """Found by tests/fuzz: loans.act's TransitionError is no LoanError and went up as a 500."""
    placed = served.place()
    herten = served.staff["herten"]
    shipped = served.act(served.act(placed, "will_supply", herten), "ship", herten,
                         details={"due_date": "2027-01-11"})  # fmt: skip
    log_in(served.client, "D100")
    token = TOKEN.search(record_page(served)).group(1)
    data = {"csrf_token": token, "version": str(shipped.version)}
    answer = served.client.post(f"/account/requests/{placed.id}/cancel", data=data)
    assert answer.status_code == 302
    mine = served.client.get("/account/requests?lang=en").get_data(as_text=True)
    assert "This request can no longer be cancelled." in mine


@pytest.mark.parametrize("version", ["²", "9" * 4301])
def test_a_version_that_is_no_number_is_an_expired_form(served: Served, version: str) -> None:
    """str.isdigit() says yes to "²", int() raised ValueError; it refuses 4301 digits too."""
    placed = served.place()
    log_in(served.client, "D100")
    token = TOKEN.search(record_page(served)).group(1)
    data = {"csrf_token": token, "version": version}
    assert served.client.post(f"/account/requests/{placed.id}/cancel", data=data).status_code == 302
    mine = served.client.get("/account/requests?lang=en").get_data(as_text=True)
    assert "The form had expired." in mine


def test_another_patron_cannot_cancel_it(served: Served) -> None:
    log_in(served.client, "D100")
    order(served)
    with served.engine.connect() as conn:
        [placed] = loans.requests(conn, patron_id=served.patron.id)
    served.client.post("/logout", data={"csrf_token": TOKEN.search(record_page(served)).group(1)})
    log_in(served.client, "D200")
    token = TOKEN.search(served.client.get("/account/requests").get_data(as_text=True)).group(1)
    answer = served.client.post(
        f"/account/requests/{placed.id}/cancel", data={"csrf_token": token, "version": "1"}
    )
    assert answer.status_code == 403


def test_staff_and_visitors_have_no_my_requests(served: Served) -> None:
    assert served.client.get("/account/requests").headers["Location"].startswith("/login")
    log_in(served.client, "Team herten")
    assert served.client.get("/account/requests").status_code == 403
    assert "Order from another library" not in record_page(served)
