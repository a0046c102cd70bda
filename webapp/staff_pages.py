"""The librarians' side of the loan network: queues, a request's page, pull slips, overdue.

A librarian works the requests of their own library only: incoming ones (the library is the
current supplier: answer, fetch from the shelf, ship, take back) and outgoing ones (the
library is the pickup library: receive, hand to the patron, send back). The administrator
sees every library's queues and may choose one. Every change goes through libnet.loans,
which decides who the person is to the request and what they may do; these pages only show
the actions it allows and pass on what the librarian filled in.

Pages: /staff/requests (the queues, with counts, filters and batch actions),
/staff/requests/<id> (one request, its history and its actions), /staff/pull-slips (a
printable slip per request to fetch from the shelf), /staff/overdue.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from libnet import accounts, loans
from libnet.accounts import Account
from libnet.loans import AlreadyChanged, LoanError, LoanRequest, NotYours
from libnet.loans.states import (
    CANNOT_SUPPLY_REASONS,
    PAYERS,
    TRANSITIONS,
    State,
    TransitionError,
    allowed,
)
from libnet.numbers import whole_number
from libnet.records.bib import BibRecord
from libnet.store.record_store import stored_bib
from webapp.catalogue import catalogue
from webapp.forms import options
from webapp.labels import (
    ACTION_LABELS,
    PAYER_LABELS,
    REASON_LABELS,
    ROLE_LABELS,
    STAFF_STATE_LABELS,
    event_note,
)
from webapp.limits import MAX_NOTE_CHARS

bp = Blueprint("staff_pages", __name__, url_prefix="/staff")

SIDES = ("incoming", "outgoing")
# what the checked requests of a queue can be marked as at once, by side
BATCH_ACTIONS = {"incoming": ("will_supply", "ship"), "outgoing": ("receive", "hand_to_patron")}
# to fetch from the shelf: answered "will supply", or not answered yet
PULL_STATES = (State.REQUEST_RECEIVED.value, State.WILL_SUPPLY.value)
# where the copy is out of the supplier's hands and a due date runs
OUT_STATES = tuple(
    s.value
    for s in (
        State.LOANED,
        State.RECEIVED,
        State.HANDED_TO_PATRON,
        State.RETURNED_BY_PATRON,
        State.OVERDUE,
        State.RECALLED,
    )
)


class TransitionForm(FlaskForm):
    action = HiddenField("action", validators=[DataRequired()])
    version = HiddenField("version", validators=[DataRequired()])
    reason = SelectField("reason", choices=options((r, r) for r in ("", *CANNOT_SUPPLY_REASONS)),
                         validators=[Optional()])  # fmt: skip
    payer = SelectField("payer", choices=options((p, p) for p in ("", *PAYERS)),
                        validators=[Optional()])  # fmt: skip
    due_date = StringField("due_date", validators=[Optional(), Length(max=10)])
    note = TextAreaField("note", validators=[Optional(), Length(max=MAX_NOTE_CHARS)])


class BatchForm(FlaskForm):
    action = SelectField("action", choices=options((a, a) for side in BATCH_ACTIONS.values()
                                                   for a in side))  # fmt: skip
    side = HiddenField("side")
    due_date = StringField("due_date", validators=[Optional(), Length(max=10)])


@dataclass(frozen=True, slots=True)
class Slip:
    """What a pull slip shows of a request: the supplier's record and its copies."""

    request: LoanRequest
    record: BibRecord | None

    @property
    def copies(self) -> list:
        if self.record is None:
            return []
        return [item for item in self.record.items if item.lendable]


# --------------------------------------------------------------------------- access


def staff_user() -> Account:
    """The logged-in librarian or administrator; a visitor is sent to log in, a patron 403."""
    user = g.get("user")
    if user is None:
        abort(redirect(url_for("auth.login", next=request.full_path.rstrip("?"))))
    if user.role not in ("librarian", "admin"):
        abort(403)
    return user


def chosen_library(user: Account) -> str:
    """The library whose work is shown: a librarian's own; the one an administrator chose
    with ?library= ("" for all)."""
    if user.role == "librarian":
        return user.library
    code = request.args.get("library", "")
    return code if code in {lib.code for lib in catalogue().libraries} else ""


