"""Saved searches: a patron's searches kept by name, to run again, with an optional alert.

A search is kept as the query string the search page takes (`q=kehlmann&format=book`), so a
saved search runs exactly as the patron saw it, filters included. Each has a random token of
its own: the unsubscribe link of its alert mails carries it, and turns the alert off without a
login; it opens nothing else.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select, update

from libnet.lists.errors import ListError, ListFull
from libnet.store.schema import saved_searches
from libnet.times import utc

MAX_SEARCHES = 50  # saved searches of one patron
MAX_NAME = 200
MAX_QUERY = 2000  # characters of the query string, as the search page's address allows
MAX_TOKEN = 64


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: int
    user_id: int
    name: str
    query: str  # the search page's query string, without "?"
    alert: bool
    created_at: datetime
    last_alert_at: datetime | None  # when the last alert mail went to the patron
    seen_cluster: int | None  # the newest cluster looked at; None before the first look
    token: str  # of the unsubscribe link


def save(conn: Connection, user_id: int, name: str, query: str, now: datetime) -> SavedSearch:
    """Keep a search under a name (the query when blank); the same query twice is kept once,
    under the newer name. ListError for an empty or too long query, or too many searches."""
    query, name = query.strip().lstrip("?"), " ".join(name.split())[:MAX_NAME]
    if not query or len(query) > MAX_QUERY:
        raise ListError(f"a saved search needs a query of at most {MAX_QUERY} characters")
    name = name or query[:MAX_NAME]
    kept = next((s for s in searches(conn, user_id) if s.query == query), None)
    if kept is not None:
        where = saved_searches.c.id == kept.id
        conn.execute(update(saved_searches).where(where).values(name=name))
        return _one(conn, where)
    if conn.scalar(select(func.count()).where(saved_searches.c.user_id == user_id)) >= MAX_SEARCHES:
        raise ListFull(f"at most {MAX_SEARCHES} saved searches; delete one first")
    new_id = conn.execute(
        insert(saved_searches).values(
            user_id=user_id, name=name, query=query, alert=False, created_at=now,
            token=secrets.token_urlsafe(32),
        ).returning(saved_searches.c.id)
    ).scalar_one()  # fmt: skip
    return _one(conn, saved_searches.c.id == new_id)


def searches(conn: Connection, user_id: int) -> list[SavedSearch]:
    """The patron's saved searches, by name."""
    query = (
        select(saved_searches)
        .where(saved_searches.c.user_id == user_id)
        .order_by(func.lower(saved_searches.c.name), saved_searches.c.id)
    )
    return [from_row(row) for row in conn.execute(query).mappings()]


def set_alert(conn: Connection, user_id: int, search_id: int, on: bool) -> bool:
    """Turn a saved search's alert on or off; False when the patron has no such search."""
    where = (saved_searches.c.id == search_id, saved_searches.c.user_id == user_id)
    return conn.execute(update(saved_searches).where(*where).values(alert=on)).rowcount == 1


def remove(conn: Connection, user_id: int, search_id: int) -> bool:
    """Delete a saved search; False when the patron has no such search."""
    where = (saved_searches.c.id == search_id, saved_searches.c.user_id == user_id)
    return conn.execute(delete(saved_searches).where(*where)).rowcount == 1


def by_token(conn: Connection, token: str) -> SavedSearch | None:
    """The saved search an unsubscribe link names, or None (forged, or deleted since)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return _found(conn, saved_searches.c.token == token)


def unsubscribe(conn: Connection, token: str) -> SavedSearch | None:
    """Turn off the alert the link names; the search after, or None when it names none."""
    found = by_token(conn, token)
    if found is None:
        return None
    set_alert(conn, found.user_id, found.id, False)
    return _one(conn, saved_searches.c.id == found.id)


def forget(conn: Connection, user_id: int) -> int:
    """Delete every saved search of the patron (the account is deleted); how many went."""
    where = saved_searches.c.user_id == user_id
    return conn.execute(delete(saved_searches).where(where)).rowcount


def _found(conn: Connection, where: ColumnElement[bool]) -> SavedSearch | None:
    row = conn.execute(select(saved_searches).where(where)).mappings().first()
    return None if row is None else from_row(row)


def _one(conn: Connection, where: ColumnElement[bool]) -> SavedSearch:
    found = _found(conn, where)
    assert found is not None  # written in this transaction
    return found


def from_row(row: Mapping[str, Any]) -> SavedSearch:
    """A saved search from its row of the table."""
    return SavedSearch(
        row["id"], row["user_id"], row["name"], row["query"], bool(row["alert"]),
        utc(row["created_at"]), utc(row["last_alert_at"]), row["seen_cluster"], row["token"],
    )  # fmt: skip
