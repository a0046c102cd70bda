"""`libnet records`: one stored record as the library sent it, and the records per library."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from libnet.cli.console import EXIT_FAILED, EXIT_OK, print_table
from libnet.config import Config
from libnet.records.marc import parse_stored, to_iso2709, to_marcxml
from libnet.store import RecordStore, StoredRecord


def cmd_records_show(store: RecordStore, args: argparse.Namespace) -> int:
    stored = store.get(args.library, args.local_id)
    if stored is None:
        print(f"libnet: no record {args.local_id!r} of library {args.library!r}", file=sys.stderr)
        return EXIT_FAILED
    if args.form == "marc":
        sys.stdout.buffer.write(_as_iso2709(stored))
    elif args.form == "marcxml":
        sys.stdout.buffer.write(_as_marcxml(stored) + b"\n")
    elif args.form == "json":
        print(json.dumps(record_json(stored), ensure_ascii=False, indent=2))
    else:
        _print_record(stored)
    return EXIT_OK


def record_json(stored: StoredRecord) -> dict[str, Any]:
    """The normalised fields of a stored record, its store data and the raw record as MARCXML."""
    return {
        **stored.fields,
        "library": stored.library,
        "local_id": stored.local_id,
        "deleted": stored.deleted,
        "first_seen": stored.first_seen.isoformat(),
        "last_changed": stored.last_changed.isoformat(),
        "last_seen": stored.last_seen.isoformat(),
        "run_id": stored.run_id,
        "change_no": stored.change_no,
        "content_hash": stored.content_hash,
        "syntax": stored.syntax,
        "marcxml": _as_marcxml(stored).decode("utf-8"),
    }


def _as_iso2709(stored: StoredRecord) -> bytes:
    if stored.syntax == "iso2709":
        return stored.raw  # byte for byte as harvested
    return to_iso2709(parse_stored(stored.raw, stored.syntax))


def _as_marcxml(stored: StoredRecord) -> bytes:
    if stored.syntax == "marcxml":
        return stored.raw
    return to_marcxml(parse_stored(stored.raw, stored.syntax))


def _print_record(stored: StoredRecord) -> None:
    fields = stored.fields
    state = "deleted" if stored.deleted else "live"
    print(f"{stored.library} {stored.local_id} ({state}, change {stored.change_no})")
    for key in (
        "title",
        "subtitle",
        "responsibility",
        "authors",
        "edition",
        "publisher",
        "year",
        "format",
        "language",
        "isbns",
        "series",
        "subjects",
        "physical_description",
    ):
        value = fields.get(key)
        if value:
            if isinstance(value, list):
                value = "; ".join(" ".join(v) if isinstance(v, list) else str(v) for v in value)
            print(f"  {key:<21}{value}")
    for item in fields.get("items", []):
        print(f"  item                 {item['call_number']} [{item['status']}] {item['barcode']}")
    print(f"  first seen           {stored.first_seen:%Y-%m-%d %H:%M} UTC")
    print(f"  last changed         {stored.last_changed:%Y-%m-%d %H:%M} UTC (run {stored.run_id})")
    print(f"  last seen            {stored.last_seen:%Y-%m-%d %H:%M} UTC")


def cmd_records_stats(config: Config, store: RecordStore, args: argparse.Namespace) -> int:
    stats = store.stats()
    last = {code: store.runs(code, limit=1) for code in [lib.code for lib in config.libraries]}
    rows = []
    for library in config.libraries:
        counts = stats.get(library.code, {"records": 0, "deleted": 0})
        run = last[library.code][0] if last[library.code] else None
        rows.append(
            {
                "library": library.code,
                "name": library.name,
                **counts,
                "last_run": run.id if run else None,
                "last_harvest": run.started_at.isoformat() if run else None,
                "last_outcome": run.outcome if run else None,
            }
        )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    table_rows: list[list[Any]] = [
        [
            row["library"],
            row["name"],
            row["records"],
            row["deleted"],
            row["last_harvest"][:16].replace("T", " ") if row["last_harvest"] else "never",
            row["last_outcome"] or "",
        ]
        for row in rows
    ]
    total = ["all", "", sum(r["records"] for r in rows), sum(r["deleted"] for r in rows), "", ""]
    columns = ["library", "name", "records", "deleted", "last harvest (UTC)", "outcome"]
    print_table("Records per library", columns, [*table_rows, total])
    return EXIT_OK
