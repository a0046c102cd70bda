"""The staff pages' blueprint, "staff_pages", and who may open them.

A librarian works the requests of their own library only; the administrator sees every
library's and may choose one (?library=). The pages: the queues (queues.py), one loan
request (loan_request.py), pull slips and overdue copies (shelf.py); the operations and
statistics pages (operations.py, statistics.py) are blueprints of their own.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request, url_for
from werkzeug.wrappers import Response

from libnet.accounts import Account
from webapp.labels import (
    ACTION_LABELS,
    ACTOR_LABELS,
    PAYER_LABELS,
    REASON_LABELS,
    ROLE_LABELS,
    STAFF_STATE_LABELS,
    event_note,
)
from webapp.state import catalogue

bp = Blueprint("staff_pages", __name__, url_prefix="/staff")


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
        "event_note": lambda note: event_note(note, catalogue().library_name),
        "actor_label": lambda actor: ACTOR_LABELS.get(actor, actor),
        "payer_label": lambda payer: PAYER_LABELS.get(payer, payer),
        "role_label": lambda role: ROLE_LABELS.get(role, role),
        "is_staff": g.get("user") is not None and g.user.role in ("librarian", "admin"),
    }


@bp.get("")
def home() -> Response:
    staff_user()
    return redirect(url_for("staff_pages.queue"))
