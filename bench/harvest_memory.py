"""Harvest memory against one huge OAI-PMH answer: flat in the answer's size, or not.

Run on demand, never in the test suite:

    .venv/bin/python -m bench.harvest_memory [--mb 300] [--write]

A repository in a process of its own answers ListRecords with ONE page of about MB megabytes
of MARC 21 records (about 2 KB each, generated while they are sent), the case of issue 16
where a 1.5 GB answer took the harvest to 3.1 GB. The real harvest (`harvest_library` into a
fresh SQLite store, max_response_mb raised above the answer) and the OAI-PMH harvester alone
(records read and decoded, nothing stored) each run in a fresh process at MB/4 and at MB and
report their peak resident memory (ru_maxrss): flat when the peak at MB is at most 1.2 times
the one at MB/4. For comparison, oaipmh-scythe, the OAI-PMH client libnet's
harvester used before, reads the MB answer alone. `--write` puts the results, with the
machine, the date, the commit and the load, into docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.harvest import code_version, machine

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
FLAT = 1.2
OAI = "http://www.openarchives.org/OAI/2.0/"
MARC = "http://www.loc.gov/MARC21/slim"
SUMMARY = "Eine Geschichte der Zechen, Kanäle und Stadtbibliotheken im Kreis Recklinghausen. " * 18


def record(n: int) -> str:
    return (
        f"<record><header><identifier>oai:bench:{n}</identifier>"
        f"<datestamp>2026-12-01T00:00:00Z</datestamp></header><metadata>"
        f'<record xmlns="{MARC}"><leader>00000nam a2200000 c 4500</leader>'
        f'<controlfield tag="001">bench{n}</controlfield>'
        f'<datafield tag="245" ind1="1" ind2="0"><subfield code="a">Band {n}</subfield>'
        f'</datafield><datafield tag="520" ind1=" " ind2=" "><subfield code="a">{SUMMARY}'
        f"</subfield></datafield></record></metadata></record>"
    )


def records_for(mb: float) -> int:
    return int(mb * 1024 * 1024 / len(record(100_000).encode()))


def serve(mb: float) -> None:
    """The repository: Identify, and one ListRecords page of about mb MB; prints its port."""
    count = records_for(mb)
    head = f'<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="{OAI}"><responseDate>'
    head += "2026-12-07T00:00:00Z</responseDate><request>http://bench/oai</request>"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            verb = parse_qs(urlsplit(self.path).query).get("verb", [""])[0]
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.end_headers()  # HTTP/1.0: the answer ends when the connection closes
            if verb == "Identify":
                self.wfile.write(
                    f"{head}<Identify><granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
                    "</Identify></OAI-PMH>".encode()
                )
                return
            self.wfile.write(f"{head}<ListRecords>".encode())
            for start in range(0, count, 500):
                block = "".join(record(n) for n in range(start, min(start + 500, count)))
                self.wfile.write(block.encode())
            self.wfile.write(b"</ListRecords></OAI-PMH>")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_port, flush=True)
    server.serve_forever()


def harvest(url: str, mb: float) -> None:
    """The real harvest of the repository into a fresh store; prints counts and peaks."""
    from harvesters.run import harvest_library
    from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
    from libnet.store import open_store

    source = SourceConfig("oai", url, retries=0, max_response_mb=mb * 2 + 10)
    library = LibraryConfig("bench", "Bench", source)
    with tempfile.TemporaryDirectory() as data_dir:
        config = Config(Path(data_dir) / "config.toml", StorageConfig(Path(data_dir)), (library,))
        store = open_store(config.storage.url, Path(data_dir))
        started = time.perf_counter()
        report = harvest_library(config, library, store)
        seconds = time.perf_counter() - started
        store.close()
    if not report.ok:
        raise SystemExit(f"harvest failed: {report.error}")
    print(json.dumps({"records": report.counts.added, "seconds": seconds} | _peaks()))


def read(url: str, mb: float) -> None:
    """libnet's OAI-PMH harvester alone: records read and decoded, nothing stored."""
    from harvesters.oai_pmh import OaiSource
    from libnet.config import SourceConfig

    source = OaiSource(SourceConfig("oai", url, retries=0, max_response_mb=mb * 2 + 10))
    started = time.perf_counter()
    count = sum(1 for _ in source)
    print(json.dumps({"records": count, "seconds": time.perf_counter() - started} | _peaks()))


