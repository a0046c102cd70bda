"""Fuzz targets: each takes bytes, hands them to one reader of outside data, and checks the rule.

The rule: whatever the bytes, a reader returns a result or raises its own documented error
(RecordError, SourceError, CQLError, Diagnostic), and a web request is answered with a 2xx,
3xx or 4xx without the app logging an exception. Anything else fails the target, and so does
an input that runs past time_limit(), which both engines put around every input:
tests/fuzz/test_fuzz.py (hypothesis) and tests/fuzz/run_atheris.py (coverage-guided).
tests/fuzz/edges.py adds the targets that read no records: cookies, argv, config, framing.

Web inputs are three bytes and a body: which route, which person (a visitor, a patron, a
librarian, the administrator), which number in the route's path (the live one, or 0, 1, 2**63
...), then the form or JSON body or query string. In a body $CSRF, $VERSION, $LOAN and
$CLUSTER stand for the person's CSRF token and the open loan request's version and id and the
cluster's id; a form without a csrf_token field gets the person's valid one, so an input
reaches past the CSRF check unless it sends a token of its own.
"""

from __future__ import annotations

import copy
import json
import logging
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pymarc

from harvesters.errors import SourceError
from harvesters.marc_files import read_marc_file
from harvesters.oai_pmh import OaiSource
from harvesters.sru import SruSource
from index.blocking import match_keys
from index.document import cluster_doc
from index.errors import QueryTooBroad
from index.facts import record_facts
from index.writer import _fields
from libnet.config import SourceConfig
from libnet.errors import RecordError
from libnet.records.bib import BibRecord, normalise
from libnet.records.exports import bibtex, dublin_core_xml, ris
from libnet.records.harvested import ISO2709, MARCXML, RawRecord, RecordProblem
from libnet.records.holdings import DE_924, KOHA
from libnet.records.marc import decode, to_iso2709, to_marcxml
from tests.fuzz import edges, world
from tests.index.whoosh_reference import search_with_whoosh
from webapp import limits
from webapp.errors import CQLError, Diagnostic
from webapp.sru import cql
from webapp.sru.cql_query import translate
from webapp.sru.cql_writer import to_cql

TIME_LIMIT = 5.0  # seconds of CPU time one input may take; a slow good one takes 0.1


class Hang(BaseException):
    """An input took longer than the time limit (a BaseException: no `except Exception` in
    the code under test may swallow it)."""


@contextmanager
def time_limit(seconds: float = TIME_LIMIT) -> Iterator[None]:
    """Raise Hang once this process spent `seconds` of CPU time inside, or after three times
    as long by the clock (a wait that burns no CPU).

    The CPU timer (SIGVTALRM) leaves SIGALRM to pytest-timeout and libFuzzer's -timeout, which
    end what Python cannot interrupt: a regular expression or a C loop holding the GIL.
    """

    def alarm(_signum: int, _frame: object) -> None:
        raise Hang(f"the input took more than {seconds:g} s of CPU time")

    previous = signal.signal(signal.SIGVTALRM, alarm)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)
    if time.monotonic() - started > 3 * seconds:
        raise Hang(f"the input took more than {3 * seconds:g} s")


# --------------------------------------------------------------------------- records


def iso2709_record(data: bytes) -> None:
    """One ISO 2709 record: decoded and used by every stage, or a RecordProblem."""
    _decoded(RawRecord(data, ISO2709, None, "fuzz"))


def marcxml_record(data: bytes) -> None:
    """One stored MARCXML <record>: decoded and used by every stage, or a RecordProblem."""
    _decoded(RawRecord(data, MARCXML, None, "fuzz"))


_FILE: list[Path] = []


def marc_file(data: bytes) -> None:
    """A MARC export file (ISO 2709 or MARCXML, told apart by content): records or problems."""
    if not _FILE:
        _FILE.append(world.folder() / "export.mrc")
    _FILE[0].write_bytes(data)
    for item in read_marc_file(_FILE[0]):
        if isinstance(item, RawRecord):
            _decoded(item)
        else:
            assert isinstance(item, RecordProblem), item


def _decoded(raw: RawRecord) -> None:
    item = decode(raw)
    assert isinstance(item, RawRecord | RecordProblem), item
    if isinstance(item, RawRecord):
        assert item.record is not None
        _use(item.record)


