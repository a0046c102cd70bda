"""Holdings-overlap report speed: libnet.overlap over a store of N records, and at N/10.

Run on demand, never in the test suite:

    .venv/bin/python -m bench.overlap [--records N] [--seed S] [--write]

The report reads only the cluster members with their records' overlap keys and the loan
requests, so the store is filled with those rows directly, in bulk (the real harvest and
grouping of a million records take a quarter of an hour and are measured by bench.harvest and
bench.search; filling is not measured). The catalogue is shaped like the demo's: the eleven
demo libraries, each title held by one to eight of them (about 2.4 records a title, 45 % held
by one library), 300 subjects (10 % of the titles without one), decades from the 1950s, 5 %
without a year; and 40,000 loan requests in the last year, for titles many patrons want. Each
record row carries 1.5 KB of MARC and 1.5 KB of JSON, about what a real one holds: the report
must not read them.
Then, each three times in the same process: the report for one library (Marl) and for the
county, one page of a list (narrowed by a decade, sorted, with its short titles), and the
whole "only" list of Marl as an XLSX workbook (webapp/staff/overlap_files.py).
`--write` puts the results, with the machine and the date, into docs/performance.md.
"""

from __future__ import annotations

import random
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.harvest import Loads, bench_parser, code_version, machine, measure_and_report, took
from libnet import overlap
from libnet.demo import DEMO_LIBRARIES
from libnet.store import open_store
from webapp.staff import overlap_files

LIBRARY = "marl"
HELD_BY = (0.45, 0.2, 0.12, 0.08, 0.06, 0.04, 0.03, 0.02)  # share of titles held by 1, 2, ... 8
SUBJECTS = 300
REQUESTS = 40_000
ROUNDS = 3
NOW = datetime.now(UTC)
STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how the store keeps a time in SQLite (UTC)
DECADES = (1950, 1960, 1970, 1980, 1990, 2000, 2000, 2010, 2010, 2020)  # recent ones weigh more
ROW_BYTES = 1500  # of the raw record, and of its JSON


def parse_args(argv: list[str] | None):
    return bench_parser(__doc__, 1_000_000, "the catalogue's shape").parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return measure_and_report(run_all, report, parse_args(argv))


