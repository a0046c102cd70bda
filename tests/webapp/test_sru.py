"""The SRU server at /sru: explain, searchRetrieve, CQL, records and diagnostics.

Two independent clients talk to the app served over HTTP on 127.0.0.1: Index Data's
yaz-client and sruthi. The Flask test client covers the rest. What a query must find comes
from the demo catalogue's clusters as the index holds them (the `clusters` fixture), never
from fixed ids or titles. Every answer fetched with `sru()` is also checked for the structure
of its version: namespaces and the order of elements the SRU schemas prescribe.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from threading import Thread

import pymarc
import pytest
import sruthi
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import select
from werkzeug.serving import make_server

from index.document import ClusterDoc
from libnet.config import Config, StorageConfig
from libnet.store.schema import clusters as cluster_table
from tests.peers import missing_peer
from webapp import create_app
from webapp.sru.cql_query import MAX_CLAUSES, MAX_QUERY_CHARS, MAX_TERM_CHARS

SRU_1 = "http://www.loc.gov/zing/srw/"
DIAG_1 = "http://www.loc.gov/zing/srw/diagnostic/"
SRU_2 = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAG_2 = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
ZEEREX = "http://explain.z3950.org/dtd/2.0/"
MARC = "http://www.loc.gov/MARC21/slim"
SRW_DC = "info:srw/schema/1/dc-schema"
DC = "http://purl.org/dc/elements/1.1/"
# the children of each element in the order of the SRU 1.2 and 2.0 response schemas
ORDER = {
    "searchRetrieveResponse": ["version", "numberOfRecords", "resultSetId", "records",
                               "nextRecordPosition", "echoedSearchRetrieveRequest", "diagnostics"],
    "explainResponse": ["version", "record", "echoedExplainRequest", "diagnostics"],
    "record": ["recordSchema", "recordPacking", "recordXMLEscaping", "recordData",
               "recordPosition"],
    "echoedSearchRetrieveRequest": ["version", "query", "startRecord", "maximumRecords",
                                    "recordXMLEscaping", "recordPacking", "recordSchema"],
    "echoedExplainRequest": ["version", "recordXMLEscaping", "recordPacking"],
}  # fmt: skip
SIMPLE_TITLE = re.compile(r"[A-Za-zÄÖÜäöüß]+(?: [A-Za-zÄÖÜäöüß]+)+")


@pytest.fixture(scope="module")
def sru_url(app: Flask) -> Iterator[str]:
    """The app served over HTTP on a free port, for the independent clients."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}/sru"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def title_words(clusters: list[ClusterDoc]) -> list[str]:
    """Words of the demo titles (letters only, six or more), the most frequent first."""
    counts = Counter(
        word.lower() for doc in clusters for word in re.findall(r"[^\W\d_]{6,}", doc.title)
    )
    return [word for word, _ in counts.most_common()]


@pytest.fixture(scope="module")
def clusters(app: Flask) -> list[ClusterDoc]:
    """Every cluster of the demo catalogue as the index holds it."""
    catalogue = app.extensions["libnet"]
    query = select(cluster_table.c.id).where(cluster_table.c.members > 0)
    with catalogue.store.engine.connect() as conn:
        ids = list(conn.execute(query).scalars())
    return [doc for doc in map(catalogue.index.get, ids) if doc is not None]


def sru(client: FlaskClient, **params: object) -> etree._Element:
    """One SRU answer, checked for HTTP 200, XML and the structure of its version."""
    response = client.get("/sru", query_string=params)
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    version = root.findtext(f"{{{SRU_1}}}version")
    sru_ns, diag_ns = (SRU_1, DIAG_1) if version in ("1.1", "1.2") else (SRU_2, DIAG_2)
    assert response.content_type == (
        "text/xml; charset=utf-8" if sru_ns == SRU_1 else "application/sru+xml; charset=utf-8"
    )
    assert etree.QName(root).namespace == sru_ns
    _check_order(root, sru_ns)
    for diagnostic in root.iter(f"{{{DIAG_1}}}diagnostic", f"{{{DIAG_2}}}diagnostic"):
        assert etree.QName(diagnostic).namespace == diag_ns
        parts = [etree.QName(child).localname for child in diagnostic]
        assert parts in (["uri", "details", "message"], ["uri", "message"])
    return root


