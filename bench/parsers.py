"""The bare parsers a harvest is measured against, over the very files it harvested.

Absolute rates differ between machines by about 2x, so bench/harvest.py gives each harvest
as a share of what a bare parser reads of the same files in the same run, on one core:
pymarc's MARCReader loop for ISO 2709, lxml's iterparse (each record element cleared once
read, as any streaming reader does) for MARCXML. Neither decodes into anything.
"""

from __future__ import annotations

import time
from pathlib import Path

import pymarc
from lxml import etree

_RECORD = "{http://www.loc.gov/MARC21/slim}record"


def bare_rate(syntax: str, files: Path) -> tuple[int, float]:
    """(records, seconds) of the bare parser of `syntax` over every export below `files`."""
    paths = sorted(p for p in files.rglob("*") if p.is_file() and p.suffix in (".mrc", ".xml"))
    read = _pymarc if syntax == "iso2709" else _iterparse
    best = None
    for _ in range(2):  # the faster of two runs: the first also fills the page cache
        started = time.perf_counter()
        count = sum(read(path) for path in paths)
        seconds = time.perf_counter() - started
        best = seconds if best is None else min(best, seconds)
    return count, best


def _pymarc(path: Path) -> int:
    count = 0
    with path.open("rb") as fh:
        for _record in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True):
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
