"""The loan network's requests: placing one, its rota, every change and who may make it.

A patron asks for a title (a cluster) to be sent to a pickup library. The rota is every other
library whose record of the title has a copy that may be lent, least busy first: fewest
requests shipped in the last ROTA_WINDOW_DAYS, then a copy on the shelf before one on loan.
The request goes to the first; "cannot supply", or no answer in the library's working days,
moves it to the next, and past the last it is Unfilled.

Every change goes through `act()`: it decides who the person is to this request (the patron,
the pickup library's librarian, the current supplier's librarian, the administrator, or the
nightly timers), asks libnet.loan_states whether that actor may take the action now, and
writes the new state and an event in one transaction. A change names the version of the
request it saw; when another change came first it is refused as AlreadyChanged, so of two
librarians clicking at once exactly one wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

from sqlalchemy import Connection, Engine, func, insert, or_, select, update

from libnet import clusters, notices
from libnet.accounts import Account
from libnet.errors import LibnetError
from libnet.loan_states import (
    NEXT_SUPPLIER,
    TERMINAL,
    Actor,
    State,
    TransitionError,
    check,
    note_with_reason,
)
from libnet.records.bib import BibRecord
from libnet.schema import (
    MAX_ID,
    cluster_members,
    loan_events,
    loan_requests,
    loan_settings,
    records,
)
from libnet.store import transaction
from libnet.times import utc

ROTA_WINDOW_DAYS = 90
DEFAULT_ANSWER_DAYS = 3
DEFAULT_MAX_OPEN = 5
DEFAULT_LOAN_DAYS = 28
OPEN_STATES = tuple(state.value for state in State if state not in TERMINAL)
# the `reason` of a LoanError that refuses a new request
REFUSALS = ("not_patron", "gone", "own_copy_available", "duplicate", "limit", "no_lender")


class LoanError(LibnetError):
    """A request that cannot be placed or changed as asked; the message says why.

    `reason` names a refused request's cause, one of REFUSALS ("" for other errors), for the
    pages and the API to word or pass on.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class NotYours(LoanError):
    """The person is not the request's patron, nor staff of a library on either side of it."""


class AlreadyChanged(LoanError):
    """Someone changed the request after the person looked at it."""


class OwnCopyAvailable(LoanError):
    """The patron's own library has a copy on the shelf: no loan from another town needed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "own_copy_available")


@dataclass(frozen=True, slots=True)
class LoanSettings:
    library: str
    paused: bool = False
    pause_note: str = ""
    answer_days: int = DEFAULT_ANSWER_DAYS
    max_open: int = DEFAULT_MAX_OPEN
    loan_days: int = DEFAULT_LOAN_DAYS
    closing_days: tuple[str, ...] = ()  # ISO dates the library is closed besides holidays


@dataclass(frozen=True, slots=True)
class Holding:
    """One library's record of a title, as the rota sees it."""

    library: str
    local_id: str
    lendable: bool  # a copy may go to another library
    on_shelf: bool  # a lendable copy is available now


@dataclass(frozen=True, slots=True)
class LoanRequest:
    id: int
    cluster_id: int
    title: str
    patron_id: int
    requesting_library: str
    pickup_library: str
    supplier: str
    supplier_local_id: str
    rota: tuple[tuple[str, str], ...]
    rota_position: int
    state: State
    renewal_pending: bool
    due_date: str | None
    payer: str | None
    created_at: datetime
    state_changed_at: datetime
    supplier_since: datetime
    version: int

    @property
    def open(self) -> bool:
        return self.state not in TERMINAL


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    user_id: int | None
    actor: str
    action: str
    from_state: str | None
    to_state: str
    supplier: str
    note: str


# --------------------------------------------------------------------------- settings


def settings(conn: Connection, library: str) -> LoanSettings:
    row = conn.execute(select(loan_settings).where(loan_settings.c.library == library)).first()
    if row is None:
        return LoanSettings(library)
    values = dict(row._mapping)
    values["closing_days"] = tuple(json.loads(values["closing_days"]))
    return LoanSettings(**values)


