"""The OAI-PMH provider at /oai: every verb and error, paging, dates, sets, deletions, harvests.

Every answer is validated against the official OAI-PMH.xsd, found through LIBNET_SCHEMAS
(default ../shared/schemas beside the checkout); without the folder only that step is
skipped. The schema checks metadata strictly, so MARC21slim.xsd from the same folder comes
too; oai_dc.xsd imports xml.xsd over the network, so a lax stand-in takes its place and the
Dublin Core records are checked by structure.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from threading import Thread

import pymarc
import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from oaipmh_scythe import Scythe
from sqlalchemy import select, update
from werkzeug.serving import make_server

from harvesters.run import harvest_all
from index.grouping import apply_override
from index.update import update_index
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.records.bib import normalise
from libnet.records.exports import DC_NS, OAI_DC_NS, dublin_core
from libnet.records.marc import MARC_NS, parse_marcxml
from libnet.store import RecordStore, open_store
from libnet.store import clusters as store_clusters
from libnet.store.clusters import ALWAYS, Override
from libnet.store.schema import cluster_members, clusters, records
from tests.builders import book, iso2709
from webapp import create_app
from webapp.oai.records import ID_PREFIX
from webapp.oai.verbs import PAGE_SIZE

ROOT = Path(__file__).resolve().parents[2]
OAI_NS = "http://www.openarchives.org/OAI/2.0/"
NS = {"oai": OAI_NS, "marc": MARC_NS, "oai_dc": OAI_DC_NS, "dc": DC_NS}
DC_ELEMENTS = {
    "title", "creator", "subject", "description", "publisher", "contributor", "date", "type",
    "format", "identifier", "source", "language", "relation", "coverage", "rights",
}  # fmt: skip
# oai_dc.xsd cannot be loaded offline: this stand-in accepts any dc:* children, whose
# structure dc_problems() checks instead
OAI_DC_STAND_IN = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    targetNamespace="{OAI_DC_NS}" elementFormDefault="qualified">
  <xs:element name="dc"><xs:complexType><xs:sequence>
    <xs:any namespace="{DC_NS}" processContents="skip" minOccurs="0" maxOccurs="unbounded"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"""


def _schemas() -> Path:
    return Path(os.environ.get("LIBNET_SCHEMAS", ROOT.parent / "shared" / "schemas"))


@pytest.fixture(scope="session")
def oai_schema(tmp_path_factory) -> etree.XMLSchema | None:
    """OAI-PMH.xsd with MARC21slim.xsd and the oai_dc stand-in; None without the folder."""
    folder = _schemas()
    if not (folder / "OAI-PMH.xsd").is_file():
        return None
    tmp = tmp_path_factory.mktemp("schemas")
    (tmp / "oai_dc.xsd").write_text(OAI_DC_STAND_IN)
    imports = [(OAI_NS, folder / "OAI-PMH.xsd"), (MARC_NS, folder / "MARC21slim.xsd"),
               (OAI_DC_NS, tmp / "oai_dc.xsd")]  # fmt: skip
    wrapper = tmp / "all.xsd"
    wrapper.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        + "".join(
            f'<xs:import namespace="{ns}" schemaLocation="{path.resolve().as_uri()}"/>'
            for ns, path in imports
        )
        + "</xs:schema>"
    )
    return etree.XMLSchema(etree.parse(str(wrapper)))


Ask = Callable[..., etree._Element]


@pytest.fixture
def ask(client: FlaskClient, oai_schema: etree.XMLSchema | None) -> Ask:
    """ask(verb=..., **arguments) -> the answer's root, checked to be a valid OAI-PMH answer."""
    return _asker(client, oai_schema)


def _asker(client: FlaskClient, schema: etree.XMLSchema | None) -> Ask:
    def ask(method: str = "get", **args: str) -> etree._Element:
        args = {key.rstrip("_"): value for key, value in args.items()}  # from_ -> from
        if method == "get":
            response = client.get("/oai", query_string=args)
        else:
            response = client.post("/oai", data=args)
        return checked(response.status_code, response.content_type, response.data, schema)

    return ask


