"""Load: simulated users on `libnet serve`, once on their own and once while `libnet nightly` runs.

Run on demand, never in the test suite (`make bench-load`):

    .venv/bin/python -m bench.load [--records N] [--users U] [--patrons P] [--seconds T]
                                   [--think S] [--seed S] [--write]

About N demo records (default 100,000) are generated, harvested and indexed as bench/web.py
does it, and accounts are made (not measured): a librarian of each library with an API token,
P patrons (default 10) of the town libraries. `libnet serve` starts on 127.0.0.1 with its
defaults (2 workers of 4 threads) and U users (default 50) run as threads of this process,
each on its own kept-alive connection with its own cookies, waiting about S seconds (default
1) between two pages:

- searchers (U - P - librarians): bench/search.py's query mix with its filters and sorts,
  now and then a facet link or the next page of hits, then a record or two from the hits;
- patrons: visits of logging in (the form with its CSRF token), searching, ordering a title
  another library lends from its record page, looking at their requests (cancelling one now
  and then) and logging out;
- librarians: logged in once, they work their queues through the pages' batch forms (will
  supply and ship what is asked of them, receive and hand over what comes for their patrons)
  and the return through the JSON API with their token (returned by the patron, shipped back,
  back on the shelf), so requests run their whole course and patrons stay under their limit.

After a warm-up come two measured phases of T seconds (default 60): the users alone, then the
same while `libnet nightly` runs, started with the second phase on demo files of a few
libraries in which a share of the titles changed; the second phase goes on until the nightly
has finished, so that the web workers are at work when the index changes under them. The
users ask for English pages, whose messages the bench reads. Reported per phase: requests per
second, latency overall and per kind of request, errors (a status other than 2xx/3xx that is
not an expected 409 of the API, a connection error, a form refused as expired, a session
lost), the CPU time of server, clients, the nightly and everything else on the machine; the
nightly's time and report, and whether the web workers search the new index afterwards.
`--write` puts the results, with the machine and the date, into docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select

from bench.harvest import (
    Loads,
    bench_parser,
    demo_libraries,
    measure_and_report,
)
from bench.search import _latency, change_titles, percentile
from bench.web import TIMEOUT, WORKERS, Server, indexed_site, served_head
from libnet import accounts
from libnet.config import StorageConfig
from libnet.store import open_store
from libnet.store.schema import loan_events, loan_requests
from libnet.times import utc
from webapp.wsgi import DEFAULT_THREADS

TARGET_RECORDS = 100_000
TARGET_P95_MS = 300
WARMUP_SECONDS = 10  # logins, and each worker's first search loads the index's arrays
SLICE_SECONDS = 10  # the p95 of each slice of a phase, to see when the nightly hurts
PASSWORD = "last-probe-2026"
# the nightly's work: a share of the titles of these libraries' files changed
CHANGED_LIBRARIES = ("marl", "recklinghausen", "dorsten")
CHANGED_SHARE = 0.2
# gunicorn closes a kept-alive connection idle for 2 s (its keepalive default); a browser
# reconnects rather than send into a closing socket, and so do these users
IDLE_RECONNECT = 1.5
NIGHTLY_WAIT = 600  # phase 2 goes on at most this long for a nightly still running
FACET_SHARE = 0.3  # searches followed by a click on a facet value
NEXT_PAGE_SHARE = 0.25  # searches followed by the next page of hits
CANCEL_SHARE = 0.1  # patrons' visits that cancel a request not yet shipped
CANCEL_FROM = 3  # ... and always from this many such requests on
PICKUP_CHECKS = 20  # searches on fresh connections after the nightly
PHASES = ("alone", "nightly")
NONE = "0 | – | – | – | –"  # a kind of request a phase did not make
EXCEPTION = re.compile(r"^[\w.]+(Error|Exception): |^\[SQL: ")
FLASH = re.compile(r'<p class="flash flash--(\w+)" role="status">([^<]*)</p>')
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
RECORD_LINK = re.compile(r'href="/record/(\d+)"')
FACET_LINK = re.compile(r'class="facet-value" href="([^"]+)"')
SEARCH_LINK = re.compile(r'href="(/search\?[^"]*)"')
SECOND_PAGE = re.compile(r"[?&]page=2(&|$)")
PICK = re.compile(r'name="pick" value="(\d+:\d+)"')
SELECTED = re.compile(r'<option value="([^"]*)" selected>')
DUE = re.compile(r'name="due_date" type="date" value="([^"]*)"')
STAFF_LINK = re.compile(r'href="/staff/requests/(\d+)"')
CANCEL_FORM = re.compile(
    r'action="/account/requests/(\d+)/cancel">.*?name="version" type="hidden" value="(\d+)"', re.S
)
# the English texts of the outcomes of a placed request (webapp/loan_pages.py)
PLACE_OUTCOMES = {
    "Your request is on its way": "placed",
    "You have as many open requests": "refused: limit",
    "You have this title on request": "refused: duplicate",
    "No other library can lend": "refused: no lender",
    "Your library has a copy on the shelf": "refused: own copy",
}
EXPIRED = "The form had expired"
CHANGED_MEANWHILE = re.compile(r"changed (meanwhile|in the meantime)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_parser(__doc__, TARGET_RECORDS, "users")
    parser.add_argument("--users", type=int, default=50, help="simulated users (default 50)")
    parser.add_argument("--patrons", type=int, default=10, help="of them patrons (default 10)")
    parser.add_argument("--seconds", type=float, default=60, help="each phase (default 60)")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean seconds between two pages (default 1)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    librarians = len(demo_libraries("iso2709"))
    if args.records < 1_000:
        raise SystemExit("--records: at least 1000")
    if args.seconds <= 0 or args.think < 0 or args.patrons < 1:
        raise SystemExit("--seconds and --patrons: more than 0; --think: 0 or more")
    if args.users < args.patrons + librarians:
        raise SystemExit(f"--users: at least the patrons and {librarians} librarians")
    # the demo data breaks a few records on purpose; pymarc would log a warning for each
    logging.getLogger("pymarc").setLevel(logging.ERROR)

    def run(records: int, seed: int) -> dict:
        return run_all(records, seed, users=args.users, patrons=args.patrons,
                       seconds=args.seconds, think=args.think)  # fmt: skip

    return measure_and_report(run, report, args)


# --------------------------------------------------------------------------- the measurements


def run_all(
    records: int, seed: int, *, users: int, patrons: int, seconds: float, think: float
) -> dict:
    with tempfile.TemporaryDirectory(prefix="libnet-bench-") as tmp:
        work = Path(tmp)
        site = indexed_site(records, seed, work)
        files, data_dir, config = site.files, site.data_dir, site.config
        people = make_accounts(data_dir, patrons)
        edited = prepare_changes(files, work / "next")
        print(f"  {len(people)} accounts; {edited:,} titles changed for the nightly", flush=True)
        with Server(config) as server:
            before = pickup_check(server.port)
            print(f"  {server.url}: {users} users, warming up for {WARMUP_SECONDS} s", flush=True)
            run = LoadRun(server, site.mix, people, users=users, seconds=seconds, think=think,
                          seed=seed)  # fmt: skip
            run.go(swap=lambda: swap_changes(files, work / "next", work / "old"),
                   nightly=Nightly(config, work / "nightly.json"))  # fmt: skip
            after = pickup_check(server.port)
            print(f"  {len(run.requests):,} requests; nightly {run.nightly['seconds']:.0f} s",
                  flush=True)  # fmt: skip
        server_errors = _server_errors(server.log)
        loan_work = loan_events_by_phase(data_dir, run.phase_times)
    return {
        **site.counts(),
        "users": users,
        "patrons": patrons,
        "librarians": sum(1 for p in people if p["role"] == "librarian"),
        "think": think,
        "seconds": seconds,
        "edited": edited,
        "requests": run.requests,
        "phases": run.phases,
        "events": run.events,
        "nightly": run.nightly,
        "pickup": {"before": before, "after": after},
        "loans": loan_work,
        "server_errors": server_errors,
    }


def _server_errors(log: list[str]) -> dict[str, int]:
    """The server's unhandled errors, by path, and the exceptions and SQL behind them."""
    found: Counter[str] = Counter()
    for line in log:
        if "unhandled error on" in line:
            found[line.split("ERROR in ", 1)[-1].split(": ", 1)[-1]] += 1
        elif EXCEPTION.search(line):
            found[line] += 1
    return dict(found.most_common(8))


