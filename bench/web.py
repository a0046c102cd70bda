"""Web search speed: search pages per second through `libnet serve` on the demo catalogue.

Run on demand, never in the test suite (`make bench-web`):

    .venv/bin/python -m bench.web [--records N] [--seed S] [--seconds T] [--clients C] [--write]

About N demo records are generated, harvested and indexed as bench/search.py does it (not
measured). Then `libnet serve` starts on 127.0.0.1 with 2 workers (its default threads) and C
client threads (default 8) each ask for search pages one after the other on a kept-alive
connection, for T seconds after a warm-up: page 1 of bench/search.py's query mix, each query
without filter, with format=book and with library=marl, sorted by relevance and by year.
Reported: requests per second, latency percentiles, errors, and the CPU time of server and
clients (which share the machine). `--write` puts the results, with the machine and the date,
into docs/performance.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from queue import Empty, Queue
from urllib.parse import urlencode

from bench.harvest import (
    Loads,
    bench_parser,
    code_version,
    demo_data,
    demo_libraries,
    machine,
    measure_and_report,
    took,
)
from bench.search import _latency, child, harvest, percentile, query_mix
from webapp.wsgi import DEFAULT_THREADS, READY_MESSAGE

WORKERS = 2
TARGET_RECORDS = 100_000
TARGET_RATE = 100  # requests/s
TARGET_P95_MS = 200
WARMUP_SECONDS = 5  # each worker opens the index and loads its arrays on its first search
TIMEOUT = 30  # seconds for one request
STARTS_WITHIN = 60


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_parser(__doc__, TARGET_RECORDS, "queries")
    parser.add_argument("--seconds", type=float, default=60, help="measured time (default 60)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.records < 1_000:
        raise SystemExit("--records: at least 1000")
    if args.clients < 1 or args.seconds <= 0:
        raise SystemExit("--clients and --seconds: more than 0")
    # the demo data breaks a few records on purpose; pymarc would log a warning for each
    logging.getLogger("pymarc").setLevel(logging.ERROR)

    def run(records: int, seed: int) -> dict:
        return run_all(records, seed, seconds=args.seconds, clients=args.clients)

    return measure_and_report(run, report, args)


# --------------------------------------------------------------------------- the measurements


def run_all(records: int, seed: int, *, seconds: float, clients: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="libnet-bench-") as tmp:
        site = indexed_site(records, seed, Path(tmp))
        with Server(site.config) as server:
            print(f"  {server.url}: warming up for {WARMUP_SECONDS} s", flush=True)
            load(server.port, site.mix, clients, WARMUP_SECONDS)
            cpu_before = server.cpu_seconds(), time.process_time()
            started = time.monotonic()
            requests = load(server.port, site.mix, clients, seconds)
            elapsed = time.monotonic() - started
            cpu = server.cpu_seconds() - cpu_before[0], time.process_time() - cpu_before[1]
            print(f"  {len(requests):,} requests in {elapsed:.1f} s", flush=True)
        server_errors = [line for line in server.log if " request " not in line and "ERROR" in line]
    return {
        **site.counts(),
        "clients": clients,
        "seconds": elapsed,
        "requests": requests,
        "server_cpu": cpu[0],
        "client_cpu": cpu[1],
        "server_errors": server_errors,
    }


@dataclass(frozen=True)
class Site:
    """Demo data harvested and indexed, a config.toml for a server on it, and a query mix."""

    files: Path
    data_dir: Path
    config: Path
    mix: list
    generated: int
    stored: int
    clusters: int

    def counts(self) -> dict:
        return {"generated": self.generated, "stored": self.stored, "clusters": self.clusters}


def indexed_site(records: int, seed: int, work: Path) -> Site:
    """About `records` demo records in work/, harvested and indexed, ready to be served."""
    files, data_dir, generated = demo_data(records, seed, work)
    harvested = harvest(files, data_dir)
    build = child("build", data_dir)
    print(f"  harvested and indexed: {build['total']:,} clusters", flush=True)
    config = work / "config.toml"
    config.write_text(config_toml(files, data_dir), encoding="utf-8")
    mix = query_mix(files, seed)
    return Site(files, data_dir, config, mix, generated, harvested["added"], build["total"])


def served_head(title: str, r: dict, minutes: float, loads: Loads, command: str) -> list[str]:
    """The first lines of the report of a benchmark that served an indexed_site()."""
    lines = [
        f"## {title}, {date.today().isoformat()}",
        "",
        f"{machine()}.",
        f"Code: {code_version()}.",
        took(command, "data generation, harvest and index build", minutes, loads),
        "",
    ]
    if r["generated"] < 0.9 * TARGET_RECORDS:
        lines += [f"**This run is at {r['generated']:,} records, not {TARGET_RECORDS:,}.**", ""]
    return lines


def config_toml(files: Path, data_dir: Path, *, rate_limits: bool = False) -> str:
    """config.toml for the demo libraries' files and a store in data_dir.

    Without rate_limits every simulated user comes from 127.0.0.1 and the per-client limits
    would measure themselves: they are switched off. With them, they keep their defaults and
    one proxy is trusted, so that each simulated client names its address in X-Forwarded-For.
    """
    lines = ["[storage]", f"data_dir = {json.dumps(str(data_dir))}", ""]
    if rate_limits:
        lines += ["[web]", "trusted_proxies = 1", ""]
    else:
        lines += ["[rate_limits]", "enabled = false", ""]
    for lib in demo_libraries("iso2709"):
        lines += [
            "[[libraries]]",
            f"code = {json.dumps(lib.code)}",
            f"name = {json.dumps(lib.name)}",
            f"holdings = {json.dumps(lib.holdings)}",
            "[libraries.source]",
            'type = "marc"',
            f"url = {json.dumps(str(files / lib.code / '*.mrc'))}",
            "",
        ]
    return "\n".join(lines)


class Server:
    """`libnet serve --port 0` in a process group of its own, stopped with SIGTERM."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.log: list[str] = []

    def __enter__(self) -> Server:
        command = [sys.executable, "-m", "libnet.cli", "serve", "--config", str(self.config)]
        self.process = subprocess.Popen(
            [*command, "--port", "0", "--workers", str(WORKERS)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        ready: Queue[str] = Queue()
        threading.Thread(target=self._read_log, args=(ready,), daemon=True).start()
        try:
            self.url = ready.get(timeout=STARTS_WITHIN)
        except Empty:
            self.__exit__()
            raise SystemExit("libnet serve did not start:\n" + "\n".join(self.log)) from None
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def _read_log(self, ready: Queue[str]) -> None:
        for line in self.process.stderr:
            if " request " not in line:  # one a request: only counted by the clients
                self.log.append(line.rstrip("\n"))
            if READY_MESSAGE in line:
                ready.put(re.search(r"url=(\S+)", line).group(1))

    def cpu_seconds(self) -> float:
        """User and system time of the server and its workers so far."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids += [int(pid) for pid in children.read_text().split()]
        ticks = 0
        for pid in pids:
            # the fields after the command name, which is in brackets and may hold spaces
            stat = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            ticks += int(stat[11]) + int(stat[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def load(port: int, mix: list, clients: int, seconds: float) -> list[dict]:
    """`clients` threads asking for search pages until `seconds` have passed; every request."""
    deadline = time.monotonic() + seconds
    done: list[list[dict]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=client, args=(port, mix[n::clients] or mix, deadline, done[n]))
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [request for requests in done for request in requests]


def client(port: int, mix: list, deadline: float, done: list[dict]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    n = 0
    while time.monotonic() < deadline:
        kind, text, filters, sort = mix[n % len(mix)]
        n += 1
        params = [("q", text), *((k, v) for k, values in filters.items() for v in values)]
        path = "/search?" + urlencode([*params, ("sort", sort)])
        started = time.perf_counter()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            outcome = "ok" if response.status == 200 else f"HTTP {response.status}"
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException) as exc:
            outcome = type(exc).__name__
            connection.close()
        ms = (time.perf_counter() - started) * 1000
        done.append({"kind": kind, "filters": filters, "sort": sort, "outcome": outcome, "ms": ms})
    connection.close()


# --------------------------------------------------------------------------- the report


def _variant(r: dict) -> str:
    filters = ", ".join(f"{k}={'|'.join(v)}" for k, v in r["filters"].items()) or "no filter"
    return f"{filters}, {r['sort']}"


def report(r: dict, records: int, seed: int, minutes: float, loads: Loads) -> str:
    requests, seconds = r["requests"], r["seconds"]
    ok = [q for q in requests if q["outcome"] == "ok"]
    errors = Counter(q["outcome"] for q in requests if q["outcome"] != "ok")
    ms = [q["ms"] for q in ok] or [0.0]
    rate, p95 = len(ok) / seconds, percentile(ms, 0.95)
    met = rate >= TARGET_RATE and p95 < TARGET_P95_MS
    lines = served_head("Web search", r, minutes, loads,
        f"python -m bench.web --records {records} --seed {seed} --seconds {seconds:.0f} "
        f"--clients {r['clients']}")  # fmt: skip
    lines += [
        f"The demo catalogue ({r['generated']:,} records generated, {r['stored']:,} stored, "
        f"{r['clusters']:,} clusters in the index) served by `libnet serve` on 127.0.0.1 with "
        f"{WORKERS} worker processes of {DEFAULT_THREADS} threads (gunicorn, gthread). "
        f"{r['clients']} client threads in one Python process on the same machine asked for "
        "`/search` pages (20 hits with facet counts, HTML) one after the other, each on its "
        f"own kept-alive connection, for {seconds:.0f} s after a {WARMUP_SECONDS} s warm-up: "
        "bench/search.py's query mix (common words, two title words, phrases, surnames, "
        "ISBN-10 with hyphens, ISBN-13), each without filter, with format=book and with "
        "library=marl, sorted by relevance and by year. Latency is from sending the request to "
        "the last byte of the page.",
        "",
        "| requests | errors | requests/s | p50 ms | p95 ms | p99 ms | max ms | target |",
        "|--:|--:|--:|--:|--:|--:|--:|---|",
        f"| {len(requests):,} | {sum(errors.values()):,} | {rate:,.0f} | {_latency(ms)} | "
        f"≥ {TARGET_RATE}/s, p95 < {TARGET_P95_MS} ms: {'met' if met else 'MISSED'} |",
        "",
        f"CPU time while measured: server (master and workers) {r['server_cpu']:.1f} s, "
        f"{r['server_cpu'] / max(len(requests), 1) * 1000:.1f} ms a request; the clients "
        f"{r['client_cpu']:.1f} s, out of {seconds * (os.cpu_count() or 1):.0f} s on "
        f"{os.cpu_count()} cores.",
        "",
    ]
    if errors:
        lines += ["Errors: " + ", ".join(f"{n:,} × {what}" for what, n in errors.most_common())]
        lines += [f"- server: `{line}`" for line in r["server_errors"][:5]] + [""]
    lines += [
        "| queries | requests | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for label, key in (("kind", lambda q: q["kind"]), ("variant", _variant)):
        for value in sorted({key(q) for q in ok}):
            these = [q["ms"] for q in ok if key(q) == value]
            lines.append(f"| {label}: {value} | {len(these):,} | {_latency(these)} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
