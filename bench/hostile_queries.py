"""Hostile queries: a search box abused with wildcards, and what it costs everyone else.

Run on demand, never in the test suite:

    .venv/bin/python -m bench.hostile_queries [--records N] [--seed S] [--data-dir DIR]
        [--served [--seconds T]] [--write]

Builds the union index of about N demo records as bench/search.py does (demo files, a harvest
into a fresh SQLite store, a full `update_index`; none of it measured), or opens the one in
--data-dir when it holds an index already (and builds it there when not). Then, in one process
that opens the index once, as one web worker does (gunicorn's threads share its searcher):

(a) queries of 40 and 125 infix wildcards (`*al* *am* ...`), and the costliest ones the bounds
    still let through, each answered (hits or QueryTooBroad) within how many ms;
(b) ordinary searches (bench/search.py's common words, one after another) alone, then while
    four threads send hostile queries back to back: their p50 and p95;
(c) with --served, the same over HTTP against `libnet serve` as production runs it, rate
    limits on, four hostile clients of four addresses and of one (bench/hostile_served.py).

`--write` puts the results, with the machine, the date, the commit and /proc/loadavg, into
docs/performance.md under "Hostile queries".
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from bench.harvest import DOC, code_version, demo_data, machine, write_section
from bench.hostile_served import measure_served, served_report
from bench.search import COMMON, child, harvest, percentile
from index.errors import QueryTooBroad
from index.pricing import DEFAULT_BOUNDS
from index.search import UnionIndex
from index.update import index_path

FORTY = " ".join(f"*{a}{b}*" for a in "aeiou" for b in "lmnrstdg")
CONSONANTS = "bcdfghjklmnpqrstvwxyzäöüß"
ONE_HUNDRED_TWENTY_FIVE = " ".join(f"*{a}{b}*" for a in "aeiou" for b in CONSONANTS)
# hostile, and allowed by the bounds: the worst a client can still ask
COSTLY = {
    "40 infix wildcards": FORTY,
    "125 infix wildcards": ONE_HUNDRED_TWENTY_FIVE,
    "one infix wildcard `*a*`": "*a*",
    "one infix wildcard `*e*`": "*e*",
    "five one-letter prefixes `a* b* d* k* m*`": "a* b* d* k* m*",
    "five one-letter prefixes OR'd": "a* OR e* OR i* OR s* OR t*",
}
# what patrons type: these must keep working under the bounds, and quickly
ORDINARY_WILDCARDS = {
    "a prefix `lieb*`": "lieb*",
    "a short prefix `sch*`": "sch*",
    "a leading wildcard `*mann`": "*mann",
    "two prefixes `krimi* somm*`": "krimi* somm*",
}
HOSTILE_MIXES = {
    "40 infix wildcards": [FORTY],
    "the costliest allowed (`*a*`, `*e*`, five prefixes)": ["*a*", "*e*", "a* b* d* k* m*"],
}
HOSTILE_THREADS = 4
ORDINARY_ROUNDS = 8  # each round searches every COMMON query once


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="about this many records")
    parser.add_argument("--seed", type=int, default=1, help="seed of the demo data")
    parser.add_argument("--data-dir", type=Path, help="keep (or reuse) the store and index here")
    parser.add_argument("--served", action="store_true", help="also measure over HTTP")
    parser.add_argument(
        "--seconds", type=float, default=60, help="served: each phase this long (default 60)"
    )
    parser.add_argument("--write", action="store_true", help=f"write the results into {DOC}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    with _data_dir(args.data_dir) as data_dir:
        work = data_dir.parent / "hostile-files"
        if not index_path(data_dir).exists():
            files, _, generated = demo_data(args.records, args.seed, work)
            harvest(files, data_dir)
            child("build", data_dir)
            print(f"  {generated:,} records generated, index built", flush=True)
        load_before = Path("/proc/loadavg").read_text().strip()
        results = measure(UnionIndex(index_path(data_dir)))
        if args.served:
            results["served"] = measure_served(
                data_dir, work / "files", args.seconds, HOSTILE_MIXES
            )
        load_after = Path("/proc/loadavg").read_text().strip()
    text = report(results, load_before, load_after)
    if args.write:
        write_section(DOC, text)
    print(text)
    return 0


@contextmanager
def _data_dir(kept: Path | None) -> Iterator[Path]:
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        yield kept
        return
    with tempfile.TemporaryDirectory(prefix="libnet-bench-") as tmp:
        yield Path(tmp) / "var"


def answer(union: UnionIndex, text: str) -> tuple[float, str]:
    """How long the search took (ms) and what it answered."""
    started = time.perf_counter()
    try:
        found = f"{union.search(text).total:,} hits"
    except QueryTooBroad as exc:
        found = f"too broad ({exc.bound})"
    return (time.perf_counter() - started) * 1000, found


def ordinary(union: UnionIndex) -> list[float]:
    return [answer(union, text)[0] for _ in range(ORDINARY_ROUNDS) for text in COMMON]


def _hostile(
    union: UnionIndex, mix: list[str], stop: threading.Event, sent: list[int], n: int
) -> None:
    """One hostile client: the mix's queries back to back until stopped, counted in sent[n]."""
    while not stop.is_set():
        answer(union, mix[sent[n] % len(mix)])
        sent[n] += 1


