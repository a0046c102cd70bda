"""How long sessions are kept: a session's row goes in the nightly run after it ended.

The privacy page promises it (webapp/templates/privacy.html): a session, with the browser's
name, is kept while it is open. A session has ended when it was ended (logout, password
change, "log out everywhere") or outlived its idle time or lifetime ([sessions]); nothing
reads its row after that.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, or_

from libnet.accounts.sessions import Lifetimes
from libnet.store.schema import user_sessions


def forget_ended_sessions(conn: Connection, limits: Lifetimes, now: datetime) -> int:
    """Delete the sessions that ended or outlived `limits`, in the caller's transaction."""
    ended = or_(
        user_sessions.c.ended_at.is_not(None),
        user_sessions.c.last_seen < now - limits.idle,
        user_sessions.c.created_at < now - limits.lifetime,
    )
    return conn.execute(delete(user_sessions).where(ended)).rowcount
