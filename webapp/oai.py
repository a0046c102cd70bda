"""OAI-PMH 2.0 at /oai (GET and POST): the union catalogue's clusters, for other catalogues.

- A record is a cluster. Identifier `oai:libnet.kreis-re.de:cluster:<id>` with the id of the
  cluster's permalink; datestamp the time its members or one of their records last changed
  (libnet.store.published), to the second. A cluster gone or merged into another stays as a
  deleted header (deletedRecord "persistent").
- marc21: the cluster's union record, index.document.union_marc, the same that SRU and the
  record page's exports hand out: 001 the cluster id, the describing member's bibliographic
  fields, one 035 "(ISIL)local id" per member record and one 852 per library and call number
  with the copies' statuses. oai_dc: the describing member through
  libnet.records.exports.dublin_core.
- Sets: one per library, setSpec its code. A live cluster is in the sets of its members'
  libraries; a deleted one is in every set (which libraries held it is not kept) and its
  header names none.
- Resumption tokens are stateless: base64url of a JSON object (verb, the list's arguments,
  the change number of the last cluster sent, cursor and completeListSize), a dot, and a
  checksum, so a mangled token is refused instead of read. They do not expire.

Every answer, errors included, is HTTP 200 with an OAI-PMH document in text/xml.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, request
from lxml import etree
from sqlalchemy import Connection
from werkzeug.exceptions import HTTPException

from index.document import describing, union_marc
from libnet.records.exports import OAI_DC_NS, OAI_DC_XSD, dublin_core
from libnet.records.marc import MARC_NS, to_marcxml
from libnet.store import published
from libnet.store.published import PublishedCluster, Selection
from webapp.catalogue import catalogue

bp = Blueprint("oai", __name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_XSD = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
MARC21_XSD = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
REPOSITORY_NAME = "libnet – Verbundkatalog Kreis Recklinghausen"
# config.toml has no contact address yet: a placeholder from the domain reserved for examples
# (RFC 2606); the schema wants a dot after the @, so "catalogue@localhost" would not do
ADMIN_EMAIL = "catalogue@example.org"
ID_PREFIX = "oai:libnet.kreis-re.de:cluster:"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
PAGE_SIZE = 100  # clusters per ListIdentifiers or ListRecords answer
FORMATS = {"marc21": (MARC21_XSD, MARC_NS), "oai_dc": (OAI_DC_XSD, OAI_DC_NS)}

_OAI = f"{{{OAI_NS}}}"
_REQUIRED = {
    "Identify": (), "ListMetadataFormats": (), "ListSets": (),
    "GetRecord": ("identifier", "metadataPrefix"),
    "ListIdentifiers": ("metadataPrefix",), "ListRecords": ("metadataPrefix",),
}  # fmt: skip
_OPTIONAL = {"ListMetadataFormats": ("identifier",), "ListIdentifiers": ("from", "until", "set"),
             "ListRecords": ("from", "until", "set")}  # fmt: skip
_RESUMABLE = ("ListSets", "ListIdentifiers", "ListRecords")
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")  # the schema's metadataPrefixType
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_CLUSTER_ID = re.compile(r"[1-9][0-9]{0,17}")  # a 64-bit integer, written one way only
_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_SECOND = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# characters XML 1.0 cannot carry; a library's record may hold one, and one record must
# not break a whole page for every harvester
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TOKEN_KEY = b"libnet oai-pmh resumption token"  # a checksum against mangling, not a secret


class OaiError(Exception):
    """An OAI-PMH error condition: the whole request is answered with it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class ListState:
    """A list request and how far it got: what a resumption token carries."""

    verb: str
    prefix: str
    start: str | None  # from, as the harvester wrote it
    end: str | None  # until
    library: str | None  # set
    after: int = 0  # the change number of the last cluster sent
    cursor: int = 0  # clusters sent before this page
    size: int | None = None  # completeListSize, counted for the first page


