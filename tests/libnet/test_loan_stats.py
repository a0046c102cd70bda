"""County statistics of the loan network, on SQLite and on a real PostgreSQL.

The network of tests/libnet/test_loans.py: Datteln (its copy on loan), Herten and Marl lend,
Dorsten does not. The requests, placed in November and December 2026 (Berlin time):

- A  Datteln, 1 Dec: Herten answers after 2 hours, ships after a day; to the patron in 4 days.
- B  Datteln, 3 Dec: Marl cannot (on loan) after a day; Herten answers 6 hours later, ships a
  day after the request came; to the patron 5 days after placing.
- C  Dorsten, 30 Nov 23:30 UTC, which is 1 Dec in Berlin: Herten does not answer, Marl cannot
  (missing) after 12 hours, Datteln cannot (not for loan) after a day: Unfilled.
- E  Dorsten, 10 Dec: Marl expects to supply after a day, ships after three; not yet handed.
- D  Datteln, 15 Nov: at Marl, the patron cancels.
- F  Datteln, 31 Oct 23:30 UTC, which is 1 Nov in Berlin: waiting at Marl.
- G  Datteln, 31 Dec 23:30 UTC, which is 1 Jan 2027 in Berlin: outside; Marl cannot (damaged).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from libnet.accounts import Account
from libnet.loans import LoanRequest
from libnet.loans import statistics as loan_stats
from libnet.loans.states import CANNOT_SUPPLY_REASONS
from libnet.loans.statistics import Outcomes, PairCount, Period, PeriodError, parse_month
from tests.libnet.test_loans import Network

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
NOV_DEC = Period(date(2026, 11, 1), date(2026, 12, 1))


class Requests:
    """The requests A to G of the module docstring, made in this order (the rota of each
    depends on what was shipped before it)."""

    def __init__(self, network: Network) -> None:
        self.network = network
        herten, marl, datteln = (network.staff[code] for code in ("herten", "marl", "datteln"))

        c = self.place("dorsten", "C", datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
        assert [library for library, _ in c.rota] == ["herten", "marl", "datteln"]
        c = self.step(c, "skip_supplier", None, 4 * DAY)
        c = self.step(c, "cannot_supply", marl, 4 * DAY + 12 * HOUR, reason="missing")
        self.step(c, "cannot_supply", datteln, 5 * DAY + 12 * HOUR, reason="not_for_loan")

        a = self.place("datteln", "A", datetime(2026, 12, 1, 9, tzinfo=UTC))
        assert a.supplier == "herten"
        a = self.step(a, "will_supply", herten, 2 * HOUR)
        a = self.step(a, "ship", herten, DAY, due_date="2027-01-31")
        a = self.step(a, "receive", datteln, 3 * DAY)
        self.step(a, "hand_to_patron", datteln, 4 * DAY)

        b = self.place("datteln", "B", datetime(2026, 12, 3, 9, tzinfo=UTC))
        assert b.supplier == "marl"  # Herten lent lately
        b = self.step(b, "cannot_supply", marl, DAY, reason="on_loan")
        b = self.step(b, "will_supply", herten, DAY + 6 * HOUR)
        b = self.step(b, "ship", herten, 2 * DAY, due_date="2027-01-31")
        b = self.step(b, "receive", datteln, 4 * DAY)
        self.step(b, "hand_to_patron", datteln, 5 * DAY)

        e = self.place("dorsten", "E", datetime(2026, 12, 10, 9, tzinfo=UTC))
        assert e.supplier == "marl"
        e = self.step(e, "expect_to_supply", marl, DAY)
        e = self.step(e, "will_supply", marl, 2 * DAY)
        self.step(e, "ship", marl, 3 * DAY, due_date="2027-01-31")

        d = self.place("datteln", "D", datetime(2026, 11, 15, 10, tzinfo=UTC))
        self.step(d, "patron_cancel", self.patron, HOUR)  # D's patron, the latest made
        f = self.place("datteln", "F", datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
        assert f.supplier == "marl"  # Herten lent two, Marl one
        g = self.place("datteln", "G", datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
        assert g.supplier == "marl"
        self.step(g, "cannot_supply", marl, DAY, reason="damaged")

    def place(self, library: str, name: str, now: datetime) -> LoanRequest:
        """A request of a new patron of `library`, placed at `now`."""
        self.patron = self.network.account("patron", library, f"Patron {name}", card=name)
        return self.network.place(self.patron, now=now)

    def step(
        self, request: LoanRequest, action: str, user: Account | None, after: timedelta, **details
    ) -> LoanRequest:
        """`action` taken `after` the request was placed."""
        now = request.created_at + after
        return self.network.act(request, action, user, now=now, details=details)


@pytest.fixture
def made(tmp_path: Path, store_url: str) -> Requests:
    return Requests(Network(tmp_path, store_url))


def figures(made: Requests, library: str | None = None) -> loan_stats.Statistics:
    with made.network.engine.connect() as conn:
        return loan_stats.statistics(conn, NOV_DEC, library)


def row(stats: loan_stats.Statistics, library: str) -> loan_stats.LibraryStats:
    return next(r for r in stats.libraries if r.library == library)


def reasons(**counts: int) -> tuple[tuple[str, int], ...]:
    return tuple((reason, counts.get(reason, 0)) for reason in CANNOT_SUPPLY_REASONS)


def test_requests_count_in_their_berlin_month_and_the_fill_rate_leaves_out_cancelled(
    made: Requests,
) -> None:
    stats = figures(made)
    november, december = stats.months
    assert november == Outcomes(
        date(2026, 11, 1), placed=2, filled=0, unfilled=0, cancelled=1, open=1, lent=0,
        median_to_patron=None,
    )  # fmt: skip
    assert december == Outcomes(
        date(2026, 12, 1), placed=4, filled=3, unfilled=1, cancelled=0, open=0, lent=3,
        median_to_patron=DAY * 4.5,
    )  # fmt: skip
    assert november.fill_rate is None and december.fill_rate == 0.75
    assert stats.total == Outcomes(None, placed=6, filled=3, unfilled=1, cancelled=1, open=1,
                                   lent=3, median_to_patron=DAY * 4.5)  # fmt: skip


def test_pairs_count_what_each_supplier_shipped_to_each_requesting_library(
    made: Requests,
) -> None:
    assert figures(made).pairs == (PairCount("herten", "datteln", 2),
                                   PairCount("marl", "dorsten", 1))  # fmt: skip


def test_each_library_has_its_balance_rates_reasons_and_medians(made: Requests) -> None:
    stats = figures(made)
    assert [r.library for r in stats.libraries] == ["datteln", "dorsten", "herten", "marl"]
    herten, marl = row(stats, "herten"), row(stats, "marl")
    assert (herten.lent, herten.borrowed, herten.balance, herten.asked) == (2, 0, 2, 3)
    assert (herten.cannot_supply, herten.no_answer) == (reasons(), 1)
    assert herten.supply_rate == pytest.approx(2 / 3) and herten.fill_rate is None
    assert (herten.median_answer, herten.median_ship) == (4 * HOUR, DAY)
    # Marl: B and C refused, E lent; D cancelled and F waiting there count in neither rate
    assert (marl.lent, marl.asked, marl.no_answer) == (1, 5, 0)
    assert marl.cannot_supply == reasons(on_loan=1, missing=1)
    assert marl.supply_rate == pytest.approx(1 / 3)
    assert (marl.median_answer, marl.median_ship) == (DAY, 3 * DAY)


def test_requesting_libraries_have_their_borrowed_unfilled_and_time_to_patron(
    made: Requests,
) -> None:
    stats = figures(made)
    datteln, dorsten = row(stats, "datteln"), row(stats, "dorsten")
    assert (datteln.placed, datteln.borrowed, datteln.unfilled, datteln.balance) == (4, 2, 0, -2)
    assert datteln.fill_rate == 1.0 and datteln.median_to_patron == DAY * 4.5
    # Datteln was asked once as a supplier, for C, and could not lend its copy
    assert (datteln.asked, datteln.cannot_supply) == (1, reasons(not_for_loan=1))
    assert datteln.supply_rate == 0.0 and datteln.median_answer == DAY
    assert (dorsten.placed, dorsten.borrowed, dorsten.unfilled, dorsten.fill_rate) == (2, 1, 1, 0.5)
    assert (dorsten.asked, dorsten.supply_rate, dorsten.median_to_patron) == (0, None, None)


def test_one_library_sees_its_own_row_and_the_pairs_it_is_in(made: Requests) -> None:
    herten = figures(made, "herten")
    assert [r.library for r in herten.libraries] == ["herten"]
    assert herten.libraries[0] == row(figures(made), "herten")
    assert herten.pairs == (PairCount("herten", "datteln", 2),)
    assert (herten.total.placed, herten.total.lent) == (0, 2)
    dorsten = figures(made, "dorsten")
    assert dorsten.pairs == (PairCount("marl", "dorsten", 1),)
    assert [(m.placed, m.filled, m.unfilled, m.lent) for m in dorsten.months] == [
        (0, 0, 0, 0), (2, 1, 1, 0),
    ]  # fmt: skip


def test_a_library_with_no_requests_has_an_empty_row(made: Requests) -> None:
    stats = figures(made, "gladbeck")
    assert stats.pairs == () and stats.total.placed == 0
    [gladbeck] = stats.libraries
    assert (gladbeck.asked, gladbeck.lent, gladbeck.supply_rate) == (0, 0, None)


def test_a_request_placed_in_the_berlin_new_year_is_outside_december(made: Requests) -> None:
    with made.network.engine.connect() as conn:
        january = loan_stats.statistics(conn, Period(date(2027, 1, 1), date(2027, 1, 1)))
    assert (january.total.placed, january.total.open) == (1, 1)  # G, now at its next supplier
    assert sum(r.cannot_supply == reasons(damaged=1) for r in january.libraries) == 1
    assert not any(dict(r.cannot_supply)["damaged"] for r in figures(made).libraries)


def test_months_are_read_as_yyyy_mm_and_a_period_runs_forward() -> None:
    assert parse_month("2026-03") == date(2026, 3, 1)
    for wrong in ("2026-13", "2026-3", "März", "", "2026-03-01", "0000-01"):
        with pytest.raises(PeriodError) as refused:
            parse_month(wrong)
        assert refused.value.reason == "month"
    with pytest.raises(PeriodError) as refused:
        Period(date(2026, 5, 1), date(2026, 4, 1))
    assert refused.value.reason == "order"
    with pytest.raises(PeriodError) as refused:
        Period(date(2000, 1, 1), date(2026, 1, 1))
    assert refused.value.reason == "span"


def test_the_last_twelve_months_end_with_the_berlin_month_of_now() -> None:
    now = loan_stats.month_of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    period = loan_stats.last_months(now)
    assert (period.first, period.last, len(period.months)) == (
        date(2026, 2, 1), date(2027, 1, 1), 12,
    )  # fmt: skip
