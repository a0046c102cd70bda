"""The record store: every library's records as harvested, their history and the change feed.

SQLite (WAL) by default, PostgreSQL through `database_url`. A library's harvest is written in
one transaction (`apply_harvest`), so a failed or killed harvest leaves that library as it was.
Every add, change and delete takes the next number of one store-wide counter; the union index
asks `changes_since(n)` and gets exactly what moved, deletions included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from libnet.errors import StoreError
from libnet.records.bib import BibRecord
from libnet.records.harvested import RecordProblem
from libnet.records.prepare import Prepared
from libnet.schema import harvest_runs, records, rejects, store_state

_BATCH = 2000
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True, slots=True)
class Counts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0


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

    def bib(self) -> BibRecord:
        return BibRecord.from_dict(self.fields)


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    library: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    full: bool
    added: int
    changed: int
    unchanged: int
    deleted: int
    rejected: int
    error: str | None
    cursor: str | None

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class SuspiciousDelete(StoreError):
    """A full harvest would delete more of a library than allowed: nothing was written."""


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that reads and then writes. On SQLite it takes the write lock at once
    (BEGIN IMMEDIATE), waiting for another writer up to the busy timeout: a deferred one that
    read first would fail at its first write, not wait, when another writer got there first.
    On PostgreSQL it is a plain transaction."""
    with engine.connect() as conn:
        conn.info["immediate"] = True
        with conn.begin():
            yield conn


def utcnow() -> datetime:
    return datetime.now(UTC)


class RecordStore:
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

    # --- harvest runs -------------------------------------------------------------------

    def start_run(self, library: str, full: bool, now: datetime | None = None) -> int:
        with self.write() as conn:
            result = conn.execute(
                harvest_runs.insert().values(
                    library=library,
                    started_at=now or utcnow(),
                    outcome="running",
                    full=full,
                    added=0,
                    changed=0,
                    unchanged=0,
                    deleted=0,
                    rejected=0,
                )
            )
            return result.inserted_primary_key[0]

    def fail_run(
        self, run_id: int, outcome: str, error: str, problems: Iterable[RecordProblem] = ()
    ) -> None:
        """Close a run that wrote no records, keeping the problems it had found."""
        with self.write() as conn:
            rejected = self._insert_rejects(conn, run_id, problems)
            conn.execute(
                update(harvest_runs)
                .where(harvest_runs.c.id == run_id)
                .values(
                    outcome=outcome,
                    error=error,
                    finished_at=utcnow(),
                    rejected=rejected,
                )
            )

    def close_interrupted_runs(self) -> int:
        """Runs still marked running when no harvest runs (the caller holds the lock) died."""
        with self.write() as conn:
            result = conn.execute(
                update(harvest_runs)
                .where(harvest_runs.c.outcome == "running")
                .values(
                    outcome="interrupted",
                    error="the harvest stopped before it finished",
                )
            )
            return result.rowcount

    def last_cursor(self, library: str) -> str | None:
        """The cursor of the library's last successful harvest, for an incremental one."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(harvest_runs.c.cursor)
                .where(harvest_runs.c.library == library, harvest_runs.c.outcome == "ok")
                .order_by(harvest_runs.c.id.desc())
                .limit(1)
            ).scalar()

    def runs(self, library: str | None = None, limit: int = 20) -> list[Run]:
        query = select(harvest_runs).order_by(harvest_runs.c.id.desc()).limit(limit)
        if library:
            query = query.where(harvest_runs.c.library == library)
        with self.engine.connect() as conn:
            return [Run(**_aware(row._mapping)) for row in conn.execute(query)]

    def run(self, run_id: int) -> Run | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(harvest_runs).where(harvest_runs.c.id == run_id)).first()
        return Run(**_aware(row._mapping)) if row else None

    def rejects(self, run_id: int, limit: int | None = None) -> list[RecordProblem]:
        """The records a run rejected, in the order it met them; the first `limit` of them."""
        query = (
            select(rejects.c.position, rejects.c.reason, rejects.c.local_id, rejects.c.excerpt)
            .where(rejects.c.run_id == run_id)
            .order_by(rejects.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [RecordProblem(*row) for row in conn.execute(query)]

    # --- writing a harvest ----------------------------------------------------------------

    def apply_harvest(
        self,
        run_id: int,
        library: str,
        entries: Iterable[Prepared | RecordProblem],
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
        (SuspiciousDelete, nothing written) unless `force`.
        """
        now = now or utcnow()
        with self.write() as conn:
            writer = _HarvestWriter(conn, run_id, library, now)
            problems: list[RecordProblem] = []
            for entry in entries:
                if isinstance(entry, RecordProblem):
                    problems.append(entry)
                    if len(problems) >= _BATCH:
                        writer.rejected += self._insert_rejects(conn, run_id, problems)
                        problems.clear()
                else:
                    duplicate = writer.add(entry)
                    if duplicate:
                        problems.append(duplicate)
            writer.rejected += self._insert_rejects(conn, run_id, problems)
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

    def _insert_rejects(
        self, conn: Connection, run_id: int, problems: Iterable[RecordProblem]
    ) -> int:
        rows = [
            {
                "run_id": run_id,
                "position": p.position[:400],
                "local_id": p.local_id[:200],
                "reason": p.reason,
                "excerpt": p.excerpt,
            }
            for p in problems
        ]
        if rows:
            conn.execute(rejects.insert(), rows)
        return len(rows)

    # --- reading ----------------------------------------------------------------------------

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


