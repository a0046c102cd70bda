"""Which commit a search reads: the newest one, once its searchers are ready.

After a commit (the nightly's, in another process) each web process needs a pool of searchers
of the new commit (index/searchers.py), whose first snapshot loads the per-document arrays:
about 1.6 s at a million clusters. If every search waited for that, the first searches
after each commit would take as long. So a large index's new pool is opened by a thread
in the background; a search waits for it a short while (`wait`, and not at all when the last
pool took longer than that to open) and, if it is not ready by then, is answered from the
previous commit's pool, which stays open until the new one takes over. A small index (below
`at_once_below` documents: tests, a small network) opens its new pool at once, as before: a
search after a commit always sees that commit there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable

from whoosh.index import FileIndex

from index.searchers import Searchers

AT_ONCE_BELOW = 50_000  # documents; a pool of that many opens in well under 100 ms
WAIT = 0.1  # seconds a search waits for the newer commit's pool before it reads the older

log = logging.getLogger(__name__)


class Switch:
    """The pool of searchers a search takes: the latest commit's, or the one before while the
    latest one's opens in the background."""

    def __init__(
        self,
        open_pool: Callable[[FileIndex], Searchers],
        *,
        at_once_below: int = AT_ONCE_BELOW,
        wait: float = WAIT,
    ) -> None:
        self._open_pool = open_pool
        self._at_once_below = at_once_below
        self._wait = wait
        self._lock = threading.Lock()
        self._pool: Searchers | None = None
        self._key: Hashable = None
        self._coming: threading.Event | None = None  # set when the pool being opened is ready
        self._took = 0.0  # seconds the last pool took to open

    def pool(
        self, key: Hashable, ix: FileIndex, place: Callable[[Searchers], Hashable]
    ) -> Searchers:
        """The pool for a search, when `key` names the latest commit of `ix`.

        `place` gives the key of a pool opened (its commit may be newer than `key`'s).
        """
        with self._lock:
            if self._pool is not None and self._key == key:
                return self._pool
            if self._pool is None or _documents(ix) < self._at_once_below:
                self._install(self._timed(ix), place)  # waiting here, as every search did
                return self._pool
            if self._coming is None:  # one pool opens at a time; a later commit's comes after
                self._coming = threading.Event()
                thread = threading.Thread(
                    target=self._open_in_background,
                    args=(ix, place, self._coming),
                    name="libnet-searchers",
                    daemon=True,
                )
                thread.start()
            coming = self._coming
            took = self._took
        if took < self._wait:  # a pool that took longer last time will not be ready in time
            coming.wait(self._wait)
        with self._lock:
            return self._pool

    def _open_in_background(
        self, ix: FileIndex, place: Callable[[Searchers], Hashable], ready: threading.Event
    ) -> None:
        try:
            pool = self._timed(ix)
        except Exception:  # the searches go on with the older pool; the next one tries again
            log.exception("could not open searchers of the newer commit")
            pool = None
        with self._lock:
            if pool is not None:
                self._install(pool, place)
            self._coming = None
        ready.set()

    def _timed(self, ix: FileIndex) -> Searchers:
        started = time.monotonic()
        pool = self._open_pool(ix)
        self._took = time.monotonic() - started
        return pool

    def _install(self, pool: Searchers, place: Callable[[Searchers], Hashable]) -> None:
        """Make pool the one searches take (the lock held); the older one retires."""
        old, self._pool, self._key = self._pool, pool, place(pool)
        if old is not None:
            old.retire()  # closes its snapshots as the searches using them end


def _documents(ix: FileIndex) -> int:
    """Documents in the latest commit of ix, deleted ones included (its table of contents)."""
    try:
        return sum(segment.doc_count_all() for segment in ix._segments())
    except OSError:  # a commit in between: open at once, as Searchers retries that
        return 0
