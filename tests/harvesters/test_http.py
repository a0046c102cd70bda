"""The one bounded fetch of every network harvester, against a real server that misbehaves."""

from __future__ import annotations

import time

import pytest
import requests

from harvesters.errors import SourceError
from harvesters.http import BoundReached, Fetcher
from libnet.config import SourceConfig
from tests.peers.http_faults import GARBAGE, Answer, FaultServer, refused_url

OK = Answer(b"<answer><said>fine</said></answer>")


class Sleeps(list):
    """Stands in for time.sleep: remembers each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fetch(url: str, *, sleep: Sleeps | None = None, **settings) -> list[tuple[int, str, str]]:
    """(depth, tag, text) of every element the Fetcher hands on for one answer."""
    settings = {"retries": 0, "backoff": 1.0, "timeout": 5.0} | settings
    config = SourceConfig("sru", url, **settings)
    with requests.Session() as session:
        fetcher = Fetcher(config, session=session, sleep=sleep if sleep is not None else Sleeps())
        return [
            (depth, el.tag, el.text or "")
            for depth, el in fetcher.elements(url, {"query": "dc.title=geheim"})
        ]


def test_an_xml_answer_is_handed_on_element_by_element(fault_server: FaultServer) -> None:
    fault_server.answer(OK)
    assert fetch(fault_server.url) == [(1, "answer", ""), (2, "said", "fine")]
    assert fault_server.requests == [{"query": "dc.title=geheim"}]


def test_a_refused_connection_is_tried_again_with_growing_pauses_then_fails() -> None:
    url = refused_url()
    sleeps = Sleeps()
    with pytest.raises(SourceError) as caught:
        fetch(url, retries=3, backoff=2.0, sleep=sleeps)
    port = url.split(":")[2].split("/")[0]
    assert str(caught.value) == (
        f"cannot reach http://127.0.0.1:{port}/sru: connection refused (after 3 retries)"
    )
    assert sleeps == [2.0, 4.0, 8.0]


def test_a_server_error_that_passes_costs_only_the_retries(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(status=500), Answer(status=502), OK)
    sleeps = Sleeps()
    assert fetch(fault_server.url, retries=3, backoff=0.5, sleep=sleeps)[1][2] == "fine"
    assert sleeps == [0.5, 1.0]
    assert len(fault_server.requests) == 3


def test_a_server_error_that_stays_fails_with_the_number_of_retries(
    fault_server: FaultServer,
) -> None:
    fault_server.answer(Answer(b"<h1>Internal Server Error</h1>", status=500))
    with pytest.raises(SourceError, match=r"^HTTP 500 INTERNAL SERVER ERROR \(after 3 retries\)$"):
        fetch(fault_server.url, retries=3)
    assert len(fault_server.requests) == 4


def test_a_small_retry_after_is_honoured(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(status=429, headers={"Retry-After": "7"}), OK)
    sleeps = Sleeps()
    fetch(fault_server.url, retries=1, backoff=1.0, sleep=sleeps)
    assert sleeps == [7.0]


@pytest.mark.parametrize("value", ["²", "Fri, 07 Nov 2026 10:00:00 GMT", "-3", ""])
def test_a_retry_after_that_is_no_number_of_seconds_gets_the_usual_backoff(
    fault_server: FaultServer, value: str
) -> None:
    """Retry-After "²": str.isdigit() says yes, float() raises ValueError."""
    fault_server.answer(Answer(status=503, headers={"Retry-After": value}), OK)
    sleeps = Sleeps()
    fetch(fault_server.url, retries=1, backoff=1.0, sleep=sleeps)
    assert sleeps == [1.0]


def test_a_retry_after_of_hours_is_not_waited_for(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(status=503, headers={"Retry-After": "86400"}), OK)
    sleeps = Sleeps()
    fetch(fault_server.url, retries=1, backoff=1.0, sleep=sleeps)
    assert sleeps == [1.0]


def test_a_pause_that_would_pass_the_deadline_ends_the_harvest_instead(
    fault_server: FaultServer,
) -> None:
    fault_server.answer(Answer(status=503, headers={"Retry-After": "60"}), OK)
    sleeps = Sleeps()
    with pytest.raises(BoundReached, match=r"^harvest deadline of 30 s reached$"):
        fetch(fault_server.url, retries=1, deadline=30.0, sleep=sleeps)
    assert sleeps == []


def test_a_client_error_fails_at_once(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(status=404))
    sleeps = Sleeps()
    with pytest.raises(SourceError, match=r"^HTTP 404 NOT FOUND$"):
        fetch(fault_server.url, retries=3, sleep=sleeps)
    assert len(fault_server.requests) == 1
    assert sleeps == []


def test_a_reason_shows_neither_user_nor_query_of_the_url() -> None:
    url = refused_url().replace("http://", "http://bibliothek:geheim@") + "?key=secret"
    with pytest.raises(SourceError) as caught:
        fetch(url)
    assert "cannot reach http://127.0.0.1:" in str(caught.value)
    assert "geheim" not in str(caught.value) and "secret" not in str(caught.value)


def test_an_html_page_that_is_not_xml_is_named_html(fault_server: FaultServer) -> None:
    page = b"<!DOCTYPE html><html><body>Wartung<br></body></html>"
    fault_server.answer(Answer(page, content_type="text/xml"))
    with pytest.raises(SourceError, match=r"^answered HTML, not XML: <!DOCTYPE html>"):
        fetch(fault_server.url, retries=3)
    assert len(fault_server.requests) == 1


def test_garbage_bytes_fail_with_the_parsers_message(fault_server: FaultServer) -> None:
    fault_server.answer(GARBAGE)
    with pytest.raises(SourceError, match=r"^answer is not well-formed XML \(line 1: "):
        fetch(fault_server.url)


def test_an_empty_answer_is_not_xml(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(b""))
    with pytest.raises(SourceError, match="answer is not well-formed XML"):
        fetch(fault_server.url)


def test_a_server_that_never_answers_fails_after_the_timeout(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(OK.body, hang=30))
    began = time.monotonic()
    with pytest.raises(SourceError, match=r"^no answer within 0\.3 s \(after 1 retries\)$"):
        fetch(fault_server.url, timeout=0.3, retries=1, backoff=0.01)
    assert time.monotonic() - began < 3


def test_a_server_that_dribbles_bytes_forever_meets_the_answers_own_limit(
    fault_server: FaultServer,
) -> None:
    fault_server.answer(Answer(b"<a>", dribble=0.02))
    began = time.monotonic()
    with pytest.raises(SourceError, match=r"^answer not complete within 1\.5 s$"):
        fetch(fault_server.url, timeout=0.3)
    assert 1.4 < time.monotonic() - began < 4


def test_an_answer_larger_than_the_limit_is_refused(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(b"<a>" + b"x" * 100_000 + b"</a>"))
    with pytest.raises(BoundReached, match=r"^answer larger than max_response_mb \(0\.05 MB\)$"):
        fetch(fault_server.url, max_response_mb=0.05, retries=2)
    assert len(fault_server.requests) == 1


def test_an_external_entity_is_neither_fetched_nor_expanded(fault_server: FaultServer) -> None:
    body = b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/hostname">]><a><b>&e;</b></a>'
    fault_server.answer(Answer(body))
    [root, b] = fetch(fault_server.url)
    assert root[:2] == (1, "a") and b == (2, "b", "")  # the reference stays a reference
