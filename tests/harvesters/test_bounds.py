"""Every source bounded in time, size and reach, against real servers that do not play along.

A dripping server, an endless answer, redirects away and HTTP framing that lies: each fails
its library's harvest with one line saying which bound and how far it got, in time and in
flat memory, and never fetches from a host the source did not name.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from harvesters.errors import SourceError
from harvesters.http import Fetcher
from harvesters.oai_pmh import OaiSource
from harvesters.sru import SruSource
from libnet.cli import main
from libnet.config import SourceConfig
from libnet.store import open_store
from tests.peers.http_faults import (
    Answer,
    FaultServer,
    marcxml_record,
    refused_url,
    sru_catalogue,
    sru_page,
)
from tests.peers.http_framing import RawHttpServer
from tests.peers.oai_faults import OAI_NS, identify, marc_record

FAST = {"retries": 0, "backoff": 0.01, "timeout": 5.0}


def sru(url: str, **settings) -> SourceConfig:
    return SourceConfig("sru", url, **(FAST | settings))


def books(count: int, prefix: str = "b") -> list[bytes]:
    return [marcxml_record(f"{prefix}{n}", f"Buch {n}") for n in range(1, count + 1)]


def elements(url: str, **settings) -> list[tuple[int, str, str]]:
    """(depth, tag, text) of what the Fetcher hands on for one answer from url."""
    with requests.Session() as session:
        fetcher = Fetcher(sru(url, **settings), session=session)
        return [(d, el.tag, el.text or "") for d, el in fetcher.elements(url, {"q": "x"})]


@pytest.fixture
def other_host() -> Iterator[FaultServer]:
    """A second server on another port: another host as far as a source is concerned."""
    server = FaultServer()
    server.start()
    yield server
    server.stop()


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


# --- the deadline -----------------------------------------------------------------------------


def test_a_dripping_server_ends_the_harvest_at_its_deadline(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(b"<searchRetrieveResponse>", dribble=0.2))
    began = time.monotonic()
    with pytest.raises(SourceError) as failure:
        list(SruSource(sru(fault_server.url, deadline=1.0)))
    assert time.monotonic() - began < 1.6
    assert str(failure.value) == "harvest deadline of 1 s reached after 0 records on page 1"


def test_a_silent_server_is_not_waited_for_beyond_the_deadline(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(b"<a/>", hang=10))
    began = time.monotonic()
    with pytest.raises(SourceError, match=r"^harvest deadline of 0\.5 s reached after 0 records"):
        list(SruSource(sru(fault_server.url, deadline=0.5, retries=3)))
    assert time.monotonic() - began < 1.2


def test_the_deadline_counts_the_whole_harvest_not_each_page(fault_server: FaultServer) -> None:
    """Each page comes in time, slowly; together they pass the deadline, on page 4."""
    catalogue = sru_catalogue(books(50))
    fault_server.answer(lambda args: Answer(catalogue(args).body, hang=0.3))
    items = []
    with pytest.raises(SourceError) as failure:
        items.extend(SruSource(sru(fault_server.url, deadline=1.0, page_size=5)))
    assert str(failure.value) == "harvest deadline of 1 s reached after 15 records on page 4"
    assert len(items) == 15


# --- the size of an answer --------------------------------------------------------------------


def endless_list_records() -> Iterator[bytes]:
    yield (
        f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI_NS}">'
        "<responseDate>2024-05-01T10:11:12Z</responseDate><request>x</request><ListRecords>"
    ).encode()
    page = "".join(marc_record(f"oai:s:{n}", "Ohne Ende") for n in range(100)).encode()
    while True:
        yield page


def test_an_endless_answer_ends_at_max_response_mb_with_its_records_handed_on(
    fault_server: FaultServer,
) -> None:
    listing = Answer(stream=endless_list_records)
    hello = Answer(identify().body)
    fault_server.answer(lambda args: hello if args.get("verb") == "Identify" else listing)
    items = []
    with pytest.raises(SourceError) as failure:
        items.extend(OaiSource(SourceConfig("oai", fault_server.url, max_response_mb=1, **FAST)))
    reason = re.fullmatch(
        r"answer larger than max_response_mb \(1 MB\) after ([\d,]+) records on page 1",
        str(failure.value),
    )
    assert reason and int(reason[1].replace(",", "")) == len(items)
    assert len(items) > 1_000  # handed on while the answer arrived, not after


def test_a_30_mb_answer_is_read_in_flat_memory(fault_server: FaultServer) -> None:
    """Held as a tree, the answer would take well over 30 MB; read as a stream, a few."""
    item = b"<item>" + b"Stadtgeschichte des Kreises Recklinghausen " * 23 + b"</item>"
    piece = item * 64  # 64 KiB
    count = 30 * 1024 * 1024 // len(piece)

    def answer() -> Iterator[bytes]:
        yield b"<answer>"
        for _ in range(count):
            yield piece
        yield b"</answer>"

    fault_server.answer(Answer(stream=answer))
    with requests.Session() as session:
        fetcher = Fetcher(sru(fault_server.url, max_response_mb=50), session=session)
        before = peak = rss_bytes()
        seen = 0
        for depth, _ in fetcher.elements(fault_server.url, {}):
            seen += depth == 2
            if seen % 2000 == 0:
                peak = max(peak, rss_bytes())
    assert seen == count * 64
    assert peak - before < 10 * 1024 * 1024


# --- where requests may go --------------------------------------------------------------------


def moved(to: str) -> Answer:
    return Answer(status=302, headers={"Location": to})


def test_a_redirect_on_the_same_host_is_followed(fault_server: FaultServer) -> None:
    catalogue = sru_catalogue(books(3))
    fault_server.answer(lambda args: moved(f"/neu?{urlencode(args)}"), catalogue)
    items = list(SruSource(sru(fault_server.url)))
    assert len(items) == 3 and len(fault_server.requests) == 2


def test_a_redirect_to_another_host_fails_and_that_host_is_never_asked(
    fault_server: FaultServer, other_host: FaultServer
) -> None:
    other_host.answer(sru_catalogue(books(3)))
    fault_server.answer(moved(other_host.url.replace("/sru", "/sru?token=geheim")))
    with pytest.raises(SourceError) as failure:
        list(SruSource(sru(fault_server.url)))
    origin = other_host.url.removesuffix("/sru")
    assert str(failure.value) == (
        f"HTTP 302 FOUND: refused to follow the redirect to {origin} "
        f"(only {fault_server.url.removesuffix('/sru')} or a host in allow_redirects_to)"
    )
    assert other_host.requests == []


def test_allow_redirects_to_lets_a_redirect_through_to_that_host(
    fault_server: FaultServer, other_host: FaultServer
) -> None:
    other_host.answer(sru_catalogue(books(3)))
    elsewhere = other_host.url.replace("127.0.0.1", "localhost")
    fault_server.answer(lambda args: moved(f"{elsewhere}?{urlencode(args)}"))
    items = list(SruSource(sru(fault_server.url, allow_redirects_to=("localhost",))))
    assert len(items) == 3 and len(fault_server.requests) == len(other_host.requests) == 1


def test_a_source_login_never_follows_a_redirect_to_another_host(
    fault_server: FaultServer, other_host: FaultServer
) -> None:
    other_host.answer(sru_catalogue(books(2)))
    elsewhere = other_host.url.replace("127.0.0.1", "localhost")
    fault_server.answer(lambda args: moved(f"{elsewhere}?{urlencode(args)}"))
    config = sru(fault_server.url, allow_redirects_to=("localhost",))
    items = list(SruSource(config, auth=("libnet", "geheim")))
    assert len(items) == 2
    assert fault_server.authorizations == ["Basic bGlibmV0OmdlaGVpbQ=="]  # libnet:geheim
    assert other_host.authorizations == [""]


def hops(limit: int):
    def answer(args: dict[str, str]) -> Answer:
        hop = int(args.get("hop", "0"))
        return moved(f"/sru?hop={hop + 1}") if hop < limit else Answer(b"<angekommen/>")

    return answer


def test_five_redirects_are_followed(fault_server: FaultServer) -> None:
    fault_server.answer(hops(5))
    assert elements(fault_server.url) == [(1, "angekommen", "")]
    assert len(fault_server.requests) == 6


def test_more_than_five_redirects_fail(fault_server: FaultServer) -> None:
    fault_server.answer(hops(6))
    with pytest.raises(SourceError) as failure:
        elements(fault_server.url)
    assert str(failure.value) == f"more than 5 redirects (the last to {fault_server.url})"
    assert len(fault_server.requests) == 6


# --- HTTP framing that lies -------------------------------------------------------------------

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
CHUNKED = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
BROKE_OFF = r"^connection broke off: the answer ended before its announced length or chunk"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (HEAD + b"Content-Length: 500\r\n\r\n<a><b>1</b>", BROKE_OFF),
        (HEAD + b"Content-Length: 10\r\n\r\n<a><b>1</b><b>2</b></a>", "^answer is not well-formed"),
        (CHUNKED + b"100\r\n<a><b>1</b>", r"^connection broke off: "),
        (CHUNKED + b"zz\r\n<a><b>1</b></a>\r\n0\r\n\r\n", BROKE_OFF),
        (CHUNKED + b"5\r\n<a><b\r\n9\r\n>1</b", r"^connection broke off: "),
        (CHUNKED + b"B\r\n<a><b>1</b>\r\n", r"^connection broke off: "),
    ],
    ids=["length-too-large", "length-too-small", "chunk-longer-than-sent", "chunk-size-no-hex",
         "closed-mid-chunk", "no-last-chunk"],
)  # fmt: skip
def test_broken_framing_fails_cleanly_with_one_line(answer: bytes, reason: str) -> None:
    with RawHttpServer(answer) as server, pytest.raises(SourceError, match=reason) as failure:
        elements(server.url, retries=1)
    assert "\n" not in str(failure.value)
    assert server.requests == (1 if "not well-formed" in reason else 2)


def test_an_answer_that_broke_off_is_read_on_from_where_it_broke() -> None:
    cut = HEAD + b"Content-Length: 500\r\n\r\n<a><b>1</b><b>2</b><b>3"
    body = b"<a><b>1</b><b>2</b><b>3</b></a>"
    whole = HEAD + b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    with RawHttpServer(cut, whole) as server:
        got = elements(server.url, retries=1)
    assert got == [(1, "a", ""), (2, "b", "1"), (2, "b", "2"), (2, "b", "3")]


# --- one nightly harvest: a dripping library, one redirecting away, one good -------------------


def write_config(tmp_path: Path, sources: dict[str, str], **more: str) -> Path:
    """A config of SRU sources with a 1 s deadline; `more` adds lines to one library's."""
    text = '[storage]\ndata_dir = "var"\n'
    for code, url in sources.items():
        text += f'\n[[libraries]]\ncode = "{code}"\nname = "{code.title()}"\n'
        text += f'[libraries.source]\ntype = "sru"\nurl = "{url}"\nretries = 0\ndeadline = 1\n'
        text += more.get(code, "")
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def endless_sru_answer() -> Iterator[bytes]:
    """One SRU page that never ends: records, records, records."""
    head, tail = sru_page([marcxml_record("endless0")], 10**9).split(b"<zs:record>", 1)
    record = b"<zs:record>" + tail.split(b"</zs:records>")[0]
    yield head
    while True:
        yield record * 200


