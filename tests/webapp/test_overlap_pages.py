"""/staff/overlap and its CSV and XLSX: who sees which library, the lists, the files, the charts.

The catalogue of tests/libnet/test_overlap.py, served, with its orders placed counting back
from now: Marl alone holds "Stadtgeschichte Marl", Herten alone "Kochen für alle"; Marl, Herten
and Datteln hold "Die Vermessung der Welt"; Herten, Datteln and Dorsten "Weltatlas", which
patrons of Marl ordered twice in the last year (and once before).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from index.update import update_index
from libnet import accounts, overlap
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from tests.libnet.test_loans import PASSWORD
from tests.libnet.test_overlap import Holdings
from tests.webapp.test_login import log_in
from webapp import create_app

LIBRARIES = ("datteln", "herten", "marl", "dorsten", "kreis")
THRESHOLDS = "n=3&k=2"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    tmp_path = tmp_path_factory.mktemp("overlap-pages")
    storage = StorageConfig(tmp_path / "var")
    storage.data_dir.mkdir()
    holdings = Holdings(tmp_path, storage.url, now=datetime.now(UTC))
    update_index(holdings.catalogue.store, storage.data_dir)
    with holdings.engine.begin() as conn:
        for role, library, name in (("librarian", "marl", "Team marl"),
                                    ("librarian", "herten", "Team herten"),
                                    ("admin", "kreis", "Kreis")):  # fmt: skip
            accounts.add_user(conn, role=role, library=library, name=name, password=PASSWORD)
    libraries = tuple(LibraryConfig(code, code.title(), SourceConfig("marc", str(tmp_path / code)))
                      for code in LIBRARIES)  # fmt: skip
    return create_app(Config(tmp_path / "config.toml", storage, libraries), TESTING=True)


def client_of(app, login: str | None) -> FlaskClient:
    client = app.test_client()
    if login:
        assert log_in(client, login).status_code == 302
    return client


def page(client: FlaskClient, query: str = THRESHOLDS) -> tuple[int, str]:
    answer = client.get(f"/staff/overlap?{query}&lang=en")
    return answer.status_code, answer.get_data(as_text=True)


def titles_listed(html: str) -> list[str]:
    table = html[
        html.index('id="overlap-titles"') : html.index(
            "</table>", html.index('id="overlap-titles"')
        )
    ]
    return sorted(re.findall(r'<a href="/record/\d+">([^<]+)</a>', table))


def csv_rows(client: FlaskClient, query: str) -> list[list[str]]:
    answer = client.get(f"/staff/overlap.csv?{query}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="libnet-overlap-')
    return list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))


def test_a_visitor_is_sent_to_log_in_and_a_patron_is_refused(app) -> None:
    for path in ("/staff/overlap", "/staff/overlap.csv", "/staff/overlap.xlsx"):
        answer = client_of(app, None).get(path)
        assert answer.status_code == 302 and urlsplit(answer.headers["Location"]).path == "/login"
        assert client_of(app, "M0").get(path).status_code == 403  # a patron of Marl


def test_a_librarian_of_marl_sees_marls_lists_and_no_other_library(app) -> None:
    marl = client_of(app, "Team marl")
    status, html = page(marl)
    assert status == 200 and "<h1>Holdings overlap · Marl</h1>" in html
    assert titles_listed(html) == ["Stadtgeschichte Marl"]
    assert titles_listed(page(marl, f"{THRESHOLDS}&list=many")[1]) == ["Die Vermessung der Welt"]
    assert titles_listed(page(marl, f"{THRESHOLDS}&list=ordered")[1]) == ["Weltatlas"]
    assert 'id="overlap-library"' not in html  # nothing to choose
    assert page(marl, f"{THRESHOLDS}&library=marl")[0] == 200
    for path in ("/staff/overlap", "/staff/overlap.csv", "/staff/overlap.xlsx"):
        assert marl.get(f"{path}?library=herten").status_code == 403
        assert marl.get(f"{path}?library=").status_code == 200  # "" is their own


def test_the_county_staff_see_all_libraries_and_may_choose_one(app) -> None:
    kreis = client_of(app, "Kreis")
    status, html = page(kreis)
    assert status == 200 and "<h1>Holdings overlap · All libraries</h1>" in html
    assert titles_listed(html) == ["Kochen für alle", "Stadtgeschichte Marl"]
    assert titles_listed(page(kreis, f"{THRESHOLDS}&list=many")[1]) == [
        "Die Vermessung der Welt", "Weltatlas"]  # fmt: skip
    herten = page(kreis, f"{THRESHOLDS}&library=herten")[1]
    assert "<h1>Holdings overlap · Herten</h1>" in herten
    assert titles_listed(herten) == ["Kochen für alle"]
    assert '<option value="herten" selected>' in herten


def test_a_long_list_is_paged_with_links_to_each_page(app, monkeypatch) -> None:
    monkeypatch.setattr(overlap, "PAGE_SIZE", 1)
    kreis = client_of(app, "Kreis")
    first = page(kreis)[1]
    assert "page 1 of 2" in first and "page=2" in first
    second = page(kreis, f"{THRESHOLDS}&page=2")
    assert second[0] == 200 and "page 2 of 2" in second[1]
    listed = titles_listed(first) + titles_listed(second[1])
    assert sorted(listed) == ["Kochen für alle", "Stadtgeschichte Marl"]


def test_a_list_is_narrowed_by_subject_and_decade(app) -> None:
    kreis = client_of(app, "Kreis")
    assert titles_listed(page(kreis, f"{THRESHOLDS}&subject=Marl")[1]) == ["Stadtgeschichte Marl"]
    assert titles_listed(page(kreis, f"{THRESHOLDS}&subject=-")[1]) == ["Kochen für alle"]
    assert titles_listed(page(kreis, f"{THRESHOLDS}&decade=none")[1]) == ["Kochen für alle"]
    many = page(kreis, f"{THRESHOLDS}&list=many&decade=2010")[1]
    assert titles_listed(many) == ["Weltatlas"]
    assert "No title is on this list." in page(kreis, f"{THRESHOLDS}&decade=1800")[1]


def test_the_csv_gives_the_whole_list_as_chosen(app) -> None:
    kreis = client_of(app, "Kreis")
    rows = csv_rows(kreis, f"{THRESHOLDS}&list=many&sort=-subject")
    assert rows[0] == ["cluster_id", "title", "subject", "decade", "libraries", "orders"]
    assert [row[1:] for row in rows[1:]] == [
        ["Die Vermessung der Welt", "Roman", "2000", "3", "0"],
        ["Weltatlas", "Geografie", "2010", "3", "2"],
    ]
    marl = csv_rows(client_of(app, "Team marl"), f"{THRESHOLDS}&list=ordered")
    assert [row[1:] for row in marl[1:]] == [["Weltatlas", "Geografie", "2010", "3", "2"]]


def test_the_workbook_has_the_list_and_its_tallies(app) -> None:
    answer = client_of(app, "Team marl").get(f"/staff/overlap.xlsx?{THRESHOLDS}&list=only")
    assert answer.status_code == 200
    assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(answer.get_data()), read_only=True)
    assert book.sheetnames == ["only", "by subject", "by decade", "settings"]
    only = [list(row) for row in book["only"].iter_rows(values_only=True)]
    assert only[0] == ["cluster_id", "title", "subject", "decade", "libraries", "orders"]
    assert only[1][1:] == ["Stadtgeschichte Marl", "Marl", 1995 // 10 * 10, 1, 0]
    assert isinstance(only[1][0], int) and len(only) == 2
    by_subject = {
        row[0]: row[1:] for row in book["by subject"].iter_rows(min_row=2, values_only=True)
    }
    assert by_subject == {"Marl": (1, 0, 0), "Roman": (0, 1, 0), "Geografie": (0, 0, 1)}
    settings = dict(book["settings"].iter_rows(values_only=True))
    assert (settings["library"], settings["n"], settings["k"]) == ("marl", 3, 2)


def test_the_charts_draw_the_tallies_with_title_and_description(app) -> None:
    html = page(client_of(app, "Kreis"), f"{THRESHOLDS}&k=1")[1]
    for chart, title in (("chart-subjects", "Titles per subject"),
                         ("chart-decades", "Titles per decade")):  # fmt: skip
        assert f'<title id="{chart}-title">{title}</title>' in html
        assert f'<desc id="{chart}-desc">The numbers are in the table below.</desc>' in html
    start = html.index('<title id="chart-decades-title">')
    drawn = re.findall(
        r'<text class="chart-value"[^>]*>(\d+)</text>', html[start : html.index("</svg>", start)]
    )
    table = html[html.index('id="overlap-by-decade"') :]
    table = table[: table.index("</table>")]
    counted = re.findall(r'<td data-label="[^"]*">(\d+)</td>', table)
    assert drawn == counted and len(drawn) == 4 * 3  # four decades (one: no year), three lists
    main = html[html.index("<main") : html.index("</main>")]
    assert "style=" not in html and "<script" not in main  # drawn without a script


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("n=1", "N is a number of libraries from 2 to 99."),
        ("k=0", "K is a number of orders from 1 to 9999."),
        ("k=viele", "K is a whole number, not viele."),
        ("list=alle", "There is no list alle: choose only, many or ordered."),
        ("decade=1995", "A decade is a year ending in 0, such as 1990, not 1995."),
        ("sort=title", "The list cannot be sorted by title."),
        ("page=9", "There is no page 9 of this list."),
        ("library=nowhere", "There is no library with the code nowhere."),
    ],
)
def test_a_bad_parameter_is_explained_and_never_a_500(app, query: str, message: str) -> None:
    kreis = client_of(app, "Kreis")
    status, html = page(kreis, query)
    assert status == 400 and message in html
    if query != "page=9":  # a file has no pages
        answer = kreis.get(f"/staff/overlap.csv?{query}&lang=en")
        assert answer.status_code == 400 and message in answer.get_data(as_text=True)
