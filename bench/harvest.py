"""Harvest speed and memory: demo MARC files through the real harvest into a fresh SQLite store.

Run on demand, never in the test suite (`make bench`):

    .venv/bin/python -m bench.harvest [--records N] [--seed S] [--write]

About N demo records are generated once as ISO 2709 and once as MARCXML (generation is not
measured), then harvested library by library with `harvest_library`, each measurement in a
subprocess of its own, so its peak memory (ru_maxrss) belongs to that harvest alone. Each
format also runs at N/4, to show that memory stays flat as the catalogue grows, and ISO 2709
is harvested a second time unchanged (the nightly case). At N, the bare parser of each format
reads the same files in the same run (bench/parsers.py): the harvest's rate is also given as
a share of it, since absolute rates differ between machines. `--write` puts the results, with the
machine and the date, into docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from bench.parsers import bare_rate
from harvesters.run import harvest_library
from libnet.config import Config, HarvestConfig, LibraryConfig, SourceConfig, StorageConfig
from libnet.demo import DEMO_LIBRARIES, DemoLibrary, generate
from libnet.records.holdings import PROFILES
from libnet.store import open_store

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
SYNTAXES = {"iso2709": "ISO 2709", "marcxml": "MARCXML"}
TARGETS = {"iso2709": 5_000, "marcxml": 4_000}  # records/s into SQLite on 2 cores
FLAT = 1.2  # memory counts as flat when the peak at N is at most this times the peak at N/4
Loads = tuple[tuple[float, ...], tuple[float, ...]]  # load averages before and after a run


@dataclass(frozen=True, slots=True)
class Measurement:
    """One harvest of every demo library, as its subprocess reported it."""

    syntax: str
    size: int  # records generated
    nightly: bool  # the second, unchanged harvest of the same files
    largest: int  # records of the largest library
    added: int
    changed: int
    unchanged: int
    rejected: int
    seconds: float
    cpu_seconds: float  # user + system, of worker processes too
    peak_mb: float  # the harvest process
    worker_peak_mb: float  # the largest worker process the harvest started, 0 without
    bare_rate: float = 0.0  # records/s of the bare parser over the same files (bench/parsers.py)
    bare_cpu_rate: float = 0.0  # records per CPU second of the same

    @property
    def read(self) -> int:
        return self.added + self.changed + self.unchanged + self.rejected

    @property
    def rate(self) -> float:
        return self.read / self.seconds


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="about this many records")
    parser.add_argument("--seed", type=int, default=1, help="seed of the demo data")
    parser.add_argument("--write", action="store_true", help=f"write the results into {DOC}")
    # the subprocess that does one measurement: syntax, folder of the files, data_dir
    parser.add_argument("--child", nargs=3, metavar="ARG", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        syntax, files, data_dir = args.child
        return harvest_in_this_process(syntax, Path(files), Path(data_dir))
    if args.records < 100:
        raise SystemExit("--records: at least 100")
    return measure_and_report(run_all, report, args)


def bench_parser(doc: str, records: int, seeds: str) -> argparse.ArgumentParser:
    """The arguments of a benchmark on demo data whose results are JSON-ready."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--records", type=int, default=records, help="about this many records")
    parser.add_argument("--seed", type=int, default=1, help=f"seed of the demo data and {seeds}")
    parser.add_argument("--write", action="store_true", help=f"write the results into {DOC}")
    add_keep_arguments(parser)
    return parser


def add_keep_arguments(parser: argparse.ArgumentParser) -> None:
    """--save and --report-from, for a benchmark whose results are JSON-ready."""
    parser.add_argument("--save", metavar="FILE", help="keep the raw results in FILE (JSON)")
    parser.add_argument(
        "--report-from", metavar="FILE", help="describe the results --save kept; run nothing"
    )