def _check_order(element: etree._Element, namespace: str) -> None:
    name = etree.QName(element).localname
    children = [etree.QName(child) for child in element]
    if name in ORDER:
        assert all(child.namespace == namespace for child in children), name
        order = [ORDER[name].index(child.localname) for child in children]
        assert order == sorted(order), f"{name}: {[c.localname for c in children]}"
    for child in element:
        if etree.QName(child).localname in ORDER or etree.QName(child).localname == "records":
            _check_order(child, namespace)


def ns_of(root: etree._Element) -> str:
    return etree.QName(root).namespace


def text(root: etree._Element, path: str) -> str | None:
    return root.findtext(path.replace("sru:", f"{{{ns_of(root)}}}"))


def total(root: etree._Element) -> int:
    return int(text(root, "sru:numberOfRecords") or -1)


def diagnostic_uris(root: etree._Element) -> list[str]:
    return [u.text for u in root.iter(f"{{{DIAG_1}}}uri", f"{{{DIAG_2}}}uri")]


def record_ids(root: etree._Element) -> list[int]:
    return [int(e.text) for e in root.iter(f"{{{MARC}}}controlfield") if e.get("tag") == "001"]


def all_ids(client: FlaskClient, query: str, **params: object) -> list[int]:
    """Every hit of a query, following nextRecordPosition; checks each page on the way."""
    found: list[int] = []
    start: str | None = "1"
    while start is not None:
        root = sru(client, query=query, startRecord=start, maximumRecords=100, **params)
        assert not diagnostic_uris(root), diagnostic_uris(root)
        positions = [int(p.text) for p in root.iter(f"{{{ns_of(root)}}}recordPosition")]
        assert positions == list(range(int(start), int(start) + len(positions)))
        found += record_ids(root)
        start = text(root, "sru:nextRecordPosition")
    assert len(found) == total(root)
    return found


def hits(client: FlaskClient, query: str) -> set[int]:
    found = all_ids(client, query)
    assert len(found) == len(set(found)), "a cluster came twice"
    return set(found)


def a_cluster(
    clusters: list[ClusterDoc], test: Callable[[ClusterDoc], object], n: int = 0
) -> ClusterDoc:
    """The n-th cluster (counting round) that passes test."""
    found = [doc for doc in clusters if test(doc)]
    assert found, "the demo catalogue has no such cluster"
    return found[n % len(found)]


# -- explain


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_explain_describes_server_indexes_and_schemas_in_the_version_asked(
    client: FlaskClient, version: str
) -> None:
    root = sru(client, version=version, operation="explain")
    assert etree.QName(root).localname == "explainResponse"
    assert text(root, "sru:version") == version
    assert text(root, "sru:record/sru:recordSchema") == ZEEREX
    explain = root.find(f".//{{{ZEEREX}}}explain")
    server = explain.find(f"{{{ZEEREX}}}serverInfo")
    assert server.get("protocol") == "SRU" and server.get("version") == version
    assert server.findtext(f"{{{ZEEREX}}}host") == "localhost"  # the test client's Host
    assert server.findtext(f"{{{ZEEREX}}}port") == "80"
    assert server.findtext(f"{{{ZEEREX}}}database") == "sru"
    names = {
        (n.get("set"), n.text): n.getparent().getparent() for n in explain.iter(f"{{{ZEEREX}}}name")
    }
    for wanted in [("cql", "serverChoice"), ("dc", "title"), ("dc", "creator"),
                   ("dc", "subject"), ("bath", "isbn"), ("dc", "date"), ("rec", "id")]:  # fmt: skip
        assert wanted in names
    relations = {s.text for s in names[("dc", "date")].iter(f"{{{ZEEREX}}}supports")}
    assert {"=", "<", ">", "<=", ">=", "within"} <= relations
    schemas = {s.get("name"): s.get("identifier") for s in explain.iter(f"{{{ZEEREX}}}schema")}
    assert schemas == {
        "marcxml": "info:srw/schema/1/marcxml-v1.1",
        "dc": "info:srw/schema/1/dc-v1.1",
    }
    config = {e.get("type"): e.text for e in explain.find(f"{{{ZEEREX}}}configInfo")}
    assert config["numberOfRecords"] == "10" and config["maximumRecords"] == "100"


