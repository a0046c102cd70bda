"""The catalogue's HTML pages over the demo catalogue: search, record, exports, libraries."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pymarc
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree, html

from harvesters.run import harvest_all
from index.analysis import fold
from index.document import ClusterDoc
from index.grouping import apply_override
from index.match import RULES
from index.search import SORTS, Hit
from index.update import update_index
from libnet import accounts
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.records.formats import FORMATS
from libnet.records.holdings import ITEM_STATUSES
from libnet.store import clusters, open_store
from libnet.store.clusters import ALWAYS, Override
from tests.builders import book, iso2709
from tests.webapp.conftest import STAFF_PASSWORD
from tests.webapp.test_login import log_in
from webapp import create_app
from webapp.catalogue.search import MAX_PAGE, PAGE_SIZE, Search
from webapp.labels import FORMAT_LABELS, RULE_LABELS, SORT_LABELS, STATUS_LABELS
from webapp.state import Catalogue

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "webapp" / "translations"
MARCXML_NS = "http://www.loc.gov/MARC21/slim"
MARKUP_TITLE = "<script>alert('title')</script> Abenteuer"


# --- helpers -----------------------------------------------------------------------------


def page(client: FlaskClient, url: str, status: int = 200) -> html.HtmlElement:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.fromstring(response.get_data(as_text=True))


def with_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def text(element: html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def hit_ids(tree: html.HtmlElement) -> list[int]:
    links = tree.xpath(f"//ol[{with_class('hits')}]//h3/a/@href")
    return [int(urlsplit(href).path.rsplit("/", 1)[1]) for href in links]


def hit_of(tree: html.HtmlElement, cluster_id: int) -> html.HtmlElement:
    """The hit of a cluster in a hit list (its links carry the way back: ?back=)."""
    link = f"starts-with(@href, '/record/{cluster_id}?')"
    return tree.xpath(f"//li[{with_class('hit')}][.//a[{link}]]")[0]


def hit_count(tree: html.HtmlElement) -> int:
    """The number of hits the page reports, from "Hits 1–20 of 208" or "7 hits"."""
    status = text(tree.xpath(f"//p[{with_class('result-count')}]")[0])
    return int(re.sub(r"\D", "", status.split()[-1] if "of" in status else status.split()[0]))


def facet_links(tree: html.HtmlElement, name: str) -> list[html.HtmlElement]:
    return tree.xpath(f"//section[{with_class('facet-' + name)}]//a[{with_class('facet-value')}]")


def count_of(link: html.HtmlElement) -> int:
    """The count a facet link shows."""
    return int(re.sub(r"\D", "", text(link.xpath(".//span[@class='count']")[0])))


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def catalogue_of(app: Flask) -> Catalogue:
    return app.extensions["libnet"]


def every_hit(app: Flask) -> list[Hit]:
    return list(catalogue_of(app).index.search("*", page_size=1000).hits)


def shared_cluster(app: Flask) -> ClusterDoc:
    """A cluster held by three or more libraries, with authors and subjects."""
    for hit in every_hit(app):
        doc = catalogue_of(app).index.get(hit.id)
        if doc and len(doc.libraries) >= 3 and doc.authors and doc.subjects:
            return doc
    raise AssertionError("the demo catalogue has no title held by three libraries")


# --- home, search ------------------------------------------------------------------------


def test_home_page_has_a_labelled_search_box_and_what_the_catalogue_holds(
    client: FlaskClient, app: Flask
) -> None:
    tree = page(client, "/?lang=en")
    assert len(tree.xpath("//h1")) == 1
    box = tree.xpath("//input[@id='q']")[0]
    assert box.get("name") == "q" and tree.xpath("//label[@for='q']")
    assert box.get("data-complete") == "/api/v1/complete"
    titles = catalogue_of(app).index.count()
    assert f"{titles:,} titles" in text(tree)
    assert tree.xpath("//a[@href='/libraries']")
    assert tree.xpath("//ul[@class='entry-points']//a[@href='/search?format=book']")


def test_search_shows_one_hit_per_cluster_with_the_libraries_holding_it(
    client: FlaskClient, app: Flask
) -> None:
    doc = shared_cluster(app)
    tree = page(client, f'/search?q="{doc.title}"&lang=en')
    ids = hit_ids(tree)
    assert ids.count(doc.id) == 1 and len(ids) == len(set(ids))
    hit = hit_of(tree, doc.id)
    held = [text(e) for e in hit.xpath(f".//span[{with_class('library')}]")]
    names = {catalogue_of(app).library_name(code) for code in doc.libraries}
    assert held and set(held) <= names
    assert hit.xpath(f".//span[{with_class('status')}]")


def test_the_home_library_comes_first_and_is_remembered(client: FlaskClient, app: Flask) -> None:
    doc = shared_cluster(app)
    home = doc.libraries[-1]
    response = client.get(f'/search?q="{doc.title}"&home={home}')
    assert f"home={home}" in response.headers["Set-Cookie"]
    for url in (f'/search?q="{doc.title}"&home={home}', f'/search?q="{doc.title}"'):
        tree = page(client, url)  # the second from the cookie
        hit = tree.xpath(
            f"//li[{with_class('hit')}][.//a[starts-with(@href, '/record/{doc.id}?')]]"
        )[0]
        first = hit.xpath(f".//ul[{with_class('hit-holdings')}]/li")[0]
        assert text(first).startswith(catalogue_of(app).library_name(home))
        assert tree.xpath(f"//select[@id='home']/option[@value='{home}'][@selected]")
    cleared = client.get("/search?q=a&home=")
    assert "home=;" in cleared.headers["Set-Cookie"]  # an empty choice deletes the cookie


def test_a_facet_link_filters_and_its_chip_removes_the_filter(client: FlaskClient) -> None:
    start = "/search?q=der&lang=en"
    tree = page(client, start)
    total = hit_count(tree)
    link = facet_links(tree, "format")[0]
    count = count_of(link)
    assert count < total
    filtered = page(client, link.get("href"))
    assert hit_count(filtered) == count
    chip = filtered.xpath(f"//ul[{with_class('chips')}]//a[{with_class('chip')}]")[0]
    assert "Remove filter" in text(chip)
    assert hit_count(page(client, chip.get("href"))) == total


def test_the_subject_facet_finds_exactly_what_it_counted(client: FlaskClient) -> None:
    tree = page(client, "/search?q=*&lang=en")
    links = facet_links(tree, "subject")
    assert links
    for link in links[:5]:
        assert query(link.get("href"))["subject"]
        assert hit_count(page(client, link.get("href"))) == count_of(link)


def test_a_second_library_widens_the_search_as_its_count_says(client: FlaskClient) -> None:
    tree = page(client, "/search?library=marl&lang=en")
    marl = hit_count(tree)
    facet = facet_links(tree, "library")
    active = [a for a in facet if "active" in a.get("class")]
    other = next(a for a in facet if "active" not in a.get("class"))
    assert len(active) == 1 and query(active[0].get("href")) == {}  # the link removes it
    count = count_of(other)
    widened = page(client, other.get("href"))
    assert "marl" in query(other.get("href"))["library"]
    # the count of a library is that of its titles alone: marl's and its own together are more
    assert max(marl, count) < hit_count(widened) <= marl + count


def test_filters_alone_browse_the_catalogue(client: FlaskClient, app: Flask) -> None:
    formats = dict(catalogue_of(app).index.search("*", page_size=1).facets["format"])
    assert hit_count(page(client, "/search?format=audiobook&lang=en")) == formats["audiobook"]


@pytest.mark.parametrize(("sort", "newest_first"), [("year_desc", True), ("year_asc", False)])
def test_sort_by_year_orders_the_hits(
    client: FlaskClient, app: Flask, sort: str, newest_first: bool
) -> None:
    tree = page(client, f"/search?format=book&sort={sort}")
    assert tree.xpath(f"//select[@id='sort']/option[@value='{sort}'][@selected]")
    years = [catalogue_of(app).index.get(cluster_id).year or 0 for cluster_id in hit_ids(tree)]
    assert len(years) == PAGE_SIZE and years == sorted(years, reverse=newest_first)


def test_sort_by_title_orders_the_hits_alphabetically(client: FlaskClient, app: Flask) -> None:
    tree = page(client, "/search?format=book&sort=title")
    keys = [fold(text(a)) for a in tree.xpath(f"//ol[{with_class('hits')}]//h3/a")]
    assert len(keys) == PAGE_SIZE and keys == sorted(keys)


def test_the_sort_form_keeps_the_search(client: FlaskClient) -> None:
    tree = page(client, "/search?q=der&format=book")
    subject = tree.xpath(f"//section[{with_class('facet-subject')}]//a/@href")[0]
    heading = query(subject)["subject"][0]
    form = page(client, subject).xpath("//form[@id='result-options']")[0]
    hidden = {(i.get("name"), i.get("value")) for i in form.xpath(".//input[@type='hidden']")}
    assert hidden == {("q", "der"), ("format", "book"), ("subject", heading)}
    assert form.get("method") == "get" and form.xpath(".//button[@type='submit']")


def test_paging_shows_the_range_and_links_to_the_next_page(client: FlaskClient) -> None:
    first = page(client, "/search?format=book&lang=en")
    total = hit_count(first)
    assert total > 2 * PAGE_SIZE
    pager = first.xpath("//nav[@class='pager']")[0]
    next_url = pager.xpath(".//a[@rel='next']/@href")[0]
    assert query(next_url)["page"] == ["2"]
    second = page(client, next_url)
    assert f"Hits 21–40 of {total}" in text(second)
    (current,) = second.xpath("//nav[@class='pager']//a[@aria-current='page']")
    assert text(current).endswith(" 2")
    assert not set(hit_ids(first)) & set(hit_ids(second))
    assert second.xpath("//nav[@class='pager']//a[@rel='prev']")
    german = page(client, "/search?format=book&page=2&lang=de")
    assert f"Treffer 21–40 von {total}" in text(german)


def test_a_page_past_the_last_shows_a_way_back(client: FlaskClient) -> None:
    tree = page(client, f"/search?format=music&page={MAX_PAGE}&lang=en")
    assert not hit_ids(tree)
    back = tree.xpath(f"//p[{with_class('past-last')}]/a/@href")[0]
    assert hit_ids(page(client, back))


def test_a_misspelt_search_offers_the_corrected_one(client: FlaskClient, app: Flask) -> None:
    titles = [hit.title for hit in every_hit(app)]
    words = sorted({w for title in titles for w in re.findall(r"\w{7,}", title) if w.isalpha()})
    word = words[0]
    typo = word[:3] + word[4:]  # one letter left out
    tree = page(client, f"/search?q={typo}&lang=en")
    offered = tree.xpath(f"//p[{with_class('suggestion')}]/a")
    assert offered, f"no suggestion for {typo!r}"
    assert "Did you mean" in text(tree.xpath(f"//p[{with_class('suggestion')}]")[0])
    assert hit_ids(page(client, offered[0].get("href")))


def test_a_suggestion_keeps_the_chosen_subjects_out_of_the_search_box() -> None:
    chosen = Search(q="Bagersee", subjects=("Krimi",))
    assert chosen.engine_text() == '(Bagersee) subject_facet:"Krimi"'
    assert chosen.patron_text('(Baggersee) subject_facet:"Krimi"') == "Baggersee"
    assert chosen.patron_text('(Baggersee) subject_facet:"Krim"') is None
    assert Search(subjects=("Krimi",)).engine_text() == 'subject_facet:"Krimi"'
    assert Search(filters={"format": ("book",)}).engine_text() == "*"


def test_an_empty_result_helps_to_find_something(client: FlaskClient) -> None:
    tree = page(client, "/search?q=qqxzzq+wwxyyv&format=book&lang=en")
    assert "No titles found" in text(tree.xpath("//h1")[0])
    advice = text(tree.xpath(f"//section[{with_class('no-hits')}]")[0])
    assert "Check the spelling" in advice and "fewer words" in advice
    links = [query(href) for href in tree.xpath(f"//section[{with_class('no-hits')}]//a/@href")]
    assert {"q": ["qqxzzq"], "format": ["book"]} in links  # one word alone
    assert {"q": ["qqxzzq wwxyyv"]} in links  # the filter removed


def test_the_search_page_without_a_search_shows_the_search_box(client: FlaskClient) -> None:
    tree = page(client, "/search")
    assert tree.xpath("//form[@role='search']//input[@name='q']")
    assert not tree.xpath(f"//ol[{with_class('hits')}]")
    assert not tree.xpath(f"//p[{with_class('search-hint')}]")  # nothing was sent yet


def test_an_empty_search_says_what_to_type(client: FlaskClient) -> None:
    for url in ("/search?q=&lang=en", "/search?q=+++&lang=en"):
        tree = page(client, url)
        [hint] = tree.xpath(f"//p[{with_class('search-hint')}]")
        assert "Please type what you are looking for" in text(hint), url
        assert tree.xpath("//form[@role='search']//input[@name='q']")
    tree = page(client, "/search?q=&lang=de")
    assert "Bitte geben Sie ein, wonach Sie suchen" in text(tree.xpath("//p[@role='status']")[0])


@pytest.mark.parametrize(
    ("typed", "reason", "searched"),
    [
        ("title=(((", "a bracket or quotation mark has no partner", "title"),
        ('"Vermessung der Welt', "a bracket or quotation mark has no partner", "vermessung"),
        ("title: Welt", "a field name such as title: has no word after it", "welt"),
        ("Welt AND", "AND, OR or NOT stands where", "welt"),
    ],
)
def test_a_mistyped_search_says_so_and_searches_its_words_without_guessing(
    client: FlaskClient, typed: str, reason: str, searched: str
) -> None:
    tree = page(client, f"/search?q={quote(typed)}&lang=en")
    [said] = tree.xpath(f"//p[{with_class('not-understood')}]")
    assert "was not understood as typed" in text(said) and reason in text(said), text(said)
    assert searched in text(said)
    assert not tree.xpath(f"//p[{with_class('suggestion')}]")  # no "till=(((" for "title=((("


def test_a_search_of_syntax_alone_says_it_has_no_word(client: FlaskClient) -> None:
    tree = page(client, "/search?q=(((&lang=en")
    [said] = tree.xpath(f"//p[{with_class('not-understood')}]")
    assert "it has no word to search for" in text(said)
    assert "No titles found" in text(tree.xpath("//h1")[0])


def test_a_well_formed_search_gets_no_syntax_note(client: FlaskClient) -> None:
    tree = page(client, '/search?q=title:"Welt"+AND+Kehlmann&lang=en')
    assert not tree.xpath(f"//p[{with_class('not-understood')}]")


# --- the record page ---------------------------------------------------------------------


def test_record_page_shows_the_title_and_every_library_holding(
    client: FlaskClient, app: Flask
) -> None:
    doc = shared_cluster(app)
    tree = page(client, f"/record/{doc.id}?lang=en")
    assert len(tree.xpath("//h1")) == 1 and doc.title in text(tree.xpath("//h1")[0])
    table = tree.xpath("//table[@id='holdings']")[0]
    columns = 5 if any(h.ill_code for h in doc.holdings) else 4  # ILL codes: a column more
    assert table.xpath(".//caption") and len(table.xpath(".//thead//th[@scope='col']")) == columns
    rows = table.xpath(".//tbody/tr")
    assert len(rows) == len(doc.holdings)
    names = {text(row.xpath("./th")[0]).replace(" my library", "") for row in rows}
    assert names == {catalogue_of(app).library_name(code) for code in doc.libraries}
    author = tree.xpath(f"//a[text()='{doc.authors[0]}']/@href")[0]
    assert query(author)["q"] == [f'author:"{doc.authors[0]}"']
    assert doc.id in hit_ids(page(client, author))


def test_a_record_page_leads_back_to_the_hit_list_it_was_found_in(
    client: FlaskClient, app: Flask
) -> None:
    doc = shared_cluster(app)
    assert not page(client, f"/record/{doc.id}?lang=en").xpath("//p[@class='back-link']")
    hits = f"/search?q=author:{doc.authors[0].split(',')[0]}&sort=year_desc&lang=en"
    answer = client.get(hits)
    assert "Set-Cookie" not in answer.headers  # the hit list stays cacheable
    tree = html.fromstring(answer.get_data(as_text=True))
    [link] = [a for a in tree.xpath("//h3[@class='hit-title']/a/@href")
              if urlsplit(a).path == f"/record/{doc.id}"]  # fmt: skip
    back = page(client, link).xpath("//p[@class='back-link']/a")
    assert [text(a) for a in back] == ["Back to the hit list"]
    assert query(back[0].get("href")) == query(hits) and back[0].get("href").startswith("/search?")


def test_a_forged_way_back_never_leads_off_the_catalogue(client: FlaskClient, app: Flask) -> None:
    doc = shared_cluster(app)
    for forged in ("https://evil.example/search?q=x", "//evil.example/search?q=x",
                   "/search?q=x\\@evil", "/account?q=x"):  # fmt: skip
        tree = page(client, f"/record/{doc.id}?back={quote(forged, safe='')}")
        assert not tree.xpath("//p[@class='back-link']"), forged


def test_the_order_box_comes_before_the_record_details(client: FlaskClient, app: Flask) -> None:
    """On a phone the order action is under the title, on a wide screen beside it (CSS)."""
    doc = shared_cluster(app)
    tree = page(client, f"/record/{doc.id}?lang=en")
    head = tree.xpath("//div[@class='record-head']")[0]
    parts = [child.tag + "." + (child.get("class") or "") for child in head]
    assert parts == ["h1.", "div.record-side", "dl.record-fields"]
    assert head.xpath("./div[@class='record-side']//h2[@id='order-heading']")


def test_a_subject_on_the_record_page_leads_to_its_titles(client: FlaskClient, app: Flask) -> None:
    doc = shared_cluster(app)
    tree = page(client, f"/record/{doc.id}")
    link = tree.xpath(f"//a[text()='{doc.subjects[0]}']/@href")[0]
    assert doc.id in hit_ids(page(client, link))


def test_staff_view_shows_each_member_record_as_marc(staff_client: FlaskClient, app: Flask) -> None:
    doc = shared_cluster(app)
    store = catalogue_of(app).store
    with store.engine.connect() as conn:
        members = clusters.members(conn, doc.id)
    for url in (f"/record/{doc.id}/staff?lang=en", f"/record/{doc.id}?view=staff&lang=en"):
        tree = page(staff_client, url)
        sections = tree.xpath(f"//section[{with_class('member')}]")
        assert len(sections) == len(members)
        for section, member in zip(sections, members, strict=True):
            assert member.local_id in text(section.xpath("./h2")[0])
            tags = [text(th) for th in section.xpath(".//table[@class='marc']/tbody/tr/th")]
            assert tags[0] == "LDR" and "245" in tags and "001" in tags
            title_row = section.xpath(".//table[@class='marc']/tbody/tr[th='245']/td")[1]
            assert "$a" in text(title_row)
            assert "Joined by" in text(section)


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("ris", "application/x-research-info-systems"),
        ("bibtex", "application/x-bibtex"),
        ("marcxml", "application/marcxml+xml"),
        ("marc", "application/marc"),
    ],
)
def test_an_export_has_its_content_type_and_a_file_name(
    client: FlaskClient, app: Flask, fmt: str, content_type: str
) -> None:
    doc = shared_cluster(app)
    response = client.get(f"/record/{doc.id}/export/{fmt}")
    assert response.status_code == 200
    assert response.mimetype == content_type
    assert re.fullmatch(r'attachment; filename="libnet-\d+-[\w-]+\.\w+"',
                        response.headers["Content-Disposition"])  # fmt: skip
    body = response.get_data()
    if fmt == "ris":
        assert body.startswith(b"TY  - ") and body.rstrip().endswith(b"ER  -")
    elif fmt == "bibtex":
        assert body.startswith(b"@") and f"libnet{doc.id}".encode() in body
    elif fmt == "marcxml":
        root = etree.fromstring(body)
        assert root.tag == f"{{{MARCXML_NS}}}record"
        assert root.xpath("//m:datafield[@tag='245']", namespaces={"m": MARCXML_NS})
    else:
        record = next(pymarc.MARCReader(io.BytesIO(body), to_unicode=True))
        assert record is not None and str(record.leader)[9] == "a" and record["245"]


def test_an_export_of_another_library_record(staff_client: FlaskClient, app: Flask) -> None:
    client = staff_client
    doc = shared_cluster(app)
    with catalogue_of(app).store.engine.connect() as conn:
        members = clusters.members(conn, doc.id)
    for member in members:
        url = f"/record/{doc.id}/export/marcxml?member={member.library}:{member.local_id}"
        root = etree.fromstring(client.get(url).get_data())
        control = root.xpath("m:controlfield[@tag='001']/text()", namespaces={"m": MARCXML_NS})
        assert control == [member.local_id]
    assert client.get(f"/record/{doc.id}/export/ris?member=nowhere:1").status_code == 404
    assert client.get(f"/record/{doc.id}/export/ris?member=garbage").status_code == 404


def test_an_unknown_export_format_is_a_404(client: FlaskClient, app: Flask) -> None:
    doc = shared_cluster(app)
    assert client.get(f"/record/{doc.id}/export/pdf").status_code == 404


def test_an_unknown_record_is_a_404_with_a_search_link(client: FlaskClient) -> None:
    tree = page(client, "/record/987654321?lang=en", status=404)
    assert "Title not found" in text(tree.xpath("//h1")[0])
    assert tree.xpath("//main//a[@href='/search']")
    assert tree.xpath("//main//form[@role='search']//input[@name='q']")


# --- the libraries page ------------------------------------------------------------------


def test_libraries_page_lists_every_library_with_its_holdings_and_last_harvest(
    client: FlaskClient, app: Flask
) -> None:
    tree = page(client, "/libraries?lang=en")
    cards = tree.xpath(f"//li[{with_class('library-card')}]")
    libraries = catalogue_of(app).libraries
    assert len(cards) == len(libraries) == 11
    held = dict(catalogue_of(app).index.search("*", page_size=1).facets["library"])
    for card, library in zip(cards, libraries, strict=True):
        assert text(card.xpath("./h2")[0]) == library.name
        titles = card.xpath(f".//a[@href='/search?library={library.code}']")[0]
        assert text(titles) == f"{held[library.code]:,} titles"
        assert card.xpath(".//a[contains(@href, 'format=book')]")
        assert card.xpath(".//time/@datetime")  # every demo library was harvested


def test_dates_follow_the_language(client: FlaskClient) -> None:
    german = text(page(client, "/libraries"))
    english = text(page(client, "/libraries?lang=en"))
    assert re.search(r"\d{2}\.\d{2}\.\d{4}", german)  # 25.11.2026, 17:02:03
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", english)  # Nov 25, 2026, 5:02:03 PM


# --- language, escaping, robustness ------------------------------------------------------


def test_german_is_the_default_and_english_can_be_chosen(client: FlaskClient) -> None:
    german = text(page(client, "/search?q=der"))
    assert "Suche eingrenzen" in german and "Medienart" in german and "Treffer" in german
    english = text(page(client, "/search?q=der&lang=en"))
    assert "Refine your search" in english and "Format" in english and "Hits" in english
    home = text(page(client, "/?lang=de"))  # the switch to English was remembered
    assert "Buch" in home and "Hörbuch" in home and "Audiobook" not in home


@pytest.mark.parametrize(
    "url",
    [
        "/search?q=a&page=-1",
        "/search?q=a&page=0",
        "/search?q=a&page=1000000000",
        "/search?q=a&page=" + "1" * 5_000,  # more digits than int() takes
        "/search?q=a&page=abc",
        "/search?q=a&page=1.5",
        "/search?q=a&page=%EF%BC%91",  # a full-width digit one
        "/search?q=a&sort=random",
        "/search?q=" + "x" * 10_000,
        "/search?q=" + "wort+" * 2_000,
        "/search?q=%ff%fe",
        "/search?q=%c3",
        "/search?q=%00",
        "/search?q=%28",
        "/search?q=%22",
        "/search?q=AND",
        "/search?q=NOT+OR",
        "/search?q=title%3A",
        "/search?q=year%3A%5Babc+TO+2010%5D",
        "/search?q=*%3F*",
        "/search?q=a&library=nowhere",
        "/search?q=a&library=" + "x" * 500,
        "/search?q=a" + "&format=book" * 50,
        "/search?q=a" + "".join(f"&library=l{n}" for n in range(50)),
        "/search?q=a&decade=%ff",
        "/search?q=a&decade=%C2%B2",  # "²".isdigit(), but int("²") raises (found by fuzzing)
        "/search?q=%28NOT+NOT+title%3A%22%22%29",  # an IndexError in Whoosh's parser (fuzzing)
        "/search?q=library%3A%22welt+welt%22",  # a phrase without positions (fuzzing)
        "/search?subject=%22%22%22",
        "/search?subject=" + "s" * 300,
        "/search?q=a&home=nowhere",
        "/search?q=a&available=marl&available=%ff",
        "/record/0",
        "/record/99999999999999999999999",
        "/record/" + "9" * 5_000,
        "/record/abc",
        "/record/1/export/%ff",
        "/record/99999999999999999999999/export/ris",
        "/?home=%ff",
    ],
)
def test_bad_parameters_never_give_a_server_error(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (200, 400, 404), response.status_code
    if response.status_code == 400:
        assert "<h1>" in response.get_data(as_text=True)


def test_pages_have_one_h1_labelled_controls_and_no_inline_script_or_style(
    client: FlaskClient, staff_client: FlaskClient, app: Flask
) -> None:
    doc = shared_cluster(app)
    public = ("/", "/search", "/search?q=der&format=book", "/search?q=qqxzzq", f"/record/{doc.id}",
              f"/record/{doc.id}/marc", "/libraries", "/record/987654321")  # fmt: skip
    member = next(iter(catalogue_of(app).store.stats()))
    staff = (f"/record/{doc.id}/staff", "/staff/corrections",
             f"/staff/corrections/split?cluster={doc.id}&other={member}:nothing",
             f"/staff/corrections/join?cluster={doc.id}&other=der")  # fmt: skip
    for who, url in [(client, url) for url in public] + [(staff_client, url) for url in staff]:
        response = who.get(url)
        tree = html.fromstring(response.get_data(as_text=True))
        assert len(tree.xpath("//h1")) == 1, url
        assert tree.xpath("//a[@class='skip-link'][@href='#main']") and tree.xpath(
            "//main[@id='main']"
        )
        assert not tree.xpath("//script[not(@src)]") and not tree.xpath("//style | //*[@style]"), (
            url
        )
        ids = tree.xpath("//@id")
        assert len(ids) == len(set(ids)), url
        for control in tree.xpath("//input[not(@type='hidden')] | //select"):
            labelled = control.get("aria-label") or tree.xpath(
                f"//label[@for='{control.get('id')}']"
            )
            assert labelled, (url, control.get("name"))
        for form in tree.xpath("//form"):
            # a visitor's forms work without script; staff post theirs with a CSRF token
            assert form.get("action") and (form.get("method") == "get" or who is staff_client)


def test_a_page_without_an_index_says_the_catalogue_is_unavailable(tmp_path: Path) -> None:
    config = Config(tmp_path / "config.toml", StorageConfig(tmp_path / "var"), ())
    client = create_app(config, TESTING=True).test_client()
    assert client.get("/").status_code == 503
    assert client.get("/search?q=a").status_code == 503


# --- a tiny catalogue of its own: markup in a title, a merged cluster ---------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FlaskClient, int, int]]:
    """A title with markup, and two clusters that a librarian joined: (client, gone, heir)."""
    folder = tmp_path_factory.mktemp("tiny")
    exports = {
        "marl": [
            book("m1", MARKUP_TITLE, isbn="978-3-16-148410-0"),
            book("m2", "Das Meer", author="Lenz, Anna", isbn="", year="1999"),
        ],
        "herten": [book("h1", "Meer und Strand", author="Lenz, Anne", isbn="", year="2001")],
    }
    libraries = []
    for code, records in exports.items():
        (folder / f"{code}.mrc").write_bytes(iso2709(*records))
        source = SourceConfig("marc", str(folder / f"{code}.mrc"))
        libraries.append(LibraryConfig(code, f"Bibliothek {code}", source))
    config = Config(folder / "config.toml", StorageConfig(folder / "var"), tuple(libraries))
    store = open_store(config.storage.url, config.storage.data_dir)
    try:
        assert all(report.ok for report in harvest_all(config, store))
        update_index(store, config.storage.data_dir)
        with store.engine.connect() as conn:
            ids = clusters.record_ids(conn, [("marl", "m2"), ("herten", "h1")])
            before = set(clusters.cluster_of(conn, ids.values()).values())
        assert len(before) == 2
        apply_override(store, Override(ALWAYS, ("marl", "m2"), ("herten", "h1")))
        update_index(store, config.storage.data_dir)
        with store.engine.begin() as conn:
            (heir,) = set(clusters.cluster_of(conn, ids.values()).values())
            accounts.add_user(conn, role="librarian", library="marl", name="Team marl",
                              password=STAFF_PASSWORD)  # fmt: skip
    finally:
        store.close()
    (gone,) = before - {heir}
    client = create_app(config, TESTING=True).test_client()
    assert log_in(client, "Team marl", STAFF_PASSWORD).status_code == 302  # for the staff view
    yield client, gone, heir


def test_a_merged_cluster_redirects_to_the_cluster_it_went_into(
    tiny: tuple[FlaskClient, int, int],
) -> None:
    client, gone, heir = tiny
    response = client.get(f"/record/{gone}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/record/{heir}"
    staff = client.get(f"/record/{gone}?view=staff")
    assert staff.status_code == 301 and staff.headers["Location"] == f"/record/{heir}?view=staff"
    export = client.get(f"/record/{gone}/export/ris")
    assert export.status_code == 301 and export.headers["Location"] == f"/record/{heir}/export/ris"
    joined = page(client, f"/record/{heir}?lang=en")
    assert len(joined.xpath("//table[@id='holdings']/tbody/tr")) == 2
    assert "joined by a librarian" in text(page(client, f"/record/{heir}/staff?lang=en"))


def test_a_title_with_markup_is_shown_as_text(tiny: tuple[FlaskClient, int, int]) -> None:
    client = tiny[0]
    response = client.get("/search?q=Abenteuer")
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    tree = html.fromstring(body)
    (record_url,) = tree.xpath(f"//ol[{with_class('hits')}]//h3/a/@href")
    assert text(tree.xpath(f"//ol[{with_class('hits')}]//h3/a")[0]) == MARKUP_TITLE
    for url in (record_url, f"{record_url}/staff"):
        body = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in body and "&lt;script&gt;alert" in body, url
        assert MARKUP_TITLE in text(html.fromstring(body).xpath("//h1")[0])


# --- the message catalogues --------------------------------------------------------------


def test_every_message_has_a_german_translation() -> None:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / "webapp", method_map, options_map, keywords=keywords
        )
    }
    with (TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        german = read_po(po)
    untranslated = sorted(
        msgid
        for msgid in found
        if msgid not in german
        or not all(
            german[msgid].string
            if isinstance(german[msgid].string, tuple)
            else [german[msgid].string]
        )
        or german[msgid].fuzzy
    )
    assert not untranslated, "run pybabel extract/update, translate, compile (see babel.cfg)"
    assert (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po").exists()


def test_every_code_the_pages_show_has_a_label() -> None:
    assert set(FORMAT_LABELS) == set(FORMATS)
    assert set(STATUS_LABELS) == set(ITEM_STATUSES)
    assert set(SORT_LABELS) == set(SORTS)
    assert set(RULE_LABELS) == {*RULES, "alone", "first", "librarian", "split"}


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_compiled_catalogue_matches_its_po_file(language: str) -> None:
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as po, (folder / "messages.mo").open("rb") as mo:
        source, compiled = read_po(po), read_mo(mo)

    def translations(catalog: Catalog) -> dict[object, object]:
        found = {}
        for message in catalog:
            msgid, msgstr = message.id, message.string
            strings = [msgstr] if isinstance(msgstr, str) else list(msgstr)
            if msgid and all(strings) and not message.fuzzy:
                found[msgid if isinstance(msgid, str) else tuple(msgid)] = tuple(strings)
        return found

    source_only = translations(source)
    # pybabel compile writes an untranslated plural message with its msgids as the translation
    compiled_only = {
        msgid: strings
        for msgid, strings in translations(compiled).items()
        if msgid in source_only or strings != (msgid if isinstance(msgid, tuple) else (msgid,))
    }
    assert compiled_only == source_only, "run pybabel compile -d webapp/translations"
