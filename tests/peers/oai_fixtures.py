"""Fixtures for OAI-PMH harvest tests (tests/conftest.py registers them as a plugin)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.peers.oai_faults import Script, ScriptedServer
from tests.peers.oai_provider import OaiProvider

PROVIDER_SETS = {"kinder": "Kinderbibliothek", "musik": "Musikbibliothek"}


@pytest.fixture
def oai_provider() -> Iterator[OaiProvider]:
    """pyoai on a free port, empty, with the sets of PROVIDER_SETS, 10 records a page."""
    with OaiProvider(sets=PROVIDER_SETS, batch_size=10) as provider:
        yield provider


@pytest.fixture
def scripted_oai() -> Iterator[Callable[[Script], ScriptedServer]]:
    """Start a plain HTTP server answering as the given script says; all stop afterwards."""
    servers: list[ScriptedServer] = []

    def start(script: Script) -> ScriptedServer:
        servers.append(ScriptedServer(script).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