def run_all(records: int, seed: int) -> list[dict]:
    return [measure(size, seed) for size in (records // 10, records)]


def measure(records: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="libnet-bench-overlap-") as tmp:
        path = Path(tmp) / "store.sqlite3"
        store = open_store(f"sqlite:///{path}", Path(tmp))
        started = time.monotonic()
        titles = fill(path, records, random.Random(seed))
        print(f"  {records:,} records, {titles:,} titles: filled in "
              f"{time.monotonic() - started:.0f} s", flush=True)  # fmt: skip
        timings: dict[str, list[float]] = {"library": [], "county": [], "page": [], "xlsx": []}
        sizes: dict[str, int] = {}
        with store.engine.connect() as conn:
            for _ in range(ROUNDS):
                start = time.perf_counter()
                mine = overlap.overlap(conn, LIBRARY, overlap.DEFAULT_N, overlap.DEFAULT_K, NOW)
                timings["library"].append(time.perf_counter() - start)
                start = time.perf_counter()
                county = overlap.overlap(conn, None, overlap.DEFAULT_N, overlap.DEFAULT_K, NOW)
                timings["county"].append(time.perf_counter() - start)
                start = time.perf_counter()
                chosen = overlap.choose(county.lists["many"], decade=2000, sort="-libraries")
                shown = overlap.page_of(chosen, 1)
                overlap.short_titles(conn, shown.titles)
                timings["page"].append(time.perf_counter() - start)
                start = time.perf_counter()
                only = overlap.choose(mine.lists["only"], sort="subject")
                names = overlap.short_titles(conn, only)
                answer = overlap_files.xlsx_answer(_Asked(), mine, only, names, "bench.xlsx")
                timings["xlsx"].append(time.perf_counter() - start)
                sizes["xlsx_bytes"] = len(answer.get_data())
            for name in overlap.LISTS:
                sizes[f"library_{name}"] = len(mine.lists[name])
                sizes[f"county_{name}"] = len(county.lists[name])
        store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"records": records, "titles": titles, "timings": timings, "sizes": sizes,
            "peak_mb": peak}  # fmt: skip


class _Asked:
    list, n, k, library = "only", overlap.DEFAULT_N, overlap.DEFAULT_K, LIBRARY


def fill(path: Path, records: int, rng: random.Random) -> int:
    """Write about `records` records in clusters, and the loan requests; the number of titles."""
    libraries = [lib.code for lib in DEMO_LIBRARIES]
    subjects = [f"Sachgebiet {n:03d}" for n in range(SUBJECTS)]
    weights = [1 / (n + 1) for n in range(SUBJECTS)]  # a few subjects hold most titles
    now = NOW.strftime(STAMP)
    raw, fields = rng.randbytes(ROW_BYTES), "{" + "x" * (ROW_BYTES - 2) + "}"
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("INSERT INTO harvest_runs (id, library, started_at, outcome, full, added, changed,"
               " unchanged, deleted, rejected) VALUES (1, 'bench', ?, 'ok', 1, 0, 0, 0, 0, 0)",
               (now,))  # fmt: skip
    record_rows, member_rows, cluster_rows = [], [], []
    record_id = title = 0
    while record_id < records:
        title += 1
        held = rng.choices(range(1, len(HELD_BY) + 1), HELD_BY)[0]
        subject = "" if rng.random() < 0.1 else rng.choices(subjects, weights)[0]
        decade = None if rng.random() < 0.05 else rng.choice(DECADES)
        cluster_rows.append((title, now, now, held, title))
        for library in rng.sample(libraries, held):
            record_id += 1
            record_rows.append((record_id, library, f"{library}-{record_id}", "", "marc", raw,
                                "", fields, 0, now, now, now, 1, record_id,
                                f"Titel {title}", subject, decade))  # fmt: skip
            member_rows.append((record_id, title, "bench", ""))
        if len(record_rows) >= 50_000:
            _write(db, record_rows, member_rows, cluster_rows)
    _write(db, record_rows, member_rows, cluster_rows)
    requests = []
    for n in range(REQUESTS):
        wanted = int(title * rng.random() ** 3) + 1  # the early titles are the wanted ones
        placed = (NOW - timedelta(days=rng.uniform(0, 365))).strftime(STAMP)
        requests.append((n + 1, wanted, "bench", rng.choice(libraries), now, placed))
    db.executemany(
        "INSERT INTO loan_requests (id, cluster_id, title, requesting_library, pickup_library,"
        " supplier, supplier_local_id, rota, rota_position, state, renewal_pending, created_at,"
        " state_changed_at, supplier_since, version)"
        " VALUES (?, ?, ?, ?, ?4, ?4, '', '[]', 0, 'Unfilled', 0, ?6, ?5, ?5, 1)",
        requests,
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return title


def _write(db: sqlite3.Connection, records: list, members: list, clusters: list) -> None:
    db.executemany("INSERT INTO clusters (id, created_at, changed_at, members, change_no)"
                   " VALUES (?, ?, ?, ?, ?)", clusters)  # fmt: skip
    db.executemany(
        "INSERT INTO records (id, library, local_id, source_id, syntax, raw, content_hash, fields,"
        " deleted, first_seen, last_changed, last_seen, run_id, change_no, short_title, subject,"
        " decade) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", records)  # fmt: skip
    db.executemany("INSERT INTO cluster_members (record_id, cluster_id, rule, evidence)"
                   " VALUES (?, ?, ?, ?)", members)  # fmt: skip
    db.commit()
    records.clear()
    members.clear()
    clusters.clear()


def report(results: list[dict], records: int, seed: int, minutes: float, loads: Loads) -> str:
    command = f"python -m bench.overlap --records {records} --seed {seed}"
    lines = [
        f"## Holdings overlap, {date.today().isoformat()}",
        "",
        f"{machine()}.",
        f"Code: {code_version()}.",
        took(command, "filling the stores", minutes, loads),
        "",
        "The report (libnet.overlap) over a SQLite store filled with records in clusters as "
        "bench/overlap.py describes, N = 5, K = 3; the best of three runs in one process, "
        "the slowest in brackets.",
        "",
        "| records | titles | one library | county | a page of a list | Marl's only list as XLSX |"
        " peak RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for r in results:
        t, s = r["timings"], r["sizes"]

        def cell(name: str) -> str:
            return f"{min(t[name]):.2f} s ({max(t[name]):.2f})"  # noqa: B023

        lines.append(
            f"| {r['records']:,} | {r['titles']:,} | {cell('library')} | {cell('county')} | "
            f"{cell('page')} | {cell('xlsx')}: {s['library_only']:,} rows, "
            f"{s['xlsx_bytes'] / 1e6:.1f} MB | {r['peak_mb']:.0f} MB |"
        )
    last = results[-1]["sizes"]
    lines += [
        "",
        f"At {results[-1]['records']:,} records the lists held: Marl only "
        f"{last['library_only']:,}, "
        f"many {last['library_many']:,}, ordered {last['library_ordered']:,}; the county only "
        f"{last['county_only']:,}, many {last['county_many']:,}, ordered "
        f"{last['county_ordered']:,}.",
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