def measure_and_report(run_all, report, args: argparse.Namespace) -> int:
    """Run a benchmark, describe it with the time and load, print it and (--write) keep it."""
    saved, again = getattr(args, "save", None), getattr(args, "report_from", None)
    if again:  # the numbers of an earlier run, described anew
        kept = json.loads(Path(again).read_text(encoding="utf-8"))
        results, minutes, loads = kept["results"], kept["minutes"], kept["loads"]
        args.records, args.seed = kept["records"], kept["seed"]
    else:
        started = time.monotonic()
        load_before = os.getloadavg()
        results = run_all(args.records, args.seed)
        minutes = (time.monotonic() - started) / 60
        loads = (load_before, os.getloadavg())
        if saved:  # JSON-ready results only (bench/search.py's)
            kept = {"records": args.records, "seed": args.seed, "minutes": minutes}
            kept |= {"loads": loads, "results": results}
            Path(saved).write_text(json.dumps(kept), encoding="utf-8")
    text = report(results, args.records, args.seed, minutes, loads)
    if args.write:
        write_section(DOC, text)  # before printing: a closed pipe must not lose the numbers
    print(text)
    if args.write:
        print(f"written to {DOC}")
    return 0


# --------------------------------------------------------------------------- the measurements


def demo_libraries(syntax: str) -> tuple[DemoLibrary, ...]:
    """The eleven demo libraries, all exporting one syntax in UTF-8."""
    return tuple(replace(lib, syntax=syntax, encoding="utf-8") for lib in DEMO_LIBRARIES)


def titles_for(records: int, seed: int, scratch: Path) -> int:
    """How many editions make about `records` records, from a small generation."""
    titles = max(100, min(4_000, int(records / 2.5)))
    summary = generate(scratch, titles=titles, seed=seed, libraries=demo_libraries("iso2709"))
    return max(1, round(records * titles / summary.records))


def demo_data(records: int, seed: int, work: Path) -> tuple[Path, Path, int]:
    """About `records` records of the demo libraries in work/files, and work/var for the store.

    Returns the two folders and how many records were generated.
    """
    files, data_dir = work / "files", work / "var"
    titles = titles_for(records, seed, work / "calibration")
    summary = generate(files, titles=titles, seed=seed, libraries=demo_libraries("iso2709"))
    print(f"{summary.records:,} records generated", flush=True)
    return files, data_dir, summary.records


