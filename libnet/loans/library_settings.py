"""Each library's lending settings: paused, days to answer, open requests a patron may have,
loan days (proposed when shipping) and the most it grants, the days a recall leaves, closing
days. A library without a row in `loan_settings` has the defaults."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, insert, select, update

from libnet.loans.errors import LoanError
from libnet.store.schema import loan_settings

DEFAULT_ANSWER_DAYS = 3
DEFAULT_MAX_OPEN = 5
DEFAULT_LOAN_DAYS = 28
DEFAULT_MAX_LOAN_DAYS = 90  # the longest loan: a due date lies at most so many days ahead
DEFAULT_RECALL_DAYS = 7  # a recalled copy is due so many days after the recall


@dataclass(frozen=True, slots=True)
class LoanSettings:
    library: str
    paused: bool = False
    pause_note: str = ""
    answer_days: int = DEFAULT_ANSWER_DAYS
    max_open: int = DEFAULT_MAX_OPEN
    loan_days: int = DEFAULT_LOAN_DAYS
    max_loan_days: int = DEFAULT_MAX_LOAN_DAYS
    recall_days: int = DEFAULT_RECALL_DAYS
    closing_days: tuple[str, ...] = ()  # ISO dates the library is closed besides holidays


def settings(conn: Connection, library: str) -> LoanSettings:
    row = conn.execute(select(loan_settings).where(loan_settings.c.library == library)).first()
    if row is None:
        return LoanSettings(library)
    values = dict(row._mapping)
    values["closing_days"] = tuple(json.loads(values["closing_days"]))
    return LoanSettings(**values)


def set_settings(conn: Connection, library: str, **changes: object) -> LoanSettings:
    """Change some of a library's lending settings (paused, answer_days, ...)."""
    current = settings(conn, library)
    unknown = set(changes) - set(LoanSettings.__dataclass_fields__) - {"library"}
    if unknown:
        raise LoanError(f"no such loan setting: {', '.join(sorted(unknown))}")
    for name in ("answer_days", "max_open", "loan_days", "max_loan_days", "recall_days"):
        if name in changes and (not isinstance(changes[name], int) or changes[name] < 1):
            raise LoanError(f"{name} must be a whole number of at least 1")
    for day in changes.get("closing_days", ()):
        try:
            date.fromisoformat(str(day))
        except ValueError:
            raise LoanError(f"closing day {day!r} is not a date (YYYY-MM-DD)") from None
    new = LoanSettings(**{**_fields(current), **changes, "library": library})
    if new.loan_days > new.max_loan_days:
        raise LoanError("loan_days must not be more than max_loan_days", "loan_days")
    row = _fields(new) | {"closing_days": json.dumps(sorted(new.closing_days))}
    exists = conn.scalar(select(loan_settings.c.library).where(loan_settings.c.library == library))
    if exists is None:
        conn.execute(insert(loan_settings).values(**row))
    else:
        conn.execute(update(loan_settings).where(loan_settings.c.library == library).values(row))
    return new


def _fields(settings_: LoanSettings) -> dict[str, object]:
    return {name: getattr(settings_, name) for name in LoanSettings.__dataclass_fields__}
