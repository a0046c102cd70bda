"""Real servers for harvester tests: Zebra (SRU) and a misbehaving HTTP server, on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pymarc
import pytest

from tests.builders import book
from tests.peers.http_faults import FaultServer
from tests.peers.zebra import ZebraServer, require_zebra

# name of a file in records/ -> its records; *.xml become MARCXML, *.mrc ISO 2709
RecordFiles = dict[str, list[pymarc.Record]]


def start_zebra(folder: Path, files: RecordFiles) -> ZebraServer:
    """A Zebra in `folder` indexing these record files, started."""
    require_zebra()
    server = ZebraServer(folder)
    for name, records in files.items():
        server.write(name, records)
    server.start()
    return server


@pytest.fixture
def zebra(tmp_path: Path) -> Iterator[Callable[[RecordFiles], ZebraServer]]:
    """Start a Zebra over given record files: `zebra({"a.xml": [record, ...]})`."""
    servers: list[ZebraServer] = []

    def start(files: RecordFiles) -> ZebraServer:
        server = start_zebra(tmp_path / f"zebra{len(servers)}", files)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@dataclass(frozen=True)
class Catalogue:
    url: str
    records: list[pymarc.Record]


def catalogue_records(count: int) -> list[pymarc.Record]:
    """Books kr0001… whose 005 says record n was last changed on 1 January 2024 + n-1 days."""
    records = []
    for n in range(1, count + 1):
        record = book(f"kr{n:04d}", f"Stadtgeschichte Band {n}", author=f"Müller, Jörg {n}",
                      isbn=f"978-3-16-{n:06d}-0")  # fmt: skip
        changed = date(2024, 1, 1) + timedelta(days=n - 1)
        record.add_ordered_field(pymarc.Field(tag="005", data=f"{changed:%Y%m%d}101500.0"))
        records.append(record)
    return records


@pytest.fixture(scope="session")
def zebra_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    """One Zebra with 250 books for every test that only reads: indexing is done once."""
    records = catalogue_records(250)
    server = start_zebra(tmp_path_factory.mktemp("zebra"), {"catalogue.xml": records})
    yield Catalogue(server.url, records)
    server.stop()


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """An HTTP server on a free port whose answers the test scripts with .answer(...)."""
    server = FaultServer()
    server.start()
    yield server
    server.stop()
