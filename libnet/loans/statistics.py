"""County statistics of the loan network (Fernleihstatistik): who lent to whom, how many
requests were filled, why not, and how long each step took.

Everything is read from the requests and their events (libnet.loans.loan_request). A request
counts in the calendar month, in Europe/Berlin, in which it was placed, whatever happened to it
later: a request placed on 30 November and shipped on 2 December is one of November's. The
words:

- lent / borrowed: a request is lent by the library whose "ship" event it has (at most one)
  and borrowed by its requesting library (the patron's home library); the balance of a
  library is lent minus borrowed.
- filled: shipped at some point, whatever came after (returned, lost, overdue).
  unfilled: every library of the rota said no or did not answer (state Unfilled).
  cancelled: withdrawn by the patron or a library before shipping. open: none of these yet.
- fill rate = filled / (filled + unfilled): of the requests that are decided. Cancelled and
  open requests are left out, since no library failed them (yet). None when nothing is decided.
- supply rate of a library = lent / (lent + cannot supply + no answer), over the requests
  that reached it: of those it had to decide on, the share it lent. Requests cancelled or
  still waiting while at it are left out.
- no answer: a skip_supplier event (the nightly timers or the administrator moved the
  request on). Cannot-supply reasons are those of libnet.loans.states.CANNOT_SUPPLY_REASONS.
- answer time: from the request's arrival at a library (placed, or moved on to it) to that
  library's first will_supply, expect_to_supply or cannot_supply. A library that never
  answered has no answer time; it counts under "no answer". ship time: arrival to its ship.
  time to patron: placed to handed to the patron. Each is a median over the requests.

With a library given, the rows are those involving it: its own row of the library table,
the pairs where it lent or borrowed, and per month the requests of its patrons (placed,
filled, ...) beside the requests it lent.

The county's volumes (tens of thousands of requests a year) fit in memory: SQL picks the
requests of the period, Python walks their events.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, or_, select

from libnet.loans.errors import PeriodError
from libnet.loans.states import CANNOT_SUPPLY_REASONS, State, reason_in_note
from libnet.store.schema import loan_events, loan_requests
from libnet.times import utc

BERLIN = ZoneInfo("Europe/Berlin")
MAX_MONTHS = 120  # ten years a page: more is a question for a database client, not a page
ANSWERS = frozenset({"will_supply", "expect_to_supply", "cannot_supply"})
MOVES_ON = frozenset({"cannot_supply", "skip_supplier"})
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, slots=True)
class Period:
    """Whole calendar months, from `first` to `last` (both first days of a month)."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.first.day != 1 or self.last.day != 1:
            raise PeriodError("a period runs from the first day of a month", "month")
        if self.first > self.last:
            raise PeriodError(f"{self.first:%Y-%m} comes after {self.last:%Y-%m}", "order")
        if len(self.months) > MAX_MONTHS:
            raise PeriodError(f"a period is at most {MAX_MONTHS} months", "span")

    @property
    def months(self) -> tuple[date, ...]:
        months, month = [], self.first
        # stops one past the limit: a period of a thousand years is refused without counting
        while month <= self.last and len(months) <= MAX_MONTHS:
            months.append(month)
            month = _next_month(month)
        return tuple(months)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The period's start and end (exclusive) in UTC, as the store keeps its times."""
        start = datetime(self.first.year, self.first.month, 1, tzinfo=BERLIN)
        end_month = _next_month(self.last)
        end = datetime(end_month.year, end_month.month, 1, tzinfo=BERLIN)
        return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Outcomes:
    """What became of the requests placed in one month (`month`), or in the whole period
    (`month` None). With a library: its patrons' requests, and those it lent."""

    month: date | None
    placed: int
    filled: int
    unfilled: int
    cancelled: int
    open: int
    lent: int
    median_to_patron: timedelta | None

    @property
    def fill_rate(self) -> float | None:
        return _rate(self.filled, self.filled + self.unfilled)


@dataclass(frozen=True, slots=True)
class PairCount:
    """Requests `supplier` lent to `requester` (its patrons' requests)."""

    supplier: str
    requester: str
    lent: int


