"""Privacy (DSGVO) in the web catalogue: the privacy page, and deleting a patron's account.

/privacy says what libnet stores about a patron, why, for how long and who sees it.
"Konto löschen": a patron deletes their own account at /account/delete, a librarian a patron
of their library at /staff/patrons/<id>/delete; both ask for a confirmation first and are
refused, naming the requests, while one of the account's requests is open. The work is
libnet.accounts.deletion's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, session
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField
from wtforms.validators import DataRequired

from libnet import accounts
from libnet.accounts import Account, AccountError
from libnet.accounts.deletion import OpenRequest, OpenRequests, delete_account, open_requests
from libnet.store import transaction
from webapp.labels import LOAN_STATE_LABELS
from webapp.staff.blueprint import staff_user
from webapp.state import catalogue

bp = Blueprint("privacy", __name__)

# where the librarian's patron desk lists patrons (webapp/staff/patrons.py)
PATRON_DESK = "/staff/patrons"


class DeleteForm(FlaskForm):
    confirm = BooleanField("confirm", validators=[DataRequired()])


@bp.get("/privacy")
def privacy() -> str:
    config = catalogue().config
    checked_there = [lib.name for lib in config.libraries if lib.patrons.type != "local"]
    return render_template(
        "privacy.html", anonymise_days=config.loans.anonymise_after_days,
        idle_hours=config.sessions.idle_hours, max_hours=config.sessions.max_hours,
        checked_there=checked_there,
    )  # fmt: skip


# --------------------------------------------------------------------------- the patron


@bp.route("/account/delete", methods=("GET", "POST"))
def delete_own() -> Response | str | tuple[str, int]:
    user = g.get("user")
    if user is None:
        return redirect("/login?next=/account/delete")
    if user.role != "patron":
        abort(403)
    refused = _delete("account_delete.html", user)
    if refused is not None:
        return refused
    session.clear()
    flash(_("Your account and its personal data are deleted. Goodbye!"), "success")
    return redirect("/")


# --------------------------------------------------------------------------- the desk


@bp.route("/staff/patrons/<int:user_id>/delete", methods=("GET", "POST"))
def delete_at_desk(user_id: int) -> Response | str | tuple[str, int]:
    user = staff_user()
    patron = _patron_of(user, user_id)
    refused = _delete("staff_patron_delete.html", patron)
    if refused is not None:
        return refused
    flash(_("The account of card %(card)s is deleted; its requests are anonymised.",
            card=patron.card or "–"), "success")  # fmt: skip
    return redirect(PATRON_DESK)


def _patron_of(user: Account, user_id: int) -> Account:
    """A patron of the librarian's own library (any library's for an administrator)."""
    with catalogue().store.engine.connect() as conn:
        patron = accounts.get_user(conn, user_id)
    if patron is None or patron.role != "patron":
        abort(404)
    if user.role == "librarian" and patron.library != user.library:
        abort(403)
    return patron


# --------------------------------------------------------------------------- shared


def _delete(template: str, account: Account) -> str | tuple[str, int] | None:
    """Delete the account once its confirmed form says so; the page to show instead, or None
    when it is deleted (the confirmation page, a missing tick, or the requests still open)."""
    form = DeleteForm()
    if not form.is_submitted():
        return _page(template, form, account)
    if not form.validate():
        return _page(template, form, account, _confirm_first(form)), 400
    try:
        with transaction(catalogue().store.engine) as conn:
            delete_account(conn, account.id, datetime.now(UTC))
    except OpenRequests as exc:
        return _page(template, form, account, _still_open(exc.requests)), 409
    except AccountError as exc:  # deleted meanwhile, at another desk or in another tab
        return _page(template, form, account, str(exc)), 409
    return None


def _page(template: str, form: DeleteForm, account: Account, error: str = "") -> str:
    with catalogue().store.engine.connect() as conn:
        still_open = open_requests(conn, account.id)
    return render_template(template, form=form, account=account, error=error,
                           still_open=still_open)  # fmt: skip


def _confirm_first(form: DeleteForm) -> str:
    if form.csrf_token.errors:
        return _("The form had expired. Please try again.")
    return _("Please confirm that the account is to be deleted.")


def _still_open(requests: tuple[OpenRequest, ...]) -> str:
    named = "; ".join(
        _("no. %(id)s “%(title)s” (%(state)s)", id=r.id, title=r.title,
          state=LOAN_STATE_LABELS.get(r.state, r.state))
        for r in requests
    )  # fmt: skip
    return _("The account cannot be deleted while requests are open: %(requests)s. Finish "
             "or cancel them first.", requests=named)  # fmt: skip
