"""The web app's exceptions and its error pages, in one place.

Each exception is a failure of one part of the site: the index not built yet (NoIndex), a
query that is not CQL (CQLError), an SRU diagnostic (Diagnostic), an OAI-PMH error condition
(OaiError), a refusal of the loans API (Refused). SRU and OAI-PMH answer theirs inside their
own protocol; every other error becomes the catalogue's error page, or JSON under /api/.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
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
    return render_template("error.html", error=None, code=503), 503


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_page(error: HTTPException) -> tuple[Response | str, int]:
    """An HTTP error in the catalogue's layout, or as JSON under /api/."""
    code = error.code or 500
    if _wants_json():
        return json_error(code, error.name, error.description or ""), code
    return render_template("error.html", error=error, code=code), code


def _server_error(error: Exception) -> tuple[Response | str, int]:
    """An unexpected fault: logged with its traceback, never shown as a debug page."""
    current_app.logger.exception("unhandled error on %s", request.path)
    if _wants_json():
        detail = "The server could not answer this request."
        return json_error(500, "Internal Server Error", detail), 500
    return render_template("error.html", error=None, code=500), 500
