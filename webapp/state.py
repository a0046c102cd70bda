"""The app's shared state, what every part of the web catalogue reads: config, index, store.

One Catalogue per application. The index is opened once per process and follows the nightly
updates by itself (index.search reopens its searcher after a commit or a rebuild); the store is
opened on first use, so a page that needs only the index works while the store is busy.

A page that changes a loan request queues its e-mail notices in the store (libnet.loans.notices)
and calls `send_notices_soon()`: a thread of the process sends them a moment later, so the
click never waits for the mail server, and what it cannot send waits for `libnet notices send`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import whoosh.index
from flask import current_app

from index.document import ClusterDoc
from index.search import UnionIndex
from index.update import index_path, read_cursor
from index.writer import SCHEMA_VERSION
from libnet.accounts.checkers import Checkers
from libnet.availability.service import Availability
from libnet.config import Config, LibraryConfig
from libnet.loans import mailer, notices
from libnet.store import RecordStore, cluster_history, open_store
from webapp.errors import NoIndex

log = logging.getLogger("libnet.web")


@dataclass(frozen=True, slots=True)
class Found:
    """A cluster looked up by id: its document, where it went, or that it is gone."""

    doc: ClusterDoc | None
    moved_to: int | None = None  # the cluster it was merged into
    gone: bool = False  # the id was a cluster once; it has no members now and went nowhere
    title: str = ""  # a gone cluster's title, for a search; "" when not known


class Catalogue:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._index: UnionIndex | None = None
        self._store: RecordStore | None = None
        self.mailing = notices.Mailing.from_config(config)
        self._courier = Courier(self._send_notices)
        # library code -> the checker of its own patron system (LDAP, SIP2), None: libnet's
        self.patron_checker = Checkers(config)
        # the libraries' live status sources ([libraries.availability]), with their cache
        self.availability = Availability({lib.code: lib.availability for lib in config.libraries})

    @property
    def libraries(self) -> tuple[LibraryConfig, ...]:
        return self.config.libraries

    def library_name(self, code: str) -> str:
        return next((lib.name for lib in self.libraries if lib.code == code), code)

    @property
    def index(self) -> UnionIndex:
        with self._lock:
            if self._index is None:
                path = index_path(self.config.storage.data_dir)
                if not path.exists():
                    raise NoIndex("the union index has not been built: run `libnet index`")
                if read_cursor(path).schema != SCHEMA_VERSION:
                    raise NoIndex("the union index is of an older libnet: run `libnet index`")
                if not whoosh.index.exists_in(path):  # never made here: searchers only read
                    raise NoIndex(
                        f"the union index in {path} is damaged: run `libnet index --full`"
                    )
                self._index = UnionIndex(path)
            return self._index

    @property
    def store(self) -> RecordStore:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.config.storage.url, self.config.storage.data_dir)
            return self._store

    def send_notices_soon(self) -> None:
        """Send the queued notices in the background, if mail is on ([mail] host)."""
        if self.config.mail.enabled:
            self._courier.nudge()

    def _send_notices(self) -> None:
        mailer.send_due(self.store.engine, self.config)

    def wait_for_notices(self, timeout: float = 30.0) -> bool:
        """Until the background sending is done (for tests and a clean shutdown)."""
        return self._courier.wait(timeout)

    def find(self, cluster_id: int) -> Found:
        """A cluster by its permalink id, following merges to the cluster that took it in."""
        doc = self.index.get(cluster_id)
        if doc is not None:
            return Found(doc)
        with self.store.engine.connect() as conn:
            fate = cluster_history.fate(conn, cluster_id)
        if fate is None:  # never a cluster of this catalogue
            return Found(None)
        if fate.current is None:
            return Found(None, gone=True, title=fate.title)
        if fate.current != cluster_id:
            return Found(None, moved_to=fate.current)
        return Found(None)  # live, but not in the index yet

    def current_doc(self, cluster_id: int) -> ClusterDoc | None:
        """The indexed document of a cluster, or of the cluster it was merged into; None
        when it is gone."""
        found = self.find(cluster_id)
        return self.index.get(found.moved_to) if found.moved_to is not None else found.doc

    def last_harvests(self) -> dict[str, datetime]:
        """When each library was last harvested successfully."""
        return self.store.last_harvests()


class Courier:
    """Runs `send` in a thread of its own when nudged: one round at a time, and one more round
    when nudged during a round, so a notice queued meanwhile is not left for the nightly run."""

    def __init__(self, send: Callable[[], object]) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._wanted = False
        self._thread: threading.Thread | None = None

    def nudge(self) -> None:
        with self._lock:
            self._wanted = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="libnet-notices",
                                                daemon=True)  # fmt: skip
                self._thread.start()

    def wait(self, timeout: float) -> bool:
        """True once no round is running or wanted; False when `timeout` seconds passed."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._thread = None
                    return
                self._wanted = False
            try:
                self._send()
            except Exception:  # the notices stay queued; the next nudge or cron tries again
                log.exception("sending the queued notices failed")


def catalogue() -> Catalogue:
    """The Catalogue of the application handling the current request."""
    return current_app.extensions["libnet"]