@dataclass(frozen=True, slots=True)
class LibraryStats:
    """One library on both sides of the network in the period."""

    library: str
    lent: int
    borrowed: int
    asked: int  # requests that reached it as a supplier
    # (reason, count) for every reason of CANNOT_SUPPLY_REASONS, in that order
    cannot_supply: tuple[tuple[str, int], ...]
    no_answer: int
    placed: int  # requests of its patrons
    unfilled: int  # ... that ended Unfilled
    median_answer: timedelta | None
    median_ship: timedelta | None
    median_to_patron: timedelta | None

    @property
    def balance(self) -> int:
        return self.lent - self.borrowed

    @property
    def refused(self) -> int:
        return sum(count for _, count in self.cannot_supply)

    @property
    def supply_rate(self) -> float | None:
        return _rate(self.lent, self.lent + self.refused + self.no_answer)

    @property
    def fill_rate(self) -> float | None:
        """The fill rate of its patrons' requests."""
        return _rate(self.borrowed, self.borrowed + self.unfilled)


@dataclass(frozen=True, slots=True)
class Statistics:
    period: Period
    library: str | None  # None: the whole county
    total: Outcomes
    months: tuple[Outcomes, ...]  # every month of the period, the empty ones too
    pairs: tuple[PairCount, ...]  # most lent first
    libraries: tuple[LibraryStats, ...]  # by code; with `library`, its row alone


def parse_month(text: str) -> date:
    """The first day of a month written YYYY-MM; PeriodError otherwise."""
    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12 or not 1900 <= int(found[1]) < 9999:
        raise PeriodError(f"{text!r} is not a month (YYYY-MM)", "month")
    return date(int(found[1]), int(found[2]), 1)


def month_of(moment: datetime) -> date:
    """The first day of the calendar month, in Europe/Berlin, that `moment` falls in."""
    return utc(moment).astimezone(BERLIN).date().replace(day=1)


def last_months(last: date, count: int = 12) -> Period:
    """The `count` months up to and including the month `last` (a month's first day)."""
    first = last
    for _ in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return Period(first, last)


def statistics(conn: Connection, period: Period, library: str | None = None) -> Statistics:
    """The loan network's figures for the requests placed in `period`, for the county or
    for the rows involving one library."""
    traces = [_trace(row, events) for row, events in _requests(conn, period, library)]
    if library is None:
        mine, codes = traces, sorted(_libraries(traces))
    else:
        mine, codes = [t for t in traces if t.requester == library], [library]
    lent = [t for t in traces if t.lender and library in (None, t.lender)]
    by_month: dict[date, tuple[list[_Trace], list[_Trace]]] = defaultdict(lambda: ([], []))
    for trace in mine:
        by_month[trace.month][0].append(trace)
    for trace in lent:
        by_month[trace.month][1].append(trace)
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for trace in traces:
        if trace.lender and library in (None, trace.lender, trace.requester):
            pairs[trace.lender, trace.requester] += 1
    ordered = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
    return Statistics(
        period,
        library,
        _outcomes(None, mine, lent),
        tuple(_outcomes(month, *by_month[month]) for month in period.months),
        tuple(PairCount(supplier, requester, n) for (supplier, requester), n in ordered),
        tuple(_library_stats(code, traces) for code in codes),
    )


# --------------------------------------------------------------------------- one request


@dataclass(slots=True)
class _Visit:
    """A request's stay at one supplier."""

    arrived: datetime
    answered: datetime | None = None
    shipped: datetime | None = None
    ended: str = ""  # "lent", a cannot-supply reason, "no_answer"; "" cancelled or waiting


@dataclass(slots=True)
class _Trace:
    """What the events of one request tell."""

    month: date
    requester: str
    outcome: str = "open"  # filled, unfilled, cancelled, open
    lender: str = ""
    to_patron: timedelta | None = None
    visits: dict[str, _Visit] = field(default_factory=dict)


