"""The home page and the search page: hits with facets, active filters, sort and paging.

Every page works without JavaScript (facets, chips, sort and paging are links and GET forms);
libnet.js only adds completion to the search box.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from index.document import Holding
from index.errors import QueryTooBroad
from index.search import FILTER_FIELDS, SORTS, SearchResult, plain_words, syntax_problem
from libnet.numbers import whole_number
from webapp.catalogue.blueprint import chosen_home, pages, status_rank
from webapp.labels import FACET_LABELS, FORMAT_LABELS, LANGUAGE_LABELS, SORT_LABELS
from webapp.limits import MAX_SEARCH_CHARS, MAX_SEARCH_VALUE_CHARS, MAX_SEARCH_VALUES
from webapp.search_hints import empty_search_message, not_understood_message, too_broad_message
from webapp.state import catalogue

PAGE_SIZE = 20
MAX_PAGE = 500  # 10,000 hits deep: nobody pages further, and every page sorts all hits


@dataclass(frozen=True, slots=True)
class Search:
    """A search as its URL says it: the text, the filters, the sort and the page."""

    q: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # FILTER_FIELDS
    subjects: tuple[str, ...] = ()  # whole subject headings, each must match
    sort: str = "relevance"
    page: int = 1

    @property
    def empty(self) -> bool:
        return not (self.q or self.subjects or any(self.filters.values()))

    def engine_text(self) -> str:
        """The engine's query: the patron's text and a fielded clause per chosen subject."""
        if not self.subjects:
            return self.q or "*"  # filters alone browse everything they let through
        # the engine filters on no subject; its subject_facet field holds whole headings, so a
        # clause on it matches what the facet counted (subject:"Geschichte" would match more)
        clauses = " ".join(f'subject_facet:"{s.replace(chr(34), "")}"' for s in self.subjects)
        return f"({self.q}) {clauses}" if self.q else clauses

    def patron_text(self, engine_text: str) -> str | None:
        """engine_text() turned back into what the patron typed; None when that cannot be."""
        if not self.subjects:
            return engine_text
        clauses = self.engine_text()[len(f"({self.q}) ") if self.q else 0 :]
        if not engine_text.endswith(clauses):
            return None
        text = engine_text[: len(engine_text) - len(clauses)].strip()
        return text[1:-1] if text.startswith("(") and text.endswith(")") else text

    def url(self, **changes: Any) -> str:
        """This search's address with some parts changed; page 1 unless a page is given."""
        changed = replace(self, **{"page": 1, **changes})
        args: dict[str, Any] = {name: list(values) for name, values in changed.filters.items()}
        if changed.subjects:
            args["subject"] = list(changed.subjects)
        if changed.q:
            args["q"] = changed.q
        if changed.sort != "relevance":
            args["sort"] = changed.sort
        if changed.page != 1:
            args["page"] = changed.page
        return url_for("pages.search", **args)

    def adding(self, name: str, value: str) -> str:
        if name == "subject":
            return self.url(subjects=(*self.subjects, value))
        filters = dict(self.filters)
        filters[name] = (*filters.get(name, ()), value)
        return self.url(filters=filters)

    def removing(self, name: str, value: str) -> str:
        if name == "subject":
            return self.url(subjects=tuple(s for s in self.subjects if s != value))
        filters = {
            n: tuple(v for v in vs if (n, v) != (name, value)) for n, vs in self.filters.items()
        }
        return self.url(filters={n: vs for n, vs in filters.items() if vs})

    def hidden_fields(self) -> list[tuple[str, str]]:
        """The search as (name, value) pairs for a form that changes sort or home library."""
        pairs = [("q", self.q)] if self.q else []
        pairs += [(name, value) for name, values in self.filters.items() for value in values]
        return pairs + [("subject", subject) for subject in self.subjects]


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    label: str
    count: int
    active: bool
    url: str  # adds the value, or removes it when active


@dataclass(frozen=True, slots=True)
class Facet:
    name: str
    label: str
    values: tuple[FacetValue, ...]


@dataclass(frozen=True, slots=True)
class Chip:
    """An active filter, shown with a link that removes it."""

    label: str
    value: str
    url: str


@dataclass(frozen=True, slots=True)
class LibraryCopies:
    """One library's copies of a title, for the hit list: the best status among them."""

    library: str
    status: str
    call_number: str
    copies: int


@pages.route("/")
def home() -> str:
    """The search box and what the catalogue holds."""
    index = catalogue().index
    everything = index.search("*", page_size=1)
    return render_template(
        "home.html",
        titles=index.count(),
        formats=everything.facets["format"],
    )


