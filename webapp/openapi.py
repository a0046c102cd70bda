"""The OpenAPI 3.1 document of the JSON API (webapp/api.py), served at /api/v1/openapi.json.

Kept as Python data so that limits and vocabularies come from the code that enforces them;
tests/webapp/test_api.py checks it against the routes and against real answers.
"""

from __future__ import annotations

from typing import Any

from index.engine import FACET_FIELDS, SORTS
from libnet.holdings import ITEM_STATUSES
from libnet.loans import REFUSALS
from libnet.loans.states import TRANSITIONS, Actor, State
from libnet.record import FORMATS
from webapp.api import (
    COMPLETE_LIMIT,
    COMPLETE_MIN_CHARS,
    EXPORT_FORMATS,
    MAX_COMPLETE_LIMIT,
    MAX_FILTER_VALUES,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_QUERY_CHARS,
    PAGE_SIZE,
)
from webapp.loans_api import MAX_NOTE_CHARS, SIDES

VERSION = "1.0.0"
JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _strings(description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    return {**schema, "description": description} if description else schema


def _object(description: str, **properties: Any) -> dict[str, Any]:
    """An object with these properties, every one always present."""
    return {
        "type": "object",
        "description": description,
        "required": list(properties),
        "properties": properties,
    }


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _answer(description, _ref("Error"))


def _parameter(name: str, description: str, schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema, **more}


def _filter(name: str, description: str, values: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "array", "items": values, "maxItems": MAX_FILTER_VALUES}
    text = f"{description} Repeatable: a hit has one of the values given."
    return _parameter(name, text, schema, style="form", explode=True)


LIBRARY_CODE = {"type": "string", "pattern": "^[a-z0-9-]+$"}
PAGE = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}
PAGE_SIZE_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE}

SEARCH_PARAMETERS = [
    _parameter(
        "q", "The query: words, \"phrases\", AND/OR/NOT, fields such as author: or isbn:.",
        {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS}, required=True,
    ),
    _parameter(
        "library", "The patron's home library: its holdings come first in every hit "
        "(as `libnet search --library`).", LIBRARY_CODE,
    ),
    _filter("format", "Only hits of this format.", {"type": "string", "enum": list(FORMATS)}),
    _filter("held_by", "Only hits this library holds (`--held-by`).", LIBRARY_CODE),
    _filter("language", "Only hits in this language (ISO 639-2).",
            {"type": "string", "pattern": "^[a-z]{3}$"}),
    _filter("decade", "Only hits published in this decade, e.g. 1990.",
            {"type": "string", "pattern": "^[0-9]{0,3}0$"}),
    _filter("available", "Only hits with a copy on the shelf at this library.", LIBRARY_CODE),
    _parameter("sort", "The order of the hits.",
               {"type": "string", "enum": list(SORTS), "default": "relevance"}),
    _parameter("page", "The page, from 1; a page beyond the last has no hits.", PAGE),
    _parameter("page_size", "Hits per page.", PAGE_SIZE_SCHEMA),
]  # fmt: skip

HOLDING = _object(
    "One library's copies of a cluster member with one call number and status.",
    library={"type": "string", "description": "The holding library's code."},
    local_id={"type": "string", "description": "The record's id in that library's catalogue."},
    call_number={"type": "string"},
    status={"type": "string", "enum": list(ITEM_STATUSES)},
    copies={"type": "integer", "minimum": 0},
)

HIT = _object(
    "One cluster (one edition, held by one or more libraries) in a result list.",
    id={"type": "integer", "description": "The cluster id: /api/v1/records/{id}."},
    title={"type": "string"},
    authors=_strings(),
    year={"type": ["integer", "null"]},
    format={"type": "string", "enum": list(FORMATS)},
    isbns=_strings("ISBN-13s."),
    holdings={"type": "array", "items": _ref("Holding"),
              "description": "The home library first, then libraries with a copy on the shelf."},
)  # fmt: skip

FACET_COUNTS = {
    "type": "array",
    "description": "[value, number of hits], most hits first.",
    "items": {
        "type": "array",
        "prefixItems": [{"type": "string"}, {"type": "integer", "minimum": 1}],
        "items": False,
        "minItems": 2,
    },
}

SEARCH_RESULT = _object(
    "One page of hits, as `libnet search --json` prints it, with the page asked for.",
    total={"type": "integer", "minimum": 0, "description": "All hits, not only this page's."},
    hits={"type": "array", "items": _ref("Hit")},
    facets=_object(
        "Counts over all hits of the values the filters take.",
        **{name: _ref("FacetCounts") for name in FACET_FIELDS},
    ),
    suggestion={"type": ["string", "null"],
                "description": "The query with misspelt words corrected, when that finds more."},
    page=PAGE,
    page_size=PAGE_SIZE_SCHEMA,
)  # fmt: skip

