"""Patrons log in on the web with their library's card and PIN: Marl checks them in its
OpenLDAP directory, Herten in its management system over SIP2 (both real servers on
127.0.0.1), Datteln in libnet's own accounts. Accounts are made from the answers; a wrong
PIN, a blocked card and a library whose system is down each give their message."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from libnet.patron_config import PatronsConfig
from libnet.store.schema import users
from tests.libnet.test_ldap_patrons import ENTRIES
from tests.peers.sip2 import Card, Sip2Peer
from tests.peers.slapd import PEOPLE, SlapdServer, down_url, require_slapd
from tests.webapp.test_loans_api import Served
from tests.webapp.test_login import csrf_token
from webapp import create_app

SIP2_CARDS = [
    Card("1001", "1234", "Erika Mustermann", "erika@example.org", language="001"),
    Card("2001", "1111", "Gesperrt Gerd", blocked=True),
    Card("2003", "3333", "Abgelaufen Anna", "anna@example.org", expired=True),
    Card("1004", "4444", "Tippfehler Tina", "tina@example"),  # no domain a mail can reach
]


@pytest.fixture(scope="module")
def directory() -> Iterator[SlapdServer]:
    require_slapd()
    server = SlapdServer()
    try:
        server.start(ENTRIES)
        yield server
    finally:
        server.stop()


@pytest.fixture
def sip2() -> Iterator[Sip2Peer]:
    with Sip2Peer(SIP2_CARDS) as peer:
        yield peer


def network(tmp_path: Path, ldap_url: str, sip2_port: int) -> tuple[Served, FlaskClient]:
    """The test network, with Marl on LDAP and Herten on SIP2."""
    served = Served(tmp_path)
    config = served.client.application.extensions["libnet"].config
    systems = {
        "marl": PatronsConfig(type="ldap", url=ldap_url, bind_dn=f"uid={{card}},{PEOPLE}",
                              blocked_filter="(employeeType=blocked)", timeout=1.0,
                              language_attribute="preferredLanguage"),
        "herten": PatronsConfig(type="sip2", host="127.0.0.1", port=sip2_port,
                                location_code="HERTEN", timeout=1.0),
    }  # fmt: skip
    libraries = tuple(
        replace(lib, patrons=systems.get(lib.code, lib.patrons)) for lib in config.libraries
    )
    app = create_app(replace(config, libraries=libraries), TESTING=True)
    return served, app.test_client()


def log_in(client: FlaskClient, library: str, card: str, pin: str):
    data = {"library": library, "login": card, "password": pin,
            "csrf_token": csrf_token(client)}  # fmt: skip
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": "10.7.7.7"})


def account(served: Served, library: str, card: str):
    with served.engine.connect() as conn:
        query = select(users).where(users.c.library == library, users.c.card == card)
        return conn.execute(query).mappings().first()


def test_a_directory_patron_logs_in_and_gets_an_account_from_the_directory(
    tmp_path: Path, directory: SlapdServer, sip2: Sip2Peer
) -> None:
    served, client = network(tmp_path, directory.url, sip2.port)
    assert account(served, "marl", "1001") is None
    assert log_in(client, "marl", "1001", "pin-anna").status_code == 302
    made = account(served, "marl", "1001")
    assert (made["name"], made["email"], made["role"]) == ("Anna Schmidt", "anna@marl.example",
                                                           "patron")  # fmt: skip
    assert made["password_hash"] is None  # the PIN is never kept
    assert "Anna Schmidt" in client.get("/").get_data(as_text=True)


def test_a_management_system_patron_logs_in_over_sip2(
    tmp_path: Path, directory: SlapdServer, sip2: Sip2Peer
) -> None:
    served, client = network(tmp_path, directory.url, sip2.port)
    assert log_in(client, "herten", "1001", "1234").status_code == 302
    made = account(served, "herten", "1001")
    assert (made["name"], made["email"], made["language"]) == (
        "Erika Mustermann", "erika@example.org", "en")  # fmt: skip
    assert sip2.patron_requests == [("1001", "1234")]
    # the same card number at Marl is someone else, checked by Marl's directory
    assert account(served, "marl", "1001") is None


def test_a_bad_address_from_the_patron_system_is_not_kept_and_the_login_goes_on(
    tmp_path: Path, sip2: Sip2Peer, caplog: pytest.LogCaptureFixture
) -> None:
    served, client = network(tmp_path, down_url(), sip2.port)
    with caplog.at_level("WARNING", logger="libnet.accounts"):
        assert log_in(client, "herten", "1004", "4444").status_code == 302
    made = account(served, "herten", "1004")
    assert (made["name"], made["email"]) == ("Tippfehler Tina", "")
    assert "patron system gave a bad e-mail address" in caplog.text
    assert "tina@example" not in caplog.text  # the reason is logged, not the address


@pytest.mark.parametrize(
    ("library", "card", "pin"),
    [("marl", "1001", "falsch"), ("marl", "1003", "pin-carla"), ("marl", "9999", "pin-anna"),
     ("herten", "1001", "0000"), ("herten", "2001", "1111"), ("herten", "9999", "1234")],
)  # fmt: skip
def test_a_wrong_pin_a_blocked_or_unknown_card_get_the_one_message(
    tmp_path: Path, directory: SlapdServer, sip2: Sip2Peer, library: str, card: str, pin: str
) -> None:
    served, client = network(tmp_path, directory.url, sip2.port)
    answer = log_in(client, library, card, pin)
    assert answer.status_code == 401
    assert "stimmen nicht" in answer.get_data(as_text=True)
    assert account(served, library, card) is None


def test_an_expired_card_logs_in_but_cannot_order_and_is_told_why(
    tmp_path: Path, directory: SlapdServer, sip2: Sip2Peer
) -> None:
    served, client = network(tmp_path, directory.url, sip2.port)
    assert log_in(client, "herten", "2003", "3333").status_code == 302
    assert account(served, "herten", "2003")["order_block"]
    page = client.get(f"/record/{served.cluster}").get_data(as_text=True)
    assert "kann gerade nicht bestellen" in page and 'class="order-form"' not in page


def test_a_library_whose_system_is_down_says_so_and_the_others_go_on(
    tmp_path: Path, sip2: Sip2Peer
) -> None:
    _, client = network(tmp_path, down_url(), sip2.port)
    answer = log_in(client, "marl", "1001", "pin-anna")
    assert answer.status_code == 503
    assert "Marl ist gerade nicht erreichbar" in answer.get_data(as_text=True)
    other = client.application.test_client()
    assert log_in(other, "herten", "1001", "1234").status_code == 302
    # the operations page shows Marl's system as not reachable
    staff = client.application.test_client()
    data = {"login": "Kreis", "password": "korrekt-pferd", "csrf_token": csrf_token(staff)}
    assert staff.post("/login", data=data).status_code == 302
    page = staff.get("/staff/operations").get_data(as_text=True)
    assert "nicht erreichbar" in page and "cannot connect" in page
