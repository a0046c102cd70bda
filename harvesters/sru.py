"""SRU searchRetrieve (1.1, 1.2, 2.0): a library's catalogue paged out as MARCXML records.

Pages are asked for by startRecord and maximumRecords until numberOfRecords is reached.
nextRecordPosition is never used: Zebra, the server behind Koha and many others, does not
send it. Elements are found by local name, so the 1.x and 2.0 namespaces read alike.

libnet's own client, not a library's such as sruthi: sruthi pages by nextRecordPosition,
turns each record into a dict (xmltodict) where the store keeps the record's MARCXML bytes,
raises on the first bad record where a harvest reports it and goes on, and asks without a
timeout or a size bound (harvesters/http.py has those, and reads each page as a stream).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import requests
from lxml import etree

from harvesters.base import Source
from harvesters.errors import SourceError
from harvesters.http import BoundReached, Element, Fetcher, address
from libnet.config import SourceConfig
from libnet.errors import RecordError
from libnet.numbers import whole_number
from libnet.records.harvested import MARCXML, RawRecord, RecordProblem, excerpt
from libnet.records.marc import (
    MARC_NS,
    marcxml_001,
    marcxml_element_bytes,
    parse_marcxml,
    safe_parser,
)

SRU_NS = (
    "http://www.loc.gov/zing/srw/",  # 1.1 and 1.2
    "http://docs.oasis-open.org/ns/search-ws/sruResponse",  # 2.0
)
DIAGNOSTIC_NS = (
    "http://www.loc.gov/zing/srw/diagnostic/",
    "http://docs.oasis-open.org/ns/search-ws/diagnostic",
)
_MARC_PARTS = {"leader", "controlfield", "datafield"}
_XML_DECLARATION = re.compile(r"^<\?xml[^>]*\?>")


class SruSource(Source):
    """Every record a CQL query finds; the full query's answer is the library's catalogue."""

    def __init__(
        self,
        config: SourceConfig,
        since: str | None = None,
        now: datetime | None = None,
        session: requests.Session | None = None,
        auth: tuple[str, str] | None = None,
    ) -> None:
        self.config = config
        self.auth = auth  # HTTP Basic auth (libnet.source_credentials)
        self.now = now or datetime.now(UTC)
        self.session = session or requests.Session()
        self.snapshot = since is None or not config.incremental_query
        self.query = config.query if self.snapshot else config.incremental_query.format(since=since)
        self.where = address(config.url)  # what messages show of the url

    def __iter__(self) -> Iterator[RawRecord | RecordProblem]:
        self._records = self._page = 0
        # the harvest's deadline starts now
        fetcher = Fetcher(self.config, session=self.session, auth=self.auth)
        try:
            yield from self._harvest(fetcher)
        except BoundReached as exc:
            raise exc.after(self._records, self._page) from None

    def _harvest(self, fetcher: Fetcher) -> Iterator[RawRecord | RecordProblem]:
        start, previous = 1, None
        for page in itertools.count(1):
            if page > self.config.max_pages:
                raise self._stuck(f"more than {self.config.max_pages} pages")
            self._page = page
            before = self._records
            keys = hashlib.sha1()  # of the page's records, to see a page come back unchanged
            answer = self._read(fetcher, start, page)
            for record in answer:
                item = self._item(record, f"page {page} record {self._records - before + 1} "
                                          f"(startRecord {start})")  # fmt: skip
                keys.update(repr(_key(item)).encode())
                yield item
                self._records += 1
            total, count = answer.total, self._records - before
            if start > total:  # nothing found, or the result shrank a little while paging
                break
            if not count:
                raise self._stuck(
                    f"page {page} (startRecord {start}) has no records, {total} found"
                )
            if keys.digest() == previous:
                raise self._stuck(f"page {page} repeats the records of page {page - 1}")
            previous = keys.digest()
            start += count
            if start > total:
                break
        self.cursor = self.now.strftime(self.config.since_format)

    def _read(self, fetcher: Fetcher, start: int, page: int) -> _Answer:
        c = self.config
        params = {
            "operation": "searchRetrieve",
            "version": c.version,
            "query": self.query,
            "recordSchema": c.record_schema,
            "startRecord": start,
            "maximumRecords": c.page_size,  # without it YAZ/Zebra returns no records at all
        }
        params["recordXMLEscaping" if c.version == "2.0" else "recordPacking"] = "xml"
        return _Answer(self, fetcher.elements(c.url, params), page)

    def _total(self, element: etree._Element, page: int) -> int:
        """numberOfRecords; it may drift a little while paging, but not jump."""
        text = (element.text or "").strip()
        total = whole_number(text)
        if total is None:
            shown = text[:30] + "..." if len(text) > 30 else text
            raise SourceError(f"{self.where}: numberOfRecords is {shown or 'missing'!r}")
        if page == 1 or self.expected is None:
            self.expected = total
        elif abs(total - self.expected) > max(self.expected // 10, self.config.page_size):
            raise self._stuck(f"numberOfRecords went from {self.expected} to {total}")
        return total

    def _item(self, record: etree._Element, position: str) -> RawRecord | RecordProblem:
        """One record of a page; SourceError when it is not MARCXML at all."""
        data = _child(record, "recordData")
        schema = (_text(record, "recordSchema") or "").strip()
        if data is None:
            return RecordProblem(position, "record has no recordData")
        payload = next((el for el in data if isinstance(el.tag, str)), None)
        if payload is None and (data.text or "").strip().startswith("<"):
            # recordPacking "string": the record comes as escaped XML text
            text = _XML_DECLARATION.sub("", data.text.strip())  # its encoding no longer holds
            try:
                payload = etree.fromstring(text.encode("utf-8"), safe_parser())
            except etree.XMLSyntaxError as exc:
                return RecordProblem(
                    position, f"recordData is not XML: {exc}", "", excerpt(data.text)
                )
        if payload is None:
            return RecordProblem(position, "record has empty recordData")
        if _local(payload) == "diagnostic" and _namespace(payload) in DIAGNOSTIC_NS:
            return RecordProblem(position, _diagnostic(payload))  # a surrogate diagnostic
        if payload.tag == f"{{{MARC_NS}}}collection" and len(payload) == 1:
            payload = payload[0]
        if not _is_marcxml(payload):
            raise SourceError(
                f"{self.where}: records are not MARCXML (recordSchema {schema!r}, "
                f"recordData holds <{_local(payload)}> in {_namespace(payload) or 'no namespace'})"
            )
        data_bytes = marcxml_element_bytes(payload)
        try:
            return RawRecord(data_bytes, MARCXML, parse_marcxml(payload), position)
        except RecordError as exc:
            return RecordProblem(position, str(exc), marcxml_001(payload), excerpt(data_bytes))

    def _stuck(self, reason: str) -> SourceError:
        return SourceError(f"{self.where}: paging does not advance: {reason}")


class _Answer:
    """The <record> elements of one searchRetrieveResponse as they arrive.

    numberOfRecords is in `total` once the answer is read; a diagnostic for the whole request
    or an answer that is no searchRetrieveResponse fails the source.
    """

    def __init__(self, source: SruSource, elements: Iterator[Element], page: int) -> None:
        self.source, self.elements, self.page = source, elements, page
        self.total: int = 0

    def __iter__(self) -> Iterator[etree._Element]:
        where, total, wrong_root = self.source.where, None, None
        for depth, element in self.elements:
            name, parent = _local(element), element.getparent()
            if depth == 1 and (
                name != "searchRetrieveResponse" or _namespace(element) not in SRU_NS
            ):
                wrong_root = element  # said once the answer is read: broken XML says more
            elif wrong_root is not None:
                continue
            elif depth == 2 and name == "numberOfRecords":
                total = self.source._total(element, self.page)
            elif depth == 3 and name == "record" and _local(parent) == "records":
                yield element
            elif depth == 3 and name == "diagnostic" and _local(parent) == "diagnostics":
                # a diagnostic for the whole request: nothing on this page is usable
                raise SourceError(
                    f"{where}: {_diagnostic(element)}; query was {self.source.query!r}"
                )
        if wrong_root is not None and _local(wrong_root).lower() == "html":
            raise SourceError(f"{where}: answered HTML, not XML")
        if wrong_root is not None:
            raise SourceError(
                f"{where}: answered <{_local(wrong_root)}> in "
                f"{_namespace(wrong_root) or 'no namespace'}, not an SRU searchRetrieveResponse"
            )
        if total is None:
            raise SourceError(f"{where}: numberOfRecords is 'missing'")
        self.total = total


def _is_marcxml(element: etree._Element) -> bool:
    if element.tag == f"{{{MARC_NS}}}record":
        return True
    # some servers drop the namespace; a <record> made of MARC fields is still MARCXML
    return element.tag == "record" and any(_local(child) in _MARC_PARTS for child in element)


def _diagnostic(diagnostic: etree._Element) -> str:
    """'SRU diagnostic 10 (Query syntax error): details' from a diagnostic element."""
    uri = (_text(diagnostic, "uri") or "").strip()
    number = uri.removeprefix("info:srw/diagnostic/1/")
    message = (_text(diagnostic, "message") or "").strip()
    details = (_text(diagnostic, "details") or "").strip()
    return (
        f"SRU diagnostic {number}"
        + (f" ({message})" if message else "")
        + (f": {details}" if details else "")
    )


def _key(item: RawRecord | RecordProblem) -> tuple[str, ...]:
    """What identifies a record within a page, to see a page come back unchanged."""
    if isinstance(item, RecordProblem):
        return (item.local_id, item.reason, item.excerpt)
    field = item.record.get("001") if item.record else None
    return (field.data,) if field else (hashlib.sha1(item.data).hexdigest(),)


def _local(element: etree._Element) -> str:
    """The element's name without its namespace ("" for a comment or processing instruction).
    Read from the tag itself: lxml's QName refuses a tag such as "zs:record" that a
    recovering parse leaves when its prefix was never declared."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _namespace(element: etree._Element) -> str:
    tag = element.tag
    return tag[1:].partition("}")[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _children(parent: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if parent is None else [el for el in parent if _local(el) == name]


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    return next(iter(_children(parent, name)), None)


def _text(parent: etree._Element, name: str) -> str | None:
    child = _child(parent, name)
    return None if child is None else child.text
