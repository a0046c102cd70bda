"""The one HTTP fetch of every network harvester, against a real server that misbehaves."""

from __future__ import annotations

import time

import pytest
import requests

from harvesters.errors import SourceError
from harvesters.http import fetch_xml
from tests.peers.http_faults import GARBAGE, HTML_PAGE, Answer, FaultServer, refused_url

OK = Answer(b"<answer>fine</answer>")


class Sleeps(list):
    """Stands in for time.sleep: remembers each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fetch(url: str, *, retries: int = 0, backoff: float = 1.0, timeout: float = 5.0, **kw):
    sleeps = kw.pop("sleep", Sleeps())
    with requests.Session() as session:
        return fetch_xml(
            session, url, {"query": "dc.title=geheim"}, timeout=timeout, retries=retries,
            backoff=backoff, sleep=sleeps, **kw,
        )  # fmt: skip


def test_an_xml_answer_is_parsed(fault_server: FaultServer) -> None:
    fault_server.answer(OK)
    assert fetch(fault_server.url).text == "fine"
    assert fault_server.requests == [{"query": "dc.title=geheim"}]


def test_a_refused_connection_is_tried_again_with_growing_pauses_then_fails() -> None:
    url = refused_url()
    sleeps = Sleeps()
    with pytest.raises(SourceError) as caught:
        fetch(url, retries=3, backoff=2.0, sleep=sleeps)
    assert str(caught.value) == f"{url}: connection refused after 4 tries"
    assert sleeps == [2.0, 4.0, 8.0]


def test_a_server_error_that_passes_costs_only_the_retries(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(status=500), Answer(status=502), OK)
    sleeps = Sleeps()
    assert fetch(fault_server.url, retries=3, backoff=0.5, sleep=sleeps).text == "fine"
    assert sleeps == [0.5, 1.0]
    assert len(fault_server.requests) == 3


def test_a_server_error_that_stays_fails_with_the_number_of_tries(
    fault_server: FaultServer,
) -> None:
    fault_server.answer(Answer(b"<h1>Internal Server Error</h1>", status=500))
    with pytest.raises(SourceError, match=r"/sru: HTTP 500 after 4 tries$"):
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


def test_a_client_error_fails_at_once(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(status=404))
    sleeps = Sleeps()
    with pytest.raises(SourceError, match=r"/sru: HTTP 404 NOT FOUND$"):
        fetch(fault_server.url, retries=3, sleep=sleeps)
    assert len(fault_server.requests) == 1
    assert sleeps == []


def test_the_reason_names_the_url_without_its_query(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(status=403))
    with pytest.raises(SourceError) as caught:
        fetch(fault_server.url + "?key=secret")
    assert str(caught.value).startswith(f"{fault_server.url}: HTTP 403")
    assert "secret" not in str(caught.value)
    assert "geheim" not in str(caught.value)


def test_a_server_that_answers_html_fails_with_a_clear_reason(fault_server: FaultServer) -> None:
    fault_server.answer(HTML_PAGE)
    with pytest.raises(SourceError, match="answered HTML, not XML"):
        fetch(fault_server.url, retries=3)
    assert len(fault_server.requests) == 1


def test_an_html_page_sent_as_xml_is_still_recognised(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(HTML_PAGE.body, content_type="text/xml"))
    with pytest.raises(SourceError, match="answered HTML, not XML"):
        fetch(fault_server.url)


def test_garbage_bytes_fail_with_the_parsers_message(fault_server: FaultServer) -> None:
    fault_server.answer(GARBAGE)
    with pytest.raises(SourceError, match=r"answered something that is not XML: .*line 1"):
        fetch(fault_server.url)


def test_an_empty_answer_is_not_xml(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(b""))
    with pytest.raises(SourceError, match="answered something that is not XML"):
        fetch(fault_server.url)


def test_a_server_that_never_answers_fails_after_the_timeout(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(OK.body, hang=30))
    began = time.monotonic()
    with pytest.raises(SourceError, match=r"/sru: no answer within 0\.3 s after 2 tries$"):
        fetch(fault_server.url, timeout=0.3, retries=1)
    assert time.monotonic() - began < 3


def test_a_server_that_dribbles_bytes_forever_meets_the_deadline(
    fault_server: FaultServer,
) -> None:
    fault_server.answer(Answer(b"<a>", dribble=0.02))
    began = time.monotonic()
    with pytest.raises(SourceError, match=r"answer not complete within 1\.5 s$"):
        fetch(fault_server.url, timeout=0.3)
    assert 1.4 < time.monotonic() - began < 4


def test_an_answer_larger_than_the_limit_is_refused(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(b"<a>" + b"x" * 100_000 + b"</a>"))
    with pytest.raises(SourceError, match="answer is larger than 50000 bytes"):
        fetch(fault_server.url, max_bytes=50_000, retries=2)
    assert len(fault_server.requests) == 1


def test_an_external_entity_is_neither_fetched_nor_expanded(fault_server: FaultServer) -> None:
    body = b'<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/hostname">]><a>&e;</a>'
    fault_server.answer(Answer(body))
    root = fetch(fault_server.url)
    assert root.text is None
    assert root[0].text == "&e;"  # the reference stays a reference
