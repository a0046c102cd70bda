"""Rate limits ([rate_limits]): each client may ask so often, then 429 with Retry-After.

The demo catalogue is served with low limits (3 a minute, unless a test says otherwise); a
window starts with a client's first request, so no test meets the end of one. Several web
nodes share their counters through a real redis-server on 127.0.0.1 (tests/peers/redis.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree

from libnet.config import Config
from libnet.web_config import RateLimitsConfig
from tests.peers.redis import RedisServer
from tests.webapp.test_loans_api import Served
from tests.webapp.test_login import log_in
from webapp import create_app

LIMIT = 3
LOW = RateLimitsConfig(
    search=f"{LIMIT}/minute", complete=f"{LIMIT}/minute", api=f"{LIMIT}/minute",
    sru=f"{LIMIT}/minute", oai=f"{LIMIT}/minute", staff_factor=2, token_factor=3,
)  # fmt: skip
# one request of each limited area
ASKS = {
    "search": "/search?q=welt",
    "feed": "/feed?q=welt",
    "complete": "/api/v1/complete?q=we",
    "suggest": "/opensearch/suggest?q=we",
    "api": "/api/v1/search?q=welt",
    "sru": "/sru?query=welt",
    "oai": "/oai?verb=Identify",
}
# a completion of one letter is counted and answered at once, even by a new app
QUICK = "/api/v1/complete?q=w"
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


def serve(config: Config, limits: RateLimitsConfig = LOW) -> FlaskClient:
    return create_app(replace(config, rate_limits=limits), TESTING=True).test_client()


@pytest.fixture(scope="module")
def limited(demo_config: Config) -> Flask:
    """The demo catalogue with LOW limits; each test comes from an address of its own."""
    return create_app(replace(demo_config, rate_limits=LOW), TESTING=True)


@pytest.fixture
def client(limited: Flask) -> FlaskClient:
    return visitor(limited)


def visitor(app: Flask) -> FlaskClient:
    """A client from an address no other test has used."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = next(_addresses)
    return client


def use_up(client: FlaskClient, path: str, **kw) -> None:
    """Send the limit's worth of requests; each one is still answered."""
    for _ in range(LIMIT):
        answer = client.get(path, **kw)
        assert answer.status_code == 200, (path, answer.status_code)


def refused(answer, status: int = 429) -> bool:
    retry_after = int(answer.headers.get("Retry-After", "0"))
    return answer.status_code == status and 0 < retry_after <= 61


@pytest.mark.parametrize("area", ["search", "feed"])
def test_a_searcher_over_the_limit_gets_a_page_that_says_when_to_come_back(
    client: FlaskClient, area: str
) -> None:
    use_up(client, ASKS[area])
    answer = client.get(f"{ASKS[area]}&lang=en")
    assert refused(answer) and answer.headers["Cache-Control"] == "no-store"
    page = answer.get_data(as_text=True)
    assert "<h1>Too many requests</h1>" in page
    seconds = int(answer.headers["Retry-After"])
    assert f"Please try again in {seconds} second" in page


def test_the_page_over_the_limit_is_german_by_default(client: FlaskClient) -> None:
    use_up(client, ASKS["search"])
    assert "Zu viele Anfragen" in client.get(ASKS["search"]).get_data(as_text=True)


@pytest.mark.parametrize("area", ["api", "complete"])
def test_the_api_over_the_limit_answers_429_in_its_error_format(
    client: FlaskClient, area: str
) -> None:
    use_up(client, ASKS[area])
    answer = client.get(ASKS[area])
    assert refused(answer) and answer.headers["Cache-Control"] == "no-store"
    error = answer.json["error"]
    assert error["status"] == 429 and error["title"] == "Too Many Requests"
    assert f"{LIMIT} per 1 minute" in error["detail"]


def test_completions_and_api_calls_are_counted_apart(client: FlaskClient) -> None:
    use_up(client, ASKS["api"])
    assert client.get(ASKS["complete"]).status_code == 200
    assert client.get(ASKS["suggest"]).status_code == 200
    assert client.get(ASKS["search"]).status_code == 200
    assert client.get("/api/v1/libraries").status_code == 429  # the whole API is one area


def test_pages_outside_the_limited_areas_are_not_counted(client: FlaskClient) -> None:
    use_up(client, ASKS["search"])
    for path in ("/", "/libraries", "/opensearch.xml", "/static/libnet.css"):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_sru_over_the_limit_answers_diagnostic_2_in_its_version(
    client: FlaskClient, version: str
) -> None:
    use_up(client, f"{ASKS['sru']}&version={version}")
    answer = client.get(f"{ASKS['sru']}&version={version}")
    assert refused(answer)
    root = etree.fromstring(answer.data)
    assert root.tag.endswith("searchRetrieveResponse")
    uris = [e.text for e in root.iter() if etree.QName(e).localname == "uri"]
    assert uris == ["info:srw/diagnostic/1/2"]
    details = next(e.text for e in root.iter() if etree.QName(e).localname == "details")
    assert f"try again in {answer.headers['Retry-After']} seconds" in details


