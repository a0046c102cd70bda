"""Accounts of the loan network: patrons, librarians and the network's administrators.

A patron is a card *of a library*: the same card number at two libraries is two people.
Staff log in with their name, unique among staff and never equal to a card number. An
account is named on the command line and in forms by its card, its staff name or `id:N`,
and acted on by its id only. Passwords of libnet's own accounts are scrypt hashes
(werkzeug's, with a random salt each), never text; a patron whose library's own system
checks the PIN has none in libnet.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, func, insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from libnet.email_address import AddressProblem, normalised_email
from libnet.errors import LibnetError
from libnet.store.schema import MAX_ID, users
from libnet.times import utc

ROLES = ("patron", "librarian", "admin")
LANGUAGES = ("de", "en")
MIN_PASSWORD = 8
TOKEN_USE_NOTED = timedelta(hours=1)  # a token's last_used is written at most this often
_HASH_METHOD = "scrypt"
# checked when a login names no account, so that a wrong name costs as long as a wrong password
_NO_ACCOUNT_HASH = generate_password_hash("no account has this password", _HASH_METHOD)


class AccountError(LibnetError):
    """An account that cannot be made or found as asked."""


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    role: str
    library: str
    card: str | None
    email: str
    language: str
    disabled: bool
    created_at: datetime
    last_login: datetime | None
    order_block: str = ""  # from the library's system: why the patron may not order now
    desk_block: str = ""  # from the library's desk: why the patron may not order now
    provisional: bool = False  # registered online, not yet approved by the library
    checked_here: bool = True  # libnet checks the password; False: the library's own system
    deleted: bool = False  # its personal data removed ("Konto löschen")

    @property
    def may_order(self) -> bool:
        return not (self.order_block or self.desk_block or self.provisional or self.disabled)

    @property
    def login(self) -> str:
        """What the person types to log in: a patron's card number, staff's name."""
        return self.card if self.role == "patron" and self.card else self.name


def add_user(
    conn: Connection,
    *,
    role: str,
    library: str,
    name: str,
    password: str | None,
    card: str | None = None,
    email: str = "",
    language: str = "de",
    libraries: tuple[str, ...] = (),
) -> Account:
    """Create an account; AccountError names what is wrong with the request.

    `libraries`: the codes the configuration knows; the account's library must be one.
    """
    name, card, email = name.strip(), (card or "").strip() or None, email.strip()
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if libraries and library not in libraries:
        raise AccountError(f"no library {library!r} in the configuration")
    if not name:
        raise AccountError("an account needs a name")
    if language not in LANGUAGES:
        raise AccountError(f"language must be one of {', '.join(LANGUAGES)}")
    if role == "patron" and not card:
        raise AccountError("a patron needs a card number (--card)")
    if role != "patron" and card:
        raise AccountError("only patrons have a card number")
    email = _address(email)
    if password is not None:
        check_password(password)
    if card:
        same = select(users.c.id).where(users.c.library == library, users.c.card == card)
        if conn.scalar(same) is not None:
            raise AccountError(f"card {card} of {library} already belongs to an account")
        if conn.scalar(_staff_named(card)) is not None:
            raise AccountError(f"card {card} is a staff member's name: a card may not be one")
    if role != "patron":
        if conn.scalar(_staff_named(name)) is not None:
            raise AccountError(f"a staff account called {name!r} exists already")
        if conn.scalar(select(users.c.id).where(func.lower(users.c.card) == name.lower())):
            raise AccountError(f"{name!r} is a card number: a staff name may not be one")
    now = datetime.now(UTC)
    row = {
        "name": name, "role": role, "library": library, "card": card, "email": email,
        "language": language, "disabled": False, "created_at": now,
        "password_hash": None if password is None else hash_password(password),
    }  # fmt: skip
    user_id = conn.execute(insert(users).values(**row).returning(users.c.id)).scalar_one()
    return Account(user_id, name, role, library, card, email, language, False, now, None,
                   checked_here=password is not None)  # fmt: skip


def list_users(conn: Connection, library: str | None = None) -> list[Account]:
    """Every account, or a library's, by role and name."""
    query = select(users).order_by(users.c.role, users.c.library, users.c.name, users.c.id)
    if library:
        query = query.where(users.c.library == library)
    return [_account(row) for row in conn.execute(query).mappings()]


def get_user(conn: Connection, user_id: int) -> Account | None:
    """The account with this id, or None."""
    if not 0 < user_id <= MAX_ID:
        return None
    row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return None if row is None else _account(row)


@dataclass(frozen=True, slots=True)
class Contact:
    """How to reach a patron: what the staff of the patron's side see of the person."""

    name: str
    card: str | None
    email: str


def contact(conn: Connection, user_id: int) -> Contact | None:
    """The name, card and e-mail of the account with this id, or None."""
    query = select(users.c.name, users.c.card, users.c.email).where(users.c.id == user_id)
    row = conn.execute(query).first()
    return None if row is None else Contact(row.name, row.card, row.email)


def contacts(conn: Connection, user_ids: Collection[int]) -> dict[int, Contact]:
    """user id -> name, card and e-mail, for those of these accounts that exist."""
    query = select(users.c.id, users.c.name, users.c.card, users.c.email).where(
        users.c.id.in_(user_ids)
    )
    return {row.id: Contact(row.name, row.card, row.email) for row in conn.execute(query)}


