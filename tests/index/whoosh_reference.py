"""Whoosh's own answer to a search: the slow reference the fast path (index/search.py) is
compared with in the tests, and a help to tell a fault of Whoosh from one of the fast path."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from whoosh import query, sorting

from index.search import (
    FACET_FIELDS,
    SUGGEST_BELOW,
    SearchResult,
    UnionIndex,
    _check,
    _counts,
    _hit,
)
from index.suggest import corrected


def search_with_whoosh(
    self: UnionIndex,
    text: str,
    *,
    filters: Mapping[str, Sequence[str]] = {},
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 20,
    home: str = "",
) -> SearchResult:
    """search(), answered by Whoosh's own searcher and facets: slow, and the reference.

    The tests compare search() with this; it also helps to tell an engine fault from a
    fault of the fast path.
    """
    _check(filters, sort, page, page_size)
    q = self._query(text)
    if q is None:
        return SearchResult(0, (), {name: [] for name in FACET_FIELDS})
    allow = _whoosh_filter(filters)
    facets = {
        name: sorting.FieldFacet(field, allow_overlap=name in ("library", "subject"))
        for name, field in FACET_FIELDS.items()
    }
    with self._index.searcher() as searcher:
        results = searcher.search(
            q,
            limit=page * page_size,
            sortedby=_sort_facet(sort),
            groupedby=facets,
            maptype=sorting.Count,
            filter=allow,
            optimize=False,  # block skipping would leave hits out of the facet counts
        )
        hits = tuple(
            _hit(json.loads(stored["doc"]), home)
            for stored in results[(page - 1) * page_size : page * page_size]
        )
        total = len(results)
        suggestion = None
        if total < SUGGEST_BELOW:
            fixed = corrected(searcher.reader(), text)
            better = self._query(fixed) if fixed else None
            if better is not None:
                more = searcher.search(better, limit=1, filter=allow)
                suggestion = fixed if len(more) > total else None
        return SearchResult(
            total=total,
            hits=hits,
            facets={name: _counts(results.groups(name), name) for name in FACET_FIELDS},
            suggestion=suggestion,
        )


def _whoosh_filter(filters: Mapping[str, Sequence[str]]) -> query.Query | None:
    allow = query.And(
        [
            query.Or([query.Term(name, value) for value in values])
            for name, values in filters.items()
            if values
        ]
    )
    return allow if allow.subqueries else None


def _sort_facet(sort: str) -> sorting.FacetType | None:
    by_title = sorting.FieldFacet("title_sort")
    if sort == "year_desc":
        return sorting.MultiFacet([sorting.FieldFacet("year", reverse=True), by_title])
    if sort == "year_asc":
        return sorting.MultiFacet([sorting.FieldFacet("year"), by_title])
    if sort == "title":
        return sorting.MultiFacet([by_title, sorting.FieldFacet("year")])
    return None
