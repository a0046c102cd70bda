"""What to fetch from the shelf (pull slips, to print) and what should be back on it (overdue
copies, lent by this library or borrowed for its patrons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import render_template, request

from libnet import loans
from libnet.loans import LoanRequest
from libnet.loans.states import State
from libnet.numbers import whole_number
from libnet.records.bib import BibRecord
from libnet.store.record_store import stored_bib
from webapp.staff.blueprint import bp, chosen_library, staff_user
from webapp.state import catalogue

# to fetch from the shelf: answered "will supply", or not answered yet
PULL_STATES = (State.REQUEST_RECEIVED.value, State.WILL_SUPPLY.value)
# where the copy is out of the supplier's hands and a due date runs
OUT_STATES = tuple(
    s.value
    for s in (
        State.LOANED,
        State.RECEIVED,
        State.HANDED_TO_PATRON,
        State.RETURNED_BY_PATRON,
        State.OVERDUE,
        State.RECALLED,
    )
)


@dataclass(frozen=True, slots=True)
class Slip:
    """What a pull slip shows of a request: the supplier's record and its copies."""

    request: LoanRequest
    record: BibRecord | None

    @property
    def copies(self) -> list:
        if self.record is None:
            return []
        return [item for item in self.record.items if item.lendable]


@bp.get("/pull-slips")
def pull_slips() -> str:
    """A slip per request to fetch from the shelf (not answered yet, or "will supply"), to
    print all at once; ?id= (repeated) prints only those."""
    user = staff_user()
    library = chosen_library(user)
    wanted = {whole_number(i) for i in request.args.getlist("id")} - {None}
    with catalogue().store.engine.connect() as conn:
        found = (
            loans.requests(conn, supplier=library, states=PULL_STATES)
            if library
            else loans.requests(conn, states=PULL_STATES)
        )
        if wanted:
            found = [r for r in found if r.id in wanted]
        slips = [Slip(r, _supplier_record(conn, r)) for r in found]
    slips.sort(key=lambda s: (_first_call_number(s), s.request.id))  # shelf order
    return render_template("staff_pull_slips.html", slips=slips, library=library)


def _supplier_record(conn, r: LoanRequest) -> BibRecord | None:
    return stored_bib(conn, r.supplier, r.supplier_local_id)


def _first_call_number(slip: Slip) -> str:
    return next((item.call_number for item in slip.copies if item.call_number), "~")


@bp.get("/overdue")
def overdue() -> str:
    """Copies whose due date has passed, lent by this library or borrowed for its patrons."""
    user = staff_user()
    library = chosen_library(user)
    today = datetime.now(UTC).date()
    with catalogue().store.engine.connect() as conn:
        out = (
            loans.requests(conn, library=library, states=OUT_STATES)
            if library
            else loans.requests(conn, states=OUT_STATES)
        )
    late = [
        r for r in out
        if r.state is State.OVERDUE or (r.due_date and date.fromisoformat(r.due_date) < today)
    ]  # fmt: skip
    late.sort(key=lambda r: (r.due_date or "", r.id))
    days_late = {r.id: (today - date.fromisoformat(r.due_date)).days for r in late if r.due_date}
    return render_template(
        "staff_overdue.html", requests=late, library=library, days_late=days_late
    )
