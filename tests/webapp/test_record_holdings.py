"""The record page's holdings table: each 924 holding's ILL code, and the link to the
library's own catalogue (opac_url).

A tiny catalogue: Herten holds the Kehlmann book in 924 fields, one for each ILL code and one
without; Marl holds it with a Koha item.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from lxml import html

from harvesters.run import harvest_all
from index.update import update_index
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.records.holdings import DE_924
from libnet.store import clusters, open_store
from tests.builders import book, iso2709, with_924
from webapp import create_app
from webapp.labels import ILL_LABELS

ILL_CODES = ("a", "b", "c", "d", "e", "")


def build(folder: Path, **herten: str) -> tuple[FlaskClient, int]:
    """The app over the tiny catalogue and the Kehlmann cluster's id; `herten`: more of
    Herten's keys (opac_url)."""
    exports = {"herten": with_924(book("h1"), "DE-Her1", *ILL_CODES), "marl": book("m1")}
    libraries = []
    for code, record in exports.items():
        (folder / f"{code}.mrc").write_bytes(iso2709(record))
        source = SourceConfig("marc", str(folder / f"{code}.mrc"))
        extra = dict(herten, holdings=DE_924) if code == "herten" else {}
        libraries.append(LibraryConfig(code, f"Bibliothek {code}", source, **extra))
    config = Config(folder / "config.toml", StorageConfig(folder / "var"), tuple(libraries))
    store = open_store(config.storage.url, config.storage.data_dir)
    try:
        assert all(report.ok for report in harvest_all(config, store))
        update_index(store, config.storage.data_dir)
        with store.engine.connect() as conn:
            ids = clusters.record_ids(conn, [("herten", "h1")])
            cluster_id = clusters.cluster_of(conn, ids.values())[ids[("herten", "h1")]]
    finally:
        store.close()
    return create_app(config, TESTING=True).test_client(), cluster_id


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FlaskClient, int]]:
    yield build(tmp_path_factory.mktemp("holdings"))


def rows(client: FlaskClient, url: str) -> list[dict[str, str]]:
    """The holdings table's rows as {column heading: cell text}."""
    response = client.get(url)
    assert response.status_code == 200
    table = html.fromstring(response.get_data(as_text=True)).xpath("//table[@id='holdings']")[0]
    headings = [" ".join(th.text_content().split()) for th in table.xpath(".//thead//th")]
    return [
        dict(zip(headings, (" ".join(c.text_content().split()) for c in row), strict=True))
        for row in table.xpath(".//tbody/tr")
    ]


def test_each_924_holding_shows_what_its_ill_code_allows(tiny: tuple[FlaskClient, int]) -> None:
    client, cluster_id = tiny
    shown = {
        row["Call number"]: row["Interlibrary loan"]
        for row in rows(client, f"/record/{cluster_id}?lang=en")
    }
    expected = {f"Rom {n}": str(ILL_LABELS[code]) if code else "–"
                for n, code in enumerate(ILL_CODES, start=1)}  # fmt: skip
    expected["Rom Keh"] = "–"  # Marl's Koha item has no ILL code
    assert shown == expected
    assert shown["Rom 4"] == "no interlibrary loan" and shown["Rom 2"] == "copies only"


def test_the_ill_code_leaves_the_status_as_the_library_reports_it(
    tiny: tuple[FlaskClient, int],
) -> None:
    client, cluster_id = tiny
    for row in rows(client, f"/record/{cluster_id}?lang=en"):
        if row["Library"] == "Bibliothek herten":
            # 924 carries no circulation data (the age of the harvest follows the status)
            assert row["Status"].startswith("status unknown"), row


def test_each_holding_links_to_its_record_in_the_librarys_own_catalogue(
    tmp_path: Path,
) -> None:
    client, cluster_id = build(tmp_path, opac_url="https://opac.herten.de/Record/{id}?lng=de")
    response = client.get(f"/record/{cluster_id}?lang=en")
    tree = html.fromstring(response.get_data(as_text=True))
    links = {
        " ".join(row.xpath("./td[1]")[0].text_content().split()): row.xpath(
            ".//a[@class='opac-link']"
        )
        for row in tree.xpath("//table[@id='holdings']/tbody/tr")
    }
    for call_number, found in links.items():
        if call_number == "Rom Keh":  # Marl has no opac_url
            assert found == []
        else:
            (link,) = found
            assert link.get("href") == "https://opac.herten.de/Record/h1?lng=de"
            assert link.text_content() == "In the library's catalogue"


def test_library_keeps_that_librarys_holdings_and_home_puts_its_own_first(
    tiny: tuple[FlaskClient, int],
) -> None:
    client, cluster_id = tiny
    everyone = rows(client, f"/record/{cluster_id}?lang=en")
    assert {row["Library"] for row in everyone} == {"Bibliothek herten", "Bibliothek marl"}
    marl = rows(client, f"/record/{cluster_id}?lang=en&library=marl")
    assert [row["Call number"] for row in marl] == ["Rom Keh"]
    assert all("Interlibrary loan" not in row for row in marl)  # no ILL code among them
    both = rows(client, f"/record/{cluster_id}?lang=en&library=marl&library=herten")
    assert len(both) == len(everyone)
    assert rows(client, f"/record/{cluster_id}?lang=en&library=bottrop") == everyone
    # a client of its own: the home library chosen is kept in a cookie
    home = rows(client.application.test_client(), f"/record/{cluster_id}?lang=en&home=marl")
    assert len(home) == len(everyone)  # home= filters nothing
    assert home[0]["Library"] == "Bibliothek marl my library"
    assert everyone[0]["Library"] == "Bibliothek herten"  # by name without a home library


def test_the_api_gives_each_holding_its_ill_code(tiny: tuple[FlaskClient, int]) -> None:
    client, cluster_id = tiny
    record = client.get(f"/api/v1/records/{cluster_id}").get_json()
    codes = {h["call_number"]: h["ill_code"] for h in record["holdings"]}
    expected = {f"Rom {n}": code for n, code in enumerate(ILL_CODES, start=1)}
    assert codes == {**expected, "Rom Keh": ""}
    hits = client.get("/api/v1/search", query_string={"q": "Vermessung"}).get_json()["hits"]
    assert {h["call_number"]: h["ill_code"] for h in hits[0]["holdings"]} == codes
