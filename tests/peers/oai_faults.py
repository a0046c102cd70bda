"""A plain HTTP server that answers OAI-PMH requests the way a test scripts it, faults included.

pyoai only gives correct answers; the failures harvests meet in the wild (HTTP 500, an HTML
error page, garbage, a truncated page, a resumption token that never changes, Dublin Core
instead of MARC) are written here by hand, each in a few lines of XML.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from libnet.records.marc import MARC_NS

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
RESPONSE_DATE = "2024-05-01T10:11:12Z"


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    status: int = 200
    content_type: str = "text/xml; charset=utf-8"
    location: str = ""  # a Location header, for redirects
    encoding: str = ""  # a Content-Encoding header, for an answer that is not so encoded


Script = Callable[[dict[str, str]], Answer]  # request arguments -> the answer to give


class ScriptedServer:
    """Serves the answers of a script on 127.0.0.1; records every request's arguments."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[dict[str, str]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._httpd.server_port}/oai"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def verbs(self) -> list[str]:
        return [args.get("verb", "") for args in self.requests]


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = urllib.parse.urlsplit(self.path).query
            args = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
            server.requests.append(args)
            answer = server.script(args)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            if answer.location:
                self.send_header("Location", answer.location)
            if answer.encoding:
                self.send_header("Content-Encoding", answer.encoding)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(answer.body)  # unless the harvester gave up waiting

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def refused_url() -> str:
    """The URL of a port nobody listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/oai"


def oai_document(verb: str, inner: str, response_date: str = RESPONSE_DATE) -> Answer:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="{OAI_NS}">'
        f"<responseDate>{response_date}</responseDate>"
        f'<request verb="{verb}">http://127.0.0.1/oai</request>{inner}</OAI-PMH>'
    )
    return Answer(body.encode("utf-8"))


def identify(granularity: str = "YYYY-MM-DDThh:mm:ssZ") -> Answer:
    return oai_document(
        "Identify",
        "<Identify><repositoryName>scripted</repositoryName>"
        "<baseURL>http://127.0.0.1/oai</baseURL><protocolVersion>2.0</protocolVersion>"
        "<adminEmail>oai@example.org</adminEmail>"
        "<earliestDatestamp>2000-01-01T00:00:00Z</earliestDatestamp>"
        f"<deletedRecord>persistent</deletedRecord><granularity>{granularity}</granularity>"
        "</Identify>",
    )


def list_records(records: str, token: str | None = None, size: int | str | None = None) -> Answer:
    """A ListRecords page; `token` continues it, `size` is its completeListSize."""
    if token is None:
        resumption = ""
    else:
        attribute = "" if size is None else f' completeListSize="{size}"'
        resumption = f"<resumptionToken{attribute}>{token}</resumptionToken>"
    return oai_document("ListRecords", f"<ListRecords>{records}{resumption}</ListRecords>")


def marc_record(identifier: str, title: str) -> str:
    """An OAI-PMH <record> carrying a small MARCXML record."""
    return (
        f"<record><header><identifier>{identifier}</identifier>"
        "<datestamp>2024-04-30T08:00:00Z</datestamp></header>"
        f'<metadata><record xmlns="{MARC_NS}"><leader>00000nam a2200000 c 4500</leader>'
        f'<controlfield tag="001">{identifier}</controlfield>'
        f'<datafield tag="245" ind1="1" ind2="0"><subfield code="a">{title}</subfield>'
        "</datafield></record></metadata></record>"
    )


def dc_record(identifier: str, title: str) -> str:
    """An OAI-PMH <record> carrying Dublin Core, as a repository does for oai_dc."""
    return (
        f"<record><header><identifier>{identifier}</identifier>"
        "<datestamp>2024-04-30T08:00:00Z</datestamp></header>"
        '<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{title}</dc:title></oai_dc:dc></metadata></record>"
    )


def repository(records: Script, granularity: str = "YYYY-MM-DDThh:mm:ssZ") -> Script:
    """A script answering Identify correctly and ListRecords with `records`."""

    def script(args: dict[str, str]) -> Answer:
        if args.get("verb") == "Identify":
            return identify(granularity)
        return records(args)

    return script