@bp.route("/oai", methods=["GET", "POST"])
def endpoint() -> Response:
    echo: dict[str, str] = {}
    try:
        verb, args = _arguments(list(request.values.items(multi=True)))
        echo = {"verb": verb, **args}
        content = _VERBS[verb](args)
    except OaiError as error:
        if error.code in ("badVerb", "badArgument"):
            echo = {}  # the protocol: no attributes after a request that was not understood
        content = _error(error)
    return _answer(echo, content)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    """A request werkzeug refused (a body too large): an OAI-PMH answer all the same."""
    return _answer({}, _error(OaiError("badArgument", error.description or error.name)))


def _arguments(pairs: list[tuple[str, str]]) -> tuple[str, dict[str, str]]:
    """The verb and its arguments, checked against what the verb takes."""
    verbs = [value for key, value in pairs if key == "verb"]
    if len(verbs) != 1:
        raise OaiError("badVerb", "the verb argument is missing" if not verbs else "verb repeated")
    verb = verbs[0]
    if verb not in _VERBS:
        raise OaiError("badVerb", f"{verb!r} is not an OAI-PMH verb")
    args: dict[str, str] = {}
    for key, value in pairs:
        if key == "verb":
            continue
        if key in args:
            raise OaiError("badArgument", f"argument {key!r} is repeated")
        if _NOT_XML.search(value):
            raise OaiError("badArgument", f"argument {key!r} holds control characters")
        args[key] = value
    if verb in _RESUMABLE and "resumptionToken" in args:
        if len(args) > 1:
            raise OaiError("badArgument", "resumptionToken must be the only argument")
        return verb, args
    allowed = (*_REQUIRED[verb], *_OPTIONAL.get(verb, ()))
    for key in args:
        if key not in allowed:
            raise OaiError("badArgument", f"{verb} takes no argument {key!r}")
    for key in _REQUIRED[verb]:
        if key not in args:
            raise OaiError("badArgument", f"{verb} needs the argument {key!r}")
    return verb, args


# --- the verbs ------------------------------------------------------------------------------


def _identify(_args: Mapping[str, str]) -> etree._Element:
    with _connect() as conn:
        earliest = published.earliest_datestamp(conn) or datetime.now(UTC)
    identify = etree.Element(f"{_OAI}Identify")
    for name, value in (
        ("repositoryName", REPOSITORY_NAME), ("baseURL", request.base_url),
        ("protocolVersion", "2.0"), ("adminEmail", ADMIN_EMAIL),
        ("earliestDatestamp", _stamp(earliest)), ("deletedRecord", "persistent"),
        ("granularity", GRANULARITY),
    ):  # fmt: skip
        _sub(identify, name, value)
    return identify


def _list_metadata_formats(args: Mapping[str, str]) -> etree._Element:
    if "identifier" in args:
        with _connect() as conn:
            _cluster(conn, args["identifier"])
    answer = etree.Element(f"{_OAI}ListMetadataFormats")
    for prefix, (schema, namespace) in FORMATS.items():
        entry = _sub(answer, "metadataFormat")
        _sub(entry, "metadataPrefix", prefix)
        _sub(entry, "schema", schema)
        _sub(entry, "metadataNamespace", namespace)
    return answer


def _list_sets(args: Mapping[str, str]) -> etree._Element:
    if "resumptionToken" in args:
        raise OaiError("badResumptionToken", "the list of sets has one page; no token continues it")
    libraries = catalogue().libraries
    if not libraries:
        raise OaiError("noSetHierarchy", "no library is configured")
    answer = etree.Element(f"{_OAI}ListSets")
    for library in libraries:
        entry = _sub(answer, "set")
        _sub(entry, "setSpec", library.code)
        _sub(entry, "setName", library.name)
    return answer


def _get_record(args: Mapping[str, str]) -> etree._Element:
    prefix = _format(args["metadataPrefix"])
    with _connect() as conn:
        found = _cluster(conn, args["identifier"])
        answer = etree.Element(f"{_OAI}GetRecord")
        answer.extend(_records(conn, [found], prefix))
    return answer


