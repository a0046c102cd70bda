"""The loan network's county statistics for staff: a page and its tables as CSV.

GET /staff/statistics shows, for the requests placed in whole months, who lent to whom, each
library's lending and borrowing, fill and supply rates, why requests were not supplied and how
long each step took, with charts (webapp/staff/charts.py: bars, the pairs as a heat map, fill
rate and days to the patron as lines; the numbers are in the tables too).
GET /staff/statistics.csv?table=libraries|months|pairs gives one of the tables to download.

Both take ?from=YYYY-MM&to=YYYY-MM (default: the twelve months up to this one, Berlin time).
A librarian sees the rows involving their own library; the network's administrator sees the
county and may narrow it with ?library=CODE. Visitors are sent to log in, patrons get 403.
The figures and their definitions are libnet.loans.statistics'.

The CSV is UTF-8 with a byte order mark, so that spreadsheet programs read the umlauts, and a
header row of fixed English column names; rates are fractions with three decimals, times are
days with one decimal, and a cell is empty where there was nothing to measure.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from flask import Blueprint, abort, render_template, request
from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from libnet.accounts import Account
from libnet.loans import statistics as loan_stats
from libnet.loans.states import CANNOT_SUPPLY_REASONS
from libnet.loans.statistics import MAX_MONTHS, Period, PeriodError, Statistics
from webapp.labels import REASON_LABELS
from webapp.staff import charts
from webapp.staff.blueprint import staff_user
from webapp.state import catalogue

bp = Blueprint("stats_pages", __name__)
TABLES = ("libraries", "months", "pairs")


@bp.get("/staff/statistics")
def statistics_page() -> Response | str | tuple[str, int]:
    user = staff_user()
    library, period, error = _filters(user)
    if error:
        page = render_template("statistics.html", stats=None, error=error, **_form(user, library))
        return page, 400
    stats = _statistics(period, library)
    return render_template(
        "statistics.html",
        stats=stats,
        error="",
        charts=_charts(stats),
        reasons=CANNOT_SUPPLY_REASONS,
        reason_label=lambda reason: REASON_LABELS.get(reason, reason),
        days=_days,
        percent=_percent,
        month_label=lambda month: format_date(month, "MMMM y"),
        **_form(user, library, period),
    )


@bp.get("/staff/statistics.csv")
def statistics_csv() -> Response:
    user = staff_user()
    library, period, error = _filters(user)
    table = request.args.get("table", "libraries")
    if table not in TABLES:
        error = _("There is no table %(table)s: choose libraries, months or pairs.", table=table)
    if error:
        abort(400, description=error)
    rows = _csv_rows(_statistics(period, library), table)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    name = f"libnet-statistics-{table}-{period.first:%Y-%m}-{period.last:%Y-%m}"
    name += f"-{library}.csv" if library else ".csv"
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --------------------------------------------------------------------------- who and what


def _filters(user: Account) -> tuple[str | None, Period, str]:
    """The library and period asked for, and a message when they cannot be used. Aborts
    with 403 for a librarian asking after another library."""
    asked = request.args.get("library", "").strip()
    if user.role == "librarian":
        if asked not in ("", user.library):
            abort(403)
        library: str | None = user.library
    else:
        library = asked or None
    period = _default_period()
    if library is not None and library not in {lib.code for lib in catalogue().libraries}:
        return None, period, _("There is no library with the code %(code)s.", code=library)
    first, last = request.args.get("from", "").strip(), request.args.get("to", "").strip()
    try:
        end = loan_stats.parse_month(last) if last else period.last
        if first:
            period = Period(loan_stats.parse_month(first), end)
        else:
            period = loan_stats.last_months(end)
    except PeriodError as exc:
        return library, period, _period_message(exc)
    return library, period, ""


def _default_period() -> Period:
    return loan_stats.last_months(loan_stats.month_of(datetime.now(UTC)))


def _period_message(exc: PeriodError) -> str:
    if exc.reason == "order":
        return _("The first month comes after the last one.")
    if exc.reason == "span":
        return _("Please choose at most %(count)s months.", count=MAX_MONTHS)
    return _(
        "Please give the months as year and month, for example %(example)s.", example="2026-03"
    )


def _form(user: Account, library: str | None, period: Period | None = None) -> dict[str, object]:
    """What the filter form shows: the period as asked, the library choice for admins."""
    choices = [(lib.code, lib.name) for lib in catalogue().libraries if user.role == "admin"]
    return {
        "first": request.args.get("from", "") if period is None else f"{period.first:%Y-%m}",
        "last": request.args.get("to", "") if period is None else f"{period.last:%Y-%m}",
        "library": library,
        "library_choices": choices,
        "csv_query": "" if period is None else _query(period, library if choices else None),
    }


def _query(period: Period, library: str | None) -> str:
    """The filters as a query string, for the CSV links."""
    query = f"from={period.first:%Y-%m}&to={period.last:%Y-%m}"
    return query + (f"&library={quote(library)}" if library else "")


def _statistics(period: Period, library: str | None) -> Statistics:
    with catalogue().store.engine.connect() as conn:
        return loan_stats.statistics(conn, period, library)


# --------------------------------------------------------------------------- numbers


def _days(duration: timedelta | None) -> str:
    """A duration in days with one decimal, in the page's language; a dash for none."""
    if duration is None:
        return "–"
    return format_decimal(duration.total_seconds() / 86400, "#,##0.0")


