"""What became of cluster ids: permalinks that last.

A cluster id is a permalink (/record/N, the API, OAI-PMH, SRU's rec.id), so an id is never
handed to another title. When a regrouping (libnet.store.clusters.write_groups) merges, splits
or empties a cluster, a row of cluster_history says so, with the cluster's title at the time:
a merged id leads to the cluster it went into, a gone one offers a search for its title.

A record whose library stops exporting it leaves its cluster; departed_records keeps which
cluster it left and when. If the same record (same library, same local id) comes back within
RETURN_WITHIN and finds no cluster to join, it takes that id again, as long as the id is free:
the cluster is gone (no members, merged nowhere) and no other group of the same regrouping took
it. After that the record may get a new id, like any new record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select

from libnet.store.schema import MAX_ID, cluster_history, clusters, departed_records

RETURN_WITHIN = timedelta(days=365)
MERGED, GONE, SPLIT, RETURNED = "merged", "gone", "split", "returned"


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened to a cluster id."""

    cluster_id: int
    event: str  # MERGED, GONE, SPLIT, RETURNED
    into_id: int | None  # MERGED: the cluster it went into; SPLIT: the new cluster
    at: datetime
    title: str = ""


@dataclass(frozen=True, slots=True)
class Fate:
    """Where a permalink's cluster id leads now."""

    cluster_id: int
    current: int | None  # the live cluster it is or went into; None when gone
    title: str  # its title when it was merged or went; "" when not known


def note(conn: Connection, events: Iterable[Event]) -> None:
    """Add these events to the history."""
    rows = [
        {"cluster_id": e.cluster_id, "event": e.event, "into_id": e.into_id, "at": e.at,
         "title": e.title}
        for e in events
    ]  # fmt: skip
    if rows:
        conn.execute(insert(cluster_history), rows)


def history(conn: Connection, cluster_id: int) -> list[Event]:
    """Everything that happened to a cluster id, oldest first."""
    query = (
        select(cluster_history).where(cluster_history.c.cluster_id == cluster_id)
        .order_by(cluster_history.c.id)
    )  # fmt: skip
    return [
        Event(row.cluster_id, row.event, row.into_id, row.at, row.title)
        for row in conn.execute(query)
    ]


def fate(conn: Connection, cluster_id: int) -> Fate | None:
    """Where a cluster id leads: itself, along its merges, or nowhere; None if never known.

    A chain of merges is followed to its end; a chain that runs in a circle (a damaged store)
    leads nowhere rather than on forever.
    """
    if not 0 < cluster_id <= MAX_ID:
        return None
    seen: list[int] = []
    current: int | None = cluster_id
    while current is not None and current not in seen:
        row = conn.execute(
            select(clusters.c.members, clusters.c.merged_into).where(clusters.c.id == current)
        ).first()
        if row is None:
            if not seen:
                return None
            current = None
            break
        seen.append(current)
        if row.members:
            return Fate(cluster_id, current, _title(conn, seen))
        current = row.merged_into
    return Fate(cluster_id, None, _title(conn, seen))


def _title(conn: Connection, chain: list[int]) -> str:
    """The title of the first of these ids the history knows one for (the asked id first)."""
    for cluster_id in chain:
        query = (
            select(cluster_history.c.title)
            .where(cluster_history.c.cluster_id == cluster_id, cluster_history.c.title != "")
            .order_by(cluster_history.c.id.desc())
            .limit(1)
        )
        title = conn.execute(query).scalar()
        if title:
            return title
    return ""


def depart(conn: Connection, left: Mapping[int, int], now: datetime) -> None:
    """Note that these records (record id -> cluster id) left their clusters now."""
    _forget(conn, left)
    rows = [{"record_id": rid, "cluster_id": cid, "left_at": now} for rid, cid in left.items()]
    for start in range(0, len(rows), 5000):
        conn.execute(insert(departed_records), rows[start : start + 5000])


def arrive(conn: Connection, record_ids: Iterable[int], now: datetime) -> None:
    """These records are in a cluster again; departures older than a year are forgotten."""
    _forget(conn, record_ids)
    conn.execute(delete(departed_records).where(departed_records.c.left_at < now - RETURN_WITHIN))


def _forget(conn: Connection, record_ids: Iterable[int]) -> None:
    ids = list(record_ids) if _any_departed(conn) else []
    for start in range(0, len(ids), 500):  # SQLite allows only so many parameters
        chunk = ids[start : start + 500]
        conn.execute(delete(departed_records).where(departed_records.c.record_id.in_(chunk)))


def _any_departed(conn: Connection) -> bool:
    return conn.execute(select(departed_records.c.record_id).limit(1)).first() is not None


def returning(
    conn: Connection, groups: Mapping[int, list[int]], taken: set[int], now: datetime
) -> dict[int, int]:
    """Old ids for new groups (group key -> record ids) whose records came back within a year.

    A group takes the id its records left most recently, if that cluster is gone (not merged
    into another, whose permalink leads there) and not in `taken`; each id goes to one group.
    """
    # the first grouping of a catalogue makes every group new: a million records to look up
    wanted = [rid for ids in groups.values() for rid in ids] if _any_departed(conn) else []
    left: dict[int, tuple[int, datetime]] = {}
    for start in range(0, len(wanted), 500):
        query = (
            select(departed_records, clusters.c.members, clusters.c.merged_into)
            .join(clusters, clusters.c.id == departed_records.c.cluster_id)
            .where(departed_records.c.record_id.in_(wanted[start : start + 500]),
                   departed_records.c.left_at >= now - RETURN_WITHIN)
        )  # fmt: skip
        for row in conn.execute(query):
            if row.members == 0 and row.merged_into is None:
                left[row.record_id] = (row.cluster_id, row.left_at)
    found: dict[int, int] = {}
    used = set(taken)
    for key, record_ids in groups.items():
        candidates = sorted((left[rid] for rid in record_ids if rid in left),
                            key=lambda c: (c[1], -c[0]), reverse=True)  # fmt: skip
        for cluster_id, _at in candidates:
            if cluster_id not in used:
                found[key] = cluster_id
                used.add(cluster_id)
                break
    return found
