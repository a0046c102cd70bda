"""Logging in: a staff name, or a card of a library, and its password or PIN.

Staff log in with their name and libnet's own password. A patron logs in with the card of
a library: the library chosen on the form, or the one whose `card_prefixes` the card number
starts with. Where that library checks its patrons itself ([libraries.patrons] ldap or
sip2), its system is asked and the account is made or refreshed from the answer (the PIN is
never kept); otherwise libnet's own password hash is checked.

Every failure looks the same to the person logging in: unknown card, wrong password or PIN,
a card the library blocks, a disabled account and a throttled attempt all give `Failed`,
after about the same time (a password hash is checked on every path), with the time from
which another try is welcome. Only a library whose system cannot be reached says so
(`Unreachable`): its patrons are told, and the operations page shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, insert, select, update

from libnet.accounts import throttle
from libnet.accounts.model import (
    LANGUAGES,
    Account,
    AccountError,
    add_user,
    card_account,
    get_user,
    password_hash,
    password_matches,
    staff_account,
)
from libnet.accounts.patron_systems import Patron, PatronChecker, Refused
from libnet.config import Config
from libnet.email_address import AddressProblem, normalised_email
from libnet.store import transaction
from libnet.store.schema import login_failures, patron_systems, users
from libnet.times import utc

log = logging.getLogger("libnet.accounts")

STAFF = "staff"  # the throttle's "library" of staff logins
KEEP_FAILURES = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class LoggedIn:
    account: Account


@dataclass(frozen=True, slots=True)
class Failed:
    """Not logged in, for whatever reason; another try is welcome from `retry_at` on."""

    retry_at: datetime | None


@dataclass(frozen=True, slots=True)
class Unreachable:
    """The patron's library's system did not answer: try later."""

    library: str


Outcome = LoggedIn | Failed | Unreachable
Checkers = Callable[[str], PatronChecker | None]  # library code -> its system, None: local


def log_in(
    engine: Engine,
    config: Config,
    checkers: Checkers,
    *,
    library: str,
    login: str,
    password: str,
    address: str,
    now: datetime,
) -> Outcome:
    """Check one login attempt; see the module's docstring for what each outcome means."""
    login = login.strip()
    with engine.connect() as conn:
        staff = staff_account(conn, login) if login else None
    if staff is None:
        # a card without a library fails like any other wrong login: an answer of its own
        # would tell a guesser which names are staff names
        library = library or config.library_of_card(login)
        if library not in {lib.code for lib in config.libraries}:
            library = ""
    attempt = throttle.claim(engine, STAFF if staff else library, login, address, now)
    if not attempt.allowed:
        password_matches(None, password)
        account = staff
        if account is None:
            with engine.connect() as conn:
                account = card_account(conn, library, login) if login else None
        _failed(engine, attempt, account, "throttled", now)
        return Failed(attempt.wait_until)
    if staff is not None:
        outcome, reason = _local(engine, staff, password)
    else:
        checker = checkers(library) if library else None
        if checker is None:
            with engine.connect() as conn:
                account = card_account(conn, library, login) if login and library else None
            outcome, reason = _local(engine, account, password)
        else:
            outcome, reason = _external(engine, checker, library, login, password, now)
    if isinstance(outcome, Unreachable):
        throttle.succeeded(engine, attempt)  # the library's fault, not the patron's: no count
        return outcome
    if isinstance(outcome, Account) and not reason:
        throttle.succeeded(engine, attempt)
        with transaction(engine) as conn:
            conn.execute(update(users).where(users.c.id == outcome.id).values(last_login=now))
        return LoggedIn(outcome)
    _failed(engine, attempt, outcome if isinstance(outcome, Account) else None, reason, now)
    return Failed(attempt.wait_until)


def _local(engine: Engine, account: Account | None, password: str) -> tuple[object, str]:
    """libnet's own password: (the account, "") or (the account or None, why not)."""
    with engine.connect() as conn:
        stored = password_hash(conn, account.id) if account is not None else None
    right = password_matches(stored, password)
    if account is None:
        return None, "unknown"
    if account.disabled or account.deleted:
        return account, "disabled"
    return (account, "") if right else (account, "wrong password")


