"""What the fuzz targets run against, built once per process on first use.

- Harvest peers: a real HTTP server on 127.0.0.1 for SRU and one for OAI-PMH, each answering
  with whatever status, headers and body the current input is.
- A small union index of made-up books, for the search query parser.
- The loan network of tests/webapp/test_loans_api.py served by the web app: one session per
  person (logged in once, its cookie given to a fresh client for every input) with its CSRF
  token, an API token per person, and always one open loan request to act on.

Inputs change the world (they disable accounts, pause libraries, move requests on): after
each input `reset()` undoes what would stop the next one from reaching as far.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pymarc
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, update

from index.document import cluster_doc
from index.search import UnionIndex
from libnet import loans
from libnet.loans import LoanError
from libnet.loans.states import TERMINAL
from libnet.records.bib import normalise
from libnet.store.schema import loan_settings, users
from tests.builders import book
from tests.peers.http_faults import Answer, FaultServer
from tests.peers.oai_faults import identify

PASSWORD = "korrekt-pferd"  # tests/libnet/test_loans.py gives every account this one
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def folder() -> Path:
    """A new folder for a store, an index or a file, in $LIBNET_FUZZ_WORKDIR (which the atheris
    runner removes) or else in the temp dir, removed when the process ends."""
    given = os.environ.get("LIBNET_FUZZ_WORKDIR")
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="libnet-fuzz-", dir=given))
    made = Path(tempfile.mkdtemp(prefix="libnet-fuzz-"))
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    return made


# --------------------------------------------------------------------------- harvest peers


class Peer:
    """A real HTTP server on 127.0.0.1 giving every request the answer of the current input.

    An input that starts with "HTTP/1.1 " brings its status line and headers, up to an empty
    line; any other input is the body of a 200 text/xml answer. With `oai`, Identify is
    answered correctly, so that the input reaches ListRecords.
    """

    def __init__(self, oai: bool = False) -> None:
        if oai:
            one_ssl_context()
        self.server = FaultServer()
        self.url = self.server.start()
        self.oai = oai
        self._identify = Answer(identify().body)

    def answer(self, data: bytes) -> None:
        answer = http_answer(data)
        if self.oai:
            self.server.answer(
                lambda args: self._identify if args.get("verb") == "Identify" else answer
            )
        else:
            self.server.answer(answer)


def one_ssl_context() -> None:
    """The OAI-PMH harvester builds an HTTP client per harvest, and each client loads the CA
    certificates: 30 ms, most of an input's time. The fuzzed repository speaks plain HTTP."""
    from httpx2._transports import default

    default.create_ssl_context = functools.cache(default.create_ssl_context)


# followed by the harvesters, these would send them off this machine or break the server
_UNSENT = frozenset(("location", "content-length", "transfer-encoding", "connection"))


def http_answer(data: bytes) -> Answer:
    """The answer an input stands for (see Peer)."""
    if not data.startswith(b"HTTP/1.1 "):
        return Answer(data)
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    code = status_line[9:12]
    # no 1xx: a client waits for the answer after it, until its timeout
    status = int(code) if code.isascii() and code.isdigit() and 200 <= int(code) < 600 else 200
    headers, content_type = {}, "text/xml; charset=utf-8"
    for line in lines:
        name, colon, value = line.partition(":")
        name, value = name.strip(), value.strip()
        sendable = name.isascii() and name.replace("-", "").isalnum() and value.isprintable()
        if not colon or not sendable:
            continue
        if name.lower() == "content-type":
            content_type = value
        elif name.lower() not in _UNSENT:
            headers[name] = value
    return Answer(body, status=status, content_type=content_type, headers=headers)


# --------------------------------------------------------------------------- the search index

SEARCH_TITLES = (
    "Die Vermessung der Welt", "Der Welt der Dinge", "Müller und die Straße", "Glück auf",
    "Kohle, Stahl und Bier", "Das Ruhrgebiet: eine Geschichte", "Gedichte", "Roman ohne Ende",
    "Krimi im Revier", "Mord in Marl", "Herten 1900 bis 2000", "Die Zauberflöte", "L'étranger",
    "Ça et là", "C++ für Kinder", "Zeitreise (Band 3)", "Ab 8: Das Pony",
)  # fmt: skip
SEARCH_AUTHORS = (
    "Kehlmann, Daniel", "Müller, Jörg", "Mueller, Hans", "Schmidt-Özdemir, A.",
)  # fmt: skip


