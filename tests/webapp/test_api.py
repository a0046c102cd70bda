"""The JSON API: the answers of `libnet search --json`, records, libraries, completion, OpenAPI."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from harvesters.run import harvest_all
from index.grouping import apply_override
from index.search import UnionIndex, result_json
from index.update import index_path, update_index
from libnet.cli import main
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.store import clusters, open_store
from libnet.store.clusters import ALWAYS, Override
from tests.builders import book, iso2709
from tests.webapp.conftest import Permalinks
from webapp import create_app
from webapp.api.search import COMPLETE_PARAMETERS, RECORD_PARAMETERS, SEARCH_PARAMETERS

API = "/api/v1"


@pytest.fixture(scope="module")
def cli_config(demo_config: Config, tmp_path_factory) -> Path:
    """A config.toml for `libnet search` over the demo catalogue's index."""
    path = tmp_path_factory.mktemp("cli") / "config.toml"
    path.write_text(
        f"[storage]\ndata_dir = {json.dumps(str(demo_config.storage.data_dir))}\n"
        '[[libraries]]\ncode = "marl"\nname = "Marl"\n'
        '[libraries.source]\ntype = "marc"\nurl = "none/*.mrc"\n'
    )
    return path


@pytest.fixture(scope="module")
def index(demo_config: Config) -> UnionIndex:
    return UnionIndex(index_path(demo_config.storage.data_dir))


@pytest.fixture(scope="module")
def merged(tmp_path_factory) -> tuple[FlaskClient, int, int]:
    """A catalogue of two books a librarian joined: (client, merged cluster id, its heir)."""
    tmp: Path = tmp_path_factory.mktemp("merged")
    (tmp / "marl.mrc").write_bytes(iso2709(book("m1")))
    (tmp / "herten.mrc").write_bytes(
        iso2709(book("h1", title="Tyll", isbn="978-3-498-03567-9", year="2017"))
    )
    libraries = tuple(
        LibraryConfig(code, code, SourceConfig("marc", str(tmp / f"{code}.mrc")))
        for code in ("marl", "herten")
    )
    config = Config(tmp / "config.toml", StorageConfig(tmp / "var"), libraries)
    store = open_store(config.storage.url, config.storage.data_dir)
    try:
        harvest_all(config, store)
        update_index(store, config.storage.data_dir)
        pair = (("marl", "m1"), ("herten", "h1"))
        with store.engine.connect() as conn:
            before = set(
                clusters.cluster_of(conn, clusters.record_ids(conn, pair).values()).values()
            )
        assert len(before) == 2
        apply_override(store, Override(ALWAYS, *pair))
        update_index(store, config.storage.data_dir)
        with store.engine.connect() as conn:
            heirs = {old: clusters.current_id(conn, old) for old in before}
    finally:
        store.close()
    [(old, heir)] = [(old, heir) for old, heir in heirs.items() if old != heir]
    return create_app(config, TESTING=True).test_client(), old, heir


@pytest.fixture(scope="module")
def unindexed(demo_config: Config, tmp_path_factory) -> FlaskClient:
    """The demo libraries before the first `libnet index`."""
    data_dir = tmp_path_factory.mktemp("unindexed")
    config = Config(data_dir / "config.toml", StorageConfig(data_dir), demo_config.libraries)
    return create_app(config, TESTING=True).test_client()


def get_json(client: FlaskClient, url: str, status: int = 200, **kwargs: Any) -> Any:
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    return response.get_json()


def search(client: FlaskClient, **params: Any) -> dict[str, Any]:
    return get_json(client, f"{API}/search", query_string=params)


def without_paging(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key not in ("page", "page_size")}


# search


