"""Mein Konto: e-mail address and language, the password, the open sessions, a forgotten
password set anew through a mail that arrives at a real SMTP server, the patron's requests
with their history and a renewal."""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from libnet import accounts, loans
from libnet.accounts import reset, sessions
from libnet.config import MailConfig
from libnet.loans import notices
from libnet.patron_config import PatronsConfig
from libnet.store.schema import user_sessions
from tests.peers.smtp import Received, SmtpServer
from tests.webapp.test_loans_api import PATRON_EMAIL, Served
from tests.webapp.test_login import PASSWORD, csrf_token, log_in
from webapp import create_app

NEW_PASSWORD = "blaues-pferd-77"
RESET_LINK = re.compile(r"/password/reset/([A-Za-z0-9_.\-]+)")


@pytest.fixture
def served(tmp_path: Path) -> Served:
    return Served(tmp_path)


@pytest.fixture
def mailed(tmp_path: Path, smtp: SmtpServer) -> Served:
    """The network with mail on: Anna Schmidt (D100) has an address and reads English."""
    return Served(tmp_path, mail=MailConfig(host="127.0.0.1", port=smtp.port, timeout=5.0))


def post(client: FlaskClient, path: str, **data: str):
    return client.post(path, data={"csrf_token": csrf_token(client, "/account"), **data})


def account(served: Served, card: str = "D100") -> accounts.Account:
    with served.engine.connect() as conn:
        return accounts.find_user(conn, card)


def second_browser(served: Served, login: str = "D100") -> FlaskClient:
    other = served.client.application.test_client()
    log_in(other, login)
    return other


def logged_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def mails(smtp: SmtpServer, address: str, count: int, timeout: float = 15.0) -> list[Received]:
    deadline = time.monotonic() + timeout
    while len(smtp.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return smtp.to(address)


def test_the_header_leads_everyone_logged_in_to_my_account(served: Served) -> None:
    assert 'href="/account"' not in served.client.get("/").get_data(as_text=True)
    assert served.client.get("/account").headers["Location"] == "/login?next=/account"
    for login in ("D100", "Team herten"):
        client = second_browser(served, login)
        assert 'href="/account"' in client.get("/").get_data(as_text=True)
        page = client.get("/account").get_data(as_text=True)
        assert account(served, login).name in page


def test_a_patron_sets_email_and_language_and_pages_and_notices_follow(served: Served) -> None:
    log_in(served.client, "D100")
    page = served.client.get("/account").get_data(as_text=True)
    assert 'id="no-email"' in page and "D100" in page and "Datteln" in page
    answer = post(served.client, "/account/contact", email=" anna@example.org ", language="en")
    assert answer.status_code == 302 and answer.headers["Location"] == "/account"
    saved = account(served)
    assert (saved.email, saved.language) == ("anna@example.org", "en")
    page = served.client.get("/account").get_data(as_text=True)
    assert '<html lang="en">' in page and 'id="no-email"' not in page
    assert "anna@example.org" in page
    fresh = second_browser(served)  # another device, no language chosen there
    assert '<html lang="en">' in fresh.get("/", headers={"Accept-Language": "de"}).get_data(
        as_text=True
    )
    placed = served.place(patron=saved)
    with served.engine.connect() as conn:
        queued = [n for n in notices.list_notices(conn) if n.request_id == placed.id]
    [to_anna] = [n for n in queued if n.recipient == "anna@example.org"]
    assert to_anna.language == "en" and to_anna.subject.startswith("Your interlibrary loan")


def test_no_email_address_is_allowed_with_a_visible_warning(served: Served) -> None:
    log_in(served.client, "D100")
    post(served.client, "/account/contact", email="anna@example.org", language="de")
    answer = post(served.client, "/account/contact", email="", language="de")
    assert answer.status_code == 302 and account(served).email == ""
    assert 'id="no-email"' in served.client.get("/account").get_data(as_text=True)


@pytest.mark.parametrize("given", ["anna at example.org", "a@b.de, c@d.de", "a@b.de\nBcc: x@y.z"])
def test_an_address_that_is_not_one_is_refused(served: Served, given: str) -> None:
    log_in(served.client, "D100")
    answer = post(served.client, "/account/contact", email=given, language="en")
    assert answer.status_code == 400 and 'class="flash flash--error"' in answer.get_data(
        as_text=True
    )
    assert (account(served).email, account(served).language) == ("", "de")


def test_a_language_libnet_has_not_is_refused(served: Served) -> None:
    log_in(served.client, "D100")
    assert post(served.client, "/account/contact", email="", language="fr").status_code == 400
    assert account(served).language == "de"


def test_a_password_change_ends_a_saved_cookie_but_keeps_this_browser(served: Served) -> None:
    log_in(served.client, "D100")
    elsewhere = second_browser(served)
    answer = post(served.client, "/account/password", current=PASSWORD, new=NEW_PASSWORD,
                  repeat=NEW_PASSWORD)  # fmt: skip
    assert answer.status_code == 302
    assert logged_in(served.client) and not logged_in(elsewhere)
    with served.engine.connect() as conn:
        limits = sessions.Lifetimes.hours(8, 12)
        still_open = sessions.open_sessions(conn, account(served).id, limits, datetime.now(UTC))
    assert len(still_open) == 1
    fresh = served.client.application.test_client()
    assert log_in(fresh, "D100", PASSWORD).status_code == 401
    assert log_in(fresh, "D100", NEW_PASSWORD, address="10.1.1.2").status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "repeat"),
    [("falsches-pferd", NEW_PASSWORD, NEW_PASSWORD), (PASSWORD, NEW_PASSWORD, "anderes-pferd"),
     (PASSWORD, "kurz", "kurz")],
)  # fmt: skip
def test_a_wrong_current_password_or_a_bad_new_one_changes_nothing(
    served: Served, current: str, new: str, repeat: str
) -> None:
    log_in(served.client, "D100")
    elsewhere = second_browser(served)
    answer = post(served.client, "/account/password", current=current, new=new, repeat=repeat)
    assert answer.status_code == 400
    assert logged_in(served.client) and logged_in(elsewhere)
    assert log_in(served.client.application.test_client(), "D100", PASSWORD).status_code == 302


