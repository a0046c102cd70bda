"""Searching the union index: one Whoosh document per cluster, with filters and facet counts.

UnionIndex is the index in one folder: it searches here, writes through index.writer and
completes through index.suggest. Callers see ClusterDoc, UnionIndex and SearchResult, never a
Whoosh object, so a faster search can replace this one later.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from itertools import pairwise
from pathlib import Path

from whoosh import index, query
from whoosh.fields import Schema
from whoosh.qparser import AndGroup, FieldAliasPlugin, MultifieldParser
from whoosh.qparser.common import QueryParserError
from whoosh.searching import Searcher

from index.analysis import (
    exact_title,
    isbn_terms,
    words,
)
from index.document import ClusterDoc, Holding
from index.errors import BadSearch, QueryTooBroad
from index.pricing import DEFAULT_BOUNDS, Bounds, Budget, price
from index.searchers import Searchers
from index.segments import SegmentFacets
from index.suggest import NOT_WORDS, OPERATORS, complete, corrected
from index.switch import AT_ONCE_BELOW, Switch
from index.vectors import Snapshot
from index.writer import schema, write

SEARCH_FIELDS = ("title", "subtitle", "authors", "subjects", "series", "publisher", "isbn")
# the fields a query may name: those searched, the year, and what the SRU server (id:) and the
# pages (subject_facet:, and work: for title_exact, a record page's "all volumes") write; to
# the parser library:, spell:, doc: ... are words
QUERY_FIELDS = (*SEARCH_FIELDS, "year", "id", "subject_facet", "title_exact")
FILTER_FIELDS = ("library", "format", "language", "decade", "available")
FACET_FIELDS = {"library": "library", "format": "format", "language": "language",
                "decade": "decade", "subject": "subject_facet"}  # fmt: skip
SUBJECT_FACET_SIZE = 20
SORTS = ("relevance", "year_desc", "year_asc", "title")
EXACT_TITLE_BOOST = 50.0  # far above any BM25 score of a short title, so the exact title leads
SUGGEST_BELOW = 3  # a search with fewer hits may get a "did you mean"

_ONLY_ISBN = re.compile(r"[\dXx\s-]+")
_EMPTY_FIELD = re.compile(r"\w:(?:\s|$)")
_FIELD_NAME = re.compile(r"\w+:")


@dataclass(frozen=True, slots=True)
class Hit:
    """One cluster in a result list; holdings ordered for the patron's home library."""

    id: int
    title: str
    authors: tuple[str, ...]
    year: int | None
    format: str
    isbns: tuple[str, ...]
    holdings: tuple[Holding, ...]
    volume: str = ""  # of a multi-volume work, as ClusterDoc.volume
    part: str = ""


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of hits, the number of all hits and facet counts over all of them."""

    total: int
    hits: tuple[Hit, ...]
    facets: dict[str, list[tuple[str, int]]]
    suggestion: str | None = None  # the query with misspelt words corrected, when it finds more


class UnionIndex:
    """The Whoosh index in one folder: write clusters in one commit, search them."""

    def __init__(
        self,
        path: Path,
        bounds: Bounds = DEFAULT_BOUNDS,
        clock: Callable[[], float] = time.monotonic,
        at_once_below: int = AT_ONCE_BELOW,
    ) -> None:
        """The index in path (made there when there is none); bounds price every search.

        After a commit, an index of at least `at_once_below` documents opens its new searchers
        in the background and answers from the older ones meanwhile (index/switch.py)."""
        self._bounds = bounds
        self._clock = clock  # the time budget's; a test passes its own
        if index.exists_in(path):
            self._index = index.open_dir(path)
        else:
            path.mkdir(parents=True, exist_ok=True)
            self._index = index.create_in(path, schema())
        self._path = path
        self._folder = path.resolve()
        self._pool_lock = threading.Lock()
        self._switch = Switch(self._open_searchers, at_once_below=at_once_below)
        self._segment_facets = SegmentFacets()  # kept from one commit's searchers to the next
        named = Schema(**{name: self._index.schema[name] for name in QUERY_FIELDS})
        self._parser = MultifieldParser(SEARCH_FIELDS, named, group=AndGroup)
        self._parser.add_plugin(
            FieldAliasPlugin(
                {"authors": ["author"], "subjects": ["subject"], "title_exact": ["work"]}
            )
        )

    def write(
        self,
        docs: Iterable[ClusterDoc] = (),
        delete: Iterable[int] = (),
        *,
        fresh: bool = False,
        parts: Sequence[Iterable[ClusterDoc]] = (),
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Delete ids, then add or replace docs, in one commit (index.writer.write)."""
        return write(self._index, docs, delete, fresh=fresh, parts=parts, progress=progress)

    def count(self) -> int:
        """The number of clusters in the index."""
        return self._index.doc_count()

    def get(self, cluster_id: int) -> ClusterDoc | None:
        """The indexed document of one cluster, or None when the index has no such cluster."""
        with self._leased() as snapshot:
            stored = snapshot.searcher.document(id=str(cluster_id))
        return None if stored is None else _cluster_doc(json.loads(stored["doc"]))

    def search(
        self,
        text: str,
        *,
        filters: Mapping[str, Sequence[str]] = {},
        sort: str = "relevance",
        page: int = 1,
        page_size: int = 20,
        home: str = "",
    ) -> SearchResult:
        """One page of clusters matching the patron's query, with facet counts over all hits."""
        _check(filters, sort, page, page_size)
        q = self._query(text)
        if q is None:
            return SearchResult(0, (), {name: [] for name in FACET_FIELDS})
        price(q, self._bounds)  # QueryTooBroad before any work
        with self._leased() as snapshot:
            # the budget counts this search's own work, not a wait for a searcher
            budget = Budget(self._bounds, self._clock)
            matches = snapshot.restrict(snapshot.evaluate(q, budget), filters)
            total = len(matches.docs)
            first = snapshot.top(matches, page * page_size, _SORT_KEYS[sort])
            searcher = snapshot.searcher
            hits = tuple(
                _hit(json.loads(searcher.stored_fields(docnum)["doc"]), home)
                for docnum in first[(page - 1) * page_size :]
            )
            facets = {
                name: _counts(snapshot.facets[field].counts(matches.docs), name)
                for name, field in FACET_FIELDS.items()
            }
            suggestion = None  # none for a mistyped query: its words are searched as they are
            if total < SUGGEST_BELOW and not syntax_problem(text):
                suggestion = self._suggestion(snapshot, text, filters, total, budget)
        return SearchResult(total, hits, facets, suggestion)

    def _suggestion(
        self,
        snapshot: Snapshot,
        text: str,
        filters: Mapping[str, Sequence[str]],
        total: int,
        budget: Budget,
    ) -> str | None:
        """text with misspelt words corrected, when that finds more; None when out of budget."""
        fixed = corrected(snapshot.searcher.reader(), text, budget.in_time)
        better = self._query(fixed) if fixed else None
        if better is None:
            return None
        try:
            price(better, self._bounds)
            found = snapshot.restrict(snapshot.evaluate(better, budget), filters)
        except QueryTooBroad:  # the hits are found; a suggestion is not worth more time
            return None
        return fixed if len(found.docs) > total else None

    @contextmanager
    def _leased(self) -> Iterator[Snapshot]:
        """A snapshot of the latest commit that only this thread uses until the block ends."""
        while True:
            pool = self._searchers()
            snapshot = pool.take()
            if snapshot is not None:  # None: a newer commit's pool came while this one waited
                break
        try:
            yield snapshot
        finally:
            pool.give_back(snapshot)

    def _searchers(self) -> Searchers:
        """The pool of the latest commit, or of the one before while the latest one's opens
        (index/switch.py).

        A full rebuild swaps the folder behind the index link: the folder is part of the key,
        since a new folder's first generation may carry an old one's number. The old pool's
        snapshots are closed as the searches using them end.
        """
        with self._pool_lock:
            folder = self._path.resolve()
            if folder != self._folder:
                self._index = index.open_dir(self._path)
                self._folder = folder
            ix = self._index
            key = (folder, ix.latest_generation())
        return self._switch.pool(key, ix, lambda pool: (folder, pool.generation))

    def _open_searchers(self, ix: index.FileIndex) -> Searchers:
        return Searchers(ix, self._new_snapshot)

    def _new_snapshot(self, searcher: Searcher) -> Snapshot:
        sort_fields = {field for keys in _SORT_KEYS.values() for field, _ in keys}
        facets = tuple(FACET_FIELDS.values())
        return Snapshot(searcher, facets, sorted(sort_fields), self._segment_facets)

    def complete(self, prefix: str, limit: int = 10) -> list[str]:
        """Titles and authors as catalogued that start with prefix (index.suggest.complete)."""
        with self._leased() as snapshot:
            return complete(snapshot.searcher.reader(), prefix, limit, self._bounds.completion_keys)

    def _query(self, text: str) -> query.Query | None:
        """The patron's query, or None when it has no word to search for."""
        text = text.strip()
        if text == "*":  # everything (the home page's counts, filters alone): not 6 fields' terms
            return query.Every()
        if _ONLY_ISBN.fullmatch(text):
            terms = isbn_terms(text)
            if terms:
                return query.Or([query.Term("isbn", term) for term in terms])
        parsed = None
        if not syntax_problem(text):
            try:
                parsed = self._parser.parse(text)
            # year:[abc TO 2010] is a ValueError; `(NOT NOT title:"")` an IndexError: Whoosh
            # builds a NOT of nothing when an empty phrase is dropped inside parentheses
            except (QueryParserError, ValueError, IndexError):
                parsed = None
            if parsed is not None:
                parsed = parsed.accept(self._phrase_without_positions)
        if parsed is None or parsed is query.NullQuery:
            plain = plain_words(text)
            if not plain:
                return None
            # lower case: and, or, not are words, not operators
            parsed = self._parser.parse(plain)
            if parsed is query.NullQuery:
                return None
        exact = query.Term("title_exact", exact_title(text), boost=EXACT_TITLE_BOOST)
        return query.AndMaybe(parsed, exact)

    def _phrase_without_positions(self, q: query.Query) -> query.Query:
        """A phrase in a field that keeps no word positions (isbn:"a b", a subject heading with
        a line break) as all of its words: Whoosh cannot search it as a phrase."""
        if isinstance(q, query.Phrase) and not self._index.schema[q.fieldname].format.supports(
            "positions"
        ):
            return query.And([query.Term(q.fieldname, word) for word in q.words], boost=q.boost)
        return q