def _percent(rate: float | None) -> str:
    return "–" if rate is None else format_percent(rate, "#,##0%")


def _csv_days(duration: timedelta | None) -> str:
    return "" if duration is None else f"{duration.total_seconds() / 86400:.1f}"


def _csv_rate(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.3f}"


def _csv_rows(stats: Statistics, table: str) -> list[list[object]]:
    name = catalogue().library_name
    if table == "pairs":
        header = ["supplier", "supplier_name", "requester", "requester_name", "lent"]
        return [header] + [
            [p.supplier, name(p.supplier), p.requester, name(p.requester), p.lent]
            for p in stats.pairs
        ]
    if table == "months":
        header = ["month", "placed", "filled", "unfilled", "cancelled", "open", "lent",
                  "fill_rate", "median_days_to_patron"]  # fmt: skip
        return [header] + [
            [f"{m.month:%Y-%m}", m.placed, m.filled, m.unfilled, m.cancelled, m.open, m.lent,
             _csv_rate(m.fill_rate), _csv_days(m.median_to_patron)]
            for m in stats.months
        ]  # fmt: skip
    header = ["library", "name", "lent", "borrowed", "balance", "asked", "supply_rate",
              *(f"cannot_supply_{reason}" for reason in CANNOT_SUPPLY_REASONS), "no_answer",
              "placed", "unfilled", "fill_rate", "median_days_to_answer", "median_days_to_ship",
              "median_days_to_patron"]  # fmt: skip
    return [header] + [
        [r.library, name(r.library), r.lent, r.borrowed, r.balance, r.asked,
         _csv_rate(r.supply_rate), *(count for _, count in r.cannot_supply), r.no_answer,
         r.placed, r.unfilled, _csv_rate(r.fill_rate), _csv_days(r.median_answer),
         _csv_days(r.median_ship), _csv_days(r.median_to_patron)]
        for r in stats.libraries
    ]  # fmt: skip


# --------------------------------------------------------------------------- charts


def _charts(stats: Statistics) -> dict[str, object]:
    """The page's pictures of its tables, by the table they draw."""
    in_table = _("The numbers are in the table below.")
    name = catalogue().library_name
    series = [_("Requests placed"), _("Requests filled")]
    values = [[m.placed, m.filled] for m in stats.months]
    if stats.library is not None:  # in the county, every filled request is one lent
        series.append(_("Requests lent"))
        values = [[*v, m.lent] for v, m in zip(values, stats.months, strict=True)]
    months = [format_date(m.month, "MMM yy") for m in stats.months]
    lent = [[r.lent, r.borrowed] for r in stats.libraries]
    suppliers = sorted({p.supplier for p in stats.pairs}, key=name)
    requesters = sorted({p.requester for p in stats.pairs}, key=name)
    pairs = {(suppliers.index(p.supplier), requesters.index(p.requester)): p.lent
             for p in stats.pairs}  # fmt: skip
    longest = max((d.total_seconds() / 86400 for m in stats.months
                   if (d := m.median_to_patron) is not None), default=0)  # fmt: skip
    return {
        "months": charts.bar_chart("chart-months", _("Requests per month"), in_table,
                                   series, months, values),
        "libraries": charts.bar_chart("chart-libraries", _("Lent and borrowed per library"),
                                      in_table, [_("Lent"), _("Borrowed")],
                                      [name(r.library) for r in stats.libraries], lent),
        "pairs": charts.heat_map(
            "chart-pairs", _("Who lent to whom"),
            _("A row per supplier, a column per requesting library; the darker the cell, the "
              "more it lent. The numbers are in the table below."),
            [name(code) for code in suppliers], [name(code) for code in requesters], pairs),
        "fill_rate": charts.line_chart(
            "chart-fill-rate", _("Fill rate per month"),
            _("A month without decided requests has no point. The numbers are in the table "
              "below."),
            months, [m.fill_rate for m in stats.months], 1.0, _percent),
        "to_patron": charts.line_chart(
            "chart-to-patron", _("Median days to the patron per month"),
            _("A month without a request handed to its patron has no point. The numbers are in "
              "the table below."),
            months, [None if m.median_to_patron is None
                     else m.median_to_patron.total_seconds() / 86400 for m in stats.months],
            charts.nice_top(longest), lambda days: format_decimal(days, "#,##0.#")),
    }  # fmt: skip
