"""A DAIA 1.0 server, written from the specification (gbv.github.io/daia), on 127.0.0.1.

GET /daia?id=ID&format=json answers {"document": [...], "institution": ..., "timestamp": ...}
with one document per requested id it knows (several ids may be asked at once, joined by "|");
an id it does not know is left out, as the specification says, so its list may be empty.

A test tells it per id what to do: `server.holds(id, items)` for a document, and `misbehave`
for a delay, an HTTP 500, a body that is no JSON, or a document for another id. `stop()` ends
it, so connecting is refused.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

DOCUMENT_PREFIX = "http://uri.example.org/document/opac-de-test:ppn:"
ITEM_PREFIX = "http://uri.example.org/document/opac-de-test:epn:"


def item(
    barcode: str,
    label: str = "",
    *,
    available: tuple[dict[str, Any], ...] = (),
    unavailable: tuple[dict[str, Any], ...] = (),
    storage: str = "",
) -> dict[str, Any]:
    """One item as DAIA describes it: its URI ends with the barcode, `label` the call number."""
    found: dict[str, Any] = {"id": ITEM_PREFIX + barcode, "label": label}
    found["department"] = {"id": "http://uri.example.org/isil/DE-Test", "content": "Zentrale"}
    if storage:
        found["storage"] = {"content": storage}
    if available:
        found["available"] = list(available)
    if unavailable:
        found["unavailable"] = list(unavailable)
    return found


def service(name: str, **details: Any) -> dict[str, Any]:
    """An available or unavailable service: presentation, loan, interloan or openaccess,
    with expected, delay, queue or limitation as the specification names them."""
    return {"service": name, **details}


ON_SHELF = item("1001", "Ro 123", available=(service("presentation"), service("loan")))
LENT = item("1002", "Ro 123", available=(service("presentation"),),
            unavailable=(service("loan", expected="2026-12-20", queue=1),))  # fmt: skip
_PRESENCE = [{"content": "Präsenzbestand"}]
REFERENCE_ONLY = item("1003", "Lesesaal 7", available=(service("presentation"),),
                      unavailable=(service("loan", limitation=_PRESENCE),))  # fmt: skip


@dataclass(frozen=True)
class Misbehaviour:
    delay: float = 0.0  # seconds before answering
    status: int = 200  # e.g. 500
    body: bytes | None = None  # sent instead of the DAIA JSON (e.g. malformed)
    answer_for: str = ""  # answer with the document of this other id (a lying service)


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: object) -> None:
        """Requests are counted in DaiaServer.requests; the log would only clutter the output."""


class DaiaServer:
    """werkzeug's server in a thread on a free loopback port, answering DAIA requests."""

    def __init__(self) -> None:
        self.requests: list[str] = []  # the id argument of every request, in order
        self._documents: dict[str, list[dict[str, Any]]] = {}
        self._misbehaving: dict[str, Misbehaviour] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True,
                                   request_handler=_QuietHandler)  # fmt: skip
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The template libnet's config takes ([libraries.availability] url)."""
        return f"http://127.0.0.1:{self._server.port}/daia?id={{id}}&format=json"

    def holds(self, record_id: str, *items: dict[str, Any]) -> None:
        with self._lock:
            self._documents[record_id] = list(items)

    def misbehave(self, record_id: str, how: Misbehaviour) -> None:
        with self._lock:
            self._misbehaving[record_id] = how

    def reset(self) -> None:
        with self._lock:
            self._documents.clear()
            self._misbehaving.clear()
            self.requests.clear()

    def stop(self) -> None:
        self._stopping.set()  # ends delayed answers
        self._server.shutdown()
        self._server.server_close()

    def _app(self, environ: dict, start_response: Callable) -> Iterator[bytes]:
        request = Request(environ)
        asked = request.args.get("id", "")
        with self._lock:
            self.requests.append(asked)
            ids = [i for i in asked.split("|") if i]
            how = self._misbehaving.get(asked, Misbehaviour())
            documents = [self._document(how.answer_for or i) for i in ids]
        if how.delay:
            self._stopping.wait(how.delay)
        if request.args.get("format", "json") != "json":
            body = b"only format=json here"
            return Response(body, 422, content_type="text/plain")(environ, start_response)
        if how.body is None:
            answer = {
                "document": [d for d in documents if d is not None],
                "institution": {"id": "http://uri.example.org/isil/DE-Test",
                                "content": "Testbibliothek"},
                "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            }  # fmt: skip
            body = json.dumps(answer).encode()
        else:
            body = how.body
        response = Response(body, how.status, content_type="application/json; charset=utf-8")
        return response(environ, start_response)

    def _document(self, record_id: str) -> dict[str, Any] | None:
        if record_id not in self._documents:
            return None
        return {"id": DOCUMENT_PREFIX + record_id, "requested": record_id,
                "item": self._documents[record_id]}  # fmt: skip