def syntax_problem(text: str) -> str:
    """What a person got wrong in the query's syntax, where Whoosh would guess what was meant:
    "unbalanced" (a quotation mark or bracket without its partner), "empty_field" (`title:`
    with no word), "operator" (AND, OR, NOT out of place); "" when nothing."""
    if text.count('"') % 2 or any(text.count(a) != text.count(b) for a, b in ("()", "[]", "{}")):
        return "unbalanced"
    if _EMPTY_FIELD.search(text):
        return "empty_field"
    tokens = text.split()
    if not tokens or tokens[-1] in OPERATORS or tokens[0] in OPERATORS - {"NOT"}:
        return "operator"
    return "operator" if any(a in OPERATORS and b in OPERATORS for a, b in pairwise(tokens)) else ""


def plain_words(text: str) -> str:
    """The words of a query without its syntax: what a mistyped query is searched for."""
    return " ".join(
        match.group().lower()
        for match in words(_FIELD_NAME.sub(" ", text))
        if match.group() not in NOT_WORDS
    )


def result_json(result: SearchResult) -> dict[str, object]:
    """A search result in the field names `libnet search --json` and the web API share."""
    return {
        "total": result.total,
        "hits": [
            {
                "id": hit.id, "title": hit.title, "authors": list(hit.authors), "year": hit.year,
                "format": hit.format, "isbns": list(hit.isbns),
                "volume": hit.volume, "part": hit.part,
                "holdings": [
                    {"library": h.library, "local_id": h.local_id, "call_number": h.call_number,
                     "status": h.status, "copies": h.copies, "ill_code": h.ill_code}
                    for h in hit.holdings
                ],
            }
            for hit in result.hits
        ],
        "facets": {name: [[value, count] for value, count in counts]
                   for name, counts in result.facets.items()},
        "suggestion": result.suggestion,
    }  # fmt: skip


