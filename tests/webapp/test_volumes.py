"""Volumes of a multi-volume work on the pages and in the API, over the demo catalogue (its
multipart works: 245 $a the work, $n "Bd. 2" or "Band 2", $p the volume's own title)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from lxml import html

from index.search import Hit
from libnet.records.volumes import volume_key
from webapp.catalogue.blueprint import volume_label

API = "/api/v1"


def a_volume(app: Flask) -> Hit:
    """A hit that is a volume of a multi-volume work with its own title."""
    hits = app.extensions["libnet"].index.search("*", page_size=1000).hits
    found = next((hit for hit in hits if hit.volume and hit.part), None)
    assert found is not None, "the demo catalogue has no multi-volume work"
    return found


def page(client: FlaskClient, url: str) -> html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.fromstring(response.get_data(as_text=True))


def test_a_volume_is_labelled_with_its_number_and_its_own_title() -> None:
    assert volume_label("Bd. 2", "Aus dem Nachlass") == "Bd. 2: Aus dem Nachlass"
    assert volume_label("", "Aus dem Nachlass") == "Aus dem Nachlass"


def test_the_record_page_names_the_volume_beside_the_title(client: FlaskClient, app: Flask) -> None:
    hit = a_volume(app)
    tree = page(client, f"/record/{hit.id}?lang=en")
    label = f"{hit.volume}: {hit.part}"
    assert tree.xpath("//h1")[0].text_content().startswith(f"{hit.title}. {label}")
    assert tree.xpath("//title")[0].text_content().startswith(f"{hit.title}. {label} · ")
    volume_row = tree.xpath("//dt[text()='Volume']/following-sibling::dd[1]")[0]
    assert volume_row.text_content().startswith(label)


def test_all_volumes_lists_the_works_volumes_in_their_order(
    client: FlaskClient, app: Flask
) -> None:
    hit = a_volume(app)
    record = page(client, f"/record/{hit.id}?lang=en")
    link = record.xpath("//a[text()='All volumes']/@href")[0]
    assert parse_qs(urlsplit(link).query) == {"q": [f'work:"{hit.title}"'], "sort": ["title"]}
    listing = page(client, link)
    titles = [h.text_content() for h in listing.xpath("//h3[@class='hit-title']")]
    assert f"{hit.title}. {hit.volume}: {hit.part}" in titles and len(titles) >= 2
    volumes = [t.removeprefix(f"{hit.title}. ").split(":")[0] for t in titles]
    assert all(t.startswith(hit.title) for t in titles)
    assert volumes == sorted(volumes, key=volume_key)


def test_the_api_gives_the_volume_of_a_hit_and_a_record(client: FlaskClient, app: Flask) -> None:
    hit = a_volume(app)
    record = client.get(f"{API}/records/{hit.id}").get_json()
    assert (record["volume"], record["part"]) == (hit.volume, hit.part)
    found = client.get(f"{API}/search", query_string={"q": f'work:"{hit.title}"'}).get_json()
    assert {(h["id"], h["volume"]) for h in found["hits"]} >= {(hit.id, hit.volume)}
    assert all("volume" in h and "part" in h for h in found["hits"])


def test_the_exports_give_the_volumes_number(client: FlaskClient, app: Flask) -> None:
    hit = a_volume(app)
    number = hit.volume.split()[-1]
    ris = client.get(f"/record/{hit.id}/export/ris").get_data(as_text=True)
    assert f"VL  - {number}\r\n" in ris
    bibtex = client.get(f"/record/{hit.id}/export/bibtex").get_data(as_text=True)
    assert f"  volume = {{{number}}},\n" in bibtex
