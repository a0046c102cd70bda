"""A few SIP2 sessions kept open to one server and shared by threads.

Live availability asks a library's system about many copies while a record page waits, and
many pages at once. Opening a connection and logging in for every copy would cost three
round trips a copy and a login per copy in the system's log; so each library has a pool:

- at most `size` connections (config's `max_connections`), each opened by
  `session.open_session` (Login 93/94 once, then SC Status 99/98);
- a connection that sat idle for `idle_check` seconds or more is asked SC Status again
  before its next request (a system may drop idle connections, or go offline), and replaced
  by a fresh one when that fails;
- a connection whose request failed in any way (timed out, closed mid-answer, garbage, a
  checksum wrong twice) is closed and never handed to the next request: its next bytes could
  be the late answer to the question before;
- a request that finds every connection busy waits for one at most `wait` seconds.

The sequence numbers, checksums, 97 and 96 are the connection's (`connection.Connection`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from libnet.sip2.connection import Connection, Endpoint, Failure
from libnet.sip2.messages import Answer, FieldRefused, Request
from libnet.sip2.session import Login, check_status, open_session

IDLE_CHECK_SECONDS = 20.0  # an idle connection older than this is asked SC Status first


class SessionPool:
    """Up to `size` logged-in connections to one SIP2 server."""

    def __init__(
        self,
        endpoint: Endpoint,
        login: Login | None,
        size: int,
        idle_check: float = IDLE_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint
        self._login = login
        self._size = size
        self._idle_check = idle_check
        self._clock = clock
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[tuple[Connection, float]] = []  # (connection, when it was last used)
        self._closed = False

    def exchange(self, request: Request, wait: float) -> Answer | FieldRefused | Failure:
        """Send `request` on a pooled connection and return its answer (or why not)."""
        if not self._slots.acquire(timeout=max(wait, 0.0)):
            return Failure(f"{self.endpoint.name}: all {self._size} connections busy "
                           f"for {wait:g} s")  # fmt: skip
        try:
            connection = self._take()
            if isinstance(connection, Failure):
                return connection
            answer = connection.exchange(request)
            if isinstance(answer, Failure):
                connection.close()  # broken or out of step: never used again
            else:
                self._give_back(connection)
            return answer
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close the idle connections; those in use are closed when their request ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection, _ in idle:
            connection.close()

    def _take(self) -> Connection | Failure:
        """An idle connection (checked when it idled long), or a new session."""
        with self._lock:
            idle = self._idle.pop() if self._idle else None
        if idle is not None:
            connection, since = idle
            if self._clock() - since < self._idle_check:
                return connection
            if check_status(connection, self.endpoint) is None:
                return connection
            connection.close()  # dropped or offline while idle: try a fresh one
        return open_session(self.endpoint, self._login)

    def _give_back(self, connection: Connection) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append((connection, self._clock()))
                return
        connection.close()
