"""The DAIA 1.0 client: a library's Document Availability Information API, in JSON.

A DAIA answer (the specification at gbv.github.io/daia, as VuFind's DAIA driver and the GBV's
services use it) lists documents, each with its items; an item says per service (presentation,
loan, interloan, openaccess) whether it is `available` (maybe after a `delay`) or `unavailable`
(maybe `expected` back on a day), with `limitation`s, its `label` (the call number), `storage`
and `department`:

    {"document": [{"id": "http://uri.example/doc/123", "requested": "123",
                   "item": [{"id": "http://uri.example/item/4711", "label": "Ro 123",
                             "available": [{"service": "presentation"}],
                             "unavailable": [{"service": "loan", "expected": "2026-12-20"}]}]}]}

libnet asks for the library's own record id and matches the items to its copies: by barcode
(the item id, or its last part after ":" or "/"), else by call number; a copy with no item of
its own gets the document's summary (the best status among its items). A service that is slow,
down, answers an error or something that is no DAIA, or answers for another document, gives
Unanswered, never an exception.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from libnet.availability.model import (
    AVAILABLE,
    LIVE,
    NOT_AVAILABLE,
    ON_LOAN,
    UNKNOWN,
    Answer,
    Copy,
    CopyStatus,
    Unanswered,
)

MAX_BYTES = 2 * 1024 * 1024  # a DAIA answer for one title is a few kB
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")
_RANK = {AVAILABLE: 0, ON_LOAN: 1, NOT_AVAILABLE: 2, UNKNOWN: 3}  # the summary: best first


class DaiaSource:
    """One library's DAIA service (a LiveSource)."""

    def __init__(self, library: str, url: str, timeout: float) -> None:
        self.library = library
        self.url = url  # a template with {id}
        self.timeout = timeout

    def statuses(self, record_id: str, copies: Sequence[Copy], now: datetime) -> Answer:
        body = self._fetch(record_id)
        if isinstance(body, Unanswered):
            return body
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return self._no("the answer is not JSON")
        return statuses_from_answer(self.library, data, record_id, copies, now)

    def _fetch(self, record_id: str) -> bytes | Unanswered:
        """The answer's body, read within the timeout as a whole (requests' own timeout is per
        read, so a service that sends a byte a second would otherwise never end)."""
        deadline = time.monotonic() + self.timeout
        url = self.url.format(id=quote(record_id, safe=""))
        try:
            with requests.get(url, timeout=self.timeout, stream=True,
                              headers={"Accept": "application/json"}) as response:  # fmt: skip
                if response.status_code != 200:
                    return self._no(f"HTTP {response.status_code}")
                body = b""
                for chunk in response.iter_content(16384):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        return self._no(f"the answer is longer than {MAX_BYTES} bytes")
                    if time.monotonic() > deadline:
                        break
                if time.monotonic() > deadline:
                    return self._no(f"no whole answer within {self.timeout:g} s")
                return body
        except requests.Timeout:
            return self._no(f"no answer within {self.timeout:g} s")
        except requests.ConnectionError as exc:
            return self._no(f"unreachable: {_first_line(exc)}")
        except requests.RequestException as exc:
            return self._no(f"request failed: {_first_line(exc)}")

    def _no(self, reason: str) -> Unanswered:
        return Unanswered(self.library, reason)


