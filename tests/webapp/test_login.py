"""Logging in and out: card or name and password, CSRF tokens, throttling, safe redirects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from libnet import accounts
from libnet.config import MailConfig
from tests.webapp.test_loans_api import Served
from webapp import secret_key

PASSWORD = "korrekt-pferd"


@pytest.fixture
def served(tmp_path: Path) -> Served:
    return Served(tmp_path)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def log_in(client: FlaskClient, login: str, password: str = PASSWORD, **more: str):
    data = {"login": login, "password": password, "csrf_token": csrf_token(client), **more}
    return client.post("/login", data=data)


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


def test_repeated_failures_block_logging_in(served: Served) -> None:
    for _ in range(accounts.MAX_FAILURES):
        log_in(served.client, "D100", "geraten")
    answer = log_in(served.client, "D100")  # the right password, but blocked
    assert answer.status_code == 401 and "gesperrt" in answer.get_data(as_text=True)


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
        accounts.disable_user(conn, "D100")
    assert "Anna Schmidt" not in served.client.get("/").get_data(as_text=True)


def test_the_session_key_is_made_once_and_kept_private(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("LIBNET_SECRET_KEY", raising=False)
    first = secret_key(tmp_path)
    assert len(first) == 64 and secret_key(tmp_path) == first
    assert (tmp_path / "web-secret").stat().st_mode & 0o777 == 0o600
    assert list(tmp_path.iterdir()) == [tmp_path / "web-secret"]
    monkeypatch.setenv("LIBNET_SECRET_KEY", "from-the-environment")
    assert secret_key(tmp_path) == "from-the-environment"
