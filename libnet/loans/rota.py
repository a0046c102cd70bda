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


def live_note(order: Iterable[Holding], live: Mapping[str, str]) -> str:
    """What the live statuses said of the rota's libraries, for the request's history:
    "live: marl available (preferred), herten on loan (passed over)"; "" when none said."""
    said = []
    for holding in order:
        state = live.get(holding.library)
        if state is not None:
            why = ("preferred", "", "passed over")[_group(state)]
            said.append(
                f"{holding.library} {state.replace('_', ' ')}" + (f" ({why})" if why else "")
            )
    return f"live: {', '.join(said)}" if said else ""


def _group(state: str | None) -> int:
    """0: on the shelf now, 1: not asked or neither, 2: passed over."""
    if state == AVAILABLE:
        return 0
    return 2 if state in PASSED_OVER else 1
