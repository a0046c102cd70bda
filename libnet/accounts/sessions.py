"""Logins that end: server-side sessions.

A login makes a session: a random token for the browser's cookie, its SHA-256 in the store.
Every request finds its session by the token and is turned away when the session has ended:
by logout, by idling longer than `idle` or living longer than `lifetime` ([sessions]), or
because its account's password was changed or reset, the account was disabled, or someone
ended it from "Mein Konto" or the administrator's "log out everywhere". A copy of the cookie
taken before any of these opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_, insert, select, update

from libnet.store import transaction
from libnet.store.schema import user_sessions
from libnet.times import utc

SEEN_NOTED = timedelta(minutes=1)  # last_seen is written at most this often
MAX_BROWSER = 200


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    user_id: int
    created_at: datetime
    last_seen: datetime
    browser: str


@dataclass(frozen=True, slots=True)
class Lifetimes:
    idle: timedelta
    lifetime: timedelta

    @classmethod
    def hours(cls, idle: float, lifetime: float) -> Lifetimes:
        return cls(timedelta(hours=idle), timedelta(hours=lifetime))


def start(conn: Connection, user_id: int, browser: str, now: datetime) -> str:
    """A new session of this account; the token for the cookie (shown once)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        insert(user_sessions).values(
            token_hash=_hash(token), user_id=user_id, created_at=now, last_seen=now,
            browser=browser[:MAX_BROWSER],
        )
    )  # fmt: skip
    return token


def current(engine: Engine, token: str, limits: Lifetimes, now: datetime) -> Session | None:
    """The open session of this token, its last_seen brought up to date; None when ended."""
    if not token or len(token) > 100:
        return None
    query = select(user_sessions).where(
        user_sessions.c.token_hash == _hash(token), user_sessions.c.ended_at.is_(None)
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return None
    session = _session(row)
    if session.last_seen + limits.idle < now or session.created_at + limits.lifetime < now:
        with transaction(engine) as conn:
            _end(conn, user_sessions.c.id == session.id, now)
        return None
    if now - session.last_seen >= SEEN_NOTED:
        with transaction(engine) as conn:
            conn.execute(
                update(user_sessions).where(user_sessions.c.id == session.id).values(last_seen=now)
            )
    return session


def end(conn: Connection, session_id: int, now: datetime, user_id: int | None = None) -> bool:
    """End one session (of this account, when given); whether there was one open."""
    where = user_sessions.c.id == session_id
    if user_id is not None:
        where = and_(where, user_sessions.c.user_id == user_id)
    return _end(conn, where, now) > 0


def end_all(conn: Connection, user_id: int, now: datetime, keep: int | None = None) -> int:
    """End every open session of an account (but `keep`); how many."""
    where = user_sessions.c.user_id == user_id
    if keep is not None:
        where = and_(where, user_sessions.c.id != keep)
    return _end(conn, where, now)


def open_sessions(
    conn: Connection, user_id: int, limits: Lifetimes, now: datetime
) -> list[Session]:
    """The account's sessions that are still open, the newest first."""
    query = (
        select(user_sessions)
        .where(user_sessions.c.user_id == user_id, user_sessions.c.ended_at.is_(None))
        .order_by(user_sessions.c.last_seen.desc(), user_sessions.c.id.desc())
    )
    found = [_session(row) for row in conn.execute(query).mappings()]
    return [
        s
        for s in found
        if s.last_seen + limits.idle >= now and s.created_at + limits.lifetime >= now
    ]


def _end(conn: Connection, where, now: datetime) -> int:
    done = conn.execute(
        update(user_sessions).where(where, user_sessions.c.ended_at.is_(None)).values(ended_at=now)
    )
    return done.rowcount


def _session(row) -> Session:
    return Session(row["id"], row["user_id"], utc(row["created_at"]), utc(row["last_seen"]),
                   row["browser"])  # fmt: skip


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
