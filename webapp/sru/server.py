"""The SRU server at /sru: explain and searchRetrieve over the union index, SRU 1.1, 1.2 and 2.0.

A request is answered in the version it asks for (1.2 when it names none). Without a query,
or with operation=explain, the answer is the ZeeRex explain record; with a query it is a
searchRetrieve: CQL goes through webapp.sru.cql_query into the engine's own query language, a
page of clusters comes back from UnionIndex.search, and each cluster becomes one record.
maximumRecords above MAXIMUM_RECORDS is cut down to it, as SRU allows (a server may return
fewer records than asked for); nextRecordPosition says where the next page starts.

Records (recordSchema marcxml, the default, or dc). A hit is a cluster: one edition held by
several libraries. Its MARCXML is the cluster's union record, index.document.union_marc, the
same that OAI-PMH and the record page's exports hand out: 001 the cluster id (which rec.id
searches), the describing member's bibliographic fields, an 035 per member record and an 852
per library and call number. Dublin Core (dc) is libnet.records.exports.dublin_core() of the
describing record, inside srw_dc:dc.

Every problem is an SRU diagnostic in an SRU answer with HTTP 200, in every version (zebrasrv
answers 2.0 the same way); webapp.errors.MESSAGES lists the diagnostics. A record that
cannot be built is a surrogate diagnostic in its place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, request
from lxml import etree

from index.document import describing, union_marc
from index.errors import QueryTooBroad
from libnet.errors import LibnetError
from libnet.records.bib import BibRecord
from libnet.records.exports import DC_NS, XSI_NS, dublin_core
from libnet.records.marc import safe_parser, to_marcxml
from libnet.store import cluster_history, published
from libnet.xml_text import xml_text
from webapp.errors import Diagnostic, NoIndex
from webapp.sru.cql_query import (
    EngineQuery,
    translate,
)
from webapp.sru.explain import (
    DEFAULT_RECORDS,
    MAXIMUM_RECORDS,
    SCHEMAS,
    ZEEREX,
    explain_record,
)
from webapp.state import catalogue

bp = Blueprint("sru", __name__)

VERSIONS = ("1.1", "1.2", "2.0")
DEFAULT_VERSION = "1.2"
HUGE = 10**18  # beyond any catalogue: a startRecord or maximumRecords of 19 digits or more
SRU_1 = ("http://www.loc.gov/zing/srw/", "http://www.loc.gov/zing/srw/diagnostic/")
SRU_2 = (
    "http://docs.oasis-open.org/ns/search-ws/sruResponse",
    "http://docs.oasis-open.org/ns/search-ws/diagnostic",
)
SRW_DC = "info:srw/schema/1/dc-schema"
DIAGNOSTIC_SCHEMA = "info:srw/schema/1/diagnostics-v1.1"


@dataclass
class _Answer:
    """What goes into a response; written out by _xml()."""

    version: str
    operation: str = "searchRetrieve"  # or explain
    total: int | None = None
    records: list[tuple[str, etree._Element | Diagnostic]] | None = None  # (schema, data)
    start: int = 1
    next_position: int | None = None
    escaping: str = "xml"
    diagnostics: list[Diagnostic] | None = None


@bp.route("/sru", methods=["GET", "POST"])
def sru() -> Response:
    """One SRU request: explain or searchRetrieve; unknown operations get diagnostic 4."""
    params = request.values
    version, supported = _version(params.get("version"))
    operation = params.get("operation") or ("searchRetrieve" if "query" in params else "explain")
    answer = _Answer(version, "explain" if operation == "explain" else "searchRetrieve")
    try:
        if operation == "explain":  # first: an explain answer has its record, diagnostics or not
            answer.records = [(ZEEREX, explain_record(version))]
        if not supported:
            raise Diagnostic(5, VERSIONS[-1])
        answer.escaping = _escaping(version, params)
        if operation == "searchRetrieve":
            _search_retrieve(params, answer)
        elif operation != "explain":
            raise Diagnostic(4, operation)
    except Diagnostic as diagnostic:
        answer.diagnostics = [diagnostic]
    except NoIndex as exc:
        answer.diagnostics = [Diagnostic(2, str(exc))]
    except Exception:  # an SRU client gets a diagnostic, never an HTML page
        current_app.logger.exception("SRU request failed: %s", request.query_string[:500])
        answer.diagnostics = [Diagnostic(1)]
    return _response(answer, params)


def diagnostic_answer(diagnostic: Diagnostic) -> Response:
    """This request answered with `diagnostic` alone (a client over its rate limit)."""
    params = request.values
    version, _ = _version(params.get("version"))
    operation = params.get("operation") or ("searchRetrieve" if "query" in params else "explain")
    answer = _Answer(version, "explain" if operation == "explain" else "searchRetrieve")
    if answer.operation == "explain":  # its record is required, and costs nothing
        answer.records = [(ZEEREX, explain_record(version))]
    answer.diagnostics = [diagnostic]
    return _response(answer, params)


def _response(answer: _Answer, params: Mapping[str, str]) -> Response:
    if answer.diagnostics and answer.operation == "searchRetrieve" and answer.total is None:
        answer.total = 0  # SRU 1.2: numberOfRecords is 0 when the query fails
    body = etree.tostring(_xml(answer, params), encoding="UTF-8", xml_declaration=True)
    kind = "application/sru+xml" if answer.version == "2.0" else "text/xml"
    return Response(body, content_type=f"{kind}; charset=utf-8")


def _version(asked: str | None) -> tuple[str, bool]:
    """The version to answer in, and whether it is the one asked for.

    An unsupported version is answered in the highest supported one below it, so that a 1.x
    client can read the diagnostic; one below every supported version in the lowest.
    """
    if not asked:
        return DEFAULT_VERSION, True
    if asked in VERSIONS:
        return asked, True
    try:
        number = tuple(int(part) for part in asked.split("."))
    except ValueError:
        return DEFAULT_VERSION, False
    below = [v for v in VERSIONS if tuple(int(part) for part in v.split(".")) < number]
    return (below[-1] if below else VERSIONS[0]), False


def _escaping(version: str, params: Mapping[str, str]) -> str:
    """xml (records as XML) or string (escaped text): recordPacking, in 2.0 recordXMLEscaping."""
    name = "recordXMLEscaping" if version == "2.0" else "recordPacking"
    value = params.get(name) or "xml"
    if value not in ("xml", "string"):
        raise Diagnostic(71, value)
    if version == "2.0" and params.get("recordPacking", "packed") != "packed":
        raise Diagnostic(71, params["recordPacking"])
    return value


def _number(params: Mapping[str, str], name: str, default: int, least: int) -> int:
    text = params.get(name)
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or _whole(text) < least:
        raise Diagnostic(6, name)
    return _whole(text)


def _whole(digits: str) -> int:
    """The digits 0-9 as a number; more than 18 of them as HUGE (int() refuses 4301)."""
    digits = digits.lstrip("0")
    return int(digits or "0") if len(digits) <= 18 else HUGE


def _schema_name(asked: str) -> str:
    """marcxml or dc, asked for by name (any case) or by its URI."""
    for name, (uri, _) in SCHEMAS.items():
        if asked.lower() == name or asked == uri:
            return name
    raise Diagnostic(66, asked)


def _search_retrieve(params: Mapping[str, str], answer: _Answer) -> None:
    query = params.get("query", "")
    if not query.strip():
        raise Diagnostic(7, "query")
    if params.get("queryType", "cql") != "cql":
        raise Diagnostic(6, "queryType")
    start = answer.start = _number(params, "startRecord", 1, least=1)
    wanted = min(_number(params, "maximumRecords", DEFAULT_RECORDS, least=0), MAXIMUM_RECORDS)
    name = _schema_name((params.get("recordSchema") or "marcxml").strip())
    plan = translate(query, _current_id)
    try:
        ids = _find(plan, start, wanted, answer)
    except QueryTooBroad as exc:
        raise Diagnostic(TOO_BROAD[exc.bound], _too_broad_details(exc)) from None
    answer.records = [(SCHEMAS[name][0], data) for data in _records(ids, name)]


def _current_id(cluster_id: int) -> int | None:
    """Where a cluster id leads now (rec.id of an old permalink finds its title), None when the
    cluster is gone; an id never given out stays itself and finds nothing."""
    with catalogue().store.engine.connect() as conn:
        fate = cluster_history.fate(conn, cluster_id)
    return cluster_id if fate is None else fate.current


# The diagnostic for each bound of index.pricing. The SRU list has no "query too broad" (27 is
# "Empty term unsupported"), so each bound gets the nearest one: too many wildcard words are
# 30, "Too many masking characters in term" (details: the maximum supported), since one CQL
# term such as "*a* *e* *i*" carries them all; a leading * beside other wildcards is 49,
# "Masking character in unsupported position"; wildcards that match too many words of the
# index are 29, "Masked words too short", which says what to change (more letters before the
# *); a query out of time is 60, "Result set not created: too many matching records": no result
# set was made, and a query runs long because it reaches too much of the index. Their details
# are the index's message, which says the same in words.
TOO_BROAD = {"wildcards": 30, "leading": 49, "terms": 29, "time": 60}


def _too_broad_details(error: QueryTooBroad) -> str:
    if error.bound == "wildcards":
        return str(int(error.limit))
    return str(error)


def _find(plan: EngineQuery, start: int, wanted: int, answer: _Answer) -> list[int]:
    """The ids of the page asked for; the total and the next position go into answer."""
    index = catalogue().index
    if plan.text is None:
        total, ids = 0, []
    elif wanted == 0 or (start > 1 and start > index.count()):  # only the count is wanted
        total, ids = index.search(plan.text, sort=plan.sort, page_size=1).total, []
    else:
        # the page holding startRecord, and the next one when the window runs into it
        page, skip = divmod(start - 1, wanted)
        result = index.search(plan.text, sort=plan.sort, page=page + 1, page_size=wanted)
        total, ids = result.total, [hit.id for hit in result.hits]
        if skip and len(ids) == wanted:
            more = index.search(plan.text, sort=plan.sort, page=page + 2, page_size=wanted)
            ids += [hit.id for hit in more.hits]
        ids = ids[skip : skip + wanted]
    answer.total = total
    if wanted and start > total and (total or start > 1):
        raise Diagnostic(61, str(total))
    if ids and start + len(ids) <= total:
        answer.next_position = start + len(ids)
    return ids


# -- records


def _records(ids: list[int], schema: str) -> list[etree._Element | Diagnostic]:
    """Each cluster's record in the schema, or a surrogate diagnostic where it cannot be made."""
    if not ids:
        return []
    shelf = catalogue()
    with shelf.store.engine.connect() as conn:
        members = published.member_records(conn, ids)
    found: list[etree._Element | Diagnostic] = []
    for cluster_id in ids:
        best = describing(members[cluster_id])
        if best is None:  # regrouped since the index was written
            found.append(Diagnostic(64, str(cluster_id)))
            continue
        if schema == "dc":
            found.append(_dublin_core(best.bib))
            continue
        try:
            record = union_marc(cluster_id, members[cluster_id], shelf.libraries)
            found.append(etree.fromstring(to_marcxml(record), safe_parser()))
        except (LibnetError, etree.XMLSyntaxError, ValueError) as exc:
            current_app.logger.warning("SRU: no MARCXML for cluster %s: %s", cluster_id, exc)
            found.append(Diagnostic(67, str(cluster_id)))
    return found