@pages.route("/search")
def search() -> str:
    """One page of hits with facets, active filters, sort and paging."""
    wanted = parse_search(request.args)
    if wanted.empty:  # a search sent with nothing in it gets a hint, the bare page none
        hint = empty_search_message() if "q" in request.args else None
        return render_template("search.html", search=wanted, result=None, query="", hint=hint)
    index = catalogue().index
    home_library = chosen_home()
    try:
        result = index.search(
            wanted.engine_text(),
            filters=wanted.filters,
            sort=wanted.sort,
            page=wanted.page,
            page_size=PAGE_SIZE,
            home=home_library,
        )
        facets = _facets(wanted, result)
    except QueryTooBroad as exc:  # a page that says what to change, not an error page
        message = too_broad_message(exc)
        return render_template(
            "search.html", search=wanted, result=None, query=wanted.q, too_broad=message
        )
    problem = syntax_problem(wanted.q) if wanted.q else ""
    last_page = min(MAX_PAGE, -(-result.total // PAGE_SIZE))
    suggestion = wanted.patron_text(result.suggestion) if result.suggestion else None
    return render_template(
        "search.html",
        search=wanted,
        query=wanted.q,
        result=result,
        hits=[(hit, _by_library(hit.holdings)) for hit in result.hits],
        facets=facets,
        chips=_chips(wanted),
        suggestion=suggestion,
        not_understood=not_understood_message(problem, plain_words(wanted.q)) if problem else None,
        first=(wanted.page - 1) * PAGE_SIZE + 1,
        last=min(wanted.page * PAGE_SIZE, result.total),
        last_page=last_page,
        page_numbers=page_numbers(wanted.page, last_page),
        sorts=SORT_LABELS,
        shelf_filter=wanted.adding("available", home_library)
        if home_library and home_library not in wanted.filters.get("available", ())
        else None,
    )


def parse_search(args: MultiDict[str, str]) -> Search:
    """The search the query string asks for; a value no search can have is a 400 (an
    HTTPException, also outside a request: the nightly reads saved searches with it)."""
    q = " ".join(args.get("q", "").split())
    if len(q) > MAX_SEARCH_CHARS:
        abort(400, gettext("The search is too long: at most %(n)s characters.", n=MAX_SEARCH_CHARS))
    filters = {name: _values(args, name) for name in FILTER_FIELDS}
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        abort(400, gettext("There is no such sort order."))
    page_text = args.get("page") or "1"
    page = whole_number(page_text, max_digits=8) or 0
    if not 1 <= page <= MAX_PAGE:
        abort(400, gettext("Pages go from 1 to %(n)s.", n=MAX_PAGE))
    filters = {name: values for name, values in filters.items() if values}
    return Search(q, filters, _values(args, "subject"), sort, page)


def _values(args: MultiDict[str, str], name: str) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
    if len(values) > MAX_SEARCH_VALUES or any(len(v) > MAX_SEARCH_VALUE_CHARS for v in values):
        abort(400, gettext("Too many or too long filters."))
    return values


def _facets(wanted: Search, result: SearchResult) -> list[Facet]:
    """Facets whose links add a value (or remove an active one), with honest counts.

    Values of one filter are alternatives (the engine joins them with OR), so a filter's own
    facet is counted as if it were not set: the counts say what choosing a value adds.
    """
    found = []
    for name in ("library", "format", "language", "decade", "subject"):
        counts = result.facets[name]
        if name in wanted.filters:
            others = {n: v for n, v in wanted.filters.items() if n != name}
            counts = (
                catalogue()
                .index.search(wanted.engine_text(), filters=others, page_size=1)
                .facets[name]
            )
        active = wanted.subjects if name == "subject" else wanted.filters.get(name, ())
        known = dict(counts)
        counts = counts + [(value, 0) for value in active if value not in known]
        values = tuple(
            FacetValue(
                value,
                _value_label(name, value),
                count,
                value in active,
                wanted.removing(name, value) if value in active else wanted.adding(name, value),
            )
            for value, count in counts
        )
        if values:
            found.append(Facet(name, str(FACET_LABELS[name]), values))
    return found


def _chips(wanted: Search) -> list[Chip]:
    chips = [
        Chip(str(FACET_LABELS[name]), _value_label(name, value), wanted.removing(name, value))
        for name, values in wanted.filters.items()
        for value in values
    ]
    return chips + [
        Chip(str(FACET_LABELS["subject"]), subject, wanted.removing("subject", subject))
        for subject in wanted.subjects
    ]


def _value_label(name: str, value: str) -> str:
    if name in ("library", "available"):
        return catalogue().library_name(value)
    if name == "format":
        return str(FORMAT_LABELS.get(value, value))
    if name == "language":
        return str(LANGUAGE_LABELS.get(value, value))
    decade = whole_number(value) if name == "decade" else None  # not "²", which isdigit()
    return value if decade is None else f"{value}–{decade + 9}"


def page_numbers(page: int, last_page: int) -> list[int | None]:
    """The first, last and nearby pages; None where pages are left out."""
    shown = sorted({1, last_page, *range(max(1, page - 2), min(last_page, page + 2) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers if last_page > 1 else []


def _by_library(holdings: Sequence[Holding]) -> list[LibraryCopies]:
    """Each library once, in the engine's order (home library first), with its best status."""
    libraries: dict[str, list[Holding]] = {}
    for holding in holdings:
        libraries.setdefault(holding.library, []).append(holding)
    copies = []
    for library, held in libraries.items():
        best = min(held, key=status_rank)
        copies.append(
            LibraryCopies(library, best.status, best.call_number, sum(h.copies for h in held))
        )
    return copies