@pytest.mark.parametrize(
    ("params", "argv"),
    [
        ({"q": "roman"}, []),
        ({"q": "roman", "library": "marl"}, ["--library", "marl"]),
        ({"q": "roman", "home": "marl"}, ["--home", "marl"]),
        ({"q": "die", "home": "herten", "library": ["marl", "herten"]},
         ["--home", "herten", "--library", "marl", "--library", "herten"]),
        ({"q": "roman", "format": ["book", "ebook"]}, ["--format", "book", "--format", "ebook"]),
        ({"q": "die", "held_by": "herten", "sort": "year_desc"},
         ["--held-by", "herten", "--sort", "year_desc"]),
        ({"q": "die", "sort": "title", "page": 2}, ["--sort", "title", "--page", "2"]),
        ({"q": "Romn"}, []),  # a misspelling: the suggestion too
    ],
)  # fmt: skip
def test_search_answers_what_libnet_search_json_prints(
    client: FlaskClient, cli_config: Path, capsys, params: dict, argv: list[str]
) -> None:
    assert main(["search", "--config", str(cli_config), "--json", *argv, params["q"]]) == 0
    printed = json.loads(capsys.readouterr().out)
    answer = search(client, **params)
    assert without_paging(answer) == printed
    assert answer["page"] == params.get("page", 1) and answer["page_size"] == 20


def test_a_misspelt_query_gets_a_suggestion(client: FlaskClient) -> None:
    assert search(client, q="Romn")["suggestion"] == "Roman"


@pytest.mark.parametrize(
    ("params", "filters", "options"),
    [
        ({"language": "eng"}, {"language": ["eng"]}, {}),
        ({"decade": ["2000", "2010"]}, {"decade": ["2000", "2010"]}, {}),
        ({"available": "marl"}, {"available": ["marl"]}, {}),
        ({"held_by": ["marl", "herten"], "format": "book", "page_size": 7, "page": 3},
         {"library": ["marl", "herten"], "format": ["book"]}, {"page_size": 7, "page": 3}),
        ({"sort": "year_asc", "home": "datteln"}, {}, {"sort": "year_asc", "home": "datteln"}),
        ({"library": "marl"}, {"library": ["marl"]}, {}),
        ({"library": "marl", "held_by": ["herten", "marl"]}, {"library": ["marl", "herten"]}, {}),
    ],
)  # fmt: skip
def test_filters_the_command_lacks_answer_as_the_engine(
    client: FlaskClient, index: UnionIndex, params: dict, filters: dict, options: dict
) -> None:
    expected = result_json(index.search("die", filters=filters, **options))
    assert without_paging(search(client, q="die", **params)) == json.loads(json.dumps(expected))


def test_each_filter_keeps_only_matching_hits(client: FlaskClient) -> None:
    everything = search(client, q="*", page_size=100)
    for value, count in everything["facets"]["format"]:
        assert search(client, q="*", format=value)["total"] == count
    for hit in search(client, q="*", format="video", page_size=100)["hits"]:
        assert hit["format"] == "video"
    for hit in search(client, q="*", held_by="herten", page_size=100)["hits"]:
        assert "herten" in {h["library"] for h in hit["holdings"]}
    for hit in search(client, q="*", available="marl", page_size=100)["hits"]:
        assert any(h["library"] == "marl" and h["status"] == "available" for h in hit["holdings"])
    for hit in search(client, q="*", decade="2010", page_size=100)["hits"]:
        assert 2010 <= hit["year"] <= 2019
    english = dict(everything["facets"]["language"])["eng"]
    assert search(client, q="*", language="eng")["total"] == english


def test_the_home_library_comes_first_in_every_hit(client: FlaskClient) -> None:
    hits = search(client, q="*", library="gladbeck", home="gladbeck", page_size=50)["hits"]
    assert hits and all(hit["holdings"][0]["library"] == "gladbeck" for hit in hits)


def test_library_keeps_what_it_holds_and_home_filters_nothing(client: FlaskClient) -> None:
    everything = search(client, q="*", page_size=1)["total"]
    held = dict(search(client, q="*", page_size=1)["facets"]["library"])["gladbeck"]
    assert 0 < held < everything
    assert search(client, q="*", library="gladbeck")["total"] == held
    home = search(client, q="*", home="gladbeck", page_size=100)
    assert home["total"] == everything
    for hit in home["hits"]:
        libraries = [h["library"] for h in hit["holdings"]]
        assert "gladbeck" not in libraries or libraries[0] == "gladbeck"