def checked(status: int, content_type: str, body: bytes, schema: etree.XMLSchema | None):
    assert status == 200
    assert content_type == "text/xml; charset=utf-8"
    root = etree.fromstring(body)
    if schema is not None:
        assert schema.validate(root), schema.error_log.filter_from_errors()
    for dc in root.iterfind(".//oai_dc:dc", NS):
        assert not dc_problems(dc)
    return root


def dc_problems(dc: etree._Element) -> list[str]:
    """What is wrong with an oai_dc record: only the fifteen elements, each plain text."""
    problems = [] if dc.tag == f"{{{OAI_DC_NS}}}dc" else [f"root {dc.tag}"]
    for child in dc:
        name = etree.QName(child)
        if name.namespace != DC_NS or name.localname not in DC_ELEMENTS:
            problems.append(f"element {child.tag}")
        if len(child) or child.attrib or not (child.text or "").strip():
            problems.append(f"{child.tag} is not one line of text")
    return problems


def error_code(root: etree._Element) -> str | None:
    error = root.find("oai:error", NS)
    return None if error is None else error.get("code")


def identifiers(root: etree._Element) -> list[str]:
    return [e.text for e in root.iterfind(".//oai:header/oai:identifier", NS)]


def harvest(ask: Ask, verb: str, **args: str) -> tuple[list[etree._Element], list[etree._Element]]:
    """Follow the resumption tokens to the end: (every header, every page's root)."""
    pages = [ask(verb=verb, **args)]
    while True:
        assert error_code(pages[-1]) is None, etree.tostring(pages[-1])
        token = pages[-1].find(f"oai:{verb}/oai:resumptionToken", NS)
        if token is None or not token.text:
            break
        pages.append(ask(verb=verb, resumptionToken=token.text))
    headers = [h for page in pages for h in page.iterfind(".//oai:header", NS)]
    return headers, pages


def cluster_id(identifier: str) -> int:
    assert identifier.startswith(ID_PREFIX)
    return int(identifier.removeprefix(ID_PREFIX))