def _dublin_core(bib: BibRecord) -> etree._Element:
    """libnet's Dublin Core of a record in SRU's dc schema (srw_dc:dc)."""
    root = etree.Element(f"{{{SRW_DC}}}dc", nsmap={"srw_dc": SRW_DC, "dc": DC_NS, "xsi": XSI_NS})
    schema_xsd = "http://www.loc.gov/standards/sru/resources/dc-schema.xsd"
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{SRW_DC} {schema_xsd}")
    root.extend(list(dublin_core(bib)))
    return root


# -- the response


class _Writer:
    """Elements in the namespaces of one SRU version."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.sru, self.diag = SRU_2 if version == "2.0" else SRU_1

    def add(self, parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{self.sru}}}{tag}")
        element.text = None if text is None else xml_text(text, "\ufffd")
        return element

    def diagnostic(self, diagnostic: Diagnostic) -> etree._Element:
        element = etree.Element(f"{{{self.diag}}}diagnostic", nsmap={"diag": self.diag})
        for tag in ("uri", "details", "message"):
            text = getattr(diagnostic, tag)
            if text:
                etree.SubElement(element, f"{{{self.diag}}}{tag}").text = xml_text(text, "\ufffd")
        return element

    def escaping(self, parent: etree._Element, escaping: str) -> None:
        self.add(
            parent, "recordXMLEscaping" if self.version == "2.0" else "recordPacking", escaping
        )


def _xml(answer: _Answer, params: Mapping[str, str]) -> etree._Element:
    """The response element of the answer's version, its children in the schema's order."""
    out = _Writer(answer.version)
    root = etree.Element(f"{{{out.sru}}}{answer.operation}Response", nsmap={"sru": out.sru})
    if answer.version != "2.0" or answer.operation == "explain":
        out.add(root, "version", answer.version)
    if answer.operation == "searchRetrieve":
        out.add(root, "numberOfRecords", str(answer.total or 0))
    if answer.records:
        parent = root if answer.operation == "explain" else out.add(root, "records")
        for position, (schema, data) in enumerate(answer.records, answer.start):
            record = out.add(parent, "record")
            if isinstance(data, Diagnostic):  # a surrogate diagnostic takes the record's place
                schema, data = DIAGNOSTIC_SCHEMA, out.diagnostic(data)
            out.add(record, "recordSchema", schema)
            out.escaping(record, answer.escaping)
            holder = out.add(record, "recordData")
            if answer.escaping == "string":
                holder.text = etree.tostring(data, encoding="unicode")
            else:
                holder.append(data)
            if answer.operation == "searchRetrieve":
                out.add(record, "recordPosition", str(position))
    if answer.next_position is not None:
        out.add(root, "nextRecordPosition", str(answer.next_position))
    _echo(out, root, answer, params)
    if answer.diagnostics:
        holder = out.add(root, "diagnostics")
        for diagnostic in answer.diagnostics:
            holder.append(out.diagnostic(diagnostic))
    return root


def _echo(out: _Writer, root: etree._Element, answer: _Answer, params: Mapping[str, str]) -> None:
    """echoedSearchRetrieveRequest or echoedExplainRequest: the request as understood."""
    operation = answer.operation
    echo = out.add(root, f"echoed{operation[0].upper()}{operation[1:]}Request")
    out.add(echo, "version", answer.version)
    if operation == "searchRetrieve":
        if params.get("query"):
            out.add(echo, "query", params["query"])
        for name, least in (("startRecord", 1), ("maximumRecords", 0)):
            value = params.get(name, "")
            if value.isascii() and value.isdigit() and _whole(value) >= least:
                out.add(echo, name, value.lstrip("0") or "0")
    out.escaping(echo, answer.escaping)
    if operation == "searchRetrieve" and params.get("recordSchema"):
        out.add(echo, "recordSchema", params["recordSchema"])
