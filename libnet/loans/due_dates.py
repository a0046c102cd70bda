"""Due dates: the days a library may set when it ships or renews, the date its ship form
proposes, and the earlier date a recall sets.

A due date lies after today (tomorrow at the earliest: a copy due today would be overdue the
night it leaves) and at most the supplying library's `max_loan_days` ahead. The form proposes
the library's `loan_days` from today, or for a renewal from the current due date, never past
that maximum. A recall brings the due date forward to `recall_days` from the day of the
recall, never later than it was. "Today" is the day in UTC, as the nightly timers count it
(libnet.loans.timers).

The audit event of a change that sets a due date keeps it in its note ("due 2027-01-11",
the timers' form); `due_in_note` reads it back for the pages.
"""

from __future__ import annotations

from datetime import date, timedelta

from libnet.loans.errors import DueDateError
from libnet.loans.library_settings import LoanSettings

_DUE = "due "  # the note of an event that set a due date: "due 2027-01-11; the note"


def window(rules: LoanSettings, today: date) -> tuple[date, date]:
    """The first and the last day a due date set today by the library of `rules` may be."""
    return today + timedelta(days=1), today + timedelta(days=rules.max_loan_days)


def checked(value: object, rules: LoanSettings, today: date) -> str:
    """`value` (a date or ISO text) as the ISO due date to store; DueDateError when it is
    no date, before tomorrow or past the library's longest loan."""
    earliest, latest = window(rules, today)
    try:
        due = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError:
        raise DueDateError(
            f"due date {value!r} is not a date (YYYY-MM-DD)", "not_a_date", earliest, latest
        ) from None
    if due < earliest:
        raise DueDateError(
            f"due date {due} is before tomorrow ({earliest})", "too_early", earliest, latest
        )
    if due > latest:
        raise DueDateError(
            f"due date {due} is more than {rules.max_loan_days} days ahead (at most {latest})",
            "too_late", earliest, latest,
        )  # fmt: skip
    return due.isoformat()


def proposed(rules: LoanSettings, today: date, current: str | None = None) -> date:
    """The due date a form proposes: the loan period from today, or for a renewal from the
    current due date, at most the library's longest loan."""
    start = max(today, date.fromisoformat(current)) if current else today
    return min(start + timedelta(days=rules.loan_days), window(rules, today)[1])


def recalled(current: str | None, rules: LoanSettings, today: date) -> str:
    """The due date after a recall: the recall period from today, never later than it was."""
    due = today + timedelta(days=rules.recall_days)
    if current:
        due = min(due, date.fromisoformat(current))
    return due.isoformat()


def note_with_due(due: str, note: str) -> str:
    """An audit event's note with the due date it set first ("due 2027-01-11; the note")."""
    return f"{_DUE}{due}; {note}" if note else f"{_DUE}{due}"


def due_in_note(note: str) -> tuple[date | None, str]:
    """The due date note_with_due put first, and the rest; (None, note) without one."""
    head, _, rest = note.partition("; ")
    if head.startswith(_DUE):
        try:
            return date.fromisoformat(head.removeprefix(_DUE)), rest
        except ValueError:
            pass
    return None, note