@bp.app_context_processor
def _staff_helpers() -> dict[str, object]:
    return {
        "staff_state_label": lambda state: STAFF_STATE_LABELS.get(state, state),
        "action_label": lambda action: ACTION_LABELS.get(action, action),
        "reason_label": lambda reason: REASON_LABELS.get(reason, reason),
        "event_note": event_note,
        "payer_label": lambda payer: PAYER_LABELS.get(payer, payer),
        "role_label": lambda role: ROLE_LABELS.get(role, role),
        "is_staff": g.get("user") is not None and g.user.role in ("librarian", "admin"),
    }


# --------------------------------------------------------------------------- the queues


@bp.get("")
def home() -> Response:
    staff_user()
    return redirect(url_for("staff_pages.queue"))


@bp.get("/requests")
def queue() -> str:
    user = staff_user()
    library = chosen_library(user)
    side = request.args.get("side", "incoming")
    side = side if side in SIDES else "incoming"
    state = request.args.get("state", "open")
    with catalogue().store.engine.connect() as conn:
        everything = _side(conn, side, library)
    counts = Counter(r.state.value for r in everything)
    with catalogue().store.engine.connect() as conn:
        sides = {s: sum(1 for r in _side(conn, s, library) if r.open) for s in SIDES}
    if state == "open":
        shown = [r for r in everything if r.open]
    elif state == "closed":
        shown = [r for r in everything if not r.open]
    elif state in counts:
        shown = [r for r in everything if r.state.value == state]
    else:
        state, shown = "open", [r for r in everything if r.open]
    partner = request.args.get("partner", "")
    if partner:
        shown = [r for r in shown if partner in (r.supplier, r.pickup_library)]
    shown.sort(key=lambda r: (r.state_changed_at, r.id))  # the longest waiting first
    batch = None
    if user.role == "librarian":
        batch = BatchForm(side=side)
        batch.action.choices = options((a, ACTION_LABELS[a]) for a in BATCH_ACTIONS[side])
        batch.due_date.data = _proposed_due_date(library)
    return render_template(
        "staff_queue.html", side=side, state=state, library=library, partner=partner,
        requests=shown, counts=counts, sides=sides, batch=batch,
        open_total=sum(1 for r in everything if r.open),
        closed_total=sum(1 for r in everything if not r.open),
        batchable={a for a in BATCH_ACTIONS[side]}, allowed_for=_allowed_for(user),
        waiting_days=_waiting_days,
    )  # fmt: skip


def _side(conn, side: str, library: str) -> list[LoanRequest]:
    if not library:
        return loans.requests(conn)
    if side == "incoming":
        return loans.requests(conn, supplier=library)
    return loans.requests(conn, pickup_library=library)


def _allowed_for(user: Account):
    def allowed_actions(r: LoanRequest) -> tuple[str, ...]:
        try:
            actor = loans.actor_for(r, user)
        except NotYours:
            return ()
        return allowed(r.state, actor, renewal_pending=r.renewal_pending)

    return allowed_actions


def _waiting_days(moment: datetime) -> int:
    return max(0, (datetime.now(UTC) - moment).days)