def search_index(path: Path) -> UnionIndex:
    """A fresh index of made-up books: titles, authors, ISBNs, years and subjects."""
    docs = []
    for n, title in enumerate(SEARCH_TITLES, start=1):
        record = book(
            f"s{n}",
            title,
            author=SEARCH_AUTHORS[n % len(SEARCH_AUTHORS)],
            isbn=f"978-3-16-{n:06d}-0",
            year=str(1950 + 4 * n),
        )
        subject = pymarc.Field(
            tag="650",
            indicators=pymarc.Indicators(" ", "7"),
            subfields=[pymarc.Subfield("a", title.split()[-1])],
        )
        record.add_ordered_field(subject)
        docs.append(cluster_doc(n, [normalise(record, ("marl", "herten", "dorsten")[n % 3])]))
    index = UnionIndex(path)
    index.write(docs, fresh=True)
    return index


# --------------------------------------------------------------------------- the web catalogue

# who sends a web input: None is a visitor; else the login and the Served token's name
PEOPLE: tuple[tuple[str, str] | None, ...] = (
    None,
    ("D100", "patron"),
    ("D200", "other_patron"),
    ("Team datteln", "datteln_staff"),
    ("Team herten", "herten_staff"),
    ("Team marl", "marl_staff"),
    ("Kreis", "admin"),
)

# a person's number in a web input, by the name of their token ("visitor": 0)
PERSON = {"visitor": 0} | {who[1]: n for n, who in enumerate(PEOPLE) if who}


@dataclass
class Person:
    session: str  # the session cookie of the logged-in person, "" for a visitor
    csrf: str
    token: str  # API token, "" for a visitor


class Errors(logging.Handler):
    """Every exception the app logged: an answer that hid a crash (SRU's diagnostic 1)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.seen.append(record)


@dataclass
class WebWorld:
    folder: Path
    people: list[Person] = field(default_factory=list)

    def __post_init__(self) -> None:
        from tests.webapp.conftest import GENEROUS_LIMITS
        from tests.webapp.test_loans_api import Served  # builds the network, app and tokens

        # thousands of requests from one client: the rate limits would answer 429 and 503
        self.served = Served(self.folder, rate_limits=GENEROUS_LIMITS)
        self.app: Flask = self.served.client.application
        self.engine = self.served.engine
        self.cluster: int = self.served.cluster
        self.errors = Errors()
        self.app.logger.addHandler(self.errors)
        self.victim = self.served.account("patron", "marl", "Fuzz Opfer", card="F999")
        for who in PEOPLE:
            self.people.append(self._person(who))
        self.loan = self._open_loan()

    def _person(self, who: tuple[str, str] | None) -> Person:
        from tests.webapp.test_login import library_of

        client = self.app.test_client()
        if who is not None:
            token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
            data = {"login": who[0], "password": PASSWORD, "csrf_token": token,
                    "library": library_of(client, who[0])}  # fmt: skip
            assert client.post("/login", data=data).status_code == 302, who
        csrf = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
        cookie = client.get_cookie("session")
        return Person(
            cookie.value if cookie else "", csrf, self.served.tokens[who[1]] if who else ""
        )

    def client(self, person: Person) -> FlaskClient:
        """A fresh client carrying the person's session, and nothing else."""
        client = self.app.test_client()
        if person.session:
            client.set_cookie("session", person.session)
        return client

    def _open_loan(self) -> loans.LoanRequest:
        """An open request of a patron of Datteln for the cluster, placed when none is open."""
        with self.engine.connect() as conn:
            for request in loans.requests(conn):
                if request.state not in TERMINAL:
                    return request
        for patron in (self.served.patron, self.served.other_patron):
            try:
                with loans.transaction(self.engine) as conn:
                    return loans.place_request(conn, patron, self.cluster, title="Fuzz")
            except LoanError:
                continue
        raise AssertionError("no loan request can be placed: the world is broken")

    def current_loan(self) -> loans.LoanRequest:
        with self.engine.connect() as conn:
            self.loan = loans.get(conn, self.loan.id)
        return self.loan

    def reset(self) -> None:
        """Undo what an input did that would stop the next ones: accounts, settings, loans."""
        with self.engine.begin() as conn:
            conn.execute(update(users).where(users.c.disabled.is_(True)).values(disabled=False))
            conn.execute(delete(loan_settings))
        if self.current_loan().state in TERMINAL:
            self.loan = self._open_loan()
        self.errors.seen.clear()


# --------------------------------------------------------------------------- one per process

_lock = threading.Lock()
_made: dict[str, object] = {}


def _once(name: str, make):
    with _lock:
        if name not in _made:
            _made[name] = make()
        return _made[name]


def sru_peer() -> Peer:
    return _once("sru", Peer)


def oai_peer() -> Peer:
    return _once("oai", lambda: Peer(oai=True))


def index() -> UnionIndex:
    return _once("index", lambda: search_index(folder()))


def web() -> WebWorld:
    return _once("web", lambda: WebWorld(folder()))
