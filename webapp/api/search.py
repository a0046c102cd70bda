"""The JSON API under /api/v1: search, records, libraries and completion, as open data.

Search answers in the field names of `libnet search --json` (index.search.result_json), with
the same parameters as the command. /api/v1/openapi.json (webapp.api.openapi) describes every
answer. A bad parameter is a 400 naming it; errors take the shell's JSON shape through abort().
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import NoReturn
from urllib.parse import unquote_to_bytes

from flask import Blueprint, Response, abort, jsonify, redirect, request, url_for

from index.document import ClusterDoc
from index.errors import QueryTooBroad
from index.search import SORTS, UnionIndex, result_json
from libnet.records.formats import FORMATS
from libnet.store import clusters
from webapp.api.openapi import document
from webapp.errors import NoIndex, json_error
from webapp.limits import (
    COMPLETE_LIMIT,
    COMPLETE_MIN_CHARS,
    EXPORT_FORMATS,
    MAX_CLUSTER_ID,
    MAX_COMPLETE_LIMIT,
    MAX_FILTER_VALUES,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_QUERY_CHARS,
    PAGE_SIZE,
)
from webapp.state import catalogue

bp = Blueprint("api", __name__, url_prefix="/api/v1")

CACHE_CONTROL = "public, max-age=60"  # the index changes nightly; a minute spares the server
# filter parameter -> the index field it restricts (FILTER_FIELDS of index.search); held_by is
# library's older name. One meaning on every page and in the API: library= keeps what that
# library holds, home= is the patron's own library, whose copies come first.
FILTERS = {"library": "library", "held_by": "library", "format": "format",
           "language": "language", "decade": "decade", "available": "available"}  # fmt: skip
SEARCH_PARAMETERS = ("q", "home", *FILTERS, "sort", "page", "page_size")
RECORD_PARAMETERS = ("library", "home")
COMPLETE_PARAMETERS = ("q", "limit")
_LANGUAGE = re.compile(r"[a-z]{3}")  # ISO 639-2, as libnet.records keeps it
_DECADE = re.compile(r"[0-9]{0,3}0")


@bp.before_request
def _query_string_is_utf8() -> None:
    # werkzeug would decode %ff into U+FFFD and search for that
    for pair in request.query_string.split(b"&"):
        name, _, value = pair.replace(b"+", b" ").partition(b"=")
        try:
            unquote_to_bytes(name).decode("utf-8")
            unquote_to_bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            shown = unquote_to_bytes(name).decode("utf-8", "replace")
            _bad(shown, "is not valid UTF-8 (percent-encode UTF-8 bytes)")


@bp.after_app_request
def _open_data_headers(response: Response) -> Response:
    """Any web page may read the API; answers may be cached for a minute, faults not at all."""
    if request.path.startswith(f"{bp.url_prefix}/loans"):
        return response  # a person's loans are private (webapp/api/loans.py)
    if request.path == bp.url_prefix or request.path.startswith(f"{bp.url_prefix}/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        cached = response.status_code < 500 and response.status_code != 429  # 429: one client's
        response.headers["Cache-Control"] = CACHE_CONTROL if cached else "no-store"
    return response


@bp.get("/search")
def search() -> Response:
    text = _text("q")
    if not text.strip():
        _bad("q", "is missing: give the words to search for")
    home = _library("home")
    filters = _filters()
    sort = _single("sort") or "relevance"
    if sort not in SORTS:
        _bad("sort", f"must be one of {', '.join(SORTS)}")
    page = _number("page", 1, 1, MAX_PAGE)
    page_size = _number("page_size", PAGE_SIZE, 1, MAX_PAGE_SIZE)
    try:
        result = _index().search(
            text, filters=filters, sort=sort, page=page, page_size=page_size, home=home
        )
    except QueryTooBroad as exc:  # index.pricing's bounds; its message says what to change
        _bad("q", f"is too broad: {exc}")
    return jsonify({**result_json(result), "page": page, "page_size": page_size})


@bp.get("/records/<int:cluster_id>")
def record(cluster_id: int) -> Response | tuple[Response, int]:
    gone = f"there is no cluster {cluster_id}"
    if cluster_id > MAX_CLUSTER_ID:
        abort(404, gone)
    try:
        found = catalogue().find(cluster_id)
    except NoIndex as exc:
        abort(503, str(exc))
    if found.moved_to is not None:
        return redirect(url_for(".record", cluster_id=found.moved_to), 301)
    if found.gone:  # a cluster once, withdrawn since: 410, with a search for its title
        named = f" ({found.title})" if found.title else ""
        detail = f"cluster {cluster_id}{named} is no longer in the catalogue"
        search = url_for(".search", q=found.title) if found.title else None
        return json_error(410, "Gone", detail, record_title=found.title, search=search), 410
    if found.doc is None:
        abort(404, gone)
    libraries = _library_values("library")
    home = _library("home")
    holdings = [h for h in found.doc.holdings if not libraries or h.library in libraries]
    holdings.sort(key=lambda h: h.library != home)  # stable: else in the document's order
    with catalogue().store.engine.connect() as conn:
        members = clusters.members(conn, cluster_id)
    return jsonify(_record_json(replace(found.doc, holdings=tuple(holdings)), members))


@bp.get("/libraries")
def libraries() -> Response:
    # "*" matches every cluster: its library facet counts the clusters each library holds
    held = dict(_index().search("*", page_size=1).facets["library"])
    harvested = catalogue().last_harvests()
    return jsonify(
        [
            {
                "code": library.code,
                "name": library.name,
                "isil": library.isil,
                "clusters": held.get(library.code, 0),
                "last_harvest": _timestamp(harvested.get(library.code)),
            }
            for library in catalogue().libraries
        ]
    )


@bp.get("/complete")
def complete() -> Response:
    text = _text("q")
    limit = _number("limit", COMPLETE_LIMIT, 1, MAX_COMPLETE_LIMIT)
    if len(text.strip()) < COMPLETE_MIN_CHARS:
        return jsonify([])
    return jsonify(_index().complete(text, limit))


@bp.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(document(request.script_root + bp.url_prefix))


def _bad(name: str, problem: str) -> NoReturn:
    abort(400, f"{name} {problem}")


def _single(name: str) -> str:
    """A parameter given at most once; "" when absent or empty, as an empty form field sends."""
    values = request.args.getlist(name)
    if len(values) > 1:
        _bad(name, "is given more than once")
    return values[0] if values else ""


def _text(name: str) -> str:
    text = _single(name)
    if len(text) > MAX_QUERY_CHARS:
        _bad(name, f"is longer than {MAX_QUERY_CHARS} characters")
    return text


def _number(name: str, default: int, low: int, high: int) -> int:
    raw = _single(name)
    if not raw:
        return default
    # int() would also take " 5", "+5", "1_0" and other digits than 0-9
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(high))) or not (
        low <= int(raw) <= high
    ):
        _bad(name, f"must be a whole number from {low} to {high}, not {raw!r}")
    return int(raw)


def _library(name: str) -> str:
    code = _single(name)
    if code and code not in _library_codes():
        _bad(name, f"{code!r} is not a library code: see /api/v1/libraries")
    return code


def _library_values(name: str) -> list[str]:
    """A repeatable parameter of library codes (library= on a record)."""
    codes = _library_codes()
    return _values(name, lambda v: v in codes, "a library code: see /api/v1/libraries")


def _library_codes() -> set[str]:
    return {library.code for library in catalogue().libraries}


def _filters() -> dict[str, list[str]]:
    """The filter parameters, each repeatable, by index field; empty values are left out."""
    codes = _library_codes()
    checks: dict[str, tuple[Callable[[str], bool], str]] = {
        "format": (lambda v: v in FORMATS, f"one of {', '.join(FORMATS)}"),
        "library": (lambda v: v in codes, "a library code: see /api/v1/libraries"),
        "held_by": (lambda v: v in codes, "a library code: see /api/v1/libraries"),
        "language": (lambda v: bool(_LANGUAGE.fullmatch(v)), "an ISO 639-2 code such as ger"),
        "decade": (lambda v: bool(_DECADE.fullmatch(v)), "a decade such as 1990"),
        "available": (lambda v: v in codes, "a library code: see /api/v1/libraries"),
    }
    filters: dict[str, list[str]] = {}
    for name, field in FILTERS.items():
        values = _values(name, *checks[name])
        if values:  # library and held_by restrict one field: a hit has one of either's
            filters[field] = list(dict.fromkeys([*filters.get(field, []), *values]))
    return filters


def _values(name: str, check: Callable[[str], bool], expected: str) -> list[str]:
    """A repeatable parameter's values, each once, all passing check; empty ones left out."""
    values = list(dict.fromkeys(v for v in request.args.getlist(name) if v))
    if len(values) > MAX_FILTER_VALUES:
        _bad(name, f"is given more than {MAX_FILTER_VALUES} times")
    for value in values:
        if not check(value):
            _bad(name, f"must be {expected}, not {value!r}")
    return values


