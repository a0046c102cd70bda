"""The record page with live availability: its p95 when the libraries' DAIA services answer in
200 ms, when their SIP2 systems answer in 50 ms per copy, and when neither answers at all.

Run on demand, never in the test suite:

    .venv/bin/python -m bench.availability [--titles N] [--requests R] [--write]

N demo titles (default 600) are generated, harvested and indexed (not measured). A DAIA
service of its own (a werkzeug server on 127.0.0.1 that answers every id with one copy on the
shelf) stands for every one of the eleven demo libraries ([libraries.availability] type
"daia", timeout 2 s). The app runs in this process and R record pages (default 50), each of
another title held by at least two libraries, are asked for one after the other through
Flask's test client, so every page finds the cache cold:

- no live source (type "none"): the page as it was, for comparison;
- DAIA answering after 200 ms;
- DAIA answering after 5 s, past the timeout: each page waits the 2 s once;
- the last pages again, with the services still slow: answered from the cache, which keeps
  a failure as long as an answer (cache_seconds, 60 s);
- SIP2 ([libraries.availability] type "sip2", timeout 2 s, max_connections 4): pysip2's
  server on 127.0.0.1 (tests/peers/sip2.py, so pysip2 of the test extra is needed) that
  answers Item Information for any barcode with "available" 50 ms after each question, per
  connection; and the same server hanging, answering nothing.

Latency is from the request to the last byte of the page. `--write` puts the results, with the
machine, the commit and the load, into docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from flask.testing import FlaskClient
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from bench.harvest import DOC, code_version, machine, write_section
from bench.search import percentile
from harvesters.run import harvest_all
from index.update import update_index
from libnet.availability.config import AvailabilityConfig
from libnet.config import Config, StorageConfig
from libnet.demo import generate, library_configs
from libnet.store import open_store
from tests.peers.sip2 import Fault, Shelved, Sip2Peer
from webapp import create_app

TIMEOUT = 2.0
SIP2_DELAY = 0.05  # seconds the SIP2 system takes for each copy
SLOW = 5.0  # seconds the timing-out service waits, well past TIMEOUT
TARGET_P95_MS = TIMEOUT * 1000 + 300  # a page never waits much longer than the timeout


class _Quiet(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: object) -> None:
        """Thousands of requests; the bench counts what matters."""


class Daia:
    """A DAIA service that answers any id with one copy on the shelf, after `delay` seconds."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.asked = 0
        self._stop = threading.Event()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.port}/daia?id={{id}}&format=json"

    def _app(self, environ, start_response):
        record_id = Request(environ).args.get("id", "")
        self.asked += 1
        self._stop.wait(self.delay)
        on_shelf = {"id": "http://uri.example/item/1", "available": [{"service": "loan"}]}
        document = {"id": f"http://uri.example/doc/{record_id}", "requested": record_id}
        document["item"] = [on_shelf]
        body = json.dumps({"document": [document]})
        return Response(body, content_type="application/json")(environ, start_response)

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()


class _AnyBarcode(dict):
    """The SIP2 system's items: every barcode asked about is a copy on the shelf."""

    def get(self, barcode: str, default: object = None) -> Shelved:
        return Shelved(barcode, "03")


def sip2_system() -> Sip2Peer:
    peer = Sip2Peer([], delay=SIP2_DELAY).__enter__()
    peer.items = _AnyBarcode()
    peer.fault = Fault.SLOW  # every Item Information answer SIP2_DELAY late
    return peer


def catalogue(titles: int, work: Path) -> Config:
    generate(work / "demo", titles=titles, seed=1)
    libraries = library_configs(work / "demo")
    config = Config(work / "config.toml", StorageConfig(work / "var"), libraries)
    store = open_store(config.storage.url, config.storage.data_dir)
    try:
        harvest_all(config, store)
        update_index(store, config.storage.data_dir)
    finally:
        store.close()
    return config


def served(config: Config, availability: AvailabilityConfig, warm: int) -> FlaskClient:
    """A client of the app with every library's availability so, warmed up on one page."""
    libraries = tuple(replace(lib, availability=availability) for lib in config.libraries)
    client = create_app(replace(config, libraries=libraries)).test_client()
    client.get(f"/record/{warm}")  # opens the index and the store
    return client


def timed(client: FlaskClient, ids: list[int]) -> list[float]:
    took = []
    for cluster_id in ids:
        started = time.perf_counter()
        response = client.get(f"/record/{cluster_id}")
        response.get_data()
        took.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (cluster_id, response.status_code)
    return took


