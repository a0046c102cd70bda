"""An independent OAI-PMH provider for harvest tests: pyoai's server on 127.0.0.1, in a thread.

The test gives it MARC records, each with an identifier, a naive UTC datestamp and sets, and
may change, add and delete records between harvests. pyoai speaks the protocol: resumption
tokens (10 records a page), from/until, sets, deleted records (deletedRecord "persistent")
and the OAI-PMH errors.
"""

from __future__ import annotations

import sys
import threading
import types
import urllib.parse
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pymarc
from lxml import etree

from libnet.records.marc import MARC_NS

# pyoai imports pkg_resources (deprecated, gone from setuptools 81 on) and cgi (gone in 3.13)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    try:
        import cgi  # noqa: F401
    except ModuleNotFoundError:
        sys.modules["cgi"] = types.ModuleType("cgi")
    from oaipmh import common, error, metadata, server

# pyoai decodes resumption tokens with cgi.parse_qs, gone since 3.8: page 2 on were HTTP 500
server.cgi.parse_qs = urllib.parse.parse_qs

MARC21 = "marc21"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"


@dataclass(frozen=True, slots=True)
class ProvidedRecord:
    """One record as the provider holds it; a deleted one keeps only its header."""

    identifier: str
    datestamp: datetime  # naive UTC, as pyoai wants it
    marcxml: bytes  # the MARCXML <record> element, b"" when deleted
    deleted: bool = False
    sets: tuple[str, ...] = ()


class OaiProvider:
    """pyoai serving the records a test puts in; use as a context manager or start()/stop()."""

    def __init__(self, sets: dict[str, str] | None = None, batch_size: int = 10) -> None:
        self.sets = dict(sets or {})  # setSpec -> setName
        self.requests: list[dict[str, str]] = []  # the arguments of every request, in order
        self._records: dict[str, ProvidedRecord] = {}
        self._lock = threading.Lock()
        registry = metadata.MetadataRegistry()
        registry.registerWriter(MARC21, lambda element, marcxml: element.append(marcxml))
        self._oai = server.Server(_Repository(self), registry, resumption_batch_size=batch_size)
        self._httpd: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def put(
        self,
        identifier: str,
        record: pymarc.Record | etree._Element,
        datestamp: datetime,
        sets: Iterable[str] = (),
    ) -> None:
        """Add or replace a record (a pymarc record or a MARCXML <record> element)."""
        if isinstance(record, pymarc.Record):
            marcxml = etree.tostring(etree.fromstring(pymarc.record_to_xml(record, namespace=True)))
        else:
            marcxml = etree.tostring(record)
        self._store(ProvidedRecord(identifier, _naive(datestamp), marcxml, False, tuple(sets)))

    def delete(self, identifier: str, datestamp: datetime) -> None:
        """Mark a record deleted (known or not): it stays as a header with status="deleted"."""
        with self._lock:
            old = self._records.get(identifier)
        sets = old.sets if old else ()
        self._store(ProvidedRecord(identifier, _naive(datestamp), b"", True, sets))

    def records(self) -> list[ProvidedRecord]:
        """Every record, deleted ones included, in the order the provider lists them."""
        with self._lock:
            return sorted(self._records.values(), key=lambda r: r.identifier)

    def _store(self, record: ProvidedRecord) -> None:
        unknown = set(record.sets) - set(self.sets)
        if unknown:
            raise ValueError(f"unknown sets {sorted(unknown)}; the provider knows {self.sets}")
        with self._lock:
            self._records[record.identifier] = record

    def start(self) -> OaiProvider:
        self._httpd = make_server("127.0.0.1", 0, self._app, handler_class=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._httpd.server_port}/oai"
        # a short poll interval: shutdown() waits for the loop to look
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None and self._thread is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = self._thread = None

    def __enter__(self) -> OaiProvider:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _app(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            query = environ["wsgi.input"].read(length).decode("utf-8")
        args = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        self.requests.append(args)
        body = self._oai.handleRequest(args)
        start_response(
            "200 OK",
            [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]


class _Repository:
    """pyoai's IOAI interface over the provider's records."""

    def __init__(self, provider: OaiProvider) -> None:
        self.provider = provider

    def identify(self) -> common.Identify:
        stamps = [r.datestamp for r in self.provider.records()]
        return common.Identify(
            "libnet test repository",
            self.provider.url,
            "2.0",
            ["oai@example.org"],
            min(stamps, default=datetime(2000, 1, 1)),
            "persistent",
            GRANULARITY,
            ["identity"],
            toolkit_description=False,  # it would ask pkg_resources for pyoai's version
        )

    def listMetadataFormats(self, identifier=None):
        if identifier is not None:
            self._one(identifier)
        return [(MARC21, _SCHEMA, MARC_NS)]

    def listSets(self):
        if not self.provider.sets:
            raise error.NoSetHierarchyError("this repository has no sets")
        return [(spec, name, None) for spec, name in self.provider.sets.items()]

    def listIdentifiers(self, metadataPrefix, set=None, from_=None, until=None):
        return [header for header, _, _ in self.listRecords(metadataPrefix, set, from_, until)]

    def listRecords(self, metadataPrefix, set=None, from_=None, until=None):
        self._check_prefix(metadataPrefix)
        if set is not None and not self.provider.sets:
            raise error.NoSetHierarchyError("this repository has no sets")
        return [
            _triple(record)
            for record in self.provider.records()
            if (set is None or set in record.sets)
            and (from_ is None or record.datestamp >= from_)
            and (until is None or record.datestamp <= until)
        ]

    def getRecord(self, metadataPrefix, identifier):
        self._check_prefix(metadataPrefix)
        return _triple(self._one(identifier))

    def _one(self, identifier: str) -> ProvidedRecord:
        for record in self.provider.records():
            if record.identifier == identifier:
                return record
        raise error.IdDoesNotExistError(f"no record {identifier}")

    def _check_prefix(self, prefix: str) -> None:
        if prefix != MARC21:
            raise error.CannotDisseminateFormatError(f"unknown metadata format {prefix}")


def _triple(record: ProvidedRecord) -> tuple[common.Header, etree._Element | None, None]:
    header = common.Header(
        None, record.identifier, record.datestamp, list(record.sets), record.deleted
    )
    # a fresh element each time: appending moves an lxml element out of its old tree
    return header, None if record.deleted else etree.fromstring(record.marcxml), None


def _naive(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        raise ValueError(f"datestamp {moment} must be naive UTC (pyoai asserts it)")
    return moment


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass
