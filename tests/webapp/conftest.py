"""A demo catalogue, harvested and indexed once per test session, and the app over it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from harvesters.run import harvest_all
from index.grouping import apply_override
from index.update import update_index
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.demo import generate, library_configs
from libnet.store import clusters, open_store
from libnet.store.clusters import ALWAYS, Override
from libnet.web_config import RateLimitsConfig
from tests.builders import book, iso2709
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
    libraries = library_configs(tmp / "demo")
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


@dataclass(frozen=True, slots=True)
class Permalinks:
    """A catalogue whose cluster ids had a history: merges in a chain, a title withdrawn."""

    client: FlaskClient
    first: int  # merged into `middle`
    middle: int  # merged into `last` afterwards
    last: int  # live, with the records of all three
    gone: int  # its one record left its library's export
    gone_title: str
    never: int  # an id never given out


GONE_TITLE = "Der Kuckuck und der Esel"


@pytest.fixture(scope="session")
def permalinks(tmp_path_factory) -> Permalinks:
    """Three clusters joined by librarians in two steps, and one whose record was withdrawn."""
    tmp: Path = tmp_path_factory.mktemp("permalinks")
    welt = [book(f"{code[0]}c", isbn="978-3-498-03528-0") for code in ("marl", "herten", "dorsten")]
    exports = {
        "marl": [welt[0], book("m1", "Ruhm", isbn="978-3-498-03543-3", year="2009")],
        "herten": [welt[1], book("h1", "Tyll", isbn="978-3-498-03567-9", year="2017")],
        "dorsten": [welt[2], book("d9", GONE_TITLE, author="Kneip, Ludwig", isbn="")],
    }

    def harvest() -> None:
        for code, records in exports.items():
            (tmp / f"{code}.mrc").write_bytes(iso2709(*records))
        assert all(report.ok for report in harvest_all(config, store))
        update_index(store, config.storage.data_dir)

    def cluster_of(library: str, local_id: str) -> int:
        with store.engine.connect() as conn:
            rid = clusters.record_ids(conn, [(library, local_id)])[(library, local_id)]
            return clusters.cluster_of(conn, [rid])[rid]

    libraries = tuple(
        LibraryConfig(code, code, SourceConfig("marc", str(tmp / f"{code}.mrc")),
                      max_delete_share=1.0)
        for code in exports
    )  # fmt: skip
    config = Config(tmp / "config.toml", StorageConfig(tmp / "var"), libraries,
                    rate_limits=GENEROUS_LIMITS)  # fmt: skip
    store = open_store(config.storage.url, config.storage.data_dir)
    try:
        harvest()
        ruhm, tyll, gone = (
            cluster_of("marl", "m1"),
            cluster_of("herten", "h1"),
            cluster_of("dorsten", "d9"),
        )
        apply_override(store, Override(ALWAYS, ("marl", "m1"), ("herten", "h1")))
        middle = cluster_of("marl", "m1")  # the older id stays, the other is merged into it
        (first,) = {ruhm, tyll} - {middle}
        # the three records of the larger cluster outweigh the two: `middle` goes into it
        apply_override(store, Override(ALWAYS, ("marl", "m1"), ("marl", "mc")))
        last = cluster_of("marl", "m1")
        exports["dorsten"] = [welt[2]]
        harvest()
    finally:
        store.close()
    assert len({first, middle, last, gone}) == 4
    client = create_app(config, TESTING=True).test_client()
    never = max(first, middle, last, gone) + 1000
    return Permalinks(client, first, middle, last, gone, GONE_TITLE, never)


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
