"""The Merkliste: titles a patron keeps, each with a note, the newest first.

An entry names a cluster. A cluster merged into another later still leads there (the record
page answers 301), and one that left the catalogue stays on the list until the patron removes
it, so nothing a patron kept disappears without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from libnet.lists.errors import ListError, ListFull, UnknownTitle
from libnet.store.schema import MAX_ID, clusters, list_entries
from libnet.times import utc

MAX_ENTRIES = 500  # titles on one list: more is an archive, not a list
MAX_NOTE = 2000  # characters of one note


@dataclass(frozen=True, slots=True)
class Entry:
    cluster_id: int
    note: str
    added_at: datetime


def add(conn: Connection, user_id: int, cluster_id: int, now: datetime) -> bool:
    """Put a title on the patron's list; False when it is there already.

    ListError for a cluster the store does not know, or a list that is full.
    """
    if cluster_id in cluster_ids(conn, user_id):
        return False
    known = 0 < cluster_id <= MAX_ID and conn.scalar(
        select(clusters.c.id).where(clusters.c.id == cluster_id)
    )
    if not known:
        raise UnknownTitle(f"there is no title {cluster_id}")
    if _count(conn, user_id) >= MAX_ENTRIES:
        raise ListFull(f"the list is full: at most {MAX_ENTRIES} titles")
    conn.execute(insert(list_entries).values(user_id=user_id, cluster_id=cluster_id, note="",
                                             added_at=now))  # fmt: skip
    return True


def remove(conn: Connection, user_id: int, cluster_id: int) -> bool:
    """Take a title off the patron's list; False when it was not on it."""
    where = (list_entries.c.user_id == user_id, list_entries.c.cluster_id == cluster_id)
    return conn.execute(delete(list_entries).where(*where)).rowcount == 1


def set_note(conn: Connection, user_id: int, cluster_id: int, note: str) -> bool:
    """The patron's note on a title of the list (blank: none); False when it is not on it."""
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ListError(f"a note has at most {MAX_NOTE} characters")
    where = (list_entries.c.user_id == user_id, list_entries.c.cluster_id == cluster_id)
    return conn.execute(update(list_entries).where(*where).values(note=note)).rowcount == 1


def entries(conn: Connection, user_id: int) -> list[Entry]:
    """The patron's list, the title added last first."""
    query = (
        select(list_entries.c.cluster_id, list_entries.c.note, list_entries.c.added_at)
        .where(list_entries.c.user_id == user_id)
        .order_by(list_entries.c.added_at.desc(), list_entries.c.id.desc())
    )
    return [Entry(row.cluster_id, row.note, utc(row.added_at)) for row in conn.execute(query)]


def cluster_ids(conn: Connection, user_id: int) -> set[int]:
    """The titles on the patron's list, for the "on your list" marks of the pages."""
    query = select(list_entries.c.cluster_id).where(list_entries.c.user_id == user_id)
    return set(conn.scalars(query))


def forget(conn: Connection, user_id: int) -> int:
    """Delete the patron's whole list (the account is deleted); how many entries went."""
    return conn.execute(delete(list_entries).where(list_entries.c.user_id == user_id)).rowcount


def _count(conn: Connection, user_id: int) -> int:
    query = select(func.count()).where(list_entries.c.user_id == user_id)
    return conn.scalar(query) or 0
