"""Deleting a patron's account ("Konto löschen"): its personal data goes, the row stays.

The row stays because the audit log and the statistics count requests, and requests once
pointed at it; what made it a person goes: name, card, e-mail, password hash, birth date and
the blocks are cleared, the account disabled and marked deleted. Its sessions, API tokens,
failed logins, the login counters keyed with its card, its Merkliste and its saved searches
(with their alerts, libnet.lists) are deleted; its requests are unlinked from it at once, as
libnet.loans.anonymisation does for every request some time after it ended, and the notices
to its address lose address and text. Only an account without an open request can go: a copy
on its way must still find its patron.

Staff accounts are never deleted, only disabled: the audit log names who acted for a library.
The library's own patron system (LDAP, SIP2) keeps its record of the card; a later login with
it makes a new, empty libnet account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, select, update

from libnet.accounts import sessions, throttle
from libnet.accounts.model import Account, AccountError, get_user
from libnet.lists import merkliste, saved_searches
from libnet.loans.anonymisation import clear_notices, unlink
from libnet.loans.states import TERMINAL
from libnet.store.schema import (
    api_tokens,
    loan_requests,
    login_failures,
    login_throttle,
    notices,
    user_sessions,
    users,
)


@dataclass(frozen=True, slots=True)
class OpenRequest:
    id: int
    title: str
    state: str


class OpenRequests(AccountError):
    """The account has requests that are not finished: it cannot be deleted yet."""

    def __init__(self, requests: tuple[OpenRequest, ...]) -> None:
        self.requests = requests
        named = ", ".join(f"{r.id} ({r.title}, {r.state})" for r in requests)
        super().__init__(f"the account has open requests, finish or cancel them first: {named}")


def open_requests(conn: Connection, user_id: int) -> tuple[OpenRequest, ...]:
    """The account's requests that are not finished (not in a terminal state), the oldest first."""
    query = (
        select(loan_requests.c.id, loan_requests.c.title, loan_requests.c.state)
        .where(
            loan_requests.c.patron_id == user_id,
            loan_requests.c.state.not_in([state.value for state in TERMINAL]),
        )
        .order_by(loan_requests.c.id)
    )
    return tuple(OpenRequest(row.id, row.title, row.state) for row in conn.execute(query))


def delete_account(conn: Connection, user_id: int, now: datetime) -> Account:
    """Remove a patron account's personal data, in the caller's transaction; the account after.

    Refused (AccountError) for an unknown account, a staff account, one deleted already, and
    (OpenRequests, naming them) while one of its requests is open.
    """
    account = get_user(conn, user_id)
    if account is None:
        raise AccountError(f"no account id:{user_id}")
    if account.role != "patron":
        raise AccountError(f"id:{user_id} is a staff account: staff accounts are only disabled")
    if account.deleted:
        raise AccountError(f"the account id:{user_id} was deleted already")
    still_open = open_requests(conn, user_id)
    if still_open:
        raise OpenRequests(still_open)
    mine = conn.scalars(select(loan_requests.c.id).where(loan_requests.c.patron_id == user_id))
    unlink(conn, user_id, list(mine))
    if account.email:
        clear_notices(conn, func.lower(notices.c.recipient) == account.email.lower())
    sessions.end_all(conn, user_id, now)
    merkliste.forget(conn, user_id)
    saved_searches.forget(conn, user_id)
    for table in (user_sessions, api_tokens, login_failures):
        conn.execute(delete(table).where(table.c.user_id == user_id))
    if account.card:
        # the pair counters of this card at its library, from every client address
        prefix = throttle.keys(account.library, account.card, "")[0]
        conn.execute(delete(login_throttle).where(login_throttle.c.key.startswith(
            prefix, autoescape=True)))  # fmt: skip
    conn.execute(
        update(users).where(users.c.id == user_id).values(
            name="", card=None, email="", password_hash=None, birth_date=None, order_block="",
            desk_block="", provisional=False, disabled=True, last_login=None, deleted_at=now,
        )
    )  # fmt: skip
    deleted = get_user(conn, user_id)
    assert deleted is not None
    return deleted