def _list_identifiers(args: Mapping[str, str]) -> etree._Element:
    return _list("ListIdentifiers", args)


def _list_records(args: Mapping[str, str]) -> etree._Element:
    return _list("ListRecords", args)


def _list(verb: str, args: Mapping[str, str]) -> etree._Element:
    """One page of headers or records, and the token for the next one."""
    if "resumptionToken" in args:
        state = _read_token(args["resumptionToken"], verb)
    else:
        state = ListState(verb, args["metadataPrefix"], args.get("from"), args.get("until"),
                          args.get("set"))  # fmt: skip
    _format(state.prefix)
    selection = _selection(state)
    with _connect() as conn:
        found = published.page(conn, selection, state.after, PAGE_SIZE + 1)
        if not found:
            # also when the clusters a token promised left the list (changed after `until`)
            raise OaiError("noRecordsMatch", "no cluster matches these arguments")
        more, found = len(found) > PAGE_SIZE, found[:PAGE_SIZE]
        size = state.size
        if more and size is None:
            size = max(published.count(conn, selection), len(found) + 1)
        answer = etree.Element(f"{_OAI}{verb}")
        if verb == "ListRecords":
            answer.extend(_records(conn, found, state.prefix))
        else:
            answer.extend(_header(cluster) for cluster in found)
    if more or state.cursor:
        sent = state.cursor + len(found)
        total = max(size or 0, sent + int(more))
        sizes = {"completeListSize": str(total), "cursor": str(state.cursor)}
        token = _sub(answer, "resumptionToken", None, sizes)
        if more:
            token.text = _write_token(
                replace(state, after=found[-1].change_no, cursor=sent, size=total)
            )
    return answer


_VERBS: dict[str, Callable[[Mapping[str, str]], etree._Element]] = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "GetRecord": _get_record,
    "ListIdentifiers": _list_identifiers,
    "ListRecords": _list_records,
}


# --- arguments ------------------------------------------------------------------------------


def _format(prefix: str) -> str:
    if not _PREFIX.fullmatch(prefix):
        raise OaiError("badArgument", f"metadataPrefix {prefix!r} is not a metadata prefix")
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat", f"no format {prefix!r}; try marc21 or oai_dc")
    return prefix


def _cluster(conn: Connection, identifier: str) -> PublishedCluster:
    """The cluster an identifier names, or idDoesNotExist."""
    if not _URI.fullmatch(identifier):
        raise OaiError("badArgument", f"identifier {identifier!r} is not a URI")
    number = identifier.removeprefix(ID_PREFIX)
    found = None
    if identifier.startswith(ID_PREFIX) and _CLUSTER_ID.fullmatch(number):
        found = published.cluster(conn, int(number))
    if found is None:
        raise OaiError("idDoesNotExist", f"no record {identifier}")
    return found


def _selection(state: ListState) -> Selection:
    """The clusters a list holds: from and until inclusive, at either granularity."""
    since = before = None
    if state.start is not None:
        since, start_by_day = _moment(state.start, "from")
    if state.end is not None:
        until, end_by_day = _moment(state.end, "until")
        if state.start is not None and start_by_day != end_by_day:
            raise OaiError("badArgument", "from and until must have the same granularity")
        if since is not None and since > until:
            raise OaiError("badArgument", "from is later than until")
        try:
            before = until + (timedelta(days=1) if end_by_day else timedelta(seconds=1))
        except OverflowError:
            before = None  # until 9999-12-31: the end of time
    if state.library is not None:
        if not _SET_SPEC.fullmatch(state.library):
            raise OaiError("badArgument", f"set {state.library!r} is not a setSpec")
        if state.library not in {library.code for library in catalogue().libraries}:
            raise OaiError("noRecordsMatch", f"there is no set {state.library!r}; see ListSets")
    return Selection(since, before, state.library)


