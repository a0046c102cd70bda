"""/staff/statistics and its CSV: who sees which rows, the filters, the charts, the download.

The network of tests/libnet/test_loans.py, served (tests/webapp/test_loans_api.py), with three
requests placed on Monday 14 December 2026:

- Herten ships Anna's request (Datteln) a day later.
- Marl ships the request of a Dorsten patron two days later.
- Herten cannot supply Bert's request (Datteln): damaged; it waits at Marl.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from libnet.loans import statistics as loan_stats
from tests.libnet.test_loans import MONDAY
from tests.webapp.test_loans_api import Served
from tests.webapp.test_login import log_in

DECEMBER = "from=2026-12&to=2026-12"
DUE = {"due_date": "2027-01-11"}


@pytest.fixture
def served(tmp_path: Path) -> Served:
    served = Served(tmp_path)
    herten, marl = served.staff["herten"], served.staff["marl"]
    anna = served.place()
    anna = served.act(anna, "will_supply", herten)
    served.act(anna, "ship", herten, details=DUE, now=MONDAY + timedelta(days=1))
    dorsten_patron = served.account("patron", "dorsten", "Dora Dorsten", card="O400")
    dora = served.place(dorsten_patron)
    assert dora.supplier == "marl"
    dora = served.act(dora, "will_supply", marl)
    served.act(dora, "ship", marl, details=DUE, now=MONDAY + timedelta(days=2))
    bert = served.place(served.other_patron)
    assert bert.supplier == "herten"
    served.act(bert, "cannot_supply", herten, details={"reason": "damaged"})
    return served


def page(served: Served, query: str = DECEMBER) -> tuple[int, str]:
    answer = served.client.get(f"/staff/statistics?{query}&lang=en")
    return answer.status_code, answer.get_data(as_text=True)


def table(served: Served, name: str, query: str = DECEMBER) -> list[list[str]]:
    answer = served.client.get(f"/staff/statistics.csv?table={name}&{query}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))


def main_part(html: str) -> str:
    return html[html.index('<main id="main"') : html.index("</main>")]


def test_a_visitor_is_sent_to_log_in_and_back(served: Served) -> None:
    for path in ("/staff/statistics", "/staff/statistics.csv"):
        answer = served.client.get(f"{path}?{DECEMBER}")
        assert answer.status_code == 302
        location = urlsplit(answer.headers["Location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == [f"{path}?{DECEMBER}"]


def test_a_patron_may_not_see_the_statistics(served: Served) -> None:
    log_in(served.client, "D100")
    assert served.client.get("/staff/statistics").status_code == 403
    assert served.client.get("/staff/statistics.csv").status_code == 403


def test_a_librarian_of_dorsten_sees_only_rows_involving_dorsten(served: Served) -> None:
    log_in(served.client, "Team dorsten")
    status, html = page(served)
    assert status == 200
    shown = main_part(html)
    assert "Marl" in shown and "Dorsten" in shown
    assert "Herten" not in shown and "Datteln" not in shown
    assert 'name="library"' not in shown  # no library choice for a librarian
    assert table(served, "pairs")[1:] == [["marl", "Marl", "dorsten", "Dorsten", "1"]]
    [header, dorsten] = table(served, "libraries")
    row = dict(zip(header, dorsten, strict=True))
    wanted = {"library": "dorsten", "lent": "0", "borrowed": "1", "balance": "-1",
              "placed": "1", "fill_rate": "1.000", "supply_rate": ""}  # fmt: skip
    assert {name: row[name] for name in wanted} == wanted


def test_a_librarian_of_herten_sees_its_refusal_and_never_marl_lending_to_dorsten(
    served: Served,
) -> None:
    log_in(served.client, "Team herten")
    shown = main_part(page(served)[1])
    assert "Dorsten" not in shown and "Marl" not in shown
    assert table(served, "pairs")[1:] == [["herten", "Herten", "datteln", "Datteln", "1"]]
    [header, herten] = table(served, "libraries")
    row = dict(zip(header, herten, strict=True))
    assert (row["lent"], row["asked"], row["cannot_supply_damaged"]) == ("1", "2", "1")
    assert (row["supply_rate"], row["median_days_to_ship"]) == ("0.500", "1.0")


def test_a_librarian_may_not_ask_for_another_library(served: Served) -> None:
    log_in(served.client, "Team herten")
    assert page(served, f"{DECEMBER}&library=marl")[0] == 403
    assert page(served, f"{DECEMBER}&library=herten")[0] == 200


def test_the_administrator_sees_the_county_and_may_pick_a_library(served: Served) -> None:
    log_in(served.client, "Kreis")
    status, html = page(served)
    assert status == 200 and '<select id="stats-library" name="library">' in html
    assert table(served, "pairs")[1:] == [
        ["herten", "Herten", "datteln", "Datteln", "1"],
        ["marl", "Marl", "dorsten", "Dorsten", "1"],
    ]
    assert [row[0] for row in table(served, "libraries")[1:]] == [
        "datteln", "dorsten", "herten", "marl",
    ]  # fmt: skip
    [header, december] = table(served, "months")
    assert dict(zip(header, december, strict=True)) == {
        "month": "2026-12", "placed": "3", "filled": "2", "unfilled": "0", "cancelled": "0",
        "open": "1", "lent": "2", "fill_rate": "1.000", "median_days_to_patron": "",
    }  # fmt: skip
    narrowed = table(served, "pairs", f"{DECEMBER}&library=marl")
    assert narrowed[1:] == [["marl", "Marl", "dorsten", "Dorsten", "1"]]
    assert '<option value="marl" selected>' in page(served, f"{DECEMBER}&library=marl")[1]


def test_the_page_shows_tables_and_accessible_svg_charts(served: Served) -> None:
    log_in(served.client, "Kreis")
    answer = served.client.get(f"/staff/statistics?{DECEMBER}&lang=en")
    html = answer.get_data(as_text=True)
    assert "style-src 'self'" in answer.headers["Content-Security-Policy"]
    assert html.count('<svg class="chart-bars"') == 2 and 'role="img"' in html
    assert '<title id="chart-months-title">Requests per month</title>' in html
    assert '<title id="chart-libraries-title">Lent and borrowed per library</title>' in html
    assert "style=" not in html and "<script>" not in html
    assert "December 2026" in html and "Fill rate" in html
    assert "Cannot supply: damaged" in html and "How the figures are counted" in html
    assert 'href="/staff/statistics.csv?table=pairs&amp;from=2026-12&amp;to=2026-12"' in html
    # the bar of the longest series fills the width but for the room of its number
    widths = [float(w) for w in re.findall(r'<rect class="chart-bar-\d" x="0" y="\d+" '
                                           r'width="([\d.]+)"', html)]  # fmt: skip
    assert max(widths) == 350.0


def svg(html: str, chart: str) -> str:
    """The SVG of one chart, from its start to its end."""
    start = html.rindex("<svg", 0, html.index(f'<title id="{chart}-title">'))
    return html[start : html.index("</svg>", start)]


def test_who_lent_to_whom_is_a_heat_map_with_the_numbers_of_its_table(served: Served) -> None:
    log_in(served.client, "Kreis")
    html = page(served)[1]
    heat = svg(html, "chart-pairs")
    assert heat.startswith('<svg class="chart-heat"') and 'role="img"' in heat
    assert '<title id="chart-pairs-title">Who lent to whom</title>' in heat
    assert '<desc id="chart-pairs-desc">A row per supplier, a column per requesting library' in heat
    cells = re.findall(r'<rect class="heat-(\d)" x="(\d+)" y="(\d+)"', heat)
    values = re.findall(r'<text class="chart-value heat-text-\d"[^>]*>(\d+)</text>', heat)
    names = re.findall(r'<text class="chart-label"[^>]*>(\w+)</text>', heat)
    pairs = table(served, "pairs")[1:]
    suppliers = sorted({row[1] for row in pairs})
    requesters = sorted({row[3] for row in pairs})
    assert names == suppliers + requesters  # the rows' names, then the columns'
    assert len(cells) == len(suppliers) * len(requesters)  # the empty cells too
    assert sorted(values) == sorted(row[4] for row in pairs)
    # each supplier lent one request: both take the darkest shade, the other cells none
    assert sorted(level for level, _, _ in cells) == ["0", "0", "4", "4"]


def test_fill_rate_and_days_to_the_patron_are_lines_over_the_months(served: Served) -> None:
    log_in(served.client, "Kreis")
    html = page(served, "from=2026-11&to=2026-12")[1]
    fill = svg(html, "chart-fill-rate")
    assert '<title id="chart-fill-rate-title">Fill rate per month</title>' in fill
    assert '<desc id="chart-fill-rate-desc">A month without decided requests' in fill
    # November had no request: one point, December's, at the rate its table row gives
    [rate] = re.findall(r'<circle class="chart-point-0" [^>]*><title>([^<]+)</title>', fill)
    [december] = [row for row in table(served, "months", "from=2026-11&to=2026-12")
                  if row[0] == "2026-12"]  # fmt: skip
    assert rate == f"{float(december[7]):.0%}" == "100%"
    assert "Nov 26" in fill and "Dec 26" in fill
    days = svg(html, "chart-to-patron")
    assert '<title id="chart-to-patron-title">Median days to the patron per month</title>' in days
    assert "<circle" not in days  # nobody has had a copy handed over yet
    assert "style=" not in html and "<script" not in main_part(html)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13&to=2026-12", "Please give the months as year and month"),
        ("from=Dezember&to=2026-12", "Please give the months as year and month"),
        ("from=2027-01&to=2026-12", "The first month comes after the last one."),
        ("from=2000-01&to=2026-12", "Please choose at most 120 months."),
        ("from=2026-12&to=2026-12&library=nowhere", "There is no library with the code nowhere."),
    ],
)
def test_a_bad_filter_is_explained_and_never_a_500(
    served: Served, query: str, message: str
) -> None:
    log_in(served.client, "Kreis")
    status, html = page(served, query)
    assert status == 400 and message in html and "<table" not in html
    answer = served.client.get(f"/staff/statistics.csv?table=months&{query}&lang=en")
    assert answer.status_code == 400 and message in answer.get_data(as_text=True)


def test_an_unknown_csv_table_is_400(served: Served) -> None:
    log_in(served.client, "Kreis")
    answer = served.client.get(f"/staff/statistics.csv?table=nope&{DECEMBER}&lang=en")
    assert answer.status_code == 400 and "There is no table nope" in answer.get_data(as_text=True)


def test_without_months_the_last_twelve_are_shown(served: Served) -> None:
    log_in(served.client, "Team marl")
    this_month = loan_stats.month_of(datetime.now(UTC))
    html = page(served, "")[1]
    assert f'name="to" type="month" value="{this_month:%Y-%m}"' in html
    first = loan_stats.last_months(this_month).first
    assert f'name="from" type="month" value="{first:%Y-%m}"' in html