def set_settings(conn: Connection, library: str, **changes: object) -> LoanSettings:
    """Change some of a library's lending settings (paused, answer_days, ...)."""
    current = settings(conn, library)
    unknown = set(changes) - set(LoanSettings.__dataclass_fields__) - {"library"}
    if unknown:
        raise LoanError(f"no such loan setting: {', '.join(sorted(unknown))}")
    for name in ("answer_days", "max_open", "loan_days"):
        if name in changes and (not isinstance(changes[name], int) or changes[name] < 1):
            raise LoanError(f"{name} must be a whole number of at least 1")
    for day in changes.get("closing_days", ()):
        try:
            date.fromisoformat(str(day))
        except ValueError:
            raise LoanError(f"closing day {day!r} is not a date (YYYY-MM-DD)") from None
    new = LoanSettings(**{**_fields(current), **changes, "library": library})
    row = _fields(new) | {"closing_days": json.dumps(sorted(new.closing_days))}
    exists = conn.scalar(select(loan_settings.c.library).where(loan_settings.c.library == library))
    if exists is None:
        conn.execute(insert(loan_settings).values(**row))
    else:
        conn.execute(update(loan_settings).where(loan_settings.c.library == library).values(row))
    return new


# --------------------------------------------------------------------------- the rota


def holdings(conn: Connection, cluster_id: int) -> list[Holding]:
    """Each member record of a cluster as a Holding, in library order."""
    query = (
        select(records.c.library, records.c.local_id, records.c.fields)
        .join(cluster_members, cluster_members.c.record_id == records.c.id)
        .where(cluster_members.c.cluster_id == cluster_id, records.c.deleted.is_(False))
        .order_by(records.c.library, records.c.local_id)
    )
    found = []
    for library, local_id, fields in conn.execute(query):
        items = BibRecord.from_dict(json.loads(fields)).items
        lendable = [item for item in items if item.lendable]
        on_shelf = any(item.status == "available" for item in lendable)
        found.append(Holding(library, local_id, bool(lendable), on_shelf))
    return found


def rota(
    conn: Connection, held: Iterable[Holding], leave_out: Iterable[str], now: datetime
) -> list[Holding]:
    """The libraries to ask, in order, of a title's holdings (`holdings()`): lending, not
    paused, not in leave_out, least busy first."""
    leave_out = set(leave_out)
    candidates: dict[str, Holding] = {}
    for holding in held:
        if not holding.lendable or holding.library in leave_out:
            continue
        best = candidates.get(holding.library)
        if best is None or (holding.on_shelf and not best.on_shelf):
            candidates[holding.library] = holding  # one record per library: the best
    lending = [h for h in candidates.values() if not settings(conn, h.library).paused]
    since = now - timedelta(days=ROTA_WINDOW_DAYS)
    shipped = dict(
        conn.execute(
            select(loan_events.c.supplier, func.count())
            .where(loan_events.c.action == "ship", loan_events.c.at >= since)
            .group_by(loan_events.c.supplier)
        ).all()
    )
    return sorted(lending, key=lambda h: (shipped.get(h.library, 0), not h.on_shelf, h.library))


# --------------------------------------------------------------------------- placing


def place_request(
    conn: Connection,
    patron: Account,
    cluster_id: int,
    *,
    title: str,
    pickup_library: str | None = None,
    now: datetime | None = None,
    mailing: notices.Mailing | None = None,
) -> LoanRequest:
    """A new request of `patron` for a title, at the first library of its rota.

    Refused (LoanError, with the reason) when the patron's own library has a copy on the
    shelf, the patron already has the title on request or on loan, has as many open requests
    as their library allows, or no other library lends the title. The e-mail notices it
    causes are queued in the same transaction (libnet.notices; `mailing` names libraries).
    """
    now = now or datetime.now(UTC)
    if patron.role != "patron" or patron.disabled:
        raise LoanError("only a patron's active account can place a request", "not_patron")
    pickup = pickup_library or patron.library
    current = clusters.current_id(conn, cluster_id)
    if current is None:
        raise LoanError(f"the title {cluster_id} is no longer in the catalogue", "gone")
    held = holdings(conn, current)
    if any(h.on_shelf for h in held if h.library == patron.library):
        raise OwnCopyAvailable(
            "your library has a copy on the shelf: ask for it there, no loan is needed"
        )
    mine = select(func.count()).where(
        loan_requests.c.patron_id == patron.id, loan_requests.c.state.in_(OPEN_STATES)
    )
    if conn.scalar(mine.where(loan_requests.c.cluster_id == current)):
        raise LoanError("you have this title on request or on loan already", "duplicate")
    limit = settings(conn, patron.library).max_open
    if conn.scalar(mine) >= limit:
        raise LoanError(f"you have {limit} open requests, as many as your library allows", "limit")
    order = rota(conn, held, {patron.library, pickup}, now)
    if not order:
        raise LoanError("no other library in the network lends this title just now", "no_lender")
    row = {
        "cluster_id": current, "title": title, "patron_id": patron.id,
        "requesting_library": patron.library, "pickup_library": pickup,
        "supplier": order[0].library, "supplier_local_id": order[0].local_id,
        "rota": json.dumps([[h.library, h.local_id] for h in order]), "rota_position": 0,
        "state": State.REQUEST_RECEIVED.value, "renewal_pending": False, "created_at": now,
        "state_changed_at": now, "supplier_since": now, "version": 1,
    }  # fmt: skip
    request_id = conn.execute(
        insert(loan_requests).values(**row).returning(loan_requests.c.id)
    ).scalar_one()
    _log(conn, request_id, now, patron.id, Actor.PATRON, "place", None, State.REQUEST_RECEIVED,
         order[0].library, f"rota: {', '.join(h.library for h in order)}")  # fmt: skip
    placed = get(conn, request_id)
    notices.queue_for_change(conn, placed, "place", None, now=now, mailing=mailing)
    return placed