def _use(record: pymarc.Record) -> None:
    """What the later stages do with a record that decoded: none of it may fail."""
    for profile, id_field in ((KOHA, "001"), (DE_924, "035$a")):
        try:
            bib = normalise(record, "marl", profile, id_field)
        except RecordError:
            continue
        assert BibRecord.from_dict(json.loads(json.dumps(bib.to_dict()))) == bib  # the store
        ris(bib), bibtex(bib, "libnet1"), dublin_core_xml(bib)
        _fields(cluster_doc(1, [bib]))  # the index document
        match_keys(bib), record_facts(bib)
    to_marcxml(record)  # the web page's and `records show` exports
    to_iso2709(copy.deepcopy(record))


# --------------------------------------------------------------------------- harvest answers


def sru_answer(data: bytes) -> None:
    """An SRU server answering every page with this answer: records, problems or SourceError."""
    peer = world.sru_peer()
    peer.answer(data)
    config = SourceConfig("sru", peer.url, timeout=5.0, retries=0, page_size=10, max_pages=3)
    _harvested(SruSource(config))


def oai_answer(data: bytes) -> None:
    """An OAI-PMH repository answering every ListRecords page with this answer."""
    peer = world.oai_peer()
    peer.answer(data)
    config = SourceConfig("oai", peer.url, timeout=5.0, retries=0, backoff=0.01, max_pages=3)
    _harvested(OaiSource(config, since="2024-01-01T00:00:00Z" if len(data) % 2 else None))


def _harvested(source: Iterable[RawRecord | RecordProblem]) -> None:
    try:
        for item in source:
            assert isinstance(item, RawRecord | RecordProblem), item
            if isinstance(item, RawRecord) and not item.deleted:
                assert item.record is not None
                _use(item.record)
                # the store keeps item.data; pages and exports read the record from it again
                again = decode(RawRecord(item.data, item.syntax, None, "stored"))
                assert isinstance(again, RawRecord), again
    except SourceError:
        pass


# --------------------------------------------------------------------------- query languages


def cql_query(data: bytes) -> None:
    """A CQL query of the SRU server: parsed (or CQLError), translated (or Diagnostic), run."""
    text = data.decode("utf-8", "replace")  # as werkzeug decodes the query parameter
    try:
        tree = cql.parse(text)
    except CQLError as exc:
        assert 0 <= exc.position <= len(text), exc.position
    else:
        assert cql.parse(to_cql(tree)) == tree  # to_cql's promise
    try:
        plan = translate(text)
    except Diagnostic:
        return
    if plan.text is not None:
        assert world.index()._query(plan.text) is not None, plan.text
        world.index().search(plan.text, sort=plan.sort, page_size=5)


def search_query(data: bytes) -> None:
    """A patron's search as the web catalogue and the JSON API pass it on."""
    text = data.decode("utf-8", "replace")[: limits.MAX_QUERY_CHARS]
    index = world.index()
    try:
        fast = index.search(text, page_size=5)
    except QueryTooBroad:  # refused before it runs, as documented (index/pricing.py)
        return
    slow = search_with_whoosh(index, text, page_size=5)
    assert (fast.total, fast.facets) == (slow.total, slow.facets), text  # one answer, two paths
    index.complete(text)


# --------------------------------------------------------------------------- the web app

# None in a path number stands for the live one: the open loan request, the cluster, the
# account the administrator may change
NUMBERS = (None, 0, 1, 2, 3, 7, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30)
FORM_ROUTES = (
    "/login",
    "/login?next=/staff/requests",
    "/logout",
    "/record/{cluster}/request",
    "/account/requests/{loan}/cancel",
    "/staff/requests/batch",
    "/staff/requests/{loan}/transitions",
    "/staff/settings",
    "/staff/settings?library=marl",
    "/staff/accounts",
    "/staff/accounts/{user}/password",
    "/staff/accounts/{user}/disable",
    "/sru",
    "/oai",
)
API_ROUTES = (
    ("POST", "/api/v1/loans"),
    ("POST", "/api/v1/loans/{loan}/transitions"),
    ("GET", "/api/v1/loans"),
    ("GET", "/api/v1/loans/{loan}"),
)
GET_ROUTES = (
    "/",
    "/search",
    "/record/{cluster}",
    "/record/{cluster}/staff",
    "/record/{cluster}/export/ris",
    "/record/{cluster}/export/bibtex",
    "/record/{cluster}/export/marcxml",
    "/record/{cluster}/export/marc",
    "/libraries",
    "/api/v1/search",
    "/api/v1/complete",
    "/api/v1/records/{cluster}",
    "/api/v1/libraries",
    "/sru",
    "/oai",
    "/feed",
    "/opensearch/suggest",
    "/staff/requests",
    "/staff/requests/{loan}",
    "/staff/pull-slips",
    "/staff/overdue",
    "/staff/settings",
    "/staff/accounts",
    "/staff/statistics",
    "/staff/statistics.csv",
    "/account/requests",
    "/login",
)
# the API's callers: a person of world.PEOPLE by token, or one of these three
WRONG_TOKEN = len(world.PEOPLE)
PATRON_SESSION = WRONG_TOKEN + 1  # logged in on the pages, no CSRF header
STAFF_SESSION = WRONG_TOKEN + 2  # Herten's staff logged in, with the page's CSRF header
API_CALLERS = WRONG_TOKEN + 3


