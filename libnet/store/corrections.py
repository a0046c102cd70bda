"""The audit log of the librarians' catalogue corrections made in the browser.

A librarian who finds two editions in one cluster splits a record out ("split"); one who
finds one edition in two clusters joins them ("join"). Each is one row here: who (the
account, its name and library at the time), when, why, and which records; the pairs it said
are cluster_overrides rows naming it (libnet.store.clusters.add_override), which the
grouping respects. An undo is itself a row ("undo", pointing at what it undoes); the undone
row's undone_by points back, set once: of two librarians undoing at once, one wins.
Nothing here decides what belongs together: that is index/grouping.py's and
index/corrections.py's work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from libnet.store.schema import catalogue_corrections, cluster_overrides

KINDS = ("split", "join", "undo")


@dataclass(frozen=True, slots=True)
class Correction:
    """One row of the corrections' audit log."""

    id: int
    kind: str  # split, join, undo
    cluster_id: int  # the cluster the librarian acted on
    other_cluster_id: int | None  # a join's other cluster
    records: tuple[tuple[str, str], ...]  # (library, local id): a split's member first
    reason: str
    user_id: int
    by_name: str
    by_library: str
    at: datetime
    undoes: int | None  # an undo: the correction it undid
    undone_by: int | None  # the undo that undid this one


@dataclass(frozen=True, slots=True)
class Made:
    """A correction about to be written, before it has an id."""

    kind: str
    cluster_id: int
    other_cluster_id: int | None
    records: tuple[tuple[str, str], ...]
    reason: str
    user_id: int
    by_name: str
    by_library: str
    at: datetime
    undoes: int | None = None


def add(conn: Connection, made: Made) -> int:
    """Write a correction's row; its id."""
    values = {
        "kind": made.kind, "cluster_id": made.cluster_id,
        "other_cluster_id": made.other_cluster_id,
        "records": json.dumps([list(pair) for pair in made.records], ensure_ascii=False),
        "reason": made.reason, "user_id": made.user_id, "by_name": made.by_name,
        "by_library": made.by_library, "at": made.at, "undoes": made.undoes,
    }  # fmt: skip
    return conn.execute(insert(catalogue_corrections).values(**values)).inserted_primary_key[0]


def get(conn: Connection, correction_id: int) -> Correction | None:
    row = conn.execute(
        select(catalogue_corrections).where(catalogue_corrections.c.id == correction_id)
    ).first()
    return _correction(row) if row else None


def listed(
    conn: Connection,
    *,
    library: str = "",
    person: str = "",
    kind: str = "",
    since: datetime | None = None,
    before: datetime | None = None,
    limit: int = 200,
) -> list[Correction]:
    """The corrections, newest first, of one library, person or kind, in a time span."""
    c = catalogue_corrections.c
    query = select(catalogue_corrections).order_by(c.id.desc()).limit(limit)
    if library:
        query = query.where(c.by_library == library)
    if person:
        query = query.where(c.by_name == person)
    if kind:
        query = query.where(c.kind == kind)
    if since:
        query = query.where(c.at >= since)
    if before:
        query = query.where(c.at < before)
    return [_correction(row) for row in conn.execute(query)]


def people(conn: Connection) -> list[str]:
    """The names of everyone who made a correction, for the list's filter."""
    query = select(catalogue_corrections.c.by_name).distinct()
    return sorted(conn.execute(query).scalars())


def mark_undone(conn: Connection, correction_id: int, undo_id: int) -> bool:
    """Point a correction at its undo; False when it was undone already (the other click won)."""
    c = catalogue_corrections.c
    done = conn.execute(
        update(catalogue_corrections)
        .where(c.id == correction_id, c.undone_by.is_(None))
        .values(undone_by=undo_id)
    )
    return done.rowcount == 1


def remove_overrides(conn: Connection, correction_id: int) -> list[tuple[str, str]]:
    """Drop the pairs a correction said; the records they named."""
    o = cluster_overrides.c
    rows = conn.execute(
        select(o.library_a, o.local_id_a, o.library_b, o.local_id_b).where(
            o.correction_id == correction_id
        )
    ).all()
    conn.execute(delete(cluster_overrides).where(o.correction_id == correction_id))
    return sorted({pair for row in rows for pair in ((row[0], row[1]), (row[2], row[3]))})


def _correction(row) -> Correction:
    values = dict(row._mapping)
    values["records"] = tuple(tuple(pair) for pair in json.loads(values["records"]))
    return Correction(**values)
