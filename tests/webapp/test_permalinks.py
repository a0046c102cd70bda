"""Permalinks that last: a merged cluster's id leads to the cluster it went into (in a chain of
merges too), a withdrawn one answers 410 with a search for its title, an id never given out
404 — on the record page, in the JSON API, in OAI-PMH and in SRU alike."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree, html

from tests.webapp.conftest import Permalinks
from webapp.oai.records import ID_PREFIX

OAI = "{http://www.openarchives.org/OAI/2.0/}"
MARC = "{http://www.loc.gov/MARC21/slim}"


@pytest.mark.parametrize("old", ["first", "middle"])
def test_a_merged_cluster_redirects_to_the_end_of_its_chain_of_merges(
    permalinks: Permalinks, old: str
) -> None:
    response = permalinks.client.get(f"/record/{getattr(permalinks, old)}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/record/{permalinks.last}"
    assert permalinks.client.get(response.headers["Location"]).status_code == 200


@pytest.mark.parametrize("old", ["first", "middle"])
def test_the_api_redirects_a_merged_cluster_to_the_new_api_address(
    permalinks: Permalinks, old: str
) -> None:
    response = permalinks.client.get(f"/api/v1/records/{getattr(permalinks, old)}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/api/v1/records/{permalinks.last}"
    assert permalinks.client.get(response.headers["Location"]).get_json()["id"] == permalinks.last


@pytest.mark.parametrize(("language", "words"), [("en", "no longer in the catalogue"),
                                                 ("de", "nicht mehr im Katalog")])  # fmt: skip
def test_a_withdrawn_cluster_is_a_410_page_that_offers_a_search_for_its_title(
    permalinks: Permalinks, language: str, words: str
) -> None:
    response = permalinks.client.get(f"/record/{permalinks.gone}?lang={language}")
    assert response.status_code == 410
    tree = html.fromstring(response.get_data(as_text=True))
    assert words in " ".join(tree.xpath("//main")[0].text_content().split())
    (link,) = tree.xpath("//a[contains(@class, 'search-for')]/@href")
    address = urlsplit(link)
    assert address.path == "/search"
    assert parse_qs(address.query) == {"q": [permalinks.gone_title]}
    assert tree.xpath("//input[@id='q-error']/@value") == [permalinks.gone_title]


def test_the_api_answers_a_withdrawn_cluster_with_410_naming_its_title_and_a_search(
    permalinks: Permalinks,
) -> None:
    response = permalinks.client.get(f"/api/v1/records/{permalinks.gone}")
    assert response.status_code == 410
    error = response.get_json()["error"]
    assert error["status"] == 410 and error["record_title"] == permalinks.gone_title
    assert permalinks.gone_title in error["detail"]
    search = permalinks.client.get(error["search"])
    assert search.status_code == 200
    assert urlsplit(error["search"]).path == "/api/v1/search"


@pytest.mark.parametrize("url", ["/record/{never}", "/api/v1/records/{never}"])
def test_an_id_never_given_out_stays_a_404(permalinks: Permalinks, url: str) -> None:
    response = permalinks.client.get(url.format(never=permalinks.never))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "cluster_id", ["abc", "12abc", "-1", "0", "1.5", "99999999999999999999999999", "2147483648"]
)
@pytest.mark.parametrize("prefix", ["/record/", "/api/v1/records/"])
def test_an_id_that_is_no_number_or_too_big_is_a_404(
    permalinks: Permalinks, prefix: str, cluster_id: str
) -> None:
    assert permalinks.client.get(prefix + cluster_id).status_code == 404


def oai_header(permalinks: Permalinks, cluster_id: int) -> etree._Element:
    response = permalinks.client.get(
        "/oai",
        query_string={"verb": "GetRecord", "identifier": f"{ID_PREFIX}{cluster_id}",
                      "metadataPrefix": "marc21"},
    )  # fmt: skip
    root = etree.fromstring(response.data)
    assert root.find(f"{OAI}error") is None, response.data
    return root.find(f"{OAI}GetRecord/{OAI}record/{OAI}header")


@pytest.mark.parametrize("old", ["gone", "first", "middle"])
def test_oai_get_record_of_a_withdrawn_or_merged_cluster_is_a_deleted_header(
    permalinks: Permalinks, old: str
) -> None:
    header = oai_header(permalinks, getattr(permalinks, old))
    assert header.get("status") == "deleted"
    assert header.findtext(f"{OAI}identifier") == f"{ID_PREFIX}{getattr(permalinks, old)}"
    assert oai_header(permalinks, permalinks.last).get("status") is None


def test_oai_declares_that_it_keeps_deleted_records_for_good(permalinks: Permalinks) -> None:
    root = etree.fromstring(permalinks.client.get("/oai?verb=Identify").data)
    assert root.findtext(f"{OAI}Identify/{OAI}deletedRecord") == "persistent"


def sru_ids(permalinks: Permalinks, query: str) -> list[int]:
    response = permalinks.client.get("/sru", query_string={"query": query, "version": "1.2"})
    root = etree.fromstring(response.data)
    return [int(e.text) for e in root.iter(f"{MARC}controlfield") if e.get("tag") == "001"]


@pytest.mark.parametrize("old", ["first", "middle"])
def test_sru_rec_id_of_a_merged_cluster_finds_the_cluster_it_went_into(
    permalinks: Permalinks, old: str
) -> None:
    assert sru_ids(permalinks, f"rec.id = {getattr(permalinks, old)}") == [permalinks.last]
    both = sru_ids(permalinks, f'rec.id any "{permalinks.first} {permalinks.middle}"')
    assert both == [permalinks.last]


def test_sru_rec_id_of_a_withdrawn_or_unknown_cluster_finds_nothing(
    permalinks: Permalinks,
) -> None:
    assert sru_ids(permalinks, f"rec.id = {permalinks.gone}") == []
    assert sru_ids(permalinks, f"rec.id = {permalinks.never}") == []
    assert sru_ids(permalinks, "rec.id = 99999999999999999") == []
