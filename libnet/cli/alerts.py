"""The nightly's alert step wired to the union index: saved searches run as the page runs them.

libnet.lists.alerts decides who gets which mail; here a saved query string becomes a search
of the index exactly as the search page makes it (webapp.catalogue.search.parse_search and
its Search.engine_text), limited to the candidate clusters by a clause on their ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from index.errors import BadSearch
from index.search import UnionIndex
from index.update import index_path
from libnet.config import Config
from libnet.lists.alerts import AlertReport, NewTitle, Search, SearchFailed, run_alerts
from libnet.loans.notices import Mailing
from libnet.store import RecordStore
from webapp.catalogue.search import parse_search

IDS_A_SEARCH = 200  # candidate ids in one query's id clause


def send_alerts(config: Config, store: RecordStore, now: datetime) -> AlertReport:
    """The alerts of the night, searched in the index of config's data_dir."""
    path = index_path(config.storage.data_dir)
    if not path.exists():  # opening it would make an empty one where the builds link
        raise SearchFailed(f"there is no index at {path.name} in the data directory")
    index = UnionIndex(path)
    return run_alerts(store.engine, index_search(index), Mailing.from_config(config), now)


def index_search(index: UnionIndex) -> Search:
    """The alerts' search function over an open union index."""

    def search(query: str, candidates: Sequence[int]) -> list[NewTitle]:
        try:
            wanted = parse_search(MultiDict(parse_qsl(query)))
        except HTTPException as exc:
            raise SearchFailed(f"not a search the page takes: {exc.description}") from exc
        found = []
        for start in range(0, len(candidates), IDS_A_SEARCH):
            ids = candidates[start : start + IDS_A_SEARCH]
            clause = " OR ".join(f"id:{n}" for n in ids)
            text = f"({wanted.engine_text()}) ({clause})"
            try:
                result = index.search(text, filters=wanted.filters, page_size=len(ids))
            except BadSearch as exc:  # QueryTooBroad too
                raise SearchFailed(str(exc)) from exc
            found += [NewTitle(hit.id, hit.title, hit.authors, hit.year) for hit in result.hits]
        return found

    return search
