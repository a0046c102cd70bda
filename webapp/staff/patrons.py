"""The librarian's patron desk (/staff/patrons): find a patron of the library by card number,
name or e-mail; a patron's page with their state, logins and requests; a new local account
with a first password; a new password; a block at the desk and its end.

A librarian serves their own library's patrons only: another library's patron is "not
found". The administrator chooses a library with ?library= (or searches them all). A
password made here is shown once, in the answer to the form, and kept only as a hash.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from libnet import accounts, loans
from libnet.accounts import LANGUAGES, Account, AccountError, desk, registration
from libnet.accounts.login import recent_failures
from libnet.config import LibraryConfig
from webapp.forms import options
from webapp.staff.blueprint import bp, chosen_library, staff_user
from webapp.state import catalogue

LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}
FAILURE_LABELS = {  # libnet.accounts.login's reasons; the library's own are shown as they come
    "wrong password": lazy_gettext("wrong password"),
    "throttled": lazy_gettext("too many attempts: slowed down"),
    "disabled": lazy_gettext("account disabled"),
}


class NewPatronForm(FlaskForm):
    card = StringField("card", validators=[DataRequired(), Length(max=40)])
    name = StringField("name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("email", validators=[Optional(), Length(max=320)])
    language = SelectField("language", choices=options(LANGUAGE_NAMES.items()))


class BlockForm(FlaskForm):
    reason = StringField("reason", validators=[DataRequired(), Length(max=desk.MAX_REASON)])


class DeskForm(FlaskForm):
    """A button of the desk: no fields but the CSRF token."""


@bp.get("/patrons")
def patrons() -> str:
    user = staff_user()
    library = chosen_library(user)
    text = request.args.get("q", "").strip()[:200]
    with catalogue().store.engine.connect() as conn:
        found = desk.find_patrons(conn, library, text) if text else []
        waiting = len(registration.pending(conn, library))
    return render_template(
        "staff_patrons.html", library=library, q=text, found=found, waiting=waiting,
        new_form=_new_form(library), limit=desk.MAX_FOUND,
    )  # fmt: skip


@bp.post("/patrons/new")
def new_patron() -> Response | str | tuple[str, int]:
    user = staff_user()
    library = chosen_library(user)
    form = _new_form(library)
    if form is None:
        abort(403)
    back = url_for("staff_pages.patrons", library=library if user.role == "admin" else None)
    if not form.validate_on_submit():
        flash(_("Please give a card number and a name."), "error")
        return redirect(back)
    try:
        with catalogue().store.engine.begin() as conn:
            made, password = desk.make_local_patron(
                conn, library=library, card=form.card.data, name=form.name.data,
                email=form.email.data or "", language=form.language.data,
                libraries=tuple(lib.code for lib in catalogue().libraries),
            )  # fmt: skip
    except AccountError as exc:
        flash(_("The account could not be made: %(reason)s", reason=str(exc)), "error")
        return redirect(back)
    return _with_password(made, password, _("The account is made."))


@bp.get("/patrons/<int:patron_id>")
def patron(patron_id: int) -> str:
    user = staff_user()
    with catalogue().store.engine.connect() as conn:
        found = desk_patron(conn, user, patron_id)
    return _patron_page(found)


@bp.post("/patrons/<int:patron_id>/password")
def reset_password(patron_id: int) -> Response | str:
    user = staff_user()
    back = url_for("staff_pages.patron", patron_id=patron_id)
    with catalogue().store.engine.begin() as conn:
        found = desk_patron(conn, user, patron_id)
        if not DeskForm().validate_on_submit():
            flash(_("The form had expired. Please try again."), "error")
            return redirect(back)
        if not _local(found):
            flash(_("The library's own system keeps this patron's PIN."), "error")
            return redirect(back)
        password = desk.reset_password(conn, found, datetime.now(UTC))
    return _with_password(found, password, _("A new password is set; the patron is logged "
                                             "out everywhere."))  # fmt: skip


@bp.post("/patrons/<int:patron_id>/block")
def block(patron_id: int) -> Response:
    user = staff_user()
    form = BlockForm()
    back = url_for("staff_pages.patron", patron_id=patron_id)
    with catalogue().store.engine.begin() as conn:
        desk_patron(conn, user, patron_id)
        if not form.validate_on_submit() or not form.reason.data.strip():
            flash(_("Please give the reason for the block."), "error")
            return redirect(back)
        desk.block(conn, patron_id, form.reason.data)
    flash(_("The patron can no longer order."), "success")
    return redirect(back)


@bp.post("/patrons/<int:patron_id>/unblock")
def unblock(patron_id: int) -> Response:
    user = staff_user()
    back = url_for("staff_pages.patron", patron_id=patron_id)
    with catalogue().store.engine.begin() as conn:
        desk_patron(conn, user, patron_id)
        if not DeskForm().validate_on_submit():
            flash(_("The form had expired. Please try again."), "error")
            return redirect(back)
        desk.unblock(conn, patron_id)
    flash(_("The block is lifted."), "success")
    return redirect(back)


def desk_patron(conn, user: Account, patron_id: int) -> Account:
    """The patron with this id if the user serves them; 404 otherwise (another library's
    patron is not found, as if there were none)."""
    found = accounts.get_user(conn, patron_id)
    if found is None or found.role != "patron" or found.deleted:
        abort(404)
    if user.role != "admin" and found.library != user.library:
        abort(404)
    return found


def library_config(code: str) -> LibraryConfig | None:
    return next((lib for lib in catalogue().libraries if lib.code == code), None)


def _local(patron: Account) -> bool:
    """Whether libnet keeps the patron's password (the library has no system of its own)."""
    config = library_config(patron.library)
    return patron.checked_here and (config is None or not config.patrons.external)


def _new_form(library: str) -> NewPatronForm | None:
    """The form for a new local account of `library`; None where the library's own system
    keeps its patrons (or no library is chosen)."""
    config = library_config(library) if library else None
    if config is None or config.patrons.external:
        return None
    form = NewPatronForm()
    form.language.choices = options((code, LANGUAGE_NAMES[code]) for code in LANGUAGES)
    return form


def _patron_page(found: Account, password: str = "", message: str = "") -> str:
    with catalogue().store.engine.connect() as conn:
        asked = loans.requests(conn, patron_id=found.id)
        failures = recent_failures(conn, found.id, limit=10)
    asked.sort(key=lambda r: (not r.open, -r.created_at.timestamp()))
    return render_template(
        "staff_patron.html", patron=found, requests=asked, failures=failures,
        local=_local(found), block_form=BlockForm(formdata=None), desk_form=DeskForm(),
        password=password, message=message, language_name=LANGUAGE_NAMES.get(found.language),
        library=found.library, failure_label=lambda r: FAILURE_LABELS.get(r, r),
    )  # fmt: skip


def _with_password(found: Account, password: str, message: str) -> Response:
    """The patron's page with the new password, shown this once: never cached (as no page
    for a logged-in person is: webapp.private_answers), never kept."""
    return make_response(_patron_page(found, password, message))