def scythe(url: str) -> None:
    """oaipmh-scythe alone reading the same repository: the records counted, nothing stored."""
    from oaipmh_scythe import HTTPConfig, Scythe

    started = time.perf_counter()
    with Scythe(url, http_config=HTTPConfig(timeout=600)) as client:
        count = sum(1 for _ in client.list_records(metadata_prefix="marc21"))
    print(json.dumps({"records": count, "seconds": time.perf_counter() - started} | _peaks()))


def _peaks() -> dict[str, float]:
    """Peak RSS in MB of this process and of its largest child (kilobytes on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"peak_mb": own / 1024, "worker_peak_mb": children / 1024}


def measure(kind: str, mb: float) -> dict:
    """Start a repository of mb MB, run `kind` against it in a fresh process, stop both."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.harvest_memory", "--child", "serve", str(mb)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}/oai"
        done = subprocess.run(
            [sys.executable, "-m", "bench.harvest_memory", "--child", kind, url, str(mb)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait()
    if done.returncode != 0:
        raise SystemExit(f"{kind} at {mb:g} MB failed (exit status {done.returncode})")
    result = json.loads(done.stdout) | {"kind": kind, "mb": mb}
    print(f"  {kind} {mb:g} MB: {result}", flush=True)
    return result


def report(results: list[dict], mb: float, minutes: float, loads: tuple) -> str:
    def flat(kind: str) -> str:
        quarter, whole = (r for r in results if r["kind"] == kind)
        return "yes" if whole["peak_mb"] <= FLAT * quarter["peak_mb"] else "NO"

    before, after = (", ".join(f"{x:.2f}" for x in load) for load in loads)
    lines = [
        f"## Harvest memory against one huge OAI-PMH answer, {date.today().isoformat()}",
        "",
        f"{machine()}.",
        f"Code: {code_version()}. `bench/harvest_memory.py --mb {mb:g}` took {minutes:.1f} "
        f"minutes. Load average (1, 5, 15 min) before: {before}; after: {after}.",
        "",
        "| reader | answer | records | seconds | peak RSS MB (harvest / largest worker) |",
        "|---|--:|--:|--:|--:|",
    ]
    names = {
        "read": "libnet's OAI-PMH harvester alone (records read and decoded)",
        "harvest": "libnet's whole harvest (harvest_library, into SQLite)",
        "scythe": "oaipmh-scythe alone, the client used before",
    }
    for r in results:
        workers = f" / {r['worker_peak_mb']:.0f}" if r["worker_peak_mb"] else ""
        lines.append(
            f"| {names[r['kind']]} | {r['mb']:g} MB | {r['records']:,} | {r['seconds']:.1f} "
            f"| {r['peak_mb']:.0f}{workers} |"
        )
    lines += [
        "",
        f"Flat, the peak at {mb:g} MB at most {FLAT:g} times the one at {mb / 4:g} MB: "
        f"reading {flat('read')}, the whole harvest {flat('harvest')}.",
    ]
    return "\n".join(lines) + "\n"


def write(section: str) -> None:
    text = DOC.read_text()
    heading = section.splitlines()[0]
    if heading in text:
        start = text.index(heading)
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + ("" if end < 0 else text[end:])
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=300.0, help="size of the one answer")
    parser.add_argument("--write", action="store_true", help="add the results to the docs")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "serve":
            serve(float(rest[0]))
        elif kind == "harvest":
            harvest(rest[0], float(rest[1]))
        elif kind == "read":
            read(rest[0], float(rest[1]))
        else:
            scythe(rest[0])
        return 0
    loads = [os.getloadavg()]
    began = time.monotonic()
    results = [measure(kind, mb) for kind in ("read", "harvest") for mb in (args.mb / 4, args.mb)]
    results.append(measure("scythe", args.mb))
    loads.append(os.getloadavg())
    section = report(results, args.mb, (time.monotonic() - began) / 60, tuple(loads))
    print(section)
    if args.write:
        write(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
