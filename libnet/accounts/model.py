"""Accounts of the loan network: patrons, librarians and the network's administrators.

Passwords are kept as scrypt hashes (werkzeug's, with a random salt each), never as text.
Logins are throttled per account: after MAX_FAILURES wrong passwords in a row the account
refuses every login, the right password too, for LOCK_MINUTES. Whoever checks passwords
does it through an Authenticator: `StoreAuthenticator` checks libnet's own accounts, and a
library's own patron database (LDAP, SIP2, PAIA) can stand in its place later by answering
the same call.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, func, insert, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from libnet.errors import LibnetError
from libnet.store import transaction
from libnet.store.schema import MAX_ID, users
from libnet.times import utc

ROLES = ("patron", "librarian", "admin")
LANGUAGES = ("de", "en")
MIN_PASSWORD = 8
MAX_FAILURES = 5
LOCK_MINUTES = 15
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

    @property
    def login(self) -> str:
        """What the person types to log in: a patron's card number, staff's name."""
        return self.card if self.role == "patron" and self.card else self.name


class Authenticator(Protocol):
    def authenticate(self, login: str, password: str) -> Account | None:
        """The account whose login and password these are, or None."""
        ...


def add_user(
    conn: Connection,
    *,
    role: str,
    library: str,
    name: str,
    password: str,
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
    if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        raise AccountError(f"not an e-mail address: {email!r}")
    _check_password(password)
    if card and conn.scalar(select(users.c.id).where(users.c.card == card)) is not None:
        raise AccountError(f"card {card} already belongs to an account")
    if role != "patron":
        staff = select(users.c.id).where(users.c.name == name, users.c.role != "patron")
        if conn.scalar(staff) is not None:
            raise AccountError(f"a staff account called {name!r} exists already")
    now = datetime.now(UTC)
    row = {
        "name": name, "role": role, "library": library, "card": card, "email": email,
        "language": language, "password_hash": generate_password_hash(password, _HASH_METHOD),
        "disabled": False, "created_at": now, "failed_logins": 0,
    }  # fmt: skip
    user_id = conn.execute(insert(users).values(**row).returning(users.c.id)).scalar_one()
    return Account(user_id, name, role, library, card, email, language, False, now, None)


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
    """The one account with this staff name, patron name or card number."""
    rows = list(
        conn.execute(select(users).where(or_(users.c.name == who, users.c.card == who))).mappings()
    )
    by_card = [row for row in rows if row["card"] == who]
    if by_card:
        return _account(by_card[0])
    if not rows:
        raise AccountError(f"no account called {who!r}")
    if len(rows) > 1:
        cards = ", ".join(row["card"] or row["role"] for row in rows)
        raise AccountError(f"{len(rows)} accounts are called {who!r} ({cards}): give the card")
    return _account(rows[0])


def disable_user(conn: Connection, who: str) -> Account:
    """Disable an account: it can no longer log in; its requests and history stay."""
    account = find_user(conn, who)
    conn.execute(update(users).where(users.c.id == account.id).values(disabled=True))
    return replace(account, disabled=True)


def set_password(conn: Connection, who: str, password: str) -> None:
    _check_password(password)
    account = find_user(conn, who)
    hashed = generate_password_hash(password, _HASH_METHOD)
    conn.execute(
        update(users)
        .where(users.c.id == account.id)
        .values(password_hash=hashed, failed_logins=0, locked_until=None)
    )


@dataclass(frozen=True, slots=True)
class StoreAuthenticator:
    """Checks logins against libnet's own accounts in the store."""

    engine: object  # a SQLAlchemy Engine
    now: object = None  # a function giving the time (tests); default: the clock

    def authenticate(self, login: str, password: str) -> Account | None:
        """The account, when the password is right and logins are open to it; else None.

        The password is checked outside any transaction (it costs the CPU a tenth of a second
        on purpose); the outcome is then written in a transaction of its own, which waits for
        another writer instead of failing as one that had read first would on SQLite.
        """
        now = self.now() if self.now else datetime.now(UTC)
        login = login.strip()
        with self.engine.connect() as conn:
            row = _login_row(conn, login)
        if row is None:
            check_password_hash(_NO_ACCOUNT_HASH, password)
            return None
        locked = utc(row["locked_until"])
        if row["disabled"] or (locked is not None and locked > now):
            return None
        right = check_password_hash(row["password_hash"], password)
        with transaction(self.engine) as conn:
            account = users.c.id == row["id"]
            if not right:
                failures = (conn.scalar(select(users.c.failed_logins).where(account)) or 0) + 1
                values: dict[str, object] = {"failed_logins": failures}
                if failures >= MAX_FAILURES:
                    values = {"failed_logins": 0,
                              "locked_until": now + timedelta(minutes=LOCK_MINUTES)}  # fmt: skip
                conn.execute(update(users).where(account).values(**values))
                return None
            conn.execute(
                update(users)
                .where(account)
                .values(failed_logins=0, locked_until=None, last_login=now)
            )
        return _account(row)

    def locked(self, login: str) -> bool:
        """Whether logins to this account are refused for now after repeated failures."""
        now = self.now() if self.now else datetime.now(UTC)
        with self.engine.connect() as conn:
            row = _login_row(conn, login.strip())
        locked = utc(row["locked_until"]) if row is not None else None
        return locked is not None and locked > now


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")


def _login_row(conn: Connection, login: str):
    """A patron by card number, or a staff account by name."""
    if not login:
        return None
    by_card = select(users).where(users.c.card == login)
    row = conn.execute(by_card).mappings().first()
    if row is not None:
        return row
    staff = select(users).where(func.lower(users.c.name) == login.lower(), users.c.role != "patron")
    return conn.execute(staff).mappings().first()


def _account(row) -> Account:
    return Account(
        row["id"], row["name"], row["role"], row["library"], row["card"], row["email"],
        row["language"], bool(row["disabled"]), utc(row["created_at"]),
        utc(row["last_login"]),
    )  # fmt: skip