def test_a_bare_request_is_explain_in_version_1_2(client: FlaskClient) -> None:
    root = sru(client)
    assert etree.QName(root).localname == "explainResponse"
    assert text(root, "sru:version") == "1.2"


def test_explain_names_the_host_and_port_the_client_asked(client: FlaskClient) -> None:
    response = client.get("/sru", headers={"Host": "katalog.example:8080"})
    explain = etree.fromstring(response.data).find(f".//{{{ZEEREX}}}serverInfo")
    assert explain.findtext(f"{{{ZEEREX}}}host") == "katalog.example"
    assert explain.findtext(f"{{{ZEEREX}}}port") == "8080"


def test_explain_as_a_string_is_the_same_record_escaped(client: FlaskClient) -> None:
    root = sru(client, operation="explain", recordPacking="string")
    data = text(root, "sru:record/sru:recordData")
    assert etree.QName(etree.fromstring(data)).namespace == ZEEREX


# -- searchRetrieve in each version


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_search_is_answered_in_the_version_asked(client: FlaskClient, version: str) -> None:
    root = sru(client, version=version, query="cql.allRecords = 1", maximumRecords=2)
    assert ns_of(root) == (SRU_2 if version == "2.0" else SRU_1)
    assert text(root, "sru:version") == (None if version == "2.0" else version)
    escaping = "recordXMLEscaping" if version == "2.0" else "recordPacking"
    assert text(root, f"sru:records/sru:record/sru:{escaping}") == "xml"
    assert text(root, "sru:echoedSearchRetrieveRequest/sru:version") == version
    assert text(root, "sru:echoedSearchRetrieveRequest/sru:query") == "cql.allRecords = 1"
    assert len(record_ids(root)) == 2 and text(root, "sru:nextRecordPosition") == "3"


def test_a_search_without_version_is_answered_in_1_2(client: FlaskClient) -> None:
    root = sru(client, operation="searchRetrieve", query="cql.allRecords = 1")
    assert text(root, "sru:version") == "1.2"
    assert len(record_ids(root)) == 10  # the default number of records


def test_post_is_answered_like_get(client: FlaskClient) -> None:
    response = client.post("/sru", data={"query": "cql.allRecords = 1", "maximumRecords": "3"})
    assert response.status_code == 200
    assert len(record_ids(etree.fromstring(response.data))) == 3


# -- CQL against the demo catalogue


def test_an_isbn_finds_its_cluster_in_every_form(
    client: FlaskClient, clusters: list[ClusterDoc]
) -> None:
    doc = a_cluster(clusters, lambda d: any(i.startswith("978") for i in d.isbns))
    isbn = next(i for i in doc.isbns if i.startswith("978"))
    expected = {d.id for d in clusters if isbn in d.isbns}
    hyphenated = f"{isbn[:3]}-{isbn[3]}-{isbn[4:7]}-{isbn[7:12]}-{isbn[12]}"
    check = -sum((10 - n) * int(digit) for n, digit in enumerate(isbn[3:12])) % 11
    isbn10 = isbn[3:12] + ("X" if check == 10 else str(check))
    assert hits(client, f"bath.isbn = {isbn}") == expected
    assert hits(client, f'bath.isbn = "{hyphenated}"') == expected
    assert hits(client, f"bath.isbn = {isbn10}") == expected
    assert hits(client, f'bath.isbn any "{isbn10} 12345"') == expected
    unprefixed = sru(client, query=f"isbn = {isbn}")  # an index without prefix is dc's
    assert diagnostic_uris(unprefixed) == ["info:srw/diagnostic/1/16"]
    assert hits(client, "bath.isbn = 12345") == set()