# --------------------------------------------------------------------------- changing


def actor_for(request: LoanRequest, user: Account | None) -> Actor:
    """Who `user` is to this request; NotYours when nobody with a right to act."""
    if user is None:
        return Actor.SYSTEM
    if user.disabled:
        raise NotYours("this account is disabled")
    if user.role == "admin":
        return Actor.ADMIN
    if user.role == "patron" and user.id == request.patron_id:
        return Actor.PATRON
    if user.role == "librarian" and user.library == request.supplier:
        return Actor.SUPPLIER
    if user.role == "librarian" and user.library == request.pickup_library:
        return Actor.REQUESTER
    raise NotYours("this request is not one of your library's")


def may_see(request: LoanRequest, user: Account) -> bool:
    """Whether the user may look at the request: its patron, staff of either side, admins."""
    if user.disabled:
        return False
    if user.role == "admin":
        return True
    if user.role == "patron":
        return user.id == request.patron_id
    libraries = {request.supplier, request.pickup_library, request.requesting_library}
    return user.library in libraries


def _involved(request: LoanRequest, user: Account) -> bool:
    """May see the request, or was one of its suppliers before the current one."""
    passed = {library for library, _ in request.rota[: request.rota_position]}
    return may_see(request, user) or (user.role == "librarian" and user.library in passed)


def act(
    conn: Connection,
    request_id: int,
    action: str,
    user: Account | None,
    *,
    version: int,
    details: dict[str, object] | None = None,
    note: str = "",
    now: datetime | None = None,
    mailing: notices.Mailing | None = None,
) -> LoanRequest:
    """Take `action` on a request as `user` (None: the nightly timers); the changed request.

    `version` is the version the person saw. Raises NotYours, TransitionError (with the
    actions allowed instead), AlreadyChanged. The e-mail notices the change causes are
    queued in the same transaction (libnet.notices; `mailing` names libraries).
    """
    now = now or datetime.now(UTC)
    details = dict(details or {})
    request = get(conn, request_id)
    if request.version != version and (user is None or _involved(request, user)):
        # a supplier the request has left since is told so too, not that it is not theirs
        raise AlreadyChanged(_changed_message(request))
    actor = actor_for(request, user)
    transition = check(
        request.state, action, actor, renewal_pending=request.renewal_pending, details=details
    )
    values: dict[str, object] = {"version": request.version + 1}
    target = transition.target_from(request.state)
    supplier = request.supplier
    if target == NEXT_SUPPLIER:
        target, moved = _next_supplier(conn, request, now)
        values |= moved
        reason = details.get("reason")
        note = note_with_reason(reason or "", note)
    if "due_date" in transition.needs:
        values["due_date"] = _due_date(details["due_date"])
    if transition.renewal:
        values["renewal_pending"] = transition.renewal == "ask"
    if "payer" in transition.needs:
        values["payer"] = details["payer"]
    if target != request.state:
        values["state_changed_at"] = now
    values["state"] = State(target).value
    changed = conn.execute(
        update(loan_requests)
        .where(loan_requests.c.id == request.id, loan_requests.c.version == request.version)
        .values(**values)
    ).rowcount
    if changed != 1:
        raise AlreadyChanged(_changed_message(get(conn, request_id)))
    user_id = user.id if user is not None else None
    _log(conn, request.id, now, user_id, actor, action, request.state, State(target), supplier,
         note)  # fmt: skip
    changed_request = get(conn, request_id)
    notices.queue_for_change(conn, changed_request, action, request.state, now=now,
                             mailing=mailing)  # fmt: skip
    return changed_request