def test_sorting_by_year_puts_the_newest_first(client: FlaskClient) -> None:
    years = [hit["year"] or 0 for hit in search(client, q="*", sort="year_desc")["hits"]]
    assert years == sorted(years, reverse=True)


def test_pages_follow_one_another(client: FlaskClient) -> None:
    def ids(**params: Any) -> list[int]:
        return [hit["id"] for hit in search(client, q="*", sort="title", **params)["hits"]]

    assert ids(page_size=5) + ids(page_size=5, page=2) == ids(page_size=10)
    assert len(ids(page_size=100)) == 100


def test_a_page_beyond_the_end_is_empty(client: FlaskClient) -> None:
    answer = search(client, q="roman", page=10**9)
    assert answer["hits"] == [] and answer["total"] > 0 and answer["page"] == 10**9


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("", "q"),
        ("q=", "q"),
        ("q=%20%20", "q"),
        ("q=" + "a" * 10_000, "q"),
        ("q=%ff", "q"),
        ("q=r%C3%B6man&format=%c3%28", "format"),
        ("q=a&q=b", "q"),
        ("q=roman&page=-1", "page"),
        ("q=roman&page=0", "page"),
        ("q=roman&page=1.5", "page"),
        ("q=roman&page=%2B2", "page"),
        ("q=roman&page=1_0", "page"),
        ("q=roman&page=two", "page"),
        ("q=roman&page=" + str(10**10), "page"),
        ("q=roman&page=1&page=2", "page"),
        ("q=roman&page_size=0", "page_size"),
        ("q=roman&page_size=101", "page_size"),
        ("q=roman&sort=bogus", "sort"),
        ("q=roman&format=bok", "format"),
        ("q=roman&held_by=bottrop", "held_by"),
        ("q=roman&available=bottrop", "available"),
        ("q=roman&library=bottrop", "library"),
        ("q=roman&library=marl&library=Marl", "library"),
        ("q=roman&home=bottrop", "home"),
        ("q=roman&home=marl&home=herten", "home"),
        ("q=roman&language=German", "language"),
        ("q=roman&decade=1995", "decade"),
        ("q=roman" + "".join(f"&decade={n}0" for n in range(51)), "decade"),
    ],
)
def test_a_bad_search_parameter_is_a_400_naming_it(
    client: FlaskClient, query: str, parameter: str
) -> None:
    error = get_json(client, f"{API}/search?{query}", 400)["error"]
    assert error["status"] == 400 and error["title"] == "Bad Request"
    assert error["detail"].startswith(f"{parameter} ")


def test_empty_filter_values_are_ignored_as_a_form_sends_them(client: FlaskClient) -> None:
    plain = search(client, q="roman")
    empty = {"format": "", "held_by": "", "library": "", "home": "", "sort": "", "page": ""}
    assert search(client, q="roman", **empty) == plain


@pytest.mark.parametrize("text", ["((((", '"', "*:*", "title:", "\x00", "NOT", "year:[a TO 2]"])
def test_a_query_a_person_got_wrong_still_answers(client: FlaskClient, text: str) -> None:
    assert search(client, q=text)["total"] >= 0


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=60))
def test_no_query_text_makes_a_server_error(client: FlaskClient, text: str) -> None:
    response = client.get(f"{API}/search", query_string={"q": text})
    assert response.status_code in (200, 400) and response.is_json


# records


