"""The one bounded way a harvester asks a library's server: time, size and reach limited.

Every network harvester (SRU, OAI-PMH) fetches through a `Fetcher`, made when one library's
harvest starts. It holds that harvest to the source's bounds (libnet/source_config.py):

- `deadline`: the whole harvest ends within this many seconds, however the server behaves.
  It is checked before every request, after every piece of an answer, and no wait on the
  socket lasts beyond it, so a server that drips one byte a second cannot keep it alive.
- `max_response_mb`: no answer is read beyond this size (counted after gzip is undone).
- redirects: at most MAX_REDIRECTS, each only to the url's own scheme, host and port or to a
  host in `allow_redirects_to`. requests' own redirect following is off: a refused target
  is never asked anything.

Answers are parsed as a stream while they arrive (lxml's pull parser, fed piece by piece,
with the safe settings of libnet.records.marc), and elements are handed on and dropped one
by one, so memory stays flat however long the answer. A server that refuses, stalls,
answers 5xx or breaks off is tried again; everything else fails the source with one line.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from lxml import etree

from harvesters.errors import SourceError
from libnet.config import SourceConfig
from libnet.errors import one_line
from libnet.records.harvested import excerpt
from libnet.records.marc import SAFE_PARSER_OPTIONS
from libnet.redact import redact_text

MAX_REDIRECTS = 5
ANSWER_FACTOR = 5  # one answer may take this many times the timeout to arrive in full
MAX_RETRY_AFTER = 120.0  # seconds; a server asking for a longer pause gets the usual backoff
_CHUNK = 64 * 1024
_HEAD = 512  # bytes of an answer kept to show in a message
_DEFAULT_PORTS = {"http": 80, "https": 443}

#: (depth, element): the answer's root when it opens (depth 1), and each element of depth 2
#: and 3 once it is complete. An element is emptied as soon as the next one is asked for.
Element = tuple[int, etree._Element]


class BoundReached(SourceError):
    """The harvest's deadline or max_response_mb was reached; `after` says how far it got."""

    def after(self, records: int, page: int) -> SourceError:
        where = f" on page {page}" if page else ""
        return SourceError(f"{self} after {records:,} records{where}")


