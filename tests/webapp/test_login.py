"""Logging in and out: a library's card or a staff name and the password, CSRF tokens,
sessions that end, throttling that never locks the right password out, safe redirects."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from libnet import accounts
from libnet.accounts import sessions, throttle
from libnet.config import MailConfig
from libnet.store.schema import login_throttle, user_sessions, users
from tests.webapp.test_loans_api import LIBRARIES, Served
from webapp import secret_key

PASSWORD = "korrekt-pferd"


@pytest.fixture
def served(tmp_path: Path) -> Served:
    return Served(tmp_path)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def library_of(client: FlaskClient, login: str) -> str:
    """The library of the account with this card ("" for staff and unknown cards)."""
    engine = client.application.extensions["libnet"].store.engine
    with engine.connect() as conn:
        found = conn.scalar(select(users.c.library).where(users.c.card == login))
    return found or ""


def log_in(
    client: FlaskClient, login: str, password: str = PASSWORD, address: str = "10.1.1.1",
    **more: str,
):  # fmt: skip
    """Post the login form from a client address, choosing the card's library unless given."""
    data = {"login": login, "password": password, "csrf_token": csrf_token(client),
            "library": library_of(client, login), **more}  # fmt: skip
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


def test_the_login_page_has_labelled_fields_and_a_csrf_token(served: Served) -> None:
    page = served.client.get("/login?lang=en").get_data(as_text=True)
    assert '<label for="login">' in page and '<label for="password">' in page
    assert 'name="csrf_token"' in page and 'autocomplete="current-password"' in page


def test_a_patron_logs_in_with_the_card_and_out_again(served: Served) -> None:
    client = served.client
    answer = log_in(client, "D100", next="/search?q=welt")
    assert answer.status_code == 302 and answer.headers["Location"] == "/search?q=welt"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served as http://127.0.0.1:8080, [mail] site_url's default
    home = client.get("/?lang=en").get_data(as_text=True)
    assert "Anna Schmidt" in home and "Log out" in home
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', home).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert "Anna Schmidt" not in client.get("/").get_data(as_text=True)


def test_served_as_https_the_session_cookie_is_secure(tmp_path: Path) -> None:
    served = Served(tmp_path, mail=MailConfig(site_url="https://katalog.kreis-re.example"))
    cookie = log_in(served.client, "D100").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_staff_log_in_with_their_name(served: Served) -> None:
    assert log_in(served.client, "Team herten").status_code == 302
    assert "Team herten" in served.client.get("/").get_data(as_text=True)


def test_a_wrong_password_is_401_and_says_so(served: Served) -> None:
    answer = log_in(
        served.client,
        "D100",
        "geraten",
    )
    assert answer.status_code == 401
    assert "stimmen nicht" in answer.get_data(as_text=True)


def message(answer) -> str:
    """The alert of the login page."""
    return re.search(r'role="alert">([^<]*)<', answer.get_data(as_text=True)).group(1)


def test_repeated_failures_slow_down_this_card_from_this_address_only(served: Served) -> None:
    for _ in range(throttle.FREE_TRIES):
        assert log_in(served.client, "D100", "geraten").status_code == 401
    answer = log_in(served.client, "D100")  # the right password, but it must wait
    assert answer.status_code == 401 and "ab " in message(answer)
    # the patron, from another address, is not locked out
    assert log_in(served.client, "D100", address="10.9.9.9").status_code == 302


ROUNDS = 40  # at most; a quiet machine settles after seven


def test_every_failure_gives_the_same_message_status_and_about_the_same_time(
    served: Served,
) -> None:
    with served.engine.begin() as conn:
        accounts.add_user(conn, role="patron", library="datteln", name="Gesperrt",
                          card="D900", password=PASSWORD, libraries=LIBRARIES)  # fmt: skip
        accounts.disable_user(conn, accounts.find_user(conn, "D900").id)
    tries = {
        "unknown card": ("D999", PASSWORD, "datteln"),
        "wrong password": ("D100", "geraten", "datteln"),
        "disabled account": ("D900", PASSWORD, "datteln"),
        "card of another library": ("D100", PASSWORD, "herten"),
        "unknown staff name": ("Niemand Hier", PASSWORD, ""),
    }
    seen = {}
    fastest: dict[str, float] = {}
    # round by round, so that a busy moment of the machine falls on every kind alike; each
    # try from an address of its own, so that no throttle comes in between. The fastest answer
    # of each kind is the work it costs without the machine's noise: a busy machine may need
    # more rounds to show it, a real difference (work done for one kind only) stays in all.
    for attempt in range(ROUNDS):
        for n, (name, (login, password, library)) in enumerate(tries.items()):
            started = time.perf_counter()
            answer = log_in(served.client, login, password, address=f"10.2.{n}.{attempt}",
                            library=library)  # fmt: skip
            took = time.perf_counter() - started
            fastest[name] = min(took, fastest.get(name, took))
            seen[name] = (answer.status_code, message(answer), fastest[name])
        if attempt >= 6 and max(fastest.values()) - min(fastest.values()) < 0.05:
            break
    assert {status for status, _, _ in seen.values()} == {401}, seen
    assert len({text for _, text, _ in seen.values()}) == 1, seen
    assert max(fastest.values()) - min(fastest.values()) < 0.05, seen


def test_a_throttled_try_gives_the_same_message_with_the_time_to_come_back(
    served: Served,
) -> None:
    for _ in range(throttle.FREE_TRIES):
        first = log_in(served.client, "D100", "geraten", address="10.3.3.3")
    throttled = log_in(served.client, "D100", "geraten", address="10.3.3.3")
    assert first.status_code == throttled.status_code == 401
    # the same sentence; only the time to come back differs
    assert message(first).split(".")[0] == message(throttled).split(".")[0]


