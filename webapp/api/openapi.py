"""The OpenAPI 3.1 document of the JSON API (webapp.api.search), served at /api/v1/openapi.json.

Kept as Python data so that limits (webapp/limits.py) and vocabularies come from the code that
enforces them; the loan network's part is webapp.api.openapi_loans. tests/webapp/test_api.py
checks it against the routes and against real answers.
"""

from __future__ import annotations

from typing import Any

from index.pricing import DEFAULT_BOUNDS
from index.search import FACET_FIELDS, SORTS
from libnet.records.formats import FORMATS
from libnet.records.holdings import ITEM_STATUSES
from webapp import limits
from webapp.api.openapi_loans import LOAN, LOAN_DETAIL, LOAN_ERROR, LOAN_EVENT, LOAN_PATHS
from webapp.api.openapi_schema import (
    LIBRARY_CODE,
    answer,
    error,
    object_schema,
    parameter,
    ref,
    strings,
)

VERSION = "1.0.0"


def _filter(name: str, description: str, values: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "array", "items": values, "maxItems": limits.MAX_FILTER_VALUES}
    text = f"{description} Repeatable: a hit has one of the values given."
    return parameter(name, text, schema, style="form", explode=True)


PAGE = {"type": "integer", "minimum": 1, "maximum": limits.MAX_PAGE, "default": 1}
PAGE_SIZE_SCHEMA = {
    "type": "integer",
    "minimum": 1,
    "maximum": limits.MAX_PAGE_SIZE,
    "default": limits.PAGE_SIZE,
}

# one meaning everywhere, pages, API and `libnet search`: library= keeps what a library holds,
# home= is the patron's own library (on the pages kept in a cookie)
HOME = parameter(
    "home",
    "The patron's own library: its holdings come first (as `libnet search --home`, "
    "and the pages' home=). It filters nothing.",
    LIBRARY_CODE,
)
RECORD_PARAMETERS = [
    {
        "name": "cluster_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    parameter(
        "library",
        "Only the holdings of this library; repeatable. The members stay all.",
        {"type": "array", "items": LIBRARY_CODE, "maxItems": limits.MAX_FILTER_VALUES},
        style="form",
        explode=True,
    ),
    HOME,
]

SEARCH_PARAMETERS = [
    parameter(
        "q", "The query: words, \"phrases\", AND/OR/NOT, fields such as author: or isbn:; "
        "work:\"...\" finds the titles whose title proper is exactly this (the volumes of a work).",
        {"type": "string", "minLength": 1, "maxLength": limits.MAX_QUERY_CHARS}, required=True,
    ),
    HOME,
    _filter("library", "Only hits this library holds (as `libnet search --library`); the "
            "pages' library filter is the same.", LIBRARY_CODE),
    _filter("held_by", "The same as library, its older name.", LIBRARY_CODE),
    _filter("format", "Only hits of this format.", {"type": "string", "enum": list(FORMATS)}),
    _filter("language", "Only hits in this language (ISO 639-2).",
            {"type": "string", "pattern": "^[a-z]{3}$"}),
    _filter("decade", "Only hits published in this decade, e.g. 1990.",
            {"type": "string", "pattern": "^[0-9]{0,3}0$"}),
    _filter("available", "Only hits with a copy on the shelf at this library.", LIBRARY_CODE),
    parameter("sort", "The order of the hits; by title, the volumes of a work by their number.",
               {"type": "string", "enum": list(SORTS), "default": "relevance"}),
    parameter("page", "The page, from 1; a page beyond the last has no hits.", PAGE),
    parameter("page_size", "Hits per page.", PAGE_SIZE_SCHEMA),
]  # fmt: skip

# a hit's and a record's volume of a multi-volume work (libnet.records.volumes)
VOLUME = {
    "volume": {"type": "string", "description": "The volume of a multi-volume work as catalogued "
               "(245 $n, e.g. \"Bd. 2\"; else the numbering of a series named like the title); "
               "empty for none."},
    "part": {"type": "string", "description": "The volume's own title (245 $p); empty for none."},
}  # fmt: skip

