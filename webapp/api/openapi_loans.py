"""The loan network's part of the OpenAPI document: /loans and its schemas (webapp.api.loans)."""

from __future__ import annotations

from typing import Any

from libnet.loans import REFUSALS
from libnet.loans.states import TRANSITIONS, Actor, State
from webapp.api.loans import SIDES
from webapp.api.openapi_schema import (
    JSON,
    LIBRARY_CODE,
    answer,
    object_schema,
    parameter,
    ref,
    strings,
)
from webapp.limits import MAX_NOTE_CHARS

STATE = {"type": "string", "enum": [state.value for state in State]}
ACTIONS = {"type": "array", "items": {"type": "string", "enum": list(TRANSITIONS)}}

LOAN = object_schema(
    "A patron's request for a title, at one library of its rota at a time.",
    id={"type": "integer"},
    cluster_id={"type": "integer", "description": "The title: /api/v1/records/{cluster_id}."},
    title={"type": "string"},
    state=STATE,
    open={"type": "boolean", "description": "Not yet completed, unfilled or cancelled."},
    supplier={"type": "string", "description": "The library the request is at now."},
    supplier_local_id={"type": "string", "description": "Its record of the title."},
    requesting_library={"type": "string", "description": "The patron's home library."},
    pickup_library={"type": "string"},
    rota=strings("The libraries to ask, in order."),
    due_date={"type": ["string", "null"], "format": "date"},
    renewal_pending={"type": "boolean"},
    created_at={"type": "string", "format": "date-time"},
    state_changed_at={"type": "string", "format": "date-time"},
    version={"type": "integer", "minimum": 1,
             "description": "Give it back with a transition: a change made on an older "
             "version is refused (409)."},
    patron={"type": ["object", "null"], "description": "Only for the patron, the staff of "
            "the requesting and pickup libraries, and administrators; null for everyone once the "
            "request is anonymised (some time after it ended, or when the account was deleted).",
            "required": ["name", "card", "email"],
            "properties": {"name": {"type": "string"}, "card": {"type": ["string", "null"]},
                           "email": {"type": "string"}}},
    you_are={"type": ["string", "null"], "enum": [*(a.value for a in Actor), None],
             "description": "Who the caller is to this request, null when nobody who acts."},
    allowed_actions={**ACTIONS, "description": "What the caller may do now."},
)  # fmt: skip

LOAN_EVENT = object_schema(
    "One change of a request.",
    at={"type": "string", "format": "date-time"},
    actor={"type": "string", "enum": [a.value for a in Actor]},
    action={"type": "string"},
    from_state={"type": ["string", "null"]},
    to_state=STATE,
    supplier={"type": "string", "description": "The supplier at the time."},
    note={"type": "string"},
)

LOAN_DETAIL = object_schema(
    "A request with every change it went through, oldest first.",
    **LOAN["properties"],
    history={"type": "array", "items": ref("LoanEvent")},
)

LOAN_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["status", "title", "detail"],
        "properties": {
            "status": {"type": "integer"}, "title": {"type": "string"},
            "detail": {"type": "string"},
            "allowed": {**ACTIONS, "description": "The actions allowed instead."},
            "state": {**STATE, "description": "The request's state now (an old version)."},
            "version": {"type": "integer", "description": "Its version now."},
            "reason": {"type": "string", "enum": ["", *REFUSALS],
                       "description": "Why a request was refused."},
        },
    }},
}  # fmt: skip


def _loan_error(description: str) -> dict[str, Any]:
    return answer(description, ref("LoanError"))


_UNAUTHORIZED = _loan_error("No valid token and no login: send Authorization: Bearer TOKEN.")
_LOAN_ID = {"name": "loan_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1}}  # fmt: skip
_SECURED = [{"bearer": []}, {"session": []}]

LOAN_PATHS = {
    "/loans": {
        "get": {
            "operationId": "loans", "security": _SECURED,
            "summary": "The requests the caller may see: a patron's own; a library's "
            "(side=incoming: it supplies, outgoing: it is the pickup library); all for admins.",
            "parameters": [
                parameter("side", "Which of a librarian's queues.",
                           {"type": "string", "enum": list(SIDES)}),
                parameter("state", "Only requests in these states (repeatable).",
                           {"type": "array", "items": STATE}, style="form", explode=True),
            ],
            "responses": {
                "200": answer("The requests, oldest first.", object_schema(
                    "The requests.", loans={"type": "array", "items": ref("Loan")})),
                "400": _loan_error("A bad parameter."), "401": _UNAUTHORIZED,
            },
        },
        "post": {
            "operationId": "placeLoan", "security": _SECURED,
            "summary": "A patron asks for a title to be sent to a pickup library.",
            "requestBody": {"required": True, "content": {JSON: {"schema": object_schema(
                "The title and where to pick it up (default: the patron's home library).",
                cluster_id={"type": "integer", "minimum": 1},
                pickup_library=LIBRARY_CODE) | {"required": ["cluster_id"]}}}},
            "responses": {
                "201": answer("The request, at the first library of its rota.", ref("Loan")),
                "400": _loan_error("A bad body."), "401": _UNAUTHORIZED,
                "403": _loan_error("Only patrons place requests; or a session's POST without "
                                   "X-CSRFToken."),
                "404": _loan_error("No such title."),
                "409": _loan_error("Refused: the patron's library has a copy on the shelf, "
                                   "the title is on request already, the limit is reached, "
                                   "or no other library lends it."),
            },
        },
    },
    "/loans/{loan_id}": {"get": {
        "operationId": "loan", "security": _SECURED, "parameters": [_LOAN_ID],
        "summary": "One request with its history.",
        "responses": {"200": answer("The request.", ref("LoanDetail")),
                      "401": _UNAUTHORIZED, "403": _loan_error("Not the caller's to see."),
                      "404": _loan_error("No such request.")},
    }},
    "/loans/{loan_id}/transitions": {"post": {
        "operationId": "changeLoan", "security": _SECURED, "parameters": [_LOAN_ID],
        "summary": "Take an action on a request (will_supply, ship, receive ...).",
        "requestBody": {"required": True, "content": {JSON: {"schema": object_schema(
            "The action, the version the caller saw, and what the action needs.",
            action={"type": "string", "enum": list(TRANSITIONS)},
            version={"type": "integer", "minimum": 1},
            details={"type": "object", "description": "reason (cannot_supply), due_date "
                     "(ship, grant_renewal), payer (lost)."},
            note={"type": "string", "maxLength": MAX_NOTE_CHARS},
        ) | {"required": ["action", "version"]}}}},
        "responses": {
            "200": answer("The changed request.", ref("Loan")),
            "400": _loan_error("A bad body, an unknown action, a missing or wrong detail."),
            "401": _UNAUTHORIZED,
            "403": _loan_error("The request is not one of the caller's library's; or a "
                               "session's POST without X-CSRFToken."),
            "404": _loan_error("No such request."),
            "409": _loan_error("Not allowed now (allowed names what is), or made on an "
                               "old version (state and version say what it is now)."),
        },
    }},
}  # fmt: skip
