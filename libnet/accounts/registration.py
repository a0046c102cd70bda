"""Online registration ([libraries.patrons] registration = true): a provisional account.

A person registers with their library, name, birth date, e-mail address and a password; a
card number they already have, or one libnet makes up. The account may log in, search and
save, but not order (`Account.may_order`) until the library approves it on the patron desk.
A second registration of the same name and birth date at the library is refused: the person
is asked to come to the desk, where the library can tell one person from two. A rejected
registration is disabled and its personal data cleared.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, func, select, update

from libnet.accounts import sessions
from libnet.accounts.model import Account, AccountError, add_user, get_user
from libnet.store.schema import users

OLDEST = date(1900, 1, 1)
_CARD_DIGITS = 8


class DuplicateRegistration(AccountError):
    """The library has an account of this name and birth date already."""


@dataclass(frozen=True, slots=True)
class Registration:
    """A provisional account waiting for the library's approval."""

    account: Account
    birth_date: str


def birth_date(text: str, today: date) -> date:
    """A birth date given as YYYY-MM-DD; AccountError when it is none or not plausible."""
    try:
        born = date.fromisoformat(text.strip())
    except ValueError:
        raise AccountError("give the birth date as a date (YYYY-MM-DD)") from None
    if not OLDEST <= born < today:
        raise AccountError("the birth date is not plausible")
    return born


def register(
    conn: Connection,
    *,
    library: str,
    name: str,
    born: date,
    email: str,
    password: str,
    card: str = "",
    card_prefix: str = "",
    libraries: tuple[str, ...] = (),
) -> Account:
    """A provisional patron account; with no `card`, one is made up (`card_prefix` and eight
    digits). DuplicateRegistration for a second person of this name and birth date."""
    name = " ".join(name.split())
    if _same_person(conn, library, name, born.isoformat()):
        raise DuplicateRegistration(
            f"{library} has an account of {name!r} born {born.isoformat()} already"
        )
    card = card.strip() or _new_card(conn, library, card_prefix)
    account = add_user(conn, role="patron", library=library, name=name, card=card,
                       email=email, password=password, libraries=libraries)  # fmt: skip
    conn.execute(
        update(users)
        .where(users.c.id == account.id)
        .values(provisional=True, birth_date=born.isoformat())
    )
    found = get_user(conn, account.id)
    assert found is not None
    return found


def pending(conn: Connection, library: str) -> list[Registration]:
    """The library's registrations waiting for approval ("": every library's), oldest first."""
    query = (
        select(users.c.id, users.c.birth_date)
        .where(users.c.provisional.is_(True), users.c.disabled.is_(False), users.c.role == "patron")
        .order_by(users.c.created_at, users.c.id)
    )
    if library:
        query = query.where(users.c.library == library)
    waiting = []
    for row in conn.execute(query).all():
        account = get_user(conn, row.id)
        if account is not None:
            waiting.append(Registration(account, row.birth_date or ""))
    return waiting


def approve(conn: Connection, patron_id: int) -> Account:
    """The registration approved: the patron may order."""
    done = conn.execute(
        update(users)
        .where(users.c.id == patron_id, users.c.provisional.is_(True), users.c.disabled.is_(False))
        .values(provisional=False)
    )
    if done.rowcount != 1:
        raise AccountError(f"no registration id:{patron_id} waits for approval")
    found = get_user(conn, patron_id)
    assert found is not None
    return found


def reject(conn: Connection, patron_id: int, now: datetime) -> None:
    """The registration rejected: the account disabled, its sessions ended, its name,
    card, e-mail, birth date and password removed."""
    done = conn.execute(
        update(users)
        .where(users.c.id == patron_id, users.c.provisional.is_(True), users.c.disabled.is_(False))
        .values(
            disabled=True,
            name="",
            card=None,
            email="",
            birth_date=None,
            password_hash=None,
            deleted_at=now,
        )
    )
    if done.rowcount != 1:
        raise AccountError(f"no registration id:{patron_id} waits for approval")
    sessions.end_all(conn, patron_id, now)


def _same_person(conn: Connection, library: str, name: str, born: str) -> bool:
    query = select(users.c.id).where(
        users.c.library == library,
        users.c.role == "patron",
        users.c.deleted_at.is_(None),
        func.lower(users.c.name) == name.lower(),
        users.c.birth_date == born,
    )
    return conn.scalar(query.limit(1)) is not None


def _new_card(conn: Connection, library: str, prefix: str) -> str:
    """A card number the library has not given yet: the prefix and eight random digits."""
    for _ in range(20):
        card = prefix + "".join(secrets.choice("0123456789") for _ in range(_CARD_DIGITS))
        taken = select(users.c.id).where(users.c.library == library, users.c.card == card)
        if conn.scalar(taken) is None:
            return card
    raise AccountError(f"no free card number with the prefix {prefix!r}")
