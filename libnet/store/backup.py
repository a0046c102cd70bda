"""Backing up the record store while libnet runs, and putting a backup back.

A backup is one file taken from one snapshot of the store while the web app and a harvest go
on writing: for SQLite a copy made with SQLite's online backup API, for PostgreSQL a pg_dump
archive in its custom format. It is written beside DEST under a temporary name and renamed
into place only when complete, so DEST is never half a backup.

A restore puts the store back from such a file and migrates it to the current schema, so a
backup of an older libnet restores. Its caller holds the data directory's lock (no harvest
meanwhile) and rebuilds the index afterwards: libnet cannot import index/. SQLite is restored
with the backup API in reverse, into the live file, which the web app may keep open.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, create_engine, func, inspect, make_url, select, text

from libnet.errors import LibnetError
from libnet.store.database import MIGRATIONS
from libnet.store.record_store import open_store
from libnet.store.schema import loan_requests, metadata, records

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
A_NAME = {"sqlite": "an SQLite", "postgresql": "a PostgreSQL"}
FORMATS = {"sqlite": "SQLite database", "postgresql": "pg_dump custom format"}
# a table's line in `pg_restore --list`: "215; 1259 16390 TABLE public records postgres"
_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) ")


class BackupError(LibnetError):
    """A backup or restore that cannot be made as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    kind: str  # sqlite or postgresql
    size: int  # bytes
    records: int  # rows of the records table, deleted records included
    loan_requests: int

    def line(self) -> str:
        return (
            f"backup written: {self.path} ({FORMATS[self.kind]}, {_size(self.size)}, "
            f"{self.records} records, {self.loan_requests} loan requests)"
        )


@dataclass(frozen=True, slots=True)
class Restored:
    source: Path
    kind: str
    revision: str  # the schema revision of the backup
    head: str  # the schema revision it was migrated to
    records: int
    loan_requests: int

    def line(self) -> str:
        schema = self.head if self.revision == self.head else f"{self.revision} -> {self.head}"
        return (
            f"restored from {self.source} ({NAMES[self.kind]}, schema {schema}): "
            f"{self.records} records, {self.loan_requests} loan requests"
        )


def store_kind(url: str) -> str:
    """sqlite or postgresql: the kind of store a SQLAlchemy URL names."""
    kind = make_url(url).get_backend_name()
    if kind not in NAMES:
        raise BackupError(f"libnet backs up SQLite and PostgreSQL stores, not {kind}")
    return kind


def file_kind(path: Path) -> str | None:
    """sqlite or postgresql by the file's first bytes; None when it is neither."""
    if not path.exists():
        raise BackupError(f"{path}: no such backup file")
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    return "postgresql" if head.startswith(PGDUMP_MAGIC) else None


def back_up(url: str, dest: Path, *, force: bool = False) -> Backup:
    """A consistent copy of the store at `url` in `dest`; an existing dest only with `force`."""
    kind = store_kind(url)
    if dest.is_dir():
        raise BackupError(f"{dest} is a folder: name the backup file")
    if dest.exists() and not force:
        raise BackupError(f"{dest} exists: not overwritten (use --force to replace it)")
    if not dest.parent.is_dir():
        raise BackupError(f"there is no folder {dest.parent} for the backup")
    if kind == "sqlite":
        live = _sqlite_path(url)
        if not live.is_file():
            raise BackupError(f"there is no record store at {live}")
        if dest.resolve() == live.resolve():
            raise BackupError(f"{dest} is the record store itself: name another file")
        counts = _write_beside(dest, lambda tmp: _copy_sqlite(live, tmp))
    else:
        counts = _write_beside(dest, lambda tmp: _dump_postgres(url, tmp))
    return Backup(dest, kind, dest.stat().st_size, *counts)


def restore(url: str, source: Path, *, force: bool = False) -> Restored:
    """Put the store at `url` back from a backup and migrate it; the caller holds the lock.

    A store that holds records or loan requests is replaced only with `force`.
    """
    kind = store_kind(url)
    found = file_kind(source)
    if found is None:
        raise BackupError(f"{source} is neither an SQLite backup nor a pg_dump custom-format file")
    if found != kind:
        raise BackupError(
            f"{source} is {A_NAME[found]} backup, but the configured store is "
            f"{NAMES[kind]}: it restores only into {A_NAME[found]} store"
        )
    if kind == "sqlite":
        if source.resolve() == _sqlite_path(url).resolve():
            raise BackupError(f"{source} is the record store itself, not a backup of it")
        revision, tables = _sqlite_contents(source)
    else:
        revision, tables = _dump_revision(source), _dump_tables(source)
    if "records" not in tables:
        raise BackupError(f"{source} is {A_NAME[kind]} backup, but not of a libnet store")
    script = ScriptDirectory(str(MIGRATIONS))
    if revision not in {s.revision for s in script.walk_revisions()}:
        raise BackupError(
            f"{source} has schema revision {revision or 'none'}, which this libnet does not know "
            "(was it written by a newer libnet?)"
        )
    held = _held(url, kind)
    if any(held) and not force:
        raise BackupError(
            f"the store holds {held[0]} records and {held[1]} loan requests; restoring "
            f"{source} would replace them (use --force if this is right)"
        )
    if kind == "sqlite":
        _restore_sqlite(source, _sqlite_path(url))
    else:
        _restore_postgres(url, source, tables)
    store = open_store(url)  # the migrations bring an older backup to the current schema
    try:
        with store.engine.connect() as conn:
            counts = _counts(conn)
    finally:
        store.close()
    return Restored(source, kind, revision, script.get_current_head() or revision, *counts)


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"the store {url} is not an SQLite file")
    return Path(database)


