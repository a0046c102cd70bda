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