def statuses_from_answer(
    library: str, data: Any, record_id: str, copies: Sequence[Copy], now: datetime
) -> Answer:
    """The copies' statuses from a parsed DAIA answer for `record_id`."""
    if not isinstance(data, dict) or not isinstance(data.get("document", []), list):
        return Unanswered(library, "the answer is no DAIA response")
    documents = [d for d in data.get("document", []) if isinstance(d, dict)]
    if not documents:
        return Unanswered(library, f"the service does not know the record {record_id!r}")
    document = next((d for d in documents if _is_for(d, record_id)), None)
    if document is None:
        return Unanswered(library, f"the answer is for another record than {record_id!r}")
    items = [i for i in document.get("item", []) if isinstance(i, dict)]
    found = [(item, _status(item, now)) for item in items]
    if not found:
        return Unanswered(library, f"the service lists no copies of {record_id!r}")
    summary = min((status for _, status in found), key=lambda s: _RANK[s.state])
    unmatched = list(found)
    answer = []
    for copy in copies:
        match = _match(copy, unmatched)
        if match is not None:
            unmatched.remove(match)
        answer.append(summary if match is None else match[1])
    return tuple(answer)


def _is_for(document: dict[str, Any], record_id: str) -> bool:
    """Whether a document answers the question for record_id: its `requested` is the id,
    or, without one, its `id` is it or ends with it (a URI such as ...:ppn:123)."""
    requested = document.get("requested")
    if isinstance(requested, str) and requested:
        return _names(requested, record_id)
    uri = document.get("id")
    return isinstance(uri, str) and _names(uri, record_id)


def _match(
    copy: Copy, found: list[tuple[dict[str, Any], CopyStatus]]
) -> tuple[dict[str, Any], CopyStatus] | None:
    """The item that is this copy: the same barcode, else the same call number."""
    if copy.barcode:
        for pair in found:
            item_id = pair[0].get("id")
            if isinstance(item_id, str) and _names(item_id, copy.barcode):
                return pair
    wanted = _folded(copy.call_number)
    if wanted:
        for pair in found:
            if _folded(_text(pair[0].get("label"))) == wanted:
                return pair
    return None


def _status(item: dict[str, Any], now: datetime) -> CopyStatus:
    """One item's status from its available and unavailable services."""
    available = _services(item.get("available"))
    unavailable = _services(item.get("unavailable"))
    if "loan" in available:
        return CopyStatus(AVAILABLE, LIVE, now, note=_limitations(available["loan"]))
    loan = unavailable.get("loan")
    if loan is not None:
        expected = _text(loan.get("expected"))
        note = _limitations(loan)
        if _DAY.match(expected):  # lent, and due back on that day
            return CopyStatus(ON_LOAN, LIVE, now, expected=expected[:10], note=note)
        if expected == "unknown":  # lent, back some day
            return CopyStatus(ON_LOAN, LIVE, now, note=note)
        on_site = "presentation" in available
        return CopyStatus(NOT_AVAILABLE, LIVE, now, on_site=on_site, note=note)
    if "presentation" in available:
        return CopyStatus(NOT_AVAILABLE, LIVE, now, on_site=True)
    if "presentation" in unavailable:
        return CopyStatus(NOT_AVAILABLE, LIVE, now, note=_limitations(unavailable["presentation"]))
    return CopyStatus(UNKNOWN, LIVE, now)


def _services(raw: Any) -> dict[str, dict[str, Any]]:
    """service name -> its first entry; a service named by URI (dso#Loan) by its last part."""
    found: dict[str, dict[str, Any]] = {}
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, dict):
            name = re.split(r"[#/]", _text(entry.get("service")))[-1].lower()
            if name:
                found.setdefault(name, entry)
    return found


def _limitations(service: dict[str, Any]) -> str:
    """The service's limitations in the library's words ("Lesesaal"), joined."""
    limits = service.get("limitation")
    limits = limits if isinstance(limits, list) else [limits]
    return "; ".join(filter(None, (_text(limit) for limit in limits)))[:200]


def _text(value: Any) -> str:
    """A string, or an entity's `content` (DAIA's department, storage, limitation)."""
    if isinstance(value, dict):
        value = value.get("content")
    return value.strip() if isinstance(value, str) else ""


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _names(uri: str, local_id: str) -> bool:
    """Whether an id or URI names a local id: is it, or ends with it after ":" or "/"."""
    return uri == local_id or uri.endswith((f":{local_id}", f"/{local_id}"))


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