def _external(
    engine: Engine, checker: PatronChecker, library: str, card: str, pin: str, now: datetime
) -> tuple[object, str]:
    """Ask the library's system; make or refresh the account from a right answer."""
    answer = checker.check(card, pin)
    with transaction(engine) as conn:
        _note_system(conn, library, answer, now)
        account = card_account(conn, library, card, folded=True) if card else None
        if isinstance(answer, Refused):
            return account, f"refused by the library: {answer.reason}"[:200]
        if not isinstance(answer, Patron):
            return Unreachable(library), ""
        if account is not None and (account.disabled or account.deleted):
            return account, "disabled"
        try:
            return _refresh(conn, library, account, answer), ""
        except AccountError as exc:
            return account, str(exc)[:200]


def _patron_email(library: str, patron: Patron) -> str:
    """The address the library's system gave, or "": a bad one is logged and not kept (the
    login goes on; the account keeps the address it had)."""
    if not patron.email.strip():
        return ""
    address = normalised_email(patron.email)
    if isinstance(address, AddressProblem):
        log.warning("patron system gave a bad e-mail address; not kept",
                    extra={"library": library, "reason": address.reason})  # fmt: skip
        return ""
    return address


def _refresh(conn: Connection, library: str, account: Account | None, patron: Patron) -> Account:
    """The patron's account, made at the first login and brought up to date at every one."""
    email = _patron_email(library, patron)
    language = patron.language if patron.language in LANGUAGES else ""
    if account is None:
        account = add_user(
            conn, role="patron", library=library, name=patron.name.strip() or patron.card,
            password=None, card=patron.card, email=email, language=language or "de",
        )  # fmt: skip
    values: dict[str, object] = {"order_block": patron.order_block[:500]}
    if patron.name.strip():
        values["name"] = patron.name.strip()[:200]
    if email:
        values["email"] = email
    if language:
        values["language"] = language
    conn.execute(update(users).where(users.c.id == account.id).values(**values))
    refreshed = get_user(conn, account.id)
    assert refreshed is not None  # made or found in this transaction
    return refreshed


def _failed(
    engine: Engine, attempt: throttle.Claim, account: Account | None, reason: str, now: datetime
) -> None:
    """Note a failed login: of an existing account, for the staff's view of it. Every failure
    commits one write, known card or not, so that the time of the answer (a commit can cost
    tens of milliseconds) does not tell which cards exist."""
    with transaction(engine) as conn:
        throttle.failed(conn, attempt, now)
        if account is not None:
            conn.execute(
                insert(login_failures).values(user_id=account.id, at=now, reason=reason[:200])
            )


def _note_system(conn: Connection, library: str, answer: object, now: datetime) -> None:
    """Keep the last answer of a library's patron system for the operations page."""
    if conn.scalar(select(patron_systems.c.library).where(patron_systems.c.library == library)):
        row = update(patron_systems).where(patron_systems.c.library == library)
    else:
        row = insert(patron_systems).values(library=library, last_failure="")
    if isinstance(answer, Patron | Refused):
        conn.execute(row.values(last_ok_at=now))
    else:
        conn.execute(row.values(last_failure_at=now, last_failure=getattr(answer, "reason", "")))


@dataclass(frozen=True, slots=True)
class SystemState:
    library: str
    last_ok_at: datetime | None
    last_failure_at: datetime | None
    last_failure: str

    @property
    def down(self) -> bool:
        """Whether the last answer was a failure."""
        failed = self.last_failure_at
        return failed is not None and (self.last_ok_at is None or failed > self.last_ok_at)


def system_states(conn: Connection) -> dict[str, SystemState]:
    """library -> the last answers of its patron system, for the libraries that have one."""
    rows = conn.execute(select(patron_systems)).mappings()
    return {
        row["library"]: SystemState(row["library"], utc(row["last_ok_at"]),
                                    utc(row["last_failure_at"]), row["last_failure"])
        for row in rows
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class FailedLogin:
    at: datetime
    reason: str


def recent_failures(conn: Connection, user_id: int, limit: int = 20) -> list[FailedLogin]:
    """The account's latest failed logins, the newest first."""
    query = (
        select(login_failures.c.at, login_failures.c.reason)
        .where(login_failures.c.user_id == user_id)
        .order_by(login_failures.c.at.desc(), login_failures.c.id.desc())
        .limit(limit)
    )
    return [FailedLogin(utc(row.at), row.reason) for row in conn.execute(query)]


def forget_old_failures(engine: Engine, now: datetime) -> int:
    """Drop failed logins older than KEEP_FAILURES, and stale throttle counters; how many."""
    with transaction(engine) as conn:
        done = conn.execute(delete(login_failures).where(login_failures.c.at < now - KEEP_FAILURES))
    return done.rowcount + throttle.forget_old(engine, now)