def test_a_wrong_and_a_right_password_sent_at_once_never_pass_the_throttle(
    served: Served,
) -> None:
    """Ten guesses and the right password sent at once from one address: the attempts are
    counted before the passwords are checked, so no more than FREE_TRIES are checked at all,
    and the right one among the late ones waits like the others."""
    app = served.client.application
    clients = [app.test_client() for _ in range(11)]
    tokens = [csrf_token(client) for client in clients]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def attempt(client: FlaskClient, token: str, password: str) -> None:
        data = {"login": "D100", "password": password, "csrf_token": token,
                "library": "datteln"}  # fmt: skip
        start.wait()
        answer = client.post("/login", data=data, environ_base={"REMOTE_ADDR": "10.4.4.4"})
        statuses.append(answer.status_code)

    passwords = ["geraten"] * 10 + [PASSWORD]
    threads = [threading.Thread(target=attempt, args=triple)
               for triple in zip(clients, tokens, passwords, strict=True)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == 11 and statuses.count(302) <= 1
    with served.engine.connect() as conn:
        counted = conn.scalar(select(login_throttle.c.failures).where(
            login_throttle.c.key == throttle.keys("datteln", "D100", "10.4.4.4")[0]))  # fmt: skip
    # every checked attempt was counted before its check: at most FREE_TRIES were checked
    assert statuses.count(302) == 0 or counted is None
    assert counted is None or counted <= throttle.FREE_TRIES


def test_a_cookie_saved_before_logout_opens_nothing(served: Served) -> None:
    client = served.client
    log_in(client, "D100")
    saved = client.get_cookie("session").value
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/").get_data(as_text=True)).group(1)  # fmt: skip
    client.post("/logout", data={"csrf_token": token})
    thief = app_client(served, saved)
    assert "Anna Schmidt" not in thief.get("/").get_data(as_text=True)
    assert thief.get("/account/requests").status_code == 302


def test_a_password_change_ends_every_session_of_the_account(served: Served) -> None:
    log_in(served.client, "D100")
    saved = served.client.get_cookie("session").value
    with served.engine.begin() as conn:
        account = accounts.find_user(conn, "D100")
        accounts.set_password(conn, account.id, "ganz-neues-pferd")
        sessions.end_all(conn, account.id, datetime.now(UTC))
    assert "Anna Schmidt" not in app_client(served, saved).get("/").get_data(as_text=True)


def test_a_session_ends_after_its_lifetime_however_busy(served: Served) -> None:
    log_in(served.client, "D100")
    with served.engine.begin() as conn:
        conn.execute(update(user_sessions).values(
            created_at=datetime.now(UTC) - timedelta(hours=12, minutes=1)))  # fmt: skip
    assert "Anna Schmidt" not in served.client.get("/").get_data(as_text=True)


def test_a_session_ends_after_idling(served: Served) -> None:
    log_in(served.client, "D100")
    with served.engine.begin() as conn:
        conn.execute(update(user_sessions).values(
            last_seen=datetime.now(UTC) - timedelta(hours=8, minutes=1)))  # fmt: skip
    assert "Anna Schmidt" not in served.client.get("/").get_data(as_text=True)


def app_client(served: Served, session_cookie: str) -> FlaskClient:
    """A second browser that carries a copy of a session cookie."""
    other = served.client.application.test_client()
    other.set_cookie("session", session_cookie)
    return other


def test_a_card_without_its_library_fails_like_any_wrong_login(served: Served) -> None:
    answer = log_in(served.client, "D100", library="")
    assert answer.status_code == 401 and "Bibliothek" in message(answer)


def test_the_login_page_remembers_the_library_of_the_last_login(served: Served) -> None:
    log_in(served.client, "D100")
    page = served.client.get("/login").get_data(as_text=True)
    assert '<option value="datteln" selected>' in page


def test_a_form_without_its_csrf_token_is_refused(served: Served) -> None:
    answer = served.client.post("/login", data={"login": "D100", "password": PASSWORD})
    assert answer.status_code == 400
    log_in(served.client, "D100")
    assert served.client.post("/logout", data={}).status_code == 400
    assert "Anna Schmidt" in served.client.get("/").get_data(as_text=True)  # still logged in


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_login_never_sends_the_browser_to_another_site(served: Served, target: str) -> None:
    answer = log_in(served.client, "D100", next=target)
    assert answer.headers["Location"] == "/"


def test_a_disabled_account_is_logged_out_at_once(served: Served) -> None:
    log_in(served.client, "D100")
    with served.engine.begin() as conn:
        accounts.disable_user(conn, accounts.find_user(conn, "D100").id)
    assert "Anna Schmidt" not in served.client.get("/").get_data(as_text=True)


def test_the_session_key_is_made_once_and_kept_private(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("LIBNET_SECRET_KEY", raising=False)
    first = secret_key(tmp_path)
    assert len(first) == 64 and secret_key(tmp_path) == first
    assert (tmp_path / "web-secret").stat().st_mode & 0o777 == 0o600
    assert list(tmp_path.iterdir()) == [tmp_path / "web-secret"]
    monkeypatch.setenv("LIBNET_SECRET_KEY", "from-the-environment")
    assert secret_key(tmp_path) == "from-the-environment"


def test_the_accounts_language_is_the_page_language_unless_this_device_chose(
    served: Served,
) -> None:
    with served.engine.begin() as conn:
        conn.execute(update(users).where(users.c.card == "D100").values(language="en"))
    client = served.client
    log_in(client, "D100")
    page = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    client.get("/?lang=de")  # chosen on this device: remembered in a cookie
    assert '<html lang="de">' in client.get("/").get_data(as_text=True)
