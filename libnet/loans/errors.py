"""Exceptions of the loan network: a request refused, a change not allowed, a bad period."""

from __future__ import annotations

from datetime import date

from libnet.errors import LibnetError

# the `reason` of a LoanError that refuses a new request
REFUSALS = ("not_patron", "gone", "own_copy_available", "duplicate", "limit", "no_lender")


class LoanError(LibnetError):
    """A request that cannot be placed or changed as asked; the message says why.

    `reason` names a refused request's cause, one of REFUSALS ("" for other errors), for the
    pages and the API to word or pass on.
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class NotYours(LoanError):
    """The person is not the request's patron, nor staff of a library on either side of it."""


class AlreadyChanged(LoanError):
    """Someone changed the request after the person looked at it."""


class OwnCopyAvailable(LoanError):
    """The patron's own library has a copy on the shelf: no loan from another town needed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "own_copy_available")


class DueDateError(LoanError):
    """A due date that is not a date, or lies outside the days a library may set
    (libnet.loans.due_dates); `reason` is "not_a_date", "too_early" or "too_late", and
    `earliest` and `latest` say which days it may be."""

    def __init__(self, message: str, reason: str, earliest: date, latest: date) -> None:
        super().__init__(message, reason)
        self.earliest = earliest
        self.latest = latest


class TransitionError(LibnetError):
    """A transition that is not allowed, or lacks a detail it needs."""

    def __init__(self, message: str, allowed: tuple[str, ...] = (), kind: str = "state") -> None:
        super().__init__(message)
        self.allowed = allowed  # the actions the actor may take in this state instead
        # what is wrong: "unknown" action, "state" (not now), "actor" (not theirs), "details"
        self.kind = kind


class PeriodError(LibnetError):
    """A month or period of the statistics that cannot be used; `reason` is "month", "order"
    or "span"."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
