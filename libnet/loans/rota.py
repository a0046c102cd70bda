"""The rota of a title: the libraries to ask for it, in order.

It is every other library whose record of the title has a copy that may be lent, least busy
first: fewest requests shipped in the last ROTA_WINDOW_DAYS, then a copy on the shelf before
one on loan. Paused libraries are left out. Where a library's own system said just now what
its best lendable copy is doing (live availability, libnet.availability), that wins over the
harvest: libraries with a copy on the shelf now come first; then the rest as above; last the
libraries passed over because their system says their copy is on loan, lost, missing or in
processing (model.PASSED_OVER). They stay in the rota, behind the others: a lent copy comes
back, and a lost one is sometimes found. The request's history (the place event's note)
names the live status that decided each library's place (`live_note`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from libnet.availability.model import AVAILABLE, PASSED_OVER
from libnet.loans.library_settings import settings
from libnet.records.bib import BibRecord
from libnet.store.schema import cluster_members, loan_events, records

ROTA_WINDOW_DAYS = 90


@dataclass(frozen=True, slots=True)
class Holding:
    """One library's record of a title, as the rota sees it."""

    library: str
    local_id: str
    lendable: bool  # a copy may go to another library
    on_shelf: bool  # a lendable copy is available now


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
    conn: Connection,
    held: Iterable[Holding],
    leave_out: Iterable[str],
    now: datetime,
    live: Mapping[str, str] | None = None,
) -> list[Holding]:
    """The libraries to ask, in order, of a title's holdings (`holdings()`): lending, not
    paused, not in leave_out; those with a copy on the shelf now by `live` (library -> the
    live state of its best lendable copy, for those that answered) first, then least busy
    first, those passed over by `live` last."""
    live = live or {}
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
    return sorted(
        lending,
        key=lambda h: (
            _group(live.get(h.library)),
            shipped.get(h.library, 0),
            not on_shelf_now(live, h.library, h.on_shelf),
            h.library,
        ),
    )


def on_shelf_now(live: Mapping[str, str], library: str, harvested: bool) -> bool:
    """Whether the library has a lendable copy on the shelf: its system's word where it
    answered, else the harvest's (`harvested`)."""
    state = live.get(library)
    return harvested if state is None else state == AVAILABLE


# The note of a request's first audit event names its rota ("rota: herten, marl"), after
# DESK_NOTE when a librarian placed it at the desk, and before LIVE_NOTE what the libraries'
# systems said of their copies when it was placed ("live: marl=available, herten=on_loan"):
# which status decided each library's place. rota_in_note() and live_in_note() read it back
# for the pages, which word it in the reader's language.
DESK_NOTE = "bestellt an der Theke; "
_ROTA = "rota: "
LIVE_NOTE = "; live: "


def rota_note(
    libraries: Iterable[str], *, at_desk: bool = False, live: Mapping[str, str] | None = None
) -> str:
    codes = list(libraries)
    said = [f"{code}={live[code]}" for code in codes if live and code in live]
    tail = f"{LIVE_NOTE}{', '.join(said)}" if said else ""
    return f"{DESK_NOTE if at_desk else ''}{_ROTA}{', '.join(codes)}{tail}"


def rota_in_note(note: str) -> tuple[bool, tuple[str, ...]] | None:
    """(placed at the desk, the rota's library codes) of a placement's note; None for any
    other note."""
    at_desk = note.startswith(DESK_NOTE)
    rest = note.removeprefix(DESK_NOTE).split(LIVE_NOTE, 1)[0]
    if not rest.startswith(_ROTA):
        return None
    return at_desk, tuple(code for code in rest.removeprefix(_ROTA).split(", ") if code)


def live_in_note(note: str) -> tuple[tuple[str, str, str], ...]:
    """(library, live state, "preferred" | "passed over" | "") of a placement's note."""
    if LIVE_NOTE not in note:
        return ()
    found = []
    for pair in note.split(LIVE_NOTE, 1)[1].split(", "):
        library, _, state = pair.partition("=")
        if library and state:
            found.append((library, state, ("preferred", "", "passed over")[_group(state)]))
    return tuple(found)


def _group(state: str | None) -> int:
    """0: on the shelf now, 1: not asked or neither, 2: passed over."""
    if state == AVAILABLE:
        return 0
    return 2 if state in PASSED_OVER else 1