RECORD = _object(
    "A cluster: the records of one edition in every library, described by the most complete.",
    id={"type": "integer"},
    title={"type": "string"},
    subtitle={"type": "string"},
    authors=_strings(),
    subjects=_strings(),
    series=_strings(),
    publisher={"type": "string"},
    isbns=_strings("ISBN-13s."),
    year={"type": ["integer", "null"]},
    format={"type": "string", "enum": list(FORMATS)},
    language={"type": "string", "description": "ISO 639-2, or empty when not known."},
    holdings={"type": "array", "items": _ref("Holding")},
    members={
        "type": "array",
        "items": _object(
            "A library's record in this cluster and the rule that put it there.",
            library={"type": "string"},
            local_id={"type": "string"},
            rule={"type": "string"},
        ),
    },
    links=_object(
        "Where else the cluster is.",
        self={"type": "string", "format": "uri-reference"},
        html={"type": "string", "format": "uri-reference", "description": "The permalink."},
        exports=_object(
            "The cluster's records in export formats.",
            **{name: {"type": "string", "format": "uri-reference"} for name in EXPORT_FORMATS},
        ),
    ),
)

LIBRARY = _object(
    "A library of the union catalogue.",
    code={"type": "string", "description": "The code the other parameters take."},
    name={"type": "string"},
    isil={"type": "string", "description": "The ISIL, or empty."},
    clusters={"type": "integer", "minimum": 0, "description": "Clusters it holds."},
    last_harvest={"type": ["string", "null"], "format": "date-time",
                  "description": "The last successful harvest, or null."},
)  # fmt: skip

ERROR = _object(
    "What went wrong.",
    error=_object(
        "The error.",
        status={"type": "integer", "description": "The HTTP status code."},
        title={"type": "string"},
        detail={"type": "string", "description": "For a bad parameter, it names the parameter."},
    ),
)

STATE = {"type": "string", "enum": [state.value for state in State]}
ACTIONS = {"type": "array", "items": {"type": "string", "enum": list(TRANSITIONS)}}

LOAN = _object(
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
    rota=_strings("The libraries to ask, in order."),
    due_date={"type": ["string", "null"], "format": "date"},
    renewal_pending={"type": "boolean"},
    created_at={"type": "string", "format": "date-time"},
    state_changed_at={"type": "string", "format": "date-time"},
    version={"type": "integer", "minimum": 1,
             "description": "Give it back with a transition: a change made on an older "
             "version is refused (409)."},
    patron={"type": ["object", "null"], "description": "Only for the patron, the staff of "
            "the requesting and pickup libraries, and administrators.",
            "required": ["name", "card", "email"],
            "properties": {"name": {"type": "string"}, "card": {"type": ["string", "null"]},
                           "email": {"type": "string"}}},
    you_are={"type": ["string", "null"], "enum": [*(a.value for a in Actor), None],
             "description": "Who the caller is to this request, null when nobody who acts."},
    allowed_actions={**ACTIONS, "description": "What the caller may do now."},
)  # fmt: skip

LOAN_EVENT = _object(
    "One change of a request.",
    at={"type": "string", "format": "date-time"},
    actor={"type": "string", "enum": [a.value for a in Actor]},
    action={"type": "string"},
    from_state={"type": ["string", "null"]},
    to_state=STATE,
    supplier={"type": "string", "description": "The supplier at the time."},
    note={"type": "string"},
)