def make_accounts(data_dir: Path, patrons: int) -> list[dict]:
    """A librarian of each library (with an API token) and patrons of the town libraries."""
    libraries = [lib.code for lib in demo_libraries("iso2709")]
    towns = [code for code in libraries if code != "kreis"]  # the county library has no patrons
    store = open_store(StorageConfig(data_dir).url, data_dir)
    people = []
    try:
        with store.engine.begin() as conn:
            for code in libraries:
                name = f"Theke {code}"
                accounts.add_user(conn, role="librarian", library=code, name=name,
                                  password=PASSWORD)  # fmt: skip
                token = accounts.issue_token(conn, name, "bench/load.py")
                people.append({"role": "librarian", "library": code, "login": name,
                               "token": token})  # fmt: skip
            for n in range(patrons):
                code, card = towns[n % len(towns)], f"LT{n + 1:05d}"
                accounts.add_user(conn, role="patron", library=code, name=f"Leserin {n + 1}",
                                  password=PASSWORD, card=card)  # fmt: skip
                people.append({"role": "patron", "library": code, "login": card})
    finally:
        store.close()
    return people


def prepare_changes(files: Path, next_dir: Path) -> int:
    """Copies of some libraries' files with a share of their titles changed; how many."""
    for code in CHANGED_LIBRARIES:
        shutil.copytree(files / code, next_dir / code)
    return change_titles(next_dir, CHANGED_SHARE)


def swap_changes(files: Path, next_dir: Path, old_dir: Path) -> None:
    """The changed files in place of the libraries' exports, one rename a library."""
    old_dir.mkdir()
    for code in CHANGED_LIBRARIES:
        (files / code).rename(old_dir / code)
        (next_dir / code).rename(files / code)