def test_a_record_is_the_cluster_with_its_members_and_links(
    client: FlaskClient, index: UnionIndex, demo_config: Config
) -> None:
    hit = next(h for h in search(client, q="*", page_size=100)["hits"] if len(h["holdings"]) > 2)
    record = get_json(client, f"{API}/records/{hit['id']}")
    doc = index.get(hit["id"])
    assert record["title"] == doc.title and record["subtitle"] == doc.subtitle
    assert record["isbns"] == list(doc.isbns) and record["year"] == doc.year
    assert record["subjects"] == list(doc.subjects) and record["language"] == doc.language
    assert {(h["library"], h["local_id"]) for h in record["holdings"]} == {
        (h.library, h.local_id) for h in doc.holdings
    }
    store = open_store(demo_config.storage.url, demo_config.storage.data_dir)
    try:
        with store.engine.connect() as conn:
            members = clusters.members(conn, hit["id"])
    finally:
        store.close()
    assert record["members"] == [
        {"library": m.library, "local_id": m.local_id, "rule": m.rule} for m in members
    ]
    assert len(members) > 1
    links = record["links"]
    assert links["self"] == f"{API}/records/{hit['id']}"
    assert links["html"] == f"/record/{hit['id']}"
    assert links["exports"]["bibtex"] == f"/record/{hit['id']}/export/bibtex"
    assert set(links["exports"]) == {"ris", "bibtex", "marcxml", "marc"}


def test_a_records_holdings_keep_to_library_and_begin_with_home(client: FlaskClient) -> None:
    hit = next(h for h in search(client, q="*", page_size=100)["hits"] if len(h["holdings"]) > 2)
    everyone = get_json(client, f"{API}/records/{hit['id']}")
    libraries = [h["library"] for h in everyone["holdings"]]
    last = libraries[-1]
    only = get_json(client, f"{API}/records/{hit['id']}", query_string={"library": last})
    assert {h["library"] for h in only["holdings"]} == {last}
    assert only["members"] == everyone["members"]  # a filter of the holdings alone
    two = get_json(
        client, f"{API}/records/{hit['id']}", query_string={"library": [last, libraries[0]]}
    )
    assert {h["library"] for h in two["holdings"]} == {last, libraries[0]}
    home = get_json(client, f"{API}/records/{hit['id']}", query_string={"home": last})
    assert home["holdings"][0]["library"] == last
    assert sorted(map(str, home["holdings"])) == sorted(map(str, everyone["holdings"]))


@pytest.mark.parametrize(
    ("query", "parameter"), [("library=bottrop", "library"), ("home=bottrop", "home")]
)
def test_a_bad_record_parameter_is_a_400_naming_it(
    client: FlaskClient, query: str, parameter: str
) -> None:
    hit = search(client, q="*", page_size=1)["hits"][0]
    error = get_json(client, f"{API}/records/{hit['id']}?{query}", 400)["error"]
    assert error["detail"].startswith(f"{parameter} ")


@pytest.mark.parametrize("cluster_id", [0, 999_999, 10**30])
def test_an_unknown_record_is_a_404_in_json(client: FlaskClient, cluster_id: int) -> None:
    error = get_json(client, f"{API}/records/{cluster_id}", 404)["error"]
    assert error["status"] == 404 and str(cluster_id) in error["detail"]


def test_a_merged_cluster_redirects_to_the_one_that_took_it_in(
    merged: tuple[FlaskClient, int, int],
) -> None:
    client, old, heir = merged
    response = client.get(f"{API}/records/{old}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"{API}/records/{heir}")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    record = get_json(client, f"{API}/records/{old}", follow_redirects=True)
    assert record["id"] == heir
    assert {(m["library"], m["local_id"]) for m in record["members"]} == {
        ("marl", "m1"),
        ("herten", "h1"),
    }
    assert sorted(m["rule"] for m in record["members"])[0] == "first"


# libraries and completion


def test_libraries_count_the_clusters_each_holds(client: FlaskClient, demo_config: Config) -> None:
    libraries = get_json(client, f"{API}/libraries")
    assert [lib["code"] for lib in libraries] == [lib.code for lib in demo_config.libraries]
    for library in libraries:
        assert library["clusters"] == search(client, q="*", held_by=library["code"])["total"]
        assert datetime.fromisoformat(library["last_harvest"]).tzinfo is not None
    assert all(lib["isil"] and lib["name"] for lib in libraries)


def test_completion_lists_titles_and_authors(client: FlaskClient, index: UnionIndex) -> None:
    answer = get_json(client, f"{API}/complete?q=die&limit=5")
    assert answer == index.complete("die", 5) and len(answer) == 5
    assert get_json(client, f"{API}/complete?q=die") == index.complete("die", 10)


@pytest.mark.parametrize("query", ["", "q=", "q=d", "q=%20d%20", "limit=3"])
def test_completion_waits_for_two_characters(client: FlaskClient, query: str) -> None:
    assert get_json(client, f"{API}/complete?{query}") == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("q=die&limit=0", "limit"), ("q=die&limit=21", "limit"), ("q=die&limit=x", "limit"),
     ("q=%ff%fe", "q"), ("q=" + "d" * 1001, "q"), ("q=di&q=die", "q")],
)  # fmt: skip
def test_a_bad_completion_parameter_is_a_400_naming_it(
    client: FlaskClient, query: str, parameter: str
) -> None:
    error = get_json(client, f"{API}/complete?{query}", 400)["error"]
    assert error["detail"].startswith(f"{parameter} ")


