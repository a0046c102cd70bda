"""The catalogue's HTML pages: home, search, a record with its holdings and exports, libraries.

Every page works without JavaScript (facets, chips, sort and paging are links and GET forms);
libnet.js only adds completion to the search box. All text goes through Flask-Babel, msgids in
English; German is the default. Record data is always escaped by Jinja, never marked safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime, format_decimal, gettext
from stdnum import isbn
from stdnum.exceptions import ValidationError
from werkzeug.datastructures import MultiDict

from index.document import ClusterDoc, Holding, describing, union_marc
from index.search import FILTER_FIELDS, SORTS, SearchResult
from libnet.numbers import whole_number
from libnet.records.exports import bibtex, ris
from libnet.records.marc import parse_stored, to_iso2709, to_marcxml
from libnet.store import published
from libnet.store.published import MemberRecord
from webapp.catalogue import Found, NoIndex, catalogue
from webapp.labels import (
    FACET_LABELS,
    FORMAT_LABELS,
    LANGUAGE_LABELS,
    RULE_LABELS,
    SORT_LABELS,
    STATUS_LABELS,
)

pages = Blueprint("pages", __name__)

PAGE_SIZE = 20
MAX_PAGE = 500  # 10,000 hits deep: nobody pages further, and every page sorts all hits
MAX_QUERY_CHARS = 500
MAX_VALUES = 20  # values of one filter
MAX_VALUE_CHARS = 200
HOME_COOKIE = "home"
HIT_LIBRARIES = 3  # libraries named per hit; the record page lists them all
FACET_VALUES_SHOWN = 8  # more behind a <details> "show more"
# best first: a library's copies of a title show the best status among them
STATUS_ORDER = ("available", "on_loan", "not_for_loan", "unknown", "lost")

# format -> (content type, file extension, label)
EXPORTS = {
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris", "RIS"),
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib", "BibTeX"),
    "marcxml": ("application/marcxml+xml; charset=utf-8", "xml", "MARCXML"),
    "marc": ("application/marc", "mrc", "MARC 21 (ISO 2709)"),
}


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


@pages.app_context_processor  # the loan network's pages use them too
def _helpers() -> dict[str, Any]:
    return {
        "format_label": lambda code: FORMAT_LABELS.get(code, code),
        "language_label": lambda code: LANGUAGE_LABELS.get(code, code),
        "status_label": lambda code: STATUS_LABELS.get(code, code),
        "rule_label": lambda code: RULE_LABELS.get(code, code),
        "library_name": catalogue().library_name,
        "libraries": catalogue().libraries,
        "home": _home(),
        "exports": EXPORTS,
        "hit_libraries": HIT_LIBRARIES,
        "facet_values_shown": FACET_VALUES_SHOWN,
        "number": format_decimal,
        "when": lambda moment: format_datetime(moment, "medium"),
        "isbn_label": _isbn_label,
        "author_url": lambda name: _fielded("author", name),
        "series_url": lambda title: _fielded("series", title),
        "subject_url": lambda heading: url_for("pages.search", subject=heading),
    }


def _isbn_label(number: str) -> str:
    """An ISBN-13 with its hyphens (978-3-498-03528-0), as printed in books."""
    try:
        return isbn.format(number)
    except ValidationError:
        return number


def _fielded(name: str, value: str) -> str:
    """A search for value as a phrase in one field: an author's or a series' other titles."""
    return url_for("pages.search", q=f'{name}:"{value.replace(chr(34), " ")}"')


@pages.errorhandler(NoIndex)
def _no_index(_error: NoIndex) -> tuple[str, int]:
    return render_template("error.html", error=None, code=503), 503


@pages.after_request
def _remember_home(response: Response) -> Response:
    """A home library chosen in the query string is kept in a cookie; an empty choice clears it."""
    if "home" in request.args:
        chosen = _home()
        if chosen:
            response.set_cookie(
                HOME_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
            )
        else:
            response.delete_cookie(HOME_COOKIE)
    return response


def _home() -> str:
    """The patron's library, whose copies come first: ?home=, else the cookie, else none."""
    codes = {library.code for library in catalogue().libraries}
    chosen = request.args.get("home", request.cookies.get(HOME_COOKIE, ""))
    return chosen if chosen in codes else ""


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
    wanted = _parse_search(request.args)
    if wanted.empty:
        return render_template("search.html", search=wanted, result=None, query="")
    index = catalogue().index
    home_library = _home()
    result = index.search(
        wanted.engine_text(),
        filters=wanted.filters,
        sort=wanted.sort,
        page=wanted.page,
        page_size=PAGE_SIZE,
        home=home_library,
    )
    last_page = min(MAX_PAGE, -(-result.total // PAGE_SIZE))
    suggestion = wanted.patron_text(result.suggestion) if result.suggestion else None
    return render_template(
        "search.html",
        search=wanted,
        query=wanted.q,
        result=result,
        hits=[(hit, _by_library(hit.holdings)) for hit in result.hits],
        facets=_facets(wanted, result),
        chips=_chips(wanted),
        suggestion=suggestion,
        first=(wanted.page - 1) * PAGE_SIZE + 1,
        last=min(wanted.page * PAGE_SIZE, result.total),
        last_page=last_page,
        page_numbers=_page_numbers(wanted.page, last_page),
        sorts=SORT_LABELS,
        shelf_filter=wanted.adding("available", home_library)
        if home_library and home_library not in wanted.filters.get("available", ())
        else None,
    )


def _parse_search(args: MultiDict[str, str]) -> Search:
    """The search the query string asks for; a value no search can have is a 400."""
    q = " ".join(args.get("q", "").split())
    if len(q) > MAX_QUERY_CHARS:
        abort(400, gettext("The search is too long: at most %(n)s characters.", n=MAX_QUERY_CHARS))
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
    if len(values) > MAX_VALUES or any(len(v) > MAX_VALUE_CHARS for v in values):
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


def _page_numbers(page: int, last_page: int) -> list[int | None]:
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
        best = min(held, key=_status_rank)
        copies.append(
            LibraryCopies(library, best.status, best.call_number, sum(h.copies for h in held))
        )
    return copies


def _status_rank(holding: Holding) -> int:
    return STATUS_ORDER.index(holding.status) if holding.status in STATUS_ORDER else 99


@pages.route("/record/<int:cluster_id>")
def record(cluster_id: int) -> str:
    """A title as its most complete record describes it, with every library's holdings."""
    if request.args.get("view") == "staff":
        return staff(cluster_id)
    doc = _cluster(cluster_id)
    best = describing(_members(cluster_id))
    bib = best.bib if best else None
    volumes = dict(bib.series) if bib else {}
    home_library = _home()
    return render_template(
        "record.html",
        doc=doc,
        bib=bib,
        series=[(title, volumes.get(title, "")) for title in doc.series],
        holdings=sorted(
            doc.holdings,
            key=lambda h: (
                h.library != home_library,
                catalogue().library_name(h.library),
                _status_rank(h),
                h.call_number,
            ),
        ),
    )


@pages.route("/record/<int:cluster_id>/staff")
def staff(cluster_id: int) -> str:
    """Each member library's record as MARC, and the rule that joined it to the cluster."""
    doc = _cluster(cluster_id)
    members = _members(cluster_id)
    shown = sorted(members, key=lambda member: (member.library, member.local_id))
    return render_template(
        "staff.html",
        doc=doc,
        members=[(member, _marc(member)) for member in shown],
        describing=describing(members),
    )


@pages.route("/record/<int:cluster_id>/export/<fmt>")
def export(cluster_id: int, fmt: str) -> Response:
    """The cluster as a download: RIS and BibTeX of its describing record, MARCXML and MARC
    its union record (index.document.union_marc); ?member=library:id: that member's record."""
    if fmt not in EXPORTS:
        abort(404)
    _cluster(cluster_id)
    members = _members(cluster_id)
    if "member" in request.args:
        library, _, local_id = request.args["member"].partition(":")
        member = next((m for m in members if (m.library, m.local_id) == (library, local_id)), None)
        marc = None if member is None else parse_stored(member.raw, member.syntax)
    else:
        member = describing(members)
        marc = union_marc(cluster_id, members, catalogue().libraries)
    if member is None or member.deleted or marc is None:
        abort(404)
    if fmt == "ris":
        body: str | bytes = ris(member.bib)
    elif fmt == "bibtex":
        body = bibtex(member.bib, f"libnet{cluster_id}")
    elif fmt == "marcxml":
        body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + to_marcxml(marc) + b"\n"
    else:
        body = to_iso2709(marc)  # UTF-8, whatever the library sent
    content_type, extension, _label = EXPORTS[fmt]
    name = f"libnet-{cluster_id}-{member.library}-{_safe(member.local_id)}.{extension}"
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _cluster(cluster_id: int) -> ClusterDoc:
    """The cluster's document; a merged cluster redirects to its heir, a gone one is a 404."""
    # the store's ids are 64-bit integers; a longer number is no cluster of ours
    found = catalogue().find(cluster_id) if cluster_id < 2**63 else Found(None)
    if found.doc is not None:
        return found.doc
    if found.moved_to is not None:
        args = dict(request.view_args or {}, cluster_id=found.moved_to)
        target = url_for(request.endpoint or "pages.record", **args)
        query = request.query_string.decode("ascii", "replace")
        abort(redirect(f"{target}?{query}" if query else target, 301))
    abort(make_response(render_template("record_missing.html", cluster_id=cluster_id), 404))


def _members(cluster_id: int) -> list[MemberRecord]:
    """The cluster's member records as stored, in one query, in record id order."""
    with catalogue().store.engine.connect() as conn:
        return published.member_records(conn, [cluster_id])[cluster_id]


def _marc(member: MemberRecord) -> list[tuple[str, str, list[tuple[str, str]] | str]]:
    """A member's record as readable MARC: (tag, indicators, subfields or control data) rows."""
    if member.deleted:
        return []
    record = parse_stored(member.raw, member.syntax)
    rows: list[tuple[str, str, list[tuple[str, str]] | str]] = [("LDR", "", str(record.leader))]
    for marc_field in record.fields:
        if marc_field.is_control_field():
            rows.append((marc_field.tag, "", marc_field.data or ""))
        else:
            indicators = "".join(i if i.strip() else "#" for i in marc_field.indicators)
            rows.append(
                (marc_field.tag, indicators, [(s.code, s.value) for s in marc_field.subfields])
            )
    return rows


def _safe(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in text)


@pages.route("/libraries")
def libraries() -> str:
    """The libraries, what each holds by format, and when each was last harvested."""
    index = catalogue().index
    harvested = catalogue().last_harvests()
    rows = []
    for library in catalogue().libraries:
        held = index.search("*", filters={"library": [library.code]}, page_size=1)
        when = harvested.get(library.code)
        if when is not None and when.tzinfo is None:  # SQLite gives back naive UTC times
            when = when.replace(tzinfo=UTC)
        rows.append((library, held.total, held.facets["format"], when))
    return render_template("libraries.html", rows=rows, titles=index.count())
