"""Search plug-in and feeds: the OpenSearch description, its suggestions, and Atom feeds.

`/opensearch.xml` lets a browser add the catalogue as a search engine and
`/opensearch/suggest?q=` answers its suggestion requests. `/feed?q=` is any search as an Atom
feed, newest year first; `/feed` without q is "new in the county": the clusters that changed
last, from the store's cluster change feed. Both take `library=` and `format=` (repeatable).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, g, request
from flask_babel import gettext as _
from lxml import etree
from sqlalchemy.exc import SQLAlchemyError

from index.document import ClusterDoc
from index.errors import QueryTooBroad
from index.search import SORTS, Hit, UnionIndex
from index.update import index_path
from libnet.errors import LibnetError
from libnet.store.clusters import cluster_info, latest_changed
from libnet.times import utc
from libnet.xml_text import xml_text
from webapp.errors import NoIndex
from webapp.labels import FORMAT_LABELS
from webapp.limits import MAX_SEARCH_CHARS, MAX_SEARCH_VALUE_CHARS, MAX_SEARCH_VALUES
from webapp.state import catalogue
from webapp.search_hints import too_broad_message

ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
SHORT_NAME = "libnet KR"  # OpenSearch: at most 16 characters
FEED_ENTRIES = 50
FEED_SORT = "year_desc"
FEED_FILTERS = ("library", "format")
CHANGES_SCANNED = 1000  # "new in Marl": look this far back in the change feed for 50 of Marl's
SUGGESTIONS = 10
# XML 1.0 has no way to write these; a MARC record may still carry one

bp = Blueprint("feeds", __name__)


@dataclass(frozen=True, slots=True)
class Entry:
    """One cluster in a feed."""

    id: int
    title: str
    authors: tuple[str, ...]
    year: int | None
    format: str
    libraries: tuple[str, ...]  # codes
    updated: datetime


@bp.get("/opensearch.xml")
def opensearch_description() -> Response:
    base = request.url_root
    root = etree.Element(f"{{{OPENSEARCH}}}OpenSearchDescription", nsmap={None: OPENSEARCH})
    _add(root, OPENSEARCH, "ShortName", SHORT_NAME)
    _add(
        root, OPENSEARCH, "LongName", _("Union catalogue of the libraries of Kreis Recklinghausen")
    )
    _add(
        root,
        OPENSEARCH,
        "Description",
        _("Search the eleven public libraries of Kreis Recklinghausen at once."),
    )
    for kind, template in (
        ("text/html", "search?q={searchTerms}&page={startPage?}"),
        ("application/atom+xml", "feed?q={searchTerms}"),
        ("application/x-suggestions+json", "opensearch/suggest?q={searchTerms}"),
    ):
        _add(root, OPENSEARCH, "Url", type=kind, template=base + template)
    self_url = base + "opensearch.xml"
    kind = "application/opensearchdescription+xml"
    _add(root, OPENSEARCH, "Url", type=kind, rel="self", template=self_url)
    _add(root, OPENSEARCH, "Query", role="example", searchTerms="Kehlmann")
    _add(root, OPENSEARCH, "Language", g.get("language", "de"))
    _add(root, OPENSEARCH, "InputEncoding", "UTF-8")
    _add(root, OPENSEARCH, "OutputEncoding", "UTF-8")
    return _xml(root, kind)


@bp.get("/opensearch/suggest")
def suggest() -> Response:
    """OpenSearch suggestions: ["what was typed", [completions]]; none without an index."""
    typed = request.args.get("q", "")
    try:
        completions = catalogue().index.complete(typed, SUGGESTIONS)
    except NoIndex:
        completions = []
    return Response(
        json.dumps([typed, completions], ensure_ascii=False),
        content_type="application/x-suggestions+json; charset=utf-8",
    )


@bp.get("/feed")
def feed() -> Response:
    text = request.args.get("q", "").strip()
    sort = request.args.get("sort", FEED_SORT)
    if sort not in SORTS:
        abort(400, description=_("There is no such sort order."))
    if len(text) > MAX_SEARCH_CHARS:
        abort(
            400,
            description=_("The search is too long: at most %(n)s characters.", n=MAX_SEARCH_CHARS),
        )
    filters = {
        name: list(dict.fromkeys(values))
        for name in FEED_FILTERS
        if (values := [v for v in request.args.getlist(name) if v])
    }
    if any(
        len(values) > MAX_SEARCH_VALUES or any(len(v) > MAX_SEARCH_VALUE_CHARS for v in values)
        for values in filters.values()
    ):
        abort(400, description=_("Too many or too long filters."))
    try:
        index = catalogue().index
    except NoIndex:
        abort(503, description=_("The catalogue is being built. Please try again later."))
    described = [catalogue().library_name(code) for code in filters.get("library", ())]
    described += [str(FORMAT_LABELS.get(code, code)) for code in filters.get("format", ())]
    if text:
        title = _("Search: %(query)s", query=text)
        try:
            entries, total = _search_entries(index, text, filters, sort)
        except QueryTooBroad as exc:  # a feed reader shows the error page's text
            abort(400, description=too_broad_message(exc))
    else:
        title = _("New in the libraries of Kreis Recklinghausen")
        entries, total = _latest_entries(index, filters), None
    if described:
        title += f" ({', '.join(described)})"
    params = [("q", text)] if text else []
    params += [(name, value) for name, values in filters.items() for value in values]
    if text and sort != FEED_SORT:
        params.append(("sort", sort))
    root = _atom(title, params, entries, text, total)
    return _xml(root, "application/atom+xml")


def _search_entries(
    index: UnionIndex, text: str, filters: Mapping[str, Sequence[str]], sort: str
) -> tuple[list[Entry], int]:
    result = index.search(text, filters=filters, sort=sort, page_size=FEED_ENTRIES)
    changed = _changed_at([hit.id for hit in result.hits])
    built = _index_built()
    entries = [_entry(hit, changed.get(hit.id, built)) for hit in result.hits]
    return entries, result.total


def _latest_entries(index: UnionIndex, filters: Mapping[str, Sequence[str]]) -> list[Entry]:
    """The indexed clusters that changed last, newest first, that pass the filters."""
    scanned = CHANGES_SCANNED if filters else 2 * FEED_ENTRIES
    try:
        with catalogue().store.engine.connect() as conn:
            latest = latest_changed(conn, scanned)
    except (SQLAlchemyError, LibnetError) as exc:
        current_app.logger.warning("the change feed cannot be read: %s", exc)
        abort(503, description=_("The catalogue is busy. Please try again later."))
    entries = []
    for cluster_id, changed_at in latest:
        doc = index.get(cluster_id)  # None: changed in the store, not yet in the index
        if doc is not None and _passes(doc, filters):
            entries.append(_entry(doc, utc(changed_at)))
            if len(entries) == FEED_ENTRIES:
                break
    return entries


def _passes(doc: ClusterDoc, filters: Mapping[str, Sequence[str]]) -> bool:
    libraries, formats = filters.get("library"), filters.get("format")
    if libraries and not set(libraries) & set(doc.libraries):
        return False
    return not formats or doc.format in formats


def _changed_at(cluster_ids: list[int]) -> dict[int, datetime]:
    """When each cluster last changed; none when the store cannot be read just now."""
    found = {}
    try:
        with catalogue().store.engine.connect() as conn:
            for cluster_id in cluster_ids:
                info = cluster_info(conn, cluster_id)
                if info is not None:
                    found[cluster_id] = utc(info.changed_at)
    except (SQLAlchemyError, LibnetError) as exc:  # the index alone still makes a feed
        current_app.logger.warning("cluster changes cannot be read: %s", exc)
    return found


def _index_built() -> datetime:
    """When the index was last written: its newest table of contents (one per commit)."""
    folder = index_path(catalogue().config.storage.data_dir).resolve()
    try:
        stamps = [path.stat().st_mtime for path in folder.glob("*.toc")]
    except OSError:  # a rebuild swapped the folder away just now
        stamps = []
    return datetime.fromtimestamp(max(stamps), UTC) if stamps else datetime.now(UTC)


def _entry(found: Hit | ClusterDoc, updated: datetime) -> Entry:
    libraries = tuple(dict.fromkeys(h.library for h in found.holdings))
    return Entry(found.id, found.title, found.authors, found.year, found.format, libraries, updated)


def _atom(
    title: str, params: list[tuple[str, str]], entries: list[Entry], text: str, total: int | None
) -> etree._Element:
    base = request.url_root
    query = urlencode(params)
    self_url = base + "feed" + (f"?{query}" if query else "")
    page_url = base + (f"search?{query}" if text else "")
    nsmap = {None: ATOM, "opensearch": OPENSEARCH}
    root = etree.Element(f"{{{ATOM}}}feed", nsmap=nsmap)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", g.get("language", "de"))
    _add(root, ATOM, "id", self_url)
    _add(root, ATOM, "title", title)
    updated = max((e.updated for e in entries), default=None) or _index_built()
    _add(root, ATOM, "updated", _rfc3339(updated))
    author = _add(root, ATOM, "author")  # for entries without an author of their own
    _add(author, ATOM, "name", _("libnet · Libraries of Kreis Recklinghausen"))
    _add(root, ATOM, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(root, ATOM, "link", rel="alternate", type="text/html", href=page_url)
    search_type = "application/opensearchdescription+xml"
    _add(root, ATOM, "link", rel="search", type=search_type, href=base + "opensearch.xml")
    if total is not None:
        _add(root, OPENSEARCH, "totalResults", str(total))
        _add(root, OPENSEARCH, "startIndex", "1")
        _add(root, OPENSEARCH, "itemsPerPage", str(FEED_ENTRIES))
        _add(root, OPENSEARCH, "Query", role="request", searchTerms=text)
    for entry in entries:
        element = _add(root, ATOM, "entry")
        permalink = f"{base}record/{entry.id}"
        _add(element, ATOM, "id", permalink)
        _add(element, ATOM, "title", entry.title)
        _add(element, ATOM, "updated", _rfc3339(entry.updated))
        for name in entry.authors:
            _add(_add(element, ATOM, "author"), ATOM, "name", name)
        _add(element, ATOM, "link", rel="alternate", type="text/html", href=permalink)
        if entry.format:
            _add(element, ATOM, "category", term=entry.format)
        _add(element, ATOM, "summary", _summary(entry), type="text")
    return root


def _summary(entry: Entry) -> str:
    names = ", ".join(catalogue().library_name(code) for code in entry.libraries)
    parts = [
        str(entry.year) if entry.year else "",
        str(FORMAT_LABELS.get(entry.format, entry.format)),
    ]
    held = _("Held by: %(libraries)s", libraries=names) if names else ""
    return " · ".join(part for part in (*parts, held) if part)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _add(
    parent: etree._Element, namespace: str, name: str, text: str | None = None, **attributes: str
) -> etree._Element:
    """A child element; text and attribute values lose the characters XML cannot hold."""
    element = etree.SubElement(parent, f"{{{namespace}}}{name}")
    for key, value in attributes.items():
        element.set(key, xml_text(value))
    if text is not None:
        element.text = xml_text(text)
    return element


def _xml(root: etree._Element, content_type: str) -> Response:
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    response = Response(body, content_type=f"{content_type}; charset=utf-8")
    response.add_etag()  # a feed reader asking again gets 304 Not Modified while nothing changed
    return response.make_conditional(request)
