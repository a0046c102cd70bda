"""The nightly run's loan timers: move on from a supplier that did not answer in its working
days, mark a request overdue when its due date passed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine

from libnet.loans.errors import AlreadyChanged, TransitionError
from libnet.loans.library_settings import settings
from libnet.loans.loan_request import LoanRequest, act, requests
from libnet.loans.notices import Mailing
from libnet.loans.states import State
from libnet.store import transaction


@cache
def _public_holidays(year: int) -> frozenset[date]:
    import holidays  # only the timers need it

    return frozenset(holidays.Germany(subdiv="NW", years=year))


def working_days_between(start: date, end: date, closing_days: Iterable[str] = ()) -> int:
    """Working days after `start` up to and including `end`: no weekends, no public holidays
    of North Rhine-Westphalia, none of the library's closing days."""
    closed = {date.fromisoformat(day) for day in closing_days}
    count, day = 0, start + timedelta(days=1)
    while day <= end:
        if day.weekday() < 5 and day not in _public_holidays(day.year) and day not in closed:
            count += 1
        day += timedelta(days=1)
    return count


@dataclass(frozen=True, slots=True)
class TimerReport:
    skipped: tuple[int, ...]  # requests moved on from a supplier that did not answer
    overdue: tuple[int, ...]  # requests whose due date passed
    left: tuple[int, ...] = ()  # changed by someone meanwhile: looked at again next time


# the timers' notes in the audit trail, kept in English; timer_note() reads them back so that
# the pages word them in the reader's language (webapp/labels.py)
_NO_ANSWER = "no answer in {} working days"
_DUE = "due {}"
_NO_ANSWER_NOTE = re.compile(r"^no answer in (\d+) working days$")
_DUE_NOTE = re.compile(r"^due (\d{4}-\d{2}-\d{2})$")


def timer_note(note: str) -> tuple[str, Any]:
    """A timer's note as ("no_answer", working days), ("due", date), or ("", note) for any
    other note."""
    if match := _NO_ANSWER_NOTE.match(note):
        return "no_answer", int(match[1])
    if match := _DUE_NOTE.match(note):
        return "due", date.fromisoformat(match[1])
    return "", note


@dataclass(frozen=True, slots=True)
class _Due:
    request: LoanRequest
    action: str  # skip_supplier or mark_overdue
    note: str


def _due(conn: Connection, now: datetime) -> list[_Due]:
    """What the timers would do now: silent suppliers to move on from, due dates passed."""
    today = now.date()
    due = []
    waiting = (State.REQUEST_RECEIVED.value, State.EXPECT_TO_SUPPLY.value)
    for request in requests(conn, states=waiting):
        rules = settings(conn, request.supplier)
        since = request.supplier_since.date()
        if working_days_between(since, today, rules.closing_days) > rules.answer_days:
            due.append(_Due(request, "skip_supplier", _NO_ANSWER.format(rules.answer_days)))
    out = (State.RECEIVED.value, State.HANDED_TO_PATRON.value, State.RETURNED_BY_PATRON.value)
    for request in requests(conn, states=out):
        if request.due_date and date.fromisoformat(request.due_date) < today:
            due.append(_Due(request, "mark_overdue", _DUE.format(request.due_date)))
    return due


def run_timers(
    engine: Engine, now: datetime | None = None, mailing: Mailing | None = None
) -> TimerReport:
    """The nightly run's timers: move on from silent suppliers, mark passed due dates overdue.

    Each request in a transaction of its own: a librarian's click on a request meanwhile
    leaves that one for the next run (`left`), the others go on."""
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        due = _due(conn, now)
    done, left = [], []
    for d in due:
        try:
            with transaction(engine) as conn:
                act(conn, d.request.id, d.action, None, version=d.request.version,
                    note=d.note, now=now, mailing=mailing)  # fmt: skip
        except (AlreadyChanged, TransitionError):
            left.append(d)
        else:
            done.append(d)
    return TimerReport(
        tuple(d.request.id for d in done if d.action == "skip_supplier"),
        tuple(d.request.id for d in done if d.action == "mark_overdue"),
        tuple(d.request.id for d in left),
    )
