"""The JSON API's limits, in one place for the code that enforces them and the OpenAPI document.

webapp/api.py and webapp/loans_api.py enforce them, webapp/openapi.py documents them, and the
staff pages' note field allows as much as the loans API.
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
