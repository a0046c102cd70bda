"""Atom feeds of searches and of changes, the OpenSearch description and its suggestions."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import select

from harvesters.run import harvest_all
from index.search import UnionIndex
from index.update import update_index
from libnet.config import Config, StorageConfig
from libnet.store import clusters, open_store
from libnet.store.schema import records
from webapp import create_app

ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
NS = {"a": ATOM, "os": OPENSEARCH}


def atom_problems(root: etree._Element) -> list[str]:
    """What RFC 4287 requires of a feed and its entries, and this one lacks."""
    problems = []
    if root.tag != f"{{{ATOM}}}feed":
        return [f"the root is {root.tag}, not atom:feed"]
    has_author = root.find("a:author/a:name", NS) is not None
    ids = []
    for where, element in [("feed", root)] + [
        (f"entry {n}", entry) for n, entry in enumerate(root.findall("a:entry", NS))
    ]:
        for name in ("id", "title", "updated"):
            found = element.findall(f"a:{name}", NS)
            if len(found) != 1 or not (found[0].text or "").strip():
                problems.append(f"{where}: needs exactly one non-empty {name}")
        ident = element.findtext("a:id", "", NS)
        if not urlsplit(ident).scheme:
            problems.append(f"{where}: id {ident!r} is no absolute IRI")
        ids.append(ident)
        try:
            stamp = datetime.fromisoformat(element.findtext("a:updated", "", NS))
            if stamp.tzinfo is None:
                problems.append(f"{where}: updated has no time zone")
        except ValueError:
            problems.append(f"{where}: updated is no RFC 3339 date")
        for link in element.findall("a:link", NS):
            if not urlsplit(link.get("href", "")).scheme:
                problems.append(f"{where}: link {link.get('href')!r} is not absolute")
        if where != "feed":
            if not has_author and element.find("a:author/a:name", NS) is None:
                problems.append(f"{where}: no author, and the feed has none")
            alternate = element.find("a:link[@rel='alternate']", NS)
            if alternate is None and element.find("a:content", NS) is None:
                problems.append(f"{where}: neither content nor an alternate link")
    if len(ids) != len(set(ids)):
        problems.append("ids repeat")
    return problems


def get_feed(client: FlaskClient, url: str) -> etree._Element:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/atom+xml"
    root = etree.fromstring(response.data)
    assert atom_problems(root) == []
    return root


def entry_ids(root: etree._Element) -> list[int]:
    return [
        int(link.rsplit("/", 1)[1]) for link in root.xpath("a:entry/a:id/text()", namespaces=NS)
    ]


def updated(element: etree._Element) -> datetime:
    return datetime.fromisoformat(element.findtext("a:updated", "", NS))


@pytest.fixture(scope="module")
def index(app: Flask) -> UnionIndex:
    return app.extensions["libnet"].index


@pytest.fixture(scope="module")
def word(client_module: FlaskClient) -> str:
    """A title word of the demo catalogue found in several clusters."""
    titles = get_feed(client_module, "/feed").xpath("a:entry/a:title/text()", namespaces=NS)
    counts: dict[str, int] = {}
    for title in titles:
        for found in {w.lower() for w in re.findall(r"\w{5,}", title)}:
            counts[found] = counts.get(found, 0) + 1
    return max(counts, key=lambda w: (counts[w], w))


@pytest.fixture(scope="module")
def client_module(app: Flask) -> FlaskClient:
    return app.test_client()


def test_a_search_feed_is_atom_with_the_newest_years_first(
    client: FlaskClient, index: UnionIndex, word: str
) -> None:
    root = get_feed(client, f"/feed?q={word}")
    expected = index.search(word, sort="year_desc", page_size=50)
    assert entry_ids(root) == [hit.id for hit in expected.hits]
    years = [hit.year or 0 for hit in expected.hits]
    assert years == sorted(years, reverse=True) and len(years) > 1
    assert root.findtext("os:totalResults", "", NS) == str(expected.total)
    assert word in root.findtext("a:title", "", NS)


def test_an_entry_links_its_permalink_and_names_authors_year_and_libraries(
    client: FlaskClient, index: UnionIndex, word: str
) -> None:
    root = get_feed(client, f"/feed?q={word}")
    for entry in root.findall("a:entry", NS):
        ident = entry.findtext("a:id", "", NS)
        doc = index.get(int(ident.rsplit("/", 1)[1]))
        assert ident == f"http://localhost/record/{doc.id}"
        assert entry.find("a:link[@rel='alternate']", NS).get("href") == ident
        assert entry.findtext("a:title", "", NS) == doc.title
        assert entry.xpath("a:author/a:name/text()", namespaces=NS) == list(doc.authors)
        summary = entry.findtext("a:summary", "", NS)
        assert (str(doc.year) in summary) if doc.year else True
        assert "Stadtbibliothek" in summary or "Kreis" in summary or "Stadtbücherei" in summary


def test_an_entry_is_updated_when_its_cluster_last_changed(
    client: FlaskClient, demo_config: Config, word: str
) -> None:
    root = get_feed(client, f"/feed?q={word}")
    store = open_store(demo_config.storage.url, demo_config.storage.data_dir)
    try:
        with store.engine.connect() as conn:
            for entry in root.findall("a:entry", NS):
                info = clusters.cluster_info(
                    conn, int(entry.findtext("a:id", "", NS).split("/")[-1])
                )
                changed = info.changed_at.replace(tzinfo=info.changed_at.tzinfo or UTC)
                assert updated(entry) == changed.replace(microsecond=0)
    finally:
        store.close()


def test_filters_narrow_a_search_feed_and_the_change_feed(
    client: FlaskClient, index: UnionIndex, word: str
) -> None:
    searched = get_feed(client, f"/feed?q={word}&library=marl&format=book")
    expected = index.search(
        word, filters={"library": ["marl"], "format": ["book"]}, sort="year_desc", page_size=50
    )
    assert entry_ids(searched) == [hit.id for hit in expected.hits]
    assert "Stadtbibliothek Marl" in searched.findtext("a:title", "", NS)
    changed = get_feed(client, "/feed?library=marl")
    assert entry_ids(changed)
    assert all("marl" in index.get(cluster_id).libraries for cluster_id in entry_ids(changed))


def test_the_feed_without_a_query_is_at_most_50_changed_clusters_newest_first(
    client: FlaskClient, index: UnionIndex
) -> None:
    root = get_feed(client, "/feed")
    stamps = [updated(entry) for entry in root.findall("a:entry", NS)]
    assert len(stamps) == 50  # the demo catalogue has more clusters
    assert stamps == sorted(stamps, reverse=True)
    assert all(index.get(cluster_id) is not None for cluster_id in entry_ids(root))
    assert updated(root) == stamps[0]


@pytest.fixture(scope="module")
def small_catalogue(tmp_path_factory: pytest.TempPathFactory, demo_config: Config) -> Config:
    """A catalogue of its own, harvested from the demo files: its store may change."""
    tmp: Path = tmp_path_factory.mktemp("feeds-small")
    config = Config(tmp / "config.toml", StorageConfig(tmp / "var"), demo_config.libraries[:2])
    store = open_store(config.storage.url, config.storage.data_dir)
    try:
        harvest_all(config, store)
        update_index(store, config.storage.data_dir)
    finally:
        store.close()
    return config


def test_a_cluster_that_changed_last_comes_first_in_the_change_feed(
    small_catalogue: Config,
) -> None:
    store = open_store(small_catalogue.storage.url, small_catalogue.storage.data_dir)
    try:
        with store.engine.connect() as conn:
            first_record = conn.execute(select(records.c.id).order_by(records.c.id)).scalar()
            oldest = clusters.cluster_of(conn, [first_record])[first_record]
        later = datetime(2031, 5, 4, 12, 0, tzinfo=UTC)
        with store.engine.begin() as conn:
            clusters.touch(conn, [first_record], set(), now=later)
    finally:
        store.close()
    client = create_app(small_catalogue, TESTING=True).test_client()
    root = get_feed(client, "/feed")
    assert entry_ids(root)[0] == oldest
    assert updated(root.find("a:entry", NS)) == later == updated(root)


def test_everything_in_a_feed_is_escaped(client: FlaskClient) -> None:
    typed = 'krimi <script>alert("x")</script> & Söhne\x01'
    response = client.get("/feed", query_string={"q": typed})
    assert response.status_code == 200
    assert b"<script>" not in response.data
    root = etree.fromstring(response.data)
    assert atom_problems(root) == []
    assert 'krimi <script>alert("x")</script> & Söhne' in root.findtext("a:title", "", NS)
    assert root.find("os:Query", NS).get("searchTerms") == typed[:-1]


def test_a_feed_refuses_an_unknown_sort_and_an_overlong_query(client: FlaskClient) -> None:
    assert client.get("/feed?q=krimi&sort=price").status_code == 400
    assert client.get("/feed", query_string={"q": "a" * 501}).status_code == 400


def test_a_feed_reader_asking_again_gets_not_modified(client: FlaskClient, word: str) -> None:
    first = client.get(f"/feed?q={word}")
    again = client.get(f"/feed?q={word}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data


def test_the_opensearch_description_has_what_the_spec_requires(
    client: FlaskClient, app: Flask
) -> None:
    response = client.get("/opensearch.xml")
    assert response.mimetype == "application/opensearchdescription+xml"
    root = etree.fromstring(response.data)
    assert root.tag == f"{{{OPENSEARCH}}}OpenSearchDescription"
    short_name = root.findtext("os:ShortName", "", NS)
    assert short_name == "libnet KR" and len(short_name) <= 16
    assert 0 < len(root.findtext("os:Description", "", NS)) <= 1024
    assert root.findtext("os:InputEncoding", "", NS) == "UTF-8"
    urls = {url.get("type"): url.get("template") for url in root.findall("os:Url", NS)}
    assert urls["text/html"] == "http://localhost/search?q={searchTerms}&page={startPage?}"
    assert urls["application/atom+xml"] == "http://localhost/feed?q={searchTerms}"
    suggestions = urls["application/x-suggestions+json"]
    assert suggestions == "http://localhost/opensearch/suggest?q={searchTerms}"
    assert urls["application/opensearchdescription+xml"] == "http://localhost/opensearch.xml"
    routes = app.url_map.bind("localhost")
    for template in urls.values():
        routes.match(urlsplit(template).path)  # every template leads to a page that exists


def test_suggestions_answer_in_the_opensearch_format(client: FlaskClient, word: str) -> None:
    response = client.get(f"/opensearch/suggest?q={word[:4]}")
    assert response.mimetype == "application/x-suggestions+json"
    typed, completions = json.loads(response.data)
    assert typed == word[:4]
    assert completions and all(isinstance(c, str) for c in completions)
    assert any(word in c.lower() for c in completions)


def test_without_an_index_the_feed_says_so_and_there_are_no_suggestions(
    tmp_path: Path, demo_config: Config
) -> None:
    empty = Config(tmp_path / "config.toml", StorageConfig(tmp_path / "var"), demo_config.libraries)
    client = create_app(empty, TESTING=True).test_client()
    response = client.get("/feed?q=krimi")
    assert response.status_code == 503 and '<main id="main"' in response.get_data(as_text=True)
    assert json.loads(client.get("/opensearch/suggest?q=kri").data) == ["kri", []]
    assert client.get("/opensearch.xml").status_code == 200


def test_the_alternate_page_of_a_search_feed_is_the_same_search(
    client: FlaskClient, word: str
) -> None:
    root = get_feed(client, f"/feed?q={word}&library=marl&sort=title")
    page = root.find("a:link[@rel='alternate']", NS).get("href")
    assert urlsplit(page).path == "/search"
    assert parse_qs(urlsplit(page).query) == {"q": [word], "library": ["marl"], "sort": ["title"]}
