"""OAI-PMH 2.0 repositories, harvested with oaipmh-scythe: everything, or what changed since.

Scythe speaks the protocol (requests, resumption tokens, OAI error codes, retries); this
module judges what comes back. Scythe's XML parser runs with recover=True and "repairs"
HTML, garbage and truncated pages, so every answer is first parsed strictly here, and one
that is not an OAI-PMH document fails the source instead of ending the harvest quietly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import httpx2
from lxml import etree
from oaipmh_scythe import HTTPConfig, NoRecordsMatch, OAIPMHException, RetryConfig, Scythe
from oaipmh_scythe.iterator import OAIResponseIterator
from oaipmh_scythe.models import Header

from harvesters.base import Source
from harvesters.errors import SourceError
from libnet.config import SourceConfig
from libnet.errors import RecordError
from libnet.numbers import whole_number
from libnet.records.harvested import MARCXML, RawRecord, RecordProblem, excerpt
from libnet.records.marc import MARC_NS, marcxml_element_bytes, parse_marcxml, safe_parser
from libnet.redact import redact_text, redact_url

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
_OAI = f"{{{OAI_NS}}}"
_MARC_RECORD = f"{{{MARC_NS}}}record"
_SECONDS = "YYYY-MM-DDThh:mm:ssZ"  # the finer of the two granularities OAI-PMH knows
_RESPONSE_DATE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$")
_SHORTEST_WAIT = 0.001  # scythe refuses a backoff of 0 seconds


class OaiSource(Source):
    """A library's OAI-PMH repository: a full listing, or the changes since a datestamp."""

    def __init__(
        self, config: SourceConfig, since: str | None = None, auth: tuple[str, str] | None = None
    ) -> None:
        self.config = config
        self.since = since
        self.auth = auth  # HTTP Basic auth (libnet.source_credentials)
        self.snapshot = since is None

    def __iter__(self) -> Iterator[RawRecord | RecordProblem]:
        self.cursor = None
        self.expected = None
        with self._scythe() as scythe:
            try:
                yield from self._harvest(scythe)
            except _ServerFault as exc:
                raise SourceError(f"{exc}{self._after_retries()}") from exc
            except httpx2.TimeoutException as exc:
                timeout = f"{self.config.timeout:g}"
                raise SourceError(f"no answer within {timeout} s{self._after_retries()}") from exc
            except httpx2.TransportError as exc:
                reason = redact_text(str(exc)) or type(exc).__name__
                raise SourceError(
                    f"cannot reach {redact_url(self.config.url)}: {reason}{self._after_retries()}"
                ) from exc
            except httpx2.DecodingError as exc:  # a gzip or deflate answer that is neither
                raise SourceError(f"answer cannot be decoded: {exc}") from exc
            except httpx2.HTTPStatusError as exc:
                answer = exc.response
                raise SourceError(f"HTTP {answer.status_code} {answer.reason_phrase}") from exc
            except OAIPMHException as exc:
                raise SourceError(f"OAI-PMH error {_error_code(exc)}: {exc}") from exc

    def _scythe(self) -> Scythe:
        wait = max(self.config.backoff, _SHORTEST_WAIT)
        retry = RetryConfig(
            max_retries=self.config.retries,
            # a 5xx answer comes as a _ServerFault, so scythe retries it like a lost
            # connection: waiting `backoff`, doubled each time (scythe's status retries
            # would wait the same time again and again)
            retry_status_codes=(),
            retry_on_transport_error=True,
            initial_backoff=wait,
            default_retry_after=math.inf,  # scythe caps the doubling here; we do not
        )
        http = HTTPConfig(
            timeout=self.config.timeout, user_agent="libnet (oaipmh-scythe)", auth=self.auth
        )
        scythe = Scythe(self.config.url, http_config=http, retry_config=retry)
        scythe.client.event_hooks["response"].append(_check_answer)
        return scythe

    def _harvest(self, scythe: Scythe) -> Iterator[RawRecord | RecordProblem]:
        identify = scythe.harvest({"verb": "Identify"}).xml
        granularity = identify.findtext(f"{_OAI}Identify/{_OAI}granularity", "").strip()
        by_day = granularity != _SECONDS  # every repository understands days
        query = {"verb": "ListRecords", "metadataPrefix": self.config.metadata_prefix}
        if self.config.set:
            query["set"] = self.config.set
        if self.since:
            query["from"] = self.since[:10] if by_day else self.since
        try:
            pages = OAIResponseIterator(scythe, query)  # asks for the first page at once
        except NoRecordsMatch:
            # nothing changed: start next time from before this harvest's first question
            self.cursor = _moment(identify, by_day)
            return
        cursor = None
        tokens: set[str] = set()
        for number, page in enumerate(pages, start=1):
            root = page.xml  # scythe parses anew on every access of .xml
            if cursor is None:
                cursor = _moment(root, by_day)
            token = pages.resumption_token
            if token is not None and token.token:
                if number == 1:
                    self.expected = whole_number((token.complete_list_size or "").strip())
                self._safeguard(token.token, tokens, number)
            for position, element in enumerate(root.iterfind(f"{_OAI}ListRecords/{_OAI}record")):
                yield self._record(element, f"page {number} record {position + 1}")
        self.cursor = cursor

    def _safeguard(self, token: str, seen: set[str], number: int) -> None:
        """Stop a server that loops: it sends one token forever, or pages without end."""
        if token in seen:
            raise SourceError(f"resumption token repeats: {token!r} came again on page {number}")
        if number >= self.config.max_pages:
            raise SourceError(
                f"resumption token repeats without end: more than {self.config.max_pages} pages"
            )
        seen.add(token)

    def _record(self, element: etree._Element, position: str) -> RawRecord | RecordProblem:
        header_element = element.find(f"{_OAI}header")
        if header_element is None:
            return RecordProblem(position, "record has no header", "", _excerpt(element))
        header = Header(header_element)
        identifier = (header.identifier or "").strip()
        if not identifier:
            return RecordProblem(position, "record header has no identifier", "", _excerpt(element))
        if header.deleted:
            return RawRecord(b"", MARCXML, None, position, identifier, deleted=True)
        metadata = element.find(f"{_OAI}metadata")
        content = [] if metadata is None else [c for c in metadata if isinstance(c.tag, str)]
        if not content:
            return RecordProblem(
                position, "record has neither metadata nor a deleted status", identifier
            )
        marc = (
            content[0] if content[0].tag == _MARC_RECORD else content[0].find(f".//{_MARC_RECORD}")
        )
        if marc is None:
            raise SourceError(
                f"records are not MARC 21 but <{content[0].tag}> (metadataPrefix "
                f"{self.config.metadata_prefix!r}, record {identifier})"
            )
        data = marcxml_element_bytes(marc)
        try:
            record = parse_marcxml(marc)
        except RecordError as exc:
            return RecordProblem(position, str(exc), identifier, excerpt(data))
        return RawRecord(data, MARCXML, record, position, identifier)

    def _after_retries(self) -> str:
        return f" (after {self.config.retries} retries)" if self.config.retries else ""