class _HarvestWriter:
    """Compares one library's incoming records with the stored ones and writes the difference."""

    def __init__(self, conn: Connection, run_id: int, library: str, now: datetime) -> None:
        self.conn, self.run_id, self.library, self.now = conn, run_id, library, now
        counter = select(store_state.c.value).where(store_state.c.key == "change_no")
        if conn.dialect.name != "sqlite":
            counter = counter.with_for_update()
        self.change_no = conn.execute(counter).scalar_one()
        # local_id -> (row id, content hash, deleted, source_id)
        self.existing: dict[str, tuple[int, str, bool, str]] = {}
        self.by_source: dict[str, str] = {}
        query = select(
            records.c.local_id,
            records.c.id,
            records.c.content_hash,
            records.c.deleted,
            records.c.source_id,
        ).where(records.c.library == library)
        for local_id, row_id, digest, deleted, source_id in conn.execute(query):
            self.existing[local_id] = (row_id, digest, deleted, source_id)
            if source_id:
                self.by_source[source_id] = local_id
        self.live_before = sum(1 for v in self.existing.values() if not v[2])
        self.seen: set[str] = set()
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.touched: list[int] = []
        self.added = self.changed = self.unchanged = self.deleted = self.rejected = 0

    def next_change(self) -> int:
        self.change_no += 1
        return self.change_no

    def add(self, entry: Prepared) -> RecordProblem | None:
        """Take one incoming record; a second one with the same id is refused and reported."""
        local_id = entry.local_id or self.by_source.get(entry.source_id, "")
        if not local_id:
            return None  # the deletion of a record this store never had
        if local_id in self.seen:
            return RecordProblem(
                entry.source_id or local_id,
                f"record id {local_id} delivered twice in one harvest; the first one is kept",
                local_id,
            )
        self.seen.add(local_id)
        old = self.existing.get(local_id)
        if entry.deleted:
            if old and not old[2]:
                self._delete_row(old[0])
            return None
        if old and old[1] == entry.content_hash and not old[2]:
            self.touched.append(old[0])
            self.unchanged += 1
        else:
            values = {
                "source_id": entry.source_id,
                "syntax": entry.syntax,
                "raw": entry.raw,
                "content_hash": entry.content_hash,
                "fields": entry.fields,
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

    def missing(self) -> list[int]:
        """Row ids of live records the snapshot did not deliver."""
        return [
            row_id
            for local_id, (row_id, _h, deleted, _s) in self.existing.items()
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
        return Counts(self.added, self.changed, self.unchanged, self.deleted, self.rejected)


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


def _aware(mapping: Any) -> dict[str, Any]:
    """Row values with datetimes in UTC (SQLite hands them back without a zone)."""
    return {
        key: value.replace(tzinfo=UTC)
        if isinstance(value, datetime) and value.tzinfo is None
        else value
        for key, value in mapping.items()
    }


def _stored(row: Any) -> StoredRecord:
    values = _aware(row._mapping)
    values.pop("id")
    values["fields"] = json.loads(values["fields"])
    return StoredRecord(**values)


def open_store(url: str, data_dir: Path | None = None) -> RecordStore:
    """Open (and create or migrate) the store at a SQLAlchemy URL."""
    if url.startswith("sqlite") and data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, future=True)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot use database {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine)
    try:
        with engine.begin() as conn:
            cfg = AlembicConfig()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the record store: {exc.orig}") from None
    return RecordStore(engine)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN, or our BEGIN IMMEDIATE, be the only transaction control.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.pop("immediate", False) else "BEGIN")
