"""A loan request: placing one, every change and who may make it, reading them back.

A patron asks for a title (a cluster) to be sent to a pickup library. The request goes to the
first library of the title's rota (libnet.loans.rota); "cannot supply", or no answer in the
library's working days, moves it to the next, and past the last it is Unfilled.

Every change goes through `act()`: it decides who the person is to this request (the patron,
the pickup library's librarian, the current supplier's librarian, the administrator, or the
nightly timers), asks libnet.loans.states whether that actor may take the action now, and
writes the new state and an audit event in one transaction. A change names the version of the
request it saw; when another change came first it is refused as AlreadyChanged, so of two
librarians clicking at once exactly one wins. The e-mail notices a change causes are queued in
the same transaction: libnet.loans.notices is handed a `RequestChange`, a value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, insert, or_, select, update

from libnet.accounts import Account
from libnet.loans import due_dates
from libnet.loans.errors import AlreadyChanged, LoanError, NotYours, OwnCopyAvailable
from libnet.loans.library_settings import settings
from libnet.loans.notices import Mailing, RequestChange, queue_for_change
from libnet.loans.rota import holdings, on_shelf_now, rota, rota_note
from libnet.loans.states import NEXT_SUPPLIER, TERMINAL, Actor, State, check, note_with_reason
from libnet.store import clusters
from libnet.store.schema import MAX_ID, loan_events, loan_requests
from libnet.times import utc

OPEN_STATES = tuple(state.value for state in State if state not in TERMINAL)


@dataclass(frozen=True, slots=True)
class LoanRequest:
    id: int
    cluster_id: int
    title: str
    patron_id: int | None  # None once anonymised (libnet.loans.anonymisation)
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


# --------------------------------------------------------------------------- placing


def place_request(
    conn: Connection,
    patron: Account,
    cluster_id: int,
    *,
    title: str,
    pickup_library: str | None = None,
    now: datetime | None = None,
    mailing: Mailing | None = None,
    placed_by: Account | None = None,
    live: Mapping[str, str] | None = None,
) -> LoanRequest:
    """A new request of `patron` for a title, at the first library of its rota.

    `placed_by`: the librarian of the patron's library (or an administrator) who orders for
    the patron at the desk; the audit event names them. NotYours for anyone else.

    Refused (LoanError, with the reason) when the patron's own library has a copy on the
    shelf, the patron already has the title on request or on loan, has as many open requests
    as their library allows, or no other library lends the title. The e-mail notices it
    causes are queued in the same transaction (libnet.loans.notices; `mailing` names
    libraries). `live`: library -> the live state of its best lendable copy, as its own
    system says it now (libnet.availability), for the rota; its history names it.
    """
    now = now or datetime.now(UTC)
    if patron.role != "patron" or patron.disabled:
        raise LoanError("only a patron's active account can place a request", "not_patron")
    user_id, actor = patron.id, Actor.PATRON
    if placed_by is not None:
        user_id, actor = placed_by.id, _desk_actor(placed_by, patron)
    if not patron.may_order:
        why = patron.order_block or patron.desk_block
        if patron.provisional:
            why = "the registration waits for the library's approval"
        raise LoanError(f"this account cannot order just now: {why}", "blocked")
    pickup = pickup_library or patron.library
    current = clusters.current_id(conn, cluster_id)
    if current is None:
        raise LoanError(f"the title {cluster_id} is no longer in the catalogue", "gone")
    held = holdings(conn, current)
    live = live or {}
    own = any(h.on_shelf for h in held if h.library == patron.library)
    if on_shelf_now(live, patron.library, own):  # what the library's system says now wins
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
    order = rota(conn, held, {patron.library, pickup}, now, live)
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
    note = rota_note((h.library for h in order), at_desk=placed_by is not None, live=live)
    _log(conn, request_id, now, user_id, actor, "place", None, State.REQUEST_RECEIVED,
         order[0].library, note)  # fmt: skip
    placed = get(conn, request_id)
    queue_for_change(conn, _change(placed, "place", None), now=now, mailing=mailing)
    return placed


def _desk_actor(staff: Account, patron: Account) -> Actor:
    """Who orders for `patron` at the desk: a librarian of the patron's library, an admin."""
    if staff.disabled:
        raise NotYours("this account is disabled")
    if staff.role == "admin":
        return Actor.ADMIN
    if staff.role == "librarian" and staff.library == patron.library:
        return Actor.REQUESTER
    raise NotYours("only the patron's own library orders for the patron")


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
    mailing: Mailing | None = None,
) -> LoanRequest:
    """Take `action` on a request as `user` (None: the nightly timers); the changed request.

    `version` is the version the person saw. Raises NotYours, TransitionError (with the
    actions allowed instead), AlreadyChanged. The e-mail notices the change causes are
    queued in the same transaction (libnet.loans.notices; `mailing` names libraries).
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
    if "due_date" in transition.needs or action == "recall":  # libnet.loans.due_dates
        rules, today = settings(conn, request.supplier), now.date()
        if action == "recall":
            values["due_date"] = due_dates.recalled(request.due_date, rules, today)
        else:
            values["due_date"] = due_dates.checked(details["due_date"], rules, today)
        note = due_dates.note_with_due(values["due_date"], note)
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
    change = _change(changed_request, action, request.state)
    queue_for_change(conn, change, now=now, mailing=mailing)
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


def _change(request: LoanRequest, action: str, from_state: State | None) -> RequestChange:
    """What the notices need to know of `action` (from `from_state`) and the request it left."""
    return RequestChange(
        request_id=request.id, action=action, from_state=from_state, state=request.state,
        title=request.title, patron_id=request.patron_id,
        requesting_library=request.requesting_library, pickup_library=request.pickup_library,
        supplier=request.supplier, supplier_local_id=request.supplier_local_id,
        moved_on=request.rota_position > 0, due_date=request.due_date,
    )  # fmt: skip
