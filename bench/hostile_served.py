"""Hostile queries over HTTP: `libnet serve` as in production, abused by four clients at once.

bench/hostile_queries.py with --served runs this after its in-process part. `libnet serve`
starts on the same index with its default workers and threads, the rate limits on with their
defaults ([rate_limits]), and `[web] trusted_proxies = 1`, so that each simulated client names
its own address in X-Forwarded-For as nginx would. Then, for --seconds each:

- ordinary searches alone: patrons, each from an address of their own, search the common
  words of bench/search.py one after another, a search starting every ORDINARY_EVERY seconds
  (or as soon as the one before has answered, when that took longer);
- the same beside four hostile clients of four addresses, each sending one mix of
  hostile_queries.HOSTILE_MIXES back to back as fast as the server lets it: a 429 is counted
  and the next request sent at once (Retry-After is the attacker's to ignore);
- the same beside four hostile clients sharing one address.

Reported: the hostile requests answered (200: hits or the message that the search is too
broad), refused with 429 and failed otherwise, and the ordinary searches' p50, p95 and max.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from bench.search import COMMON, percentile
from bench.web import Server, config_toml

ORDINARY_EVERY = 0.5  # seconds between the starts of two ordinary searches
HOSTILE_CLIENTS = 4
TIMEOUT = 60  # seconds for one request
WARMUP_ROUNDS = 4  # of 8 parallel searches: each worker opens the index on its first one


class Client:
    """One simulated client on a kept-alive connection, presenting `address` to the proxy fix."""

    def __init__(self, port: int, address: str) -> None:
        self.port = port
        self.address = address
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)

    def search(self, text: str) -> tuple[str, float]:
        """("200", "429", ... or the exception's name) and the milliseconds to the last byte."""
        headers = {"X-Forwarded-For": self.address}
        started = time.perf_counter()
        try:
            self.connection.request("GET", "/search?" + urlencode({"q": text}), headers=headers)
            response = self.connection.getresponse()
            response.read()
            outcome = str(response.status)
            if response.will_close:
                self.connection.close()
        except (OSError, http.client.HTTPException) as exc:
            outcome = type(exc).__name__
            self.connection.close()
        return outcome, (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self.connection.close()


def measure_served(data_dir: Path, files: Path, seconds: float, mixes: dict) -> dict:
    """Serve the index in data_dir and measure each phase for `seconds`."""
    config = data_dir.parent / "served.toml"
    config.write_text(config_toml(files, data_dir, rate_limits=True), encoding="utf-8")
    phases: dict[str, dict] = {}
    with Server(config) as server:
        _warm_up(server.port)
        plan = [("nothing", [], "")]
        for name, mix in mixes.items():
            plan.append((name, mix, "four addresses"))
            plan.append((name, mix, "one address"))
        for n, (name, mix, addresses) in enumerate(plan, start=1):
            label = f"{name}, {addresses}" if mix else name
            print(f"  served: ordinary searches beside {label} ({seconds:.0f} s)", flush=True)
            phases[label] = _phase(server.port, n, mix, addresses == "one address", seconds)
            phases[label].update(name=name, addresses=addresses)
        errors = [line for line in server.log if "ERROR" in line]
    return {"phases": phases, "server_errors": errors, "seconds": seconds}


def _warm_up(port: int) -> None:
    for round_ in range(WARMUP_ROUNDS):
        threads = [
            threading.Thread(target=_search_once, args=(port, f"10.255.{round_}.{n}", "buch"))
            for n in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _search_once(port: int, address: str, text: str) -> None:
    client = Client(port, address)
    client.search(text)
    client.close()


def _phase(port: int, n: int, mix: list[str], shared: bool, seconds: float) -> dict:
    """Ordinary searches for `seconds`, beside hostile clients sending `mix` (none if empty)."""
    stop = threading.Event()
    hostile: list[Counter] = [Counter() for _ in range(HOSTILE_CLIENTS if mix else 0)]
    threads = [
        threading.Thread(
            target=_hostile,
            args=(Client(port, f"10.{n}.0.{1 if shared else k + 1}"), mix, stop, hostile[k]),
        )
        for k in range(len(hostile))
    ]
    for thread in threads:
        thread.start()
    ordinary: list[tuple[str, float]] = []
    started = time.monotonic()
    deadline = started + seconds
    patron = None
    while time.monotonic() < deadline:
        if len(ordinary) % len(COMMON) == 0:  # the next patron, from an address of their own
            if patron is not None:
                patron.close()
            patron = Client(port, f"10.{n}.1.{len(ordinary) // len(COMMON) + 1}")
        began = time.monotonic()
        ordinary.append(patron.search(COMMON[len(ordinary) % len(COMMON)]))
        time.sleep(max(0.0, began + ORDINARY_EVERY - time.monotonic()))
    elapsed = time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join()
    if patron is not None:
        patron.close()
    outcomes = Counter(outcome for outcome, _ in ordinary)
    return {
        "ordinary_ms": [ms for outcome, ms in ordinary if outcome == "200"],
        "ordinary_other": {k: v for k, v in outcomes.items() if k != "200"},
        "hostile": sum(hostile, Counter()),
        "seconds": elapsed,
    }


def _hostile(client: Client, mix: list[str], stop: threading.Event, counts: Counter) -> None:
    """One hostile client: the mix's queries back to back until stopped, 429s not waited out."""
    sent = 0
    while not stop.is_set():
        outcome, _ = client.search(mix[sent % len(mix)])
        counts[outcome] += 1
        sent += 1
    client.close()


def served_report(r: dict) -> list[str]:
    """The lines of the report's served part."""
    seconds = r["seconds"]
    lines = [
        f"Served: `libnet serve` (2 workers of 4 threads, its defaults) on 127.0.0.1, rate "
        "limits on with their defaults (search: 60 a minute per client, counted in each "
        "worker's memory), `[web] trusted_proxies = 1` so that each simulated client names its "
        "address in X-Forwarded-For. For "
        f"{seconds:.0f} s each, ordinary searches (the same common words, a search every "
        f"{ORDINARY_EVERY:g} s, {len(COMMON)} per patron address) alone and beside "
        f"{HOSTILE_CLIENTS} hostile clients sending `/search` requests back to back, a 429 "
        "counted and not waited out. Latency is to the last byte of the page.",
        "",
        "| beside | hostile addresses | hostile requests | answered (200) | 429 | other "
        "| ordinary searches | p50 ms | p95 ms | max ms |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for p in r["phases"].values():
        hostile = p["hostile"]
        total = sum(hostile.values())
        other = total - hostile.get("200", 0) - hostile.get("429", 0)
        ms = p["ordinary_ms"] or [0.0]
        failed = sum(p["ordinary_other"].values())
        count = f"{len(p['ordinary_ms'])}" + (f" (+{failed} failed)" if failed else "")
        beside = f"{HOSTILE_CLIENTS} clients of {p['name']}" if p["addresses"] else "nothing"
        lines.append(
            f"| {beside} | {p['addresses'] or '-'} | {total:,} | {hostile.get('200', 0):,} | "
            f"{hostile.get('429', 0):,} | {other:,} | {count} | {percentile(ms, 0.5):.0f} | "
            f"{percentile(ms, 0.95):.0f} | {max(ms):.0f} |"
        )
    failures = {k: v for p in r["phases"].values() for k, v in p["ordinary_other"].items()}
    if failures:
        lines += ["", "Ordinary searches not answered 200: " + str(failures)]
    if r["server_errors"]:
        lines += ["", "Server errors:"] + [f"- `{line}`" for line in r["server_errors"][:5]]
    return lines