@bp.post("/requests/batch")
def batch() -> Response:
    """The checked requests of a queue marked shipped, received, ...: each in its own
    transaction, so one that changed meanwhile does not stop the others."""
    user = staff_user()
    form = BatchForm()
    side = form.side.data if form.side.data in SIDES else "incoming"
    back = url_for("staff_pages.queue", side=side)
    form.action.choices = options((a, a) for a in BATCH_ACTIONS[side])
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(back)
    picked = [value.partition(":") for value in request.form.getlist("pick")]
    picked = [(whole_number(i), whole_number(v)) for i, _sep, v in picked]
    picked = [(i, v) for i, v in picked if i is not None and v is not None]
    if not picked:
        flash(_("Check the requests first."), "error")
        return redirect(back)
    action = form.action.data
    details = {}
    if "due_date" in TRANSITIONS[action].needs:
        due = _parse_date(form.due_date.data)
        if due is None:
            flash(_("Give the due date as a date (YYYY-MM-DD)."), "error")
            return redirect(back)
        details["due_date"] = due.isoformat()
    done, changed, refused = 0, 0, 0
    for loan_id, version in picked:
        try:
            with loans.transaction(catalogue().store.engine) as conn:
                loans.act(conn, loan_id, action, user, version=version, details=details,
                          mailing=catalogue().mailing)  # fmt: skip
            done += 1
        except AlreadyChanged:
            changed += 1
        except (LoanError, TransitionError):  # not in this state, or not for this librarian
            refused += 1
    if done:
        catalogue().send_notices_soon()
        flash(ngettext("%(num)s request: %(action)s.", "%(num)s requests: %(action)s.", done,
                       action=ACTION_LABELS[action]), "success")  # fmt: skip
    if changed:
        flash(ngettext("%(num)s request had changed meanwhile and was left as it is.",
                       "%(num)s requests had changed meanwhile and were left as they are.",
                       changed), "error")  # fmt: skip
    if refused:
        flash(ngettext("%(num)s request could not be changed so.",
                       "%(num)s requests could not be changed so.", refused), "error")  # fmt: skip
    return redirect(back)


# --------------------------------------------------------------------------- one request


@bp.get("/requests/<int:loan_id>")
def detail(loan_id: int) -> str:
    user = staff_user()
    with catalogue().store.engine.connect() as conn:
        found = _visible(conn, loan_id, user)
        events = loans.history(conn, loan_id)
        patron = _patron(conn, found, user)
        names = _user_names(conn, {e.user_id for e in events if e.user_id is not None})
    actions = _allowed_for(user)(found)
    forms = {}
    for action in actions:
        form = TransitionForm(action=action, version=str(found.version), formdata=None)
        form.reason.choices = options(
            [("", _("Choose a reason"))] + [(r, REASON_LABELS[r]) for r in CANNOT_SUPPLY_REASONS]
        )
        form.payer.choices = options(
            [("", _("Who pays?"))] + [(p, PAYER_LABELS[p]) for p in PAYERS]
        )
        if "due_date" in TRANSITIONS[action].needs:
            form.due_date.data = _proposed_due_date(found.supplier, found.due_date)
        forms[action] = form
    return render_template(
        "staff_request.html", r=found, events=events, patron=patron, names=names,
        forms=forms, needs={a: TRANSITIONS[a].needs for a in actions},
        rota=[library for library, _local in found.rota],
    )  # fmt: skip


@bp.post("/requests/<int:loan_id>/transitions")
def transition(loan_id: int) -> Response:
    user = staff_user()
    back = url_for("staff_pages.detail", loan_id=loan_id)
    form = TransitionForm()
    version = whole_number(form.version.data)
    if not form.validate_on_submit() or version is None:
        flash(_("The form had expired. Please try again."), "error")
        return redirect(back)
    action = form.action.data
    transition_ = TRANSITIONS.get(action)
    if transition_ is None:
        abort(400)
    details: dict[str, object] = {}
    if "reason" in transition_.needs:
        details["reason"] = form.reason.data
    if "payer" in transition_.needs:
        details["payer"] = form.payer.data
    if "due_date" in transition_.needs:
        due = _parse_date(form.due_date.data)
        if due is None:
            flash(_("Give the due date as a date (YYYY-MM-DD)."), "error")
            return redirect(back)
        details["due_date"] = due.isoformat()
    try:
        with loans.transaction(catalogue().store.engine) as conn:
            _visible(conn, loan_id, user)
            changed = loans.act(conn, loan_id, action, user, version=version,
                                details=details, note=(form.note.data or "").strip(),
                                mailing=catalogue().mailing)  # fmt: skip
    except NotYours:
        abort(403)
    except AlreadyChanged:
        flash(_("Someone changed the request in the meantime; here is how it stands now."),
              "error")  # fmt: skip
        return redirect(back)
    except TransitionError as exc:
        if exc.kind == "details":
            flash(_("Please fill in what the action needs."), "error")
        else:
            flash(_("This is not possible in the request's state."), "error")
        return redirect(back)
    except LoanError:
        flash(_("The request could not be changed."), "error")
        return redirect(back)
    catalogue().send_notices_soon()
    flash(_("Done: %(action)s. The request is now: %(state)s.", action=ACTION_LABELS[action],
            state=STAFF_STATE_LABELS[changed.state.value]), "success")  # fmt: skip
    if not loans.may_see(changed, user):  # passed on to the next library: no longer ours
        return redirect(url_for("staff_pages.queue", side="incoming"))
    return redirect(back)