def _copy_sqlite(live: Path, tmp: Path) -> tuple[int, int]:
    source = sqlite3.connect(live, timeout=30)
    try:
        target = sqlite3.connect(tmp)
        try:
            # all pages in one step, so from one read snapshot; in WAL mode writers go on
            source.backup(target)
            # the copy keeps the live file's WAL mode; a backup is one file without a -wal
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    finally:
        source.close()
    engine = create_engine(f"sqlite:///{tmp}")
    try:
        with engine.connect() as conn:
            return _counts(conn)
    finally:
        engine.dispose()


def _sqlite_contents(source: Path) -> tuple[str, set[str]]:
    """The schema revision and the tables of an SQLite backup; BackupError when damaged."""
    db = sqlite3.connect(source)
    try:
        check = db.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{source} is a damaged SQLite database: {check}")
        found = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = {name for (name,) in found}
        if "alembic_version" not in tables:
            return "", tables
        return db.execute("SELECT version_num FROM alembic_version").fetchone()[0], tables
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} cannot be read as an SQLite database: {exc}") from None
    finally:
        db.close()


def _restore_sqlite(source: Path, live: Path) -> None:
    live.parent.mkdir(parents=True, exist_ok=True)
    backup = sqlite3.connect(source)
    try:
        target = sqlite3.connect(live, timeout=30)
        try:
            # one write transaction on the live file: open connections see the old store or
            # the restored one, never a mixture
            backup.backup(target)
        finally:
            target.close()
    finally:
        backup.close()


# --- PostgreSQL ------------------------------------------------------------------------------


def _dump_postgres(url: str, tmp: Path) -> tuple[int, int]:
    """pg_dump into `tmp` from a snapshot exported here, so the counts are of what it dumps."""
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts = _counts(conn)
            _run_pg("pg_dump", "--format=custom", f"--file={tmp}", f"--snapshot={snapshot}",
                    url=url)  # fmt: skip
            conn.rollback()
    finally:
        engine.dispose()
    return counts


def _dump_tables(source: Path) -> set[str]:
    listing = _run_pg("pg_restore", "--list", "--file=-", str(source))
    return {m.group(2) for m in map(_TOC_TABLE.match, listing.splitlines()) if m}


def _dump_revision(source: Path) -> str:
    script = _run_pg(
        "pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(source)
    )
    lines = script.splitlines()
    for at, line in enumerate(lines[:-1]):
        if line.startswith("COPY ") and "alembic_version" in line and lines[at + 1] != "\\.":
            return lines[at + 1]
    return ""


def _restore_postgres(url: str, source: Path, dumped: set[str]) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            # Tables of a newer schema than the backup's: left in place they would keep rows
            # of the replaced store, stop --clean from dropping the tables they point at, and
            # fail the migrations that create them. Only libnet's own tables are dropped.
            newer = (set(inspect(conn).get_table_names()) & set(metadata.tables)) - dumped
            for name in sorted(newer):
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    finally:
        engine.dispose()
    _run_pg("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
            str(source), url=url)  # fmt: skip


def _run_pg(program: str, *args: str, url: str | None = None) -> str:
    """Run a PostgreSQL client program on the store at `url`; its standard output.

    The connection goes on the command line without the password, which the child gets in
    PGPASSWORD (a command line is visible to every user of the machine).
    """
    command = [str(_pg_program(program)), *args]
    env = dict(os.environ)
    if url is not None:
        parsed = make_url(url)
        conninfo = URL.create(
            "postgresql", username=parsed.username, host=parsed.host, port=parsed.port,
            database=parsed.database, query=parsed.query,
        ).render_as_string()  # fmt: skip
        command.append(f"--dbname={conninfo}")
        if parsed.password is not None:
            env["PGPASSWORD"] = parsed.password
    done = subprocess.run(command, env=env, capture_output=True, text=True, errors="replace")
    if done.returncode != 0:
        said = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        raise BackupError(f"{program} failed: {said[0].removeprefix(f'{program}: ')}")
    return done.stdout


def _pg_program(name: str) -> Path:
    """A PostgreSQL client program: on PATH, else of the newest installed PostgreSQL."""
    found = shutil.which(name)
    if found:
        return Path(found)
    installed = [p for p in glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
                 if Path(p).parent.parent.name.isdigit()]  # fmt: skip
    if not installed:
        raise BackupError(
            f"{name} is neither on PATH nor in /usr/lib/postgresql/*/bin "
            "(apt-get install postgresql-client)"
        )
    return Path(max(installed, key=lambda p: int(Path(p).parent.parent.name)))


# --- both ------------------------------------------------------------------------------------


def _write_beside(dest: Path, write: Callable[[Path], tuple[int, int]]) -> tuple[int, int]:
    """Let `write` fill a new file beside `dest`, then rename it into place once complete."""
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    os.close(fd)  # readable by its owner only: a backup holds password hashes
    tmp = Path(name)
    try:
        counts = write(tmp)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    folder = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a crash
    finally:
        os.close(folder)
    return counts


def _held(url: str, kind: str) -> tuple[int, int]:
    """Records and loan requests in the store now; a missing SQLite file holds none."""
    if kind == "sqlite" and not _sqlite_path(url).exists():
        return 0, 0
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return _counts(conn)
    finally:
        engine.dispose()


def _counts(conn: Connection) -> tuple[int, int]:
    """Rows of records and of loan_requests; a table an old schema lacks counts 0."""
    present = set(inspect(conn).get_table_names())
    records_count, requests_count = (
        conn.execute(select(func.count()).select_from(table)).scalar_one()
        if table.name in present
        else 0
        for table in (records, loan_requests)
    )
    return records_count, requests_count


def _size(size: int) -> str:
    value, unit = float(size), "bytes"
    for bigger in ("kB", "MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