LOAN_DETAIL = _object(
    "A request with every change it went through, oldest first.",
    **LOAN["properties"],
    history={"type": "array", "items": _ref("LoanEvent")},
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
    return _answer(description, _ref("LoanError"))


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
                _parameter("side", "Which of a librarian's queues.",
                           {"type": "string", "enum": list(SIDES)}),
                _parameter("state", "Only requests in these states (repeatable).",
                           {"type": "array", "items": STATE}, style="form", explode=True),
            ],
            "responses": {
                "200": _answer("The requests, oldest first.", _object(
                    "The requests.", loans={"type": "array", "items": _ref("Loan")})),
                "400": _loan_error("A bad parameter."), "401": _UNAUTHORIZED,
            },
        },
        "post": {
            "operationId": "placeLoan", "security": _SECURED,
            "summary": "A patron asks for a title to be sent to a pickup library.",
            "requestBody": {"required": True, "content": {JSON: {"schema": _object(
                "The title and where to pick it up (default: the patron's home library).",
                cluster_id={"type": "integer", "minimum": 1},
                pickup_library=LIBRARY_CODE) | {"required": ["cluster_id"]}}}},
            "responses": {
                "201": _answer("The request, at the first library of its rota.", _ref("Loan")),
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
        "responses": {"200": _answer("The request.", _ref("LoanDetail")),
                      "401": _UNAUTHORIZED, "403": _loan_error("Not the caller's to see."),
                      "404": _loan_error("No such request.")},
    }},
    "/loans/{loan_id}/transitions": {"post": {
        "operationId": "changeLoan", "security": _SECURED, "parameters": [_LOAN_ID],
        "summary": "Take an action on a request (will_supply, ship, receive ...).",
        "requestBody": {"required": True, "content": {JSON: {"schema": _object(
            "The action, the version the caller saw, and what the action needs.",
            action={"type": "string", "enum": list(TRANSITIONS)},
            version={"type": "integer", "minimum": 1},
            details={"type": "object", "description": "reason (cannot_supply), due_date "
                     "(ship, grant_renewal), payer (lost)."},
            note={"type": "string", "maxLength": MAX_NOTE_CHARS},
        ) | {"required": ["action", "version"]}}}},
        "responses": {
            "200": _answer("The changed request.", _ref("Loan")),
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

_BAD = _error("A bad parameter; the detail names it.")
_NO_INDEX = _error("The union index has not been built yet.")
_OTHER = _error("Any other error, e.g. 405 or 500.")


def document(server: str) -> dict[str, Any]:
    """The API's OpenAPI document; `server` is the URL of /api/v1 as this site serves it."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "libnet: union catalogue of the libraries of Kreis Recklinghausen",
            "version": VERSION,
            "description": "Open data: any origin may read it (CORS); answers may be cached "
            "for a minute. Errors are JSON with the HTTP status, a title and a detail. "
            "The loan network's /loans is not open: it needs a bearer token "
            "(`libnet users token NAME`) or the session of a logged-in page (POSTs then "
            "send the page's CSRF token as X-CSRFToken), and its answers are private and "
            "never cached.",
        },
        "servers": [{"url": server}],
        "paths": {
            "/search": {"get": {
                "operationId": "search",
                "summary": "Search the union catalogue, as `libnet search --json`.",
                "parameters": SEARCH_PARAMETERS,
                "responses": {"200": _answer("One page of hits.", _ref("SearchResult")),
                              "400": _BAD, "503": _NO_INDEX, "default": _OTHER},
            }},
            "/records/{cluster_id}": {"get": {
                "operationId": "record",
                "summary": "One cluster with its holdings and member records.",
                "parameters": [{"name": "cluster_id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 0}}],
                "responses": {
                    "200": _answer("The cluster.", _ref("Record")),
                    "301": {"description": "The cluster was merged into another: Location "
                            "is that one's address.", "headers": {"Location": {
                                "schema": {"type": "string", "format": "uri-reference"}}}},
                    "404": _error("No such cluster, or it is gone."),
                    "503": _NO_INDEX, "default": _OTHER,
                },
            }},
            "/libraries": {"get": {
                "operationId": "libraries",
                "summary": "The libraries of the union catalogue.",
                "responses": {"200": _answer("Every library.", {"type": "array",
                                                                "items": _ref("Library")}),
                              "503": _NO_INDEX, "default": _OTHER},
            }},
            "/complete": {"get": {
                "operationId": "complete",
                "summary": "Titles and authors that complete what the patron is typing.",
                "parameters": [
                    _parameter("q", f"What was typed; shorter than {COMPLETE_MIN_CHARS} "
                               "characters gives no completion.",
                               {"type": "string", "maxLength": MAX_QUERY_CHARS}),
                    _parameter("limit", "The most completions to give.",
                               {"type": "integer", "minimum": 1,
                                "maximum": MAX_COMPLETE_LIMIT, "default": COMPLETE_LIMIT}),
                ],
                "responses": {"200": _answer("Completions, most clusters first.", _strings()),
                              "400": _BAD, "503": _NO_INDEX, "default": _OTHER},
            }},
            "/openapi.json": {"get": {
                "operationId": "openapi",
                "summary": "This document.",
                "responses": {"200": _answer("An OpenAPI 3.1 document.", {"type": "object"}),
                              "default": _OTHER},
            }},
            **LOAN_PATHS,
        },
        "components": {
            "schemas": {
                "SearchResult": SEARCH_RESULT, "Hit": HIT, "Holding": HOLDING,
                "FacetCounts": FACET_COUNTS, "Record": RECORD, "Library": LIBRARY,
                "Error": ERROR, "Loan": LOAN, "LoanEvent": LOAN_EVENT,
                "LoanDetail": LOAN_DETAIL, "LoanError": LOAN_ERROR,
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "`libnet users token NAME`"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "The login of the web pages (/login); a POST "
                            "also sends the X-CSRFToken header with the page's token."},
            },
        },
    }  # fmt: skip
