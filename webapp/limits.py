"""The web app's limits, in one place for the code that enforces them and the OpenAPI document.

The JSON API (webapp/api/search.py, webapp/api/loans.py) enforces them and its OpenAPI
document (webapp/api/openapi.py) states them; the staff pages' note field allows as much as
the loans API, and the catalogue's search page and its feeds take a query as long as each other.
It lives beside the areas, not in webapp/api/, since the staff and catalogue pages read it too.
"""

from __future__ import annotations

PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
MAX_PAGE = 1_000_000_000  # far beyond any catalogue's end, and exact as a JavaScript number
MAX_QUERY_CHARS = 1000
MAX_FILTER_VALUES = 50
COMPLETE_MIN_CHARS, COMPLETE_LIMIT, MAX_COMPLETE_LIMIT = 2, 10, 20
MAX_CLUSTER_ID = 2**31 - 1  # the store's ids are 32-bit: a larger one names nothing
EXPORT_FORMATS = ("ris", "bibtex", "marcxml", "marc")
MAX_NOTE_CHARS = 2000  # a loan request's note, in the API and on the staff pages
# the catalogue's search page and its feeds (webapp/catalogue/)
MAX_SEARCH_CHARS = 500  # the query
MAX_SEARCH_VALUES, MAX_SEARCH_VALUE_CHARS = 20, 200  # values of one filter, and each one's length