@pytest.mark.parametrize("url", ["/search?q=roman", "/records/1", "/libraries", "/complete?q=die"])
def test_without_an_index_the_api_answers_503_in_json(unindexed: FlaskClient, url: str) -> None:
    error = get_json(unindexed, API + url, 503)["error"]
    assert "libnet index" in error["detail"]
    assert unindexed.get(API + url).headers["Cache-Control"] == "no-store"


# headers


@pytest.mark.parametrize(
    ("url", "status"),
    [("/search?q=roman", 200), ("/search", 400), ("/records/999999", 404), ("/nothing", 404)],
)
def test_any_origin_may_read_the_api_and_cache_it_briefly(
    client: FlaskClient, url: str, status: int
) -> None:
    response = client.get(API + url, headers={"Origin": "https://example.org"})
    assert response.status_code == status and response.is_json
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_the_pages_get_no_cors_header(client: FlaskClient) -> None:
    assert "Access-Control-Allow-Origin" not in client.get("/no/such/page").headers


# the OpenAPI document


@pytest.fixture(scope="module")
def spec(app: Flask) -> dict[str, Any]:
    return get_json(app.test_client(), f"{API}/openapi.json")


def test_the_openapi_document_is_valid(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.1") and spec["servers"] == [{"url": API}]


def test_every_route_of_the_api_is_described(app: Flask, spec: dict[str, Any]) -> None:
    routes = {
        rule.rule.removeprefix(API).replace("<int:", "{").replace(">", "}"): rule.methods
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    # the loan network's paths: tests/webapp/test_loans_api.py
    assert set(routes) == {path for path in spec["paths"] if not path.startswith("/loans")}
    for path, methods in routes.items():
        assert set(spec["paths"][path]) == {m.lower() for m in methods} - {"head", "options"}


@pytest.mark.parametrize(
    ("path", "parameters"),
    [
        ("/search", SEARCH_PARAMETERS),
        ("/complete", COMPLETE_PARAMETERS),
        ("/records/{cluster_id}", ("cluster_id", *RECORD_PARAMETERS)),
    ],
)
def test_the_parameters_the_api_reads_are_described(
    spec: dict[str, Any], path: str, parameters: tuple[str, ...]
) -> None:
    described = [p["name"] for p in spec["paths"][path]["get"]["parameters"]]
    assert described == list(parameters)


# a real answer for every described (path, status): (which app, method, address)
EXAMPLES = {
    ("/search", "200"): ("demo", "GET", "/search?q=roman&library=marl"),
    ("/search", "400"): ("demo", "GET", "/search?q=roman&page=0"),
    ("/search", "503"): ("unindexed", "GET", "/search?q=roman"),
    ("/search", "default"): ("demo", "POST", "/search?q=roman"),
    ("/records/{cluster_id}", "200"): ("demo", "GET", "/records/{full}"),
    ("/records/{cluster_id}", "301"): ("merged", "GET", "/records/{old}"),
    ("/records/{cluster_id}", "404"): ("demo", "GET", "/records/999999"),
    ("/records/{cluster_id}", "410"): ("permalinks", "GET", "/records/{gone}"),
    ("/records/{cluster_id}", "503"): ("unindexed", "GET", "/records/1"),
    ("/records/{cluster_id}", "default"): ("demo", "DELETE", "/records/1"),
    ("/libraries", "200"): ("demo", "GET", "/libraries"),
    ("/libraries", "503"): ("unindexed", "GET", "/libraries"),
    ("/libraries", "default"): ("demo", "PUT", "/libraries"),
    ("/complete", "200"): ("demo", "GET", "/complete?q=die"),
    ("/complete", "400"): ("demo", "GET", "/complete?q=die&limit=0"),
    ("/complete", "503"): ("unindexed", "GET", "/complete?q=die"),
    ("/complete", "default"): ("demo", "POST", "/complete"),
    ("/openapi.json", "200"): ("demo", "GET", "/openapi.json"),
    ("/openapi.json", "default"): ("demo", "POST", "/openapi.json"),
}


@pytest.fixture(scope="module")
def full_record(index: UnionIndex) -> int:
    """A cluster of several records with series and subjects: no list of its answer empty."""
    for hit in index.search("*", page_size=100).hits:
        doc = index.get(hit.id)
        if doc.series and doc.subjects and len(doc.libraries) > 1:
            return hit.id
    raise AssertionError("the demo catalogue has no cluster with series and subjects")


def described_responses(spec: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (path, status)
        for path, operations in spec["paths"].items()
        if not path.startswith("/loans")
        for status in operations["get"]["responses"]
    ]


def test_every_described_response_has_an_example(spec: dict[str, Any]) -> None:
    assert sorted(described_responses(spec)) == sorted(EXAMPLES)


def strict(node: Any) -> Any:
    """The document with no property allowed beyond those described."""
    if isinstance(node, dict):
        node = {key: strict(value) for key, value in node.items()}
        if "properties" in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [strict(value) for value in node]
    return node


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rpartition("/")[2]]
    return schema


def described_fields(spec: dict[str, Any], schema: dict[str, Any], at: str = "") -> set[str]:
    schema = resolve(spec, schema)
    found = {at}
    for name, value in schema.get("properties", {}).items():
        found |= described_fields(spec, value, f"{at}.{name}")
    if isinstance(schema.get("items"), dict):
        found |= described_fields(spec, schema["items"], f"{at}[]")
    return found


def present_fields(value: Any, at: str = "") -> set[str]:
    found = {at}
    if isinstance(value, dict):
        for name, inner in value.items():
            found |= present_fields(inner, f"{at}.{name}")
    if isinstance(value, list):
        for inner in value:
            found |= present_fields(inner, f"{at}[]")
    return found


@pytest.mark.parametrize(("path", "status"), sorted(EXAMPLES))
def test_every_described_field_is_in_a_real_answer_and_nothing_more(
    client: FlaskClient,
    unindexed: FlaskClient,
    merged: tuple[FlaskClient, int, int],
    permalinks: Permalinks,
    spec: dict[str, Any],
    full_record: int,
    path: str,
    status: str,
) -> None:
    which, method, url = EXAMPLES[(path, status)]
    chosen = {"demo": client, "unindexed": unindexed, "merged": merged[0],
              "permalinks": permalinks.client}[which]  # fmt: skip
    address = url.format(old=merged[1], full=full_record, gone=permalinks.gone)
    response = chosen.open(API + address, method=method)
    described = spec["paths"][path]["get"]["responses"][status]
    if status == "default":
        assert response.status_code == 405
    else:
        assert response.status_code == int(status)
    if "content" not in described:
        assert "Location" in response.headers
        return
    schema = described["content"]["application/json"]["schema"]
    answer = response.get_json()
    registry = Registry().with_resource("urn:api", DRAFT202012.create_resource(strict(spec)))
    validator = Draft202012Validator(
        rebase(strict(schema)),
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    validator.validate(answer)
    assert described_fields(spec, schema) <= present_fields(answer)


def rebase(node: Any) -> Any:
    """References into the document from a schema validated on its own."""
    if isinstance(node, dict):
        return {
            key: f"urn:api{value}" if key == "$ref" else rebase(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [rebase(value) for value in node]
    return node