def test_a_title_finds_its_cluster_as_words_phrase_and_exact(
    client: FlaskClient, clusters: list[ClusterDoc]
) -> None:
    doc = a_cluster(
        clusters, lambda d: SIMPLE_TITLE.fullmatch(d.title) and len(set(d.title.split())) > 1
    )
    for relation in ("=", "all", "adj", "==", "exact", "cql.adj"):
        assert doc.id in hits(client, f'dc.title {relation} "{doc.title}"'), relation
    assert doc.id in hits(client, f'"{doc.title}"')  # cql.serverChoice
    assert doc.id in hits(client, f'title adj "{doc.title}"')  # dc is the default set
    reversed_title = " ".join(reversed(doc.title.split()))
    assert doc.id not in hits(client, f'dc.title adj "{reversed_title}"')


def test_any_is_the_union_and_all_the_intersection_of_the_words(
    client: FlaskClient, title_words: list[str]
) -> None:
    one, two = title_words[:2]
    first, second = hits(client, f"dc.title = {one}"), hits(client, f"dc.title = {two}")
    assert first and second and first != second
    assert hits(client, f'dc.title any "{one} {two}"') == first | second
    assert hits(client, f'dc.title all "{one} {two}"') == first & second
    assert hits(client, f'dc.title = "{one} {two}"') == first & second


def test_booleans_combine_hits_as_sets(client: FlaskClient, clusters: list[ClusterDoc]) -> None:
    subjects = Counter(s for doc in clusters for s in doc.subjects if s.isalpha())
    subject = f'dc.subject = "{subjects.most_common(1)[0][0]}"'
    years = sorted(doc.year for doc in clusters if doc.year)
    date = f"dc.date >= {years[len(years) // 2]}"
    recent, about = hits(client, date), hits(client, subject)
    assert recent - about and recent & about and about - recent
    assert hits(client, f"{date} and {subject}") == recent & about
    assert hits(client, f"{date} or {subject}") == recent | about
    assert hits(client, f"{date} not {subject}") == recent - about
    assert hits(client, f"({date.upper()}) AND ({subject})") == recent & about
    assert hits(client, f"{subject} not ({date} or {subject})") == set()


@pytest.mark.parametrize(
    ("query", "keep"),  # keep: which years the query must find
    [
        ("dc.date = 2020", lambda y: y == 2020),
        ("dc.date == 2020", lambda y: y == 2020),
        ("dc.date < 2015", lambda y: y < 2015),
        ("dc.date <= 2015", lambda y: y <= 2015),
        ("dc.date > 2022", lambda y: y > 2022),
        ("dc.date >= 2022", lambda y: y >= 2022),
        ('dc.date within "2010 2014"', lambda y: 2010 <= y <= 2014),
        ('dc.date cql.within "2014 2010"', lambda y: 2010 <= y <= 2014),
    ],
)
def test_dates_follow_the_relation(
    client: FlaskClient, clusters: list[ClusterDoc], query: str, keep: Callable[[int], bool]
) -> None:
    expected = {d.id for d in clusters if d.year is not None and keep(d.year)}
    assert expected
    assert hits(client, query) == expected


def test_creator_and_subject_find_their_clusters(
    client: FlaskClient, clusters: list[ClusterDoc]
) -> None:
    doc = a_cluster(clusters, lambda d: d.authors and d.subjects, 7)
    surname = doc.authors[0].split(",")[0]
    assert doc.id in hits(client, f'dc.creator = "{surname}"')
    assert doc.id in hits(client, f'dc.creator adj "{doc.authors[0]}"')
    assert doc.id in hits(client, f'dc.subject = "{doc.subjects[0]}"')


def test_a_trailing_mask_searches_words_beginning_so(
    client: FlaskClient, title_words: list[str]
) -> None:
    word = title_words[0]
    masked = hits(client, f"dc.title = {word[:4]}*")
    assert hits(client, f"dc.title = {word}") <= masked
    assert masked <= hits(client, f"{word[:3]}*")
    assert hits(client, f'dc.title any "{word[:4]}* zzzqqq"') == masked
    assert hits(client, f"dc.title = {word[:4].upper()}*") == masked


