"""Writing one library's harvest: the incoming records compared with the stored ones, and the
difference written in one transaction, each add, change and delete with the next number of the
store-wide change counter.

A failed or killed harvest thus leaves that library as it was; the union index asks the change
feed (record_store.py) for exactly what moved, deletions included.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update

from libnet.errors import StoreError
from libnet.records.harvested import FieldRepair, RecordProblem
from libnet.records.prepare import Prepared, Unchanged
from libnet.store.database import transaction, utcnow
from libnet.store.runs import insert_rejects, insert_repairs
from libnet.store.schema import harvest_runs, records, store_state

_BATCH = 2000


@dataclass(frozen=True, slots=True)
class Counts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    repaired: int = 0  # records kept with a malformed field repaired or left out


class SuspiciousDelete(StoreError):
    """A full harvest would delete more of a library than allowed: nothing was written."""


class HarvestWriting:
    """Writing harvests into the record store (a part of RecordStore)."""

    engine: Engine

    def raw_hashes(self, library: str) -> dict[str, str]:
        """Raw hash -> local id of the library's live records that have one.

        A harvest looks each record it reads up here before decoding it (libnet.records.raw_hash)
        and hands a record it finds to apply_harvest as Unchanged.
        """
        query = select(records.c.raw_hash, records.c.local_id).where(
            records.c.library == library, records.c.deleted.is_(False), records.c.raw_hash != ""
        )
        with self.engine.connect() as conn:
            return {raw: local_id for raw, local_id in conn.execute(query)}

    def apply_harvest(
        self,
        run_id: int,
        library: str,
        entries: Iterable[Prepared | Unchanged | RecordProblem],
        *,
        snapshot: bool,
        max_delete_share: float,
        force: bool = False,
        cursor: str | None = None,
        now: datetime | None = None,
    ) -> Counts:
        """Write one library's harvest in one transaction and close its run as ok.

        `snapshot`: the entries are the whole catalogue, so a live record not among them is
        deleted; more than `max_delete_share` of the library deleted so is refused
        (SuspiciousDelete, nothing written) unless `force`. An Unchanged entry is a live stored
        record met again byte for byte, counted and kept as a Prepared one equal to it would be.
        """
        now = now or utcnow()
        with transaction(self.engine) as conn:
            writer = _HarvestWriter(conn, run_id, library, now)
            problems: list[RecordProblem] = []
            for entry in entries:
                if isinstance(entry, RecordProblem):
                    problems.append(entry)
                    if len(problems) >= _BATCH:
                        writer.rejected += insert_rejects(conn, run_id, problems)
                        problems.clear()
                else:
                    duplicate = writer.take(entry)
                    if duplicate:
                        problems.append(duplicate)
            writer.rejected += insert_rejects(conn, run_id, problems)
            if snapshot:
                missing = writer.missing()
                live = writer.live_before
                if live and len(missing) > max_delete_share * live and not force:
                    raise SuspiciousDelete(
                        f"{library}: the harvest would delete {len(missing)} of {live} records "
                        f"({len(missing) / live:.0%}, more than {max_delete_share:.0%}); "
                        "nothing was changed (use --force if this is right)"
                    )
                writer.delete(missing)
            counts = writer.finish()
            conn.execute(
                update(harvest_runs)
                .where(harvest_runs.c.id == run_id)
                .values(outcome="ok", finished_at=utcnow(), cursor=cursor, **asdict(counts))
            )
            return counts


class _HarvestWriter:
    """Compares one library's incoming records with the stored ones and writes the difference."""

    def __init__(self, conn: Connection, run_id: int, library: str, now: datetime) -> None:
        self.conn, self.run_id, self.library, self.now = conn, run_id, library, now
        counter = select(store_state.c.value).where(store_state.c.key == "change_no")
        if conn.dialect.name != "sqlite":
            counter = counter.with_for_update()
        self.change_no = conn.execute(counter).scalar_one()
        # local_id -> (row id, content hash, deleted, source_id, raw hash)
        self.existing: dict[str, tuple[int, str, bool, str, str]] = {}
        self.by_source: dict[str, str] = {}
        query = select(
            records.c.local_id,
            records.c.id,
            records.c.content_hash,
            records.c.deleted,
            records.c.source_id,
            records.c.raw_hash,
        ).where(records.c.library == library)
        for local_id, row_id, digest, deleted, source_id, raw in conn.execute(query):
            self.existing[local_id] = (row_id, digest, deleted, source_id, raw)
            if source_id:
                self.by_source[source_id] = local_id
        self.live_before = sum(1 for v in self.existing.values() if not v[2])
        self.seen: set[str] = set()
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.touched: list[int] = []
        self.rehashed: list[dict[str, Any]] = []  # unchanged records with a new raw hash
        self.added = self.changed = self.unchanged = self.deleted = self.rejected = 0
        self.repaired = 0
        self.repairs: list[FieldRepair] = []

    def next_change(self) -> int:
        self.change_no += 1
        return self.change_no

    def take(self, entry: Prepared | Unchanged) -> RecordProblem | None:
        """Take one incoming record; a second one with the same id is refused and reported."""
        if isinstance(entry, Unchanged):
            return self.keep(entry)
        return self.add(entry)

    def keep(self, entry: Unchanged) -> RecordProblem | None:
        """A stored record met again byte for byte: seen and unchanged, nothing decoded."""
        if entry.local_id in self.seen:
            return self._twice(entry.local_id, entry.source_id)
        old = self.existing.get(entry.local_id)
        if old is None or old[2] or old[4] != entry.raw_hash:
            # the raw hashes were read before this transaction; only another writer of this
            # library's records in between (the data directory's lock keeps them out) gets here
            raise StoreError(
                f"{self.library}: record {entry.local_id} changed in the store during the "
                "harvest; nothing was written, harvest again"
            )
        self.seen.add(entry.local_id)
        self.touched.append(old[0])
        self.unchanged += 1
        self._flush(_BATCH)
        return None

    def add(self, entry: Prepared) -> RecordProblem | None:
        local_id = entry.local_id or self.by_source.get(entry.source_id, "")
        if not local_id:
            return None  # the deletion of a record this store never had
        if local_id in self.seen:
            return self._twice(local_id, entry.source_id)
        self.seen.add(local_id)
        if entry.repairs:
            self.repaired += 1
            self.repairs.extend(entry.repairs)
        old = self.existing.get(local_id)
        if entry.deleted:
            if old and not old[2]:
                self._delete_row(old[0])
            return None
        if old and old[1] == entry.content_hash and not old[2]:
            if old[4] != entry.raw_hash:  # first met since the normaliser or settings changed
                self.rehashed.append({"row_id": old[0], "new_raw_hash": entry.raw_hash})
            self.touched.append(old[0])
            self.unchanged += 1
        else:
            values = {
                "source_id": entry.source_id,
                "syntax": entry.syntax,
                "raw": entry.raw,
                "content_hash": entry.content_hash,
                "raw_hash": entry.raw_hash,
                "fields": entry.fields,
                "short_title": entry.keys.short_title,
                "subject": entry.keys.subject,
                "decade": entry.keys.decade,
                "deleted": False,
                "last_changed": self.now,
                "last_seen": self.now,
                "run_id": self.run_id,
                "change_no": self.next_change(),
            }
            if old is None:
                self.inserts.append(
                    {"library": self.library, "local_id": local_id, "first_seen": self.now} | values
                )
                self.added += 1
            else:
                self.updates.append({"row_id": old[0]} | values)
                self.changed += 1
        self._flush(_BATCH)
        return None

    def _twice(self, local_id: str, source_id: str) -> RecordProblem:
        return RecordProblem(
            source_id or local_id,
            f"record id {local_id} delivered twice in one harvest; the first one is kept",
            local_id,
        )

    def missing(self) -> list[int]:
        """Row ids of live records the snapshot did not deliver."""
        return [
            row_id
            for local_id, (row_id, _h, deleted, _s, _r) in self.existing.items()
            if not deleted and local_id not in self.seen
        ]

    def delete(self, row_ids: list[int]) -> None:
        for row_id in row_ids:
            self._delete_row(row_id)

    def _delete_row(self, row_id: int) -> None:
        self.conn.execute(
            update(records)
            .where(records.c.id == row_id)
            .values(
                deleted=True,
                last_changed=self.now,
                last_seen=self.now,
                run_id=self.run_id,
                change_no=self.next_change(),
            )
        )
        self.deleted += 1

    def _flush(self, at: int) -> None:
        if len(self.inserts) >= at:
            _insert_many(self.conn, self.inserts)
            self.inserts = []
        if len(self.updates) >= at:
            stmt = update(records).where(records.c.id == bindparam("row_id"))
            self.conn.execute(stmt, self.updates)
            self.updates = []
        if len(self.repairs) >= at:
            insert_repairs(self.conn, self.run_id, self.repairs)
            self.repairs = []
        if len(self.rehashed) >= at:
            stmt = update(records).where(records.c.id == bindparam("row_id"))
            self.conn.execute(stmt.values(raw_hash=bindparam("new_raw_hash")), self.rehashed)
            self.rehashed = []
        if len(self.touched) >= at:
            self.conn.execute(
                update(records)
                .where(records.c.id.in_(self.touched))
                .values(last_seen=self.now, run_id=self.run_id)
            )
            self.touched = []

    def finish(self) -> Counts:
        self._flush(1)
        self.conn.execute(
            update(store_state).where(store_state.c.key == "change_no").values(value=self.change_no)
        )
        return Counts(
            self.added, self.changed, self.unchanged, self.deleted, self.rejected, self.repaired
        )


def _insert_many(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert record rows with the driver's executemany.

    SQLAlchemy's own executemany spends more time preparing each row's parameters than SQLite
    spends inserting it; a harvest inserts a library's records in one go, so the statement is
    compiled once and each value goes through its column type's bind processor here.
    """
    if not rows:
        return
    columns = list(rows[0])
    compiled = records.insert().compile(dialect=conn.dialect, column_keys=columns)
    processors = {
        name: records.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        for name in columns
    }
    cache: dict[tuple[str, object], object] = {}  # a harvest's rows share their timestamps

    def value(name: str, raw: object) -> object:
        process = processors[name]
        if process is None or raw is None:
            return raw
        if isinstance(raw, datetime):
            key = (name, raw)
            if key not in cache:
                cache[key] = process(raw)
            return cache[key]
        return process(raw)

    if compiled.positional:
        order = [compiled.binds[bind].key for bind in compiled.positiontup]
        params: list[Any] = [tuple(value(name, row[name]) for name in order) for row in rows]
    else:  # named placeholders: an insert's are its column names
        params = [{name: value(name, row[name]) for name in columns} for row in rows]
    conn.exec_driver_sql(str(compiled), params)