def _visible(conn, loan_id: int, user: Account) -> LoanRequest:
    try:
        found = loans.get(conn, loan_id)
    except LoanError:
        abort(404)
    if not loans.may_see(found, user):
        abort(403)
    return found


def _patron(conn, r: LoanRequest, user: Account) -> dict[str, str] | None:
    """The patron's name, card and e-mail, for the staff of the patron's side only: the
    supplier's staff see the requesting library, never the person."""
    if user.role == "librarian" and user.library not in (r.requesting_library, r.pickup_library):
        return None
    found = accounts.contact(conn, r.patron_id)
    return {"name": found.name, "card": found.card, "email": found.email} if found else None


def _user_names(conn, ids: set[int]) -> dict[int, str]:
    """Who made each change, as the history shows it: staff by name, a patron as "patron"."""
    if not ids:
        return {}
    return accounts.staff_names(conn, ids)


# --------------------------------------------------------------------------- pull slips


@bp.get("/pull-slips")
def pull_slips() -> str:
    """A slip per request to fetch from the shelf (not answered yet, or "will supply"), to
    print all at once; ?id= (repeated) prints only those."""
    user = staff_user()
    library = chosen_library(user)
    wanted = {whole_number(i) for i in request.args.getlist("id")} - {None}
    with catalogue().store.engine.connect() as conn:
        found = (
            loans.requests(conn, supplier=library, states=PULL_STATES)
            if library
            else loans.requests(conn, states=PULL_STATES)
        )
        if wanted:
            found = [r for r in found if r.id in wanted]
        slips = [Slip(r, _supplier_record(conn, r)) for r in found]
    slips.sort(key=lambda s: (_first_call_number(s), s.request.id))  # shelf order
    return render_template("staff_pull_slips.html", slips=slips, library=library)


def _supplier_record(conn, r: LoanRequest) -> BibRecord | None:
    return stored_bib(conn, r.supplier, r.supplier_local_id)


def _first_call_number(slip: Slip) -> str:
    return next((item.call_number for item in slip.copies if item.call_number), "~")


# --------------------------------------------------------------------------- overdue


@bp.get("/overdue")
def overdue() -> str:
    """Copies whose due date has passed, lent by this library or borrowed for its patrons."""
    user = staff_user()
    library = chosen_library(user)
    today = datetime.now(UTC).date()
    with catalogue().store.engine.connect() as conn:
        out = (
            loans.requests(conn, library=library, states=OUT_STATES)
            if library
            else loans.requests(conn, states=OUT_STATES)
        )
    late = [
        r for r in out
        if r.state is State.OVERDUE or (r.due_date and date.fromisoformat(r.due_date) < today)
    ]  # fmt: skip
    late.sort(key=lambda r: (r.due_date or "", r.id))
    days_late = {r.id: (today - date.fromisoformat(r.due_date)).days for r in late if r.due_date}
    return render_template(
        "staff_overdue.html", requests=late, library=library, days_late=days_late
    )


# --------------------------------------------------------------------------- helpers


def _proposed_due_date(supplier: str, current: str | None = None) -> str:
    """The due date a ship form proposes: the supplier's loan period from today, or, for a
    renewal, from the current due date."""
    if not supplier:
        return ""
    with catalogue().store.engine.connect() as conn:
        days = loans.settings(conn, supplier).loan_days
    start = datetime.now(UTC).date()
    if current:
        start = max(start, date.fromisoformat(current))
    return (start + timedelta(days=days)).isoformat()


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None
