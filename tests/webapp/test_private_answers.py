"""`Cache-Control: no-store` on every answer that depends on who asks (webapp.private_answers).

Every GET route of the app's URL map is asked for, logged in as a patron, a librarian and the
administrator: each page and JSON answer (200) carries no-store, so a shared cache or the
browser's back button never shows one person's page to the next. A route added later is
walked too, or fails the walk for lack of a way to fill its path. Anonymous catalogue pages,
the open API, feeds and static files keep their caching.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.webapp.test_loans_api import Served
from tests.webapp.test_login import log_in

# what the walk asks for in a route's query string, where the route needs one to answer 200
QUERIES = {
    "/search": "q=welt",
    "/api/v1/search": "q=welt",
    "/api/v1/complete": "q=wel",
    "/sru": "operation=searchRetrieve&version=2.0&query=welt",
    "/oai": "verb=Identify",
    "/opensearch/suggest": "q=wel",
}
# the same for everyone, logged in or not: their caching stays as it is
SHARED = {"static", "feeds.feed", "feeds.opensearch_description", "feeds.suggest"}
LOGINS = {"patron": "D100", "librarian": "Team herten", "admin": "Kreis"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Served, int]:
    """The loan network with one request of the patron's, and its id."""
    network = Served(tmp_path_factory.mktemp("private"))
    return network, network.placed()["id"]


def every_get_path(client: FlaskClient, network: Served, loan: int) -> dict[str, str]:
    """A path for each GET route of the app (but static files), by endpoint."""
    values = {"cluster_id": network.cluster, "loan_id": loan, "patron_id": network.patron.id,
              "user_id": network.patron.id, "run_id": 1, "fmt": "ris", "token": "no-such-token",
              "session_id": 1, "code": "herten", "kind": "split"}  # fmt: skip
    paths = {}
    for rule in client.application.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", str(values[name])).replace(
                f"<{name}>", str(values[name])
            )
        query = QUERIES.get(rule.rule)
        paths[rule.endpoint] = f"{path}?{query}" if query else path
    return paths


@pytest.mark.parametrize("who", sorted(LOGINS))
def test_every_page_and_api_answer_for_a_logged_in_person_is_no_store(
    served: tuple[Served, int], who: str
) -> None:
    network, loan = served
    client = network.client.application.test_client()
    assert log_in(client, LOGINS[who]).status_code == 302
    answered: dict[str, str] = {}
    for endpoint, path in sorted(every_get_path(client, network, loan).items()):
        answer = client.get(path)
        if answer.status_code != 200:  # a page this person may not see: nothing of theirs
            continue
        answered[endpoint] = answer.headers.get("Cache-Control", "")
    assert {e: c for e, c in answered.items() if e not in SHARED and c != "no-store"} == {}
    # the walk reached each person's own pages, and the shared ones kept their caching
    own = {"patron": "loan_pages.my_requests", "librarian": "staff_pages.queue",
           "admin": "admin_pages.account_list"}  # fmt: skip
    assert {"pages.search", "pages.record", "api.search", "account.page", own[who]} <= set(answered)
    assert {answered[e] for e in SHARED & set(answered)} == {""}
    static = client.get("/static/" + "libnet.css")
    assert static.status_code == 200 and static.headers.get("Cache-Control") != "no-store"
    static.close()


def test_an_api_answer_to_a_token_is_no_store_and_the_open_one_is_cached(
    served: tuple[Served, int],
) -> None:
    network, _ = served
    token = network.call("GET", "/api/v1/search?q=welt", "patron")
    assert (token.status_code, token.headers["Cache-Control"]) == (200, "no-store")
    anonymous = network.client.application.test_client().get("/api/v1/search?q=welt")
    assert (anonymous.status_code, anonymous.headers["Cache-Control"]) == (
        200,
        "public, max-age=60",
    )


def test_anonymous_catalogue_pages_keep_their_caching_and_the_login_page_does_not(
    served: tuple[Served, int],
) -> None:
    network, _ = served
    client = network.client.application.test_client()
    for path in ("/", "/search?q=welt", f"/record/{network.cluster}", "/libraries"):
        answer = client.get(path)
        assert answer.status_code == 200 and "Cache-Control" not in answer.headers, path
    # the login form's CSRF token lives in this visitor's session
    assert client.get("/login").headers["Cache-Control"] == "no-store"
