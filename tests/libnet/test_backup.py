"""libnet backup and libnet restore, on SQLite and on a real PostgreSQL.

The store is the loan tests' network (Datteln, Herten, Marl and Dorsten holding one title)
with a Marl record since deleted and loan requests in five states, each with its history.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, func, insert, make_url, select

from libnet import accounts
from libnet.cli import main
from libnet.loans.states import State
from libnet.lock import data_dir_lock
from libnet.store import MIGRATIONS, RecordStore, open_store, schema, utcnow
from libnet.store.backup import PGDUMP_MAGIC, SQLITE_MAGIC, file_kind
from tests.builders import book
from tests.libnet.test_loans import Network, with_item
from tests.peers.postgres import PostgresServer

TABLES = (schema.records, schema.loan_requests, schema.loan_events, schema.users)
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


def write_config(folder: Path, url: str) -> str:
    """A config.toml in folder whose store is `url`; data_dir (the index, the lock) is var."""
    folder.mkdir(parents=True, exist_ok=True)
    text = f'[storage]\ndata_dir = "var"\ndatabase_url = "{url}"\n\n'
    text += '[[libraries]]\ncode = "marl"\nname = "Marl"\n'
    text += '[libraries.source]\ntype = "marc"\nurl = "marl.mrc"\n'
    (folder / "config.toml").write_text(text)
    return str(folder / "config.toml")


def rows(engine: Engine, table) -> list[dict]:
    """Every row of a table, every column, in primary key order."""
    with engine.connect() as conn:
        query = select(table).order_by(*table.primary_key.columns)
        return [dict(row) for row in conn.execute(query).mappings()]


def contents(url: str) -> dict[str, list[dict]]:
    store = open_store(url)
    try:
        return {table.name: rows(store.engine, table) for table in TABLES}
    finally:
        store.close()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


@pytest.fixture
def another_store(store_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable:
    """A further empty database of the same kind as store_url: its URL."""

    def make(name: str) -> str:
        if is_sqlite(store_url):
            return f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return server.create_database(f"backup_{name}_{uuid.uuid4().hex[:10]}")

    return make


@pytest.fixture
def destroy(store_url: str, request: pytest.FixtureRequest) -> Callable[[], None]:
    """Lose the store: delete the SQLite file, or drop and create the PostgreSQL database."""

    def destroy_store() -> None:
        name = make_url(store_url).database
        if is_sqlite(store_url):
            for suffix in ("", "-wal", "-shm"):
                Path(name + suffix).unlink(missing_ok=True)
            return
        import psycopg

        server: PostgresServer = request.getfixturevalue("postgres_server")
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')

    return destroy_store


@pytest.fixture
def network(tmp_path: Path, store_url: str) -> Network:
    """The network's store with a deleted record and requests in five states."""
    (tmp_path / "exports").mkdir()
    network = Network(tmp_path / "exports", store_url)
    network.catalogue.export("marl", with_item("m1"), book("m2", title="Ruhm", isbn=""))
    network.catalogue.harvest()
    network.catalogue.export("marl", with_item("m1"))
    network.catalogue.harvest()
    readers = [network.patron, network.other_patron] + [
        network.account("patron", "datteln", f"Leser {n}", card=f"D{n}") for n in (3, 4, 5)
    ]
    network.place(readers[0])  # RequestReceived
    request = network.place(readers[1])
    network.act(request, "will_supply", network.staff[request.supplier])  # WillSupply
    request = network.place(readers[2])
    request = network.act(request, "will_supply", network.staff[request.supplier])
    network.act(request, "ship", network.staff[request.supplier],
                details={"due_date": "2027-01-11"})  # fmt: skip
    request = network.place(readers[3])
    network.act(request, "patron_cancel", readers[3])  # Cancelled
    request = network.place(readers[4])
    while request.open:  # every library of the rota says no: Unfilled
        request = network.act(request, "cannot_supply", network.staff[request.supplier],
                              details={"reason": "missing"})  # fmt: skip
    return network


