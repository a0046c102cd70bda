"""Opening the record store: the engine, its migrations, and transactions that read and write.

SQLite (WAL) by default, PostgreSQL through `database_url`. The Alembic migrations in
migrations/ create and change the tables (schema/) when the store opens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from libnet.errors import StoreError
from libnet.private_files import FOLDER_MODE, create_private_file

MIGRATIONS = Path(__file__).parent / "migrations"


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


def aware(mapping: Any) -> dict[str, Any]:
    """Row values with datetimes in UTC (SQLite hands them back without a zone)."""
    return {
        key: value.replace(tzinfo=UTC)
        if isinstance(value, datetime) and value.tzinfo is None
        else value
        for key, value in mapping.items()
    }


def migrated_engine(url: str, data_dir: Path | None = None) -> Engine:
    """An engine on the database at a SQLAlchemy URL, created or migrated to the newest schema.

    A new SQLite file is created 0600 (its -wal and -shm files follow its mode) in a data_dir
    made 0700: the store holds password hashes and patrons' addresses.
    """
    if url.startswith("sqlite") and data_dir is not None:
        data_dir.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        _create_sqlite_file(url)
    try:
        engine = create_engine(url, future=True)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot use database {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine)
    try:
        _upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the record store: {exc.orig}") from None
    return engine


def _create_sqlite_file(url: str) -> None:
    try:
        database = make_url(url).database
    except ArgumentError:
        return  # create_engine names the bad URL
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            create_private_file(Path(database))
        except OSError:
            return  # a folder that is missing or not writable: SQLite's own error says so


def _upgrade(engine: Engine) -> None:
    """Migrate to the newest schema in one transaction.

    On SQLite a migration that changes a table copies it (a new table, the rows, the old one
    dropped, the new one renamed), which SQLite allows only with foreign keys off; they are
    turned off on this connection for the migration, and every key is checked before the
    transaction commits, as SQLite's documentation prescribes.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:  # outside any transaction, where the pragma takes effect
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg = AlembicConfig()
                cfg.set_main_option("script_location", str(MIGRATIONS))
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise StoreError(f"a migration broke a reference: {tuple(broken)}")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


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