class _ServerFault(httpx2.TransportError):
    """An HTTP 5xx answer, raised as a transport error so that scythe retries it with backoff."""


def _check_answer(response: httpx2.Response) -> None:
    """Refuse an answer that is not an OAI-PMH document before scythe "repairs" it."""
    response.read()
    status = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    if response.status_code >= 500:
        raise _ServerFault(status, request=response.request)
    if response.is_redirect:
        moved = redact_url(response.headers.get("location", "?"))
        raise SourceError(f"{status}: the repository has moved to {moved}; correct the url")
    try:
        root = etree.fromstring(response.content, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise SourceError(
            f"answer is not well-formed XML ({status}, {exc.msg}): {excerpt(response.content, 80)}"
        ) from None
    if root.tag != f"{_OAI}OAI-PMH":
        raise SourceError(
            f"answer is <{root.tag}>, not an OAI-PMH document ({status}): "
            f"{excerpt(response.content, 80)}"
        )


def _moment(root: etree._Element, by_day: bool) -> str:
    """The answer's responseDate at the repository's granularity: where the next harvest starts."""
    text = root.findtext(f"{_OAI}responseDate", "").strip()
    match = _RESPONSE_DATE.match(text)
    if match is None:
        raise SourceError(f"answer has no UTC responseDate (got {text!r})")
    return match[1][:10] if by_day else f"{match[1]}Z"


def _error_code(exc: OAIPMHException) -> str:
    """The OAI-PMH code behind scythe's exception (scythe names the class after the code)."""
    name = type(exc).__name__
    return "(unknown code)" if name == "GeneralOAIPMHError" else name[0].lower() + name[1:]


def _excerpt(element: etree._Element) -> str:
    return excerpt(etree.tostring(element, encoding="utf-8"))
