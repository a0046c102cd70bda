"""Running the loan network: each library's lending settings, and the accounts.

/staff/settings: whether a library lends just now (paused for holidays or inventory, then
skipped in every rota), how many working days it has to answer a request, the loan period it
grants, how many open requests its patrons may have, and its closing days (which the
answer timer does not count). A librarian changes their own library's; the administrator
any library's.

/staff/accounts (administrators only): every account, by library and role; a new account;
a new password; disabling an account (it can no longer log in; its requests and history stay).
The same as `libnet users ...` on the command line, through libnet.accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import Connection
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from libnet import accounts, loans
from libnet.accounts import LANGUAGES, ROLES, AccountError, sessions
from libnet.loans import LoanError
from webapp.forms import options
from webapp.labels import LANGUAGE_LABELS, ROLE_LABELS
from webapp.staff.blueprint import chosen_library, staff_user
from webapp.state import catalogue

bp = Blueprint("admin_pages", __name__, url_prefix="/staff")


class SettingsForm(FlaskForm):
    paused = BooleanField("paused")
    pause_note = StringField("pause_note", validators=[Optional(), Length(max=500)])
    answer_days = IntegerField("answer_days", validators=[DataRequired(), NumberRange(1, 60)])
    loan_days = IntegerField("loan_days", validators=[DataRequired(), NumberRange(1, 365)])
    max_loan_days = IntegerField("max_loan_days", validators=[DataRequired(), NumberRange(1, 365)])
    recall_days = IntegerField("recall_days", validators=[DataRequired(), NumberRange(1, 60)])
    max_open = IntegerField("max_open", validators=[DataRequired(), NumberRange(1, 100)])
    closing_days = TextAreaField("closing_days", validators=[Optional(), Length(max=5000)])


class AccountForm(FlaskForm):
    role = SelectField("role", choices=options((r, r) for r in ROLES))
    library = SelectField("library")
    name = StringField("name", validators=[DataRequired(), Length(max=200)])
    card = StringField("card", validators=[Optional(), Length(max=40)])
    email = EmailField("email", validators=[Optional(), Length(max=320)])
    language = SelectField("language", choices=options((lang, lang) for lang in LANGUAGES))
    password = PasswordField("password", validators=[DataRequired(), Length(max=1000)])


class PasswordForm(FlaskForm):
    password = PasswordField("password", validators=[DataRequired(), Length(max=1000)])


class DisableForm(FlaskForm):
    pass


# --------------------------------------------------------------------------- settings


@bp.route("/settings", methods=["GET", "POST"])
def settings() -> Response | str | tuple[str, int]:
    user = staff_user()
    # the administrator chooses with ?library=, also in the form's action
    library = chosen_library(user) or catalogue().libraries[0].code
    engine = catalogue().store.engine
    with engine.connect() as conn:
        current = loans.settings(conn, library)
    form = SettingsForm(obj=current if request.method == "GET" else None)
    if request.method == "GET":
        form.closing_days.data = "\n".join(current.closing_days)
        return render_template("staff_settings.html", form=form, library=library, current=current)
    if not form.validate_on_submit():
        message = _("Please check the marked fields.")
        if form.csrf_token.errors:
            message = _("The form had expired. Please try again.")
        flash(message, "error")
        return render_template(
            "staff_settings.html", form=form, library=library, current=current
        ), 400
    if form.loan_days.data > form.max_loan_days.data:
        message = _("The loan period cannot be longer than the longest loan period.")
        form.loan_days.errors = [message]  # marks the field
        flash(message, "error")
        return render_template(
            "staff_settings.html", form=form, library=library, current=current
        ), 400
    days = [part for part in (form.closing_days.data or "").replace(",", " ").split() if part]
    bad = [day for day in days if not _is_date(day)]
    if bad:
        flash(_("Not a date (YYYY-MM-DD): %(days)s", days=", ".join(bad)), "error")
        return render_template(
            "staff_settings.html", form=form, library=library, current=current
        ), 400
    try:
        with engine.begin() as conn:
            loans.set_settings(
                conn, library, paused=form.paused.data, pause_note=form.pause_note.data or "",
                answer_days=form.answer_days.data, loan_days=form.loan_days.data,
                max_loan_days=form.max_loan_days.data, recall_days=form.recall_days.data,
                max_open=form.max_open.data, closing_days=tuple(sorted(set(days))),
            )  # fmt: skip
    except LoanError:
        flash(_("The settings could not be saved."), "error")
        return redirect(url_for("admin_pages.settings", library=library))
    flash(_("The lending settings of %(library)s are saved.",
            library=catalogue().library_name(library)), "success")  # fmt: skip
    return redirect(url_for("admin_pages.settings", library=library))


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- accounts


def _admin() -> None:
    if staff_user().role != "admin":
        abort(403)


def _account_form() -> AccountForm:
    form = AccountForm()
    form.library.choices = options((lib.code, lib.name) for lib in catalogue().libraries)
    # the labels in the page's language (the class's choices are made before any request)
    form.role.choices = options((role, ROLE_LABELS.get(role, role)) for role in ROLES)
    named = {"de": LANGUAGE_LABELS["ger"], "en": LANGUAGE_LABELS["eng"]}
    form.language.choices = options((lang, named.get(lang, lang)) for lang in LANGUAGES)
    return form


@bp.get("/accounts")
def account_list() -> str:
    _admin()
    return _accounts_page(_account_form())


def _accounts_page(form: AccountForm) -> str:
    library = request.args.get("library", "")
    role = request.args.get("role", "")
    with catalogue().store.engine.connect() as conn:
        found = accounts.list_users(conn, library or None)
    if role in ROLES:
        found = [account for account in found if account.role == role]
    return render_template(
        "staff_accounts.html", accounts=found, form=form, library=library, role=role,
        roles=ROLES, password_form=PasswordForm(), disable_form=DisableForm(),
    )  # fmt: skip


@bp.post("/accounts")
def add_account() -> Response | tuple[str, int]:
    _admin()
    form = _account_form()
    if not form.validate_on_submit():
        flash(_("Please check the marked fields."), "error")
        return _accounts_page(form), 400
    try:
        with catalogue().store.engine.begin() as conn:
            made = accounts.add_user(
                conn, role=form.role.data, library=form.library.data, name=form.name.data,
                password=form.password.data, card=form.card.data or None,
                email=form.email.data or "", language=form.language.data,
                libraries=tuple(lib.code for lib in catalogue().libraries),
            )  # fmt: skip
    except AccountError as exc:
        flash(_("The account was not made: %(reason)s", reason=str(exc)), "error")
        return _accounts_page(form), 400
    flash(_("The account of %(name)s is made; they log in with %(login)s.", name=made.name,
            login=made.login), "success")  # fmt: skip
    return redirect(url_for("admin_pages.account_list", library=made.library))


@bp.post("/accounts/<int:user_id>/password")
def new_password(user_id: int) -> Response:
    form = PasswordForm()
    return _act_on(
        user_id, form, lambda conn, a: accounts.set_password(conn, a.id, form.password.data),
        lambda reason: _("The password was not changed: %(reason)s", reason=reason),
        lambda a, ended: _("%(name)s has a new password.", name=a.name),
    )  # fmt: skip


@bp.post("/accounts/<int:user_id>/disable")
def disable(user_id: int) -> Response:
    return _act_on(
        user_id, DisableForm(), lambda conn, a: accounts.disable_user(conn, a.id),
        lambda reason: _("The account was not disabled: %(reason)s", reason=reason),
        lambda a, ended: _("The account of %(name)s is disabled.", name=a.name),
    )  # fmt: skip


@bp.post("/accounts/<int:user_id>/logout")
def log_out_everywhere(user_id: int) -> Response:
    """End every session of an account: each browser where it is logged in must log in again."""
    return _act_on(
        user_id, DisableForm(), lambda conn, a: None,
        lambda reason: reason,
        lambda a, ended: _("%(count)d sessions of %(name)s ended.", count=ended, name=a.name),
    )  # fmt: skip


def _act_on(
    user_id: int,
    form: FlaskForm,
    change: Callable[[Connection, accounts.Account], object],
    refused: Callable[[str], str],
    done: Callable[[accounts.Account, int], str],
) -> Response:
    """Change an account by its id, and end all its sessions in the same transaction."""
    _admin()
    account = _account_or_404(user_id)
    back = url_for("admin_pages.account_list", library=account.library)
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(back)
    try:
        with catalogue().store.engine.begin() as conn:
            change(conn, account)
            ended = sessions.end_all(conn, account.id, datetime.now(UTC))
    except AccountError as exc:
        flash(refused(str(exc)), "error")
        return redirect(back)
    flash(done(account, ended), "success")
    return redirect(back)


def _account_or_404(user_id: int) -> accounts.Account:
    with catalogue().store.engine.connect() as conn:
        account = accounts.get_user(conn, user_id)
    if account is None:
        abort(404)
    return account
