"""Fixtures shared by every test package: the shared corpus, the store, PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from libnet.store import RecordStore, open_store
from tests.peers import missing_peer
from tests.peers.postgres import PostgresServer, postgres_bin
from tests.peers.smtp import SmtpServer

ROOT = Path(__file__).resolve().parents[1]

# fixtures of the OAI-PMH peers, for every test package
pytest_plugins = ["tests.peers.oai_fixtures"]


def _corpus() -> Path:
    return Path(os.environ.get("LIBNET_CORPUS", ROOT.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared corpus of real records (LIBNET_CORPUS); the test is skipped without it."""
    path = _corpus()
    if not path.is_dir():
        pytest.skip(f"no shared corpus at {path} (set LIBNET_CORPUS)")
    return path


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = postgres_bin()
    if bindir is None:
        missing_peer("PostgreSQL is not installed: apt-get install postgresql")
    server = PostgresServer(bindir)
    server.start()
    yield server
    server.stop()


_databases = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: SQLite in tmp_path, and a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"test_{next(_databases)}")


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[RecordStore]:
    record_store = open_store(store_url, tmp_path)
    yield record_store
    record_store.close()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 for the test, keeping what it accepts."""
    with SmtpServer() as server:
        yield server
