"""Online registration (/register) for the libraries that allow it ([libraries.patrons]
registration = true, libnet keeping the passwords): a provisional account that may log in,
search and save, and order once the library approved it on the patron desk
(libnet.accounts.registration). Without such a library the page does not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, render_template, request
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from libnet.accounts import MIN_PASSWORD, AccountError, is_email, registration, throttle
from libnet.accounts.registration import DuplicateRegistration
from libnet.config import LibraryConfig
from webapp.forms import options
from webapp.state import catalogue

bp = Blueprint("registration", __name__)


class RegisterForm(FlaskForm):
    library = SelectField("library", validators=[DataRequired()], validate_choice=True)
    name = StringField("name", validators=[DataRequired(), Length(max=200)])
    birth_date = StringField("birth_date", validators=[DataRequired(), Length(max=10)])
    email = EmailField("email", validators=[DataRequired(), Length(max=320)])
    card = StringField("card", validators=[Optional(), Length(max=40)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=1000)])
    password2 = PasswordField("password2", validators=[DataRequired(), Length(max=1000)])


def open_libraries() -> list[LibraryConfig]:
    """The libraries whose patrons may register online."""
    return [lib for lib in catalogue().libraries
            if lib.patrons.registration and not lib.patrons.external]  # fmt: skip


@bp.route("/register", methods=["GET", "POST"])
def register() -> Response | str | tuple[str, int]:
    choices = open_libraries()
    if not choices:
        abort(404)
    form = RegisterForm()
    form.library.choices = options((lib.code, lib.name) for lib in choices)
    if request.method == "GET":
        form.library.data = request.args.get("library", "")
        return _page(form, "")
    if not form.validate_on_submit():
        message = _("Please fill in every field marked as needed.")
        if form.csrf_token.errors:
            message = _("The form had expired. Please try again.")
        return _page(form, message), 400
    problem = _problem(form)
    if problem:
        return _page(form, problem), 400
    library = next(lib for lib in choices if lib.code == form.library.data)
    today = datetime.now(UTC).date()
    try:
        born = registration.birth_date(form.birth_date.data, today)
    except AccountError:
        return _page(form, _("Please give your birth date as a date (YYYY-MM-DD).")), 400
    # registrations from one address slow down like failed logins (libnet/accounts/throttle.py):
    # nobody fills a library's approval queue with invented people
    engine, now = catalogue().store.engine, datetime.now(UTC)
    attempt = throttle.claim(engine, "register", "", f"register/{request.remote_addr}", now)
    if not attempt.allowed:
        when = format_datetime(attempt.wait_until, "short")
        message = _("Too many requests from here. Please try again from %(when)s on.", when=when)
        return _page(form, message), 429
    try:
        with catalogue().store.engine.begin() as conn:
            made = registration.register(
                conn, library=library.code, name=form.name.data, born=born,
                email=form.email.data.strip(), password=form.password.data,
                card=form.card.data or "", card_prefix=next(iter(library.card_prefixes), ""),
                libraries=tuple(lib.code for lib in catalogue().libraries),
            )  # fmt: skip
    except DuplicateRegistration:
        message = _("%(library)s has an account for this name and birth date already. Please "
                    "come to the library's desk: they will help you there.",
                    library=library.name)  # fmt: skip
        return _page(form, message), 409
    except AccountError:
        message = _("This card number has an account already, or cannot be used. Please "
                    "check it, or leave the field empty to get a new card number.")  # fmt: skip
        return _page(form, message), 409
    return render_template("registered.html", account=made, library=library)


def _problem(form: RegisterForm) -> str:
    """What is wrong with the form's values, in the visitor's language ("": nothing)."""
    if not " ".join(form.name.data.split()):
        return _("Please give your name.")
    if not is_email(form.email.data.strip()):
        return _("Please give a valid e-mail address.")
    if len(form.password.data) < MIN_PASSWORD:
        return _("The password needs at least %(num)s characters.", num=MIN_PASSWORD)
    if form.password.data != form.password2.data:
        return _("The two passwords differ.")
    return ""


def _page(form: RegisterForm, message: str) -> str:
    return render_template("register.html", form=form, message=message,
                           min_password=MIN_PASSWORD)  # fmt: skip
