"""The bare parsers a harvest is measured against, over the very files it harvested.

Absolute rates differ between machines by about 2x, so bench/harvest.py gives each harvest
as a share of what a bare parser reads of the same files in the same run, on one core:
pymarc's MARCReader loop for ISO 2709, lxml's iterparse (each record element cleared once
read, as any streaming reader does) for MARCXML. Neither decodes into anything.
MARCReader loses its place at a record whose leader gives a wrong length and reads nothing
more of that file; the demo exports carry such records, so it reads fewer records than the
harvest: compare the rates, records per second, not the times.
"""

from __future__ import annotations

import time
from pathlib import Path

import pymarc
from lxml import etree

_RECORD = "{http://www.loc.gov/MARC21/slim}record"


def bare_rate(syntax: str, files: Path) -> tuple[int, float, float]:
    """(records, seconds, CPU seconds) of the bare parser of `syntax` over the exports in files.

    The faster of two runs: the first also fills the page cache. CPU seconds beside the
    seconds, since on a shared machine the seconds also count the others' work.
    """
    paths = sorted(p for p in files.rglob("*") if p.is_file() and p.suffix in (".mrc", ".xml"))
    read = _pymarc if syntax == "iso2709" else _iterparse
    runs = []
    for _ in range(2):
        started, cpu = time.perf_counter(), time.process_time()
        count = sum(read(path) for path in paths)
        runs.append((time.perf_counter() - started, time.process_time() - cpu))
    seconds, cpu_seconds = min(runs)
    return count, seconds, cpu_seconds


def _pymarc(path: Path) -> int:
    count = 0
    with path.open("rb") as fh:
        for _record in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True, permissive=True):
            count += 1
    return count


def _iterparse(path: Path) -> int:
    count = 0
    for _event, element in etree.iterparse(str(path), events=("end",), tag=_RECORD):
        count += 1
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del element.getparent()[0]
    return count
