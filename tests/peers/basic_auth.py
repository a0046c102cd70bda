"""A library's server behind a login: SRU at /sru and OAI-PMH at /oai on 127.0.0.1, each
answering only a request that carries the right HTTP Basic auth, 401 to any other.

    with LoginServer("libnet", "geheim", records) as server:
        ...  # harvest server.url("sru") or server.url("oai"); server.logins lists what came
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.peers import http_faults, oai_faults


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: object) -> None:
        """Each login is kept in LoginServer.logins; the log would only clutter test output."""


class LoginServer:
    """werkzeug's server in a thread on a free loopback port, behind HTTP Basic auth."""

    def __init__(self, user: str, password: str, records: list[tuple[str, str]]) -> None:
        self.user, self.password = user, password
        self.logins: list[tuple[str, str] | None] = []  # (user, password) of each request
        marcxml = [http_faults.marcxml_record(number, title) for number, title in records]
        oai_records = "".join(oai_faults.marc_record(number, title) for number, title in records)
        self._sru = http_faults.sru_catalogue(marcxml)
        self._oai = oai_faults.repository(lambda args: oai_faults.list_records(oai_records))
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True,
                                   request_handler=_QuietHandler)  # fmt: skip
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def url(self, protocol: str) -> str:
        """The base URL of "sru" or "oai"."""
        return f"http://127.0.0.1:{self._server.port}/{protocol}"

    def __enter__(self) -> LoginServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _app(self, environ: dict, start_response: Callable) -> Iterator[bytes]:
        request = Request(environ)
        given = request.authorization
        login = (given.username or "", given.password or "") if given else None
        self.logins.append(login)
        if login != (self.user, self.password):
            response = Response("login required", status=401, content_type="text/plain")
            response.headers["WWW-Authenticate"] = 'Basic realm="opac"'
            return response(environ, start_response)
        script = self._sru if request.path == "/sru" else self._oai
        answer = script(dict(request.args))
        response = Response(answer.body, status=answer.status, content_type=answer.content_type)
        return response(environ, start_response)
