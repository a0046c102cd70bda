"""A real HTTP server on 127.0.0.1 that misbehaves the way a test tells it to.

A test scripts the answers: `server.answer(a, b, c)` gives a to the first request, b to the
second and c to every one after. An answer is an Answer, or a function of the request's
query arguments returning one (an SRU server that pages, or one that never advances).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

SRU1_NS = "http://www.loc.gov/zing/srw/"
SRU2_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
MARC_NS = "http://www.loc.gov/MARC21/slim"


@dataclass(frozen=True)
class Answer:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to wait before answering at all
    dribble: float = 0.0  # > 0: send the body a byte at a time, this many seconds apart, forever
    stream: Callable[[], Iterator[bytes]] | None = None  # the body in pieces, maybe without end


Script = Answer | Callable[[dict[str, str]], Answer]

HTML_PAGE = Answer(
    b"<!DOCTYPE html><html><head><title>Wartung</title></head>"
    b"<body><h1>Der Katalog wird gewartet</h1></body></html>",
    content_type="text/html; charset=utf-8",
)
GARBAGE = Answer(bytes(range(256)) * 8, content_type="application/octet-stream")


def refused_url() -> str:
    """A URL on a loopback port that nothing listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/sru"


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: object) -> None:
        """Requests are counted in FaultServer.requests; the log would only clutter test output."""


class FaultServer:
    """werkzeug's server in a thread on a free loopback port, answering from a script."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []  # query arguments of every request, in order
        self.authorizations: list[str] = []  # each request's Authorization header ("": none)
        self._script: list[Script] = [Answer(status=404)]
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True,
                                   request_handler=_QuietHandler)  # fmt: skip
        # a short poll interval: shutdown() waits for the next poll, 0.5 s by default
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}/sru"

    def start(self) -> str:
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._stopping.set()  # ends hanging and dribbling answers
        self._server.shutdown()
        self._server.server_close()

    def answer(self, *script: Script) -> None:
        """Answer request n with script[n]; the last entry answers every later request."""
        with self._lock:
            self._script = list(script)
            self.requests.clear()
            self.authorizations.clear()

    def serve_file(self, path: Path, content_type: str = "text/xml; charset=utf-8") -> None:
        """Answer every request with one file, as recorded from a real server."""
        self.answer(Answer(path.read_bytes(), content_type=content_type))

    def _app(self, environ: dict, start_response: Callable) -> Iterator[bytes]:
        request = Request(environ)
        with self._lock:
            self.requests.append(dict(request.args))
            self.authorizations.append(request.headers.get("Authorization", ""))
            number = len(self.requests) - 1
            step = self._script[min(number, len(self._script) - 1)]
        answer = step if isinstance(step, Answer) else step(dict(request.args))
        if answer.hang:
            self._stopping.wait(answer.hang)
        body: bytes | Iterator[bytes] = answer.body
        if answer.dribble:
            body = self._dribble(answer.body or b" ", answer.dribble)
        elif answer.stream:
            body = self._until_stopped(answer.stream())
        response = Response(body, status=answer.status, content_type=answer.content_type)
        response.headers.update(answer.headers)
        return response(environ, start_response)

    def _until_stopped(self, pieces: Iterator[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            if self._stopping.is_set():
                return
            yield piece

    def _dribble(self, body: bytes, pause: float) -> Iterator[bytes]:
        position = 0
        while not self._stopping.is_set():
            yield body[position % len(body) : position % len(body) + 1]
            position += 1
            time.sleep(pause)


def sru_page(
    records: list[bytes],
    total: int | str,  # numberOfRecords as written: a test may write anything
    *,
    version: str = "1.2",
    schema: str = "info:srw/schema/1/marcxml-v1.1",
    packing: str = "xml",
    start: int = 1,
) -> bytes:
    """A searchRetrieveResponse holding these recordData payloads (XML, or escaped: 'string')."""
    ns = SRU2_NS if version == "2.0" else SRU1_NS
    packing_tag = "recordXMLEscaping" if version == "2.0" else "recordPacking"
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<zs:searchRetrieveResponse xmlns:zs="{ns}">']
    if version != "2.0":
        parts.append(f"<zs:version>{version}</zs:version>")
    parts.append(f"<zs:numberOfRecords>{total}</zs:numberOfRecords><zs:records>")
    for offset, data in enumerate(records):
        text = data.decode("utf-8")
        if packing == "string":
            text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        parts.append(
            f"<zs:record><zs:recordSchema>{schema}</zs:recordSchema>"
            f"<zs:{packing_tag}>{packing}</zs:{packing_tag}>"
            f"<zs:recordData>{text}</zs:recordData>"
            f"<zs:recordPosition>{start + offset}</zs:recordPosition></zs:record>"
        )
    parts.append("</zs:records></zs:searchRetrieveResponse>")
    return "".join(parts).encode("utf-8")


def surrogate_diagnostic(number: int, message: str, details: str = "") -> bytes:
    """A diagnostic standing in for one record (SRU 1.x)."""
    return (
        f'<diag:diagnostic xmlns:diag="http://www.loc.gov/zing/srw/diagnostic/">'
        f"<diag:uri>info:srw/diagnostic/1/{number}</diag:uri>"
        f"<diag:details>{details}</diag:details><diag:message>{message}</diag:message>"
        f"</diag:diagnostic>"
    ).encode()


def sru_catalogue(records: list[bytes], **page: str) -> Callable[[dict[str, str]], Answer]:
    """A well-behaved SRU server over these records: pages by startRecord, maximumRecords."""

    def answer(args: dict[str, str]) -> Answer:
        start = int(args.get("startRecord", "1"))
        size = int(args.get("maximumRecords", "0"))
        chunk = records[start - 1 : start - 1 + size]
        return Answer(sru_page(chunk, len(records), start=start, **page))

    return answer


def sru_stuck_on_first_page(records: list[bytes], total: int) -> Callable[[dict], Answer]:
    """An SRU server that ignores startRecord and sends the first page again and again."""
    return lambda args: Answer(sru_page(records, total))


def sru_endless(page_size: int) -> Callable[[dict[str, str]], Answer]:
    """An SRU server whose every page holds new records, and whose count never runs out."""

    def answer(args: dict[str, str]) -> Answer:
        start = int(args.get("startRecord", "1"))
        fresh = [marcxml_record(f"endless{start + i}") for i in range(page_size)]
        return Answer(sru_page(fresh, 10**9, start=start))

    return answer


def marcxml_record(control_number: str, title: str = "Ein Titel", leader: str = "") -> bytes:
    """A small namespaced MARCXML record."""
    leader = leader or "00000nam a2200000 a 4500"
    return (
        f'<record xmlns="{MARC_NS}"><leader>{leader}</leader>'
        f'<controlfield tag="001">{control_number}</controlfield>'
        f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">{title}</subfield>'
        f"</datafield></record>"
    ).encode()
