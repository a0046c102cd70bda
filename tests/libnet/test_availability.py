"""Live availability: the DAIA client against a DAIA server on 127.0.0.1, and the service
that asks several libraries at once, with one deadline and a cache."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from libnet.availability.config import AvailabilityConfig
from libnet.availability.daia import DaiaSource, statuses_from_answer
from libnet.availability.model import (
    AVAILABLE,
    HARVESTED,
    LIVE,
    NOT_AVAILABLE,
    ON_LOAN,
    UNKNOWN,
    Copy,
    Unanswered,
    harvested,
)
from libnet.availability.service import Availability, Question, live_states, question
from libnet.records.holdings import Item
from tests.peers.daia import (
    LENT,
    ON_SHELF,
    REFERENCE_ONLY,
    DaiaServer,
    Misbehaviour,
)

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
BARCODES = (Copy("1001", "Ro 123"), Copy("1002", "Ro 123"), Copy("1003", "Lesesaal 7"))


@pytest.fixture(scope="module")
def server() -> Iterator[DaiaServer]:
    daia = DaiaServer()
    yield daia
    daia.stop()


@pytest.fixture
def daia(server: DaiaServer) -> DaiaServer:
    server.reset()
    return server


def source(daia: DaiaServer, timeout: float = 1.0) -> DaiaSource:
    return DaiaSource("marl", daia.url, timeout)


def test_each_copy_gets_its_items_status_matched_by_barcode(daia: DaiaServer) -> None:
    daia.holds("123", ON_SHELF, LENT, REFERENCE_ONLY)
    shelf, lent, reference = source(daia).statuses("123", BARCODES, NOW)
    assert (shelf.state, shelf.source, shelf.as_of) == (AVAILABLE, LIVE, NOW)
    assert (lent.state, lent.expected) == (ON_LOAN, "2026-12-20")
    assert (reference.state, reference.on_site, reference.note) == (
        NOT_AVAILABLE,
        True,
        "Präsenzbestand",
    )


def test_a_copy_without_barcode_is_matched_by_call_number_once(daia: DaiaServer) -> None:
    daia.holds("123", LENT, REFERENCE_ONLY, ON_SHELF)
    copies = (Copy("", "Lesesaal  7"), Copy("", "RO 123"), Copy("", "Ro 123"))
    reference, first, second = source(daia).statuses("123", copies, NOW)
    assert reference.on_site
    assert (first.state, second.state) == (ON_LOAN, AVAILABLE)  # one item each, in order


def test_a_copy_matching_no_item_gets_the_documents_best_status(daia: DaiaServer) -> None:
    daia.holds("123", LENT, ON_SHELF)
    (status,) = source(daia).statuses("123", (Copy(),), NOW)
    assert status.state == AVAILABLE


def test_services_named_by_uri_and_an_unknown_return_date_are_understood() -> None:
    answer = {"document": [{"id": "x:ppn:9", "item": [
        {"id": "x:epn:1", "unavailable": [
            {"service": "http://purl.org/ontology/dso#Loan", "expected": "unknown"}]},
        {"id": "x:epn:2", "unavailable": [{"service": "loan"}, {"service": "presentation"}]},
        {"id": "x:epn:3", "available": [{"service": "interloan"}]},
    ]}]}  # fmt: skip
    lent, gone, other = statuses_from_answer(
        "marl", answer, "9", (Copy("1"), Copy("2"), Copy("3")), NOW
    )
    assert (lent.state, lent.expected) == (ON_LOAN, "")
    assert (gone.state, gone.on_site) == (NOT_AVAILABLE, False)
    assert other.state == UNKNOWN


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ([1, 2], "no DAIA response"),
        ({"document": "none"}, "no DAIA response"),
        ({"document": []}, "does not know the record '9'"),
        ({"document": [{"id": "x:ppn:9"}]}, "lists no copies"),
        ({"document": [{"id": "x:ppn:19", "item": [ON_SHELF]}]}, "another record"),
        ({"document": [{"id": "x:ppn:9", "requested": "8", "item": [ON_SHELF]}]}, "another"),
    ],
)
def test_an_answer_that_says_nothing_of_the_record_is_unanswered(answer, reason) -> None:
    found = statuses_from_answer("marl", answer, "9", (Copy(),), NOW)
    assert isinstance(found, Unanswered) and reason in found.reason


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        (Misbehaviour(status=500, body=b"Internal Server Error"), "HTTP 500"),
        (Misbehaviour(body=b'{"document": [{"id": '), "not JSON"),
        (Misbehaviour(answer_for="456"), "another record than '123'"),
        (Misbehaviour(delay=0.5), "no answer within 0.2 s"),
    ],
)
def test_a_failing_service_gives_a_reason_not_an_exception(daia, how, reason) -> None:
    daia.holds("123", ON_SHELF)
    daia.holds("456", LENT)
    daia.misbehave("123", how)
    found = source(daia, timeout=0.2).statuses("123", BARCODES, NOW)
    assert found == Unanswered("marl", found.reason) and reason in found.reason


def test_an_unknown_id_is_unanswered(daia: DaiaServer) -> None:
    found = source(daia).statuses("999", BARCODES, NOW)
    assert isinstance(found, Unanswered) and "does not know the record '999'" in found.reason


def test_a_service_that_is_down_is_unreachable() -> None:
    stopped = DaiaServer()
    url = stopped.url
    stopped.stop()
    found = DaiaSource("marl", url, 1.0).statuses("123", BARCODES, NOW)
    assert isinstance(found, Unanswered) and found.reason.startswith("unreachable")


def test_the_record_id_is_sent_escaped(daia: DaiaServer) -> None:
    daia.holds("ppn:12 3&x", ON_SHELF)
    (status,) = source(daia).statuses("ppn:12 3&x", (Copy("1001"),), NOW)
    assert status.state == AVAILABLE and daia.requests == ["ppn:12 3&x"]


# ---------------------------------------------------------------- the service


def service_for(daia: DaiaServer, clock=time.monotonic, **settings) -> Availability:
    config = AvailabilityConfig("daia", daia.url, **settings)
    return Availability({"marl": config, "herten": config, "datteln": AvailabilityConfig()}, clock)


def test_the_page_waits_once_for_all_slow_libraries_together(daia: DaiaServer) -> None:
    for record_id in ("1", "2", "3"):
        daia.holds(record_id, ON_SHELF)
        daia.misbehave(record_id, Misbehaviour(delay=0.6))
    questions = [Question(lib, rid, (Copy(),)) for lib, rid in
                 (("marl", "1"), ("herten", "2"), ("marl", "3"))]  # fmt: skip
    started = time.monotonic()
    answers = service_for(daia, timeout=0.2).ask(questions, NOW)
    waited = time.monotonic() - started
    assert all(isinstance(a, Unanswered) and "0.2 s" in a.reason for a in answers.values())
    assert waited < 0.5  # one deadline, not three (0.6 s and more)


def test_a_library_without_live_source_is_not_asked(daia: DaiaServer) -> None:
    (answer,) = service_for(daia).ask([Question("datteln", "1", (Copy(),))], NOW).values()
    assert answer == Unanswered("datteln", "no live source") and daia.requests == []


def test_an_answer_is_kept_for_cache_seconds(daia: DaiaServer) -> None:
    daia.holds("123", ON_SHELF)
    now = [100.0]
    availability = service_for(daia, clock=lambda: now[0], cache_seconds=60)
    asked = [Question("marl", "123", (Copy("1001"),))]
    first = availability.ask(asked, NOW)
    daia.holds("123", LENT)
    assert availability.ask(asked, NOW) == first and len(daia.requests) == 1
    now[0] += 61
    (again,) = availability.ask(asked, NOW).values()
    assert again[0].state == ON_LOAN and len(daia.requests) == 2


def test_a_failure_is_kept_too_so_a_slow_service_costs_one_wait(daia: DaiaServer) -> None:
    daia.holds("123", ON_SHELF)
    daia.misbehave("123", Misbehaviour(delay=0.3))
    availability = service_for(daia, timeout=0.1)
    asked = [Question("marl", "123", (Copy("1001"),))]
    (first,) = availability.ask(asked, NOW).values()
    deadline = time.monotonic() + 1
    while availability._cached(asked[0]) is None and time.monotonic() < deadline:
        time.sleep(0.01)  # the source gives up after its own timeout, and keeps that
    started = time.monotonic()
    (second,) = availability.ask(asked, NOW).values()
    assert isinstance(first, Unanswered) and isinstance(second, Unanswered)
    assert time.monotonic() - started < 0.05 and len(daia.requests) == 1


def test_the_rota_counts_only_lendable_copies_that_are_available_now(daia) -> None:
    lendable = Item("marl", "", "Ro 123", "1001", "", "available", "", "")
    kept_home = Item("marl", "", "Ro 123", "1002", "", "available", "", "d")
    daia.holds("1", ON_SHELF, ON_SHELF)
    daia.holds("2", ON_SHELF)
    daia.holds("3", LENT)
    records = [("marl", "1", (kept_home,)), ("herten", "2", (lendable,)),
               ("marl", "3", (lendable,)), ("datteln", "4", (lendable,))]  # fmt: skip
    answers = service_for(daia).ask([question(*r) for r in records], NOW)
    assert live_states(records, answers) == {"marl": ON_LOAN, "herten": AVAILABLE}


def test_a_harvested_status_keeps_its_harvest_time() -> None:
    lent = Item("marl", "", "Ro 1", "1", "", "on_loan", "2026-12-24", "")
    status = harvested(lent, NOW)
    assert (status.state, status.source, status.as_of, status.expected) == (
        ON_LOAN,
        HARVESTED,
        NOW,
        "2026-12-24",
    )
    assert harvested(None, NOW).state == UNKNOWN