def test_a_destroyed_store_comes_back_whole_and_searchable(
    network: Network, store_url: str, tmp_path: Path, destroy, capsys
) -> None:
    config = write_config(tmp_path, store_url)
    before = {table.name: rows(network.engine, table) for table in TABLES}
    assert [r["deleted"] for r in before["records"]].count(True) == 1
    assert {r["state"] for r in before["loan_requests"]} == {
        State.REQUEST_RECEIVED, State.WILL_SUPPLY, State.LOANED, State.CANCELLED, State.UNFILLED,
    }  # fmt: skip
    dest = tmp_path / "libnet.store.backup"
    assert main(["backup", str(dest), "--config", config]) == 0
    out = capsys.readouterr().out
    kind = "SQLite database" if is_sqlite(store_url) else "pg_dump custom format"
    assert out.startswith(f"backup written: {dest} ({kind}, ")
    assert out.endswith(", 5 records, 5 loan requests)\n")

    network.catalogue.store.close()
    destroy()
    assert main(["restore", str(dest), "--config", config]) == 0
    out = capsys.readouterr().out
    assert f"restored from {dest} " in out and ": 5 records, 5 loan requests; " in out
    assert out.endswith("index rebuilt: 1 clusters\n")
    assert contents(store_url) == before

    assert main(["search", "Vermessung", "--config", config]) == 0
    assert capsys.readouterr().out.startswith("1 hit\n")


def test_a_backup_while_another_connection_writes_is_one_consistent_moment(
    store: RecordStore, store_url: str, tmp_path: Path, another_store, capsys
) -> None:
    """Each write is a harvest run with three rejects: the copy has every run whole."""
    config = write_config(tmp_path, store_url)
    done, stop = [0], threading.Event()

    def write() -> None:
        while not stop.is_set():
            with store.write() as conn:
                run_id = conn.execute(
                    insert(schema.harvest_runs).values(library="marl", started_at=utcnow(),
                                                       outcome="test", full=False)
                ).inserted_primary_key[0]  # fmt: skip
                conn.execute(insert(schema.rejects), [
                    {"run_id": run_id, "position": str(n), "reason": "test"} for n in range(3)
                ])  # fmt: skip
            done[0] += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_for(lambda: done[0] >= 20)
        written_before = done[0]
        assert main(["backup", str(tmp_path / "during.backup"), "--config", config]) == 0
        backed_up_by = done[0]
        wait_for(lambda: done[0] >= backed_up_by + 20)
    finally:
        stop.set()
        writer.join()
    capsys.readouterr()

    if is_sqlite(store_url):
        with sqlite3.connect(tmp_path / "during.backup") as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy_url = another_store("copy")
    copy_config = write_config(tmp_path / "copy", copy_url)
    assert main(["restore", str(tmp_path / "during.backup"), "--config", copy_config]) == 0
    copied = open_store(copy_url)
    try:
        with copied.engine.connect() as conn:
            runs = conn.execute(select(func.count()).select_from(schema.harvest_runs)).scalar()
            per_run = conn.execute(
                select(func.count()).select_from(schema.rejects).group_by(schema.rejects.c.run_id)
            ).scalars()
            assert set(per_run) == {3}
    finally:
        copied.close()
    assert written_before <= runs <= backed_up_by + 1 < done[0]


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    event = threading.Event()
    for _ in range(int(seconds * 100)):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("the writer did not get on")


def test_an_existing_backup_file_is_replaced_only_with_force(
    store: RecordStore, store_url: str, tmp_path: Path, capsys
) -> None:
    config = write_config(tmp_path, store_url)
    dest = tmp_path / "libnet.store.backup"
    dest.write_bytes(b"last week's backup")
    assert main(["backup", str(dest), "--config", config]) == 1
    assert capsys.readouterr().err == (
        f"libnet: {dest} exists: not overwritten (use --force to replace it)\n"
    )
    assert dest.read_bytes() == b"last week's backup"
    assert main(["backup", str(dest), "--force", "--config", config]) == 0
    assert file_kind(dest) == ("sqlite" if is_sqlite(store_url) else "postgresql")
    assert not list(tmp_path.glob(".*.partial"))