def published_clusters(store: RecordStore) -> dict[int, bool]:
    """cluster id -> deleted, straight from the store."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(clusters.c.id, clusters.c.members, clusters.c.merged_into))
        return {cid: members == 0 or merged is not None for cid, members, merged in rows}


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app on 127.0.0.1 on a free port, in a thread; gives the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}/oai"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def demo_url(app: Flask) -> Iterator[str]:
    with served(app) as url:
        yield url


def demo_store(app: Flask) -> RecordStore:
    return app.extensions["libnet"].store


# --- the verbs ------------------------------------------------------------------------------


def test_identify_names_the_repository_its_base_url_and_earliest_datestamp(
    ask: Ask, app: Flask
) -> None:
    identify = ask(verb="Identify").find("oai:Identify", NS)
    text = {etree.QName(child).localname: child.text for child in identify}
    assert text["repositoryName"] == "libnet – Verbundkatalog Kreis Recklinghausen"
    assert text["baseURL"] == "http://localhost/oai"
    assert text["protocolVersion"] == "2.0"
    assert text["adminEmail"] == "catalogue@example.org"
    assert text["deletedRecord"] == "persistent"
    assert text["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    headers, _ = harvest(ask, "ListIdentifiers", metadataPrefix="marc21")
    assert text["earliestDatestamp"] == min(h.findtext("oai:datestamp", None, NS) for h in headers)


def test_a_post_request_is_answered_like_a_get(ask: Ask) -> None:
    got = ask(verb="ListIdentifiers", metadataPrefix="oai_dc")
    posted = ask("post", verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert identifiers(posted) == identifiers(got)
    assert posted.find("oai:request", NS).attrib == got.find("oai:request", NS).attrib


def test_list_metadata_formats_offers_marc21_and_oai_dc(ask: Ask) -> None:
    root = ask(verb="ListMetadataFormats")
    formats = {
        f.findtext("oai:metadataPrefix", None, NS): (
            f.findtext("oai:schema", None, NS), f.findtext("oai:metadataNamespace", None, NS)
        )
        for f in root.iterfind(".//oai:metadataFormat", NS)
    }  # fmt: skip
    assert formats == {
        "marc21": ("http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", MARC_NS),
        "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
    }
    one = ask(verb="ListMetadataFormats", identifier=f"{ID_PREFIX}1")
    assert len(one.findall(".//oai:metadataFormat", NS)) == 2
    unknown = ask(verb="ListMetadataFormats", identifier=f"{ID_PREFIX}999999")
    assert error_code(unknown) == "idDoesNotExist"


def test_list_sets_has_one_set_per_library(ask: Ask, demo_config: Config) -> None:
    sets = [
        (s.findtext("oai:setSpec", None, NS), s.findtext("oai:setName", None, NS))
        for s in ask(verb="ListSets").iterfind(".//oai:set", NS)
    ]
    assert sets == [(library.code, library.name) for library in demo_config.libraries]


def test_get_record_in_marc21_is_the_describing_record_numbered_as_the_cluster(
    ask: Ask, app: Flask
) -> None:
    catalogue = app.extensions["libnet"]
    for number in (1, 2, 3):
        root = ask(verb="GetRecord", identifier=f"{ID_PREFIX}{number}", metadataPrefix="marc21")
        element = root.find(".//oai:metadata/marc:record", NS)
        marc = parse_marcxml(element)
        assert marc["001"].data == str(number) and not marc.get_fields("003")
        with demo_store(app).engine.connect() as conn:
            members = store_clusters.members(conn, number)
        isil = {library.code: library.isil for library in catalogue.libraries}
        assert {f"({isil[m.library]}){m.local_id}" for m in members} <= {
            f["a"] for f in marc.get_fields("035")
        }
        doc, bib = catalogue.index.get(number), normalise(marc, "union")
        assert (bib.title, bib.subtitle, bib.publisher, bib.year, bib.format, bib.language) == (
            doc.title, doc.subtitle, doc.publisher, doc.year, doc.format, doc.language,
        )  # fmt: skip
        header = root.find(".//oai:header", NS)
        assert header.get("status") is None
        assert {s.text for s in header.iterfind("oai:setSpec", NS)} == set(doc.libraries)


def test_get_record_in_oai_dc_is_dublin_core_of_the_same_record(ask: Ask) -> None:
    identifier = f"{ID_PREFIX}2"
    marc = parse_marcxml(
        ask(verb="GetRecord", identifier=identifier, metadataPrefix="marc21").find(
            ".//marc:record", NS
        )
    )
    dc = ask(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc").find(
        ".//oai_dc:dc", NS
    )
    expected = dublin_core(normalise(marc, "union"))
    assert [(e.tag, e.text) for e in dc] == [(e.tag, e.text) for e in expected]
    assert len(dc) > 3


def test_list_identifiers_pages_through_every_cluster_once(ask: Ask, app: Flask) -> None:
    headers, pages = harvest(ask, "ListIdentifiers", metadataPrefix="marc21")
    ids = [cluster_id(h.findtext("oai:identifier", None, NS)) for h in headers]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(published_clusters(demo_store(app)))
    assert len(pages) == -(-len(ids) // PAGE_SIZE) > 1
    tokens = [page.find(".//oai:resumptionToken", NS) for page in pages]
    assert [int(t.get("cursor")) for t in tokens] == [n * PAGE_SIZE for n in range(len(pages))]
    assert {int(t.get("completeListSize")) for t in tokens} == {len(ids)}
    assert tokens[-1].text is None  # the last page ends the list with an empty token


def test_list_records_pages_like_list_identifiers(ask: Ask) -> None:
    listed, _ = harvest(ask, "ListIdentifiers", metadataPrefix="oai_dc")
    headers, pages = harvest(ask, "ListRecords", metadataPrefix="oai_dc")
    assert [etree.tostring(h) for h in headers] == [etree.tostring(h) for h in listed]
    assert sum(len(page.findall(".//oai_dc:dc", NS)) for page in pages) == len(headers)


def test_a_set_holds_the_clusters_of_that_library(ask: Ask, app: Flask) -> None:
    with demo_store(app).engine.connect() as conn:
        held = {
            cid
            for cid, library in conn.execute(
                select(cluster_members.c.cluster_id, records.c.library).join(
                    records, records.c.id == cluster_members.c.record_id
                )
            )
            if library == "recklinghausen"
        }
    headers, pages = harvest(ask, "ListIdentifiers", metadataPrefix="marc21", set="recklinghausen")
    ids = [cluster_id(h.findtext("oai:identifier", None, NS)) for h in headers]
    assert len(ids) == len(set(ids)) and set(ids) == held and len(pages) > 1
    assert all("recklinghausen" in [s.text for s in h.iterfind("oai:setSpec", NS)]
               for h in headers)  # fmt: skip


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "ListEverything"}, "badVerb"),
        ({"verb": ["Identify", "Identify"]}, "badVerb"),
        ({"verb": "Identify", "metadataPrefix": "marc21"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ["marc21", "marc21"]}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc 21"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "resumptionToken": "x"},
         "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "set": "a b"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2026-13-01"},
         "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "26-01-01"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2026-01-01T10:00:00"},
         "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2026-01-02",
          "until": "2026-01-01"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2026-01-01",
          "until": "2026-01-02T00:00:00Z"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "set": "marl\x01"}, "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "marc21"}, "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "marc21", "identifier": "no uri"},
         "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marcxml"}, "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "metadataPrefix": "dc", "identifier": f"{ID_PREFIX}1"},
         "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "metadataPrefix": "marc21", "identifier": f"{ID_PREFIX}0"},
         "idDoesNotExist"),
        ({"verb": "GetRecord", "metadataPrefix": "marc21", "identifier": f"{ID_PREFIX}01"},
         "idDoesNotExist"),
        ({"verb": "GetRecord", "metadataPrefix": "marc21", "identifier": "oai:elsewhere:1"},
         "idDoesNotExist"),
        ({"verb": "GetRecord", "metadataPrefix": "marc21",
          "identifier": f"{ID_PREFIX}99999999999999999999999"}, "idDoesNotExist"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2999-01-01"},
         "noRecordsMatch"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "marc21", "until": "1999-12-31"},
         "noRecordsMatch"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21", "set": "bottrop"}, "noRecordsMatch"),
        ({"verb": "ListRecords", "resumptionToken": "not-a-token"}, "badResumptionToken"),
        ({"verb": "ListRecords", "resumptionToken": ""}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "x"}, "badResumptionToken"),
    ],
)  # fmt: skip
def test_a_wrong_request_gets_the_protocols_error(ask: Ask, args: dict, code: str) -> None:
    for method in ("get", "post"):
        root = ask(method, **args)
        assert error_code(root) == code
        request = root.find("oai:request", NS)
        if code in ("badVerb", "badArgument"):
            assert request.attrib == {}  # the protocol: not understood, so not repeated
        else:
            assert request.get("verb") == args["verb"]


def test_a_tampered_or_foreign_resumption_token_is_refused(ask: Ask) -> None:
    first = ask(verb="ListIdentifiers", metadataPrefix="marc21")
    token = first.find(".//oai:resumptionToken", NS).text
    assert error_code(ask(verb="ListIdentifiers", resumptionToken=token)) is None
    body, check = token.split(".")
    payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    forged = payload.replace(b'"cursor":100', b'"cursor":900')
    assert forged != payload
    forged_token = base64.urlsafe_b64encode(forged).decode().rstrip("=") + "." + check
    for bad in (forged_token, token[:-1] + ("0" if token[-1] != "0" else "1"), body, token + "x"):
        assert error_code(ask(verb="ListIdentifiers", resumptionToken=bad)) == "badResumptionToken"
    # a token belongs to its verb
    assert error_code(ask(verb="ListRecords", resumptionToken=token)) == "badResumptionToken"


def test_a_request_too_large_is_still_an_oai_answer(client: FlaskClient, oai_schema) -> None:
    response = client.post("/oai", data={"verb": "Identify", "x": "a" * (2 * 1024 * 1024)})
    root = checked(response.status_code, response.content_type, response.data, oai_schema)
    assert error_code(root) == "badArgument"


# --- a small catalogue of our own: dates, changes, deletions --------------------------------


class SmallCatalogue:
    """Libraries whose exports a test writes, harvested, clustered and served."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path
        self.exports: dict[str, list[pymarc.Record]] = {}
        self.config = Config(tmp_path / "config.toml", StorageConfig(tmp_path / "var"), ())
        self.store = open_store(self.config.storage.url, self.config.storage.data_dir)

    def export(self, library: str, *records: pymarc.Record) -> None:
        self.exports[library] = list(records)

    def harvest(self, *, index: bool = True) -> None:
        libraries = []
        for code, exported in self.exports.items():
            path = self.dir / f"{code}.mrc"
            path.write_bytes(iso2709(*exported))
            source = SourceConfig("marc", str(path))
            libraries.append(LibraryConfig(code, f"Bibliothek {code}", source,
                                           isil=f"DE-T-{code}", max_delete_share=1.0))  # fmt: skip
        self.config = Config(self.config.path, self.config.storage, tuple(libraries))
        assert all(report.ok for report in harvest_all(self.config, self.store))
        if index:
            update_index(self.store, self.config.storage.data_dir)

    def join(self, a: tuple[str, str], b: tuple[str, str]) -> None:
        """What `libnet clusters join` does."""
        apply_override(self.store, Override(ALWAYS, a, b))
        update_index(self.store, self.config.storage.data_dir)

    def cluster_of(self, library: str, local_id: str) -> int:
        with self.store.engine.connect() as conn:
            rid = store_clusters.record_ids(conn, [(library, local_id)])[(library, local_id)]
            return store_clusters.cluster_of(conn, [rid])[rid]

    def stamp(self, cluster: int, moment: datetime) -> None:
        """Say when a cluster changed: the test needs datestamps a second apart, or a day."""
        with self.store.write() as conn:
            conn.execute(update(clusters).where(clusters.c.id == cluster).values(changed_at=moment))

    def ask(self, schema: etree.XMLSchema | None) -> Ask:
        return _asker(create_app(self.config, TESTING=True).test_client(), schema)