def pickup_check(port: int) -> list[int]:
    """Clusters found for the word the changes added, on fresh connections (so both
    workers answer some)."""
    totals = []
    for _ in range(PICKUP_CHECKS):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            connection.request("GET", "/api/v1/search?q=neuausgabe")
            response = connection.getresponse()
            body = response.read()
            totals.append(json.loads(body)["total"] if response.status == 200 else -1)
        finally:
            connection.close()
    return totals


def loan_events_by_phase(data_dir: Path, phase_times: list[tuple[str, str]]) -> dict:
    """The loan network's changes the store recorded in each phase, by action, and the
    requests' states at the end."""
    bounds = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in phase_times]
    store = open_store(StorageConfig(data_dir).url, data_dir)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(select(loan_events.c.action, loan_events.c.at)).all()
            states = Counter(conn.scalars(select(loan_requests.c.state)))
    finally:
        store.close()
    by_phase = []
    for start, end in bounds:
        by_phase.append(dict(Counter(a for a, at in rows if start <= utc(at) < end)))
    return {"by_phase": by_phase, "states": dict(states)}


# --------------------------------------------------------------------------- the run


class Finished(Exception):
    """The run's time is up: the user stops."""


class Broken(Exception):
    """A request failed (counted already): the user starts their next round."""


@dataclass(slots=True)
class Page:
    status: int
    text: str
    location: str = ""


@dataclass(slots=True)
class Clock:
    start: float  # monotonic time at which the first measured phase starts
    end: float  # ... and at which the last one ends
    think: float

    def pause(self, rng: random.Random) -> None:
        """A person reading the page: 0.5 to 1.5 times the mean think time."""
        wait = self.think * rng.uniform(0.5, 1.5)
        left = self.end - time.monotonic()
        if left <= 0:
            raise Finished
        time.sleep(min(wait, left))