def test_a_harvest_goes_on_past_a_dripping_flooding_redirecting_and_down_library(
    tmp_path: Path, other_host: FaultServer, capsys
) -> None:
    """Issue 16's harvest case: within the deadlines, in flat memory, the good library
    harvested, nothing fetched from the other host, and no secret in any output."""
    servers = {code: FaultServer() for code in ("marl", "herten", "datteln", "dorsten")}
    for code, server in servers.items():
        server.start()
        server.answer(sru_catalogue(books(4, prefix=code)))
    down = refused_url()  # a server that is down: nothing listens on its port
    secret_url = down.replace("http://", "http://harvest:Geheim-4711@") + "?apikey=Sch1uessel"
    sources = {code: s.url for code, s in servers.items()}
    more = {"dorsten": "max_response_mb = 0.25\n"}
    config = write_config(tmp_path, sources, **more)
    try:
        assert main(["harvest", "--config", str(config)]) == 0
        config = write_config(tmp_path, {**sources, "gladbeck": secret_url}, **more)
        servers["herten"].answer(Answer(b"<searchRetrieveResponse>", dribble=0.2))
        servers["datteln"].answer(moved(other_host.url))
        servers["dorsten"].answer(Answer(stream=endless_sru_answer))
        servers["marl"].answer(sru_catalogue(books(5, prefix="marl")))
        began = time.monotonic()
        assert main(["harvest", "--config", str(config)]) == 1
        assert main(["runs", "--config", str(config)]) == 0
        assert time.monotonic() - began < 6  # four failures, each within its 1 s deadline
    finally:
        for server in servers.values():
            server.stop()
    out, err = capsys.readouterr()
    for secret in ("Geheim-4711", "Sch1uessel"):
        assert secret not in out + err
    store = open_store(f"sqlite:///{tmp_path / 'var' / 'libnet.sqlite3'}")
    try:
        runs = {code: store.runs(code, limit=1)[0] for code in (*servers, "gladbeck")}
        assert runs["marl"].outcome == "ok" and runs["marl"].added == 1
        assert runs["herten"].outcome == "failed"
        assert runs["herten"].error == "harvest deadline of 1 s reached after 0 records on page 1"
        assert runs["datteln"].outcome == "failed"
        assert "refused to follow the redirect to http://127.0.0.1:" in runs["datteln"].error
        assert runs["dorsten"].outcome == "failed"
        assert runs["dorsten"].error.startswith("answer larger than max_response_mb (0.25 MB)")
        assert (
            runs["gladbeck"].outcome == "failed" and "connection refused" in runs["gladbeck"].error
        )
        stats = store.stats()
        assert [stats[code]["records"] for code in servers] == [5, 4, 4, 4]  # the old ones kept
    finally:
        store.close()
    assert other_host.requests == []