def test_rec_id_finds_one_cluster_alone_or_with_other_clauses(
    client: FlaskClient, clusters: list[ClusterDoc]
) -> None:
    doc = a_cluster(clusters, lambda d: d.year is not None, 3)
    other = a_cluster(clusters, lambda d: d.id != doc.id)
    assert hits(client, f"rec.id = {doc.id}") == {doc.id}
    assert hits(client, f'rec.id == "{doc.id}"') == {doc.id}
    assert hits(client, f'rec.id any "{doc.id} {other.id}"') == {doc.id, other.id}
    assert hits(client, f"rec.id = {doc.id} and dc.date = {doc.year}") == {doc.id}
    assert hits(client, f"rec.id = {doc.id} and dc.date = {doc.year + 1}") == set()
    assert hits(client, f"rec.id = {doc.id} or rec.id = {other.id}") == {doc.id, other.id}
    assert hits(client, "rec.id = 999999999") == set()
    assert hits(client, "rec.id = abc") == set()


def test_all_records_is_the_whole_catalogue(
    client: FlaskClient, clusters: list[ClusterDoc]
) -> None:
    everything = hits(client, "cql.allRecords = 1")
    assert everything == {d.id for d in clusters}
    assert hits(client, "cql.allRecords = 1 not dc.date >= 2000") == everything - hits(
        client, "dc.date >= 2000"
    )


def test_quoted_text_is_searched_literally_never_as_engine_syntax(client: FlaskClient) -> None:
    literal = hits(client, 'dc.title = "a) OR (b"')
    assert literal == hits(client, 'dc.title all "a OR b"')
    everything = total(sru(client, query="cql.allRecords = 1", maximumRecords=0))
    for query in [
        'dc.title = "zzqx) OR (year:[0 TO 3000]"',
        'dc.title = "zzqx\\" OR year:[0 TO 3000] OR \\"zzqx"',
        'dc.title = "zzqx OR NOT zzqx"',
        'cql.serverChoice = "title:zzqx OR id:1 OR author:*"',
        "dc.title = zzqx) OR (NOT id:0",
    ]:
        root = sru(client, query=query, maximumRecords=0)
        assert total(root) < everything, query


def test_sort_by_date_orders_the_hits(client: FlaskClient, clusters: list[ClusterDoc]) -> None:
    years = {d.id: d.year for d in clusters}
    newest = all_ids(client, "dc.date >= 2000 sortBy dc.date/sort.descending")
    assert [years[i] for i in newest] == sorted((years[i] for i in newest), reverse=True)
    oldest = all_ids(client, "dc.date >= 2000 sortBy dc.date")
    assert [years[i] for i in oldest] == sorted(years[i] for i in oldest)


# -- paging


def test_paging_by_next_record_position_gives_every_hit_once(client: FlaskClient) -> None:
    query = "dc.date >= 2000"
    expected = all_ids(client, query)
    assert len(expected) > 20
    found: list[int] = []
    start = "1"
    while start:
        root = sru(client, query=query, startRecord=start, maximumRecords=7)
        page = record_ids(root)
        assert 0 < len(page) <= 7
        found += page
        start = text(root, "sru:nextRecordPosition")
    assert found == expected and len(set(found)) == len(found)


def test_any_start_record_gives_that_slice_of_the_hits(client: FlaskClient) -> None:
    query = "dc.date >= 2000"
    expected = all_ids(client, query)
    root = sru(client, query=query, startRecord=4, maximumRecords=7)
    assert record_ids(root) == expected[3:10]
    assert text(root, "sru:nextRecordPosition") == "11"
    last = sru(client, query=query, startRecord=len(expected) - 1, maximumRecords=7)
    assert record_ids(last) == expected[-2:]
    assert text(last, "sru:nextRecordPosition") is None


def test_maximum_records_above_the_maximum_is_cut_to_it(
    client: FlaskClient, clusters: list[ClusterDoc]
) -> None:
    root = sru(client, query="cql.allRecords = 1", maximumRecords=5000)
    assert len(record_ids(root)) == 100 < total(root) == len(clusters)
    assert text(root, "sru:nextRecordPosition") == "101"
    assert text(root, "sru:echoedSearchRetrieveRequest/sru:maximumRecords") == "5000"


