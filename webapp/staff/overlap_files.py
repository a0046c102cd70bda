"""The holdings-overlap report's list as files: CSV, and an XLSX workbook with its tallies.

The CSV is UTF-8 with a byte order mark, as the statistics' CSV (webapp/staff/statistics.py):
spreadsheet programs then read the umlauts. Both have fixed English column names, one row a
title: its cluster id (the record page is /record/ID), short title, subject, decade (empty
without a year), how many libraries hold it and how often it was ordered in the last year.
The workbook (openpyxl, written row by row so that a list of a hundred thousand titles does not
sit in memory twice) has three sheets: the list, the tallies per subject, per decade.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from openpyxl import Workbook
from werkzeug.wrappers import Response

from libnet.overlap import Overlap, Tally, Title

HEADER = ["cluster_id", "title", "subject", "decade", "libraries", "orders"]
TALLY_HEADER = ["only", "many", "ordered"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Asked(Protocol):
    list: str
    n: int
    k: int
    library: str | None


def rows(titles: Iterable[Title], names: dict[int, str]) -> Iterator[list[object]]:
    for t in titles:
        decade = "" if t.decade is None else t.decade
        yield [t.cluster_id, names.get(t.cluster_id, ""), t.subject, decade, t.libraries, t.orders]


def csv_answer(titles: Sequence[Title], names: dict[int, str], name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows(titles, names))
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers=_attachment(name))


def xlsx_answer(
    asked: Asked, report: Overlap, titles: Sequence[Title], names: dict[int, str], name: str
) -> Response:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(asked.list)
    sheet.append(HEADER)
    for row in rows(titles, names):
        sheet.append(row)
    for title, key, tallies in (("by subject", "subject", report.by_subject),
                                ("by decade", "decade", report.by_decade)):  # fmt: skip
        tally_sheet = book.create_sheet(title)
        tally_sheet.append([key, *TALLY_HEADER])
        for tally in tallies:
            tally_sheet.append(_tally_row(tally))
    settings = book.create_sheet("settings")
    for row in (["library", asked.library or "all"], ["n", asked.n], ["k", asked.k],
                ["orders_since", report.since.date().isoformat()]):  # fmt: skip
        settings.append(row)
    out = io.BytesIO()
    book.save(out)
    return Response(out.getvalue(), mimetype=XLSX, headers=_attachment(name))


def _tally_row(tally: Tally) -> list[object]:
    return ["" if tally.key is None else tally.key, tally.only, tally.many, tally.ordered]


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}