HERTEN = (
    book("h1"),
    book("h3", "Tyll", isbn="", year="2017"),
    book("h4", "Ich und Kaminski", isbn="", year="2003"),
)


@pytest.fixture
def small(tmp_path: Path) -> Iterator[SmallCatalogue]:
    catalogue = SmallCatalogue(tmp_path)
    catalogue.export("marl", book("m1"), book("m2", "Ruhm", isbn="", year="2009"))
    catalogue.export("herten", *HERTEN)
    catalogue.harvest()
    yield catalogue
    catalogue.store.close()


def header_of(root: etree._Element, cluster: int) -> etree._Element | None:
    for header in root.iterfind(".//oai:header", NS):
        if header.findtext("oai:identifier", None, NS) == f"{ID_PREFIX}{cluster}":
            return header
    return None


def test_from_and_until_count_whole_days_and_seconds_inclusively(small, oai_schema) -> None:
    kehlmann, ruhm = small.cluster_of("marl", "m1"), small.cluster_of("marl", "m2")
    tyll = small.cluster_of("herten", "h3")
    small.stamp(kehlmann, datetime(2026, 1, 1, 10, 0, 0, 500_000, tzinfo=UTC))
    small.stamp(ruhm, datetime(2026, 1, 2, 0, 0, 0, tzinfo=UTC))
    small.stamp(tyll, datetime(2026, 1, 2, 23, 59, 59, 900_000, tzinfo=UTC))
    kaminski = small.cluster_of("herten", "h4")
    small.stamp(kaminski, datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC))
    ask = small.ask(oai_schema)

    def listed(**dates: str) -> set[int]:
        root = ask(verb="ListIdentifiers", metadataPrefix="marc21", **dates)
        return {cluster_id(i) for i in identifiers(root)}

    assert listed(from_="2026-01-02") == {ruhm, tyll}
    assert listed(until="2026-01-01") == {kaminski, kehlmann}
    assert listed(from_="2026-01-01", until="2026-01-01") == {kehlmann}
    assert listed(until="2025-12-31T23:59:59Z") == {kaminski}
    assert listed(from_="2026-01-02", until="2026-01-02") == {ruhm, tyll}
    assert listed(from_="2026-01-01T10:00:00Z", until="2026-01-01T10:00:00Z") == {kehlmann}
    assert listed(from_="2026-01-01T10:00:01Z", until="2026-01-02T23:59:58Z") == {ruhm}
    assert listed(from_="2026-01-02T23:59:59Z") == {tyll}
    datestamp = header_of(ask(verb="ListIdentifiers", metadataPrefix="marc21"), kehlmann)
    assert datestamp.findtext("oai:datestamp", None, NS) == "2026-01-01T10:00:00Z"
    identify = ask(verb="Identify")
    assert identify.findtext(".//oai:earliestDatestamp", None, NS) == "2025-12-31T23:59:59Z"