def web_input(route: int, person: int, number: int, body: bytes) -> bytes:
    """The bytes of a web input (see the module's docstring)."""
    return bytes((route, person, number)) + body


def web_form(data: bytes) -> None:
    """A form POSTed to a page; redirects followed."""
    route, person, number, body = _split(data)
    web = world.web()
    who = web.people[person % len(world.PEOPLE)]
    form = _filled(body, web, who)
    if b"csrf_token=" not in form:
        form += b"&csrf_token=" + who.csrf.encode()
    path = _path(FORM_ROUTES[route % len(FORM_ROUTES)], number, web)
    client = web.client(who)
    _answered(
        web,
        client.post(
            path, data=form, content_type="application/x-www-form-urlencoded", follow_redirects=True
        ),
    )


def web_api(data: bytes) -> None:
    """A call of the loan network's JSON API with a JSON body (or a query string for GET)."""
    route, person, number, body = _split(data)
    web = world.web()
    method, template = API_ROUTES[route % len(API_ROUTES)]
    path = _path(template, number, web)
    caller = person % API_CALLERS
    headers = {}
    if caller < WRONG_TOKEN:
        client = web.client(web.people[0])
        token = web.people[caller].token
        if token:
            headers["Authorization"] = f"Bearer {token}"
    elif caller == WRONG_TOKEN:
        client = web.client(web.people[0])
        headers["Authorization"] = "Bearer nonsense"
    else:
        who = web.people[world.PERSON["patron" if caller == PATRON_SESSION else "herten_staff"]]
        client = web.client(who)
        if caller == STAFF_SESSION:
            headers["X-CSRFToken"] = who.csrf
    filled = _filled(body, web, web.people[1])
    if method == "GET":
        answer = client.get(path, query_string=filled.decode("latin-1"), headers=headers)
    else:
        answer = client.post(path, data=filled, content_type="application/json", headers=headers)
    _answered(web, answer)


def web_get(data: bytes) -> None:
    """A page or API GET with any query string."""
    route, person, number, body = _split(data)
    web = world.web()
    who = web.people[person % len(world.PEOPLE)]
    path = _path(GET_ROUTES[route % len(GET_ROUTES)], number, web)
    # a WSGI server hands the query string on as bytes read as Latin-1
    query = _filled(body, web, who).decode("latin-1")
    _answered(web, web.client(who).get(path, query_string=query))


def _split(data: bytes) -> tuple[int, int, int, bytes]:
    head = data[:3].ljust(3, b"\x00")
    return head[0], head[1], head[2], data[3:]


def _path(template: str, number: int, web: world.WebWorld) -> str:
    chosen = NUMBERS[number % len(NUMBERS)]
    live = {"cluster": web.cluster, "loan": web.loan.id, "user": web.victim.id}
    return template.format(**{name: live[name] if chosen is None else chosen for name in live})


def _filled(body: bytes, web: world.WebWorld, who: world.Person) -> bytes:
    if b"$" not in body:
        return body
    loan = web.current_loan()
    for name, value in (
        (b"$CSRF", who.csrf),
        (b"$VERSION", loan.version),
        (b"$LOAN", loan.id),
        (b"$CLUSTER", web.cluster),
    ):
        body = body.replace(name, str(value).encode())
    return body


_FORMAT = logging.Formatter()


def _answered(web: world.WebWorld, answer) -> None:
    try:
        statuses = [r.status_code for r in (*answer.history, answer)]
        logged = [_FORMAT.formatException(r.exc_info) for r in web.errors.seen if r.exc_info]
        assert all(status < 500 for status in statuses) and not logged, (statuses, logged)
    finally:
        web.reset()


TARGETS: dict[str, Callable[[bytes], None]] = {
    "iso2709_record": iso2709_record,
    "marcxml_record": marcxml_record,
    "marc_file": marc_file,
    "sru_answer": sru_answer,
    "oai_answer": oai_answer,
    "cql_query": cql_query,
    "search_query": search_query,
    "web_form": web_form,
    "web_api": web_api,
    "web_get": web_get,
    **edges.TARGETS,  # session cookies, the command line, config.toml, HTTP framing
}
