"""The librarian's patron desk: finding a library's patrons, making a local account with a
first password, resetting a password, and blocking a patron from ordering.

A desk block (`desk_block`, the reason as the librarian wrote it) lets the patron log in,
search and see their requests, but not place new ones (`Account.may_order`). Passwords made
here come from `secrets`, are shown once to the librarian and kept only as a hash.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Connection, func, or_, select, update

from libnet.accounts import sessions
from libnet.accounts.model import Account, AccountError, add_user, get_user, set_password
from libnet.store.schema import users

MAX_FOUND = 50
MAX_REASON = 500
# no 0/O, 1/l/I: a password read out at the desk or copied from a slip of paper
_PASSWORD_LETTERS = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PASSWORD_LENGTH = 12


def generated_password() -> str:
    """A new random password of 12 unambiguous letters and digits (about 70 bits)."""
    return "".join(secrets.choice(_PASSWORD_LETTERS) for _ in range(_PASSWORD_LENGTH))


def find_patrons(
    conn: Connection, library: str, text: str, limit: int = MAX_FOUND
) -> list[Account]:
    """The patrons of `library` ("": of every library) whose card number starts with `text`
    or whose name or e-mail address contains it, whatever the case; by name."""
    text = text.strip().lower()
    if not text:
        return []
    pattern = "%" + _escaped(text) + "%"
    query = (
        select(users.c.id)
        .where(
            users.c.role == "patron",
            users.c.deleted_at.is_(None),
            or_(
                func.lower(users.c.card).like(_escaped(text) + "%", escape="\\"),
                func.lower(users.c.name).like(pattern, escape="\\"),
                func.lower(users.c.email).like(pattern, escape="\\"),
            ),
        )
        .order_by(func.lower(users.c.name), users.c.id)
        .limit(limit)
    )
    if library:
        query = query.where(users.c.library == library)
    found = (get_user(conn, user_id) for user_id in conn.scalars(query))
    return [account for account in found if account is not None]


def make_local_patron(
    conn: Connection,
    *,
    library: str,
    card: str,
    name: str,
    email: str = "",
    language: str = "de",
    libraries: tuple[str, ...] = (),
) -> tuple[Account, str]:
    """A new patron account of `library` with a generated password; the account and the
    password, to be shown once. AccountError names what is wrong."""
    password = generated_password()
    account = add_user(conn, role="patron", library=library, name=name, card=card,
                       email=email, language=language, password=password,
                       libraries=libraries)  # fmt: skip
    return account, password


def reset_password(conn: Connection, patron: Account, now: datetime) -> str:
    """A new generated password for a local account, every session of it ended; the password,
    to be shown once."""
    if not patron.checked_here:
        raise AccountError("the library's own system keeps this patron's PIN")
    password = generated_password()
    set_password(conn, patron.id, password)
    sessions.end_all(conn, patron.id, now)
    return password


def block(conn: Connection, patron_id: int, reason: str) -> Account:
    """Block a patron from ordering at the desk, with the reason shown to patron and staff."""
    reason = " ".join(reason.split())
    if not reason:
        raise AccountError("a block needs a reason")
    if len(reason) > MAX_REASON:
        raise AccountError(f"a reason has at most {MAX_REASON} characters")
    return _set_block(conn, patron_id, reason)


def unblock(conn: Connection, patron_id: int) -> Account:
    """Lift the desk's block: the patron may order again (unless blocked otherwise)."""
    return _set_block(conn, patron_id, "")


def _set_block(conn: Connection, patron_id: int, reason: str) -> Account:
    patron = users.c.role == "patron"
    conn.execute(update(users).where(users.c.id == patron_id, patron).values(desk_block=reason))
    account = get_user(conn, patron_id)
    if account is None or account.role != "patron":
        raise AccountError(f"no patron id:{patron_id}")
    return account


def _escaped(text: str) -> str:
    """`text` for a LIKE pattern: its own % and _ taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
