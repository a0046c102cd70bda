"""Passwort vergessen: a forgotten password set anew through a link sent by e-mail.

/password/forgot asks for the library and card number (or a staff name) and always gives the
same answer, whether an account with an e-mail address exists or not; when one does, the link
(libnet.accounts.reset: signed, one hour, once) goes out through the notices' queue, sent in
the background at once. The form is throttled per client address. A library whose own system
checks the PIN resets it there: the page says whom to ask instead. /password/reset/<token>
sets the new password and ends every session of the account.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, session
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from libnet.accounts import AccountError, reset, throttle
from libnet.loans import notices
from libnet.store import transaction
from webapp.account import library_of, pin_help
from webapp.state import catalogue

bp = Blueprint("password_reset", __name__)
THROTTLE_KEY = "reset"  # its own counters: asking for links never slows down a login


class ForgotForm(FlaskForm):
    library = StringField("library", validators=[Optional(), Length(max=40)])
    login = StringField("login", validators=[DataRequired(), Length(max=200)])


class ResetForm(FlaskForm):
    new = PasswordField("new", validators=[DataRequired(), Length(max=1000)])
    repeat = PasswordField("repeat", validators=[DataRequired(), Length(max=1000)])


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot() -> tuple[str, int]:
    form = ForgotForm()
    if request.method == "GET":
        form.library.data = request.values.get("library") or request.cookies.get("library", "")
        return _forgot(form, "")
    if not form.validate_on_submit():
        message = _("Please give your library and card number, or your name.")
        return _forgot(form, "", message, 400)
    code = (form.library.data or "").strip()
    library = library_of(code) if code else None
    if library is not None and library.patrons.external:
        return _forgot(form, "ask", pin_help(library.code))
    engine, now = catalogue().store.engine, datetime.now(UTC)
    # its own counter per address, apart from the logins' (throttle.keys)
    attempt = throttle.claim(engine, THROTTLE_KEY, "", f"{THROTTLE_KEY}/{request.remote_addr}", now)
    if not attempt.allowed:
        when = format_datetime(attempt.wait_until, "short")
        message = _("Too many requests from here. Please try again from %(when)s on.", when=when)
        return _forgot(form, "", message, 429)
    secret = current_app.config["SECRET_KEY"]
    with transaction(engine) as conn:
        account = None
        if library is not None or not code:  # an unknown library answers like any other
            account = reset.account_to_reset(conn, code, form.login.data)
        if account is not None:
            token = reset.issue(conn, secret, account, now)
            link = f"{catalogue().mailing.site_url.rstrip('/')}/password/reset/{token}"
            notices.queue_for_account(conn, "password_reset", account, {"link": link}, now=now)
    if account is not None:
        catalogue().send_notices_soon()
    return _forgot(form, "sent")


def _forgot(
    form: ForgotForm, outcome: str, message: str = "", status: int = 200
) -> tuple[str, int]:
    """The form; outcome "sent" (the one answer for every card), "ask" (message: whom)."""
    html = render_template("password_forgot.html", form=form, outcome=outcome, message=message,
                           libraries=catalogue().libraries)  # fmt: skip
    return html, status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | tuple[str, int]:
    form = ResetForm()
    engine, now = catalogue().store.engine, datetime.now(UTC)
    secret = current_app.config["SECRET_KEY"]
    with engine.connect() as conn:
        account = reset.account_for(conn, secret, token, now)
    if account is None:
        return render_template("password_reset.html", form=None, message=""), 410
    if request.method == "GET":
        return render_template("password_reset.html", form=form, message=""), 200
    message = ""
    if not form.validate_on_submit():
        message = _("Please give the new password twice.")
    elif form.new.data != form.repeat.data:
        message = _("The two new passwords differ.")
    if message:
        return render_template("password_reset.html", form=form, message=message), 400
    try:
        with transaction(engine) as conn:
            done = reset.set_new_password(conn, secret, token, form.new.data, now)
    except AccountError:
        message = _("A password needs at least 8 characters.")
        return render_template("password_reset.html", form=form, message=message), 400
    if done is None:  # used in the meantime, by a second click
        return render_template("password_reset.html", form=None, message=""), 410
    session.clear()  # whoever was logged in here is logged out, as everywhere
    flash(_("Your new password is set. Please log in with it."), "success")
    return redirect("/login")
