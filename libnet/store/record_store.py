"""The record store: every library's records as harvested, their history and the change feed.

Every add, change and delete takes the next number of one store-wide counter; the union index
asks `changes_since(n)` and gets exactly what moved, deletions included. Writing a harvest is
harvest.py's part of the store, its runs and rejects runs.py's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from libnet.records.bib import BibRecord
from libnet.store.database import aware, migrated_engine, transaction
from libnet.store.harvest import HarvestWriting
from libnet.store.runs import HarvestRuns
from libnet.store.schema import records, store_state


@dataclass(frozen=True, slots=True)
class StoredRecord:
    library: str
    local_id: str
    source_id: str
    syntax: str
    raw: bytes
    content_hash: str
    fields: dict[str, Any]
    deleted: bool
    first_seen: datetime
    last_changed: datetime
    last_seen: datetime
    run_id: int
    change_no: int
    raw_hash: str = ""  # libnet.records.raw_hash; "" when the next harvest decodes it again

    def bib(self) -> BibRecord:
        return BibRecord.from_dict(self.fields)


class RecordStore(HarvestRuns, HarvestWriting):
    """The store behind one database URL; open it with `open_store`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction that holds the change counter until it commits (`transaction`).

        On PostgreSQL the counter row is locked, so change numbers are handed out in commit
        order.
        """
        with transaction(self.engine) as conn:
            yield conn

    def get(self, library: str, local_id: str) -> StoredRecord | None:
        query = select(records).where(records.c.library == library, records.c.local_id == local_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return _stored(row) if row else None

    def changes_since(self, change_no: int, limit: int = 1000) -> list[StoredRecord]:
        """Records added, changed or deleted after change number `change_no`, in order."""
        query = (
            select(records)
            .where(records.c.change_no > change_no)
            .order_by(records.c.change_no)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_stored(row) for row in conn.execute(query)]

    def iter_changes(self, change_no: int, batch: int = 1000) -> Iterator[StoredRecord]:
        """Every change after `change_no`, fetched in batches."""
        while True:
            page = self.changes_since(change_no, batch)
            yield from page
            if len(page) < batch:
                return
            change_no = page[-1].change_no

    def last_change_no(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                select(store_state.c.value).where(store_state.c.key == "change_no")
            ).scalar_one()

    def stats(self) -> dict[str, dict[str, int]]:
        """Per library: how many records are live and how many deleted."""
        query = select(records.c.library, records.c.deleted, func.count()).group_by(
            records.c.library, records.c.deleted
        )
        result: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for library, deleted, count in conn.execute(query):
                entry = result.setdefault(library, {"records": 0, "deleted": 0})
                entry["deleted" if deleted else "records"] += count
        return result


def stored_bib(conn: Connection, library: str, local_id: str) -> BibRecord | None:
    """The normalised record of one library's record, deleted or not; None when unknown."""
    row = conn.execute(
        select(records.c.fields).where(records.c.library == library, records.c.local_id == local_id)
    ).first()
    return BibRecord.from_dict(json.loads(row.fields)) if row else None


OVERLAP_KEYS = ("short_title", "subject", "decade")


def _stored(row: Any) -> StoredRecord:
    values = aware(row._mapping)
    values.pop("id")
    for key in OVERLAP_KEYS:  # the overlap report's copy of what `fields` says
        values.pop(key)
    values["fields"] = json.loads(values["fields"])
    return StoredRecord(**values)


def open_store(url: str, data_dir: Path | None = None) -> RecordStore:
    """Open (and create or migrate) the store at a SQLAlchemy URL."""
    return RecordStore(migrated_engine(url, data_dir))
