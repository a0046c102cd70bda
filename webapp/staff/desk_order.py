"""Ordering for a patron at the desk: a librarian on a record page gives the card number of a
patron of the library and the pickup library; the request is placed for that patron through
libnet.loans, and its audit event names the librarian. The patron gets the usual notice."""

from __future__ import annotations

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from libnet import accounts
from libnet.loans import LoanError, NotYours
from webapp.forms import options
from webapp.ordering import place_for
from webapp.staff.blueprint import bp, staff_user
from webapp.state import catalogue


class DeskOrderForm(FlaskForm):
    card = StringField("card", validators=[DataRequired(), Length(max=40)])
    library = SelectField("library", validate_choice=True)  # the card's library
    pickup = SelectField("pickup", validators=[DataRequired()], validate_choice=True)


def desk_order_form(library: str) -> DeskOrderForm:
    form = DeskOrderForm()
    choices = options((lib.code, lib.name) for lib in catalogue().libraries)
    form.library.choices, form.pickup.choices = choices, list(choices)
    if not form.is_submitted():
        form.library.data = form.pickup.data = library
    return form


@bp.app_context_processor
def _desk_order() -> dict[str, object]:
    user = g.get("user")
    if user is None or user.role not in ("librarian", "admin"):
        return {"desk_order_form": None}
    return {"desk_order_form": desk_order_form(user.library)}


@bp.post("/order/<int:cluster_id>")
def order_for_patron(cluster_id: int) -> Response:
    user = staff_user()
    back = url_for("pages.record", cluster_id=cluster_id)
    form = desk_order_form(user.library)
    if not form.validate_on_submit():
        flash(_("Please give the patron's card number and the pickup library."), "error")
        return redirect(back)
    # a librarian orders for their own library's patrons; the administrator for any library's
    library = user.library if user.role == "librarian" else form.library.data
    with catalogue().store.engine.connect() as conn:
        patron = accounts.card_account(conn, library, form.card.data)
    if patron is None or patron.role != "patron" or patron.deleted or patron.disabled:
        name = catalogue().library_name(library)
        flash(_("%(library)s has no patron with the card %(card)s.", library=name,
                card=form.card.data), "error")  # fmt: skip
        return redirect(back)
    refused = place_for(patron, cluster_id, form.pickup.data, placed_by=user)
    if isinstance(refused, NotYours):
        abort(403)
    if refused is not None:
        flash(_("The request could not be placed for %(name)s: %(reason)s",
                name=patron.name, reason=_refusal(refused, patron)), "error")  # fmt: skip
        return redirect(back)
    flash(_("Ordered for %(name)s (card %(card)s).", name=patron.name, card=patron.card),
          "success")  # fmt: skip
    return redirect(url_for("staff_pages.patron", patron_id=patron.id))


def _refusal(exc: LoanError, patron: accounts.Account) -> str:
    """Why the request was refused, as the librarian reads it."""
    if exc.reason == "own_copy_available":
        return _("the patron's library has a copy on the shelf")
    if exc.reason == "duplicate":
        return _("the patron has this title on request or on loan already")
    if exc.reason == "limit":
        return _("the patron has as many open requests as the library allows")
    if exc.reason == "no_lender":
        return _("no other library can lend this title just now")
    if exc.reason == "blocked":
        if patron.provisional:
            return _("the registration waits for the library's approval")
        return _("the account is blocked: %(reason)s",
                 reason=patron.order_block or patron.desk_block)  # fmt: skip
    return _("the request could not be placed")