def test_zero_records_gives_only_the_count(client: FlaskClient) -> None:
    root = sru(client, query="dc.date >= 2020", maximumRecords=0)
    assert total(root) > 0 and not record_ids(root)
    assert root.find(f"{{{SRU_1}}}records") is None
    assert text(root, "sru:nextRecordPosition") is None


# -- records


def test_a_marcxml_record_is_the_cluster_with_every_holding(
    client: FlaskClient, clusters: list[ClusterDoc], app: Flask
) -> None:
    doc = a_cluster(clusters, lambda d: len(d.libraries) >= 3)
    root = sru(client, query=f"rec.id = {doc.id}")
    assert text(root, "sru:records/sru:record/sru:recordSchema") == (
        "info:srw/schema/1/marcxml-v1.1"
    )
    data = root.find(f".//{{{SRU_1}}}recordData/{{{MARC}}}record")
    (record,) = pymarc.parse_xml_to_array(io.BytesIO(etree.tostring(data)))
    assert record["001"].data == str(doc.id)
    assert record.leader[9] == "a"
    assert not record.get_fields("003", "005", "924", "952", "942", "999")
    isil = {lib.code: lib.isil for lib in app.extensions["libnet"].libraries}
    numbers = {f["a"] for f in record.get_fields("035")}
    for holding in doc.holdings:
        assert f"({isil[holding.library]}){holding.local_id}" in numbers
    assert {f["a"] for f in record.get_fields("852")} == {isil[c] for c in doc.libraries}
    call_numbers = {(isil[h.library], h.call_number) for h in doc.holdings if h.call_number}
    assert {(f["a"], f.get("h")) for f in record.get_fields("852") if f.get("h")} == call_numbers
    assert record["245"] is not None


def test_records_can_come_as_escaped_strings(client: FlaskClient) -> None:
    for version, name in (("1.2", "recordPacking"), ("2.0", "recordXMLEscaping")):
        params = {"version": version, "maximumRecords": 2, name: "string"}
        root = sru(client, query="cql.allRecords = 1", **params)
        datas = list(root.iter(f"{{{ns_of(root)}}}recordData"))
        assert len(datas) == 2
        for data in datas:
            assert len(data) == 0
            assert etree.QName(etree.fromstring(data.text)).namespace == MARC


@pytest.mark.parametrize("schema", ["dc", "info:srw/schema/1/dc-v1.1"])
def test_dublin_core_records_are_in_srw_dc(
    client: FlaskClient, clusters: list[ClusterDoc], schema: str
) -> None:
    doc = a_cluster(clusters, lambda d: bool(d.isbns))
    root = sru(client, query=f"rec.id = {doc.id}", recordSchema=schema)
    assert text(root, "sru:records/sru:record/sru:recordSchema") == "info:srw/schema/1/dc-v1.1"
    dc = root.find(f".//{{{SRW_DC}}}dc")
    assert dc is not None
    assert dc.findtext(f"{{{DC}}}title").startswith(doc.title.rstrip(" ./:"))
    identifiers = [e.text for e in dc.iter(f"{{{DC}}}identifier")]
    assert any(i.removeprefix("urn:isbn:") in doc.isbns for i in identifiers)


# -- diagnostics


