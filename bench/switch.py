"""The first searches of a web process after an index commit, on an index already built.

Run on demand, never in the test suite (bench/search.py runs it as its last search step):

    .venv/bin/python -m bench.switch DATA_DIR QUERIES_JSON

One process opens the union index in DATA_DIR and answers a first search (which opens the
searcher), then times the query mix of QUERIES_JSON (bench/search.py writes one). Then another
process rewrites REWRITTEN clusters and commits, as the nightly's index update does, and this
process goes on searching the mix: the first search after the commit is timed, and all those
until one finds the rewritten clusters, which shows that the searcher of the new commit took
over (index/switch.py opens it in the background). Prints the results as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from index.search import UnionIndex
from index.update import index_path

REWRITTEN = 1_000
MARK = "Umschreibung"  # appended to the rewritten clusters' titles
SWITCH_WITHIN = 120.0  # seconds at most until the new commit answers


def rewrite(data_dir: Path, count: int = REWRITTEN) -> int:
    """Write `count` clusters of the index again with MARK in their titles, in one commit."""
    union = UnionIndex(index_path(data_dir))
    ids = [hit.id for hit in union.search("*", page_size=count).hits]
    docs = [doc for doc in map(union.get, ids) if doc is not None]
    return union.write([replace(doc, title=f"{doc.title} {MARK}") for doc in docs])


def after_commit(union: UnionIndex, data_dir: Path, mix: list) -> dict:
    """Commit a rewrite in another process, then time this process's searches until one
    sees it: the first one, those in between, and how long until the new commit answered."""
    command = [sys.executable, "-m", "bench.switch", "--rewrite", str(data_dir)]
    subprocess.run(command, check=True, cwd=Path(__file__).resolve().parents[1])
    started = time.perf_counter()
    latencies, n = [], 0
    while True:
        _kind, text, filters, sort = mix[n % len(mix)]
        n += 1
        begun = time.perf_counter()
        union.search(text, filters=filters, sort=sort)
        latencies.append((time.perf_counter() - begun) * 1000)
        if union.search(MARK.lower(), page_size=1).total:
            break
        if time.perf_counter() - started > SWITCH_WITHIN:
            raise SystemExit(f"the new commit did not answer within {SWITCH_WITHIN} s")
    return {
        "first_after_commit_ms": latencies[0],
        "until_switched_ms": latencies,
        "switched_after_s": time.perf_counter() - started,
    }


def measure(data_dir: Path, queries: Path) -> dict:
    """Open the index, time the mix once, then the searches after a commit (see above)."""
    mix = json.loads(queries.read_text(encoding="utf-8"))
    union = UnionIndex(index_path(data_dir))
    started = time.perf_counter()
    union.search("buch")
    first = (time.perf_counter() - started) * 1000
    ms = []
    for _kind, text, filters, sort in mix:
        begun = time.perf_counter()
        union.search(text, filters=filters, sort=sort)
        ms.append((time.perf_counter() - begun) * 1000)
    ms.sort()
    result = {"documents": union.count(), "first_ms": first, "searches": len(ms)}
    result |= {"p50_ms": ms[len(ms) // 2], "p95_ms": ms[int(0.95 * len(ms)) - 1], "max_ms": ms[-1]}
    return result | after_commit(union, data_dir, mix)


def described(after: dict | None) -> list[str]:
    """measure()'s results as lines of the report (none for a run saved before it existed)."""
    if not after:
        return []
    between = after["until_switched_ms"]
    return [
        f"After a commit: another process rewrote {REWRITTEN:,} clusters and committed, as "
        "the nightly's index update does. The searching process's first search after it "
        f"took {after['first_after_commit_ms']:.0f} ms; {len(between)} searches of the mix "
        f"(max {max(between):.0f} ms) ran until the new commit answered, "
        f"{after['switched_after_s']:.1f} s after the commit (from 50,000 documents on, "
        "the new commit's searchers open in the background: index/switch.py).",
        "",
    ]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--rewrite"]:
        rewrite(Path(argv[1]))
    else:
        print(json.dumps(measure(Path(argv[0]), Path(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
