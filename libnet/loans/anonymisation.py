"""Requests that ended lose their patron: the county keeps its statistics, not the people.

A request in a terminal state (states.TERMINAL: completed, lost, unfilled, cancelled) is
unlinked from its patron `[loans] anonymise_after_days` after it ended (`anonymise`, from the
nightly run), or at once when the patron's account is deleted (`unlink`, from
libnet.accounts.deletion). Unlinking clears every trace of the person the request left:

- the request's patron_id (libraries, dates and states stay: libnet.loans.statistics counts
  by the requesting library, never by the person);
- the patron's own steps in its history keep actor "patron" but lose the account (user_id);
  the staff's steps keep their librarian, who acted for the library; the patron's name, card
  and e-mail address, where a note of its history names them, are replaced by REMOVED;
- the e-mail notices to the patron about it (every notice of the request not addressed to a
  library): sent ones are deleted, unsent ones lose their address and text and are never sent.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from libnet.accounts import get_user
from libnet.loans.notices import LIBRARY
from libnet.loans.states import TERMINAL, Actor
from libnet.store.schema import loan_events, loan_requests, notices

CLEARED = "anonymised"  # the last_error of an unsent notice whose address was cleared
REMOVED = "***"  # in a note, where the patron was named
MIN_NAMED = 3


def anonymise(conn: Connection, before: datetime) -> int:
    """Unlink from their patrons the requests that ended before `before`; how many."""
    ended = select(loan_requests.c.id, loan_requests.c.patron_id).where(
        loan_requests.c.state.in_([state.value for state in TERMINAL]),
        loan_requests.c.state_changed_at < before,
        loan_requests.c.patron_id.is_not(None),
    )
    found = conn.execute(ended).all()
    for patron_id in {row.patron_id for row in found}:
        unlink(conn, patron_id, [row.id for row in found if row.patron_id == patron_id])
    return len(found)


def unlink(conn: Connection, patron_id: int, request_ids: Collection[int]) -> None:
    """Unlink these requests of one patron from the patron, in the caller's transaction."""
    if not request_ids:
        return
    ids = list(request_ids)
    conn.execute(
        update(loan_events)
        .where(
            loan_events.c.request_id.in_(ids),
            loan_events.c.user_id == patron_id,
            loan_events.c.actor == Actor.PATRON.value,
        )
        .values(user_id=None)
    )
    _scrub_notes(conn, patron_id, ids)
    to_patron = (notices.c.request_id.in_(ids), ~notices.c.recipient.startswith(LIBRARY))
    clear_notices(conn, *to_patron)
    conn.execute(
        update(loan_requests)
        .where(loan_requests.c.id.in_(ids), loan_requests.c.patron_id == patron_id)
        .values(patron_id=None)
    )


def _scrub_notes(conn: Connection, patron_id: int, ids: list[int]) -> None:
    """The patron's name, card and e-mail address out of the notes of these requests' history
    (a librarian may have typed them: "Frau Schmidt rief an")."""
    account = get_user(conn, patron_id)
    if account is None:
        return
    # a name or card of one or two characters would blot out every such letter of a note
    given = (account.name, account.card, account.email)
    named = [re.escape(n.strip()) for n in given if n and len(n.strip()) >= MIN_NAMED]
    if not named:
        return
    pattern = re.compile("|".join(sorted(named, key=len, reverse=True)), re.IGNORECASE)
    query = select(loan_events.c.id, loan_events.c.note).where(
        loan_events.c.request_id.in_(ids), loan_events.c.note != ""
    )
    for event_id, note in conn.execute(query).all():
        scrubbed = pattern.sub(REMOVED, note)
        if scrubbed != note:
            conn.execute(
                update(loan_events).where(loan_events.c.id == event_id).values(note=scrubbed)
            )


def clear_notices(conn: Connection, *where) -> int:
    """Delete the sent notices matching `where`, clear the address and text of the unsent."""
    gone = conn.execute(delete(notices).where(*where, notices.c.sent_at.is_not(None))).rowcount
    cleared = conn.execute(
        update(notices)
        .where(*where, notices.c.sent_at.is_(None))
        .values(recipient="", body="", next_attempt_at=None, last_error=CLEARED)
    ).rowcount
    return gone + cleared
