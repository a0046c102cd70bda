"""The application shell: error pages, security headers, the language choice."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_an_unknown_page_is_a_404_in_the_layout(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert '<main id="main"' in page and 'role="search"' in page
    assert "Seite nicht gefunden" in page or "Page not found" in page


def test_an_unknown_api_address_answers_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"]["status"] == 404


def test_every_answer_has_the_security_headers(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_language_switch_is_remembered(client: FlaskClient) -> None:
    response = client.get("/no/such/page?lang=en")
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert "lang=en" in response.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/no/such/page").get_data(as_text=True)


def test_accept_language_is_honoured_and_german_is_the_default(client: FlaskClient) -> None:
    english = client.get("/x", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert '<html lang="de">' in client.get("/x").get_data(as_text=True)


def test_an_index_of_an_older_libnet_is_a_503_not_a_500(tmp_path, demo_config) -> None:
    from dataclasses import replace

    from index.update import CURSOR, index_path
    from webapp import create_app

    data_dir = tmp_path / "var"
    (data_dir / "index-old").mkdir(parents=True)
    (data_dir / "index-old" / CURSOR).write_text('{"cluster_change_no": 1, "schema": 1}')
    index_path(data_dir).symlink_to("index-old")
    config = replace(demo_config, storage=replace(demo_config.storage, data_dir=data_dir))
    client = create_app(config, TESTING=True).test_client()
    assert client.get("/search?q=welt").status_code == 503
    assert client.get("/api/v1/search?q=welt").status_code == 503
