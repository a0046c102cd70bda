"""What every part of the web catalogue reads: the configuration, the union index, the store.

One Catalogue per application. The index is opened once per process and follows the nightly
updates by itself (index.engine reopens its searcher after a commit or a rebuild); the store is
opened on first use, so a page that needs only the index works while the store is busy.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from index.engine import SCHEMA_VERSION, ClusterDoc, UnionIndex
from index.update import CURSOR, index_path
from libnet import clusters
from libnet.config import Config, LibraryConfig
from libnet.errors import LibnetError
from libnet.schema import harvest_runs
from libnet.store import RecordStore, open_store


class NoIndex(LibnetError):
    """The union index has not been built yet."""


@dataclass(frozen=True, slots=True)
class Found:
    """A cluster looked up by id: its document, or where it went."""

    doc: ClusterDoc | None
    moved_to: int | None = None  # the cluster it was merged into


class Catalogue:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._index: UnionIndex | None = None
        self._store: RecordStore | None = None

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
                if _schema_of(path) != SCHEMA_VERSION:
                    raise NoIndex("the union index is of an older libnet: run `libnet index`")
                self._index = UnionIndex(path)
            return self._index

    @property
    def store(self) -> RecordStore:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.config.storage.url, self.config.storage.data_dir)
            return self._store

    def find(self, cluster_id: int) -> Found:
        """A cluster by its permalink id, following merges to the cluster that took it in."""
        doc = self.index.get(cluster_id)
        if doc is not None:
            return Found(doc)
        with self.store.engine.connect() as conn:
            current = clusters.current_id(conn, cluster_id)
        if current is not None and current != cluster_id:
            return Found(None, moved_to=current)
        return Found(None)

    def current_doc(self, cluster_id: int) -> ClusterDoc | None:
        """The indexed document of a cluster, or of the cluster it was merged into; None
        when it is gone."""
        found = self.find(cluster_id)
        return self.index.get(found.moved_to) if found.moved_to is not None else found.doc

    def last_harvests(self) -> dict[str, datetime]:
        """When each library was last harvested successfully."""
        runs = harvest_runs
        query = (
            select(runs.c.library, func.max(runs.c.finished_at))
            .where(runs.c.outcome == "ok")
            .group_by(runs.c.library)
        )
        with self.store.engine.connect() as conn:
            return {library: finished for library, finished in conn.execute(query) if finished}


def _schema_of(path: Path) -> int | None:
    """The schema version `libnet index` noted in the index folder, if any."""
    try:
        return json.loads((path.resolve() / CURSOR).read_text()).get("schema")
    except (OSError, ValueError, AttributeError):
        return None


def catalogue() -> Catalogue:
    """The Catalogue of the application handling the current request."""
    return current_app.extensions["libnet"]
