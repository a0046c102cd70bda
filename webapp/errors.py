"""The web app's exceptions and its error pages, in one place.

Each exception is a failure of one part of the site: the index not built yet (NoIndex), a
query that is not CQL (CQLError), an SRU diagnostic (Diagnostic), an OAI-PMH error condition
(OaiError), a refusal of the loans API (Refused). SRU and OAI-PMH answer theirs inside their
own protocol; every other error becomes the catalogue's error page, or JSON under /api/.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext
from werkzeug.exceptions import HTTPException

from libnet.errors import LibnetError


class NoIndex(LibnetError):
    """The union index has not been built yet."""


class CQLError(ValueError):
    """A query that is not CQL; `position` is the 0-based character offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


# the SRU diagnostics the server gives, by number (info:srw/diagnostic/1/<number>)
MESSAGES = {
    1: "General system error",
    2: "System temporarily unavailable",
    4: "Unsupported operation",
    5: "Unsupported version",
    6: "Unsupported parameter value",
    7: "Mandatory parameter not supplied",
    10: "Query syntax error",
    12: "Too many characters in query",
    15: "Unsupported context set",
    16: "Unsupported index",
    19: "Unsupported relation",
    20: "Unsupported relation modifier",
    23: "Too many characters in term",
    28: "Masking character not supported",
    29: "Masked words too short",
    30: "Too many masking characters in term",
    31: "Anchoring character not supported",
    33: "Combination of proximity/adjacency and masking characters not supported",
    36: "Term in invalid format for index or relation",
    37: "Unsupported boolean operator",
    38: "Too many boolean operators in query",
    46: "Unsupported boolean modifier",
    49: "Masking character in unsupported position",
    60: "Result set not created: too many matching records",
    61: "First record position out of range",
    64: "Record temporarily unavailable",
    66: "Unknown schema for retrieval",
    67: "Record not available in this schema",
    71: "Unsupported record packing",
    80: "Sort not supported",
    84: "Too many sort keys to sort",
}


class Diagnostic(Exception):
    """An SRU diagnostic, info:srw/diagnostic/1/<number>; details as the diagnostics list says."""

    def __init__(self, number: int, details: str = "") -> None:
        super().__init__(f"{MESSAGES[number]}: {details}" if details else MESSAGES[number])
        self.number = number
        self.details = details

    @property
    def uri(self) -> str:
        return f"info:srw/diagnostic/1/{self.number}"

    @property
    def message(self) -> str:
        return MESSAGES[self.number]


class OaiError(Exception):
    """An OAI-PMH error condition: the whole request is answered with it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# the error page's heading and sentence per HTTP status, in the page's language; a status not
# listed gets the heading of its class (4xx: the request, 5xx: the server)
PAGE_TEXTS = {
    400: (lazy_gettext("The request could not be understood"),
          lazy_gettext("The address or the form's contents are not as the catalogue expects.")),
    403: (lazy_gettext("Access denied"),
          lazy_gettext("You may not see this page. Perhaps you need to log in with another "
                       "account.")),
    404: (lazy_gettext("Page not found"),
          lazy_gettext("There is no page at this address. Search the catalogue instead:")),
    405: (lazy_gettext("This action is not possible here"),
          lazy_gettext("This address cannot be used in this way. Please use the page's links "
                       "and buttons.")),
    409: (lazy_gettext("Not possible just now"), lazy_gettext("The catalogue cannot do this now.")),
    410: (lazy_gettext("This page no longer exists"),
          lazy_gettext("What was here has been removed from the catalogue. Search the catalogue "
                       "instead:")),
    429: (lazy_gettext("Too many requests"), None),  # its sentence names the wait (error.html)
    500: (lazy_gettext("Something went wrong on our side"),
          lazy_gettext("The catalogue could not answer. Please try again in a moment.")),
}  # fmt: skip


def page_text(code: int) -> tuple[str, str | None]:
    """The error page's heading and sentence for an HTTP status, in the page's language."""
    if code in PAGE_TEXTS:
        return PAGE_TEXTS[code]
    return PAGE_TEXTS[500] if code >= 500 else PAGE_TEXTS[400]


def own_description(error: HTTPException | None) -> str | None:
    """The description libnet gave an abort() (already in the page's language), or None for
    Werkzeug's English default, which a patron never sees."""
    if error is None or not error.description:
        return None
    return None if error.description == type(error).description else error.description


class Refused(Exception):
    """A loans API request refused: its JSON error, with `extra` fields beside the usual ones."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def register_error_pages(app: Flask) -> None:
    """Every HTTP error and every unexpected fault as the catalogue's page, or JSON under /api/."""
    app.register_error_handler(HTTPException, _error_page)
    app.register_error_handler(Exception, _server_error)


def json_error(status: int, title: str, detail: str, **extra: Any) -> Response:
    """The one shape of every error of the JSON API."""
    return jsonify(error={"status": status, "title": title, "detail": detail} | extra)


def refused(error: Refused) -> tuple[Response, int]:
    """A refusal of the loans API as its JSON error; a 401 says how to authenticate."""
    response = json_error(error.status, error.title, error.detail, **error.extra)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="libnet"'
    return response, error.status


def no_index_page(_error: NoIndex) -> tuple[str, int]:
    """A catalogue page asked for before the index is built: 503, try again later."""
    return error_page(None, 503), 503


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_page(error: HTTPException) -> tuple[Response | str, int]:
    """An HTTP error in the catalogue's layout, or as JSON under /api/."""
    code = error.code or 500
    if _wants_json():
        return json_error(code, error.name, error.description or ""), code
    return error_page(error, code), code


def _server_error(error: Exception) -> tuple[Response | str, int]:
    """An unexpected fault: logged with its traceback, never shown as a debug page."""
    current_app.logger.exception("unhandled error on %s", request.path)
    if _wants_json():
        detail = "The server could not answer this request."
        return json_error(500, "Internal Server Error", detail), 500
    return error_page(None, 500), 500


def error_page(error: HTTPException | None, code: int, **extra: Any) -> str:
    """The catalogue's error page for an HTTP status, all of it in the page's language."""
    heading, sentence = page_text(code)
    return render_template(
        "error.html", code=code, heading=heading, sentence=sentence,
        detail=own_description(error), **extra,
    )  # fmt: skip
