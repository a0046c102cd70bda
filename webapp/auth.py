"""Logging in and out of the loan network: patrons with their card, staff with their name.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax), holding only the account's
id; every request looks the account up again, so a disabled account is logged out at once.
Forms carry Flask-WTF's CSRF token. Passwords are checked by an Authenticator
(libnet.accounts): libnet's own accounts today, a library's patron database later.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from libnet.accounts import StoreAuthenticator, get_user
from webapp.state import catalogue

bp = Blueprint("auth", __name__)
SESSION_KEY = "user_id"


class LoginForm(FlaskForm):
    login = StringField("login", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=1000)])


class LogoutForm(FlaskForm):
    pass


@bp.before_app_request
def _load_user() -> None:
    """g.user: the logged-in account, or None."""
    g.user = None
    user_id = session.get(SESSION_KEY)
    if not isinstance(user_id, int):
        return
    with catalogue().store.engine.connect() as conn:
        account = get_user(conn, user_id)
    if account is None or account.disabled:
        session.pop(SESSION_KEY, None)
        return
    g.user = account


@bp.app_context_processor
def _forms() -> dict[str, object]:
    return {"logout_form": LogoutForm() if g.get("user") else None}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    form = LoginForm()
    target = _safe_next(request.values.get("next", ""))
    if request.method == "GET":
        return render_template("login.html", form=form, next=target, message="")
    if not form.validate_on_submit():
        message = _("Please give your card number or name and your password.")
        if form.csrf_token.errors:
            message = _("The form had expired. Please try again.")
        return render_template("login.html", form=form, next=target, message=message), 400
    auth = StoreAuthenticator(catalogue().store.engine)
    account = auth.authenticate(form.login.data, form.password.data)
    if account is None:
        if auth.locked(form.login.data):
            message = _("Too many failed attempts: logging in is blocked for a while.")
        else:
            message = _("The card number, name or password is not right.")
        return render_template("login.html", form=form, next=target, message=message), 401
    session.clear()
    session[SESSION_KEY] = account.id
    session.permanent = True
    return redirect(target or "/")


@bp.post("/logout")
def logout() -> Response | tuple[str, int]:
    if not LogoutForm().validate_on_submit():
        return render_template("error.html", error=None, code=400), 400
    session.clear()
    return redirect("/")


def _safe_next(target: str) -> str:
    """A page of this site to go back to: a path, never another site."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target
