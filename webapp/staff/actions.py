"""What a librarian may do to a loan request, and the details an action asks for: the due
date a form proposes and the date the librarian typed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from libnet import accounts, loans
from libnet.accounts import Account, Contact
from libnet.loans import LoanRequest, NotYours
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
    renewal, from the current due date."""
    if not supplier:
        return ""
    with catalogue().store.engine.connect() as conn:
        days = loans.settings(conn, supplier).loan_days
    start = datetime.now(UTC).date()
    if current:
        start = max(start, date.fromisoformat(current))
    return (start + timedelta(days=days)).isoformat()


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


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