def run(titles: int, requests: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="libnet-bench-") as tmp:
        config = catalogue(titles, Path(tmp))
        index_app = create_app(config)
        hits = index_app.extensions["libnet"].index.search("*", page_size=titles * 2).hits
        shared = [hit.id for hit in hits if len({h.library for h in hit.holdings}) >= 2]
        if len(shared) < requests + 1:
            raise SystemExit(f"only {len(shared)} titles of two libraries: raise --titles")
        ids = shared[1 : requests + 1]
        daia = Daia()
        daia_config = AvailabilityConfig("daia", daia.url, timeout=TIMEOUT, cache_seconds=60)
        try:
            results = {"none": timed(served(config, AvailabilityConfig(), shared[0]), ids)}
            daia.delay = 0.2
            results["daia_200ms"] = timed(served(config, daia_config, shared[0]), ids)
            daia.delay = SLOW
            client = served(config, daia_config, shared[0])
            results["daia_timeout"] = timed(client, ids)
            results["daia_timeout_cached"] = timed(client, ids[-10:])
            sip2 = sip2_system()
            sip2_config = AvailabilityConfig("sip2", timeout=TIMEOUT, host="127.0.0.1",
                                             port=sip2.port, location_code="BENCH")  # fmt: skip
            try:
                results["sip2_50ms"] = timed(served(config, sip2_config, shared[0]), ids)
                asked = len(sip2.item_requests)
                sip2.fault = Fault.HANG
                results["sip2_hanging"] = timed(served(config, sip2_config, shared[0]), ids)
            finally:
                sip2.__exit__(None, None, None)
        finally:
            daia.stop()
    return {"titles": titles, "libraries": len(config.libraries), "results": results,
            "sip2_copies": asked}  # fmt: skip


NAMES = {
    "none": "no live source (harvested status only)",
    "daia_200ms": "DAIA answering in 200 ms",
    "daia_timeout": f"DAIA not answering (timeout {TIMEOUT:g} s)",
    "daia_timeout_cached": "the same, pages seen before (failures cached)",
    "sip2_50ms": f"SIP2 answering in {SIP2_DELAY * 1000:.0f} ms per copy",
    "sip2_hanging": f"SIP2 hanging (timeout {TIMEOUT:g} s)",
}


def report(found: dict, started: tuple, ended: tuple, minutes: float, command: str) -> str:
    rows = []
    for key, values in found["results"].items():
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        rows.append(f"| {NAMES[key]} | {len(values)} | {p50:.0f} | {p95:.0f} | {max(values):.0f} |")
    timeout_p95 = max(percentile(found["results"][key], 0.95)
                      for key in ("daia_timeout", "sip2_hanging"))  # fmt: skip
    met = "met" if timeout_p95 <= TARGET_P95_MS else "NOT met"
    loads = [", ".join(f"{x:.2f}" for x in values) for values in (started, ended)]
    return "\n".join([
        f"## Live availability on the record page, {date.today().isoformat()}",
        "",
        f"{machine()}.",
        f"Code: {code_version()}.",
        f"`{command}` took {minutes:.1f} minutes, data generation, harvest and index build "
        f"included. Load average (1, 5, 15 min) before: {loads[0]}; after: {loads[1]}.",
        "",
        f"The demo catalogue of {found['titles']} titles; all {found['libraries']} libraries ask "
        f"one DAIA service on 127.0.0.1 (`[libraries.availability]` type \"daia\", timeout "
        f"{TIMEOUT:g} s, cache_seconds 60), which answers every id with one copy on the shelf "
        "after the delay named. Record pages of titles held by two or more libraries, each title "
        "once (the cache cold), one after the other through Flask's test client in one process; "
        "latency to the last byte of the page. For SIP2 the same libraries ask one SIP2 server "
        f"on 127.0.0.1 (type \"sip2\", timeout {TIMEOUT:g} s, max_connections 4) instead, "
        f"which answers each Item Information {SIP2_DELAY * 1000:.0f} ms after the question "
        f"({found['sip2_copies']} copies asked over the {len(found['results']['sip2_50ms'])} "
        "pages), and then the same server hanging.",
        "",
        "| service | pages | p50 ms | p95 ms | max ms |",
        "|---|--:|--:|--:|--:|",
        *rows,
        "",
        f"Target: a page waits at most the timeout for all libraries together, p95 under "
        f"{TARGET_P95_MS:.0f} ms with a service that never answers (DAIA or SIP2): {met}.",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=600, help="demo titles (default 600)")
    parser.add_argument("--requests", type=int, default=50, help="pages each (default 50)")
    parser.add_argument("--write", action="store_true", help=f"write the results into {DOC}")
    args = parser.parse_args(argv)
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    started, load_before = time.monotonic(), os.getloadavg()
    found = run(args.titles, args.requests)
    minutes = (time.monotonic() - started) / 60
    command = f"bench/availability.py --titles {args.titles} --requests {args.requests}"
    section = report(found, load_before, os.getloadavg(), minutes, command)
    print(section)
    if args.write:
        write_section(DOC, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