def _cluster_doc(data: dict) -> ClusterDoc:
    # a document stored before a field was added has none: the field's default
    values = {f.name: data[f.name] for f in fields(ClusterDoc) if f.name in data}
    for name in ("authors", "subjects", "series", "isbns"):
        values[name] = tuple(values[name])
    values["holdings"] = tuple(Holding(**h) for h in data["holdings"])
    return ClusterDoc(**values)


def _hit(data: dict, home: str) -> Hit:
    holdings = [Holding(**h) for h in data["holdings"]]
    available = {h.library for h in holdings if h.status == "available"}
    libraries = list(dict.fromkeys(h.library for h in holdings))
    libraries.sort(key=lambda lib: 0 if lib == home else 1 if lib in available else 2)
    rank = {lib: n for n, lib in enumerate(libraries)}
    return Hit(
        id=data["id"],
        title=data["title"],
        authors=tuple(data["authors"]),
        year=data["year"],
        format=data["format"],
        isbns=tuple(data["isbns"]),
        holdings=tuple(sorted(holdings, key=lambda h: rank[h.library])),  # sort is stable
        volume=data.get("volume", ""),  # none in a document stored before volumes were shown
        part=data.get("part", ""),
    )


def _check(filters: Mapping[str, Sequence[str]], sort: str, page: int, page_size: int) -> None:
    if sort not in SORTS:
        raise BadSearch(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")
    unknown = set(filters) - set(FILTER_FIELDS)
    if unknown:
        raise BadSearch(f"cannot filter on {', '.join(sorted(unknown))}")
    if page < 1 or page_size < 1:
        raise BadSearch("page and page_size start at 1")


# per sort, the sortable columns (name, descending) after which ties go by document number
_SORT_KEYS: dict[str, tuple[tuple[str, bool], ...]] = {
    "relevance": (),
    "year_desc": (("year", True), ("title_sort", False)),
    "year_asc": (("year", False), ("title_sort", False)),
    "title": (("title_sort", False), ("year", False)),
}


def _counts(groups: Mapping, name: str) -> list[tuple[str, int]]:
    counts = sorted(
        ((str(value), count) for value, count in groups.items() if value not in (None, "")),
        key=lambda pair: (-pair[1], pair[0]),
    )
    return counts[:SUBJECT_FACET_SIZE] if name == "subject" else counts