def measure(union: UnionIndex) -> dict:
    union.search("buch")  # opens the searcher and loads its arrays
    costly = {}
    for name, text in {**COSTLY, **ORDINARY_WILDCARDS}.items():
        runs = [answer(union, text) for _ in range(3)]
        costly[name] = {
            "ms": max(ms for ms, _ in runs),
            "fastest": min(ms for ms, _ in runs),
            "answer": runs[-1][1],
            "ordinary": name in ORDINARY_WILDCARDS,
        }
        print(f"  {name}: {costly[name]}", flush=True)
    latencies = {"alone": ordinary(union)}
    for name, mix in HOSTILE_MIXES.items():
        stop = threading.Event()
        sent = [0] * HOSTILE_THREADS
        threads = [
            threading.Thread(target=_hostile, args=(union, mix, stop, sent, n))
            for n in range(HOSTILE_THREADS)
        ]
        for thread in threads:
            thread.start()
        started = time.perf_counter()
        latencies[name] = ordinary(union)
        seconds = time.perf_counter() - started
        stop.set()
        for thread in threads:
            thread.join()
        latencies[f"{name} (hostile queries answered per second)"] = [sum(sent) / seconds]
        print(f"  ordinary search beside {name}: done", flush=True)
    return {"costly": costly, "latencies": latencies, "docs": union.count()}


def report(r: dict, load_before: str, load_after: str) -> str:
    b = DEFAULT_BOUNDS
    lines = [
        f"## Hostile queries, {date.today().isoformat()}",
        "",
        f"{machine()}.",
        f"Code: {code_version()}. Index: {r['docs']:,} clusters of the demo catalogue.",
        f"Load (/proc/loadavg) before: {load_before}; after: {load_after}.",
        f"Bounds (index/pricing.py): {b.wildcard_words} wildcard words, {b.expanded_terms:,} "
        f"expanded words, {b.seconds:g} s per query.",
        "",
        "Target: 40 infix wildcards answer (hits or the clear message) in under 1 s; an "
        f"ordinary search keeps its speed while {HOSTILE_THREADS} hostile queries run at once.",
        "",
        "Each query three times in a row (the first reads postings that the next ones may "
        "find in the searcher's cache of terms):",
        "",
        "| query | slowest of 3 | fastest of 3 | answer |",
        "|---|--:|--:|---|",
    ]
    for name, c in r["costly"].items():
        label = f"ordinary: {name}" if c.get("ordinary") else name
        fastest = f"{c['fastest']:,.0f} ms" if "fastest" in c else ""
        lines.append(f"| {label} | {c['ms']:,.0f} ms | {fastest} | {c['answer']} |")
    lines += [
        "",
        f"Ordinary searches ({len(COMMON)} common words x {ORDINARY_ROUNDS}) in the same "
        f"process, alone and beside {HOSTILE_THREADS} threads sending hostile queries back to "
        "back (as one gunicorn worker's threads search one index):",
        "",
        "| beside | p50 ms | p95 ms | hostile queries/s |",
        "|---|--:|--:|--:|",
    ]
    lat = r["latencies"]
    alone = lat["alone"]
    lines.append(f"| nothing | {percentile(alone, 0.5):.0f} | {percentile(alone, 0.95):.0f} | |")
    for name in HOSTILE_MIXES:
        ms = lat[name]
        rate = lat[f"{name} (hostile queries answered per second)"][0]
        lines.append(
            f"| {HOSTILE_THREADS} threads of {name} | {percentile(ms, 0.5):.0f} | "
            f"{percentile(ms, 0.95):.0f} | {rate:,.0f} |"
        )
    if "served" in r:
        lines += ["", *served_report(r["served"])]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
