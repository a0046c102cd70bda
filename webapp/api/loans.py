"""The loan network's JSON API under /api/v1/loans: list, detail, place, change.

Every call needs an account: `Authorization: Bearer TOKEN` (`libnet users token NAME` makes
one), or the session cookie of a person logged in on the web pages, whose POSTs must also
send the page's CSRF token in the X-CSRFToken header (a cookie alone would let another site
act for them). Without either the answer is 401; a request the account may not see or act
on is 403; a transition the state does not allow is 409 naming the actions allowed, as is a
change made on an old version of the request. What a person sees of a request depends on
who they are: patron details (name, card, e-mail) only for the patron, the staff of the
requesting and pickup libraries, and the administrators; never for the supplier's staff.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, make_response, request
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from libnet import accounts, loans
from libnet.accounts import Account
from libnet.loans import AlreadyChanged, LoanError, LoanRequest, NotYours
from libnet.loans.states import Actor, TransitionError, allowed
from webapp.auth import bearer_token, token_account
from webapp.availability import live_on_shelf
from webapp.errors import NoIndex, Refused, refused
from webapp.limits import MAX_NOTE_CHARS
from webapp.state import catalogue

bp = Blueprint("loans_api", __name__, url_prefix="/api/v1/loans")
bp.register_error_handler(Refused, refused)

SIDES = ("incoming", "outgoing", "mine")


@bp.after_request
def _private(response: Response) -> Response:
    # a person's loans: never readable by other sites (never cached: webapp.private_answers)
    response.headers.pop("Access-Control-Allow-Origin", None)
    return response


@bp.get("")
def list_loans() -> Response:
    user = _user()
    side = request.args.get("side", "")
    if side and side not in SIDES:
        raise Refused(400, "Bad Request", f"side must be one of {', '.join(SIDES)}")
    states = request.args.getlist("state")
    with catalogue().store.engine.connect() as conn:
        found = _scoped(conn, user, side, states)
        people = _patrons(conn, found)
    return jsonify(loans=[_loan_json(r, user, people) for r in found])


@bp.post("")
def place() -> tuple[Response, int]:
    user = _user()
    if user.role != "patron":
        raise Refused(403, "Forbidden", "only patrons place requests")
    body = _body()
    cluster_id = body.get("cluster_id")
    if not isinstance(cluster_id, int) or isinstance(cluster_id, bool) or cluster_id < 1:
        raise Refused(400, "Bad Request", "cluster_id must be a positive whole number")
    pickup = body.get("pickup_library") or user.library
    # a list or an object is no library either (and no member of a set: TypeError)
    if not isinstance(pickup, str) or pickup not in {lib.code for lib in catalogue().libraries}:
        raise Refused(400, "Bad Request", f"no library {pickup!r}")
    try:
        doc = catalogue().current_doc(cluster_id)
    except NoIndex as exc:
        abort(503, str(exc))
    if doc is None:
        raise Refused(404, "Not Found", f"no title {cluster_id} in the catalogue")
    live = live_on_shelf(doc.id)  # asked before the transaction: it may wait for a library
    try:
        with loans.transaction(catalogue().store.engine) as conn:
            placed = loans.place_request(conn, user, doc.id, title=doc.title,
                                         pickup_library=pickup, mailing=catalogue().mailing,
                                         live=live)  # fmt: skip
            people = _patrons(conn, [placed])
    except LoanError as exc:
        raise Refused(409, "Conflict", str(exc), reason=exc.reason) from None
    catalogue().send_notices_soon()
    response = make_response(jsonify(_loan_json(placed, user, people)), 201)
    response.headers["Location"] = f"{bp.url_prefix}/{placed.id}"
    return response, 201


@bp.get("/<int:loan_id>")
def detail(loan_id: int) -> Response:
    user = _user()
    with catalogue().store.engine.connect() as conn:
        found = _visible(conn, loan_id, user)
        people = _patrons(conn, [found])
        history = loans.history(conn, loan_id)
    answer = _loan_json(found, user, people)
    answer["history"] = [
        {"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
         "from_state": e.from_state, "to_state": e.to_state, "supplier": e.supplier,
         "note": e.note}
        for e in history
    ]  # fmt: skip
    return jsonify(answer)


@bp.post("/<int:loan_id>/transitions")
def transition(loan_id: int) -> Response:
    user = _user()
    body = _body()
    action, version = body.get("action"), body.get("version")
    details, note = body.get("details", {}), body.get("note", "")
    details = {} if details is None else details
    if not isinstance(action, str) or not action:
        raise Refused(400, "Bad Request", "action is missing")
    if not isinstance(version, int) or isinstance(version, bool):
        raise Refused(400, "Bad Request", "version must be the version of the request you saw")
    if not isinstance(details, dict) or not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise Refused(400, "Bad Request", "details must be an object and note a short text")
    engine = catalogue().store.engine
    try:
        with loans.transaction(engine) as conn:
            _visible(conn, loan_id, user)
            changed = loans.act(conn, loan_id, action, user, version=version, details=details,
                                note=note, mailing=catalogue().mailing)  # fmt: skip
            people = _patrons(conn, [changed])
    except NotYours as exc:
        raise Refused(403, "Forbidden", str(exc)) from None
    except AlreadyChanged as exc:
        with engine.connect() as conn:
            now = loans.get(conn, loan_id)
        raise Refused(409, "Conflict", str(exc), state=now.state.value,
                       version=now.version) from None  # fmt: skip
    except TransitionError as exc:
        status = 400 if exc.kind in ("unknown", "details") else 409
        title = "Bad Request" if status == 400 else "Conflict"
        raise Refused(status, title, str(exc), allowed=list(exc.allowed)) from None
    except LoanError as exc:
        raise Refused(400, "Bad Request", str(exc)) from None
    catalogue().send_notices_soon()
    return jsonify(_loan_json(changed, user, people))


# --------------------------------------------------------------------------- helpers


def _user() -> Account:
    """The account of the bearer token, else of the web session; 401 without either."""
    header = request.headers.get("Authorization", "")
    if not header and g.get("user") is not None:
        return _session_user(g.user)
    if not bearer_token():
        raise Refused(401, "Unauthorized", "log in: send Authorization: Bearer TOKEN")
    account = token_account()
    if account is None:
        raise Refused(401, "Unauthorized", "the token is unknown, revoked or its account off")
    return account


def _session_user(user: Account) -> Account:
    """The logged-in person of the pages; a change needs the page's CSRF token as well."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError:
            raise Refused(403, "Forbidden", "send the page's CSRF token as X-CSRFToken") from None
    return user


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Refused(400, "Bad Request", "send a JSON object (Content-Type: application/json)")
    return body