def test_restore_refuses_what_is_not_a_backup_for_this_store(
    store: RecordStore, store_url: str, tmp_path: Path, capsys
) -> None:
    config = write_config(tmp_path, store_url)
    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"<html><body>Not found</body></html>")
    other = tmp_path / "other.backup"
    if is_sqlite(store_url):
        other.write_bytes(PGDUMP_MAGIC + b"\x01\x0e\x00" + bytes(100))
        wrong_kind = "is a PostgreSQL backup, but the configured store is SQLite"
    else:
        other.write_bytes(SQLITE_MAGIC + bytes(100))
        wrong_kind = "is an SQLite backup, but the configured store is PostgreSQL"
    refusals = {
        tmp_path / "missing.backup": "no such backup file",
        garbage: "is neither an SQLite backup nor a pg_dump custom-format file",
        other: wrong_kind,
    }
    if is_sqlite(store_url):
        with sqlite3.connect(tmp_path / "notes.sqlite3") as notes:
            notes.execute("CREATE TABLE notes (text)")
        refusals[tmp_path / "notes.sqlite3"] = "is an SQLite backup, but not of a libnet store"
        refusals[Path(make_url(store_url).database)] = "is the record store itself"
    for source, message in refusals.items():
        assert main(["restore", str(source), "--config", config]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"libnet: {source}") and message in err and err.count("\n") == 1


def test_restore_over_a_store_in_use_needs_force_and_the_open_store_sees_it(
    network: Network, store_url: str, tmp_path: Path, capsys
) -> None:
    """The web app keeps its store open meanwhile: after the restore it reads the backup's."""
    config = write_config(tmp_path, store_url)
    dest = tmp_path / "libnet.store.backup"
    assert main(["backup", str(dest), "--config", config]) == 0
    with network.engine.begin() as conn:
        conn.execute(schema.loan_events.delete())
        conn.execute(schema.notices.delete())
        conn.execute(schema.loan_requests.delete())
    assert main(["restore", str(dest), "--config", config]) == 1
    assert capsys.readouterr().err == (
        f"libnet: the store holds 5 records and 0 loan requests; restoring {dest} would "
        "replace them (use --force if this is right)\n"
    )
    assert rows(network.engine, schema.loan_requests) == []
    assert main(["restore", str(dest), "--force", "--config", config]) == 0
    assert len(rows(network.engine, schema.loan_requests)) == 5


def test_restore_waits_for_no_one_while_a_nightly_holds_the_lock(
    store: RecordStore, store_url: str, tmp_path: Path, capsys
) -> None:
    config = write_config(tmp_path, store_url)
    dest = tmp_path / "libnet.store.backup"
    with data_dir_lock(tmp_path / "var"):
        assert main(["backup", str(dest), "--config", config]) == 0  # a backup takes no lock
        assert main(["restore", str(dest), "--force", "--config", config]) == 1
    err = capsys.readouterr().err
    assert err.startswith("libnet: already running: ") and err.count("\n") == 1


def test_a_backup_of_an_older_libnet_restores_to_the_current_schema(
    store: RecordStore, store_url: str, tmp_path: Path, another_store, capsys
) -> None:
    """A 0004 store (before API tokens, notices, nightly runs) over a current one in use."""
    old_url = another_store("old")
    (tmp_path / "old").mkdir()
    old = Network(tmp_path / "old", old_url)
    old.place()
    old.catalogue.store.close()
    engine = create_engine(old_url)
    with engine.begin() as conn:
        alembic = AlembicConfig()
        alembic.set_main_option("script_location", str(MIGRATIONS))
        alembic.attributes["connection"] = conn
        command.downgrade(alembic, "0004")
    engine.dispose()
    old_backup = tmp_path / "old.backup"
    assert (
        main(["backup", str(old_backup), "--config", write_config(tmp_path / "old", old_url)]) == 0
    )

    with store.engine.begin() as conn:  # the current store's tokens point at its users
        accounts.add_user(conn, role="librarian", library="marl", name="Team Marl",
                          password="korrekt-pferd")  # fmt: skip
        accounts.issue_token(conn, "Team Marl", "scanner")
    config = write_config(tmp_path, store_url)
    capsys.readouterr()
    assert main(["restore", str(old_backup), "--force", "--config", config]) == 0
    assert f"schema 0004 -> {HEAD}): 4 records, 1 loan requests; " in capsys.readouterr().out
    with store.engine.connect() as conn:
        version = conn.execute(select(func.min(schema.nightly_runs.c.id))).scalar()
        assert version is None  # the table is back, empty
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD
    restored = rows(store.engine, schema.users)
    assert "Team Marl" not in {user["name"] for user in restored}
    assert rows(store.engine, schema.api_tokens) == []
    assert len(rows(store.engine, schema.loan_requests)) == 1