def _moment(text: str, name: str) -> tuple[datetime, bool]:
    """A UTC datestamp of either granularity, and whether it names a whole day."""
    try:
        if _DAY.fullmatch(text):
            return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC), True
        if _SECOND.fullmatch(text):
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), False
    except ValueError:
        pass  # digits in the right places, but no such day or time
    raise OaiError("badArgument", f"{name} {text!r} is neither YYYY-MM-DD nor {GRANULARITY}")


# --- resumption tokens ----------------------------------------------------------------------


def _write_token(state: ListState) -> str:
    payload = json.dumps(asdict(state), separators=(",", ":"), sort_keys=True).encode()
    return f"{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.{_checksum(payload)}"


def _read_token(token: str, verb: str) -> ListState:
    """The state a token of ours carries; badResumptionToken for anything else."""
    bad = OaiError("badResumptionToken", f"not a resumption token of this list: {token!r}")
    body, _, check = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        data = json.loads(payload)
    except (binascii.Error, ValueError):
        raise bad from None
    if not hmac.compare_digest(check, _checksum(payload)) or not _well_formed(data):
        raise bad
    state = ListState(**data)
    if state.verb != verb:
        raise bad
    try:
        _format(state.prefix)
        _selection(state)
    except OaiError:
        raise bad from None
    return state


def _well_formed(data: object) -> bool:
    if not isinstance(data, dict) or set(data) != {f.name for f in fields(ListState)}:
        return False
    texts = all(isinstance(data[k], str) for k in ("verb", "prefix"))
    optional = all(data[k] is None or isinstance(data[k], str) for k in ("start", "end", "library"))
    counts = all(type(data[k]) is int and data[k] >= 0 for k in ("after", "cursor"))
    size = data["size"] is None or (type(data["size"]) is int and data["size"] > 0)
    return texts and optional and counts and size


def _checksum(payload: bytes) -> str:
    return hashlib.blake2b(payload, digest_size=8, key=_TOKEN_KEY).hexdigest()


# --- records --------------------------------------------------------------------------------


def _records(conn: Connection, found: list[PublishedCluster], prefix: str) -> list[etree._Element]:
    members = published.member_records(conn, [c.id for c in found if not c.deleted])
    libraries = catalogue().libraries
    answer = []
    for cluster in found:
        best = None if cluster.deleted else describing(members[cluster.id])
        record = etree.Element(f"{_OAI}record")
        # a live cluster whose records were all deleted since it was grouped is gone too
        record.append(_header(cluster, gone=best is None))
        if best is not None:
            metadata = _sub(record, "metadata")
            if prefix == "marc21":
                marc = union_marc(cluster.id, members[cluster.id], libraries)
                metadata.append(etree.fromstring(to_marcxml(marc)))
            else:
                metadata.append(dublin_core(best.bib))
        answer.append(record)
    return answer


def _header(cluster: PublishedCluster, gone: bool = False) -> etree._Element:
    header = etree.Element(f"{_OAI}header")
    if cluster.deleted or gone:
        header.set("status", "deleted")
    _sub(header, "identifier", f"{ID_PREFIX}{cluster.id}")
    _sub(header, "datestamp", _stamp(cluster.datestamp))
    for library in cluster.libraries:
        _sub(header, "setSpec", library)
    return header


# --- the answer -----------------------------------------------------------------------------


def _error(error: OaiError) -> etree._Element:
    element = etree.Element(f"{_OAI}error", code=error.code)
    element.text = _NOT_XML.sub("\ufffd", str(error))
    return element


def _answer(echo: Mapping[str, str], content: etree._Element) -> Response:
    root = etree.Element(f"{_OAI}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_XSD}")
    _sub(root, "responseDate", _stamp(datetime.now(UTC)))
    _sub(root, "request", request.base_url, echo)
    root.append(content)
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(body, content_type="text/xml; charset=utf-8")


def _sub(
    parent: etree._Element, name: str, text: str | None = None, attrs: Mapping[str, str] = {}
) -> etree._Element:
    element = etree.SubElement(parent, f"{_OAI}{name}", dict(attrs))
    element.text = text
    return element


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _connect() -> Connection:
    return catalogue().store.engine.connect()
