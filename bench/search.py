"""Union index speed and memory: full build, a 1 % update and searches on the demo catalogue.

Run on demand, never in the test suite:

    .venv/bin/python -m bench.search [--records N] [--seed S] [--write]

About N demo records are generated as ISO 2709 and harvested into a fresh SQLite store (neither
is measured). Then, each in a subprocess of its own so that its peak memory (ru_maxrss) is its
own: a full `update_index` (clustering and Whoosh build); the 245 $a of about 1 % of the
records is changed in the files, the libraries are harvested again and an incremental
`update_index` runs; finally one long-lived process opens the index once and times a mix of
searches and completions. `--write` puts the results, with the machine and the date, into
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

from pymarc import MARCReader, Record, Subfield
from pymarc.exceptions import PymarcException

from bench import switch
from bench.harvest import (
    Loads,
    bench_parser,
    code_version,
    demo_data,
    machine,
    measure_and_report,
    took,
)
from index.search import UnionIndex
from index.update import index_path, update_index
from libnet.config import StorageConfig
from libnet.store import open_store

ROOT = Path(__file__).resolve().parents[1]

HARVEST = ROOT / "bench" / "harvest.py"
CHANGED_SHARE = 0.01
TARGET_RECORDS = 1_000_000
COMMON = ("der", "die welt", "liebe", "krimi", "mord", "kinder", "geschichte", "sommer")
# every query runs in each of these: (filters, sort)
VARIANTS = (
    ({}, "relevance"),
    ({}, "year_desc"),
    ({"format": ["book"]}, "relevance"),
    ({"format": ["book"]}, "year_desc"),
    ({"library": ["marl"]}, "relevance"),
    ({"library": ["marl"]}, "year_desc"),
)
PREFIXES = ("di", "de", "ma", "mü", "sc", "we", "ka", "lie", "sch", "ber", "kri", "mei", "wel")
_ISBN10_HYPHENATED = re.compile(r"\d{1,5}-\d+-\d+-[\dX]")
_ISBN13_PLAIN = re.compile(r"97[89]\d{10}")
_TITLE_END = re.compile(r"(.*?)(\s*[/:;=.,]*\s*)", re.S)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_parser(__doc__, 100_000, "queries")
    # the subprocess that does one measurement: build|update DATA_DIR, or search DATA_DIR QUERIES
    parser.add_argument("--child", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        step, data_dir, *rest = args.child
        if step == "search":
            result = search_in_this_process(Path(data_dir), Path(rest[0]))
        elif step == "switch":  # the searches of a web process after a commit
            result = switch.measure(Path(data_dir), Path(rest[0]))
        else:
            result = index_in_this_process(Path(data_dir), full=step == "build")
        print(json.dumps(result))
        return 0
    if args.records < 1_000:
        raise SystemExit("--records: at least 1000")
    # the demo data breaks a few records on purpose; pymarc would log a warning for each
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    return measure_and_report(run_all, report, args)


# --------------------------------------------------------------------------- the measurements


def run_all(records: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="libnet-bench-") as tmp:
        work = Path(tmp)
        files, data_dir, generated = demo_data(records, seed, work)
        harvested = harvest(files, data_dir)
        print(f"  harvested: {harvested['added']:,} stored", flush=True)
        build = child("build", data_dir)
        print(f"  full build: {build['seconds']:.1f} s, {build['total']:,} clusters", flush=True)
        edited = change_titles(files, CHANGED_SHARE)
        reharvested = harvest(files, data_dir)
        print(f"  {edited:,} titles edited, {reharvested['changed']:,} records changed", flush=True)
        update = child("update", data_dir)
        print(f"  incremental update: {update['seconds']:.1f} s", flush=True)
        queries = work / "queries.json"
        queries.write_text(json.dumps(query_mix(files, seed)), encoding="utf-8")
        search = child("search", data_dir, str(queries))
        print(f"  {len(search['searches'])} searches timed", flush=True)
        after = child("switch", data_dir, str(queries))
    return {
        "switch": after,
        "generated": generated,
        "harvested": harvested,
        "build": build,
        "edited": edited,
        "reharvested": reharvested,
        "update": update,
        "search": search,
    }


def harvest(files: Path, data_dir: Path) -> dict:
    """Harvest every library with bench/harvest.py's own subprocess; its counts and timing."""
    command = [sys.executable, str(HARVEST), "--child", "iso2709", str(files), str(data_dir)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the harvest of {files} failed (exit status {done.returncode})")
    return json.loads(done.stdout)


def child(step: str, *args: str | Path) -> dict:
    """One measurement in a fresh Python process."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", step, *map(str, args)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {step} step failed (exit status {done.returncode})")
    return json.loads(done.stdout)


def index_in_this_process(data_dir: Path, *, full: bool) -> dict:
    """update_index on the store in data_dir; the report, seconds, index size and peak RSS."""
    store = open_store(StorageConfig(data_dir).url, data_dir)
    started = time.perf_counter()
    result = update_index(store, data_dir, full=full)
    seconds = time.perf_counter() - started
    store.close()
    folder = index_path(data_dir).resolve()
    du = subprocess.run(["du", "-sk", str(folder)], capture_output=True, text=True, check=True)
    return asdict(result) | {
        "seconds": seconds,
        "index_mb": int(du.stdout.split()[0]) / 1024,
        "peak_mb": _peak_mb(),
    }


def search_in_this_process(data_dir: Path, queries: Path) -> dict:
    """Open the index once, then time every search and completion one after the other."""
    started = time.perf_counter()
    union = UnionIndex(index_path(data_dir))
    opened = time.perf_counter() - started
    # the first search opens the searcher and loads its per-document arrays, once per commit
    started = time.perf_counter()
    union.search("buch")
    first = time.perf_counter() - started
    searches = []
    for kind, text, filters, sort in json.loads(queries.read_text(encoding="utf-8")):
        started = time.perf_counter()
        result = union.search(text, filters=filters, sort=sort)
        ms = (time.perf_counter() - started) * 1000
        searches.append({"kind": kind, "text": text, "filters": filters, "sort": sort,
                         "ms": ms, "total": result.total})  # fmt: skip
    completions = []
    for prefix in PREFIXES:
        started = time.perf_counter()
        found = union.complete(prefix)
        completions.append({"prefix": prefix, "ms": (time.perf_counter() - started) * 1000,
                            "found": len(found)})  # fmt: skip
    edited = union.search("neuausgabe").total  # the titles changed for the update step
    status = Path("/proc/self/status").read_text()
    rss = re.search(r"^VmRSS:\s*(\d+) kB", status, re.M)
    return {
        "open_ms": opened * 1000,
        "first_ms": first * 1000,
        "searches": searches,
        "completions": completions,
        "edited_found": edited,
        "rss_mb": int(rss.group(1)) / 1024 if rss else 0.0,
        "peak_mb": _peak_mb(),
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def change_titles(files: Path, share: float) -> int:
    """Append a word to 245 $a of every 1/share-th record in the ISO 2709 files; how many.

    Records pymarc cannot read (the demo data breaks a few on purpose) stay as they are.
    """
    step, position, edited = round(1 / share), 0, 0
    for path in sorted(files.glob("*/*.mrc")):
        chunks = path.read_bytes().split(b"\x1d")
        for n, raw in enumerate(chunks[:-1]):
            position += 1
            if position % step:
                continue
            try:
                record = Record(data=raw + b"\x1d", force_utf8=True)
            except (PymarcException, UnicodeDecodeError, ValueError):
                continue
            title = record.get("245")
            if title is None or not title.get("a"):
                continue
            start, end = _TITLE_END.fullmatch(title["a"]).groups()
            title.subfields = [
                Subfield("a", f"{start} - Neuausgabe{end}") if s.code == "a" else s
                for s in title.subfields
            ]
            chunks[n] = record.as_marc()[:-1]
            edited += 1
        path.write_bytes(b"\x1d".join(chunks))
    return edited


def query_mix(files: Path, seed: int) -> list[tuple[str, str, dict, str]]:
    """Common words, two title words, quoted phrases, surnames and ISBNs, in every variant."""
    titles, surnames, isbn10, isbn13 = [], set(), set(), set()
    for path in sorted(files.glob("*/*-0001.mrc")):
        with path.open("rb") as stream:
            for record in MARCReader(stream, to_unicode=True, force_utf8=True, permissive=True):
                if record is None:
                    continue
                for field in record.get_fields("245"):
                    words = re.findall(r"\w+", field.get("a") or "")
                    if len([w for w in words if len(w) >= 4]) >= 2:
                        titles.append(words)
                for field in record.get_fields("100"):
                    surname = (field.get("a") or "").partition(",")[0].strip()
                    if len(surname) > 2 and surname.isalpha():
                        surnames.add(surname)
                for field in record.get_fields("020"):
                    number = (field.get("a") or "").split(" ")[0]
                    if _ISBN10_HYPHENATED.fullmatch(number):
                        isbn10.add(number)
                    elif _ISBN13_PLAIN.fullmatch(number):
                        isbn13.add(number)
    rng = random.Random(seed)
    pairs = rng.sample(titles, 16)
    base = [("common word", q) for q in COMMON]
    for words in pairs[:8]:
        longer = [w for w in words if len(w) >= 4]
        base.append(("two words", " ".join(rng.sample(longer, 2)).lower()))
    for words in pairs[8:]:  # two neighbouring words of a title, short ones included
        start = rng.randrange(len(words) - 1)
        base.append(("phrase", f'"{" ".join(words[start : start + 2])}"'.lower()))
    base += [("surname", s) for s in rng.sample(sorted(surnames), 8)]
    base += [("ISBN-10, hyphens", s) for s in rng.sample(sorted(isbn10), 5)]
    base += [("ISBN-13", s) for s in rng.sample(sorted(isbn13), 5)]
    mix = [(kind, text, filters, sort) for kind, text in base for filters, sort in VARIANTS]
    rng.shuffle(mix)
    return mix


# --------------------------------------------------------------------------- the report


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of all values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _latency(values: list[float]) -> str:
    return " | ".join(
        f"{percentile(values, p):.0f}" if p < 1 else f"{max(values):.0f}"
        for p in (0.5, 0.95, 0.99, 1)
    )


def _describe(s: dict) -> str:
    filters = ", ".join(f"{k}={'|'.join(v)}" for k, v in s["filters"].items()) or "no filter"
    return f"`{s['text']}` ({filters}, {s['sort']})"


def targets(r: dict, full_scale: bool, p95: float, slowest: float) -> list[str]:
    """The targets as a table: judged when the run is at scale, extrapolated when not."""
    build, update, search = r["build"], r["update"], r["search"]
    rows = [
        ("searchable index from the store under 10 minutes", build["seconds"], 600, "s"),
        ("1 % incremental update under 60 s", update["seconds"], 60, "s"),
        ("search with facet counts p95 under 100 ms", p95, 100, "ms"),
        ("no query over 1 s", slowest, 1000, "ms"),
        ("searcher under 1.5 GB", search["rss_mb"], 1536, "MB RSS"),
    ]
    if full_scale:
        lines = [f"Targets (for {TARGET_RECORDS:,} records):", "", "| target | this run | |"]
        lines.append("|---|--:|---|")
        for name, value, limit, unit in rows:
            verdict = "met" if value < limit else "MISSED"
            lines.append(f"| {name} | {value:,.1f} {unit} | {verdict} |")
        return lines
    lines = [f"Targets (for {TARGET_RECORDS:,} records; this run is smaller, so only a hint):"]
    lines += ["", "| target | this run |", "|---|--:|"]
    lines += [f"| {name} | {value:,.1f} {unit} |" for name, value, _limit, unit in rows]
    return lines


def report(r: dict, records: int, seed: int, minutes: float, loads: Loads) -> str:
    build, update, search = r["build"], r["update"], r["search"]
    searches = search["searches"]
    ms = [s["ms"] for s in searches]
    kinds = list(dict.fromkeys(s["kind"] for s in sorted(searches, key=lambda s: s["kind"])))
    completion_ms = [c["ms"] for c in search["completions"]]
    p95 = percentile(ms, 0.95)
    full_scale = r["generated"] >= 0.95 * TARGET_RECORDS
    at_scale = f"**This run is at {r['generated']:,} records, not {TARGET_RECORDS:,}.** "
    at_scale = "" if full_scale else at_scale
    lines = [
        f"## Union index at {r['generated']:,} records, {date.today().isoformat()}",
        "",
        f"{machine()}.",
        f"Code: {code_version()}.",
        took(
            f"python -m bench.search --records {records} --seed {seed}",
            "data generation and harvests",
            minutes,
            loads,
        ),
        "",
        f"{at_scale}The demo catalogue ({r['generated']:,} records generated as ISO 2709, "
        f"{r['harvested']['added']:,} stored, {r['harvested']['rejected']:,} broken on purpose) "
        "was harvested into a fresh SQLite store first (not measured). Each step below ran in "
        "a process of its own; peak RSS is that process's ru_maxrss.",
        "",
        "| step | records regrouped | clusters written | removed | clusters in index "
        "| seconds | index on disk MB | peak RSS MB |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, m in (("full build (`full=True`)", build), ("incremental, 1 % changed", update)):
        lines.append(
            f"| {name} | {m['records']:,} | {m['written']:,} | {m['removed']:,} | "
            f"{m['total']:,} | {m['seconds']:.1f} | {m['index_mb']:.0f} | {m['peak_mb']:.0f} |"
        )
    lines += [
        "",
        f'The 1 %: 245 $a of every 100th record in the files got " - Neuausgabe" '
        f"({r['edited']:,} records); the second harvest stored {r['reharvested']['changed']:,} "
        "as changed, then `update_index(store, data_dir)` took them into the clusters and the "
        f"index. Afterwards a search for `neuausgabe` found {search['edited_found']:,} "
        "clusters.",
        "",
        f"Search: one process opened `UnionIndex` once ({search['open_ms']:.0f} ms) and ran "
        f"{len(searches)} searches one after the other, page 1 of 20 hits with facet counts "
        "on library, format, language, decade and subject. The process keeps one Whoosh "
        "searcher with its per-document arrays (scores and facet counts in numpy, "
        "index/vectors.py); the first search, which opens it and loads the arrays, took "
        f"{search.get('first_ms', 0):,.0f} ms and is not among the timed ones. "
        f"{len(searches) // len(VARIANTS)} queries, each without filter, with format=book and "
        "with library=marl, each sorted by relevance and by year (newest first). Surnames, "
        "title words and ISBNs come from the generated records. RSS of the searching process "
        f"at the end: {search['rss_mb']:.0f} MB (peak {search['peak_mb']:.0f} MB).",
        "",
        "| queries | searches | median hits | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|--:|--:|--:|--:|--:|--:|",
        f"| all | {len(searches)} | {percentile([s['total'] for s in searches], 0.5):,} | "
        f"{_latency(ms)} |",
    ]
    for kind in kinds:
        these = [s for s in searches if s["kind"] == kind]
        hits = percentile([s["total"] for s in these], 0.5)
        lines.append(f"| {kind} | {len(these)} | {hits:,} | {_latency([s['ms'] for s in these])} |")
    lines += ["", "Slowest five searches:", ""]
    for s in sorted(searches, key=lambda s: -s["ms"])[:5]:
        lines.append(f"- {s['ms']:.0f} ms, {s['total']:,} hits: {_describe(s)}")
    lines += [
        "",
        f"Completion of {len(completion_ms)} prefixes of 2–3 letters "
        f"({', '.join(PREFIXES)}): p50 {percentile(completion_ms, 0.5):.0f} ms, "
        f"max {max(completion_ms):.0f} ms.",
        "",
        *switch.described(r.get("switch")),
        *targets(r, full_scale, p95, max(ms)),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