def test_a_changed_cluster_gets_a_new_datestamp_and_moves_to_the_end(small, oai_schema) -> None:
    kehlmann = small.cluster_of("marl", "m1")
    small.stamp(kehlmann, datetime(2026, 1, 1, tzinfo=UTC))
    ask = small.ask(oai_schema)
    assert cluster_id(identifiers(ask(verb="ListIdentifiers", metadataPrefix="marc21"))[-1]) != (
        kehlmann
    )
    small.export("herten", book("h1", author="Kehlmann, D."), *HERTEN[1:])
    small.harvest()
    root = ask(verb="ListIdentifiers", metadataPrefix="marc21", from_="2026-01-02")
    assert cluster_id(identifiers(root)[-1]) == kehlmann


def test_a_gone_or_merged_cluster_is_published_as_deleted_for_good(small, oai_schema) -> None:
    ruhm, tyll = small.cluster_of("marl", "m2"), small.cluster_of("herten", "h3")
    kaminski = small.cluster_of("herten", "h4")
    small.export("marl", book("m1"))  # Ruhm is gone from Marl, so its cluster is empty
    small.harvest()
    small.join(("herten", "h3"), ("herten", "h4"))  # Kaminski's cluster merges into Tyll's
    ask = small.ask(oai_schema)
    with small.store.engine.connect() as conn:
        assert store_clusters.cluster_info(conn, kaminski).merged_into == tyll
        assert store_clusters.current_id(conn, ruhm) is None
    for gone in (ruhm, kaminski):
        identifier = f"{ID_PREFIX}{gone}"
        for prefix in ("marc21", "oai_dc"):
            root = ask(verb="GetRecord", identifier=identifier, metadataPrefix=prefix)
            assert root.find(".//oai:header", NS).get("status") == "deleted"
            assert root.find(".//oai:metadata", NS) is None
            assert not root.findall(".//oai:setSpec", NS)
        formats = ask(verb="ListMetadataFormats", identifier=identifier)
        assert len(formats.findall(".//oai:metadataFormat", NS)) == 2
        # in every library's set: a harvester of either must hear of it
        for library in (None, "marl", "herten"):
            args = {"set": library} if library else {}
            listed = ask(verb="ListRecords", metadataPrefix="marc21", **args)
            assert header_of(listed, gone).get("status") == "deleted"
    survivor = ask(verb="GetRecord", identifier=f"{ID_PREFIX}{tyll}", metadataPrefix="marc21")
    assert survivor.find(".//oai:header", NS).get("status") is None
    marc = parse_marcxml(survivor.find(".//marc:record", NS))
    assert {f["a"] for f in marc.get_fields("035")} == {"(DE-T-herten)h3", "(DE-T-herten)h4"}


