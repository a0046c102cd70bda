"""A demo catalogue, harvested and indexed once per test session, and the app over it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from harvesters.run import harvest_all
from index.update import update_index
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.demo import DEMO_LIBRARIES, generate
from libnet.records.holdings import PROFILES
from libnet.store import open_store
from libnet.web_config import RateLimitsConfig
from webapp import create_app

DEMO_TITLES = 300
# the rate limits stay on in the tests, so every request passes through them, but high: the
# session's app answers every test module from one address (tests/webapp/test_rate_limits.py
# sets low ones)
GENEROUS = "100000/minute"
GENEROUS_LIMITS = RateLimitsConfig(
    search=GENEROUS, complete=GENEROUS, api=GENEROUS, sru=GENEROUS, oai=GENEROUS
)


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory) -> Config:
    """Eleven demo libraries (DEMO_TITLES editions), harvested into a store and indexed."""
    tmp: Path = tmp_path_factory.mktemp("webapp-demo")
    generate(tmp / "demo", titles=DEMO_TITLES, seed=2)
    libraries = tuple(
        LibraryConfig(
            lib.code,
            lib.name,
            SourceConfig("marc", str(tmp / "demo" / lib.code / "*")),
            isil=lib.isil,
            holdings=PROFILES[lib.holdings],
        )
        for lib in DEMO_LIBRARIES
    )
    config = Config(
        tmp / "config.toml", StorageConfig(tmp / "var"), libraries, rate_limits=GENEROUS_LIMITS
    )
    store = open_store(config.storage.url, config.storage.data_dir)
    try:
        harvest_all(config, store)
        update_index(store, config.storage.data_dir)
    finally:
        store.close()
    return config


@pytest.fixture(scope="session")
def app(demo_config: Config) -> Flask:
    return create_app(demo_config, TESTING=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module, kept off the network by its launch flags."""
    from tests.webapp.browser import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture
def staff_client(app: Flask) -> FlaskClient:
    """A client of the demo app logged in as a librarian (of Herten), for the staff views."""
    from libnet import accounts
    from libnet.accounts import AccountError
    from tests.webapp.test_login import log_in

    engine = app.extensions["libnet"].store.engine
    with engine.begin() as conn, suppress(AccountError):  # made by an earlier test already
        accounts.add_user(conn, role="librarian", library="herten", name="Team demo",
                          password=STAFF_PASSWORD)  # fmt: skip
    client = app.test_client()
    assert log_in(client, "Team demo", STAFF_PASSWORD).status_code == 302
    return client


STAFF_PASSWORD = "korrekt-pferd-demo"
