"""SRU searchRetrieve (1.1, 1.2, 2.0): a library's catalogue paged out as MARCXML records.

Pages are asked for by startRecord and maximumRecords until numberOfRecords is reached.
nextRecordPosition is never used: Zebra, the server behind Koha and many others, does not
send it. Elements are found by local name, so the 1.x and 2.0 namespaces read alike.

libnet's own client, not a library's such as sruthi: sruthi pages by nextRecordPosition,
turns each record into a dict (xmltodict) where the store keeps the record's MARCXML bytes,
raises on the first bad record where a harvest reports it and goes on, and asks without a
timeout or a size bound (harvesters/http.py has both).
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
from harvesters.http import fetch_xml
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
from libnet.redact import redact_url

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
    ) -> None:
        self.config = config
        self.now = now or datetime.now(UTC)
        self.session = session or requests.Session()
        self.snapshot = since is None or not config.incremental_query
        self.query = config.query if self.snapshot else config.incremental_query.format(since=since)

    def __iter__(self) -> Iterator[RawRecord | RecordProblem]:
        start, first_total, previous = 1, None, None
        for page in itertools.count(1):
            if page > self.config.max_pages:
                raise self._stuck(f"more than {self.config.max_pages} pages")
            answer = self._fetch(start)
            total = self._number_of_records(answer)
            if first_total is None:
                first_total = self.expected = total
            elif abs(total - first_total) > max(first_total // 10, self.config.page_size):
                raise self._stuck(f"numberOfRecords went from {first_total} to {total}")
            if start > total:  # nothing found, or the result shrank a little while paging
                break
            items = [
                self._item(record, f"page {page} record {n} (startRecord {start})")
                for n, record in enumerate(_records(answer), 1)
            ]
            if not items:
                raise self._stuck(
                    f"page {page} (startRecord {start}) has no records, {total} found"
                )
            keys = [_key(item) for item in items]
            if keys == previous:
                raise self._stuck(f"page {page} repeats the records of page {page - 1}")
            previous = keys
            yield from items
            start += len(items)
            if start > total:
                break
        self.cursor = self.now.strftime(self.config.since_format)

    def _fetch(self, start: int) -> etree._Element:
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
        kw = {"timeout": c.timeout, "retries": c.retries, "backoff": c.backoff}
        answer = fetch_xml(self.session, c.url, params, **kw)
        if _local(answer) != "searchRetrieveResponse" or _namespace(answer) not in SRU_NS:
            raise SourceError(
                f"{self.where}: answered <{_local(answer)}> in "
                f"{_namespace(answer) or 'no namespace'}, not an SRU searchRetrieveResponse"
            )
        diagnostics = _children(_child(answer, "diagnostics"), "diagnostic")
        if diagnostics:  # a diagnostic for the whole request: nothing on this page is usable
            raise SourceError(
                f"{self.where}: {_diagnostic(diagnostics[0])}; query was {self.query!r}"
            )
        return answer

    def _number_of_records(self, answer: etree._Element) -> int:
        text = (_text(answer, "numberOfRecords") or "").strip()
        number = whole_number(text)
        if number is None:
            shown = text[:30] + "..." if len(text) > 30 else text
            raise SourceError(f"{self.where}: numberOfRecords is {shown or 'missing'!r}")
        return number

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

    @property
    def where(self) -> str:
        """The source's URL as messages show it: without password or key (libnet.redact)."""
        return redact_url(self.config.url)

    def _stuck(self, reason: str) -> SourceError:
        return SourceError(f"{self.where}: paging does not advance: {reason}")


def _records(answer: etree._Element) -> list[etree._Element]:
    return _children(_child(answer, "records"), "record")


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
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _namespace(element: etree._Element) -> str:
    return etree.QName(element).namespace or ""


def _children(parent: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if parent is None else [el for el in parent if _local(el) == name]


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    return next(iter(_children(parent, name)), None)


def _text(parent: etree._Element, name: str) -> str | None:
    child = _child(parent, name)
    return None if child is None else child.text