class _Retry(Exception):
    """A failure worth another try; its message says what happened."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Fetcher:
    """One library's requests, within that harvest's deadline, size limit and reach."""

    def __init__(
        self,
        config: SourceConfig,
        *,
        session: requests.Session | None = None,
        auth: tuple[str, str] | None = None,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.session = session or requests.Session()
        self.auth = auth  # HTTP Basic auth (libnet.source_credentials), for the source's origin
        self.sleep = sleep
        self.clock = clock
        self.ends = clock() + config.deadline
        self.max_bytes = int(config.max_response_mb * 1024 * 1024)
        self.origin = origin(config.url)

    def elements(self, url: str, params: dict | None) -> Iterator[Element]:
        """The elements of one answer as they arrive (see Element), or SourceError.

        Connection errors, timeouts, HTTP 5xx/429 and answers that break off are tried again
        `retries` times, waiting backoff, 2·backoff, … seconds (or the server's Retry-After,
        when that is longer but small); a retried answer is read on from where the failed
        one broke off. Any other HTTP error, a refused redirect, an answer that is not XML
        and a reached bound fail at once.
        """
        c = self.config
        handed = 0
        for attempt in range(c.retries + 1):
            try:
                with contextlib.closing(self._answer(url, params)) as answer:
                    for number, item in enumerate(answer):
                        if number == handed:
                            handed += 1
                            yield item
                return
            except _Retry as exc:
                if attempt == c.retries:
                    tries = f" (after {c.retries} retries)" if c.retries else ""
                    raise SourceError(f"{exc}{tries}") from None
                delay = c.backoff * 2**attempt
                if exc.retry_after is not None and exc.retry_after <= MAX_RETRY_AFTER:
                    delay = max(delay, exc.retry_after)
                if self.clock() + delay >= self.ends:
                    raise self._deadline() from None
                self.sleep(delay)

    def _answer(self, url: str, params: dict | None) -> Iterator[Element]:
        response = self._open(url, params)
        with response:
            answer_ends = min(self.ends, self.clock() + self.config.timeout * ANSWER_FACTOR)
            content_type = response.headers.get("Content-Type", "")
            yield from _parse(self._chunks(response, answer_ends), content_type)

    def _open(self, url: str, params: dict | None) -> requests.Response:
        """The answer to a GET, after the redirects the source allows."""
        for _ in range(MAX_REDIRECTS + 1):
            response = self._get(url, params)
            if not response.is_redirect:
                return self._checked(response)
            with response:
                target = urljoin(response.url, self.session.get_redirect_target(response))
                status = _status(response)
            if not self._may_go_to(target):
                raise SourceError(
                    f"{status}: refused to follow the redirect to {origin(target)} (only "
                    f"{self.origin} or a host in allow_redirects_to)"
                )
            url, params = target, None  # the target carries its own query
        raise SourceError(f"more than {MAX_REDIRECTS} redirects (the last to {address(url)})")

    def _get(self, url: str, params: dict | None) -> requests.Response:
        wait = self._wait(self.config.timeout)
        try:
            # the source's login goes to its own origin only, never to a host it redirects to
            auth = self.auth if origin(url) == self.origin else None
            return self.session.get(
                url,
                params=params,
                timeout=(wait, wait),
                stream=True,
                allow_redirects=False,
                auth=auth,
            )
        except requests.Timeout:
            if wait < self.config.timeout:  # the wait was cut short by the deadline
                raise self._deadline() from None
            raise _Retry(f"no answer within {self.config.timeout:g} s") from None
        except requests.ConnectionError as exc:
            self._check_deadline()
            raise _Retry(f"cannot reach {address(url)}: {_connection_problem(exc)}") from None
        except requests.RequestException as exc:
            raise SourceError(f"request to {address(url)} failed: {_said(exc)}") from None

    def _checked(self, response: requests.Response) -> requests.Response:
        status = response.status_code
        if status == 429 or status >= 500:
            response.close()
            raise _Retry(_status(response), _retry_after(response.headers.get("Retry-After", "")))
        if status >= 300:
            response.close()
            raise SourceError(_status(response))
        length = response.headers.get("Content-Length", "")
        if length.isascii() and length.isdigit() and int(length) > self.max_bytes:
            response.close()
            raise self._too_large()
        return response

    def _chunks(self, response: requests.Response, answer_ends: float) -> Iterator[bytes]:
        """The answer's body in whatever pieces arrive, decoded, within every bound.

        requests' timeout applies to each wait on the socket, so one byte per second would
        keep it going forever; read1 returns after one wait, and each wait is cut to what is
        left of the deadlines.
        """
        timeout = self.config.timeout
        size = 0
        wait = timeout
        try:
            while True:
                wait = min(self._wait(timeout), answer_ends - self.clock())
                _set_read_timeout(response, wait)
                chunk = response.raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    return
                size += len(chunk)
                if size > self.max_bytes:
                    raise self._too_large()
                yield chunk
                self._check_deadline()
                if self.clock() >= answer_ends:
                    raise _Retry(f"answer not complete within {timeout * ANSWER_FACTOR:g} s")
        except urllib3.exceptions.ReadTimeoutError:
            # which limit cut the wait short: the harvest's, the answer's, or none
            if wait < timeout and answer_ends >= self.ends:
                raise self._deadline() from None
            if wait < timeout:
                raise _Retry(f"answer not complete within {timeout * ANSWER_FACTOR:g} s") from None
            raise _Retry(f"answer stalled for more than {timeout:g} s") from None
        except urllib3.exceptions.DecodeError as exc:
            raise SourceError(f"answer cannot be decoded: {_said(exc)}") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _Retry(f"connection broke off: {_broken(exc)}") from None

    def _wait(self, seconds: float) -> float:
        """At most `seconds`, and no longer than the deadline leaves."""
        self._check_deadline()
        return max(0.001, min(seconds, self.ends - self.clock()))

    def _check_deadline(self) -> None:
        if self.clock() >= self.ends:
            raise self._deadline()

    def _deadline(self) -> BoundReached:
        return BoundReached(f"harvest deadline of {self.config.deadline:g} s reached")

    def _too_large(self) -> BoundReached:
        mb = self.config.max_response_mb
        return BoundReached(f"answer larger than max_response_mb ({mb:g} MB)")

    def _may_go_to(self, url: str) -> bool:
        parts = urlsplit(url)
        if origin(url) == self.origin:
            return True
        host = (parts.hostname or "").lower()
        return parts.scheme in _DEFAULT_PORTS and host in self.config.allow_redirects_to


def _parse(chunks: Iterator[bytes], content_type: str) -> Iterator[Element]:
    """Feed the pieces to a pull parser; hand on the elements, then drop them (see Element)."""
    parser = etree.XMLPullParser(events=("start", "end"), **SAFE_PARSER_OPTIONS)
    head = b""
    depth = 0

    def events() -> Iterator[Element]:
        nonlocal depth
        for event, element in parser.read_events():
            if event == "start":
                depth += 1
                if depth == 1:
                    yield 1, element
                continue
            if depth in (2, 3):
                yield depth, element
                element.clear(keep_tail=False)
                parent = element.getparent()
                while element.getprevious() is not None:
                    del parent[0]
            depth -= 1

    try:
        for chunk in chunks:
            if len(head) < _HEAD:
                head += chunk[: _HEAD - len(head)]
            parser.feed(chunk)
            yield from events()
        parser.close()
        yield from events()
    except etree.XMLSyntaxError as exc:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if "html" in content_type.lower() or start.startswith((b"<!doctype html", b"<html")):
            raise SourceError(f"answered HTML, not XML: {excerpt(head, 80)}") from None
        raise SourceError(
            f"answer is not well-formed XML (line {exc.lineno}: {exc.msg}): {excerpt(head, 80)}"
        ) from None


def origin(url: str) -> str:
    """scheme://host:port of a url, the port always written out; never user info or query."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or _DEFAULT_PORTS.get(parts.scheme, 0)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}:{port}"


def address(url: str) -> str:
    """origin and path of a url: what a message may show of it."""
    return origin(url) + urlsplit(url).path


def _status(response: requests.Response) -> str:
    return f"HTTP {response.status_code} {response.reason or ''}".rstrip()


def _set_read_timeout(response: requests.Response, seconds: float) -> None:
    """Cut the next wait on the answer's socket to `seconds` (urllib3 keeps the socket)."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(max(0.001, seconds))


def _broken(exc: BaseException) -> str:
    """Why an answer broke off, in words; urllib3 wraps http.client's IncompleteRead."""
    text = _said(exc)
    if "IncompleteRead" in text or "InvalidChunkLength" in text:
        return "the answer ended before its announced length or chunk"
    return text


def _said(exc: BaseException) -> str:
    """What an exception says, on one line, without a URL's password or key (urllib3 and
    requests name the URL they were asked for)."""
    return redact_text(one_line(exc))


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
    return "connection failed"


def _retry_after(value: str) -> float | None:
    """Retry-After in seconds; the HTTP-date form is rare enough to fall back on backoff."""
    value = value.strip()
    return float(value) if value.isascii() and value.isdigit() else None  # "²".isdigit() too
