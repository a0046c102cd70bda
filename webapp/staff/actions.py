"""What a librarian may do to a loan request, and the details an action asks for: the due
date a form proposes, the days it may be (libnet.loans.due_dates), what is wrong with the date
the librarian typed, the due date a recall would set."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask_babel import format_date
from flask_babel import gettext as _

from libnet import accounts, loans
from libnet.accounts import Account, Contact
from libnet.loans import DueDateError, LoanRequest, NotYours, due_dates
from libnet.loans.states import allowed
from webapp.state import catalogue


def allowed_for(user: Account):
    """The actions `user` may take on a request, as a function of the request."""

    def allowed_actions(r: LoanRequest) -> tuple[str, ...]:
        try:
            actor = loans.actor_for(r, user)
        except NotYours:
            return ()
        return allowed(r.state, actor, renewal_pending=r.renewal_pending)

    return allowed_actions


def proposed_due_date(supplier: str, current: str | None = None) -> str:
    """The due date a ship form proposes: the supplier's loan period from today, or, for a
    renewal, from the current due date; never past the supplier's longest loan."""
    if not supplier:
        return ""
    return due_dates.proposed(_rules(supplier), _today(), current).isoformat()


def due_date_window(supplier: str) -> tuple[str, str]:
    """The first and last due date the supplier may set today, ISO, for a date field's min
    and max; ("", "") without a supplier."""
    if not supplier:
        return "", ""
    earliest, latest = due_dates.window(_rules(supplier), _today())
    return earliest.isoformat(), latest.isoformat()


def recall_due_date(r: LoanRequest) -> str:
    """The due date (ISO) a recall of `r` would set today, for the question before it."""
    return due_dates.recalled(r.due_date, _rules(r.supplier), _today())


def due_date_problem(supplier: str, value: str | None) -> str | None:
    """What is wrong with a due date the supplier's librarian typed, in the page's language;
    None when it may be set. The store checks it again (libnet.loans.due_dates)."""
    try:
        due_dates.checked(value or "", _rules(supplier), _today())
    except DueDateError as exc:
        return due_date_message(exc)
    return None


def due_date_message(exc: DueDateError) -> str:
    if exc.reason == "not_a_date":
        return _("Give the due date as a date (YYYY-MM-DD).")
    return _(
        "The due date must lie between %(earliest)s and %(latest)s: not before tomorrow and "
        "not beyond the library's longest loan period.",
        earliest=format_date(exc.earliest, "medium"), latest=format_date(exc.latest, "medium"),
    )  # fmt: skip


def _rules(supplier: str) -> loans.LoanSettings:
    with catalogue().store.engine.connect() as conn:
        return loans.settings(conn, supplier)


def _today() -> date:
    return datetime.now(UTC).date()


def sees_patron(user: Account, r: LoanRequest) -> bool:
    """Whether the user may see who asked: staff of the patron's side and administrators; the
    supplier's staff see the requesting library, never the person."""
    if user.role == "admin":
        return True
    return user.role == "librarian" and user.library in (r.requesting_library, r.pickup_library)


def patrons_of(conn, shown: list[LoanRequest], user: Account) -> dict[int, Contact]:
    """request id -> its patron's name, card and e-mail, for the requests whose patron the
    user may see."""
    mine = [r for r in shown if sees_patron(user, r)]
    people = accounts.contacts(conn, {r.patron_id for r in mine}) if mine else {}
    return {r.id: people[r.patron_id] for r in mine if r.patron_id in people}