def _index() -> UnionIndex:
    try:
        return catalogue().index
    except NoIndex as exc:
        abort(503, str(exc))


def _record_json(doc: ClusterDoc, members: list[clusters.Member]) -> dict[str, object]:
    html = f"{request.script_root}/record/{doc.id}"
    return {
        "id": doc.id, "title": doc.title, "subtitle": doc.subtitle, "volume": doc.volume,
        "part": doc.part, "authors": list(doc.authors),
        "subjects": list(doc.subjects), "series": list(doc.series), "publisher": doc.publisher,
        "isbns": list(doc.isbns), "year": doc.year, "format": doc.format,
        "language": doc.language,
        "holdings": [
            {"library": h.library, "local_id": h.local_id, "call_number": h.call_number,
             "status": h.status, "copies": h.copies, "ill_code": h.ill_code}
            for h in doc.holdings
        ],
        "members": [{"library": m.library, "local_id": m.local_id, "rule": m.rule}
                    for m in members],
        "links": {
            "self": url_for(".record", cluster_id=doc.id),
            "html": html,
            "exports": {name: f"{html}/export/{name}" for name in EXPORT_FORMATS},
        },
    }  # fmt: skip


def _timestamp(when: datetime | None) -> str | None:
    """ISO 8601 in UTC; SQLite gives back the store's UTC times without a zone."""
    if when is None:
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")
