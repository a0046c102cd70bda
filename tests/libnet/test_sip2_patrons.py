"""Patrons checked by their library's system over SIP2, against pysip2's real server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from libnet.accounts.patron_systems import Patron, Refused, Unreachable
from libnet.accounts.sip2_patrons import Sip2Patrons, patron_from_answer
from libnet.patron_config import PatronsConfig
from libnet.sip2.messages import Answer
from tests.peers.sip2 import Card, Fault, Sip2Peer, refused_port

CARDS = [
    Card("1001", "1234", "Erika Mustermann", "erika@example.org", language="003"),
    Card("1002", "4321", "John Smith", language="001"),
    Card("2001", "1111", "Gesperrt Gerd", blocked=True),
    Card("2002", "2222", "Verloren Vera", lost=True),
    Card("2003", "3333", "Abgelaufen Anna", "anna@example.org", expired=True),
    Card("2004", "4444", "Gebühren Gustav", fines=True),
    Card("3001", "5555", "Ohne Prüfung", checks_pin=False),
]
LOGIN_PASSWORD = "s3cr|et-Ä"  # a password may hold what a PIN may not: it is never shown
TIMEOUT = 0.3


@pytest.fixture
def peer() -> Iterator[Sip2Peer]:
    with Sip2Peer(CARDS, delay=TIMEOUT * 2) as server:
        yield server


@pytest.fixture
def login_peer() -> Iterator[Sip2Peer]:
    with Sip2Peer(CARDS, login=("libnet", "right-password")) as server:
        yield server


def patrons(port: int, **keys: object) -> Sip2Patrons:
    config = PatronsConfig(
        type="sip2", host="127.0.0.1", port=port, location_code="MARL", timeout=TIMEOUT
    )
    return Sip2Patrons(PatronsConfig(**{**_as_dict(config), **keys}))


def _as_dict(config: PatronsConfig) -> dict[str, object]:
    return {name: getattr(config, name) for name in config.__slots__}


def password_file(tmp_path: Path, password: str) -> Path:
    path = tmp_path / "sip2-password"
    path.write_text(password + "\n", encoding="utf-8")
    return path


def test_right_pin_gives_the_patron_with_name_email_and_language(peer: Sip2Peer) -> None:
    result = patrons(peer.port).check("1001", "1234")
    assert result == Patron("1001", "Erika Mustermann", "erika@example.org", "de", "")
    assert peer.codes == ["99", "63"]
    assert peer.patron_requests == [("1001", "1234")]


def test_english_language_code_gives_en(peer: Sip2Peer) -> None:
    result = patrons(peer.port).check("1002", "4321")
    assert isinstance(result, Patron)
    assert (result.name, result.email, result.language) == ("John Smith", "", "en")


def test_patron_status_23_works_as_well(peer: Sip2Peer) -> None:
    result = patrons(peer.port, patron_message=23).check("1001", "1234")
    assert result == Patron("1001", "Erika Mustermann", "", "de", "")
    assert peer.codes == ["99", "23"]


def test_wrong_pin_is_refused(peer: Sip2Peer) -> None:
    result = patrons(peer.port).check("1001", "9999")
    assert isinstance(result, Refused)
    assert "wrong PIN" in result.reason


def test_unknown_card_is_refused(peer: Sip2Peer) -> None:
    result = patrons(peer.port).check("9999", "1234")
    assert isinstance(result, Refused)
    assert "unknown card" in result.reason


def test_an_answer_without_valid_password_flag_counts_as_a_wrong_pin(peer: Sip2Peer) -> None:
    result = patrons(peer.port).check("3001", "any PIN at all")
    assert isinstance(result, Refused)
    assert "CQ" in result.reason


def test_blocked_card_is_refused_naming_the_flags(peer: Sip2Peer) -> None:
    result = patrons(peer.port).check("2001", "1111")
    assert result == Refused("blocked: charge privileges denied, hold privileges denied")


def test_lost_card_is_refused(peer: Sip2Peer) -> None:
    result = patrons(peer.port).check("2002", "2222")
    assert result == Refused("blocked: card reported lost")


def test_expired_card_may_log_in_but_not_order(peer: Sip2Peer) -> None:
    result = patrons(peer.port).check("2003", "3333")
    assert isinstance(result, Patron)
    assert result.email == "anna@example.org"
    assert result.order_block == "card expired: Patron account expired"


def test_expired_card_with_a_wrong_pin_is_refused(peer: Sip2Peer) -> None:
    assert isinstance(patrons(peer.port).check("2003", "0000"), Refused)


def test_excessive_fines_block_ordering_only(peer: Sip2Peer) -> None:
    result = patrons(peer.port).check("2004", "4444")
    assert isinstance(result, Patron)
    assert result.order_block == "excessive outstanding fines"


def test_an_expiry_date_field_before_today_marks_the_card_expired() -> None:
    answer = Answer("64", (" " * 14, "000", "20240101    120000"),
                    {"BL": "Y", "CQ": "Y", "AE": "Alt", "PA": "20231231"})  # fmt: skip
    assert patron_from_answer("7", answer, date(2024, 1, 1)).order_block == (
        "card expired on 2023-12-31"
    )
    assert patron_from_answer("7", answer, date(2023, 12, 31)).order_block == ""


@pytest.mark.parametrize("card, pin", [("", "1234"), ("1001", ""), ("   ", "1234")])
def test_empty_card_or_pin_is_refused_without_asking(peer: Sip2Peer, card: str, pin: str) -> None:
    assert isinstance(patrons(peer.port).check(card, pin), Refused)
    assert peer.codes == []


def test_a_pin_with_a_bar_is_refused_and_never_sent(peer: Sip2Peer) -> None:
    result = patrons(peer.port).check("1001", "12|34")
    assert isinstance(result, Refused)
    assert "12|34" not in result.reason
    assert peer.codes == []


def test_server_down_is_unreachable() -> None:
    result = patrons(refused_port()).check("1001", "1234")
    assert isinstance(result, Unreachable)
    assert "connection refused" in result.reason


def test_slow_server_is_unreachable_after_the_timeout(peer: Sip2Peer) -> None:
    peer.fault = Fault.SLOW
    result = patrons(peer.port).check("1001", "1234")
    assert isinstance(result, Unreachable)
    assert f"no answer within {TIMEOUT:g} s" in result.reason


def test_garbage_answer_is_unreachable(peer: Sip2Peer) -> None:
    peer.fault = Fault.GARBAGE
    result = patrons(peer.port).check("1001", "1234")
    assert isinstance(result, Unreachable)
    assert "no SIP2 answer" in result.reason
    assert peer.codes == ["99", "63", "97"]


def test_wrong_checksum_once_is_asked_again_and_recovers(peer: Sip2Peer) -> None:
    peer.fault = Fault.WRONG_CHECKSUM_ONCE
    result = patrons(peer.port).check("1001", "1234")
    assert isinstance(result, Patron)
    assert peer.codes == ["99", "63", "97"]


def test_wrong_checksum_always_is_unreachable(peer: Sip2Peer) -> None:
    peer.fault = Fault.WRONG_CHECKSUM_ALWAYS
    result = patrons(peer.port).check("1001", "1234")
    assert isinstance(result, Unreachable)
    assert "wrong checksum" in result.reason
    assert peer.codes == ["99", "63", "97"]


def test_connection_closed_mid_answer_is_unreachable(peer: Sip2Peer) -> None:
    peer.fault = Fault.CLOSE_MID_ANSWER
    result = patrons(peer.port).check("1001", "1234")
    assert isinstance(result, Unreachable)
    assert "closed the connection in the middle of an answer" in result.reason


def test_tls_to_a_plain_server_is_unreachable(peer: Sip2Peer) -> None:
    result = patrons(peer.port, tls=True).check("1001", "1234")
    assert isinstance(result, Unreachable)
    assert "TLS" in result.reason


def test_login_with_the_right_password_is_sent_first(login_peer: Sip2Peer, tmp_path: Path) -> None:
    checker = patrons(
        login_peer.port,
        login_user="libnet",
        login_password_file=password_file(tmp_path, "right-password"),
    )
    assert isinstance(checker.check("1001", "1234"), Patron)
    assert login_peer.codes == ["93", "99", "63"]
    assert login_peer.logins == ["libnet"]


def test_login_with_a_wrong_password_is_unreachable_and_never_names_it(
    login_peer: Sip2Peer, tmp_path: Path
) -> None:
    checker = patrons(
        login_peer.port,
        login_user="libnet",
        login_password_file=password_file(tmp_path, "wrong-password"),
    )
    result = checker.check("1001", "1234")
    assert isinstance(result, Unreachable)
    assert "login as 'libnet' refused" in result.reason
    assert "wrong-password" not in result.reason
    assert login_peer.patron_requests == []


def test_a_login_password_sip2_cannot_carry_is_not_shown(
    login_peer: Sip2Peer, tmp_path: Path
) -> None:
    checker = patrons(
        login_peer.port,
        login_user="libnet",
        login_password_file=password_file(tmp_path, LOGIN_PASSWORD),
    )
    result = checker.check("1001", "1234")
    assert isinstance(result, Unreachable)
    assert "CO" in result.reason
    assert LOGIN_PASSWORD not in result.reason and "s3cr" not in result.reason
    assert login_peer.codes == []


def test_a_missing_password_file_is_unreachable(login_peer: Sip2Peer, tmp_path: Path) -> None:
    checker = patrons(
        login_peer.port, login_user="libnet", login_password_file=tmp_path / "nowhere"
    )
    result = checker.check("1001", "1234")
    assert isinstance(result, Unreachable)
    assert "login_password_file" in result.reason


def test_server_wanting_a_login_that_gets_none_is_unreachable(login_peer: Sip2Peer) -> None:
    assert isinstance(patrons(login_peer.port).check("1001", "1234"), Unreachable)


def test_names_in_the_servers_encoding_are_read() -> None:
    cards = [Card("1001", "1234", "Jürgen Weiß")]
    with Sip2Peer(cards, encoding="cp850") as server:
        assert patrons(server.port, encoding="cp850").check("1001", "1234").name == "Jürgen Weiß"
        wrong = patrons(server.port, encoding="utf-8").check("1001", "1234")
    assert isinstance(wrong, Unreachable)
    assert "encoding" in wrong.reason


def test_the_transaction_date_comes_from_the_clock(peer: Sip2Peer) -> None:
    config = PatronsConfig(type="sip2", host="127.0.0.1", port=peer.port, timeout=TIMEOUT)
    checker = Sip2Patrons(config, clock=lambda: datetime(2031, 7, 4, 8, 0, 0))
    assert isinstance(checker.check("1001", "1234"), Patron)
    assert peer.dates == ["20310704    080000"]
