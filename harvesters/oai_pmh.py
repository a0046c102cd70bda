"""OAI-PMH 2.0 repositories: everything, or what changed since a datestamp.

libnet's own client (it replaced oaipmh-scythe, which reads every answer whole into memory,
without a size limit or an overall deadline): each page is asked for through the bounded
Fetcher of harvesters/http.py and its records are handed on while the page still arrives.
Pages follow resumption tokens; an OAI-PMH error fails the source naming its code, except
noRecordsMatch on the first page, which is an empty harvest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from harvesters.base import Source
from harvesters.errors import SourceError
from harvesters.http import BoundReached, Fetcher
from libnet.config import SourceConfig
from libnet.errors import RecordError
from libnet.numbers import whole_number
from libnet.records.harvested import MARCXML, RawRecord, RecordProblem, excerpt
from libnet.records.marc import MARC_NS, marcxml_element_bytes, parse_marcxml

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
_OAI = f"{{{OAI_NS}}}"
_MARC_RECORD = f"{{{MARC_NS}}}record"
_SECONDS = "YYYY-MM-DDThh:mm:ssZ"  # the finer of the two granularities OAI-PMH knows
_RESPONSE_DATE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$")
_CODE = re.compile(r"[A-Za-z]{1,40}")  # OAI-PMH error codes are short words


@dataclass
class _Page:
    """What one answer said besides its records (filled in while it is read)."""

    response_date: str = ""
    granularity: str = ""
    token: str = ""
    list_size: str = ""


class _NoRecordsMatch(Exception):
    """The repository has no records for the request: an empty list, not a failure."""


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
        self._records = self._page = 0
        fetcher = Fetcher(self.config, auth=self.auth)  # the harvest's deadline starts now
        with fetcher.session:
            try:
                yield from self._harvest(fetcher)
            except BoundReached as exc:
                raise exc.after(self._records, self._page) from None

    def _harvest(self, fetcher: Fetcher) -> Iterator[RawRecord | RecordProblem]:
        identify = _Page()
        try:
            for _ in self._read(fetcher, {"verb": "Identify"}, identify):
                pass
        except _NoRecordsMatch:
            raise SourceError("OAI-PMH error noRecordsMatch in the answer to Identify") from None
        by_day = identify.granularity != _SECONDS  # every repository understands days
        query = {"verb": "ListRecords", "metadataPrefix": self.config.metadata_prefix}
        if self.config.set:
            query["set"] = self.config.set
        if self.since:
            query["from"] = self.since[:10] if by_day else self.since
        cursor = None
        tokens: set[str] = set()
        number = 1
        while True:
            self._page = number
            page = _Page()
            try:
                records = self._read(fetcher, query, page)
                for position, element in enumerate(records, start=1):
                    yield self._record(element, f"page {number} record {position}")
                    self._records += 1
            except _NoRecordsMatch:
                if number > 1:
                    raise SourceError(f"OAI-PMH error noRecordsMatch on page {number}") from None
                # nothing changed: start next time from before this harvest's first question
                self.cursor = _moment(identify.response_date, by_day)
                return
            if cursor is None:
                cursor = _moment(page.response_date, by_day)
            if not page.token:
                break
            if number == 1:
                self.expected = whole_number(page.list_size.strip())
            self._safeguard(page.token, tokens, number)
            query = {"verb": "ListRecords", "resumptionToken": page.token}
            number += 1
        self.cursor = cursor

    def _read(self, fetcher: Fetcher, query: dict, page: _Page) -> Iterator[etree._Element]:
        """The <record> elements of one answer as they arrive; the rest goes into `page`."""
        wrong_root = ""
        for depth, element in fetcher.elements(self.config.url, query):
            tag = element.tag
            if depth == 1 and tag != f"{_OAI}OAI-PMH":
                wrong_root = str(tag)  # said once the answer is read: broken XML says more
            elif wrong_root:
                continue
            elif tag == f"{_OAI}responseDate" and depth == 2:
                page.response_date = (element.text or "").strip()
            elif tag == f"{_OAI}error" and depth == 2:
                _raise_error(element)
            elif tag == f"{_OAI}record" and depth == 3:
                yield element
            elif tag == f"{_OAI}resumptionToken" and depth == 3:
                page.token = (element.text or "").strip()
                page.list_size = element.get("completeListSize", "")
            elif tag == f"{_OAI}granularity" and depth == 3:
                page.granularity = (element.text or "").strip()
        if wrong_root:
            raise SourceError(f"answer is <{wrong_root}>, not an OAI-PMH document")

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
        identifier = (header_element.findtext(f"{_OAI}identifier") or "").strip()
        if not identifier:
            return RecordProblem(position, "record header has no identifier", "", _excerpt(element))
        if header_element.get("status") == "deleted":
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


def _moment(text: str, by_day: bool) -> str:
    """An answer's responseDate at the repository's granularity: where the next harvest starts."""
    match = _RESPONSE_DATE.match(text)
    if match is None:
        raise SourceError(f"answer has no UTC responseDate (got {text!r})")
    return match[1][:10] if by_day else f"{match[1]}Z"


def _raise_error(error: etree._Element) -> None:
    """An OAI-PMH <error> fails the whole request; noRecordsMatch is only an empty list."""
    code = error.get("code", "")
    if code == "noRecordsMatch":
        raise _NoRecordsMatch
    message = (error.text or "").strip()
    shown = code if _CODE.fullmatch(code) else "(unknown code)"
    raise SourceError(f"OAI-PMH error {shown}: {excerpt(message, 200)}")


def _excerpt(element: etree._Element) -> str:
    return excerpt(etree.tostring(element, encoding="utf-8"))