@dataclass
class Browser:
    """One simulated person: a kept-alive connection, cookies, and a note of every request."""

    port: int
    clock: Clock
    role: str
    done: list[dict] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)
    connection: http.client.HTTPConnection | None = None
    idle_since: float = 0.0
    logged_in: bool = False

    def get(self, kind: str, path: str, *, follow: bool = True) -> Page:
        return self.send(kind, "GET", path, follow=follow)

    def post(self, kind: str, path: str, form: list[tuple[str, str]] | dict) -> Page:
        """A form sent as a browser sends it, the page it redirects to fetched after it."""
        body = urlencode(form).encode()
        sent = len(self.done)
        page = self.send(kind, "POST", path, body=body,
                         content_type="application/x-www-form-urlencoded")  # fmt: skip
        if EXPIRED in page.text:  # the pages answer a refused CSRF token with this flash
            self.done[sent]["outcome"] = "form refused as expired"
            raise Broken
        return page

    def api(self, kind: str, method: str, path: str, token: str, body: dict | None = None):
        """A JSON API call with a bearer token; the answer, or None for an expected 409."""
        data = json.dumps(body).encode() if body is not None else None
        expected = (409,) if method == "POST" else ()
        page = self.send(kind, method, path, body=data, content_type="application/json",
                         token=token, expected=expected)  # fmt: skip
        return None if page.status == 409 else json.loads(page.text)

    def send(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str = "",
        token: str = "",
        expected: tuple[int, ...] = (),
        follow: bool = True,
    ) -> Page:
        if time.monotonic() >= self.clock.end:
            raise Finished
        headers = {"Accept-Language": "en", "Accept-Encoding": "identity"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if self.connection is not None and time.monotonic() - self.idle_since > IDLE_RECONNECT:
            self.connection.close()
            self.connection = None
        fresh = self.connection is None
        if fresh:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        begun = time.monotonic()
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
            if response.will_close:
                self.connection.close()
                self.connection = None
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self.connection = None
            self._note(kind, begun, started, f"{type(exc).__name__}: {exc}", method, path, fresh)
            raise Broken from None
        self.idle_since = time.monotonic()
        status = response.status
        if 200 <= status < 400:
            outcome = "ok"
        elif status in expected:
            outcome = "conflict"
        else:
            outcome = f"HTTP {status}"
        self._note(kind, begun, started, outcome, method, path, fresh)
        if outcome.startswith("HTTP"):
            raise Broken
        self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
        page = Page(status, data.decode("utf-8", "replace"), response.getheader("Location", ""))
        if follow and status in (301, 302, 303):
            target = page.location.removeprefix(f"http://127.0.0.1:{self.port}")
            if target.startswith("/login") and self.logged_in:
                self.done[-1]["outcome"] = "sent to log in: session lost"
                self.logged_in = False
                raise Broken
            return self.send(_kind_of(target), "GET", target)
        return page

    def _note(
        self,
        kind: str,
        begun: float,
        started: float,
        outcome: str,
        method: str,
        path: str,
        fresh: bool,
    ) -> None:
        self.done.append({
            "kind": kind, "role": self.role, "at": begun - self.clock.start,
            "ms": (time.perf_counter() - started) * 1000, "outcome": outcome,
            "what": f"{method} {path.split('?')[0]}", "fresh": fresh,
        })  # fmt: skip

    def log_in(self, login: str, next_page: str = "") -> Page:
        """The login form, filled in and sent; the page it leads to."""
        page = self.get("login form", "/login")
        form = {"csrf_token": _csrf(page), "login": login, "password": PASSWORD,
                "next": next_page}  # fmt: skip
        page = self.post("log in", "/login", form)
        if 'action="/logout"' not in page.text:
            self.done[-1]["outcome"] = "not logged in after logging in"
            raise Broken
        self.logged_in = True
        return page

    def _keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or morsel["expires"].endswith("1970 00:00:00 GMT"):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _kind_of(path: str) -> str:
    """The kind of page a redirect leads to, for the per-kind table."""
    if path in ("/", ""):
        return "home"
    if path.startswith("/account/requests"):
        return "my requests"
    if path.startswith("/record/"):
        return "record"
    if path.startswith("/staff/requests/") and path.split("?")[0][16:].isdigit():
        return "staff: a request"
    if path.startswith("/staff/requests"):
        return "staff: queue"
    return path.split("?")[0]


class LoadRun:
    """The users as threads, the two phases, and the nightly started with the second."""

    def __init__(
        self,
        server: Server,
        mix: list,
        people: list[dict],
        *,
        users: int,
        seconds: float,
        think: float,
        seed: int,
    ) -> None:
        self.server, self.mix, self.people = server, mix, people
        self.users, self.seconds, self.think, self.seed = users, seconds, think, seed
        self.requests: list[dict] = []
        self.phases: list[dict] = []
        self.phase_times: list[tuple[str, str]] = []
        self.events: list[dict] = [{} for _ in PHASES]
        self.nightly: dict = {}
        self._events_lock = threading.Lock()

    def go(self, *, swap, nightly: Nightly) -> None:
        """Warm-up, phase 1, then phase 2 with the files swapped and the nightly started."""
        start = time.monotonic() + WARMUP_SECONDS
        # the users go on until phase 2 is over: its time, and the nightly's end
        clock = Clock(start, start + len(PHASES) * self.seconds + NIGHTLY_WAIT, self.think)
        searchers = self.users - len(self.people)
        roles = [*self.people, *({"role": "searcher"} for _ in range(searchers))]
        browsers = [Browser(self.server.port, clock, person["role"]) for person in roles]
        threads = [
            threading.Thread(target=self._user, args=(b, person, clock, n), daemon=True)
            for n, (b, person) in enumerate(zip(browsers, roles, strict=True))
        ]
        for thread in threads:
            thread.start()
        marks = []
        _sleep_until(start)
        marks.append(_snapshot(self.server))
        _sleep_until(start + self.seconds)
        marks.append(_snapshot(self.server))
        swap()
        nightly.start()
        _sleep_until(start + len(PHASES) * self.seconds)
        nightly.wait(NIGHTLY_WAIT)
        clock.end = time.monotonic()
        marks.append(_snapshot(self.server, nightly))
        for thread in threads:
            thread.join(TIMEOUT + 5)
        self.nightly = nightly.finish(start + self.seconds, start + len(PHASES) * self.seconds)
        for b in browsers:
            self.requests.extend(b.done)
            b.close()
        for n, name in enumerate(PHASES):
            first, last = marks[n], marks[n + 1]
            ours = {key: last[key] - first[key] for key in ("server", "client", "nightly")}
            self.phases.append({
                "name": name, "seconds": last["at"] - first["at"],
                **ours, "machine": last["busy"] - first["busy"],
                "load_before": first["load"], "load_after": last["load"],
            })  # fmt: skip
            self.phase_times.append((first["utc"], last["utc"]))

    def _user(self, b: Browser, person: dict, clock: Clock, n: int) -> None:
        rng = random.Random(self.seed * 1000 + n)
        time.sleep(rng.uniform(0, 2))  # not all at the same moment
        try:
            if person["role"] == "searcher":
                _rounds(clock, rng, lambda: self._searcher(b, rng, clock))
            elif person["role"] == "patron":
                _rounds(clock, rng, lambda: self._patron_visit(b, rng, clock, person))
            else:
                _rounds(clock, rng, lambda: self._librarian(b, rng, clock, person))
        except Finished:
            pass

    def _event(self, b: Browser, what: str) -> None:
        phase = _phase_of(b.done[-1]["at"], self.seconds) if b.done else None
        if phase is None:
            return
        with self._events_lock:
            counts = self.events[phase]
            counts[what] = counts.get(what, 0) + 1

    # ------------------------------------------------------------------- the kinds of user

    def _search(self, b: Browser, rng: random.Random, clock: Clock) -> list[int]:
        """A search from the mix, perhaps refined by a facet or paged; the hits' record ids."""
        _kind, text, filters, sort = self.mix[rng.randrange(len(self.mix))]
        params = [("q", text), *((k, v) for k, values in filters.items() for v in values)]
        if sort != "relevance":
            params.append(("sort", sort))
        page = b.get("search", "/search?" + urlencode(params))
        clock.pause(rng)
        facets = FACET_LINK.findall(page.text)
        if facets and rng.random() < FACET_SHARE:
            page = b.get("search: facet", html.unescape(rng.choice(facets[:8])))
            clock.pause(rng)
        links = (html.unescape(link) for link in SEARCH_LINK.findall(page.text))
        following = [link for link in links if SECOND_PAGE.search(link)]
        if following and rng.random() < NEXT_PAGE_SHARE:
            page = b.get("search: next page", following[0])
            clock.pause(rng)
        return list(dict.fromkeys(int(i) for i in RECORD_LINK.findall(page.text)))

    def _searcher(self, b: Browser, rng: random.Random, clock: Clock) -> None:
        hits = self._search(b, rng, clock)
        for cluster_id in rng.sample(hits[:10], min(len(hits), rng.choice((1, 2)))):
            b.get("record", f"/record/{cluster_id}")
            clock.pause(rng)

    def _patron_visit(self, b: Browser, rng: random.Random, clock: Clock, me: dict) -> None:
        """Log in, look for titles and order one another library lends, look at the requests,
        perhaps cancel one, log out."""
        b.log_in(me["login"])
        clock.pause(rng)
        ordered = False
        for _ in range(2):
            hits = self._search(b, rng, clock)
            for cluster_id in rng.sample(hits[:10], min(len(hits), 3)):
                page = b.get("record", f"/record/{cluster_id}")
                clock.pause(rng)
                if ordered or f'action="/record/{cluster_id}/request"' not in page.text:
                    continue
                form = {"csrf_token": _csrf(page), "pickup": me["library"]}
                answer = b.post("place a request", f"/record/{cluster_id}/request", form)
                self._event(b, "place: " + _place_outcome(answer.text))
                ordered = True
                clock.pause(rng)
        page = b.get("my requests", "/account/requests")
        clock.pause(rng)
        cancellable = CANCEL_FORM.findall(page.text)
        if cancellable and (len(cancellable) >= CANCEL_FROM or rng.random() < CANCEL_SHARE):
            loan_id, version = cancellable[-1]  # the oldest of them
            form = {"csrf_token": _csrf(page), "version": version}
            page = b.post("cancel a request", f"/account/requests/{loan_id}/cancel", form)
            self._event(b, "cancel: " + _flash_kind(page.text))
            clock.pause(rng)
        b.post("log out", "/logout", {"csrf_token": _csrf(page)})
        b.logged_in = False
        clock.pause(rng)

    def _librarian(self, b: Browser, rng: random.Random, clock: Clock, me: dict) -> None:
        """One round at the desk: the four queues through the pages, the returns by API."""
        if not b.logged_in:
            b.log_in(me["login"], "/staff/requests")
            clock.pause(rng)
        seen: list[str] = []
        for side, state, action in (
            ("incoming", "RequestReceived", "will_supply"),
            ("incoming", "WillSupply", "ship"),
            ("outgoing", "Loaned", "receive"),
            ("outgoing", "Received", "hand_to_patron"),
        ):
            seen += self._batch(b, rng, clock, side, state, action)
            if state == "RequestReceived" and rng.random() < 0.3:
                b.get("staff: pull slips", "/staff/pull-slips")
                clock.pause(rng)
        if seen and rng.random() < 0.5:
            b.get("staff: a request", f"/staff/requests/{rng.choice(seen)}")
            clock.pause(rng)
        for side, state, actions in (
            ("outgoing", "HandedToPatron", ("patron_returned", "ship_back")),
            ("incoming", "ShippedReturn", ("receive_back",)),
        ):
            query = urlencode({"side": side, "state": state})
            found = b.api("API: list", "GET", f"/api/v1/loans?{query}", me["token"])
            for loan in found["loans"][:5]:
                version = loan["version"]
                for action in actions:
                    body = {"action": action, "version": version}
                    path = f"/api/v1/loans/{loan['id']}/transitions"
                    changed = b.api("API: transition", "POST", path, me["token"], body)
                    self._event(b, f"API {action}: " + ("done" if changed else "409"))
                    if changed is None:
                        break
                    version = changed["version"]
            clock.pause(rng)

    def _batch(
        self, b: Browser, rng: random.Random, clock: Clock, side: str, state: str, action: str
    ) -> list[str]:
        """A queue filtered by state, its requests all marked at once; their ids."""
        page = b.get("staff: queue", f"/staff/requests?{urlencode({'side': side, 'state': state})}")
        clock.pause(rng)
        picks = PICK.findall(page.text)
        chosen = SELECTED.search(page.text)
        if not picks or chosen is None or chosen.group(1) != state:  # none in this state
            return STAFF_LINK.findall(page.text)
        due = DUE.search(page.text)
        form = [("csrf_token", _csrf(page)), ("side", side), ("action", action),
                ("due_date", due.group(1) if due else ""),
                *(("pick", pick) for pick in picks)]  # fmt: skip
        answer = b.post("staff: batch", "/staff/requests/batch", form)
        for kind, message in FLASH.findall(answer.text):
            outcome = "changed meanwhile" if CHANGED_MEANWHILE.search(message) else kind
            self._event(b, f"batch {action}: {outcome}")
        clock.pause(rng)
        return [pick.split(":")[0] for pick in picks]


def _rounds(clock: Clock, rng: random.Random, one_round) -> None:
    """A user's rounds until the time is up; after a failed request the next round."""
    while True:
        try:
            one_round()
        except Broken:
            clock.pause(rng)


def _csrf(page: Page) -> str:
    found = CSRF.search(page.text)
    return found.group(1) if found else ""


def _place_outcome(text: str) -> str:
    for message in (m for _kind, m in FLASH.findall(text)):
        for start, outcome in PLACE_OUTCOMES.items():
            if message.startswith(start):
                return outcome
    return "no message"


def _flash_kind(text: str) -> str:
    found = FLASH.search(text)
    if found is None:
        return "no message"
    return "changed meanwhile" if CHANGED_MEANWHILE.search(found.group(2)) else found.group(1)


def _phase_of(at: float, seconds: float) -> int | None:
    """Which measured phase a request started in (None: the warm-up); phase 2 lasts until
    the nightly finished."""
    return None if at < 0 else min(int(at // seconds), len(PHASES) - 1)


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


class Nightly:
    """`libnet nightly --json` in a process of its own; its time, report and CPU."""

    def __init__(self, config: Path, output: Path) -> None:
        self.config, self.output, self.log = config, output, output.with_suffix(".log")
        self.finished_at: float | None = None
        self.rusage = None
        self.status = None

    def start(self) -> None:
        command = [sys.executable, "-m", "libnet.cli", "nightly", "--config", str(self.config)]
        with self.output.open("wb") as out, self.log.open("wb") as log:
            self.started_at = time.monotonic()
            self.process = subprocess.Popen([*command, "--json"], stdout=out, stderr=log)
        self._waiter = threading.Thread(target=self._wait, daemon=True)
        self._waiter.start()

    def _wait(self) -> None:
        # wait4 rather than Popen.wait: the CPU time of the run and of its harvest workers
        _pid, status, self.rusage = os.wait4(self.process.pid, 0)
        self.status = os.waitstatus_to_exitcode(status)
        self.finished_at = time.monotonic()

    def cpu_seconds(self) -> float:
        """CPU time so far, of the run and of the worker processes it started."""
        if self.rusage is not None:
            return self.rusage.ru_utime + self.rusage.ru_stime
        try:
            return _process_cpu(self.process.pid, children=True)
        except (FileNotFoundError, ProcessLookupError):  # it ended just now
            self._waiter.join()
            return self.rusage.ru_utime + self.rusage.ru_stime

    def wait(self, timeout: float) -> None:
        self._waiter.join(timeout)

    def finish(self, phase_start: float, phase_end: float) -> dict:
        """What the run did and how long it took; killed if it still runs."""
        if self.finished_at is None:
            self.process.kill()
            self._waiter.join()
        log = self.log.read_text(encoding="utf-8", errors="replace")
        try:
            got = json.loads(self.output.read_text(encoding="utf-8"))
        except ValueError:
            got = {}
        return {
            "seconds": self.finished_at - self.started_at,
            "started_after": self.started_at - phase_start,
            "within_phase": self.finished_at <= phase_end,
            "exit_status": self.status,
            "cpu": self.cpu_seconds(),
            "report": got,
            "log_errors": [line for line in log.splitlines() if " ERROR " in line][:5],
        }


def _process_cpu(pid: int, *, children: bool) -> float:
    """User and system time of a process, with its waited-for children's and, if asked, its
    running children's."""
    stat = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = sum(int(x) for x in stat[11:15])  # utime, stime, cutime, cstime
    seconds = ticks / os.sysconf("SC_CLK_TCK")
    if children:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for kid in kids:
            # a worker that ended meanwhile is in cutime by now, or soon
            with contextlib.suppress(FileNotFoundError):
                seconds += _process_cpu(int(kid), children=False)
    return seconds


def _snapshot(server: Server, nightly: Nightly | None = None) -> dict:
    """The clocks at a phase boundary: CPU of each party, of the machine, the load."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ticks = [int(x) for x in fields]
    busy = sum(ticks[:8]) - ticks[3] - ticks[4]  # all but idle and iowait
    return {
        "at": time.monotonic(),
        "utc": datetime.now(UTC).isoformat(),
        "server": server.cpu_seconds(),
        "client": time.process_time(),
        "nightly": nightly.cpu_seconds() if nightly else 0.0,
        "busy": busy / os.sysconf("SC_CLK_TCK"),
        "load": os.getloadavg(),
    }


# --------------------------------------------------------------------------- the report


def _in_phase(requests: list[dict], phase: int, seconds: float) -> list[dict]:
    return [q for q in requests if _phase_of(q["at"], seconds) == phase]


def _errors(requests: list[dict]) -> list[dict]:
    return [q for q in requests if q["outcome"] not in ("ok", "conflict")]


def _ms(requests: list[dict]) -> list[float]:
    return [q["ms"] for q in requests] or [0.0]


def _loads(values) -> str:
    return ", ".join(f"{x:.2f}" for x in values)


def report(r: dict, records: int, seed: int, minutes: float, loads: Loads) -> str:
    seconds, requests = r["seconds"], r["requests"]
    phases = [_in_phase(requests, n, seconds) for n in range(len(PHASES))]
    searchers = r["users"] - r["patrons"] - r["librarians"]
    verdicts = []
    for these in phases:
        p95 = percentile(_ms(these), 0.95)
        verdicts.append("met" if not _errors(these) and p95 < TARGET_P95_MS else "MISSED")
    lines = served_head("Load", r, minutes, loads,
        f"python -m bench.load --records {records} --seed {seed} --users {r['users']} "
        f"--patrons {r['patrons']} --seconds {seconds:.0f} --think {r['think']:g}")  # fmt: skip
    lines += [
        f"The demo catalogue ({r['generated']:,} records generated, {r['stored']:,} stored, "
        f"{r['clusters']:,} clusters in the index) served by `libnet serve` on 127.0.0.1 with "
        f"its defaults, {WORKERS} worker processes of {DEFAULT_THREADS} threads (gunicorn, "
        f"gthread), SQLite. {r['users']} simulated users, threads of one Python process on the "
        "same machine, each on its own kept-alive connection (http.client) with its own "
        f"cookies, waiting {0.5 * r['think']:g} to {1.5 * r['think']:g} s between two pages "
        f"(redirects are followed at once): {searchers} searchers (bench/search.py's query mix "
        "with its filters and sorts; then a facet value in "
        f"{FACET_SHARE:.0%} and the next page in {NEXT_PAGE_SHARE:.0%} of the searches; then "
        f"one or two records from the hits); {r['patrons']} patrons of the town libraries, in "
        "visits of logging in through the form with its CSRF token, two searches with three "
        "records each, ordering the first title another library lends through the record "
        "page's form (pickup at home), their requests page (cancelling the oldest not yet "
        f"shipped in {CANCEL_SHARE:.0%} of the visits, or when {CANCEL_FROM} wait), logging "
        f"out; {r['librarians']} librarians, one of each library, logged in once, working "
        "their queues in rounds through the pages' batch forms with CSRF (incoming: will "
        "supply, then ship with the proposed due date; outgoing: received, handed to the "
        "patron; sometimes the pull slips and one request's page) and the return through the "
        "JSON API with a bearer token (`/api/v1/loans`: returned by the patron and shipped "
        "back, then back on the supplier's shelf), so requests run their course within the "
        "run. Accounts and tokens were made before the clock started. Latency is from sending "
        "the request to the last byte of the answer. An error is any status other than "
        "2xx/3xx save the API's 409 conflicts (counted apart), a connection error, a form "
        "refused as expired (CSRF), or a logged-in user sent to the login page.",
        "",
        f"Phase 1: {seconds:.0f} s after a {WARMUP_SECONDS} s warm-up. Phase 2: from then on "
        f"for {seconds:.0f} s, or longer until the nightly had finished, with `libnet nightly` "
        "started at its beginning on exports of "
        f"{', '.join(CHANGED_LIBRARIES)} in which 245 $a of every {round(1 / CHANGED_SHARE)}th "
        f'record got " - Neuausgabe" ({r["edited"]:,} records), swapped in as the phase began.',
        "",
        "| phase | requests | requests/s | errors | 409s | p50 ms | p95 ms | p99 ms | max ms "
        "| CPU s: server / users / nightly / others | load average after | target |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|---|",
    ]
    names = ("1: users alone", "2: with `libnet nightly`")
    for n, these in enumerate(phases):
        p = r["phases"][n]
        others = p["machine"] - p["server"] - p["client"] - p["nightly"]
        conflicts = sum(1 for q in these if q["outcome"] == "conflict")
        lines.append(
            f"| {names[n]} | {len(these):,} | {len(these) / p['seconds']:,.0f} | "
            f"{len(_errors(these)):,} | {conflicts:,} | {_latency(_ms(these))} | "
            f"{p['server']:.1f} / {p['client']:.1f} / {p['nightly']:.1f} / {max(others, 0):.1f} "
            f"of {p['seconds'] * (os.cpu_count() or 1):.0f} | {_loads(p['load_after'])} | "
            f"0 errors, p95 < {TARGET_P95_MS} ms: {verdicts[n]} |"
        )
    lines += [
        "",
        "CPU: user and system seconds of the server (master and workers), of the simulated "
        "users' process, of the nightly (with its harvest workers), and of everything else on "
        "the machine (from /proc/stat), out of the phase's seconds times the cores.",
        "",
        *_nightly_lines(r, seconds),
        "",
        *_slices(phases[1], seconds, r["nightly"]["report"]),
        "",
        "| kind of request | phase 1 requests | p50 | p95 | p99 | max | phase 2 requests | p50 "
        "| p95 | p99 | max |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    kinds = sorted({q["kind"] for these in phases for q in these})
    for kind in kinds:
        cells = []
        for these in phases:
            of_kind = [q for q in these if q["kind"] == kind]
            cells.append(f"{len(of_kind):,} | {_latency(_ms(of_kind))}" if of_kind else NONE)
        lines.append(f"| {kind} | {' | '.join(cells)} |")
    lines += ["", *_loan_lines(r), ""]
    for n, these in enumerate(phases):
        errors = _errors(these)
        if errors:
            shown = Counter(
                f"{q['outcome']} ({q['kind']}: {re.sub(r'/[0-9]+', '/ID', q['what'])})"
                for q in errors
            )
            lines.append(f"Errors in phase {n + 1}: " + "; ".join(
                f"{count:,} × {what}" for what, count in shown.most_common(5)) + ".")  # fmt: skip
            lines.append("")
    if r["server_errors"]:
        lines += ["The server's log, warm-up included: unhandled errors and the exceptions "
                  "behind them:", ""]  # fmt: skip
        lines += [
            f"- {n:,} × `{line[:240]}`"
            for line, n in r["server_errors"].items()
            if not line.startswith("sqlite3.")  # SQLAlchemy's exception repeats it
        ]
    lines.append("")
    return "\n".join(lines)


def _nightly_lines(r: dict, seconds: float) -> list[str]:
    nightly, pickup = r["nightly"], r["pickup"]
    got = nightly["report"]
    within = (
        f"within the phase's {seconds:.0f} s"
        if nightly["within_phase"]
        else f"**not within {seconds:.0f} s**: phase 2 went on until it had"
    )
    line = (
        f"The nightly took {nightly['seconds']:.1f} s ({nightly['cpu']:.0f} CPU s), started "
        f"{nightly['started_after']:.1f} s into phase 2 and finished {within}; exit status "
        f"{nightly['exit_status']}, outcome {got.get('outcome', 'unknown')}."
    )
    if got:
        libraries = got.get("libraries", [])
        changed = sum(lib.get("changed", 0) for lib in libraries)
        harvest_s = sum(lib.get("seconds", 0) for lib in libraries)
        index = got.get("index", {})
        line += (
            f" Harvest of {len(libraries)} libraries {harvest_s:.1f} s ({changed:,} records "
            f"changed); index {index.get('seconds', 0):.1f} s ({index.get('records', 0):,} "
            f"records regrouped, clusters {index.get('added', 0):,} added, "
            f"{index.get('changed', 0):,} changed, {index.get('removed', 0):,} removed; "
            f"{'rebuilt' if index.get('rebuilt') else 'incremental'})."
        )
    for error in got.get("errors", []) + nightly["log_errors"]:
        line += f" Error: `{error[:200]}`."
    before, after = Counter(pickup["before"]), Counter(pickup["after"])
    line += (
        f" A search for `neuausgabe` on {len(pickup['after'])} fresh connections found "
        f"{_totals(before)} clusters before the run and {_totals(after)} after the nightly"
    )
    line += "." if len(after) == 1 else ": the workers did not agree."
    return [line]


def _totals(counts: Counter) -> str:
    return " / ".join(f"{total:,}" for total in sorted(counts))


def _slices(requests: list[dict], seconds: float, nightly: dict) -> list[str]:
    """Phase 2's p95 in slices of SLICE_SECONDS, to see when the nightly weighs."""
    cells = []
    end = max((q["at"] - seconds for q in requests), default=0)
    for start in range(0, int(end) + 1, SLICE_SECONDS):
        these = [q for q in requests if start <= q["at"] - seconds < start + SLICE_SECONDS]
        if these:
            cells.append(f"{start}–{start + SLICE_SECONDS} s: {percentile(_ms(these), 0.95):.0f}")
    line = "p95 ms in phase 2 by time since its start: " + ", ".join(cells) + "."
    if nightly:
        harvest_s = sum(lib.get("seconds", 0) for lib in nightly.get("libraries", []))
        index_s = nightly.get("index", {}).get("seconds", 0)
        line += (
            f" The nightly harvested for about the first {harvest_s:.0f} s and updated the "
            f"index for the {index_s:.0f} s after."
        )
    return [line]


def _loan_lines(r: dict) -> list[str]:
    lines = ["The loan network's work, as the store recorded it (loan events) and as the users "
             "saw it:", ""]  # fmt: skip
    actions = ("place", "will_supply", "ship", "receive", "hand_to_patron", "patron_returned",
               "ship_back", "receive_back", "patron_cancel")  # fmt: skip
    for n, counts in enumerate(r["loans"]["by_phase"]):
        done = ", ".join(f"{action} {counts.get(action, 0):,}" for action in actions)
        seen = ", ".join(f"{what} {count:,}" for what, count in sorted(r["events"][n].items()))
        lines.append(f"- phase {n + 1}: {done}; users: {seen or 'nothing'}.")
    states = ", ".join(f"{s} {c:,}" for s, c in sorted(r["loans"]["states"].items()))
    lines.append(f"- requests by state at the end: {states}.")
    return lines


if __name__ == "__main__":
    sys.exit(main())