def test_the_open_sessions_are_listed_and_one_is_ended(served: Served) -> None:
    log_in(served.client, "D100")
    phone = served.client.application.test_client()
    phone_ua = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/131.0 Mobile Safari/537.36")  # fmt: skip
    data = {"login": "D100", "password": PASSWORD, "library": "datteln",
            "csrf_token": csrf_token(phone)}  # fmt: skip
    phone.post("/login", data=data, headers={"User-Agent": phone_ua})
    page = served.client.get("/account").get_data(as_text=True)
    assert "Chrome · Android" in page and page.count('class="this-device"') == 1
    with served.engine.connect() as conn:
        ids = conn.scalars(select(user_sessions.c.id).order_by(user_sessions.c.id)).all()
    _, phones = ids
    answer = post(served.client, f"/account/sessions/{phones}/end")
    assert answer.status_code == 302 and not logged_in(phone) and logged_in(served.client)
    assert post(served.client, f"/account/sessions/{phones}/end").status_code == 404


def test_nobody_ends_another_accounts_session(served: Served) -> None:
    bert = second_browser(served, "D200")
    log_in(served.client, "D100")
    with served.engine.connect() as conn:
        berts = conn.scalar(select(user_sessions.c.id).where(
            user_sessions.c.user_id == account(served, "D200").id))  # fmt: skip
    assert post(served.client, f"/account/sessions/{berts}/end").status_code == 404
    assert logged_in(bert)


def test_log_out_everywhere_else_keeps_only_this_browser(served: Served) -> None:
    log_in(served.client, "D100")
    others = [second_browser(served) for _ in range(2)]
    assert post(served.client, "/account/sessions/end-others").status_code == 302
    assert logged_in(served.client) and not any(logged_in(other) for other in others)