def run_all(records: int, seed: int) -> list[Measurement]:
    results = []
    with tempfile.TemporaryDirectory(prefix="libnet-bench-") as tmp:
        work = Path(tmp)
        per_title = titles_for(records, seed, work / "calibration") / records
        for syntax in SYNTAXES:
            for size in (records // 4, records):
                files, data_dir = work / f"{syntax}-{size}", work / f"var-{syntax}-{size}"
                titles = max(1, round(size * per_title))
                summary = generate(
                    files, titles=titles, seed=seed, libraries=demo_libraries(syntax)
                )
                largest = max(summary.per_library.values())
                print(f"{SYNTAXES[syntax]}: {summary.records:,} records generated", flush=True)
                first = measure(syntax, files, data_dir, summary.records, largest, False)
                if size == records:
                    again = measure(syntax, files, data_dir, summary.records, largest, True)
                    count, seconds, cpu = bare_rate(syntax, files)
                    print(f"  bare parser: {count:,} records in {seconds:.1f} s", flush=True)
                    bare = {"bare_rate": count / seconds, "bare_cpu_rate": count / cpu}
                    results += [replace(first, **bare), replace(again, **bare)]
                else:
                    results.append(first)
    return results


def measure(
    syntax: str, files: Path, data_dir: Path, size: int, largest: int, nightly: bool
) -> Measurement:
    """One harvest in a fresh Python process; the store in data_dir is kept for the next."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", syntax]
    done = subprocess.run(
        [*command, str(files), str(data_dir)], stdout=subprocess.PIPE, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"the harvest of {files} failed (exit status {done.returncode})")
    result = Measurement(syntax, size, nightly, largest, **json.loads(done.stdout))
    print(f"  {row(result, with_target=False)}", flush=True)
    return result


def harvest_in_this_process(syntax: str, files: Path, data_dir: Path) -> int:
    """Harvest every library from files into data_dir; print the counts, seconds, peak RSS."""
    suffix = "xml" if syntax == "marcxml" else "mrc"
    libraries = tuple(
        LibraryConfig(
            code=lib.code,
            name=lib.name,
            isil=lib.isil,
            holdings=PROFILES[lib.holdings],
            source=SourceConfig("marc", str(files / lib.code / f"*.{suffix}")),
        )
        for lib in demo_libraries(syntax)
    )
    config = Config(data_dir / "config.toml", StorageConfig(data_dir), libraries)
    store = open_store(config.storage.url, data_dir)
    totals = dict.fromkeys(("added", "changed", "unchanged", "rejected"), 0)
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    for library in libraries:
        harvest = harvest_library(config, library, store)
        if not harvest.ok:
            print(f"{library.code}: {harvest.outcome}: {harvest.error}", file=sys.stderr)
            return 1
        for key in totals:
            totals[key] += getattr(harvest.counts, key)
    seconds = time.perf_counter() - started
    cpu_seconds = _cpu_seconds() - cpu_before
    store.close()
    # kilobytes on Linux; for children the largest one's peak (workers are joined by now)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    worker_peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    timing = {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mb": peak_kb / 1024,
        "worker_peak_mb": worker_peak_kb / 1024,
    }
    print(json.dumps(totals | timing))
    return 0


def _cpu_seconds() -> float:
    """CPU time of this process and of the worker processes it has waited for."""
    usages = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return sum(usage.ru_utime + usage.ru_stime for usage in usages)


# --------------------------------------------------------------------------- the report


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    meminfo = Path("/proc/meminfo").read_text()
    ram_kb = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.M)
    ram = f"{int(ram_kb.group(1)) / 1024**2:.1f} GB RAM" if ram_kb else "RAM unknown"
    return (
        f"{model.group(1).strip() if model else platform.processor() or 'CPU unknown'}, "
        f"{len(os.sched_getaffinity(0))} cores, {ram}; Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def code_version() -> str:
    """The commit measured, and whether the working tree differed from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        # --no-optional-locks: only look, never refresh the index others are committing with
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "diff", "--quiet", "HEAD", "--"], cwd=ROOT
        ).returncode
    except OSError:
        head, dirty = "", 0
    if not head:
        return "version unknown"
    if not dirty:
        return f"commit {head}"
    changed = subprocess.run(
        ["git", "--no-optional-locks", "diff", "--name-only", "HEAD", "--"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()
    return f"commit {head} with uncommitted changes to {', '.join(changed)}"


def row(m: Measurement, with_target: bool = True) -> str:
    kind = "second harvest, unchanged" if m.nightly else "first harvest"
    target = TARGETS[m.syntax]
    verdict = ""
    if with_target and not m.nightly:
        verdict = f"≥ {target:,}: {'met' if m.rate >= target else 'MISSED'}"
    cells = (
        f"{SYNTAXES[m.syntax]}, {kind}",
        f"{m.size:,}",
        f"{m.added + m.changed:,}",
        f"{m.unchanged:,}",
        f"{m.rejected:,}",
        f"{m.seconds:.1f}",
        f"{m.rate:,.0f}",
        verdict,
        f"{m.cpu_seconds:.1f}",
        f"{m.read / m.cpu_seconds:,.0f}",
        _peaks(m),
    )
    return "| " + " | ".join(cells) + " |"


def _peaks(m: Measurement) -> str:
    return f"{m.peak_mb:.0f}" + (f" / {m.worker_peak_mb:.0f}" if m.worker_peak_mb else "")


def report(
    results: list[Measurement], records: int, seed: int, minutes: float, loads: Loads
) -> str:
    largest_size = max(m.size for m in results)
    lines = [
        f"## Harvest, {date.today().isoformat()}",
        "",
        f"{machine()}.",
        f"Code: {code_version()}. Harvest processes: {HarvestConfig().processes} (the default).",
        took(
            f"bench/harvest.py --records {records} --seed {seed}", "data generation", minutes, loads
        ),
        "",
        "| harvest | records | stored | unchanged | rejected | seconds | records/s | target "
        "| CPU seconds | records per CPU second | peak RSS MB (harvest / largest worker) |",
        "|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|",
        *(row(m, with_target=m.size == largest_size) for m in results),
        "",
        "Memory: peak RSS of the harvest process and of its largest worker process (if it "
        f"started any); flat = each at most {FLAT:.0%} of its N/4 peak at N. The records of "
        "one library pass through the harvest together, so the largest library's size is "
        "given too.",
        "",
        "| format | at N/4 | at N | flat |",
        "|---|---|---|---|",
    ]
    for syntax, name in SYNTAXES.items():
        small, large = (m for m in results if m.syntax == syntax and not m.nightly)
        flat = large.peak_mb <= FLAT * small.peak_mb
        flat = flat and large.worker_peak_mb <= FLAT * small.worker_peak_mb
        cells = (
            f"{_peaks(m)} MB ({m.size:,} records, largest library {m.largest:,})"
            for m in (small, large)
        )
        lines.append(f"| {name} | {' | '.join(cells)} | {'yes' if flat else 'NO'} |")
    lines += ["", *ratios(results)]
    lines += [
        "",
        'Reference, parsing alone on one core (LIBRARIES.md, "Parsing MARC"): pymarc '
        "`MARCReader` about 12,000 records/s from ISO 2709, lxml `iterparse` about 13,700/s "
        "from MARCXML. For comparison, VuFind's published MARC import runs at about 550/s.",
        "",
    ]
    return "\n".join(lines)


BARE = {  # the yardstick of each format, and the share of it a harvest should reach
    "iso2709": ("pymarc's bare MARCReader loop", 0.7),
    "marcxml": ("lxml's bare iterparse", 0.5),
}
NIGHTLY = 4.0  # the second, unchanged harvest at least this many times faster than the first


def ratios(results: list[Measurement]) -> list[str]:
    """The harvests at N as shares of the bare parsers, and the nightly case's speed-up."""
    lines = [
        "| ratio, same run | harvest | yardstick | ratio | target | the same per CPU second |",
        "|---|--:|--:|--:|---|--:|",
    ]
    for syntax, name in SYNTAXES.items():
        runs = [m for m in results if m.syntax == syntax and m.bare_rate]
        first = next((m for m in runs if not m.nightly), None)
        again = next((m for m in runs if m.nightly), None)
        if first is None or again is None:
            continue
        parser, target = BARE[syntax]
        share = first.rate / first.bare_rate
        per_cpu = first.read / first.cpu_seconds / first.bare_cpu_rate
        lines.append(
            f"| {name} harvest into the store vs {parser} | {first.rate:,.0f} rec/s "
            f"| {first.bare_rate:,.0f} rec/s | {share:.0%} "
            f"| ≥ {target:.0%}: {'met' if share >= target else 'MISSED'} | {per_cpu:.0%} |"
        )
        speedup = first.seconds / again.seconds
        lines.append(
            f"| {name} harvested again unchanged vs its first harvest | {again.seconds:.1f} s "
            f"| {first.seconds:.1f} s | {speedup:.1f}x "
            f"| ≥ {NIGHTLY:.0f}x: {'met' if speedup >= NIGHTLY else 'MISSED'} "
            f"| {first.cpu_seconds / again.cpu_seconds:.1f}x |"
        )
    return lines


def took(command: str, included: str, minutes: float, loads: Loads) -> str:
    """The report's sentence on what ran, for how long, and the machine's load around it."""
    before, after = (", ".join(f"{x:.2f}" for x in values) for values in loads)
    return (
        f"`{command}` took {minutes:.1f} minutes, {included} included. "
        f"Load average (1, 5, 15 min) before: {before}; after: {after}."
    )


def write_section(path: Path, section: str) -> None:
    """Replace the section with this heading (same date), or append it."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    heading = section.splitlines()[0]
    lines = text.rstrip("\n").split("\n")
    if heading in lines:
        start = lines.index(heading)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith(("# ", "## "))),
            len(lines),
        )
        lines[start:end] = section.rstrip("\n").split("\n") + ([""] if end < len(lines) else [])
    else:
        lines += ["", *section.rstrip("\n").split("\n")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
