"""OAI-PMH 2.0 at /oai (GET and POST): the union catalogue's clusters, for other catalogues.

- A record is a cluster. Identifier `oai:libnet.kreis-re.de:cluster:<id>` with the id of the
  cluster's permalink; datestamp the time its members or one of their records last changed
  (libnet.store.published), to the second. A cluster gone or merged into another stays as a
  deleted header (deletedRecord "persistent": the store never removes a cluster's row, so
  the deletion is known for good). GetRecord of a merged cluster answers the deleted header
  too, not the record it went into: a harvester keys its copy by identifier, and a record
  under another identifier would leave a stale copy behind; the cluster it went into comes
  in the same harvest's list as changed. A gone cluster whose record comes back within a
  year is published again under its old identifier, with a new datestamp
  (libnet.store.cluster_history).
- marc21: the cluster's union record, index.document.union_marc, the same that SRU and the
  record page's exports hand out: 001 the cluster id, the describing member's bibliographic
  fields, one 035 "(ISIL)local id" per member record and one 852 per library and call number
  with the copies' statuses. oai_dc: the describing member through
  libnet.records.exports.dublin_core.
- Sets: one per library, setSpec its code. A live cluster is in the sets of its members'
  libraries; a deleted one is in every set (which libraries held it is not kept) and its
  header names none.
- Resumption tokens are stateless and do not expire (lists.py).

Every answer, errors included, is HTTP 200 with an OAI-PMH document in text/xml. The verbs
are here; the list requests with their resumption tokens in lists.py, the metadata
formats and records in records.py, the answer's envelope in answer.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from flask import Blueprint, Response, request
from lxml import etree
from sqlalchemy import Connection
from werkzeug.exceptions import HTTPException

from libnet.store import published
from libnet.store.published import PublishedCluster
from libnet.xml_text import NOT_XML
from webapp.errors import OaiError
from webapp.oai.answer import OAI, error_element, oai_response, stamp, sub
from webapp.oai.lists import GRANULARITY, ListState, read_token, selected, write_token
from webapp.oai.records import FORMATS, ID_PREFIX, check_format, header_element, record_elements
from webapp.state import catalogue

bp = Blueprint("oai", __name__)

REPOSITORY_NAME = "libnet – Verbundkatalog Kreis Recklinghausen"
# config.toml has no contact address yet: a placeholder from the domain reserved for examples
# (RFC 2606); the schema wants a dot after the @, so "catalogue@localhost" would not do
ADMIN_EMAIL = "catalogue@example.org"
PAGE_SIZE = 100  # clusters per ListIdentifiers or ListRecords answer

_REQUIRED = {
    "Identify": (), "ListMetadataFormats": (), "ListSets": (),
    "GetRecord": ("identifier", "metadataPrefix"),
    "ListIdentifiers": ("metadataPrefix",), "ListRecords": ("metadataPrefix",),
}  # fmt: skip
_OPTIONAL = {"ListMetadataFormats": ("identifier",), "ListIdentifiers": ("from", "until", "set"),
             "ListRecords": ("from", "until", "set")}  # fmt: skip
_RESUMABLE = ("ListSets", "ListIdentifiers", "ListRecords")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_CLUSTER_ID = re.compile(r"[1-9][0-9]{0,17}")  # a 64-bit integer, written one way only


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
        content = error_element(error)
    return oai_response(echo, content)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    """A request werkzeug refused (a body too large): an OAI-PMH answer all the same."""
    return oai_response({}, error_element(OaiError("badArgument", error.description or error.name)))


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
        if NOT_XML.search(value):
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
    identify = etree.Element(f"{OAI}Identify")
    for name, value in (
        ("repositoryName", REPOSITORY_NAME), ("baseURL", request.base_url),
        ("protocolVersion", "2.0"), ("adminEmail", ADMIN_EMAIL),
        ("earliestDatestamp", stamp(earliest)), ("deletedRecord", "persistent"),
        ("granularity", GRANULARITY),
    ):  # fmt: skip
        sub(identify, name, value)
    return identify


def _list_metadata_formats(args: Mapping[str, str]) -> etree._Element:
    if "identifier" in args:
        with _connect() as conn:
            _cluster(conn, args["identifier"])
    answer = etree.Element(f"{OAI}ListMetadataFormats")
    for prefix, (schema, namespace) in FORMATS.items():
        entry = sub(answer, "metadataFormat")
        sub(entry, "metadataPrefix", prefix)
        sub(entry, "schema", schema)
        sub(entry, "metadataNamespace", namespace)
    return answer


def _list_sets(args: Mapping[str, str]) -> etree._Element:
    if "resumptionToken" in args:
        raise OaiError("badResumptionToken", "the list of sets has one page; no token continues it")
    libraries = catalogue().libraries
    if not libraries:
        raise OaiError("noSetHierarchy", "no library is configured")
    answer = etree.Element(f"{OAI}ListSets")
    for library in libraries:
        entry = sub(answer, "set")
        sub(entry, "setSpec", library.code)
        sub(entry, "setName", library.name)
    return answer


def _get_record(args: Mapping[str, str]) -> etree._Element:
    prefix = check_format(args["metadataPrefix"])
    with _connect() as conn:
        found = _cluster(conn, args["identifier"])
        answer = etree.Element(f"{OAI}GetRecord")
        answer.extend(record_elements(conn, [found], prefix))
    if not len(answer):
        raise OaiError("cannotDisseminateFormat", f"the record cannot be read as {prefix}")
    return answer


def _list_identifiers(args: Mapping[str, str]) -> etree._Element:
    return _list("ListIdentifiers", args)


def _list_records(args: Mapping[str, str]) -> etree._Element:
    return _list("ListRecords", args)


def _list(verb: str, args: Mapping[str, str]) -> etree._Element:
    """One page of headers or records, and the token for the next one."""
    if "resumptionToken" in args:
        state = read_token(args["resumptionToken"], verb)
    else:
        state = ListState(verb, args["metadataPrefix"], args.get("from"), args.get("until"),
                          args.get("set"))  # fmt: skip
    check_format(state.prefix)
    selection = selected(state)
    with _connect() as conn:
        found = published.page(conn, selection, state.after, PAGE_SIZE + 1)
        if not found:
            # also when the clusters a token promised left the list (changed after `until`)
            raise OaiError("noRecordsMatch", "no cluster matches these arguments")
        more, found = len(found) > PAGE_SIZE, found[:PAGE_SIZE]
        size = state.size
        if more and size is None:
            size = max(published.count(conn, selection), len(found) + 1)
        answer = etree.Element(f"{OAI}{verb}")
        if verb == "ListRecords":
            answer.extend(record_elements(conn, found, state.prefix))
        else:
            answer.extend(header_element(cluster) for cluster in found)
    if more or state.cursor:
        sent = state.cursor + len(found)
        total = max(size or 0, sent + int(more))
        sizes = {"completeListSize": str(total), "cursor": str(state.cursor)}
        token = sub(answer, "resumptionToken", None, sizes)
        if more:
            token.text = write_token(
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


def _connect() -> Connection:
    return catalogue().store.engine.connect()
