"""Mein Konto: what libnet knows of the person logged in, and what they may change themselves.

Everyone logged in (patron or staff) sees their name, card, library, e-mail address and
language and sets the last two (libnet.accounts.set_contact; the language is the pages' and
the notices'). An account whose password libnet keeps changes it here: all its sessions end,
and this browser gets a fresh one, so the person stays logged in here only; a patron whose
library's own system checks the PIN is told whom to ask. The open sessions are listed (when,
from which browser) with a button to end each, and one to log out everywhere else.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from libnet.accounts import LANGUAGES, Account, AccountError, sessions, set_contact, throttle
from libnet.accounts.model import password_hash, password_matches, set_password
from libnet.config import LibraryConfig
from libnet.store import transaction
from webapp.auth import SESSION_KEY, lifetimes
from webapp.forms import options
from webapp.language import LANGUAGE_COOKIE
from webapp.state import catalogue
from webapp.user_agents import browser_label

bp = Blueprint("account", __name__)
PAGE = "/account"
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}  # each in itself, as the header's switch


class ContactForm(FlaskForm):
    email = StringField("email", validators=[Optional(), Length(max=320)])
    language = SelectField("language", validators=[DataRequired()], validate_choice=True)


class PasswordForm(FlaskForm):
    current = PasswordField("current", validators=[DataRequired(), Length(max=1000)])
    new = PasswordField("new", validators=[DataRequired(), Length(max=1000)])
    repeat = PasswordField("repeat", validators=[DataRequired(), Length(max=1000)])


class SessionForm(FlaskForm):
    pass


def language_choices() -> list:
    return options((code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES)


def contact_form(user: Account) -> ContactForm:
    form = ContactForm()
    form.language.choices = language_choices()
    if not form.is_submitted():
        form.email.data, form.language.data = user.email, user.language
    return form


def library_of(code: str) -> LibraryConfig | None:
    return next((lib for lib in catalogue().libraries if lib.code == code), None)


def pin_help(code: str) -> str:
    """Whom a patron asks for a forgotten PIN when the library's own system keeps it."""
    library = library_of(code)
    if library is None:
        return _("Please ask your library for a new PIN.")
    if library.pin_help:
        return library.pin_help
    if library.email:
        return _("Please ask %(library)s for a new PIN: %(email)s.", library=library.name,
                 email=library.email)  # fmt: skip
    return _("Please ask %(library)s for a new PIN.", library=library.name)


def _user() -> Account:
    user = g.get("user")
    if user is None:
        abort(redirect(f"/login?next={PAGE}"))
    return user


@bp.get(PAGE)
def page() -> tuple[str, int]:
    user = _user()
    return _page(user, contact_form(user), PasswordForm(formdata=None))


def _page(
    user: Account, contact: ContactForm, password: PasswordForm, status: int = 200
) -> tuple[str, int]:
    now = datetime.now(UTC)
    with catalogue().store.engine.connect() as conn:
        open_now = sessions.open_sessions(conn, user.id, lifetimes(), now)
    listed = [(s, browser_label(s.browser), s.id == g.session_id) for s in open_now]
    html = render_template(
        "account.html", account=user, contact_form=contact, password_form=password,
        session_form=SessionForm(), sessions=listed, pin_help=pin_help(user.library),
        language_names=LANGUAGE_NAMES,
    )  # fmt: skip
    return html, status


@bp.post(f"{PAGE}/contact")
def contact() -> Response | tuple[str, int]:
    user = _user()
    form = contact_form(user)
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return _page(user, form, PasswordForm(formdata=None), 400)
    email = (form.email.data or "").strip()
    try:
        with transaction(catalogue().store.engine) as conn:
            changed = set_contact(conn, user.id, email=email, language=form.language.data)
    except AccountError:
        flash(_("This is not an e-mail address: %(address)s", address=email), "error")
        return _page(user, form, PasswordForm(formdata=None), 400)
    flash(_("Your e-mail address and language are saved."), "success")
    response = redirect(PAGE)
    # a language chosen on this device (the header's switch) would hide the new one here
    response.set_cookie(LANGUAGE_COOKIE, changed.language, max_age=365 * 24 * 3600,
                        samesite="Lax", httponly=True)  # fmt: skip
    return response


@bp.post(f"{PAGE}/password")
def password() -> Response | tuple[str, int]:
    user = _user()
    form = PasswordForm()
    blank = contact_form(user)
    if not user.checked_here:
        abort(403)  # the library's own system keeps the PIN: the page says whom to ask
    if not form.validate_on_submit():
        flash(_("Please fill in all three fields."), "error")
        return _page(user, blank, form, 400)
    engine, now = catalogue().store.engine, datetime.now(UTC)
    address = request.remote_addr or ""
    attempt = throttle.claim(engine, "password", str(user.id), address, now)
    if not attempt.allowed:
        flash(_("Too many wrong passwords. Please try again later."), "error")
        return _page(user, blank, form, 429)
    with engine.connect() as conn:
        right = password_matches(password_hash(conn, user.id), form.current.data)
    if not right:
        flash(_("Your current password is not right."), "error")
        return _page(user, blank, form, 400)
    throttle.succeeded(engine, attempt)
    if form.new.data != form.repeat.data:
        flash(_("The two new passwords differ."), "error")
        return _page(user, blank, form, 400)
    try:
        with transaction(engine) as conn:
            set_password(conn, user.id, form.new.data)
            # every copy of every cookie of this account ends; this browser starts afresh
            sessions.end_all(conn, user.id, now)
            token = sessions.start(conn, user.id, request.user_agent.string, now)
    except AccountError:
        flash(_("A password needs at least 8 characters."), "error")
        return _page(user, blank, form, 400)
    session[SESSION_KEY] = token
    session.permanent = True
    flash(_("Your password is changed. Every other device is logged out."), "success")
    return redirect(PAGE)


@bp.post(f"{PAGE}/sessions/<int:session_id>/end")
def end_session(session_id: int) -> Response:
    user = _user()
    if not SessionForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(PAGE)
    with transaction(catalogue().store.engine) as conn:
        ended = sessions.end(conn, session_id, datetime.now(UTC), user_id=user.id)
    if not ended:
        abort(404)  # ended already, or another account's: nothing of it is shown
    if session_id == g.session_id:
        session.clear()
        return redirect("/")
    flash(_("The session is ended: that device is logged out."), "success")
    return redirect(PAGE)


@bp.post(f"{PAGE}/sessions/end-others")
def end_other_sessions() -> Response:
    user = _user()
    if not SessionForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(PAGE)
    with transaction(catalogue().store.engine) as conn:
        sessions.end_all(conn, user.id, datetime.now(UTC), keep=g.session_id)
    flash(_("Every other device is logged out."), "success")
    return redirect(PAGE)
