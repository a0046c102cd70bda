"""Failed logins slow down, per card and client address, and never lock the right PIN out.

Two counters watch every login attempt:
- the pair: this login (card of a library, or a staff name) from this client address. From
  the FREE_TRIES-th failure in a row the next try from there waits BASE_WAIT, doubled with each
  further failure, at most MAX_WAIT. The same card from another address is not slowed down,
  so nobody can lock a patron out by typing wrong PINs for their card.
- the address: failures from one client address, whatever the login (someone trying many
  cards). From ADDRESS_FREE_TRIES failures on it waits in the same way.

An attempt is counted *before* its password is checked, in one write transaction per
attempt (`claim`), so parallel attempts cannot all pass a counter that none of them has
raised yet: of ten guesses sent at once, the sixth and later wait, the right PIN among them
too. A success gives the pair its counter back and takes back its own count at the address;
a counter forgets after FORGET_AFTER without failures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, insert, select, update

from libnet.store import transaction
from libnet.store.schema import login_throttle
from libnet.times import utc

FREE_TRIES = 5
ADDRESS_FREE_TRIES = 20
BASE_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)
MAX_KEY = 200


@dataclass(frozen=True, slots=True)
class Claim:
    """One login attempt, counted: `allowed` False when it must wait until `wait_until`."""

    pair: str
    address: str
    allowed: bool
    wait_until: datetime | None  # when a next try from here is welcome; None: at once


def keys(library: str, login: str, address: str) -> tuple[str, str]:
    """The pair's and the address's counter keys (the login folded as it is matched)."""
    pair = f"pair:{library}:{login.strip().lower()}:{address}"[:MAX_KEY]
    return pair, f"address:{address}"[:MAX_KEY]


def claim(engine: Engine, library: str, login: str, address: str, now: datetime) -> Claim:
    """Count an attempt before its password is checked, or refuse it while it must wait."""
    pair, at_address = keys(library, login, address)
    with transaction(engine) as conn:
        rows = {key: _row(conn, key, now) for key in (pair, at_address)}
        waits = [row[1] for row in rows.values() if row[1] is not None and row[1] > now]
        if waits:
            return Claim(pair, at_address, False, max(waits))
        next_waits = []
        for key, free in ((pair, FREE_TRIES), (at_address, ADDRESS_FREE_TRIES)):
            failures = rows[key][0] + 1
            wait_until = now + wait_after(failures, free) if failures >= free else None
            _write(conn, key, failures, now, wait_until)
            if wait_until is not None:
                next_waits.append(wait_until)
    return Claim(pair, at_address, True, max(next_waits) if next_waits else None)


def succeeded(engine: Engine, attempt: Claim) -> None:
    """The attempt was right: the pair starts afresh, the address takes its count back."""
    with transaction(engine) as conn:
        conn.execute(delete(login_throttle).where(login_throttle.c.key == attempt.pair))
        conn.execute(
            update(login_throttle)
            .where(login_throttle.c.key == attempt.address, login_throttle.c.failures > 0)
            .values(failures=login_throttle.c.failures - 1)
        )


def failed(conn: Connection, attempt: Claim, now: datetime) -> None:
    """The attempt was wrong: its pair's counter (raised by `claim`) notes the time."""
    conn.execute(
        update(login_throttle).where(login_throttle.c.key == attempt.pair).values(last_failure=now)
    )


def wait_after(failures: int, free: int) -> timedelta:
    """How long the next try waits after this many failures in a row."""
    return min(MAX_WAIT, BASE_WAIT * 2 ** min(failures - free, 10))


def forget_old(engine: Engine, now: datetime) -> int:
    """Drop the counters that have seen no failure for FORGET_AFTER; how many."""
    with transaction(engine) as conn:
        done = conn.execute(
            delete(login_throttle).where(login_throttle.c.last_failure < now - FORGET_AFTER)
        )
    return done.rowcount


def _row(conn: Connection, key: str, now: datetime) -> tuple[int, datetime | None]:
    query = select(login_throttle.c.failures, login_throttle.c.last_failure,
                   login_throttle.c.wait_until).where(login_throttle.c.key == key)  # fmt: skip
    row = conn.execute(query.with_for_update()).first()
    if row is None:
        conn.execute(insert(login_throttle).values(key=key, failures=0, last_failure=now))
        return 0, None
    if utc(row.last_failure) < now - FORGET_AFTER:
        return 0, None
    return row.failures, utc(row.wait_until)


def _write(
    conn: Connection, key: str, failures: int, now: datetime, wait_until: datetime | None
) -> None:
    conn.execute(
        update(login_throttle)
        .where(login_throttle.c.key == key)
        .values(failures=failures, last_failure=now, wait_until=wait_until)
    )
