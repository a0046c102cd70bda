"""The approval queue of online registrations on the patron desk (/staff/patrons/registrations):
the library approves a provisional account (it may order then) or rejects it (the account
is disabled and its personal data cleared). A librarian sees their own library's only."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from libnet.accounts import AccountError, registration
from webapp.staff.blueprint import bp, chosen_library, staff_user
from webapp.staff.patrons import DeskForm, desk_patron
from webapp.state import catalogue


@bp.get("/patrons/registrations")
def registrations() -> str:
    user = staff_user()
    library = chosen_library(user)
    with catalogue().store.engine.connect() as conn:
        waiting = registration.pending(conn, library)
    return render_template("staff_registrations.html", library=library, waiting=waiting,
                           form=DeskForm())  # fmt: skip


@bp.post("/patrons/<int:patron_id>/approve")
def approve(patron_id: int) -> Response:
    return _decide(patron_id, approving=True)


@bp.post("/patrons/<int:patron_id>/reject")
def reject(patron_id: int) -> Response:
    return _decide(patron_id, approving=False)


def _decide(patron_id: int, approving: bool) -> Response:
    user = staff_user()
    back = url_for("staff_pages.registrations")
    with catalogue().store.engine.begin() as conn:
        found = desk_patron(conn, user, patron_id)
        if not DeskForm().validate_on_submit():
            flash(_("The form had expired. Please try again."), "error")
            return redirect(back)
        try:
            if approving:
                registration.approve(conn, patron_id)
            else:
                registration.reject(conn, patron_id, datetime.now(UTC))
        except AccountError:
            flash(_("This registration no longer waits for approval."), "error")
            return redirect(back)
    if approving:
        flash(_("%(name)s may order now.", name=found.name), "success")
    else:
        flash(_("The registration is rejected and its personal data removed."), "success")
    return redirect(back)