def test_between_a_harvest_and_its_grouping_every_list_calls_an_emptied_cluster_deleted(
    small, oai_schema
) -> None:
    small.export("marl", book("m1"), book("m2", "Ruhm", isbn=""))
    small.harvest()
    ruhm = small.cluster_of("marl", "m2")
    small.export("marl", book("m1"))  # Ruhm leaves Marl's export; not yet regrouped
    small.harvest(index=False)
    ask = small.ask(oai_schema)
    for verb in ("ListIdentifiers", "ListRecords"):
        assert header_of(ask(verb=verb, metadataPrefix="marc21"), ruhm).get("status") == "deleted"
    root = ask(verb="GetRecord", identifier=f"{ID_PREFIX}{ruhm}", metadataPrefix="marc21")
    assert root.find(".//oai:header", NS).get("status") == "deleted"


def test_a_stored_record_with_a_control_character_still_gives_valid_xml(small, oai_schema) -> None:
    """The harvest refuses such a record now (tests/harvesters/test_broken_records.py); one
    stored before still goes out as valid XML, without the character."""
    small.export("marl", book("m1"), book("m2", "Ruhm und Ehre", isbn=""))
    small.harvest()
    with small.store.write() as conn:  # what an older harvest stored
        conn.execute(
            update(records)
            .where(records.c.local_id == "m2")
            .values(raw=iso2709(book("m2", "Ruhm\x07 und Ehre", isbn="")))
        )
    ask = small.ask(oai_schema)
    root = ask(verb="GetRecord", identifier=f"{ID_PREFIX}{small.cluster_of('marl', 'm2')}",
               metadataPrefix="marc21")  # fmt: skip
    assert parse_marcxml(root.find(".//marc:record", NS))["245"]["a"] == "Ruhm und Ehre"


