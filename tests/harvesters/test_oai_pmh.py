"""Harvesting OAI-PMH: pyoai as a real repository, a scripted HTTP server for the faults."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from oaipmh_scythe import Scythe

from harvesters.errors import SourceError
from harvesters.oai_pmh import OaiSource
from libnet.config import SourceConfig
from libnet.records.harvested import RawRecord, RecordProblem
from tests.builders import book
from tests.peers.oai_faults import (
    Answer,
    Script,
    ScriptedServer,
    dc_record,
    list_records,
    marc_record,
    oai_document,
    refused_url,
    repository,
)
from tests.peers.oai_provider import OaiProvider

Scripted = Callable[[Script], ScriptedServer]
T0 = datetime(2024, 1, 1)  # record n of the catalogue was last changed n hours after this
SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def config(url: str, **settings) -> SourceConfig:
    settings = {"retries": 0, "backoff": 0.01, "timeout": 5.0} | settings
    return SourceConfig(type="oai", url=url, **settings)


def oai_id(n: int) -> str:
    return f"oai:kr.example:{n:04d}"


def fill(provider: OaiProvider) -> tuple[set[str], set[str]]:
    """95 books, every 7th deleted (13), every 10th in the set "kinder": (live ids, deleted ids)."""
    live, deleted = set(), set()
    for n in range(1, 96):
        sets = ["kinder"] if n % 10 == 0 else []
        provider.put(oai_id(n), book(f"kr{n:04d}", f"Band {n}"), T0 + timedelta(hours=n), sets)
        if n % 7 == 0:
            provider.delete(oai_id(n), T0 + timedelta(hours=n))
            deleted.add(oai_id(n))
        else:
            live.add(oai_id(n))
    return live, deleted


def split(items: list[RawRecord | RecordProblem]):
    good = [i for i in items if isinstance(i, RawRecord) and not i.deleted]
    gone = [i for i in items if isinstance(i, RawRecord) and i.deleted]
    bad = [i for i in items if isinstance(i, RecordProblem)]
    return good, gone, bad


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def moment(cursor: str) -> datetime:
    return datetime.strptime(cursor, "%Y-%m-%dT%H:%M:%SZ")


# --- against pyoai, a real repository -------------------------------------------------------


def test_a_full_harvest_delivers_every_record_once_and_the_deletions(
    oai_provider: OaiProvider,
) -> None:
    live, deleted = fill(oai_provider)
    source = OaiSource(config(oai_provider.url))
    before = utc_now()
    good, gone, bad = split(list(source))
    after = utc_now()
    assert source.snapshot and not bad
    assert len(good) == 82 and {r.source_id for r in good} == live
    assert len(gone) == 13 and {r.source_id for r in gone} == deleted
    assert all(r.record is None and r.data == b"" and r.syntax == "marcxml" for r in gone)
    first = next(r for r in good if r.source_id == oai_id(1))
    assert first.record["001"].data == "kr0001" and first.record["245"]["a"] == "Band 1"
    assert first.data.startswith(b'<record xmlns="http://www.loc.gov/MARC21/slim"')
    assert first.position == "page 1 record 1"
    assert oai_provider.requests.count({"verb": "ListRecords", "metadataPrefix": "marc21"}) == 1
    assert len([r for r in oai_provider.requests if "resumptionToken" in r]) == 9
    assert SECONDS.match(source.cursor) and before <= moment(source.cursor) <= after
    assert source.expected is None  # pyoai's tokens carry no completeListSize


def test_an_incremental_harvest_from_the_cursor_gets_exactly_the_changes(
    oai_provider: OaiProvider,
) -> None:
    fill(oai_provider)
    full = OaiSource(config(oai_provider.url))
    list(full)
    changed_at = moment(full.cursor) + timedelta(seconds=1)
    for n in (1, 2, 50):
        oai_provider.put(oai_id(n), book(f"kr{n:04d}", f"Band {n}, 2. Auflage"), changed_at)
    for n in (96, 97):
        oai_provider.put(oai_id(n), book(f"kr{n:04d}", f"Band {n}"), changed_at)
    for n in (3, 4):
        oai_provider.delete(oai_id(n), changed_at)

    increment = OaiSource(config(oai_provider.url), since=full.cursor)
    good, gone, bad = split(list(increment))
    assert not increment.snapshot and not bad
    assert oai_provider.requests[-1] == {
        "verb": "ListRecords",
        "metadataPrefix": "marc21",
        "from": full.cursor,
    }
    assert {r.source_id for r in good} == {oai_id(n) for n in (1, 2, 50, 96, 97)}
    assert {r.record["245"]["a"] for r in good if r.source_id == oai_id(50)} == {
        "Band 50, 2. Auflage"
    }
    assert {r.source_id for r in gone} == {oai_id(3), oai_id(4)}
    assert moment(increment.cursor) >= moment(full.cursor)


def test_nothing_changed_since_is_an_empty_harvest_not_an_error(
    oai_provider: OaiProvider,
) -> None:
    fill(oai_provider)
    source = OaiSource(config(oai_provider.url), since="2099-01-01T00:00:00Z")
    assert list(source) == []
    assert SECONDS.match(source.cursor)  # the next increment still has a start


def test_an_unknown_metadata_prefix_fails_naming_cannot_disseminate_format(
    oai_provider: OaiProvider,
) -> None:
    fill(oai_provider)
    with pytest.raises(SourceError, match="cannotDisseminateFormat: unknown metadata format"):
        list(OaiSource(config(oai_provider.url, metadata_prefix="marcxml")))


def test_a_set_harvest_gets_that_sets_records_and_deletions_only(
    oai_provider: OaiProvider,
) -> None:
    fill(oai_provider)
    good, gone, bad = split(list(OaiSource(config(oai_provider.url, set="kinder"))))
    assert {r.source_id for r in good} == {oai_id(n) for n in (10, 20, 30, 40, 50, 60, 80, 90)}
    assert [r.source_id for r in gone] == [oai_id(70)] and not bad


def test_a_set_on_a_repository_without_sets_fails_naming_no_set_hierarchy() -> None:
    with OaiProvider() as provider:
        provider.put(oai_id(1), book("kr0001"), T0)
        with pytest.raises(SourceError, match="noSetHierarchy"):
            list(OaiSource(config(provider.url, set="kinder")))


def test_a_record_with_broken_marcxml_is_a_problem_and_the_others_are_kept(
    oai_provider: OaiProvider,
) -> None:
    fill(oai_provider)
    broken = etree.fromstring(
        '<record xmlns="http://www.loc.gov/MARC21/slim"><leader>too short</leader>'
        '<controlfield tag="001">kr0055</controlfield></record>'
    )
    oai_provider.put(oai_id(55), broken, T0)
    good, gone, bad = split(list(OaiSource(config(oai_provider.url))))
    assert len(good) == 81 and len(gone) == 13
    [problem] = bad
    assert problem.local_id == oai_id(55) and problem.position == "page 6 record 5"
    assert "leader has 9 characters" in problem.reason and "too short" in problem.excerpt


def test_the_provider_lists_its_sets(oai_provider: OaiProvider) -> None:
    with Scythe(oai_provider.url) as scythe:
        specs = {s.setSpec for s in scythe.list_sets()}
    assert specs == {"kinder", "musik"}


# --- against a scripted server: what real repositories get wrong ------------------------------


def two_pages(args: dict[str, str]) -> Answer:
    if args.get("resumptionToken") == "page2":
        return list_records(marc_record("oai:s:3", "Drei"), token="")
    records = marc_record("oai:s:1", "Eins") + marc_record("oai:s:2", "Zwei")
    return list_records(records, token="page2", size=3)


def test_complete_list_size_is_expected_and_day_granularity_cuts_from_and_cursor(
    scripted_oai: Scripted,
) -> None:
    server = scripted_oai(repository(two_pages, granularity="YYYY-MM-DD"))
    source = OaiSource(config(server.url), since="2024-04-01T12:00:00Z")
    good, _, bad = split(list(source))
    assert [r.source_id for r in good] == ["oai:s:1", "oai:s:2", "oai:s:3"] and not bad
    assert good[2].position == "page 2 record 1"
    assert server.requests[1]["from"] == "2024-04-01"
    assert source.expected == 3 and source.cursor == "2024-05-01"


def test_a_refused_connection_fails_the_source() -> None:
    url = refused_url()
    with pytest.raises(SourceError, match=r"cannot reach .*(refused|Connect).*after 1 retries"):
        list(OaiSource(config(url, retries=1)))


def test_http_500_is_retried_and_then_fails_the_source(scripted_oai: Scripted) -> None:
    server = scripted_oai(lambda args: Answer(b"Internal Server Error", 500, "text/plain"))
    with pytest.raises(SourceError, match=r"^HTTP 500 Internal Server Error \(after 2 retries\)$"):
        list(OaiSource(config(server.url, retries=2)))
    assert server.verbs() == ["Identify"] * 3


def test_a_passing_server_error_is_survived(scripted_oai: Scripted) -> None:
    failures = iter([Answer(b"busy", 503, "text/plain")])
    server = scripted_oai(repository(lambda args: next(failures, None) or two_pages(args)))
    good, _, _ = split(list(OaiSource(config(server.url, retries=1))))
    assert len(good) == 3 and server.verbs().count("ListRecords") == 3


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Answer(b"<!DOCTYPE html><html><body><h1>Wartung</h1></body></html>", 200, "text/html"),
         "answer is <html>, not an OAI-PMH document"),
        (Answer(b"garbage \x00\x01 instead of XML"), "answer is not well-formed XML"),
        (Answer(b""), "answer is not well-formed XML"),
        (Answer(b'<?xml version="1.0"?><collection><record>'), "not well-formed XML"),
    ],
    ids=["html", "garbage", "empty", "other-xml-cut-off"],
)  # fmt: skip
def test_an_answer_that_is_not_oai_pmh_fails_the_source(
    scripted_oai: Scripted,
    answer: Answer,
    reason: str,
) -> None:
    server = scripted_oai(repository(lambda args: answer))
    with pytest.raises(SourceError, match=re.escape(reason)) as failure:
        list(OaiSource(config(server.url)))
    assert "\n" not in str(failure.value)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_an_answer_that_is_not_encoded_as_it_says_fails_the_source(
    scripted_oai: Scripted, encoding: str
) -> None:
    """Found by tests/fuzz: httpx2's DecodingError is no TransportError and went unhandled."""
    inner = '<error code="noRecordsMatch">x</error>'
    plain = oai_document("ListRecords", inner)
    server = scripted_oai(repository(lambda args: Answer(plain.body, encoding=encoding)))
    with pytest.raises(SourceError, match=r"^answer cannot be decoded: "):
        list(OaiSource(config(server.url)))


