"""A search too broad to answer (index/pricing.py), as each interface of the web app says it.

German texts come from webapp/translations/; the tests in German pass once they are compiled.
"""

from __future__ import annotations

from flask.testing import FlaskClient
from lxml import etree

from tests.webapp.test_sru import DIAG_1, diagnostic_uris, sru, total

# forty words with * at both ends: five times over the bound, and each a leading wildcard
FORTY = " ".join(f"*{a}{b}*" for a in "aeiou" for b in "lmnrstdg")
SIX = "ro* de* ge* li* ma* st*"  # one over the bound, no leading wildcard


def test_the_search_page_says_in_english_what_to_change(client: FlaskClient) -> None:
    response = client.get("/search", query_string={"q": FORTY, "lang": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Your search is too broad: it has more than 5 words with * or ?." in page
    assert "Please use fewer wildcards." in page
    assert 'class="too-broad" role="alert"' in page


def test_the_search_page_says_it_in_german(client: FlaskClient) -> None:
    response = client.get("/search", query_string={"q": FORTY, "lang": "de"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Ihre Suche ist zu weit gefasst: Sie enthält mehr als 5 Wörter mit * oder ?." in page


def test_the_search_page_keeps_the_query_in_the_search_box(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "*an* ro*", "lang": "en"}).get_data(True)
    assert "a * or ? at the start of a word is only allowed" in page
    assert 'value="*an* ro*"' in page


def test_a_search_page_with_one_or_two_wildcards_still_finds_titles(client: FlaskClient) -> None:
    for text in ("ro*", "*an", "ro* de*"):
        response = client.get("/search", query_string={"q": text, "lang": "en"})
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "too broad" not in page, text
        assert 'class="hit' in page, text


def test_the_api_answers_400_with_its_json_error(client: FlaskClient) -> None:
    response = client.get("/api/v1/search", query_string={"q": FORTY})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["status"], error["title"]) == (400, "Bad Request")
    assert error["detail"].startswith("q is too broad: it has more than 5 words with a wildcard")
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_the_api_names_a_leading_wildcard_among_others(client: FlaskClient) -> None:
    response = client.get("/api/v1/search", query_string={"q": "*an* ro*"})
    assert response.status_code == 400
    assert "letters before the *" in response.get_json()["error"]["detail"]


def test_the_api_still_answers_a_query_with_two_wildcards(client: FlaskClient) -> None:
    response = client.get("/api/v1/search", query_string={"q": "ro* de*"})
    assert response.status_code == 200 and response.get_json()["total"] > 0


def test_sru_answers_too_many_masked_words_with_diagnostic_30(client: FlaskClient) -> None:
    root = sru(client, operation="searchRetrieve", version="1.2", query=f'dc.title = "{SIX}"')
    assert diagnostic_uris(root) == ["info:srw/diagnostic/1/30"]
    assert root.findtext(f".//{{{DIAG_1}}}details") == "5"
    assert root.findtext(f".//{{{DIAG_1}}}message") == "Too many masking characters in term"


def test_sru_still_answers_two_masked_words(client: FlaskClient) -> None:
    root = sru(client, operation="searchRetrieve", version="1.2", query='dc.title any "ro* de*"')
    assert not diagnostic_uris(root) and total(root) > 0


def test_the_feed_refuses_with_the_message(client: FlaskClient) -> None:
    response = client.get("/feed", query_string={"q": FORTY, "lang": "en"})
    assert response.status_code == 400
    assert "Your search is too broad" in response.get_data(as_text=True)


def test_the_feed_of_a_wildcard_search_is_a_feed(client: FlaskClient) -> None:
    response = client.get("/feed", query_string={"q": "ro*"})
    assert response.status_code == 200
    entries = etree.fromstring(response.data).findall("{http://www.w3.org/2005/Atom}entry")
    assert entries
