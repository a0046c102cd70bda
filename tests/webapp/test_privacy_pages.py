"""Privacy on the web: the privacy page, "Konto löschen" for the patron and at the desk, and a
logged-in patron's home library first.

The network of tests/libnet/test_loans.py, served (tests/webapp/test_loans_api.py): Anna
Schmidt (D100) of Datteln, Carla Marl (M300) of Marl, "Team <code>" for each library's staff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from libnet import accounts, loans
from tests.webapp.test_loans_api import LOANS, Served
from tests.webapp.test_login import csrf_token, log_in
from tests.webapp.test_pages import page, text, with_class


@pytest.fixture
def served(tmp_path: Path) -> Served:
    return Served(tmp_path)


def account(served: Served, user_id: int) -> accounts.Account:
    with served.engine.connect() as conn:
        found = accounts.get_user(conn, user_id)
    assert found is not None
    return found


def confirm(client: FlaskClient, path: str, **more: str):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **more})


# --------------------------------------------------------------------------- /privacy


def test_the_privacy_page_says_what_is_kept_how_long_in_english_and_german(
    served: Served,
) -> None:
    days = served.client.application.extensions["libnet"].config.loans.anonymise_after_days
    english = text(page(served.client, "/privacy?lang=en"))
    for said in ("What is stored about you", "library card number", "the name of the browser",
                 f"Requests and their history: {days} days after a request ended",
                 "Failed logins: 30 days", "never stores it", "never your name",
                 "Deleting your account"):  # fmt: skip
        assert said in english, said
    german = text(page(served.client, "/privacy?lang=de"))
    for said in ("Was über Sie gespeichert wird", f"{days} Tage", "Fehlgeschlagene Anmeldungen",
                 "nie gespeichert", "Konto löschen"):  # fmt: skip
        assert said in german, said
    footer = page(served.client, "/").xpath(f"//footer[{with_class('site-footer')}]//a/@href")
    assert "/privacy" in footer


# --------------------------------------------------------------------------- the patron


def test_a_patron_deletes_their_account_once_no_request_is_open(served: Served) -> None:
    client = served.client
    loan = served.placed()
    log_in(client, "D100")
    shown = text(page(client, "/account/delete?lang=en"))
    assert "You still have open requests" in shown and "Die Vermessung der Welt" in shown
    refused = confirm(client, "/account/delete", confirm="y")
    assert refused.status_code == 409
    assert f"requests are open: no. {loan['id']} “Die Vermessung der Welt”" in refused.get_data(
        as_text=True)  # fmt: skip
    assert account(served, served.patron.id).name == "Anna Schmidt"

    cancelled = served.call("POST", f"{LOANS}/{loan['id']}/transitions", "patron",
                            {"action": "patron_cancel", "version": loan["version"]})  # fmt: skip
    assert cancelled.status_code == 200, cancelled.json
    assert confirm(client, "/account/delete").status_code == 400  # not confirmed
    done = confirm(client, "/account/delete", confirm="y")
    assert (done.status_code, done.headers["Location"]) == (302, "/")
    gone = account(served, served.patron.id)
    assert (gone.deleted, gone.name, gone.card, gone.email) == (True, "", None, "")
    assert client.get("/account/requests").status_code == 302  # logged out
    with served.engine.connect() as conn:
        assert loans.get(conn, loan["id"]).patron_id is None


def test_staff_have_no_own_account_to_delete_here(served: Served) -> None:
    log_in(served.client, "Team datteln")
    assert served.client.get("/account/delete").status_code == 403
    anonymous = served.client.application.test_client()
    assert anonymous.get("/account/delete").headers["Location"].startswith("/login")


# --------------------------------------------------------------------------- the desk


def test_a_librarian_deletes_only_a_patron_of_their_own_library(served: Served) -> None:
    path = f"/staff/patrons/{served.patron.id}/delete"
    log_in(served.client, "Team marl")
    assert served.client.get(path).status_code == 403
    refused = served.client.post(path, data={"csrf_token": csrf_token(served.client, "/login"),
                                             "confirm": "y"})  # fmt: skip
    assert refused.status_code == 403 and account(served, served.patron.id).name == "Anna Schmidt"

    desk = served.client.application.test_client()
    log_in(desk, "Team datteln")
    shown = text(page(desk, path + "?lang=en"))
    assert "Anna Schmidt" in shown and "D100" in shown
    staff_id = served.staff["datteln"].id
    assert desk.get(f"/staff/patrons/{staff_id}/delete").status_code == 404  # not a patron
    done = confirm(desk, path, confirm="y")
    assert (done.status_code, done.headers["Location"]) == (302, "/staff/patrons")
    assert account(served, served.patron.id).deleted
    assert "This account was deleted." in text(page(desk, path + "?lang=en"))


def test_the_request_page_shows_an_anonymised_request_without_its_patron(served: Served) -> None:
    loan = served.placed()
    served.call("POST", f"{LOANS}/{loan['id']}/transitions", "patron",
                {"action": "patron_cancel", "version": loan["version"]})  # fmt: skip
    log_in(served.client, "Team datteln")
    detail = f"/staff/requests/{loan['id']}?lang=en"
    assert "Anna Schmidt" in text(page(served.client, detail))
    assert confirm(served.client, f"/staff/patrons/{served.patron.id}/delete", confirm="y")
    shown = text(page(served.client, detail))
    assert "Patron anonymised" in shown and "Anna Schmidt" not in shown
    listed = served.call("GET", LOANS, "datteln_staff").json["loans"]
    assert [(item["id"], item["patron"]) for item in listed] == [(loan["id"], None)]


# --------------------------------------------------------------------------- the home library


def test_a_logged_in_patrons_library_comes_first_and_is_the_pickup_library(
    served: Served,
) -> None:
    record = f"/record/{served.cluster}?lang=en"
    search = '/search?q="Die Vermessung der Welt"&lang=en'

    def first_holdings(client: FlaskClient) -> tuple[str, str]:
        held = page(client, record).xpath("//table[@id='holdings']/tbody/tr/th")[0]
        hit = page(client, search).xpath(f"//ul[{with_class('hit-holdings')}]/li")[0]
        return text(held), text(hit)

    anonymous = served.client.application.test_client()
    assert not first_holdings(anonymous)[0].startswith("Marl")
    assert not first_holdings(anonymous)[1].startswith("Marl")
    marl = served.client.application.test_client()
    log_in(marl, "M300")
    on_record, in_hits = first_holdings(marl)
    assert on_record == "Marl my library" and in_hits.startswith("Marl")
    assert page(marl, record + "&home=herten").xpath("//table[@id='holdings']/tbody/tr/th")[
        0].text_content().startswith("Herten")  # a choice on this device wins  # fmt: skip

    log_in(served.client, "D100")
    form = page(served.client, record)
    assert form.xpath("//select[@id='pickup']/option[@selected]/@value") == ["datteln"]
