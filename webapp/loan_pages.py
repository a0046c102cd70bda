"""The patron's side of the loan network in the web catalogue.

A logged-in patron asks on a record page for the title to be sent to a pickup library, sees
their requests at /account/requests (number, libraries, dates, history), cancels one that is
not yet on its way and asks for a renewal of one that is here. Every change
goes through libnet.loans, which checks who may do what.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template
from flask_babel import format_date
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from libnet import loans
from libnet.loans import AlreadyChanged, LoanError
from libnet.loans.states import Actor, TransitionError, allowed
from libnet.numbers import whole_number
from webapp.forms import options
from webapp.labels import ACTION_LABELS, LOAN_STATE_LABELS
from webapp.ordering import place_for
from webapp.state import catalogue

bp = Blueprint("loan_pages", __name__)


class RequestForm(FlaskForm):
    pickup = SelectField("pickup", validators=[DataRequired()], validate_choice=True)


class CancelForm(FlaskForm):
    version = HiddenField("version", validators=[DataRequired()])


@bp.app_context_processor
def _loan_helpers() -> dict[str, object]:
    user = g.get("user")
    form = None
    if user is not None and user.role == "patron":
        form = _request_form(user.library)
    return {
        "request_form": form,
        "loan_state_label": lambda state: LOAN_STATE_LABELS.get(state, state),
    }


def _request_form(home: str) -> RequestForm:
    form = RequestForm()
    form.pickup.choices = options((lib.code, lib.name) for lib in catalogue().libraries)
    if not form.is_submitted():
        form.pickup.data = home
    return form


@bp.post("/record/<int:cluster_id>/request")
def place(cluster_id: int) -> Response:
    user = g.get("user")
    if user is None:
        return redirect(f"/login?next=/record/{cluster_id}")
    if user.role != "patron":
        abort(403)
    form = _request_form(user.library)
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(f"/record/{cluster_id}")
    refused = place_for(user, cluster_id, form.pickup.data)
    if refused is not None:
        flash(_refusal(refused), "error")
        return redirect(f"/record/{cluster_id}")
    flash(_("Your request is on its way to a library that has the title."), "success")
    return redirect("/account/requests")


@bp.get("/account/requests")
def my_requests() -> Response | str:
    user = g.get("user")
    if user is None:
        return redirect("/login?next=/account/requests")
    if user.role != "patron":
        abort(403)
    with catalogue().store.engine.connect() as conn:
        mine = loans.requests(conn, patron_id=user.id)
        histories = {r.id: loans.history(conn, r.id) for r in mine}
    mine.sort(key=lambda r: (not r.open, -r.created_at.timestamp()))
    forms = {
        (r.id, action): CancelForm(version=str(r.version))
        for r in mine
        for action in allowed(r.state, Actor.PATRON, renewal_pending=r.renewal_pending)
    }
    due = {r.id: format_date(date.fromisoformat(r.due_date)) for r in mine if r.due_date}
    return render_template("my_requests.html", requests=mine, forms=forms, due=due,
                           histories=histories, action_label=ACTION_LABELS.get)  # fmt: skip


@bp.post("/account/requests/<int:loan_id>/cancel")
def cancel(loan_id: int) -> Response:
    return _patron_acts(loan_id, "patron_cancel", _("The request is cancelled."),
                        _("This request can no longer be cancelled."))  # fmt: skip


@bp.post("/account/requests/<int:loan_id>/renew")
def renew(loan_id: int) -> Response:
    """Ask the supplier for a renewal: the same transition the pickup library's staff take."""
    return _patron_acts(
        loan_id, "renew",
        _("Your renewal is asked for: the lending library answers, and the due date here "
          "shows its answer."),
        _("This loan cannot be renewed now: a renewal is asked for already, or the copy is "
          "not with you or your library."),
    )  # fmt: skip


def _patron_acts(loan_id: int, action: str, done: str, refused: str) -> Response:
    """The patron takes `action` on a request, version-checked like every change."""
    user = g.get("user")
    if user is None:
        return redirect("/login?next=/account/requests")
    form = CancelForm()
    version = whole_number(form.version.data)
    if not form.validate_on_submit() or version is None:
        flash(_("The form had expired. Please try again."), "error")
        return redirect("/account/requests")
    try:
        with loans.transaction(catalogue().store.engine) as conn:
            loans.act(conn, loan_id, action, user, version=version,
                      mailing=catalogue().mailing)  # fmt: skip
    except loans.NotYours:
        abort(403)
    except AlreadyChanged:
        flash(_("The request changed in the meantime; here is how it stands now."), "error")
        return redirect("/account/requests")
    except (LoanError, TransitionError):  # not possible in its state, or staff's, not a patron's
        flash(refused, "error")
        return redirect("/account/requests")
    catalogue().send_notices_soon()
    flash(done, "success")
    return redirect("/account/requests")


def _refusal(exc: LoanError) -> str:
    """Why a request could not be placed, in the patron's language."""
    if exc.reason == "own_copy_available":
        return _("Your library has a copy on the shelf: you can borrow it there.")
    if exc.reason == "duplicate":
        return _("You have this title on request or on loan already.")
    if exc.reason == "limit":
        return _("You have as many open requests as your library allows.")
    if exc.reason == "no_lender":
        return _("No other library can lend this title just now.")
    if exc.reason == "blocked":
        user = g.user
        if user.provisional:
            return _("Your registration waits for your library's approval: you can order "
                     "once the library has checked it.")  # fmt: skip
        return _("Your account cannot order just now: %(reason)s. Please ask your library.",
                 reason=user.order_block or user.desk_block)  # fmt: skip
    return _("The request could not be placed.")