def staff_names(conn: Connection, user_ids: Collection[int]) -> dict[int, str]:
    """user id -> name, for those of these accounts that are staff (not patrons)."""
    if not user_ids:
        return {}
    query = select(users.c.id, users.c.name, users.c.role).where(users.c.id.in_(user_ids))
    return {row.id: row.name for row in conn.execute(query) if row.role != "patron"}


def find_user(conn: Connection, who: str) -> Account:
    """The one account named so: `id:N`, a card number, or a staff name.

    A card that two libraries issued, or a name that fits several accounts, is refused with
    the matches named as `id:N`, so that the caller can say which one is meant.
    """
    who = who.strip()
    if who.startswith("id:"):
        number = who[3:]
        found = get_user(conn, int(number)) if number.isdigit() and len(number) < 11 else None
        if found is None:
            raise AccountError(f"no account {who}")
        return found
    rows = list(conn.execute(select(users).where(users.c.card == who)).mappings())
    if not rows:
        rows = list(conn.execute(_staff_rows(who)).mappings())
    if not rows:
        raise AccountError(f"no account with the card or staff name {who!r}")
    if len(rows) > 1:
        matches = ", ".join(f"id:{row['id']} ({row['library']})" for row in rows)
        raise AccountError(f"{who!r} is ambiguous: {matches}; give id:N")
    return _account(rows[0])


def card_account(conn: Connection, library: str, card: str, folded: bool = False) -> Account | None:
    """The account of this card of this library, or None.

    `folded`: match the card whatever its case, as a directory does, so that "m1001" and
    "M1001" checked by the library's own system are one account, not two.
    """
    same = (
        func.lower(users.c.card) == card.strip().lower() if folded else users.c.card == card.strip()
    )
    query = select(users).where(users.c.library == library, same).order_by(users.c.id)
    row = conn.execute(query).mappings().first()
    return None if row is None else _account(row)


def staff_account(conn: Connection, name: str) -> Account | None:
    """The staff account of this name (any case), or None."""
    row = conn.execute(_staff_rows(name)).mappings().first()
    return None if row is None else _account(row)


def password_hash(conn: Connection, user_id: int) -> str | None:
    """The stored hash of a local account's password (None: none is kept)."""
    return conn.scalar(select(users.c.password_hash).where(users.c.id == user_id))


def disable_user(conn: Connection, user_id: int) -> Account:
    """Disable an account: it can no longer log in; its requests and history stay.

    The caller ends the account's sessions in the same transaction (libnet.accounts.sessions).
    """
    conn.execute(update(users).where(users.c.id == user_id).values(disabled=True))
    account = get_user(conn, user_id)
    if account is None:
        raise AccountError(f"no account id:{user_id}")
    return account


def set_password(conn: Connection, user_id: int, password: str) -> None:
    """Set a local account's password (the caller ends its sessions in the same transaction)."""
    check_password(password)
    done = conn.execute(
        update(users).where(users.c.id == user_id).values(password_hash=hash_password(password))
    )
    if done.rowcount == 0:
        raise AccountError(f"no account id:{user_id}")


def set_contact(conn: Connection, user_id: int, *, email: str, language: str) -> Account:
    """Set an account's e-mail address ("": none, so no notices) and language; the account.

    AccountError names what is wrong: not one plausible address, or a language libnet has not.
    """
    email = _address(email)
    if language not in LANGUAGES:
        raise AccountError(f"language must be one of {', '.join(LANGUAGES)}")
    conn.execute(update(users).where(users.c.id == user_id).values(email=email, language=language))
    account = get_user(conn, user_id)
    if account is None:
        raise AccountError(f"no account id:{user_id}")
    return account


def hash_password(password: str) -> str:
    return generate_password_hash(password, _HASH_METHOD)


def password_matches(stored: str | None, password: str) -> bool:
    """Whether the password fits the hash; as slow for no hash as for a wrong password."""
    if not stored:
        check_password_hash(_NO_ACCOUNT_HASH, password)
        return False
    return check_password_hash(stored, password)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")


def _address(text: str) -> str:
    """The address as kept ("" for none), or AccountError saying why it is none."""
    if not text.strip():
        return ""
    address = normalised_email(text)
    if isinstance(address, AddressProblem):
        raise AccountError(str(address))
    return address


def _staff_named(name: str):
    return select(users.c.id).where(func.lower(users.c.name) == name.strip().lower(),
                                    users.c.role != "patron")  # fmt: skip


def _staff_rows(name: str):
    return select(users).where(func.lower(users.c.name) == name.strip().lower(),
                               users.c.role != "patron")  # fmt: skip


def _account(row) -> Account:
    return Account(
        row["id"], row["name"], row["role"], row["library"], row["card"], row["email"],
        row["language"], bool(row["disabled"]), utc(row["created_at"]),
        utc(row["last_login"]), row["order_block"], row["desk_block"], bool(row["provisional"]),
        row["password_hash"] is not None, row["deleted_at"] is not None,
    )  # fmt: skip