def _next_supplier(
    conn: Connection, request: LoanRequest, now: datetime
) -> tuple[State, dict[str, object]]:
    """The state and columns of a request moved on to the next lending library of its rota."""
    for position in range(request.rota_position + 1, len(request.rota)):
        library, local_id = request.rota[position]
        if settings(conn, library).paused:
            continue
        moved = {
            "supplier": library,
            "supplier_local_id": local_id,
            "rota_position": position,
            "supplier_since": now,
        }
        return State.REQUEST_RECEIVED, moved
    return State.UNFILLED, {"rota_position": len(request.rota)}


def _due_date(value: object) -> str:
    try:
        return (value if isinstance(value, date) else date.fromisoformat(str(value))).isoformat()
    except ValueError:
        raise LoanError(f"due date {value!r} is not a date (YYYY-MM-DD)") from None


def _changed_message(request: LoanRequest) -> str:
    return f"already changed: the request is now {request.state} (version {request.version})"


# --------------------------------------------------------------------------- reading


def get(conn: Connection, request_id: int) -> LoanRequest:
    row = None
    if 0 < request_id <= MAX_ID:
        row = conn.execute(select(loan_requests).where(loan_requests.c.id == request_id)).first()
    if row is None:
        raise LoanError(f"no request {request_id}")
    return _request(row._mapping)


def requests(
    conn: Connection,
    *,
    supplier: str | None = None,
    pickup_library: str | None = None,
    library: str | None = None,
    patron_id: int | None = None,
    states: Sequence[str] = (),
) -> list[LoanRequest]:
    """Requests by side (`library`: on any side, as supplier, pickup or requesting library),
    patron and state, the oldest first."""
    query = select(loan_requests).order_by(loan_requests.c.created_at, loan_requests.c.id)
    if library is not None:
        query = query.where(
            or_(
                loan_requests.c.supplier == library,
                loan_requests.c.pickup_library == library,
                loan_requests.c.requesting_library == library,
            )
        )
    if supplier is not None:
        query = query.where(loan_requests.c.supplier == supplier)
    if pickup_library is not None:
        query = query.where(loan_requests.c.pickup_library == pickup_library)
    if patron_id is not None:
        query = query.where(loan_requests.c.patron_id == patron_id)
    if states:
        query = query.where(loan_requests.c.state.in_(list(states)))
    return [_request(row) for row in conn.execute(query).mappings()]


def history(conn: Connection, request_id: int) -> list[Event]:
    query = select(loan_events).where(loan_events.c.request_id == request_id)
    rows = conn.execute(query.order_by(loan_events.c.id)).mappings()
    return [
        Event(utc(r["at"]), r["user_id"], r["actor"], r["action"], r["from_state"],
              r["to_state"], r["supplier"], r["note"])
        for r in rows
    ]  # fmt: skip


# --------------------------------------------------------------------------- the timers


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
            due.append(
                _Due(request, "skip_supplier", f"no answer in {rules.answer_days} working days")
            )
    out = (State.RECEIVED.value, State.HANDED_TO_PATRON.value, State.RETURNED_BY_PATRON.value)
    for request in requests(conn, states=out):
        if request.due_date and date.fromisoformat(request.due_date) < today:
            due.append(_Due(request, "mark_overdue", f"due {request.due_date}"))
    return due


def run_timers(
    engine: Engine, now: datetime | None = None, mailing: notices.Mailing | None = None
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


# --------------------------------------------------------------------------- rows


def _log(
    conn: Connection,
    request_id: int,
    at: datetime,
    user_id: int | None,
    actor: Actor,
    action: str,
    from_state: State | None,
    to_state: State,
    supplier: str,
    note: str,
) -> None:
    conn.execute(
        insert(loan_events).values(
            request_id=request_id, at=at, user_id=user_id, actor=actor.value, action=action,
            from_state=from_state.value if from_state else None, to_state=to_state.value,
            supplier=supplier, note=note,
        )
    )  # fmt: skip


def _request(row) -> LoanRequest:
    values = dict(row)
    values["rota"] = tuple(tuple(pair) for pair in json.loads(values["rota"]))
    values["state"] = State(values["state"])
    values["renewal_pending"] = bool(values["renewal_pending"])
    for name in ("created_at", "state_changed_at", "supplier_since"):
        values[name] = utc(values[name])
    return LoanRequest(**values)


def _fields(settings_: LoanSettings) -> dict[str, object]:
    return {name: getattr(settings_, name) for name in LoanSettings.__dataclass_fields__}