def test_a_list_size_that_is_no_number_is_not_expected(scripted_oai: Scripted) -> None:
    """completeListSize "²": str.isdigit() says yes, int() raises ValueError."""
    page = list_records(marc_record("oai:s:1", "Eins"), token="t2", size="²")
    end = list_records(marc_record("oai:s:2", "Zwei"))
    server = scripted_oai(repository(lambda args: end if "resumptionToken" in args else page))
    source = OaiSource(config(server.url))
    good, _, _ = split(list(source))
    assert [r.source_id for r in good] == ["oai:s:1", "oai:s:2"] and source.expected is None


def test_a_moved_repository_fails_naming_its_new_address(scripted_oai: Scripted) -> None:
    moved = Answer(b"", 301, "text/html", location="https://opac.example.org/oai")
    server = scripted_oai(lambda args: moved)
    with pytest.raises(SourceError, match=r"HTTP 301 Moved Permanently: .* to https://opac"):
        list(OaiSource(config(server.url)))


def test_a_truncated_page_fails_instead_of_ending_the_harvest_early(
    scripted_oai: Scripted,
) -> None:
    def cut_page_two(args: dict[str, str]) -> Answer:
        answer = two_pages(args)
        return Answer(answer.body[:-40]) if "resumptionToken" in args else answer

    items = []
    with pytest.raises(SourceError, match="not well-formed XML"):
        items.extend(OaiSource(config(scripted_oai(repository(cut_page_two)).url)))
    # page 2 is read as it arrives: its one complete record comes before the cut is seen;
    # a failed harvest applies none of its records (harvesters/run.py)
    assert [i.source_id for i in items] == ["oai:s:1", "oai:s:2", "oai:s:3"]


