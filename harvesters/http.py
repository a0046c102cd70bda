"""One HTTP request for an XML answer, with retries, a total deadline and a one-line failure.

Every network harvester fetches through `fetch_xml`, so a library's server that refuses,
stalls, answers 500 or sends an HTML error page fails the same way everywhere: a SourceError
naming the URL (without its query and password: libnet.redact) and what happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3.exceptions
from lxml import etree

from harvesters.errors import SourceError
from libnet.records.marc import safe_parser
from libnet.redact import redact_text, redact_url

MAX_BODY_BYTES = 200 * 1024 * 1024  # far above any SRU or OAI-PMH page; more is a runaway
DEADLINE_FACTOR = 5  # a whole answer may take this many times the timeout
MAX_RETRY_AFTER = 120.0  # seconds; a server asking for a longer pause gets the usual backoff
_CHUNK = 64 * 1024


class _Retry(Exception):
    """A failure worth another try; its message says what happened."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def fetch_xml(
    session: requests.Session,
    url: str,
    params: dict,
    *,
    timeout: float,
    retries: int,
    backoff: float,
    sleep: Callable[[float], object] = time.sleep,
    max_bytes: int = MAX_BODY_BYTES,
) -> etree._Element:
    """GET url with params and parse the answer as XML, or raise SourceError.

    Connection errors, timeouts and HTTP 5xx/429 are tried again `retries` times, waiting
    backoff, 2·backoff, … seconds (or the server's Retry-After, when that is longer but
    small). Any other HTTP error and an answer that is not XML fail at once.
    """
    where = _without_query(url)
    for attempt in range(retries + 1):
        try:
            body, content_type = _get(session, url, params, timeout, max_bytes, where)
        except _Retry as exc:
            if attempt == retries:
                tries = f" after {retries + 1} tries" if retries else ""
                raise SourceError(f"{where}: {exc}{tries}") from None
            delay = backoff * 2**attempt
            if exc.retry_after is not None and exc.retry_after <= MAX_RETRY_AFTER:
                delay = max(delay, exc.retry_after)
            sleep(delay)
        else:
            return _parse(body, content_type, where)
    raise AssertionError("unreachable")  # the loop returns or raises


def _get(
    session: requests.Session, url: str, params: dict, timeout: float, max_bytes: int, where: str
) -> tuple[bytes, str]:
    """The body and content type of one request; _Retry for what may pass, else SourceError."""
    started = time.monotonic()
    try:
        response = session.get(url, params=params, timeout=(timeout, timeout), stream=True)
    except requests.Timeout:
        raise _Retry(f"no answer within {timeout:g} s") from None
    except requests.ConnectionError as exc:
        raise _Retry(_connection_problem(exc)) from None
    except requests.RequestException as exc:
        raise SourceError(f"{where}: request failed: {redact_text(str(exc))}") from None
    with response:
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retry(f"HTTP {status}", _retry_after(response.headers.get("Retry-After", "")))
        if status >= 400:
            raise SourceError(f"{where}: HTTP {status} {response.reason or ''}".rstrip())
        deadline = started + timeout * DEADLINE_FACTOR
        body = _read_body(response, deadline, timeout, max_bytes, where)
        return body, response.headers.get("Content-Type", "")


def _read_body(
    response: requests.Response, deadline: float, timeout: float, max_bytes: int, where: str
) -> bytes:
    """Read in whatever pieces arrive, so a server that dribbles bytes meets the deadline.

    requests' timeout applies to each read of the socket; one byte per second would keep
    it waiting forever. read1 returns after a single read, so the deadline is checked often.
    """
    chunks, size = [], 0
    try:
        while chunk := response.raw.read1(_CHUNK, decode_content=True):
            size += len(chunk)
            if size > max_bytes:
                raise SourceError(f"{where}: answer is larger than {max_bytes} bytes")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise _Retry(f"answer not complete within {timeout * DEADLINE_FACTOR:g} s")
    except urllib3.exceptions.ReadTimeoutError:
        raise _Retry(f"answer stalled for more than {timeout:g} s") from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise _Retry(f"connection broke off: {redact_text(str(exc))}") from None
    return b"".join(chunks)


def _parse(body: bytes, content_type: str, where: str) -> etree._Element:
    start = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if "html" in content_type.lower() or start.startswith((b"<!doctype html", b"<html")):
        raise SourceError(f"{where}: answered HTML, not XML")
    try:
        return etree.fromstring(body, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"{where}: answered something that is not XML: {exc}") from None


def _connection_problem(exc: requests.ConnectionError) -> str:
    """A short reason from the chain of wrapped exceptions urllib3 and requests build."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        seen.append(current)
        linked = [*current.args, current.__cause__, current.__context__]
        linked.append(getattr(current, "reason", None))
        todo.extend(e for e in linked if isinstance(e, BaseException) and e not in seen)
    for current in seen:
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, ConnectionResetError):
            return "connection reset"
        if isinstance(current, urllib3.exceptions.NameResolutionError):
            return "host name not found"
    return f"connection failed: {redact_text(str(exc))}"  # urllib3 names the path and query


def _retry_after(value: str) -> float | None:
    """Retry-After in seconds; the HTTP-date form is rare enough to fall back on backoff."""
    value = value.strip()
    return float(value) if value.isascii() and value.isdigit() else None  # "²".isdigit() too


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return redact_url(urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")))