def _visible(conn, loan_id: int, user: Account) -> LoanRequest:
    try:
        found = loans.get(conn, loan_id)
    except LoanError:
        raise Refused(404, "Not Found", f"no request {loan_id}") from None
    if not loans.may_see(found, user):
        raise Refused(403, "Forbidden", "this request is not one of your library's")
    return found


def _scoped(conn, user: Account, side: str, states: list[str]) -> list[LoanRequest]:
    """The requests the user may see, on the side asked for."""
    if user.role == "patron":
        return loans.requests(conn, patron_id=user.id, states=states)
    if user.role == "admin" and not side:
        return loans.requests(conn, states=states)
    if side == "incoming":
        return loans.requests(conn, supplier=user.library, states=states)
    if side == "outgoing":
        return loans.requests(conn, pickup_library=user.library, states=states)
    return loans.requests(conn, library=user.library, states=states)


def _patrons(conn, found: list[LoanRequest]) -> dict[int, dict[str, Any]]:
    ids = {r.patron_id for r in found if r.patron_id is not None}  # None: anonymised
    if not ids:
        return {}
    return {uid: {"name": c.name, "card": c.card, "email": c.email}
            for uid, c in accounts.contacts(conn, ids).items()}  # fmt: skip


def _sees_patron(r: LoanRequest, user: Account) -> bool:
    if user.role == "admin" or (user.role == "patron" and user.id == r.patron_id):
        return True
    return user.role == "librarian" and user.library in (r.requesting_library, r.pickup_library)


def _actor_or_none(r: LoanRequest, user: Account) -> Actor | None:
    try:
        return loans.actor_for(r, user)
    except NotYours:
        return None


def _loan_json(r: LoanRequest, user: Account, people: dict[int, dict[str, Any]]) -> dict:
    actor = _actor_or_none(r, user)
    actions = allowed(r.state, actor, renewal_pending=r.renewal_pending) if actor else ()
    return {
        "id": r.id, "cluster_id": r.cluster_id, "title": r.title, "state": r.state.value,
        "open": r.open, "supplier": r.supplier, "supplier_local_id": r.supplier_local_id,
        "requesting_library": r.requesting_library, "pickup_library": r.pickup_library,
        "rota": [library for library, _ in r.rota], "due_date": r.due_date,
        "renewal_pending": r.renewal_pending, "created_at": r.created_at.isoformat(),
        "state_changed_at": r.state_changed_at.isoformat(), "version": r.version,
        "patron": people.get(r.patron_id) if _sees_patron(r, user) else None,
        "you_are": actor.value if actor else None, "allowed_actions": list(actions),
    }  # fmt: skip