def test_a_resumption_token_that_repeats_forever_stops_the_harvest(
    scripted_oai: Scripted,
) -> None:
    server = scripted_oai(repository(lambda args: list_records(marc_record("oai:s:1", "Eins"),
                                                               token="same")))  # fmt: skip
    source = OaiSource(config(server.url))
    with pytest.raises(SourceError, match="resumption token repeats: 'same' came again on page 2"):
        list(source)
    assert server.verbs() == ["Identify", "ListRecords", "ListRecords"]
    assert source.cursor is None  # an incomplete harvest gives no start for the next one


def test_fresh_tokens_without_end_stop_after_max_pages(scripted_oai: Scripted) -> None:
    pages = iter(range(1_000))
    server = scripted_oai(repository(lambda args: list_records("", token=f"t{next(pages)}")))
    with pytest.raises(SourceError, match="resumption token repeats without end: more than 5"):
        list(OaiSource(config(server.url, max_pages=5)))
    assert server.verbs().count("ListRecords") == 5


def test_dublin_core_instead_of_marc_fails_the_source(scripted_oai: Scripted) -> None:
    server = scripted_oai(repository(lambda args: list_records(dc_record("oai:s:1", "Eins"))))
    with pytest.raises(SourceError, match=r"records are not MARC 21 but <\{http://www.openarch"):
        list(OaiSource(config(server.url, metadata_prefix="oai_dc")))