def forgot(client: FlaskClient, library: str, login: str, address: str = "10.2.2.2"):
    data = {
        "library": library,
        "login": login,
        "csrf_token": csrf_token(client, "/password/forgot"),
    }
    return client.post("/password/forgot", data=data, environ_base={"REMOTE_ADDR": address})


def test_a_forgotten_password_is_set_anew_through_the_mailed_link_once(
    mailed: Served, smtp: SmtpServer
) -> None:
    elsewhere = second_browser(mailed)
    answer = forgot(mailed.client, "datteln", "D100")
    assert answer.status_code == 200
    [mail] = mails(smtp, PATRON_EMAIL, 1)
    assert mail.message["Subject"] == "A new password for your library network account"
    token = RESET_LINK.search(mail.body).group(1)
    link = f"/password/reset/{token}"
    assert mailed.client.get(link).status_code == 200
    data = {
        "new": NEW_PASSWORD,
        "repeat": NEW_PASSWORD,
        "csrf_token": csrf_token(mailed.client, link),
    }
    done = mailed.client.post(link, data=data)
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert not logged_in(elsewhere)  # every session ended
    assert log_in(mailed.client, "D100", NEW_PASSWORD).status_code == 302
    again = mailed.client.application.test_client()
    assert again.get(link).status_code == 410
    assert again.post(link, data={**data, "new": "drittes-pferd", "repeat": "drittes-pferd",
                                  "csrf_token": csrf_token(again)}).status_code == 410  # fmt: skip
    assert log_in(again, "D100", NEW_PASSWORD, address="10.3.3.3").status_code == 302


def test_an_unknown_card_gets_the_same_answer_and_no_mail(mailed: Served, smtp: SmtpServer) -> None:
    known = forgot(mailed.client, "datteln", "D100")
    unknown = forgot(mailed.client, "datteln", "D999")
    wrong_library = forgot(mailed.client, "herten", "D100")
    no_email = forgot(mailed.client, "datteln", "D200")  # Bert Brecht has no address
    bodies = {a.get_data(as_text=True) for a in (known, unknown, wrong_library, no_email)}
    assert {a.status_code for a in (known, unknown, wrong_library, no_email)} == {200}
    assert len(bodies) == 1 and "/password/reset" not in bodies.pop()
    assert len(mails(smtp, PATRON_EMAIL, 1)) == 1
    mailed.client.application.extensions["libnet"].wait_for_notices()
    assert len(smtp.messages) == 1


def test_a_known_and_an_unknown_card_take_about_the_same_time(mailed: Served) -> None:
    took: dict[str, list[float]] = {"D100": [], "D999": []}
    for attempt in range(5):
        for card, times in took.items():
            started = time.perf_counter()
            forgot(mailed.client, "datteln", card, address=f"10.4.{attempt}.{len(times)}")
            times.append(time.perf_counter() - started)
    known, unknown = (statistics.median(times) for times in took.values())
    assert abs(known - unknown) < 0.05, took


def test_a_link_older_than_an_hour_opens_nothing(mailed: Served) -> None:
    secret = mailed.client.application.config["SECRET_KEY"]
    with mailed.engine.connect() as conn:
        anna = account(mailed)
        old = reset.issue(conn, secret, anna, datetime.now(UTC) - timedelta(minutes=61))
        recent = reset.issue(conn, secret, anna, datetime.now(UTC) - timedelta(minutes=59))
    assert mailed.client.get(f"/password/reset/{old}").status_code == 410
    assert mailed.client.get(f"/password/reset/{recent}").status_code == 200
    assert mailed.client.get("/password/reset/forged.token.here").status_code == 410


