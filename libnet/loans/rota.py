"""The rota of a title: the libraries to ask for it, in order.

It is every other library whose record of the title has a copy that may be lent, least busy
first: fewest requests shipped in the last ROTA_WINDOW_DAYS, then a copy on the shelf before
one on loan. Paused libraries are left out. Where a library's own system said just now whether
a lendable copy is on the shelf (live availability, libnet.availability), that wins over the
harvest: libraries with a copy on the shelf now come first, then the rest as above.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

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
    live: Mapping[str, bool] | None = None,
) -> list[Holding]:
    """The libraries to ask, in order, of a title's holdings (`holdings()`): lending, not
    paused, not in leave_out; those with a copy on the shelf now by `live` (library -> its
    system's answer, for those that answered) first, then least busy first."""
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
            not live.get(h.library, False),
            shipped.get(h.library, 0),
            not live.get(h.library, h.on_shelf),
            h.library,
        ),
    )


# The note of a request's first audit event names its rota ("rota: herten, marl"), after
# DESK_NOTE when a librarian placed it at the desk; rota_in_note() reads it back for the pages.
DESK_NOTE = "bestellt an der Theke; "
_ROTA = "rota: "


def rota_note(libraries: Iterable[str], *, at_desk: bool = False) -> str:
    return f"{DESK_NOTE if at_desk else ''}{_ROTA}{', '.join(libraries)}"


def rota_in_note(note: str) -> tuple[bool, tuple[str, ...]] | None:
    """(placed at the desk, the rota's library codes) of a placement's note; None for any
    other note."""
    at_desk = note.startswith(DESK_NOTE)
    rest = note.removeprefix(DESK_NOTE)
    if not rest.startswith(_ROTA):
        return None
    return at_desk, tuple(code for code in rest.removeprefix(_ROTA).split(", ") if code)