def test_records_without_header_or_metadata_are_problems(scripted_oai: Scripted) -> None:
    page = (
        marc_record("oai:s:1", "Eins")
        + "<record><header><identifier>oai:s:2</identifier></header></record>"
        + "<record><metadata/></record>"
    )
    server = scripted_oai(repository(lambda args: list_records(page)))
    good, _, bad = split(list(OaiSource(config(server.url))))
    assert [r.source_id for r in good] == ["oai:s:1"]
    assert [(p.local_id, p.reason) for p in bad] == [
        ("oai:s:2", "record has neither metadata nor a deleted status"),
        ("", "record has no header"),
    ]


def test_an_oai_error_during_paging_fails_naming_the_code(scripted_oai: Scripted) -> None:
    def expired(args: dict[str, str]) -> Answer:
        if "resumptionToken" in args:
            inner = '<error code="badResumptionToken">token has expired</error>'
            return oai_document("ListRecords", inner)
        return two_pages(args)

    server = scripted_oai(repository(expired))
    with pytest.raises(SourceError, match=r"^OAI-PMH error badResumptionToken: token has expired$"):
        list(OaiSource(config(server.url)))


def test_a_silent_server_times_out(scripted_oai: Scripted) -> None:
    released = threading.Event()

    def silent(args: dict[str, str]) -> Answer:
        released.wait(2)
        return list_records("")

    server = scripted_oai(repository(silent))
    try:
        with pytest.raises(SourceError, match=r"^no answer within 0.2 s$"):
            list(OaiSource(config(server.url, timeout=0.2)))
    finally:
        released.set()
