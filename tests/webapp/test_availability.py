"""Live availability on the record page, over the demo catalogue and a DAIA server on
127.0.0.1 (tests/peers/daia.py): the copies' status as their library says it now, and where a
library does not answer in time, the harvested status with its age."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import html

from libnet.availability.config import AvailabilityConfig
from libnet.availability.service import Availability
from libnet.config import Config
from libnet.records.holdings import Item
from libnet.store import published
from tests.peers.daia import DaiaServer, Misbehaviour, item, service
from webapp import create_app

TIMEOUT = 0.3
AGE = r" as of (today|yesterday) \d\d?:\d\d\s?[AP]M$"  # the harvest of the session's demo


@dataclass(frozen=True)
class Title:
    """A demo title held by two libraries, the first with copies that have barcodes."""

    cluster_id: int
    live: str  # the library whose DAIA service answers
    live_id: str
    items: tuple[Item, ...]
    slow: str  # the library whose DAIA service is too slow
    slow_id: str


@pytest.fixture(scope="module")
def daia() -> Iterator[DaiaServer]:
    server = DaiaServer()
    yield server
    server.stop()


def a_title(demo_config: Config) -> Title:
    from libnet.store import open_store

    store = open_store(demo_config.storage.url, demo_config.storage.data_dir)
    try:
        with store.engine.connect() as conn:
            clusters = published.member_records(conn, range(1, 400), raw=False)
    finally:
        store.close()
    for cluster_id, members in clusters.items():
        live = [m for m in members if not m.deleted]
        with_barcodes = [m for m in live if len(m.bib.items) >= 2 and
                         all(i.barcode for i in m.bib.items)]  # fmt: skip
        others = [m for m in live if m.library not in {w.library for w in with_barcodes[:1]}]
        if with_barcodes and others:
            first, second = with_barcodes[0], others[0]
            return Title(cluster_id, first.library, first.local_id, first.bib.items,
                         second.library, second.local_id)  # fmt: skip
    raise AssertionError("the demo catalogue has no title of two libraries with barcodes")


@pytest.fixture(scope="module")
def title(demo_config: Config) -> Title:
    return a_title(demo_config)


@pytest.fixture(scope="module")
def live_app(demo_config: Config, daia: DaiaServer, title: Title) -> Flask:
    asked = AvailabilityConfig("daia", daia.url, timeout=TIMEOUT, cache_seconds=60)
    libraries = tuple(
        replace(lib, availability=asked) if lib.code in (title.live, title.slow) else lib
        for lib in demo_config.libraries
    )
    return create_app(replace(demo_config, libraries=libraries), TESTING=True)


@pytest.fixture
def live_client(live_app: Flask, daia: DaiaServer, title: Title) -> FlaskClient:
    daia.reset()
    first, *rest = title.items
    lent = item(first.barcode, first.call_number, available=(service("presentation"),),
                unavailable=(service("loan", expected="2026-12-20"),))  # fmt: skip
    on_shelf = [item(i.barcode, i.call_number, available=(service("loan"),)) for i in rest]
    daia.holds(title.live_id, lent, *on_shelf)
    daia.holds(title.slow_id, item("x", "y", available=(service("loan"),)))
    daia.misbehave(title.slow_id, Misbehaviour(delay=TIMEOUT + 0.5))
    catalogue = live_app.extensions["libnet"]
    catalogue.availability.close()  # a fresh cache for each test
    catalogue.availability = Availability(
        {lib.code: lib.availability for lib in catalogue.libraries}
    )
    return live_app.test_client()


def rows(client: FlaskClient, url: str) -> dict[str, list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    tree = html.fromstring(response.get_data(as_text=True))
    found: dict[str, list[str]] = {}
    for row in tree.xpath("//table[@id='holdings']/tbody/tr"):
        library = row.xpath("./th")[0].text_content().strip()
        status = " ".join(row.xpath("./td[2]")[0].text_content().split())
        found.setdefault(library, []).append(status)
    return found


def name(app: Flask, code: str) -> str:
    return app.extensions["libnet"].library_name(code)


def test_the_record_page_shows_what_the_library_says_now(live_client, live_app, title) -> None:
    found = rows(live_client, f"/record/{title.cluster_id}?lang=en")
    assert sorted(found[name(live_app, title.live)]) == ["available", "on loan until Dec 20, 2026"]


def test_a_slow_library_keeps_its_harvested_status_with_its_age(
    live_client, live_app, title, daia
) -> None:
    found = rows(live_client, f"/record/{title.cluster_id}?lang=en")
    slow = found[name(live_app, title.slow)]
    assert slow and all(re.search(AGE, status) for status in slow)
    assert title.slow_id in daia.requests  # asked, but not waited for


def test_the_page_says_the_age_in_german(live_client, live_app, title) -> None:
    found = rows(live_client, f"/record/{title.cluster_id}?lang=de")
    german = r"Stand: (heute|gestern) \d\d:\d\d$"  # a harvest just before midnight: gestern
    assert all(re.search(german, status) for status in found[name(live_app, title.slow)])
    assert "entliehen bis 20.12.2026" in found[name(live_app, title.live)]


def test_a_library_that_answers_500_keeps_its_harvested_status(live_client, live_app, title, daia):
    daia.misbehave(title.live_id, Misbehaviour(status=500, body=b"oops"))
    found = rows(live_client, f"/record/{title.cluster_id}?lang=en")
    assert all(re.search(AGE, status) for status in found[name(live_app, title.live)])


def test_a_second_view_is_answered_from_the_cache(live_client, title, daia) -> None:
    rows(live_client, f"/record/{title.cluster_id}?lang=en")
    rows(live_client, f"/record/{title.cluster_id}?lang=en")
    assert daia.requests.count(title.live_id) == 1


def test_the_hit_list_never_asks_the_libraries(live_client, daia) -> None:
    response = live_client.get("/search?q=*&lang=en")
    assert response.status_code == 200 and daia.requests == []
