"""Logging in and out: patrons with the card of their library, staff with their name.

The login form asks for the library (form field `library`, remembered in a cookie; a card
number that a library claims by its `card_prefixes` picks it by itself), the card number or
staff name (`login`) and the password or PIN (`password`); libnet.accounts.login decides.
The browser's cookie (Flask's, signed, HttpOnly, SameSite=Lax) holds only a session token;
the session itself is a row in the store (libnet.accounts.sessions), so that logging out,
a password change, disabling the account or ending it from "Mein Konto" ends it for every
copy of the cookie. Every request looks the account up again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from libnet import accounts
from libnet.accounts import Account, get_user, sessions
from libnet.accounts.login import Failed, LoggedIn, Unreachable, log_in
from webapp.errors import error_page
from webapp.language import chose_language
from webapp.state import catalogue

bp = Blueprint("auth", __name__)
SESSION_KEY = "sid"
LIBRARY_COOKIE = "library"


class LoginForm(FlaskForm):
    library = StringField("library", validators=[Optional(), Length(max=40)])
    login = StringField("login", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=1000)])


class LogoutForm(FlaskForm):
    pass


def lifetimes() -> sessions.Lifetimes:
    chosen = catalogue().config.sessions
    return sessions.Lifetimes.hours(chosen.idle_hours, chosen.max_hours)


@bp.before_app_request
def _load_user() -> None:
    """g.user: the logged-in account, or None; g.session_id: its session."""
    g.user, g.session_id = None, None
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        return
    engine = catalogue().store.engine
    now = datetime.now(UTC)
    found = sessions.current(engine, token, lifetimes(), now)
    account = None
    if found is not None:
        with engine.connect() as conn:
            account = get_user(conn, found.user_id)
    if found is None or account is None or account.disabled or account.deleted:
        if found is not None:
            with engine.begin() as conn:
                sessions.end(conn, found.id, now)
        session.pop(SESSION_KEY, None)
        return
    g.user, g.session_id = account, found.id
    if not chose_language():  # the account's language, unless chosen on this device
        g.language = account.language


def bearer_token() -> str:
    """The token of the request's `Authorization: Bearer TOKEN` header; "" when none."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def token_account() -> Account | None:
    """The active account of the request's bearer token, or None (none sent, unknown, revoked,
    disabled): looked up once a request, for the rate limits and the API alike."""
    if "token_account" not in g:
        token = bearer_token()
        engine = catalogue().store.engine
        g.token_account = accounts.account_for_token(engine, token) if token else None
    return g.token_account


@bp.app_context_processor
def _forms() -> dict[str, object]:
    return {"logout_form": LogoutForm() if g.get("user") else None}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    form = LoginForm()
    target = safe_next(request.values.get("next", ""))
    if request.method == "GET":
        form.library.data = request.cookies.get(LIBRARY_COOKIE, "")
        return _page(form, target, "")
    if not form.validate_on_submit():
        message = _("Please give your card number or name and your password.")
        if form.csrf_token.errors:
            message = _("The form had expired. Please try again.")
        return _page(form, target, message), 400
    engine = catalogue().store.engine
    library = (form.library.data or "").strip()
    outcome = log_in(
        engine, catalogue().config, catalogue().patron_checker,
        library=library, login=form.login.data, password=form.password.data,
        address=request.remote_addr or "", now=datetime.now(UTC),
    )  # fmt: skip
    if isinstance(outcome, Unreachable):
        name = catalogue().library_name(outcome.library)
        message = _("%(library)s cannot be reached just now. Please try again later.",
                    library=name)  # fmt: skip
        return _page(form, target, message), 503
    if isinstance(outcome, Failed):
        message = _("The library, card number or name, or the password is not right.")
        if outcome.retry_at is not None and outcome.retry_at > datetime.now(UTC):
            when = format_datetime(outcome.retry_at, "short")
            message += " " + _("You can try again from %(when)s on.", when=when)
        else:
            message += " " + _("You can try again at once.")
        return _page(form, target, message), 401
    assert isinstance(outcome, LoggedIn)
    account = outcome.account
    session.clear()  # a new session, never one a visitor brought along
    with engine.begin() as conn:
        token = sessions.start(conn, account.id, request.user_agent.string, datetime.now(UTC))
    session[SESSION_KEY] = token
    session.permanent = True
    response = redirect(target or "/")
    if account.role == "patron":
        secure = current_app.config["SESSION_COOKIE_SECURE"]
        response.set_cookie(LIBRARY_COOKIE, account.library, max_age=365 * 24 * 3600,
                            samesite="Lax", httponly=True, secure=secure)  # fmt: skip
    return response


@bp.post("/logout")
def logout() -> Response | tuple[str, int]:
    if not LogoutForm().validate_on_submit():
        return error_page(None, 400), 400
    if g.get("session_id") is not None:
        with catalogue().store.engine.begin() as conn:
            sessions.end(conn, g.session_id, datetime.now(UTC))
    session.clear()
    return redirect("/")


def _page(form: LoginForm, target: str, message: str) -> str:
    libraries = catalogue().libraries
    return render_template("login.html", form=form, next=target, message=message,
                           libraries=libraries)  # fmt: skip


def safe_next(target: str) -> str:
    """A page of this site to go back to: a path, never another site."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target