# --- independent clients over HTTP ----------------------------------------------------------


@pytest.mark.parametrize("prefix", ["marc21", "oai_dc"])
def test_scythe_harvests_every_published_cluster(demo_url: str, app: Flask, prefix: str) -> None:
    catalogue = app.extensions["libnet"]
    with Scythe(demo_url) as scythe:
        harvested = list(scythe.list_records(metadata_prefix=prefix))
    ids = [cluster_id(record.header.identifier) for record in harvested]
    assert len(ids) == len(set(ids))
    assert {cid: record.deleted for cid, record in zip(ids, harvested, strict=True)} == (
        published_clusters(demo_store(app))
    )
    for cid, record in zip(ids, harvested, strict=True):
        doc = catalogue.index.get(cid)
        if prefix == "marc21":
            marc = parse_marcxml(record.xml.find(".//marc:record", NS))
            assert marc["001"].data == str(cid)
            assert normalise(marc, "union").title == doc.title
        else:
            dc = record.xml.find(".//oai_dc:dc", NS)
            assert not dc_problems(dc)
            assert dc.findtext("dc:title", None, NS).startswith(doc.title)


def test_libnets_own_harvester_takes_the_union_into_a_fresh_store(small, tmp_path) -> None:
    app = create_app(small.config, TESTING=True)
    fresh_dir = tmp_path / "fresh"
    fresh_store = open_store(f"sqlite:///{fresh_dir / 'fresh.sqlite3'}", fresh_dir)
    try:
        with served(app) as url:
            union = LibraryConfig("union", "Verbund", SourceConfig("oai", url, retries=0))
            fresh = Config(fresh_dir / "config.toml", StorageConfig(fresh_dir), (union,))
            assert all(r.ok for r in harvest_all(fresh, fresh_store))
            assert harvested_titles(fresh_store) == live_titles(small)
            # a deletion and a merge reach the harvester on its next, incremental, run
            small.export("marl", book("m1"))
            small.harvest()
            small.join(("herten", "h3"), ("herten", "h4"))
            assert all(r.ok for r in harvest_all(fresh, fresh_store))
            assert harvested_titles(fresh_store) == live_titles(small)
    finally:
        fresh_store.close()


def live_titles(catalogue: SmallCatalogue) -> dict[str, str]:
    """cluster id -> title of every live cluster, as the union index has it."""
    index = create_app(catalogue.config).extensions["libnet"].index
    return {
        str(cid): index.get(cid).title
        for cid, deleted in published_clusters(catalogue.store).items()
        if not deleted
    }


def harvested_titles(store: RecordStore) -> dict[str, str]:
    """local id -> title of every live record the harvester stored."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(records.c.local_id, records.c.fields, records.c.deleted))
        return {
            local_id: json.loads(fields)["title"]
            for local_id, fields, deleted in rows
            if not deleted
        }
