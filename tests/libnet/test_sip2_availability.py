"""Live availability over SIP2: Item Information against pysip2's server on 127.0.0.1, fed
from a table of items (tests/peers/sip2.py), with the faults of a broken system or network."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from libnet.availability.config import AvailabilityConfig
from libnet.availability.model import (
    AVAILABLE,
    CLAIMED_RETURNED,
    IN_PROCESSING,
    IN_TRANSIT,
    LIVE,
    LOST,
    MISSING,
    ON_HOLD_SHELF,
    ON_LOAN,
    ON_ORDER,
    RECALLED,
    RESHELVING,
    UNKNOWN,
    Copy,
    Unanswered,
)
from libnet.availability.service import Availability, Question
from libnet.availability.sip2 import MAX_COPIES, Sip2Source, due_day
from libnet.sip2 import requests
from libnet.sip2.connection import Endpoint
from libnet.sip2.pool import SessionPool
from libnet.sip2.session import Login
from tests.peers.sip2 import Fault, Shelved, Sip2Peer

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
EXPECTED = {"01": UNKNOWN, "02": ON_ORDER, "03": AVAILABLE, "04": ON_LOAN, "05": ON_LOAN,
            "06": IN_PROCESSING, "07": RECALLED, "08": ON_HOLD_SHELF, "09": RESHELVING,
            "10": IN_TRANSIT, "11": CLAIMED_RETURNED, "12": LOST, "13": MISSING,
            "99": UNKNOWN}  # fmt: skip
ITEMS = [Shelved(f"b{code}", code, due="20261220    235900" if code in ("04", "07") else "")
         for code in EXPECTED]  # fmt: skip
ITEMS += [Shelved(f"many{n}", "03") for n in range(MAX_COPIES + 5)]
ITEMS += [Shelved("iso", "05", due="2026-12-21")]
LOGIN = ("libnet", "geheim")


@pytest.fixture(scope="module")
def server() -> Iterator[Sip2Peer]:
    with Sip2Peer([], items=ITEMS, login=LOGIN, delay=0.05) as peer:
        yield peer


@pytest.fixture
def peer(server: Sip2Peer) -> Sip2Peer:
    server.reset()
    return server


@pytest.fixture
def password(tmp_path: Path) -> Path:
    path = tmp_path / "sip2-password"
    path.write_text(LOGIN[1] + "\n")
    return path


def config(peer: Sip2Peer, password: Path, **given) -> AvailabilityConfig:
    values = {"type": "sip2", "host": "127.0.0.1", "port": peer.port, "login_user": LOGIN[0],
              "login_password_file": password, "location_code": "MARL", "timeout": 1.0}  # fmt: skip
    return AvailabilityConfig(**{**values, **given})


@pytest.fixture
def source(peer: Sip2Peer, password: Path) -> Iterator[Sip2Source]:
    found = Sip2Source("marl", config(peer, password))
    yield found
    found.close()


def copies(*barcodes: str) -> tuple[Copy, ...]:
    return tuple(Copy(barcode, "Ro 123") for barcode in barcodes)


def test_every_circulation_status_becomes_its_state(source: Sip2Source, peer) -> None:
    answer = source.statuses("123", copies(*(f"b{code}" for code in EXPECTED)), NOW)
    assert not isinstance(answer, Unanswered)
    assert {code: s.state for code, s in zip(EXPECTED, answer, strict=True)} == EXPECTED
    assert all(s.source == LIVE and s.as_of == NOW for s in answer)
    by_code = dict(zip(EXPECTED, answer, strict=True))
    assert (by_code["04"].expected, by_code["07"].expected) == ("2026-12-20", "2026-12-20")
    assert ("MARL", "b03") in peer.item_requests  # institution AO = location_code, AB barcode


def test_a_due_date_may_come_as_an_iso_day_or_not_at_all(source: Sip2Source) -> None:
    iso, without = source.statuses("123", copies("iso", "b05"), NOW)
    assert (iso.state, iso.expected, without.expected) == (ON_LOAN, "2026-12-21", "")
    assert due_day("gestern") == ""


def test_an_unknown_barcode_keeps_its_harvested_status(source: Sip2Source) -> None:
    known, unknown = source.statuses("123", copies("b03", "nosuch"), NOW)
    assert known.state == AVAILABLE and unknown is None
    only = source.statuses("123", copies("nosuch"), NOW)
    assert isinstance(only, Unanswered) and "does not know barcode 'nosuch'" in only.reason


def test_a_copy_without_barcode_is_not_asked(source: Sip2Source, peer) -> None:
    answer = source.statuses("123", (Copy("", "Ro 1"), *copies("b03")), NOW)
    assert answer[0] is None and answer[1].state == AVAILABLE
    assert peer.item_requests == [("MARL", "b03")]


def test_at_most_thirty_copies_are_asked_about(source: Sip2Source, peer) -> None:
    answer = source.statuses("123", copies(*(f"many{n}" for n in range(MAX_COPIES + 5))), NOW)
    assert len(peer.item_requests) == MAX_COPIES
    assert [s is None for s in answer] == [False] * MAX_COPIES + [True] * 5


def test_the_pool_logs_in_once_for_many_copies_and_pages(peer, password) -> None:
    source = Sip2Source("marl", config(peer, password, max_connections=1))
    try:
        for _ in range(2):
            source.statuses("123", copies("b03", "b04", "b12"), NOW)
    finally:
        source.close()
    assert peer.logins == ["libnet"] and peer.codes.count("17") == 6


def test_an_idle_connection_is_checked_with_sc_status_first(peer, password) -> None:
    moments = iter([0.0, 100.0, 100.0])  # given back at 0, taken again at 100: it idled
    endpoint = Endpoint("127.0.0.1", peer.port, timeout=1.0)
    login = Login(LOGIN[0], password)
    pool = SessionPool(endpoint, login, 1, idle_check=30, clock=lambda: next(moments))
    try:
        pool.exchange(requests.item_information("MARL", "b03", NOW), wait=1)
        peer.codes.clear()
        answer = pool.exchange(requests.item_information("MARL", "b03", NOW), wait=1)
    finally:
        pool.close()
    assert answer.fixed[0] == "03" and peer.codes == ["99", "17"]


def test_an_answer_that_never_comes_costs_the_timeout_once_and_spoils_nothing(
    peer, password
) -> None:
    source = Sip2Source("marl", config(peer, password, timeout=0.2, max_connections=1))
    try:
        peer.fault = Fault.HANG
        started = time.monotonic()
        answer = source.statuses("123", copies("b03", "b04"), NOW)
        assert time.monotonic() - started < 0.4
        assert isinstance(answer, Unanswered) and "no answer within" in answer.reason
        peer.fault = Fault.NONE
        time.sleep(0.25)  # the hung connection's own timeout ends, and it is thrown away
        again = source.statuses("123", copies("b03"), NOW)
    finally:
        source.close()
    assert again[0].state == AVAILABLE  # a fresh connection, not the late answer to b04


def test_a_connection_closed_mid_answer_is_thrown_away(source: Sip2Source, peer) -> None:
    peer.fault = Fault.CLOSE_MID_ANSWER
    answer = source.statuses("123", copies("b03"), NOW)
    assert isinstance(answer, Unanswered) and "middle of an answer" in answer.reason
    peer.fault = Fault.NONE
    assert source.statuses("123", copies("b04"), NOW)[0].state == ON_LOAN


def test_a_wrong_checksum_is_asked_again_once_with_97(source: Sip2Source, peer) -> None:
    peer.fault = Fault.WRONG_CHECKSUM_ONCE
    assert source.statuses("123", copies("b12"), NOW)[0].state == LOST
    assert "97" in peer.codes
    peer.fault = Fault.WRONG_CHECKSUM_ALWAYS
    answer = source.statuses("123", copies("b13"), NOW)
    assert isinstance(answer, Unanswered) and "wrong checksum" in answer.reason


def test_a_96_from_the_system_is_answered_by_sending_the_request_again(source, peer) -> None:
    peer.fault = Fault.RESEND_ONCE
    assert source.statuses("123", copies("b10"), NOW)[0].state == IN_TRANSIT
    assert peer.codes.count("17") == 2


def test_a_refused_login_is_a_reason_without_the_password(peer, tmp_path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("falsch-geheim\n")
    source = Sip2Source("marl", config(peer, wrong))
    try:
        answer = source.statuses("123", copies("b03"), NOW)
    finally:
        source.close()
    assert isinstance(answer, Unanswered) and "login as 'libnet' refused" in answer.reason
    assert "falsch-geheim" not in answer.reason


def test_the_service_keeps_each_librarys_last_answer_failure_and_median(peer, password) -> None:
    service = Availability({"marl": config(peer, password, cache_seconds=0)})
    try:
        service.ask([Question("marl", "123", copies("b03"))])
        peer.fault = Fault.CLOSE_MID_ANSWER
        service.ask([Question("marl", "123", copies("b04"))])
        state = service.state("marl")
    finally:
        service.close()
    assert state.last_ok_at and state.last_failure_at and state.answers == 1
    assert "middle of an answer" in state.last_failure and 0 < state.median_seconds < 1