HOLDING = object_schema(
    "One library's copies of a cluster member with one call number and status.",
    library={"type": "string", "description": "The holding library's code."},
    local_id={"type": "string", "description": "The record's id in that library's catalogue."},
    call_number={"type": "string"},
    status={"type": "string", "enum": list(ITEM_STATUSES)},
    copies={"type": "integer", "minimum": 0},
    ill_code={"type": "string", "description": "What the library sends to other libraries, "
              "from 924 $d: a loan only, b paper copies only, c loan and copies, d no "
              "interlibrary loan, e electronic copies only; empty where its records say nothing."},
)  # fmt: skip

HIT = object_schema(
    "One cluster (one edition, held by one or more libraries) in a result list.",
    id={"type": "integer", "description": "The cluster id: /api/v1/records/{id}."},
    title={"type": "string"},
    authors=strings(),
    year={"type": ["integer", "null"]},
    format={"type": "string", "enum": list(FORMATS)},
    isbns=strings("ISBN-13s."),
    **VOLUME,
    holdings={"type": "array", "items": ref("Holding"),
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

SEARCH_RESULT = object_schema(
    "One page of hits, as `libnet search --json` prints it, with the page asked for.",
    total={"type": "integer", "minimum": 0, "description": "All hits, not only this page's."},
    hits={"type": "array", "items": ref("Hit")},
    facets=object_schema(
        "Counts over all hits of the values the filters take.",
        **{name: ref("FacetCounts") for name in FACET_FIELDS},
    ),
    suggestion={"type": ["string", "null"],
                "description": "The query with misspelt words corrected, when that finds more."},
    page=PAGE,
    page_size=PAGE_SIZE_SCHEMA,
)  # fmt: skip

RECORD = object_schema(
    "A cluster: the records of one edition in every library, described by the most complete.",
    id={"type": "integer"},
    title={"type": "string"},
    subtitle={"type": "string"},
    **VOLUME,
    authors=strings(),
    subjects=strings(),
    series=strings(),
    publisher={"type": "string"},
    isbns=strings("ISBN-13s."),
    year={"type": ["integer", "null"]},
    format={"type": "string", "enum": list(FORMATS)},
    language={"type": "string", "description": "ISO 639-2, or empty when not known."},
    holdings={"type": "array", "items": ref("Holding")},
    members={
        "type": "array",
        "items": object_schema(
            "A library's record in this cluster and the rule that put it there.",
            library={"type": "string"},
            local_id={"type": "string"},
            rule={"type": "string"},
        ),
    },
    links=object_schema(
        "Where else the cluster is.",
        self={"type": "string", "format": "uri-reference"},
        html={"type": "string", "format": "uri-reference", "description": "The permalink."},
        exports=object_schema(
            "The cluster's records in export formats.",
            **{
                name: {"type": "string", "format": "uri-reference"}
                for name in limits.EXPORT_FORMATS
            },
        ),
    ),
)

LIBRARY = object_schema(
    "A library of the union catalogue.",
    code={"type": "string", "description": "The code the other parameters take."},
    name={"type": "string"},
    isil={"type": "string", "description": "The ISIL, or empty."},
    clusters={"type": "integer", "minimum": 0, "description": "Clusters it holds."},
    last_harvest={"type": ["string", "null"], "format": "date-time",
                  "description": "The last successful harvest, or null."},
)  # fmt: skip

ERROR = object_schema(
    "What went wrong.",
    error=object_schema(
        "The error.",
        status={"type": "integer", "description": "The HTTP status code."},
        title={"type": "string"},
        detail={"type": "string", "description": "For a bad parameter, it names the parameter."},
    ),
)

# a permalink whose cluster was withdrawn: its title, and where to search for it
GONE = object_schema(
    "A cluster that is no longer in the catalogue.",
    error=object_schema(
        "The error.",
        status={"type": "integer", "description": "410."},
        title={"type": "string"},
        detail={"type": "string"},
        record_title={"type": "string", "description": "The cluster's title when it went; "
                      "empty when not known."},
        search={"type": ["string", "null"], "format": "uri-reference",
                "description": "This API's search for that title; null without a title."},
    ),
)  # fmt: skip

_BAD = error("A bad parameter; the detail names it.")
_BROAD = DEFAULT_BOUNDS  # the web app's index (webapp/state.py) is opened with these
_BAD_SEARCH = error(
    "A bad parameter; the detail names it. A query too broad to answer is one too (`q is too "
    f"broad: ...`, saying what to change): more than {_BROAD.wildcard_words} words with * or ?, "
    "a word starting with * or ? beside other such words, wildcards matching more than "
    f"{_BROAD.expanded_terms:,} words of the index, or a search longer than "
    f"{_BROAD.seconds:g} s."
)
_NO_INDEX = error("The union index has not been built yet.")
_OTHER = error("Any other error, e.g. 405 or 500.")


def document(server: str) -> dict[str, Any]:
    """The API's OpenAPI document; `server` is the URL of /api/v1 as this site serves it."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "libnet: union catalogue of the libraries of Kreis Recklinghausen",
            "version": VERSION,
            "description": "Open data: any origin may read it (CORS); answers may be cached "
            "for a minute. Errors are JSON with the HTTP status, a title and a detail. "
            "Each client may ask only so often (the site's [rate_limits]); beyond that the "
            "answer is 429 with Retry-After, the seconds to wait. "
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
                "responses": {"200": answer("One page of hits.", ref("SearchResult")),
                              "400": _BAD_SEARCH, "503": _NO_INDEX, "default": _OTHER},
            }},
            "/records/{cluster_id}": {"get": {
                "operationId": "record",
                "summary": "One cluster with its holdings and member records.",
                "parameters": RECORD_PARAMETERS,
                "responses": {
                    "200": answer("The cluster.", ref("Record")),
                    "301": {"description": "The cluster was merged into another: Location "
                            "is that one's address.", "headers": {"Location": {
                                "schema": {"type": "string", "format": "uri-reference"}}}},
                    "404": error("There never was such a cluster."),
                    "410": answer("The cluster was withdrawn: no library has it any more.",
                                  ref("Gone")),
                    "503": _NO_INDEX, "default": _OTHER,
                },
            }},
            "/libraries": {"get": {
                "operationId": "libraries",
                "summary": "The libraries of the union catalogue.",
                "responses": {"200": answer("Every library.", {"type": "array",
                                                                "items": ref("Library")}),
                              "503": _NO_INDEX, "default": _OTHER},
            }},
            "/complete": {"get": {
                "operationId": "complete",
                "summary": "Titles and authors that complete what the patron is typing.",
                "parameters": [
                    parameter("q", f"What was typed; shorter than {limits.COMPLETE_MIN_CHARS} "
                               "characters gives no completion.",
                               {"type": "string", "maxLength": limits.MAX_QUERY_CHARS}),
                    parameter("limit", "The most completions to give.",
                               {"type": "integer", "minimum": 1,
                                "maximum": limits.MAX_COMPLETE_LIMIT,
                                "default": limits.COMPLETE_LIMIT}),
                ],
                "responses": {"200": answer("Completions, most clusters first.", strings()),
                              "400": _BAD, "503": _NO_INDEX, "default": _OTHER},
            }},
            "/openapi.json": {"get": {
                "operationId": "openapi",
                "summary": "This document.",
                "responses": {"200": answer("An OpenAPI 3.1 document.", {"type": "object"}),
                              "default": _OTHER},
            }},
            **LOAN_PATHS,
        },
        "components": {
            "schemas": {
                "SearchResult": SEARCH_RESULT, "Hit": HIT, "Holding": HOLDING,
                "FacetCounts": FACET_COUNTS, "Record": RECORD, "Library": LIBRARY,
                "Error": ERROR, "Gone": GONE, "Loan": LOAN, "LoanEvent": LOAN_EVENT,
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
