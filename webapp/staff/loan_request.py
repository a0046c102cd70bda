"""One loan request's page for the staff: its history, its patron (for the patron's side) and
the actions the librarian may take, each a form with what the action needs.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from libnet import accounts, loans
from libnet.accounts import Account
from libnet.loans import AlreadyChanged, DueDateError, LoanError, LoanRequest, NotYours
from libnet.loans.states import CANNOT_SUPPLY_REASONS, PAYERS, TRANSITIONS, TransitionError
from libnet.numbers import whole_number
from webapp.forms import options
from webapp.labels import ACTION_LABELS, PAYER_LABELS, REASON_LABELS, STAFF_STATE_LABELS
from webapp.limits import MAX_NOTE_CHARS
from webapp.staff.actions import (
    allowed_for,
    due_date_message,
    due_date_window,
    proposed_due_date,
    recall_due_date,
    sees_patron,
)
from webapp.staff.blueprint import bp, staff_user
from webapp.state import catalogue

# the actions that cannot be taken back and that tell others: a question before each, its
# button set apart from the everyday ones
ASKS_FIRST = ("recall", "lost")


class TransitionForm(FlaskForm):
    action = HiddenField("action", validators=[DataRequired()])
    version = HiddenField("version", validators=[DataRequired()])
    reason = SelectField("reason", choices=options((r, r) for r in ("", *CANNOT_SUPPLY_REASONS)),
                         validators=[Optional()])  # fmt: skip
    payer = SelectField("payer", choices=options((p, p) for p in ("", *PAYERS)),
                        validators=[Optional()])  # fmt: skip
    due_date = StringField("due_date", validators=[Optional(), Length(max=10)])
    note = TextAreaField("note", validators=[Optional(), Length(max=MAX_NOTE_CHARS)])


@bp.get("/requests/<int:loan_id>")
def detail(loan_id: int) -> str:
    user = staff_user()
    with catalogue().store.engine.connect() as conn:
        found = _visible(conn, loan_id, user)
        events = loans.history(conn, loan_id)
        patron = _patron(conn, found, user)
        names = _user_names(conn, {e.user_id for e in events if e.user_id is not None})
    actions = allowed_for(user)(found)
    forms = {}
    for action in actions:
        form = TransitionForm(action=action, version=str(found.version), formdata=None)
        form.reason.choices = options(
            [("", _("Choose a reason"))] + [(r, REASON_LABELS[r]) for r in CANNOT_SUPPLY_REASONS]
        )
        form.payer.choices = options(
            [("", _("Who pays?"))] + [(p, PAYER_LABELS[p]) for p in PAYERS]
        )
        if "due_date" in TRANSITIONS[action].needs:
            form.due_date.data = proposed_due_date(found.supplier, found.due_date)
        forms[action] = form
    return render_template(
        "staff_request.html", r=found, events=events, patron=patron, names=names,
        forms=forms, needs={a: TRANSITIONS[a].needs for a in actions},
        rota=[library for library, _local in found.rota],
        # ship and renewal: the days the date field offers; recall: the date it would set
        due_window=due_date_window(found.supplier) if forms else ("", ""),
        recall_due=recall_due_date(found) if "recall" in forms else None,
        asks_first=ASKS_FIRST,
    )  # fmt: skip


@bp.post("/requests/<int:loan_id>/transitions")
def transition(loan_id: int) -> Response:
    user = staff_user()
    back = url_for("staff_pages.detail", loan_id=loan_id)
    form = TransitionForm()
    version = whole_number(form.version.data)
    if not form.validate_on_submit() or version is None:
        flash(_("The form had expired. Please try again."), "error")
        return redirect(back)
    action = form.action.data
    transition_ = TRANSITIONS.get(action)
    if transition_ is None:
        abort(400)
    details: dict[str, object] = {}
    if "reason" in transition_.needs:
        details["reason"] = form.reason.data
    if "payer" in transition_.needs:
        details["payer"] = form.payer.data
    if "due_date" in transition_.needs:  # checked by libnet.loans.due_dates
        details["due_date"] = (form.due_date.data or "").strip()
    try:
        with loans.transaction(catalogue().store.engine) as conn:
            _visible(conn, loan_id, user)
            changed = loans.act(conn, loan_id, action, user, version=version,
                                details=details, note=(form.note.data or "").strip(),
                                mailing=catalogue().mailing)  # fmt: skip
    except NotYours:
        abort(403)
    except AlreadyChanged:
        flash(_("Someone changed the request in the meantime; here is how it stands now."),
              "error")  # fmt: skip
        return redirect(back)
    except TransitionError as exc:
        if exc.kind == "details":
            flash(_("Please fill in what the action needs."), "error")
        else:
            flash(_("This is not possible in the request's state."), "error")
        return redirect(back)
    except DueDateError as exc:
        flash(due_date_message(exc), "error")
        return redirect(back)
    except LoanError:
        flash(_("The request could not be changed."), "error")
        return redirect(back)
    catalogue().send_notices_soon()
    flash(_("Done: %(action)s. The request is now: %(state)s.", action=ACTION_LABELS[action],
            state=STAFF_STATE_LABELS[changed.state.value]), "success")  # fmt: skip
    if not loans.may_see(changed, user):  # passed on to the next library: no longer ours
        return redirect(url_for("staff_pages.queue", side="incoming"))
    return redirect(back)


def _visible(conn, loan_id: int, user: Account) -> LoanRequest:
    try:
        found = loans.get(conn, loan_id)
    except LoanError:
        abort(404)
    if not loans.may_see(found, user):
        abort(403)
    return found


def _patron(conn, r: LoanRequest, user: Account) -> dict[str, object] | None:
    """The patron's name, card and e-mail, for the staff of the patron's side only: the
    supplier's staff see the requesting library, never the person."""
    if not sees_patron(user, r):
        return None
    if r.patron_id is None:  # the request ended long ago, or the account was deleted
        return {"anonymised": True}
    found = accounts.contact(conn, r.patron_id)
    if found is None:
        return None
    # the patron's page for who serves the patron at the desk
    desk = user.role == "admin" or user.library == r.requesting_library
    return {"name": found.name, "card": found.card, "email": found.email,
            "id": r.patron_id if desk else None}  # fmt: skip


def _user_names(conn, ids: set[int]) -> dict[int, str]:
    """Who made each change, as the history shows it: staff by name, a patron as "patron"."""
    return accounts.staff_names(conn, ids)