LONG_QUERY = "sommer " * (MAX_QUERY_CHARS // 7 + 1)
MANY_CLAUSES = " or ".join(["sommer"] * (MAX_CLAUSES + 1))
DEEP = "(" * 70 + "sommer" + ")" * 70


@pytest.mark.parametrize(
    ("params", "number"),
    [
        ({"version": "3.0", "query": "sommer"}, 5),
        ({"version": "abc"}, 5),
        ({"operation": "scan", "scanClause": "dc.title=a"}, 4),
        ({"operation": "searchRetrieve"}, 7),
        ({"operation": "searchRetrieve", "query": "  "}, 7),
        ({"query": "dc.title = ("}, 10),
        ({"query": 'dc.title = "sommer'}, 10),
        ({"query": "and sortBy"}, 10),
        ({"query": DEEP}, 10),
        ({"query": LONG_QUERY}, 12),
        ({"query": 'foo.title = "x"'}, 15),
        ({"query": '>x="info:unknown" x.title = a'}, 15),
        ({"query": "dc.publisher = x"}, 16),
        ({"query": "rec.lastModificationDate > 2020"}, 16),
        ({"query": "dc.title <> sommer"}, 19),
        ({"query": "dc.title < sommer"}, 19),
        ({"query": "dc.date any 2020"}, 19),
        ({"query": "dc.title =/relevant sommer"}, 20),
        ({"query": "dc.title = " + "a" * (MAX_TERM_CHARS + 1)}, 23),
        ({"query": "dc.title = som?er"}, 28),
        ({"query": "bath.isbn = 978*"}, 28),
        ({"query": "dc.title = s*"}, 29),
        ({"query": "dc.title = ^sommer"}, 31),
        ({"query": 'dc.title adj "der somm*"'}, 33),
        ({"query": "dc.date = 20x"}, 36),
        ({"query": 'dc.date within "2010"'}, 36),
        ({"query": "sommer prox der"}, 37),
        ({"query": MANY_CLAUSES}, 38),
        ({"query": "sommer and/distance=1 der"}, 46),
        ({"query": "dc.title = *mer"}, 49),
        ({"query": 'dc.title = "som*mer"'}, 49),
        ({"query": "sommer", "startRecord": "0"}, 6),
        ({"query": "sommer", "startRecord": "x"}, 6),
        ({"query": "sommer", "maximumRecords": "-1"}, 6),
        ({"query": "sommer", "queryType": "pqf"}, 6),
        ({"query": "sommer", "recordSchema": "mods"}, 66),
        ({"query": "sommer", "recordPacking": "json"}, 71),
        ({"query": "sommer sortBy dc.creator"}, 80),
        ({"query": "sommer sortBy dc.title/sort.descending"}, 80),
        ({"query": "sommer sortBy dc.date dc.title"}, 84),
    ],
)
def test_each_problem_is_its_diagnostic_in_an_sru_answer(
    client: FlaskClient, params: dict, number: int
) -> None:
    root = sru(client, **params)
    assert diagnostic_uris(root) == [f"info:srw/diagnostic/1/{number}"]
    if etree.QName(root).localname == "searchRetrieveResponse":
        assert total(root) == 0 and not record_ids(root)


def test_a_syntax_error_names_the_position(client: FlaskClient) -> None:
    root = sru(client, query="dc.title = (")
    assert "position 11" in root.findtext(f".//{{{DIAG_1}}}details")


def test_an_unsupported_version_names_the_highest_supported(client: FlaskClient) -> None:
    root = sru(client, version="1.5", query="sommer")
    assert text(root, "sru:version") == "1.2"  # the highest below the one asked for
    assert root.findtext(f".//{{{DIAG_1}}}details") == "2.0"
    assert ns_of(sru(client, version="3.0", query="sommer")) == SRU_2


def test_a_start_record_past_the_end_is_diagnostic_61_with_the_count(
    client: FlaskClient, clusters: list[ClusterDoc]
) -> None:
    root = sru(client, query="cql.allRecords = 1", startRecord=len(clusters) + 1)
    assert diagnostic_uris(root) == ["info:srw/diagnostic/1/61"]
    assert total(root) == len(clusters)
    huge = sru(client, query="cql.allRecords = 1", startRecord=10**30)
    assert diagnostic_uris(huge) == ["info:srw/diagnostic/1/61"]
    # found by tests/fuzz: int() refuses a string of 4301 digits, a logged crash, diagnostic 1
    nines = "9" * 5000
    longest = sru(client, query="cql.allRecords = 1", startRecord=nines, maximumRecords=nines)
    assert diagnostic_uris(longest) == ["info:srw/diagnostic/1/61"]
    empty = sru(client, query="dc.title = zzqxzzqx")
    assert total(empty) == 0 and not diagnostic_uris(empty)


def test_without_an_index_a_search_is_diagnostic_2(tmp_path: Path) -> None:
    app = create_app(Config(tmp_path / "config.toml", StorageConfig(tmp_path / "var"), ()))
    root = sru(app.test_client(), query="sommer")
    assert diagnostic_uris(root) == ["info:srw/diagnostic/1/2"]
    assert etree.QName(sru(app.test_client())).localname == "explainResponse"


def test_diagnostics_of_2_0_are_in_the_oasis_namespace(client: FlaskClient) -> None:
    root = sru(client, version="2.0", query="dc.foo = x")
    assert ns_of(root) == SRU_2
    assert root.find(f"{{{SRU_2}}}diagnostics/{{{DIAG_2}}}diagnostic") is not None


def test_control_characters_in_a_query_still_give_well_formed_xml(client: FlaskClient) -> None:
    root = sru(client, query='dc.title = "\x01\x02"\x00')
    assert diagnostic_uris(root) or total(root) == 0
    echoed = text(root, "sru:echoedSearchRetrieveRequest/sru:query")
    assert "\x00" not in echoed and "\ufffd" in echoed


def test_a_deep_or_long_query_is_answered_without_a_fault(
    client: FlaskClient, title_words: list[str]
) -> None:
    word = title_words[0]
    chain = " ".join([word] + [f"or x{i} and {word}" for i in range(MAX_CLAUSES // 2 - 1)])
    nested = "".join(f"({word} or " for _ in range(60)) + "x" + ")" * 60
    for query in (chain, nested):
        root = sru(client, query=query, maximumRecords=1)
        assert not diagnostic_uris(root) and total(root) > 0


# -- independent clients over HTTP


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_yaz_client_finds_and_shows_records(
    sru_url: str, clusters: list[ClusterDoc], version: str
) -> None:
    if shutil.which("yaz-client") is None:
        missing_peer("yaz-client not on PATH: apt-get install yaz")
    doc = a_cluster(clusters, lambda d: SIMPLE_TITLE.fullmatch(d.title) is not None, 5)
    commands = (
        f"sru get {version}\nopen {sru_url}\n"
        f"find rec.id = {doc.id}\nshow 1\n"
        f'find dc.title adj "{doc.title}"\nshow 1\n'
        "find dc.foo = x\nquit\n"
    )
    run = subprocess.run(
        ["yaz-client"], input=commands, capture_output=True, text=True, timeout=60, check=False
    )
    out = run.stdout
    counts = [int(n) for n in re.findall(r"Number of hits: (\d+)", out)]
    assert counts[:2] == [1, 1], out  # find rec.id, then show 1 (which searches again)
    assert all(n >= 1 for n in counts[2:4]), out  # the title, found
    assert f'<controlfield tag="001">{doc.id}</controlfield>' in out
    assert out.count("pos=1 schema=info:srw/schema/1/marcxml-v1.1") == 2
    assert "SRW diagnostic info:srw/diagnostic/1/16" in out


def test_sruthi_pages_through_every_record(sru_url: str, clusters: list[ClusterDoc]) -> None:
    result = sruthi.searchretrieve(sru_url, query="cql.allRecords = 1", maximum_records=40)
    ids = [
        int(next(f["text"] for f in record["controlfield"] if f["tag"] == "001"))
        for record in result
    ]
    assert result.count == len(clusters) == len(ids) == len(set(ids))
    assert set(ids) == {d.id for d in clusters}


def test_sruthi_reads_dublin_core_and_explain(sru_url: str, clusters: list[ClusterDoc]) -> None:
    doc = a_cluster(clusters, lambda d: bool(d.isbns), 2)
    records = list(
        sruthi.searchretrieve(sru_url, query=f"bath.isbn = {doc.isbns[0]}", record_schema="dc")
    )
    assert any(r["schema"] == "info:srw/schema/1/dc-v1.1" for r in records)
    assert any(doc.title.split()[0] in str(r["title"]) for r in records)
    explain = sruthi.explain(sru_url)
    assert explain.server["port"] == int(sru_url.split(":")[2].split("/")[0])
    assert explain.index["dc"]["title"] and explain.index["bath"]["isbn"]
    assert explain.config["maximumRecords"] == 100


def test_sruthi_sees_a_diagnostic_as_an_sru_error(sru_url: str) -> None:
    with pytest.raises(sruthi.SruError, match="info:srw/diagnostic/1/16"):
        sruthi.searchretrieve(sru_url, query="dc.foo = x")