def _requests(conn: Connection, period: Period, library: str | None) -> list[tuple[Row, list[Row]]]:
    """(request row, its events in order) of the requests placed in the period."""
    start, end = period.bounds
    wanted = [loan_requests.c.created_at >= start, loan_requests.c.created_at < end]
    if library is not None:
        asked = select(loan_events.c.request_id).where(loan_events.c.supplier == library)
        wanted.append(
            or_(
                loan_requests.c.requesting_library == library,
                loan_requests.c.supplier == library,
                loan_requests.c.id.in_(asked),
            )
        )
    columns = (loan_requests.c.id, loan_requests.c.requesting_library, loan_requests.c.supplier,
               loan_requests.c.created_at)  # fmt: skip
    rows = conn.execute(select(*columns).where(*wanted).order_by(loan_requests.c.id)).all()
    ids = select(loan_requests.c.id).where(*wanted)
    query = (
        select(loan_events.c.request_id, loan_events.c.at, loan_events.c.action,
               loan_events.c.to_state, loan_events.c.supplier, loan_events.c.note)
        .where(loan_events.c.request_id.in_(ids))
        .order_by(loan_events.c.request_id, loan_events.c.id)
    )  # fmt: skip
    events: dict[int, list[Row]] = defaultdict(list)
    for event in conn.execute(query):
        events[event.request_id].append(event)
    return [(row, events[row.id]) for row in rows]


def _trace(row: Row, events: Sequence[Row]) -> _Trace:
    """Walk one request's events. An event's `supplier` is the supplier before the change, so
    the library a request moved on to is the next event's supplier, or the request's own."""
    trace = _Trace(month_of(row.created_at), row.requesting_library)
    placed = handed = None
    for position, event in enumerate(events):
        at = utc(event.at)
        if event.action == "place":
            placed = at
        # the place event opens the first supplier's visit, a move on the next one's (below)
        visit = trace.visits.setdefault(event.supplier, _Visit(at))
        if event.action in ANSWERS and visit.answered is None:
            visit.answered = at
        if event.action == "ship":
            visit.shipped, visit.ended = at, "lent"
            trace.outcome, trace.lender = "filled", event.supplier
        elif event.action == "cannot_supply":
            visit.ended = _reason(event.note)
        elif event.action == "skip_supplier":
            visit.ended = "no_answer"
        elif event.action == "hand_to_patron" and handed is None:
            handed = at
        if event.action in MOVES_ON and event.to_state == State.REQUEST_RECEIVED.value:
            following = events[position + 1].supplier if position + 1 < len(events) else None
            trace.visits.setdefault(following or row.supplier, _Visit(at))
        if event.to_state == State.UNFILLED.value:
            trace.outcome = "unfilled"
        elif event.to_state == State.CANCELLED.value:
            trace.outcome = "cancelled"
    if placed is not None and handed is not None:
        trace.to_patron = handed - placed
    return trace


def _reason(note: str) -> str:
    """The reason in a cannot_supply event's note, "other" when it names none we know."""
    reason, _rest = reason_in_note(note)
    return reason if reason in CANNOT_SUPPLY_REASONS else "other"


# --------------------------------------------------------------------------- the tables


def _libraries(traces: Iterable[_Trace]) -> set[str]:
    return {code for t in traces for code in (t.requester, *t.visits)}


def _outcomes(month: date | None, mine: list[_Trace], lent: list[_Trace]) -> Outcomes:
    count = {outcome: sum(t.outcome == outcome for t in mine) for outcome in
             ("filled", "unfilled", "cancelled", "open")}  # fmt: skip
    to_patron = _median(t.to_patron for t in mine)
    return Outcomes(month, len(mine), count["filled"], count["unfilled"], count["cancelled"],
                    count["open"], len(lent), to_patron)  # fmt: skip


def _library_stats(code: str, traces: list[_Trace]) -> LibraryStats:
    visits = [t.visits[code] for t in traces if code in t.visits]
    own = [t for t in traces if t.requester == code]
    ended = [visit.ended for visit in visits]
    return LibraryStats(
        library=code,
        lent=ended.count("lent"),
        borrowed=sum(t.outcome == "filled" for t in own),
        asked=len(visits),
        cannot_supply=tuple((reason, ended.count(reason)) for reason in CANNOT_SUPPLY_REASONS),
        no_answer=ended.count("no_answer"),
        placed=len(own),
        unfilled=sum(t.outcome == "unfilled" for t in own),
        median_answer=_median(v.answered - v.arrived for v in visits if v.answered),
        median_ship=_median(v.shipped - v.arrived for v in visits if v.shipped),
        median_to_patron=_median(t.to_patron for t in own),
    )


def _median(durations: Iterable[timedelta | None]) -> timedelta | None:
    ordered = sorted(d for d in durations if d is not None)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)