def test_the_forgot_form_slows_down_one_address(mailed: Served, smtp: SmtpServer) -> None:
    statuses = [forgot(mailed.client, "datteln", "D999").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert forgot(mailed.client, "datteln", "D100", address="10.9.9.9").status_code == 200
    assert log_in(mailed.client, "D100").status_code == 302  # logins are not slowed down


def external(served: Served) -> FlaskClient:
    """The app again, Marl's patrons checked by its SIP2 system, with a PIN help text."""
    config = served.client.application.extensions["libnet"].config
    libraries = tuple(
        replace(lib, patrons=PatronsConfig(type="sip2", host="127.0.0.1"),
                pin_help="Neue PIN an der Theke der Stadtbibliothek Marl.")
        if lib.code == "marl" else lib
        for lib in config.libraries
    )  # fmt: skip
    app = create_app(replace(config, libraries=libraries), TESTING=True)
    return app.test_client()


def test_patrons_of_a_library_that_keeps_the_pin_are_told_whom_to_ask(served: Served) -> None:
    client = external(served)
    answer = forgot(client, "marl", "M300")
    assert answer.status_code == 200
    assert "Neue PIN an der Theke der Stadtbibliothek Marl." in answer.get_data(as_text=True)
    with served.engine.begin() as conn:
        card = accounts.add_user(conn, role="patron", library="marl", name="Doris Marl",
                                 card="M400", password=None)  # fmt: skip
        token = sessions.start(conn, card.id, "test", datetime.now(UTC))
    with client.session_transaction() as cookie:
        cookie["sid"] = token
    page = client.get("/account").get_data(as_text=True)
    assert "Neue PIN an der Theke" in page and 'action="/account/password"' not in page
    assert "PIN vergessen?" in page
    refused = client.post("/account/password", data={"csrf_token": csrf_token(client, "/account"),
                          "current": "x", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})  # fmt: skip
    assert refused.status_code == 403


def test_the_login_page_leads_to_the_forgot_form(served: Served) -> None:
    page = served.client.get("/login").get_data(as_text=True)
    assert '<a href="/password/forgot">Passwort vergessen?</a>' in page


def test_the_patron_sees_number_libraries_dates_history_and_renews_a_loan(served: Served) -> None:
    placed = served.place()
    herten, datteln = served.staff["herten"], served.staff["datteln"]
    request = served.act(placed, "will_supply", herten)
    request = served.act(request, "ship", herten, details={"due_date": "2027-01-11"})
    request = served.act(served.act(request, "receive", datteln), "hand_to_patron", datteln)
    log_in(served.client, "D100")
    page = served.client.get("/account/requests?lang=en").get_data(as_text=True)
    assert f'id="request-{request.id}"' in page and "Herten" in page
    assert "Jan 11, 2027" in page  # the due date
    assert "Shipped" in page and "on loan to you" in page  # the history
    assert f'action="/account/requests/{request.id}/renew"' in page
    token = csrf_token(served.client, "/account/requests")
    answer = renew(served, request, token)
    assert answer.status_code == 302
    with served.engine.connect() as conn:
        renewed = loans.get(conn, request.id)
        last = loans.history(conn, request.id)[-1]
    assert renewed.renewal_pending and renewed.version == request.version + 1
    assert (last.action, last.actor) == ("renew", "patron")
    page = served.client.get("/account/requests?lang=en").get_data(as_text=True)
    assert "renewal asked for" in page and "/renew" not in page
    stale = renew(served, request, token)
    assert stale.status_code == 302 and renewed == served_request(served, request.id)


def renew(served: Served, request: loans.LoanRequest, token: str):
    data = {"csrf_token": token, "version": str(request.version)}
    return served.client.post(f"/account/requests/{request.id}/renew", data=data)


def served_request(served: Served, loan_id: int) -> loans.LoanRequest:
    with served.engine.connect() as conn:
        return loans.get(conn, loan_id)


def test_another_patron_cannot_renew_the_loan(served: Served) -> None:
    placed = served.place()
    herten, datteln = served.staff["herten"], served.staff["datteln"]
    request = served.act(served.act(placed, "will_supply", herten), "ship", herten,
                         details={"due_date": "2027-01-11"})  # fmt: skip
    request = served.act(request, "receive", datteln)
    log_in(served.client, "D200")
    token = csrf_token(served.client, "/account/requests")
    answer = renew(served, request, token)
    assert answer.status_code == 403 and served_request(served, request.id) == request