def test_oai_pmh_over_the_limit_answers_503_with_retry_after_as_harvesters_expect(
    client: FlaskClient,
) -> None:
    use_up(client, ASKS["oai"])
    answer = client.get(ASKS["oai"])
    assert refused(answer, status=503)
    assert answer.content_type.startswith("text/plain")


def test_the_limit_is_per_client_address(limited: Flask) -> None:
    one, other = visitor(limited), visitor(limited)
    use_up(one, ASKS["search"])
    assert one.get(ASKS["search"]).status_code == 429
    assert other.get(ASKS["search"]).status_code == 200


def test_limits_switched_off_are_never_reached(demo_config: Config) -> None:
    client = serve(demo_config, replace(LOW, enabled=False))
    for _ in range(3 * LIMIT):
        assert client.get(QUICK).status_code == 200


def test_an_area_without_a_limit_is_not_counted(demo_config: Config) -> None:
    client = serve(demo_config, replace(LOW, complete=""))
    for _ in range(3 * LIMIT):
        assert client.get(QUICK).status_code == 200
    use_up(client, "/sru")
    assert client.get("/sru").status_code == 429


# --------------------------------------------------------------------------- staff and tokens


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The loans API's network with LOW limits: librarians, patrons, an API token for each."""
    served = Served(tmp_path_factory.mktemp("rate-limits"))
    config = served.client.application.extensions["libnet"].config
    app = create_app(replace(config, rate_limits=LOW), TESTING=True)
    app.extensions["tokens"] = served.tokens
    return app


def allowed(client: FlaskClient, path: str, **kw) -> int:
    """How many requests pass before the first 429 (at most 20 are sent)."""
    for sent in range(20):
        if client.get(path, **kw).status_code == 429:
            return sent
    return 20


def test_logged_in_staff_get_staff_factor_times_the_limit(network: Flask) -> None:
    client = visitor(network)
    assert log_in(client, "Team herten").status_code == 302
    assert allowed(client, ASKS["search"]) == LIMIT * LOW.staff_factor


def test_a_logged_in_patron_has_the_ordinary_limit_of_their_own(network: Flask) -> None:
    client = visitor(network)
    use_up(client, ASKS["search"])  # someone else at the patron's address
    assert log_in(client, "D100").status_code == 302
    assert allowed(client, ASKS["search"]) == LIMIT


def test_an_api_token_gets_token_factor_times_the_limit(network: Flask) -> None:
    bearer = {"Authorization": f"Bearer {network.extensions['tokens']['patron']}"}
    client = visitor(network)
    assert allowed(client, ASKS["api"], headers=bearer) == LIMIT * LOW.token_factor
    assert allowed(visitor(network), ASKS["api"]) == LIMIT  # without it: its address's


def test_a_made_up_token_counts_as_its_address(network: Flask) -> None:
    made_up = {"Authorization": "Bearer not-a-token"}
    assert allowed(visitor(network), ASKS["api"], headers=made_up) == LIMIT


# --------------------------------------------------------------------------- shared counters


@pytest.fixture
def redis_url() -> Iterator[str]:
    with RedisServer() as server:
        yield server.url


def test_two_web_nodes_sharing_one_redis_share_the_limit(
    demo_config: Config, redis_url: str
) -> None:
    shared = replace(LOW, storage_url=redis_url)
    one, other = serve(demo_config, shared), serve(demo_config, shared)
    for sent in range(LIMIT):
        assert (one, other)[sent % 2].get(QUICK).status_code == 200
    assert one.get(QUICK).status_code == 429
    assert other.get(QUICK).status_code == 429


def test_two_web_nodes_counting_in_memory_count_apart(demo_config: Config) -> None:
    one, other = serve(demo_config), serve(demo_config)
    use_up(one, QUICK)
    assert one.get(QUICK).status_code == 429
    assert other.get(QUICK).status_code == 200


def test_a_redis_that_goes_down_does_not_stop_the_catalogue(demo_config: Config) -> None:
    with RedisServer() as server:
        client = serve(demo_config, replace(LOW, storage_url=server.url))
        assert client.get(QUICK).status_code == 200
        server.stop()
        # each worker counts on its own until Redis is back: still limited, still answering
        use_up(client, "/sru")
        assert client.get("/sru").status_code == 429
