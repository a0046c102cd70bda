"""One cluster, one MARC record: SRU, OAI-PMH and the record page's exports hand out the same.

The catalogue: one book held by three libraries (Marl and Herten with an ISIL, Dorsten without),
Herten's record the most complete (it has a subject), so it describes the cluster.
"""

from __future__ import annotations

from pathlib import Path

import pymarc
import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from pymarc import Field, Indicators, Subfield

from harvesters.run import harvest_all
from index.update import update_index
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.records.marc import MARC_NS, parse_iso2709, parse_marcxml, parse_marcxml_bytes
from libnet.store import clusters, open_store
from tests.builders import book, iso2709
from webapp import create_app
from webapp.oai.records import ID_PREFIX

LIBRARIES = (("marl", "DE-Mar1"), ("herten", "DE-Her1"), ("dorsten", ""))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    tmp: Path = tmp_path_factory.mktemp("union-record")
    herten = book("h1", items=(("Rom Keh", "0"), ("Rom Keh", "0"), ("Mag Keh", "1")))
    herten.add_ordered_field(
        Field(tag="650", indicators=Indicators(" ", "7"), subfields=[Subfield("a", "Vermessung")])
    )
    herten.add_ordered_field(
        Field(tag="942", indicators=Indicators(" ", " "), subfields=[Subfield("c", "BK")])
    )
    records = {
        "marl": book("m1", isbn="3-498-03528-2"),
        "herten": herten,
        "dorsten": book("d1", items=(("KEH", "0"),)),
    }
    for code, record in records.items():
        (tmp / f"{code}.mrc").write_bytes(iso2709(record))
    libraries = tuple(
        LibraryConfig(code, code.title(), SourceConfig("marc", str(tmp / f"{code}.mrc")), isil=isil)
        for code, isil in LIBRARIES
    )
    config = Config(tmp / "config.toml", StorageConfig(tmp / "var"), libraries)
    store = open_store(config.storage.url, config.storage.data_dir)
    try:
        harvest_all(config, store)
        update_index(store, config.storage.data_dir)
    finally:
        store.close()
    return create_app(config, TESTING=True)


@pytest.fixture(scope="module")
def cluster_id(app: Flask) -> int:
    with app.extensions["libnet"].store.engine.connect() as conn:
        found = set(clusters.members_of(conn, range(1, 100)).values())
    assert len(found) == 1, "the three records are one cluster"
    return found.pop()


def fields(record: pymarc.Record) -> list[tuple[str, str, object]]:
    return [
        (f.tag, "", f.data)
        if f.is_control_field()
        else (f.tag, "".join(f.indicators), [(s.code, s.value) for s in f.subfields])
        for f in record.fields
    ]


def sru_marcxml(client: FlaskClient, cluster_id: int) -> pymarc.Record:
    answer = client.get("/sru", query_string={"query": f"rec.id = {cluster_id}"})
    root = etree.fromstring(answer.data)
    (element,) = root.iter(f"{{{MARC_NS}}}record")
    return parse_marcxml(element)


def oai_marc21(client: FlaskClient, cluster_id: int) -> pymarc.Record:
    answer = client.get(
        "/oai",
        query_string={"verb": "GetRecord", "identifier": f"{ID_PREFIX}{cluster_id}",
                      "metadataPrefix": "marc21"},
    )  # fmt: skip
    root = etree.fromstring(answer.data)
    (element,) = root.iter(f"{{{MARC_NS}}}record")
    return parse_marcxml(element)


def test_sru_oai_pmh_and_the_exports_give_the_same_union_record(
    client: FlaskClient, cluster_id: int
) -> None:
    marcxml = client.get(f"/record/{cluster_id}/export/marcxml")
    iso = client.get(f"/record/{cluster_id}/export/marc")
    assert (marcxml.status_code, iso.status_code) == (200, 200)
    expected = fields(sru_marcxml(client, cluster_id))
    assert fields(oai_marc21(client, cluster_id)) == expected
    assert fields(parse_marcxml_bytes(marcxml.data)) == expected
    assert fields(parse_iso2709(iso.data)) == expected


def test_the_union_record_follows_the_policy(client: FlaskClient, cluster_id: int) -> None:
    record = sru_marcxml(client, cluster_id)
    assert record["001"].data == str(cluster_id)
    assert record["650"]["a"] == "Vermessung"  # Herten's record describes the cluster
    assert not record.get_fields("003", "005", "942", "952")
    assert sorted(f["a"] for f in record.get_fields("035")) == [
        "(DE-Her1)h1", "(DE-Mar1)m1", "(dorsten)d1",
    ]  # fmt: skip
    holdings = sorted((f["a"], f.get("h"), f.get("z")) for f in record.get_fields("852"))
    assert holdings == [
        ("DE-Her1", "Mag Keh", "1 nicht ausleihbar"),
        ("DE-Her1", "Rom Keh", "2 verfügbar"),
        ("DE-Mar1", "Rom Keh", "1 verfügbar"),
        ("Dorsten", "KEH", "1 verfügbar"),
    ]


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()
