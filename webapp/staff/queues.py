"""The queues: a library's incoming requests (it is the current supplier: answer, fetch
from the shelf, ship, take back) and outgoing ones (it is the pickup library: receive, hand
to the patron, send back), with counts, filters and batch actions. Every change goes through
libnet.loans, which decides what the librarian may do; these pages only show what it allows.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import Length, Optional

from libnet import loans
from libnet.loans import AlreadyChanged, LoanError, LoanRequest
from libnet.loans.states import TRANSITIONS, TransitionError
from libnet.numbers import whole_number
from webapp.forms import options
from webapp.labels import ACTION_LABELS
from webapp.staff.actions import allowed_for, due_date_problem, patrons_of, proposed_due_date
from webapp.staff.blueprint import bp, chosen_library, staff_user
from webapp.state import catalogue

SIDES = ("incoming", "outgoing")
# what the checked requests of a queue can be marked as at once, by side
BATCH_ACTIONS = {"incoming": ("will_supply", "ship"), "outgoing": ("receive", "hand_to_patron")}


class BatchForm(FlaskForm):
    action = SelectField("action", choices=options((a, a) for side in BATCH_ACTIONS.values()
                                                   for a in side))  # fmt: skip
    side = HiddenField("side")
    due_date = StringField("due_date", validators=[Optional(), Length(max=10)])


@bp.get("/requests")
def queue() -> str:
    user = staff_user()
    library = chosen_library(user)
    side = request.args.get("side", "incoming")
    side = side if side in SIDES else "incoming"
    state = request.args.get("state", "open")
    with catalogue().store.engine.connect() as conn:
        everything = _side(conn, side, library)
    counts = Counter(r.state.value for r in everything)
    with catalogue().store.engine.connect() as conn:
        sides = {s: sum(1 for r in _side(conn, s, library) if r.open) for s in SIDES}
    if state == "open":
        shown = [r for r in everything if r.open]
    elif state == "closed":
        shown = [r for r in everything if not r.open]
    elif state in counts:
        shown = [r for r in everything if r.state.value == state]
    else:
        state, shown = "open", [r for r in everything if r.open]
    partner = request.args.get("partner", "")
    if partner:
        shown = [r for r in shown if partner in (r.supplier, r.pickup_library)]
    shown.sort(key=lambda r: (r.state_changed_at, r.id))  # the longest waiting first
    with catalogue().store.engine.connect() as conn:
        patrons = patrons_of(conn, shown, user)
    batch = None
    if user.role == "librarian":
        batch = BatchForm(side=side)
        batch.action.choices = options((a, ACTION_LABELS[a]) for a in BATCH_ACTIONS[side])
        batch.due_date.data = proposed_due_date(library)
    return render_template(
        "staff_queue.html", side=side, state=state, library=library, partner=partner,
        requests=shown, counts=counts, sides=sides, batch=batch,
        open_total=sum(1 for r in everything if r.open),
        closed_total=sum(1 for r in everything if not r.open),
        batchable={a for a in BATCH_ACTIONS[side]}, allowed_for=allowed_for(user), patrons=patrons,
        waiting_days=_waiting_days,
    )  # fmt: skip


def _side(conn, side: str, library: str) -> list[LoanRequest]:
    if not library:
        return loans.requests(conn)
    if side == "incoming":
        return loans.requests(conn, supplier=library)
    return loans.requests(conn, pickup_library=library)


def _waiting_days(moment: datetime) -> int:
    return max(0, (datetime.now(UTC) - moment).days)


@bp.post("/requests/batch")
def batch() -> Response:
    """The checked requests of a queue marked shipped, received, ...: each in its own
    transaction, so one that changed meanwhile does not stop the others."""
    user = staff_user()
    form = BatchForm()
    side = form.side.data if form.side.data in SIDES else "incoming"
    back = url_for("staff_pages.queue", side=side)
    form.action.choices = options((a, a) for a in BATCH_ACTIONS[side])
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(back)
    picked = [value.partition(":") for value in request.form.getlist("pick")]
    picked = [(whole_number(i), whole_number(v)) for i, _sep, v in picked]
    picked = [(i, v) for i, v in picked if i is not None and v is not None]
    if not picked:
        flash(_("Check the requests first."), "error")
        return redirect(back)
    action = form.action.data
    details = {}
    if "due_date" in TRANSITIONS[action].needs:
        problem = due_date_problem(user.library, form.due_date.data)
        if problem:  # checked once for all: the checked requests are all the library's
            flash(problem, "error")
            return redirect(back)
        details["due_date"] = form.due_date.data.strip()
    done, changed, refused = 0, 0, 0
    for loan_id, version in picked:
        try:
            with loans.transaction(catalogue().store.engine) as conn:
                loans.act(conn, loan_id, action, user, version=version, details=details,
                          mailing=catalogue().mailing)  # fmt: skip
            done += 1
        except AlreadyChanged:
            changed += 1
        except (LoanError, TransitionError):  # not in this state, or not for this librarian
            refused += 1
    if done:
        catalogue().send_notices_soon()
        flash(ngettext("%(num)s request: %(action)s.", "%(num)s requests: %(action)s.", done,
                       action=ACTION_LABELS[action]), "success")  # fmt: skip
    if changed:
        flash(ngettext("%(num)s request had changed meanwhile and was left as it is.",
                       "%(num)s requests had changed meanwhile and were left as they are.",
                       changed), "error")  # fmt: skip
    if refused:
        flash(ngettext("%(num)s request could not be changed so.",
                       "%(num)s requests could not be changed so.", refused), "error")  # fmt: skip
    return redirect(back)
